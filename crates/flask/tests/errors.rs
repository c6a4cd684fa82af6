//! Errors: `?`, abort, error handlers by status and by type, router 404/405, panics, debug.

use flask::routing::{get, post};
use flask::{Blueprint, Error, Flask, Html, RequestContext, StatusCode, abort, abort_with};

#[derive(Debug, thiserror::Error)]
#[error("the database is down: connection refused (secret=hunter2)")]
struct DbDown;

#[flask::view]
async fn fails() -> Result<&'static str, Error> {
    Err(DbDown)?
}
#[flask::view]
async fn parse() -> Result<String, Error> {
    let n: i32 = "x".parse()?;
    Ok(n.to_string())
}
#[flask::view]
async fn gone() -> Result<&'static str, Error> {
    Err(abort(410))
}
#[flask::view]
async fn teapot() -> Result<&'static str, Error> {
    Err(abort_with(418, "short & <stout>"))
}
#[flask::view]
async fn boom() -> &'static str {
    panic!("kaboom")
}
#[flask::view]
async fn ok() -> &'static str {
    "ok"
}

fn routes(app: Flask) -> Flask {
    app.route("/fails", get(fails))
        .route("/parse", get(parse))
        .route("/gone", get(gone))
        .route("/teapot", get(teapot))
        .route("/boom", get(boom))
        .route("/ok", get(ok))
        .route("/only-post", post(ok).endpoint("only_post"))
}

#[tokio::test]
async fn default_pages_hide_internals_in_production() {
    let c = routes(Flask::new("prod")).test_client();
    let r = c.get("/fails").send().await;
    assert_eq!(r.status(), 500);
    assert!(
        r.text()
            .contains("<title>500 Internal Server Error</title>")
    );
    assert!(!r.text().contains("hunter2"));
    let r = c.get("/gone").send().await;
    assert_eq!(r.status(), 410);
    assert!(r.text().contains("<h1>Gone</h1>"));
    let r = c.get("/teapot").send().await;
    assert_eq!(r.status(), 418);
    assert!(
        r.text().contains("short &amp; &lt;stout&gt;"),
        "{}",
        r.text()
    );
    let r = c.get("/missing").send().await;
    assert!(
        r.text()
            .contains("The requested URL was not found on the server.")
    );
}

#[tokio::test]
async fn debug_shows_the_cause() {
    let c = routes(Flask::new("dev").configure(|c| c.set("DEBUG", true))).test_client();
    let r = c.get("/fails").send().await;
    assert_eq!(r.status(), 500);
    assert!(r.text().contains("the database is down"), "{}", r.text());
    let r = c.get("/boom").send().await;
    assert!(r.text().contains("kaboom"), "{}", r.text());
}

#[tokio::test]
async fn panics_are_500s_and_the_app_keeps_serving() {
    let c = routes(Flask::new("panics")).test_client();
    let r = c.get("/boom").send().await;
    assert_eq!(r.status(), 500);
    assert!(!r.text().contains("kaboom"));
    assert_eq!(c.get("/ok").send().await.text(), "ok");
}

async fn not_found(err: Error, ctx: RequestContext) -> (StatusCode, Html<String>) {
    (
        StatusCode::NOT_FOUND,
        Html(format!("custom {} for {}", err.code(), ctx.path())),
    )
}
async fn method_not_allowed(err: Error) -> (StatusCode, String) {
    (
        err.status(),
        format!("no {}", err.headers()["allow"].to_str().unwrap()),
    )
}
async fn server_error(err: Error) -> (StatusCode, String) {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("sorry: {}", err.chain().len()),
    )
}
async fn db_down(err: Error) -> (StatusCode, String) {
    let db = err.downcast_ref::<DbDown>().is_some();
    (StatusCode::SERVICE_UNAVAILABLE, format!("db down: {db}"))
}
async fn bp_gone() -> (StatusCode, &'static str) {
    (StatusCode::GONE, "blueprint gone")
}
async fn failing_handler() -> Result<&'static str, Error> {
    Err(abort(400))
}

#[tokio::test]
async fn error_handlers_by_status_type_and_scope() {
    let bp = Blueprint::new("bp")
        .url_prefix("/bp")
        .route("/gone", get(gone))
        .errorhandler(410, bp_gone);
    let c = routes(Flask::new("handlers"))
        .errorhandler(404, not_found)
        .errorhandler(405, method_not_allowed)
        .errorhandler(500, server_error)
        .errorhandler_for::<DbDown, _, _>(db_down)
        .errorhandler(418, failing_handler)
        .blueprint(bp)
        .test_client();
    let r = c.get("/missing").send().await;
    assert_eq!(
        (r.status(), r.text()),
        (StatusCode::NOT_FOUND, "custom 404 for /missing".to_owned())
    );
    let r = c.get("/only-post").send().await;
    assert_eq!(r.text(), "no OPTIONS, POST");
    // Type handlers win over the 500 handler; other 500s go to the 500 handler.
    assert_eq!(c.get("/fails").send().await.text(), "db down: true");
    assert_eq!(c.get("/parse").send().await.text(), "sorry: 1");
    assert_eq!(c.get("/boom").send().await.text(), "sorry: 1");
    // The blueprint's handler answers its own errors; the app's 410 is the default page.
    assert_eq!(c.get("/bp/gone").send().await.text(), "blueprint gone");
    assert!(c.get("/gone").send().await.text().contains("<h1>Gone</h1>"));
    // A failing error handler gives the default page of its own error.
    let r = c.get("/teapot").send().await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn invalid_error_codes_are_setup_errors() {
    let e = Flask::new("x").errorhandler(200, ok).build().unwrap_err();
    assert!(e.to_string().contains("only 400-599"), "{e}");
    assert_eq!(abort(200).code(), 500);
}
