//! Templates: folders and overrides, inheritance, autoescape by extension, Flask's globals,
//! filters, tests, globals, context processors, errors and reload.

use std::fs;
use std::path::{Path, PathBuf};

use flask::routing::get;
use flask::{AppRoot, Blueprint, Error, Flask, G, Html, RequestContext, context, render_template};

/// A fresh app root with the given files (path, content).
fn root(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flask-tpl-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    for (path, content) in files {
        let p = dir.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, content).unwrap();
    }
    dir
}

fn app(dir: &Path) -> Flask {
    Flask::new(AppRoot::new("tpl", dir))
}

#[flask::view]
async fn page(ctx: RequestContext) -> Result<Html<String>, Error> {
    let name = ctx
        .view_args()
        .first()
        .map(|(_, v)| v.to_string())
        .unwrap_or_default();
    render_template(
        &name,
        context! { user => "<b>ada</b>", items => vec![1, 2, 3] },
    )
}

#[tokio::test]
async fn inheritance_and_autoescape_by_extension() {
    let dir = root(
        "inherit",
        &[
            (
                "templates/base.html",
                "<title>{% block title %}{% endblock %}</title>{% block body %}{% endblock %}",
            ),
            (
                "templates/index.html",
                "{% extends 'base.html' %}{% block title %}Home{% endblock %}{% block body %}Hi {{ user }}{% for i in items %}[{{ i }}]{% endfor %}{% endblock %}",
            ),
            ("templates/plain.txt", "Hi {{ user }}"),
            ("templates/feed.xml", "<name>{{ user }}</name>"),
            ("templates/icon.svg", "<text>{{ user }}</text>"),
        ],
    );
    let c = app(&dir).route("/<path:name>", get(page)).test_client();
    let r = c.get("/index.html").send().await;
    assert_eq!(
        r.text(),
        "<title>Home</title>Hi &lt;b&gt;ada&lt;/b&gt;[1][2][3]"
    );
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(c.get("/plain.txt").send().await.text(), "Hi <b>ada</b>");
    assert_eq!(
        c.get("/feed.xml").send().await.text(),
        "<name>&lt;b&gt;ada&lt;/b&gt;</name>"
    );
    assert_eq!(
        c.get("/icon.svg").send().await.text(),
        "<text>&lt;b&gt;ada&lt;/b&gt;</text>"
    );
}

#[flask::view]
async fn show(flask::Path(id): flask::Path<i64>) -> Result<Html<String>, Error> {
    render_template("globals.html", context! { id })
}

#[tokio::test]
async fn flask_globals_in_every_template() {
    let dir = root(
        "globals",
        &[(
            "templates/globals.html",
            "{{ url_for('show', id=id + 1, page=2) }}|{{ config.GREETING }}|{{ request.method }} {{ request.path }} {{ request.endpoint }} {{ request.args.q }} {{ request.view_args.id }}|{{ g.user }}|{{ get_flashed_messages()|length }}",
        )],
    );
    let c = app(&dir)
        .configure(|c| c.set("GREETING", "hello"))
        .before_request(|g: G| async move { g.set("user", "ada") })
        .route("/show/<int:id>", get(show))
        .test_client();
    assert_eq!(
        c.get("/show/1?q=x").send().await.text(),
        "/show/2?page=2|hello|GET /show/1 show x 1|ada|0"
    );
}

#[tokio::test]
async fn filters_tests_globals_and_context_processors() {
    let dir = root(
        "hooks",
        &[(
            "templates/t.html",
            "{{ name|shout }} {{ 4 is even_number }} {{ answer() }} {{ year }} {{ site }} {{ name }} {{ none }} {{ nothing }}.",
        )],
    );
    #[flask::view]
    async fn t() -> Result<Html<String>, Error> {
        render_template("t.html", context! { name => "ada", site => "mine" })
    }
    let c = app(&dir)
        .template_filter("shout", |s: String| s.to_uppercase())
        .template_test("even_number", |n: i64| n % 2 == 0)
        .template_global("answer", || 42)
        .context_processor(|_ctx: &RequestContext| context! { year => 2026, site => "processor" })
        .route("/", get(t))
        .test_client();
    // The render call's own values win over a context processor's.
    assert_eq!(
        c.get("/").send().await.text(),
        "ADA True 42 2026 mine ada None ."
    );
}

