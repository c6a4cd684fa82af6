//! url_for: values, query strings, anchors, external URLs, blueprint-relative names, errors.

use flask::routing::{BuildError, get};
use flask::{Blueprint, Flask, RequestContext, url_for};

#[flask::view]
async fn show_post() -> &'static str {
    ""
}
#[flask::view]
async fn user() -> &'static str {
    ""
}
#[flask::view]
async fn files() -> &'static str {
    ""
}
#[flask::view]
async fn pick() -> &'static str {
    ""
}
#[flask::view]
async fn at() -> &'static str {
    ""
}
#[flask::view]
async fn here(ctx: RequestContext) -> String {
    let rel = ctx.url_for(".other").build().unwrap();
    let ext = ctx.url_for("index").external().build().unwrap();
    let app_level = ctx.url_for(".index").build();
    format!("{rel} {ext} {:?}", app_level.map_err(|e| e.to_string()))
}
#[flask::view]
async fn other() -> &'static str {
    ""
}
#[flask::view]
async fn index(ctx: RequestContext) -> String {
    // Outside a blueprint, ".index" is the app's "index".
    ctx.url_for(".index").build().unwrap()
}

fn app() -> flask::App {
    Flask::new("urls")
        .configure(|c| {
            c.set("SERVER_NAME", "example.com");
            c.set("PREFERRED_URL_SCHEME", "https");
        })
        .route("/", get(index))
        .route("/post/<int:post_id>", get(show_post))
        .route("/user/<username>", get(user))
        .route("/files/<path:name>", get(files))
        .route("/pick/<any(a, 'b c'):k>", get(pick))
        .route("/at/<float:x>/<uuid:u>", get(at))
        .blueprint(
            Blueprint::new("bp")
                .url_prefix("/bp")
                .route("/here", get(here))
                .route("/other", get(other)),
        )
        .build()
        .unwrap()
}

#[test]
fn values_query_and_anchor() {
    let app = app();
    let u = |e: &str| app.url_for(e).relative();
    assert_eq!(
        u("show_post").value("post_id", 42).build().unwrap(),
        "/post/42"
    );
    assert_eq!(
        u("show_post")
            .value("post_id", 42)
            .value("page", 2)
            .value("q", "a b&c")
            .build()
            .unwrap(),
        "/post/42?page=2&q=a+b%26c"
    );
    assert_eq!(
        u("show_post")
            .value("post_id", 1)
            .anchor("com ments")
            .build()
            .unwrap(),
        "/post/1#com%20ments"
    );
    assert_eq!(
        url_for!(
            app,
            "show_post",
            post_id = 3,
            _anchor = "top",
            _external = false
        )
        .unwrap(),
        "/post/3#top"
    );
}

#[test]
fn encoding_per_converter() {
    let app = app();
    let u = |e: &str| app.url_for(e).relative();
    assert_eq!(
        u("user").value("username", "Jörg Müller").build().unwrap(),
        "/user/J%C3%B6rg%20M%C3%BCller"
    );
    assert_eq!(
        u("user").value("username", "a/b?c#d").build().unwrap(),
        "/user/a%2Fb%3Fc%23d"
    );
    assert_eq!(
        u("files").value("name", "dir/a b.txt").build().unwrap(),
        "/files/dir/a%20b.txt"
    );
    assert_eq!(u("pick").value("k", "b c").build().unwrap(), "/pick/b%20c");
    assert_eq!(
        u("at")
            .value("x", 2)
            .value("u", "550E8400-E29B-41D4-A716-446655440000")
            .build()
            .unwrap(),
        "/at/2.0/550e8400-e29b-41d4-a716-446655440000"
    );
}

#[tokio::test]
async fn urls_round_trip_through_the_router() {
    #[flask::view]
    async fn echo(flask::Path(name): flask::Path<String>) -> String {
        name
    }
    let app = Flask::new("rt")
        .route("/u/<name>", get(echo))
        .route("/p/<path:name>", get(echo).endpoint("p"))
        .build()
        .unwrap();
    let c = app.test_client();
    for name in ["a/b", "100%", "a b", "ü?#&=+", "%2F"] {
        let url = app
            .url_for("echo")
            .relative()
            .value("name", name)
            .build()
            .unwrap();
        assert_eq!(c.get(&url).send().await.text(), name, "{url}");
        let url = app
            .url_for("p")
            .relative()
            .value("name", name)
            .build()
            .unwrap();
        assert_eq!(c.get(&url).send().await.text(), name, "{url}");
    }
}

