//! A form in a streamed template: the session is saved before the body renders, so
//! `csrf_token()`'s secret must be in the session before the first piece goes out.

use flask::routing::get;
use flask::{Error, Flask, Response, stream_template_string};
use flask_wtf::CsrfProtect;

/// Enough rows before the form that the token is rendered well after the first piece.
#[flask::view]
async fn long_page() -> Result<Response, Error> {
    let rows: Vec<u32> = (0..3000).collect();
    stream_template_string(
        r#"{% for r in rows %}<p>row {{ r }}</p>{% endfor %}<form method="post"><input type="hidden" name="csrf_token" value="{{ csrf_token() }}"></form>"#,
        flask::context! { rows },
    )
}

#[tokio::test]
async fn a_form_in_a_streamed_template_posts_back() {
    let client = Flask::new("streamed")
        .configure(|c| c.set("SECRET_KEY", "test secret"))
        .extension(CsrfProtect::new())
        .route(
            "/",
            get(long_page).post(|| async { "saved" }).endpoint("index"),
        )
        .test_client();
    let resp = client.get("/").send().await;
    assert_eq!(resp.status(), 200);
    // Streamed: no length known in advance.
    assert_eq!(resp.header("content-length"), None);
    let page = resp.text();
    assert!(page.len() > 30_000, "{} bytes", page.len());
    let token = page
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let resp = client
        .post("/")
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    assert_eq!(resp.text(), "saved");
    // Without the token it is still refused.
    let resp = client.post("/").send().await;
    assert_eq!(resp.status(), 400);
    assert!(resp.text().contains("The CSRF token is missing."));
}