#[tokio::test]
async fn blueprint_folders_and_app_overrides() {
    let dir = root(
        "bp",
        &[
            (
                "admin/templates/admin/panel.html",
                "blueprint panel {{ who }}",
            ),
            ("admin/templates/admin/only.html", "blueprint only"),
            ("templates/admin/panel.html", "app panel {{ who }}"),
        ],
    );
    #[flask::view]
    async fn panel() -> Result<Html<String>, Error> {
        render_template("admin/panel.html", context! { who => "x" })
    }
    #[flask::view]
    async fn only() -> Result<Html<String>, Error> {
        render_template("admin/only.html", ())
    }
    let bp = Blueprint::new("admin")
        .template_folder("admin/templates")
        .route("/panel", get(panel))
        .route("/only", get(only))
        .context_processor(|ctx: &RequestContext| context! { bp => ctx.blueprint() });
    let c = app(&dir).blueprint(bp).test_client();
    assert_eq!(c.get("/panel").send().await.text(), "app panel x");
    assert_eq!(c.get("/only").send().await.text(), "blueprint only");
}

#[tokio::test]
async fn template_errors_name_the_template_and_line() {
    let dir = root(
        "errors",
        &[("templates/broken.html", "line one\n{% if %}\n")],
    );
    #[flask::view]
    async fn broken() -> Result<Html<String>, Error> {
        render_template("broken.html", ())
    }
    #[flask::view]
    async fn missing() -> Result<Html<String>, Error> {
        render_template("nope.html", ())
    }
    let c = app(&dir)
        .configure(|c| c.set("DEBUG", true))
        .route("/broken", get(broken))
        .route("/missing", get(missing))
        .test_client();
    let r = c.get("/broken").send().await;
    assert_eq!(r.status(), 500);
    assert!(r.text().contains("broken.html"), "{}", r.text());
    assert!(r.text().contains("broken.html:2"), "{}", r.text());
    let r = c.get("/missing").send().await;
    assert!(r.text().contains("nope.html"), "{}", r.text());
    // Without DEBUG the page shows no details.
    let c = app(&dir).route("/broken", get(broken)).test_client();
    assert!(!c.get("/broken").send().await.text().contains("broken.html"));
}

#[tokio::test]
async fn templates_reload_in_debug() {
    let dir = root("reload", &[("templates/r.html", "one")]);
    #[flask::view]
    async fn r() -> Result<Html<String>, Error> {
        render_template("r.html", ())
    }
    let c = app(&dir)
        .configure(|c| c.set("DEBUG", true))
        .route("/", get(r))
        .test_client();
    assert_eq!(c.get("/").send().await.text(), "one");
    fs::write(dir.join("templates/r.html"), "two").unwrap();
    let mut text = String::new();
    for _ in 0..50 {
        text = c.get("/").send().await.text();
        if text == "two" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(text, "two");
}

#[test]
fn rendering_outside_a_request() {
    let dir = root(
        "outside",
        &[(
            "templates/mail.txt",
            "Reset: {{ url_for('reset', token='abc') }}",
        )],
    );
    #[flask::view]
    async fn reset() -> &'static str {
        ""
    }
    let app = app(&dir)
        .configure(|c| c.set("SERVER_NAME", "example.com"))
        .route("/reset/<token>", get(reset))
        .build()
        .unwrap();
    assert_eq!(
        app.render_template("mail.txt", ()).unwrap(),
        "Reset: http://example.com/reset/abc"
    );
}

/// An extension adding a template global and a context variable, as login and forms will.
struct Branding;

impl flask::Extension for Branding {
    fn name(&self) -> &'static str {
        "branding"
    }
    fn init_app(&self, setup: &mut flask::Setup<'_>) -> Result<(), flask::SetupError> {
        setup
            .template_global("brand", || "Acme")
            .template_filter("stars", |n: usize| "*".repeat(n))
            .context_processor(|ctx: &RequestContext| context! { current_path => ctx.path() });
        Ok(())
    }
}

#[tokio::test]
async fn extensions_add_template_globals_and_context() {
    let dir = root(
        "ext",
        &[(
            "templates/e.html",
            "{{ brand() }} {{ 3|stars }} {{ current_path }}",
        )],
    );
    #[flask::view]
    async fn e() -> Result<Html<String>, Error> {
        render_template("e.html", ())
    }
    let c = app(&dir)
        .extension(Branding)
        .route("/e", get(e))
        .test_client();
    assert_eq!(c.get("/e").send().await.text(), "Acme *** /e");
}

