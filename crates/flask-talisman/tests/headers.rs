//! The headers on real responses over a socket: pages, error pages and views that set
//! their own; HSTS only over HTTPS (as the trusted proxy says).

use flask::routing::get;
use flask::{Flask, Response};
use flask_talisman::Talisman;
use test_support::http::{get as fetch, serve};

#[flask::view]
async fn framed() -> Response {
    let mut resp = Response::new("embeddable".into());
    resp.headers_mut()
        .insert("x-frame-options", "ALLOWALL".parse().unwrap());
    resp
}

#[tokio::test]
async fn every_response_gets_the_headers_and_a_view_can_override_one() {
    let app = Flask::new("talisman")
        .configure(|c| c.set("PROXY_FIX_X_PROTO", 1))
        .extension(
            Talisman::new()
                .content_security_policy("default-src 'self'; frame-ancestors 'self'")
                .strict_transport_security(31_536_000, true, false)
                .permissions_policy("geolocation=()"),
        )
        .route("/", get(|| async { "hi" }))
        .route("/framed", get(framed))
        .build()
        .unwrap();
    let base = serve(app).await;
    for path in ["/", "/missing"] {
        let resp = fetch(&base, path, &[]).await.unwrap();
        assert_eq!(
            resp.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(resp.header("x-frame-options"), Some("SAMEORIGIN"), "{path}");
        assert_eq!(
            resp.header("referrer-policy"),
            Some("strict-origin-when-cross-origin"),
            "{path}"
        );
        assert_eq!(
            resp.header("content-security-policy"),
            Some("default-src 'self'; frame-ancestors 'self'"),
            "{path}"
        );
        assert_eq!(resp.header("permissions-policy"), Some("geolocation=()"));
        // Plain HTTP: no HSTS (a browser ignores it there, and it would pin a dev host).
        assert_eq!(resp.header("strict-transport-security"), None, "{path}");
    }
    let resp = fetch(&base, "/missing", &[]).await.unwrap();
    assert_eq!(resp.status, 404);
    let https = fetch(&base, "/", &[("X-Forwarded-Proto", "https")])
        .await
        .unwrap();
    assert_eq!(
        https.header("strict-transport-security"),
        Some("max-age=31536000; includeSubDomains")
    );
    let framed = fetch(&base, "/framed", &[]).await.unwrap();
    assert_eq!(framed.header("x-frame-options"), Some("ALLOWALL"));
}

#[test]
fn a_value_that_is_no_header_does_not_start() {
    let err = Flask::new("bad")
        .extension(Talisman::new().content_security_policy("default-src\n'self'"))
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("flask-talisman"), "{err}");
}
