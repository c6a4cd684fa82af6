//! The `next` a login view follows: paths on this site only; every open-redirect shape
//! browsers accept is refused, raw or percent-encoded.

use flask_login::safe_next;

#[test]
fn paths_on_this_site_are_followed() {
    for ok in [
        "/",
        "/post/7",
        "/post/7?tab=comments#c3",
        "/search?q=a%20b",
        "/a/b/c/",
    ] {
        assert_eq!(safe_next(ok).as_deref(), Some(ok), "{ok}");
    }
}

#[test]
fn open_redirects_are_refused() {
    let attempts = [
        "",
        "//evil.com",
        "///evil.com",
        "/\\evil.com",
        "\\\\evil.com",
        "\\/evil.com",
        "https://evil.com",
        "http://evil.com/post",
        "HTTPS://evil.com",
        "javascript:alert(1)",
        "data:text/html,<script>",
        "evil.com",
        "post/7",
        "%2F%2Fevil.com",
        "/%2Fevil.com",
        "/%5Cevil.com",
        "%5C%5Cevil.com",
        "/\t/evil.com",
        "/%09/evil.com",
        "/\n/evil.com",
        "/%0d%0aSet-Cookie:x=1",
        " //evil.com",
        "/%ff",
        "http://localhost/post",
    ];
    for bad in attempts {
        assert_eq!(safe_next(bad), None, "{bad:?} was followed");
    }
}
