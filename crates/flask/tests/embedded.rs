//! Templates and static files compiled into the binary (the `embed` feature): the app serves
//! them with no folder on disk at its root.
#![cfg(feature = "embed")]

use flask::embed::Embed;
use flask::routing::get;
use flask::{AppRoot, Error, Flask, Html, context, render_template, testing::TestClient};

#[derive(Embed)]
#[folder = "tests/fixtures/embed/templates/"]
#[crate_path = "flask::embed::rust_embed"]
struct Templates;

#[derive(Embed)]
#[folder = "tests/fixtures/embed/static/"]
#[crate_path = "flask::embed::rust_embed"]
struct Static;

const CSS: &str = include_str!("fixtures/embed/static/css/site.css");

#[flask::view]
async fn index() -> Result<Html<String>, Error> {
    render_template("index.html", context! { name => "<ada>" })
}

#[flask::view]
async fn missing() -> Result<Html<String>, Error> {
    render_template("nope.html", ())
}

/// An app whose root does not exist: everything it serves comes from the binary.
fn client() -> TestClient {
    let root = std::env::temp_dir().join("flask-embedded-no-such-root");
    assert!(!root.exists());
    Flask::new(AppRoot::new("shop", root))
        .configure(|c| c.set("DEBUG", true))
        .embedded_templates::<Templates>()
        .embedded_static::<Static>()
        .route("/", get(index))
        .route("/missing", get(missing))
        .test_client()
}

#[tokio::test]
async fn templates_come_from_the_binary_with_inheritance_and_escaping() {
    let r = client().get("/").send().await;
    assert_eq!(r.status(), 200);
    let page = r.text();
    assert!(page.contains("<title>Shop</title>"), "{page}");
    assert!(page.contains("<h1>Welcome, &lt;ada&gt;</h1>"), "{page}");
    assert!(page.contains("href=\"/static/css/site.css\""), "{page}");
}

#[tokio::test]
async fn a_missing_embedded_template_names_itself() {
    let r = client().get("/missing").send().await;
    assert_eq!(r.status(), 500);
    assert!(r.text().contains("nope.html"), "{}", r.text());
}

#[tokio::test]
async fn static_files_come_from_the_binary_with_caching_headers_and_ranges() {
    let c = client();
    let r = c.get("/static/css/site.css").send().await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text(), CSS);
    assert_eq!(r.header("content-type"), Some("text/css; charset=utf-8"));
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    assert_eq!(
        r.header("content-length"),
        Some(CSS.len().to_string().as_str())
    );
    let etag = r.header("etag").unwrap().to_owned();
    assert!(etag.starts_with("\"e-") && etag.len() == 20, "{etag}");

    let r = c
        .get("/static/css/site.css")
        .header("If-None-Match", &etag)
        .send()
        .await;
    assert_eq!(r.status(), 304);
    assert!(r.bytes().is_empty());

    let r = c
        .get("/static/css/site.css")
        .header("Range", "bytes=3-10")
        .send()
        .await;
    assert_eq!(r.status(), 206);
    assert_eq!(r.text(), &CSS[3..=10]);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes 3-10/{}", CSS.len()).as_str())
    );

    let r = c
        .get("/static/css/site.css")
        .header("Range", "bytes=9999-")
        .send()
        .await;
    assert_eq!(r.status(), 416);
}

#[tokio::test]
async fn traversal_and_missing_files_are_404s() {
    let c = client();
    for path in [
        "/static/nope.css",
        "/static/css/../../templates/base.html",
        "/static/%2e%2e/templates/base.html",
        "/static/css/%2e%2e/%2e%2e/templates/index.html",
        "/static/..%2Ftemplates%2Fbase.html",
        "/static/%2Fetc%2Fpasswd",
    ] {
        assert_eq!(c.get(path).send().await.status(), 404, "{path}");
    }
}