#[tokio::test]
async fn only_objects_render_themselves_through_html() {
    // A map with an `__html__` key is data: escaped, never called.
    #[flask::view]
    async fn page() -> Result<flask::Html<String>, flask::Error> {
        let data: serde_json::Value = serde_json::json!({"__html__": "<b>x</b>"});
        flask::render_template_string("{{ data }}|{{ data.__html__ }}", flask::context! { data })
    }
    let client = flask::Flask::new("t")
        .route("/", flask::routing::get(page))
        .test_client();
    let resp = client.get("/").send().await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    let text = resp.text();
    assert!(!text.contains("<b>"), "{text}");
    assert!(text.contains("&lt;b&gt;x&lt;/b&gt;"), "{text}");
}

#[tokio::test]
async fn stream_template_sends_the_page_in_pieces() {
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    let dir = root(
        "stream",
        &[
            (
                "templates/rows.html",
                "<h1>{{ title }}</h1>{% for r in rows %}<p>{{ r }} {{ url_for('rows') }} {{ request.path }}</p>{% endfor %}",
            ),
            (
                "templates/fails.html",
                "{% for r in rows %}<p>{{ r }}</p>{% endfor %}{{ nothing() }}",
            ),
            (
                "templates/panics.html",
                "{% for r in rows %}<p>{{ r }}</p>{% endfor %}{{ explode() }}",
            ),
        ],
    );
    #[flask::view]
    async fn rows() -> Result<flask::Response, Error> {
        let rows: Vec<u32> = (0..2000).collect();
        flask::stream_template("rows.html", context! { rows, title => "<all>" })
    }
    #[flask::view]
    async fn fails() -> Result<flask::Response, Error> {
        let rows: Vec<u32> = (0..2000).collect();
        flask::stream_template("fails.html", context! { rows })
    }
    #[flask::view]
    async fn missing() -> Result<flask::Response, Error> {
        flask::stream_template("nope.html", ())
    }
    #[flask::view]
    async fn panics() -> Result<flask::Response, Error> {
        let rows: Vec<u32> = (0..2000).collect();
        flask::stream_template("panics.html", context! { rows })
    }
    let app = app(&dir)
        .template_global("explode", || -> String { panic!("a global that panics") })
        .route("/rows", get(rows).endpoint("rows"))
        .route("/fails", get(fails))
        .route("/panics", get(panics))
        .route("/missing", get(missing))
        .build()
        .unwrap();

    let req = |path: &str| {
        http::Request::get(path)
            .body(axum::body::Body::empty())
            .unwrap()
    };
    // The whole page, escaped, with the request's globals, in several pieces.
    let resp = app.clone().oneshot(req("/rows")).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/html; charset=utf-8");
    assert!(resp.headers().get("content-length").is_none());
    let mut body = resp.into_body();
    let mut pieces = 0;
    let mut page = Vec::new();
    while let Some(frame) = body.frame().await {
        let data = frame.unwrap().into_data().unwrap();
        pieces += 1;
        page.extend_from_slice(&data);
    }
    let page = String::from_utf8(page).unwrap();
    assert!(pieces > 3, "{pieces} pieces");
    assert!(
        page.starts_with("<h1>&lt;all&gt;</h1><p>0 /rows /rows</p>"),
        "{page:.80}"
    );
    assert!(page.ends_with("<p>1999 /rows /rows</p>"));

    // A template that cannot load is a 500 before anything is sent.
    let resp = app.clone().oneshot(req("/missing")).await.unwrap();
    assert_eq!(resp.status(), 500);

    // An error while rendering cuts the body short with an error, not a complete page.
    /// Whether the body ends with an error rather than as a whole page.
    async fn cut_short(resp: flask::Response) -> bool {
        let mut body = resp.into_body();
        while let Some(frame) = body.frame().await {
            if frame.is_err() {
                return true;
            }
        }
        false
    }
    let resp = app.clone().oneshot(req("/fails")).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(cut_short(resp).await, "the body ended without an error");

    // A panic while rendering cuts the body the same way, and the server goes on.
    for _ in 0..2 {
        let resp = app.clone().oneshot(req("/panics")).await.unwrap();
        assert_eq!(resp.status(), 200);
        assert!(
            cut_short(resp).await,
            "a panic ended the body as if the page were whole"
        );
    }

    // HEAD: the headers, no rendering.
    let head = http::Request::head("/rows")
        .body(axum::body::Body::empty())
        .unwrap();
    let resp = app.clone().oneshot(head).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .is_empty()
    );
}

