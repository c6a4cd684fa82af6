//! The debug page: what it shows in debug mode (error chain, the app's own source lines,
//! the panic site, the template source, the request) and that it never shows otherwise.

use std::collections::HashMap;

use flask::routing::{get, post};
use flask::{
    AppRoot, Error, Flask, Form, G, Html, Session, StatusCode, render_template_string,
    testing::TestClient,
};

#[derive(Debug, thiserror::Error)]
#[error("could not load the report")]
struct LoadReport(#[source] std::num::ParseIntError);

#[flask::view]
async fn parse_failure(g: G) -> Result<String, Error> {
    g.set("user", "ada");
    let n: i32 = "seven".parse().map_err(LoadReport)?; // THE FAILING LINE
    Ok(n.to_string())
}

#[flask::view]
async fn panics() -> &'static str {
    let items: Vec<&str> = Vec::new();
    if items.is_empty() {
        panic!("kaboom: the list was empty");
    }
    "unreachable"
}

#[flask::view]
async fn broken_template() -> Result<Html<String>, Error> {
    render_template_string(
        "<h1>Report</h1>\n<p>{{ title }}</p>\n{{ items|nosuchfilter }}\n<p>end</p>",
        (),
    )
}

#[flask::view]
async fn with_form(Form(fields): Form<HashMap<String, String>>) -> Result<String, Error> {
    let age: u8 = fields["age"].parse()?;
    Ok(age.to_string())
}

#[flask::view]
async fn login(session: Session) -> &'static str {
    session.insert("user_id", 42);
    "ok"
}

fn app(debug: bool) -> Flask {
    Flask::new(flask::app_root!())
        .configure(move |c| {
            c.set("DEBUG", debug);
            c.set("SECRET_KEY", "debug-page-tests");
        })
        .route("/report/<int:id>", get(parse_failure))
        .route("/panics", get(panics))
        .route("/template", get(broken_template))
        .route("/form", post(with_form))
        .route("/login", get(login))
        .route(
            "/missing",
            get(|| async { Err::<String, _>(flask::abort(404)) }),
        )
}

fn client(debug: bool) -> TestClient {
    app(debug).test_client()
}

#[tokio::test]
async fn a_failing_handler_shows_the_chain_its_source_line_and_the_request() {
    let c = client(true);
    c.get("/login").send().await;
    let r = c
        .get("/report/7?format=pdf")
        .header("X-Trace-Me", "yes please")
        .send()
        .await;
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let page = r.text();
    // The error chain, outermost first.
    assert!(page.contains("could not load the report"), "{page}");
    assert!(page.contains("invalid digit found in string"), "{page}");
    // The app's own frame, expanded to its source, the failing line marked.
    assert!(page.contains("tests/debug_page.rs, line"), "{page}");
    assert!(page.contains("in <b>debug_page::parse_failure"), "{page}");
    assert!(
        page.contains("<span class=\"line current\">")
            && page.contains("// THE FAILING LINE</span>"),
        "{page}"
    );
    // Library frames are folded away.
    assert!(
        page.contains("in libraries and the runtime</summary>"),
        "{page}"
    );
    // The request: method, URL, endpoint, view arguments, headers, session and g.
    assert!(
        page.contains("<th>URL</th><td>/report/7?format=pdf</td>"),
        "{page}"
    );
    assert!(
        page.contains("<th>Endpoint</th><td>parse_failure</td>"),
        "{page}"
    );
    assert!(
        page.contains("<th>View arguments</th><td>id=7</td>"),
        "{page}"
    );
    assert!(
        page.contains("<th>x-trace-me</th><td>yes please</td>"),
        "{page}"
    );
    assert!(page.contains("<th>user_id</th><td>42</td>"), "{page}");
    assert!(
        page.contains("<th>user</th><td>&#34;ada&#34;</td>"),
        "{page}"
    );
    assert!(page.contains("never turn debug mode on"), "{page}");
}

