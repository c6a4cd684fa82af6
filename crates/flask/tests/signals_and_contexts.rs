//! Flask's signals, `teardown_appcontext`, `app.app_context()` and
//! `app.test_request_context()`.

use std::sync::{Arc, Mutex};

use flask::routing::get;
use flask::signals::Signal;
use flask::{Error, Flask, RequestContext, Session, render_template_string};

type Log = Arc<Mutex<Vec<String>>>;

/// A receiver that writes down each signal, briefly.
fn recorder(log: &Log) -> impl Fn(&Signal<'_>) + Send + Sync + 'static {
    let log = log.clone();
    move |signal: &Signal<'_>| {
        let line = match signal {
            Signal::RequestStarted => "request_started".to_owned(),
            Signal::RequestFinished { response } => {
                format!("request_finished {}", response.status().as_u16())
            }
            Signal::GotRequestException { error } => format!(
                "got_request_exception {}",
                error.source().map(ToString::to_string).unwrap_or_default()
            ),
            Signal::BeforeRenderTemplate { template, context } => format!(
                "before_render_template {} name={}",
                template.unwrap_or("(string)"),
                context
                    .get_attr("name")
                    .map(|v| v.to_string())
                    .unwrap_or_default()
            ),
            Signal::TemplateRendered { template, .. } => {
                format!("template_rendered {}", template.unwrap_or("(string)"))
            }
            Signal::MessageFlashed { message, category } => {
                format!("message_flashed {category}: {message}")
            }
            Signal::RequestTearingDown { error } => {
                format!("request_tearing_down {}", error.is_some())
            }
            Signal::AppcontextTearingDown { error } => {
                format!("appcontext_tearing_down {}", error.is_some())
            }
            other => format!("{other:?}"),
        };
        log.lock().unwrap().push(line);
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the disk is full")]
struct DiskFull;

#[flask::view]
async fn page(session: Session) -> Result<flask::Html<String>, Error> {
    session.flash("saved", "info");
    render_template_string("Hello {{ name }}", flask::context! { name => "ada" })
}

#[flask::view]
async fn broken() -> Result<&'static str, Error> {
    Err(Error::internal(DiskFull))
}

fn app(log: &Log) -> Flask {
    let teardowns = log.clone();
    Flask::new("signals")
        .configure(|c| c.set("SECRET_KEY", "a secret key that is long enough to sign"))
        .route("/", get(page))
        .route("/broken", get(broken))
        .connect(recorder(log))
        .teardown_appcontext(move |_app, error: Option<Error>| {
            let log = teardowns.clone();
            async move {
                log.lock()
                    .unwrap()
                    .push(format!("teardown_appcontext {}", error.is_some()));
            }
        })
}

#[tokio::test]
async fn signals_follow_a_request_in_flasks_order() {
    let log = Log::default();
    let c = app(&log).test_client();
    assert_eq!(c.get("/").send().await.text(), "Hello ada");
    assert_eq!(
        *log.lock().unwrap(),
        [
            "request_started",
            "message_flashed info: saved",
            "before_render_template (string) name=ada",
            "template_rendered (string)",
            "request_finished 200",
            "request_tearing_down false",
            "teardown_appcontext false",
            "appcontext_tearing_down false",
        ]
    );
}

#[tokio::test]
async fn an_unhandled_failure_is_signalled_and_reaches_teardown_appcontext() {
    let log = Log::default();
    let c = app(&log).test_client();
    assert_eq!(c.get("/broken").send().await.status(), 500);
    assert_eq!(
        *log.lock().unwrap(),
        [
            "request_started",
            "got_request_exception the disk is full",
            "request_finished 500",
            "request_tearing_down true",
            "teardown_appcontext true",
            "appcontext_tearing_down true",
        ]
    );
    // An HTTP error is no exception: nothing is signalled for a 404.
    log.lock().unwrap().clear();
    assert_eq!(c.get("/nowhere").send().await.status(), 404);
    assert!(
        !log.lock()
            .unwrap()
            .iter()
            .any(|l| l.starts_with("got_request")),
        "{:?}",
        log.lock().unwrap()
    );
}

#[tokio::test]
async fn a_receiver_that_panics_does_not_fail_the_request() {
    let c = Flask::new("panicky")
        .route("/", get(|| async { "fine" }))
        .connect(|signal: &Signal<'_>| {
            if matches!(signal, Signal::RequestStarted) {
                panic!("receiver bug");
            }
        })
        .test_client();
    let r = c.get("/").send().await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text(), "fine");
}

#[tokio::test]
async fn app_context_and_cli_commands_run_teardown_appcontext() {
    let log = Log::default();
    let app = app(&log)
        .command(
            clap::Command::new("hello"),
            |ctx: flask::cli::CliContext| async move {
                ctx.echo("hi");
                Ok(())
            },
        )
        .build()
        .unwrap();
    let answer = app.app_context(async { 42 }).await;
    assert_eq!(answer, 42);
    assert_eq!(
        *log.lock().unwrap(),
        ["teardown_appcontext false", "appcontext_tearing_down false"]
    );
    log.lock().unwrap().clear();
    let result = app.test_cli_runner().invoke(&["hello"]).await;
    assert_eq!(result.code, 0, "{}", result.output);
    assert_eq!(
        *log.lock().unwrap(),
        ["teardown_appcontext false", "appcontext_tearing_down false"]
    );
}

#[tokio::test]
async fn test_request_context_matches_the_url_without_handling_it() {
    #[flask::view]
    async fn show_post() -> &'static str {
        "not called"
    }
    let app = Flask::new("blog")
        .configure(|c| c.set("SECRET_KEY", "a secret key that is long enough to sign"))
        .route("/post/<int:id>", get(show_post))
        .build()
        .unwrap();
    let ctx = app.test_request_context("/post/7?page=2").await;
    assert_eq!(ctx.endpoint(), Some("show_post"));
    assert_eq!(ctx.path(), "/post/7");
    assert_eq!(ctx.uri().query(), Some("page=2"));
    assert_eq!(ctx.view_args()[0].1.to_string(), "7");
    assert_eq!(
        ctx.url_for("show_post").value("id", 8).build().unwrap(),
        "/post/8"
    );
    // Code run in its scope sees it as the current request.
    let page = ctx
        .scope(async {
            let current = RequestContext::try_current().expect("inside the scope");
            current.session().unwrap().insert("seen", true);
            render_template_string("{{ request.path }} {{ session.seen }}", flask::context! {})
        })
        .await
        .unwrap();
    assert_eq!(page.0, "/post/7 True");
    assert!(RequestContext::try_current().is_none());
    // A cookie in the request is read as the session.
    let mut req = http::Request::new(());
    *req.uri_mut() = "/post/1".parse().unwrap();
    let unknown = app.request_context(req).await;
    assert_eq!(unknown.session().unwrap().get::<bool>("seen"), None);
}