#[tokio::test]
async fn a_panicking_global_fails_its_request_only() {
    #[flask::view]
    async fn boom() -> Result<Html<String>, Error> {
        flask::render_template_string("before {{ explode() }}", ())
    }
    #[flask::view]
    async fn fine() -> Result<Html<String>, Error> {
        flask::render_template_string("fine", ())
    }
    let c = Flask::new("panics")
        .template_global("explode", || -> String { panic!("a global that panics") })
        .route("/boom", get(boom))
        .route("/fine", get(fine))
        .test_client();
    for _ in 0..2 {
        assert_eq!(c.get("/boom").send().await.status(), 500);
        // The template environment is still usable by every other request.
        let resp = c.get("/fine").send().await;
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.text(), "fine");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renders_run_side_by_side_outside_debug_mode() {
    use std::sync::{Arc, Condvar, Mutex};
    use std::time::Duration;

    // Each render waits inside the template for the other one to be rendering too. If
    // renders took turns (a lock around the environment), the first would wait alone.
    let meeting = Arc::new((Mutex::new(0_u32), Condvar::new()));
    let global = {
        let meeting = meeting.clone();
        move || -> String {
            let (count, arrived) = &*meeting;
            let mut count = count.lock().unwrap();
            *count += 1;
            arrived.notify_all();
            let (count, _) = arrived
                .wait_timeout_while(count, Duration::from_secs(20), |c| *c < 2)
                .unwrap();
            if *count >= 2 { "together" } else { "alone" }.to_owned()
        }
    };
    #[flask::view]
    async fn page() -> Result<Html<String>, Error> {
        flask::render_template_string("{{ rendezvous() }}", ())
    }
    let c = Flask::new("side-by-side")
        .template_global("rendezvous", global)
        .route("/", get(page))
        .test_client();
    // Two tasks, so the two requests can run on the two worker threads.
    let first = tokio::spawn({
        let c = c.clone();
        async move { c.get("/").send().await.text() }
    });
    let second = c.get("/").send().await.text();
    assert_eq!(first.await.unwrap(), "together");
    assert_eq!(second, "together");
}

#[tokio::test]
async fn request_url_says_https_behind_a_trusted_proxy() {
    #[flask::view]
    async fn page() -> Result<Html<String>, Error> {
        flask::render_template_string(
            "{{ request.url }} {{ request.scheme }} {{ request.is_secure }}",
            (),
        )
    }
    let behind_proxy = Flask::new("proxied")
        .configure(|c| c.set("PROXY_FIX_X_PROTO", 1))
        .route("/page", get(page))
        .test_client();
    let text = behind_proxy
        .get("/page?a=1")
        .header("X-Forwarded-Proto", "https")
        .send()
        .await
        .text();
    assert_eq!(text, "https://localhost/page?a=1 https True");
    assert_eq!(
        behind_proxy.get("/page").send().await.text(),
        "http://localhost/page http False"
    );
    // Without PROXY_FIX_X_PROTO anyone can send the header: it is ignored.
    let direct = Flask::new("direct").route("/page", get(page)).test_client();
    let text = direct
        .get("/page")
        .header("X-Forwarded-Proto", "https")
        .send()
        .await
        .text();
    assert_eq!(text, "http://localhost/page http False");
}

#[tokio::test]
async fn extensions_ship_templates_the_app_can_override() {
    struct Shipping;
    impl flask::Extension for Shipping {
        fn name(&self) -> &'static str {
            "shipping"
        }
        fn init_app(&self, app: &mut flask::Setup) -> Result<(), flask::SetupError> {
            app.template_source("shipped/layout.html", "<main>{% block body %}{% endblock %}</main>")
                .template_source("shipped/page.html", "{% extends 'shipped/layout.html' %}{% block body %}shipped {{ user }}{% endblock %}")
                .template_source("shipped/other.html", "first");
            app.template_source("shipped/other.html", "second");
            Ok(())
        }
    }
    let dir = root(
        "shipped",
        &[(
            "templates/shipped/layout.html",
            "<section>{% block body %}{% endblock %}</section>",
        )],
    );
    let c = app(&dir)
        .extension(Shipping)
        .route("/<path:name>", get(page))
        .test_client();
    // The app's own layout wins over the shipped one; the shipped page is found; escaped.
    assert_eq!(
        c.get("/shipped/page.html").send().await.text(),
        "<section>shipped &lt;b&gt;ada&lt;/b&gt;</section>"
    );
    assert_eq!(c.get("/shipped/other.html").send().await.text(), "second");
}