#[test]
fn external_urls() {
    let app = app();
    // Outside a request, URLs are external by default, as in Flask.
    assert_eq!(
        app.url_for("index").build().unwrap(),
        "https://example.com/"
    );
    assert_eq!(
        app.url_for("index").scheme("ftp").build().unwrap(),
        "ftp://example.com/"
    );
    let no_server = Flask::new("x").route("/", get(show_post)).build().unwrap();
    assert_eq!(
        no_server.url_for("show_post").build(),
        Err(BuildError::NoServerName)
    );
    assert_eq!(
        no_server.url_for("show_post").relative().build().unwrap(),
        "/"
    );
}

#[tokio::test]
async fn blueprint_relative_and_request_host() {
    let c = app().test_client();
    let text = c
        .get("/bp/here")
        .header("host", "myhost:8000")
        .send()
        .await
        .text();
    assert_eq!(
        text,
        "/bp/other http://myhost:8000/ Err(\"Could not build url for endpoint 'bp.index'. Did you mean 'index' instead?\")"
    );
    assert_eq!(c.get("/").send().await.text(), "/");
}

#[test]
fn errors_say_what_is_wrong() {
    let app = app();
    let e = app.url_for("show_pots").relative().build().unwrap_err();
    assert_eq!(
        e.to_string(),
        "Could not build url for endpoint 'show_pots'. Did you mean 'show_post' instead?"
    );
    let e = app.url_for("show_post").relative().build().unwrap_err();
    assert_eq!(
        e.to_string(),
        "Could not build url for endpoint 'show_post'. Did you forget to specify values [\"post_id\"]?"
    );
    let e = app
        .url_for("show_post")
        .relative()
        .value("post_id", "abc")
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("must be an integer"), "{e}");
    let e = app
        .url_for("pick")
        .relative()
        .value("k", "z")
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("must be one of a, b c"), "{e}");
}

#[tokio::test]
async fn external_urls_take_the_scheme_of_the_request() {
    #[flask::view]
    async fn link(ctx: RequestContext) -> String {
        ctx.url_for("link").external().build().unwrap()
    }
    let client = Flask::new("demo")
        .configure(|c| c.set("PROXY_FIX_X_PROTO", 1))
        .route("/link", get(link))
        .test_client();
    // Behind the declared proxy, which says the browser used HTTPS.
    let r = client
        .get("/link")
        .header("host", "example.com")
        .header("x-forwarded-proto", "https")
        .send()
        .await;
    assert_eq!(r.text(), "https://example.com/link");
    // Plain HTTP.
    let r = client
        .get("/link")
        .header("host", "example.com")
        .send()
        .await;
    assert_eq!(r.text(), "http://example.com/link");
    // Without PROXY_FIX_X_PROTO the header is anyone's to send, and ignored.
    let client = Flask::new("demo").route("/link", get(link)).test_client();
    let r = client
        .get("/link")
        .header("host", "example.com")
        .header("x-forwarded-proto", "https")
        .send()
        .await;
    assert_eq!(r.text(), "http://example.com/link");
}

/// Flask names an endpoint after its view function; here a `#[flask::view]` function is
/// named so, in a blueprint too, and any other handler is named after its rule, with an
/// error that says how to name it.
#[tokio::test]
async fn endpoints_are_view_names_or_else_rules() {
    async fn about() -> &'static str {
        "no attribute"
    }
    #[flask::view]
    async fn login() -> &'static str {
        "login"
    }
    let app = Flask::new("names")
        .route("/", get(show_post))
        .route("/about", get(about))
        .route("/hi", get(|| async { "a closure" }))
        .blueprint(
            Blueprint::new("auth")
                .url_prefix("/auth")
                .route("/login", get(login)),
        )
        .build()
        .unwrap();
    let endpoints: Vec<(String, String)> = app
        .rules()
        .into_iter()
        .map(|r| (r.endpoint, r.rule))
        .collect();
    for (endpoint, rule) in [
        ("show_post", "/"),
        ("/about", "/about"),
        ("/hi", "/hi"),
        ("auth.login", "/auth/login"),
    ] {
        assert!(
            endpoints.contains(&(endpoint.to_owned(), rule.to_owned())),
            "{endpoint} {rule}: {endpoints:?}"
        );
    }
    assert_eq!(
        app.url_for("auth.login").relative().build().unwrap(),
        "/auth/login"
    );
    assert_eq!(app.url_for("/about").relative().build().unwrap(), "/about");
    let err = app.url_for("about").relative().build().unwrap_err();
    assert!(
        matches!(&err, BuildError::UnknownEndpoint { unnamed_rule: Some(r), .. } if r == "/about"),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(
            "Put #[flask::view] above the view function, or name the rule with .endpoint(\"about\")"
        ),
        "{err}"
    );
}