#[tokio::test]
async fn a_panic_shows_where_it_happened() {
    let c = client(true);
    let r = c.get("/panics").send().await;
    assert_eq!(r.status(), 500);
    let page = r.text();
    assert!(page.contains("<h1>Panic</h1>"), "{page}");
    assert!(page.contains("kaboom: the list was empty"), "{page}");
    assert!(page.contains("The handler panicked at <code>"), "{page}");
    assert!(page.contains("debug_page.rs:"), "{page}");
    assert!(
        page.contains("panic!(&#34;kaboom: the list was empty&#34;);</span>"),
        "{page}"
    );
    // The server goes on serving.
    assert_eq!(c.get("/login").send().await.text(), "ok");
}

#[tokio::test]
async fn a_template_error_shows_the_template_source_around_the_line() {
    let r = client(true).get("/template").send().await;
    assert_eq!(r.status(), 500);
    let page = r.text();
    assert!(
        page.contains("<h2>Template <code>&lt;string&gt;</code>, line 3</h2>"),
        "{page}"
    );
    assert!(
        page.contains("<span class=\"line current\">    3  {{ items|nosuchfilter }}</span>"),
        "{page}"
    );
    assert!(
        page.contains("    1  &lt;h1&gt;Report&lt;/h1&gt;"),
        "{page}"
    );
}

#[tokio::test]
async fn the_form_that_was_read_is_shown() {
    let r = client(true)
        .post("/form")
        .form(&[("age", "300"), ("name", "<ada>")])
        .send()
        .await;
    assert_eq!(r.status(), 500);
    let page = r.text();
    assert!(page.contains("number too large"), "{page}");
    assert!(page.contains("<th>age</th><td>300</td>"), "{page}");
    assert!(page.contains("<th>name</th><td>&lt;ada&gt;</td>"), "{page}");
}

#[tokio::test]
async fn production_shows_a_plain_page() {
    let c = client(false);
    c.get("/login").send().await;
    for path in ["/report/7", "/panics", "/template"] {
        let r = c.get(path).header("X-Trace-Me", "yes").send().await;
        assert_eq!(r.status(), 500, "{path}");
        let page = r.text();
        assert!(page.contains("<h1>Internal Server Error</h1>"), "{page}");
        for secret in [
            "could not load",
            "kaboom",
            "nosuchfilter",
            "debug_page.rs",
            "X-Trace-Me",
            "x-trace-me",
            "user_id",
            "Backtrace",
        ] {
            assert!(!page.contains(secret), "{path} shows {secret}: {page}");
        }
    }
}

#[tokio::test]
async fn http_errors_keep_their_pages_in_debug() {
    let r = client(true).get("/missing").send().await;
    assert_eq!(r.status(), 404);
    assert!(r.text().contains("<h1>Not Found</h1>"));
    assert!(!r.text().contains("Backtrace"));
}

async fn custom_500() -> (StatusCode, &'static str) {
    (StatusCode::INTERNAL_SERVER_ERROR, "our own 500 page")
}

#[tokio::test]
async fn in_debug_the_debug_page_wins_over_a_500_handler() {
    // As in Flask, where debug mode propagates the failure to Werkzeug's debugger.
    let debug = app(true).errorhandler(500, custom_500).test_client();
    let page = debug.get("/report/1").send().await.text();
    assert!(page.contains("could not load the report"), "{page}");
    let prod = app(false).errorhandler(500, custom_500).test_client();
    assert_eq!(
        prod.get("/report/1").send().await.text(),
        "our own 500 page"
    );
}

#[tokio::test]
async fn frames_outside_the_app_root_are_not_expanded() {
    // An app whose root holds none of the failing code: the page says no frame is the app's.
    let dir = std::env::temp_dir().join(format!("flask-debug-root-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let c = Flask::new(AppRoot::new("elsewhere", &dir))
        .configure(|c| c.set("DEBUG", true))
        .route("/report/<int:id>", get(parse_failure))
        .test_client();
    let page = c.get("/report/1").send().await.text();
    assert!(page.contains("could not load the report"), "{page}");
    assert!(!page.contains("<div class=\"frame app\">"), "{page}");
    assert!(page.contains("No frame is in the app"), "{page}");
}
