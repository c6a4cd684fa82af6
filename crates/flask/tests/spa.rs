//! A single-page app's built front end (`Flask::spa`): its files, `index.html` for client
//! routes, and 404s where an API client or a missing file must get one.

use flask::routing::get;
use flask::spa::Spa;
use flask::{Flask, testing::TestClient};

fn client() -> TestClient {
    Flask::new(flask::app_root!())
        .route("/api/health", get(|| async { "ok" }))
        .route("/about", get(|| async { "a server page" }))
        .spa(Spa::folder("tests/fixtures/spa").exclude("/auth/"))
        .test_client()
}

#[tokio::test]
async fn client_routes_get_the_app_and_files_their_bytes() {
    let c = client();
    for path in ["/", "/boards/7", "/boards/7/cards/", "/settings"] {
        let r = c.get(path).send().await;
        assert_eq!(r.status(), 200, "{path}");
        assert!(
            r.text().contains("<div id=\"root\">"),
            "{path}: {}",
            r.text()
        );
        assert_eq!(
            r.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{path}"
        );
        assert_eq!(r.header("cache-control"), Some("no-cache"), "{path}");
    }
    let js = c.get("/assets/index-abc123.js").send().await;
    assert_eq!(js.status(), 200);
    assert_eq!(js.text(), "console.log(\"board\")\n");
    assert_eq!(
        js.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert!(js.header("content-type").unwrap().contains("javascript"));
    // Revalidated with its ETag.
    let etag = js.header("etag").unwrap().to_owned();
    let again = c
        .get("/assets/index-abc123.js")
        .header("If-None-Match", &etag)
        .send()
        .await;
    assert_eq!(again.status(), 304);
    assert_eq!(c.get("/favicon.ico").send().await.status(), 200);
    // HEAD as GET, without a body.
    let head = c.head("/boards/7").send().await;
    assert_eq!(head.status(), 200);
    assert!(head.text().is_empty());
    // The app's own rules come first.
    assert_eq!(c.get("/api/health").send().await.text(), "ok");
    assert_eq!(c.get("/about").send().await.text(), "a server page");
}

#[tokio::test]
async fn api_paths_missing_files_and_other_methods_stay_404s() {
    let c = client();
    for path in [
        "/api/nothing",
        "/api",
        "/auth/callback",
        "/missing.png",
        "/assets/gone-123.js",
        "/assets/../../Cargo.toml",
        "/%2e%2e/Cargo.toml",
    ] {
        assert_eq!(c.get(path).send().await.status(), 404, "{path}");
    }
    assert_eq!(c.post("/boards/7").send().await.status(), 404);
    assert_eq!(c.post("/api/nothing").send().await.status(), 404);
}

#[tokio::test]
async fn a_missing_build_is_a_500_that_says_to_build_it() {
    let c = Flask::new(flask::app_root!())
        .spa(Spa::folder("tests/fixtures/no-such-build"))
        .test_client();
    let r = c.get("/boards/7").send().await;
    assert_eq!(r.status(), 500);
}
