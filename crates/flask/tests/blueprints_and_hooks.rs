//! Blueprints (nested, prefixes, endpoint names) and the order hooks run in.

use std::sync::{Arc, Mutex};

use axum::response::Response;
use flask::routing::get;
use flask::{Blueprint, Error, Flask, G, RequestContext, StatusCode, abort};

type Log = Arc<Mutex<Vec<String>>>;

#[flask::view]
async fn view(ctx: RequestContext, g: G) -> String {
    let trail = g.get::<Vec<String>>().unwrap_or_default().join(",");
    format!(
        "{} {} [{trail}]",
        ctx.endpoint().unwrap(),
        ctx.blueprint().unwrap_or("-")
    )
}

fn before(
    log: &Log,
    name: &'static str,
) -> impl Fn(G) -> std::future::Ready<()> + Clone + Send + Sync + 'static {
    let log = log.clone();
    move |g: G| {
        log.lock().unwrap().push(format!("before {name}"));
        let mut trail = g.get::<Vec<String>>().unwrap_or_default();
        trail.push(name.to_owned());
        g.insert(trail);
        std::future::ready(())
    }
}

fn after(
    log: &Log,
    name: &'static str,
) -> impl Fn(RequestContext, Response) -> std::future::Ready<Response> + Send + Sync + 'static {
    let log = log.clone();
    move |_, resp| {
        log.lock().unwrap().push(format!("after {name}"));
        std::future::ready(resp)
    }
}

fn teardown(
    log: &Log,
    name: &'static str,
) -> impl Fn(RequestContext, Option<Error>) -> std::future::Ready<()> + Send + Sync + 'static {
    let log = log.clone();
    move |_, err| {
        log.lock()
            .unwrap()
            .push(format!("teardown {name} {}", err.map_or(0, |e| e.code())));
        std::future::ready(())
    }
}

#[flask::view]
async fn fails() -> Result<&'static str, Error> {
    Err("disk full")?
}

fn app(log: &Log) -> Flask {
    let child = Blueprint::new("child")
        .url_prefix("/child")
        .route("/", get(view))
        .before_request(before(log, "child"))
        .after_request(after(log, "child"))
        .teardown_request(teardown(log, "child"));
    let parent = Blueprint::new("parent")
        .url_prefix("/parent")
        .route("/view", get(view))
        .route("/fails", get(fails))
        .before_request(before(log, "parent"))
        .after_request(after(log, "parent"))
        .teardown_request(teardown(log, "parent"))
        .blueprint(child);
    Flask::new("hooks")
        .route("/", get(view))
        .before_request(before(log, "app1"))
        .before_request(before(log, "app2"))
        .after_request(after(log, "app1"))
        .after_request(after(log, "app2"))
        .teardown_request(teardown(log, "app"))
        .blueprint(parent)
}

#[tokio::test]
async fn nested_blueprints_names_and_prefixes() {
    let log = Log::default();
    let app = app(&log).build().unwrap();
    let c = app.test_client();
    assert_eq!(
        c.get("/parent/child/").send().await.text(),
        "parent.child.view parent.child [app1,app2,parent,child]"
    );
    assert_eq!(
        c.get("/parent/view").send().await.text(),
        "parent.view parent [app1,app2,parent]"
    );
    assert_eq!(c.get("/").send().await.text(), "view - [app1,app2]");
    let rules: Vec<_> = app
        .rules()
        .into_iter()
        .map(|r| (r.rule, r.endpoint))
        .collect();
    assert!(rules.contains(&("/parent/child/".to_owned(), "parent.child.view".to_owned())));
    assert_eq!(
        app.url_for("parent.child.view").relative().build().unwrap(),
        "/parent/child/"
    );
}

#[tokio::test]
async fn hooks_run_in_flasks_order() {
    let log = Log::default();
    let c = app(&log).test_client();
    c.get("/parent/child/").send().await;
    assert_eq!(
        *log.lock().unwrap(),
        [
            "before app1",
            "before app2",
            "before parent",
            "before child",
            "after child",
            "after parent",
            "after app2",
            "after app1",
            "teardown child 0",
            "teardown parent 0",
            "teardown app 0",
        ]
    );
    log.lock().unwrap().clear();
    // A 404 has no blueprint: only the app's hooks run. As in Flask, teardown gets only
    // failures that are not HTTP errors.
    c.get("/nowhere").send().await;
    assert_eq!(
        *log.lock().unwrap(),
        [
            "before app1",
            "before app2",
            "after app2",
            "after app1",
            "teardown app 0"
        ]
    );
    log.lock().unwrap().clear();
    c.get("/parent/fails").send().await;
    assert_eq!(
        *log.lock().unwrap(),
        [
            "before app1",
            "before app2",
            "before parent",
            "after parent",
            "after app2",
            "after app1",
            "teardown parent 500",
            "teardown app 500",
        ]
    );
}

#[tokio::test]
async fn before_request_can_answer_and_after_request_still_runs() {
    let log = Log::default();
    let c = Flask::new("early")
        .route("/", get(view))
        .route("/admin", get(view).endpoint("admin"))
        .before_request(|ctx: RequestContext| async move {
            if ctx.path() == "/admin" {
                Err(abort(403))
            } else {
                Ok(())
            }
        })
        .before_request(|ctx: RequestContext| async move {
            (ctx.path() == "/").then_some((StatusCode::IM_A_TEAPOT, "short-circuit"))
        })
        .after_request(after(&log, "app"))
        .test_client();
    let r = c.get("/admin").send().await;
    assert_eq!(r.status(), 403);
    let r = c.get("/").send().await;
    assert_eq!(r.status(), 418);
    assert_eq!(r.text(), "short-circuit");
    assert_eq!(*log.lock().unwrap(), ["after app", "after app"]);
}

#[tokio::test]
async fn after_request_can_change_the_response() {
    let c = Flask::new("after")
        .route("/", get(view))
        .after_request(|_ctx, mut resp: Response| async move {
            resp.headers_mut()
                .insert("x-frame-options", "DENY".parse().unwrap());
            resp
        })
        .test_client();
    assert_eq!(
        c.get("/").send().await.header("x-frame-options"),
        Some("DENY")
    );
    assert_eq!(
        c.get("/missing").send().await.header("x-frame-options"),
        Some("DENY")
    );
}

#[tokio::test]
async fn blueprint_names_are_checked() {
    let e = Flask::new("x")
        .blueprint(Blueprint::new("a.b"))
        .build()
        .unwrap_err();
    assert!(
        e.to_string().contains("must not be empty or contain a dot"),
        "{e}"
    );
    let e = Flask::new("x")
        .blueprint(Blueprint::new("a"))
        .blueprint(Blueprint::new("a"))
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("registered twice"), "{e}");
}

#[tokio::test]
async fn teardown_this_request_runs_once_for_its_request_before_the_hooks() {
    let log = Log::default();
    let per_request = log.clone();
    let failing = log.clone();
    let c = Flask::new("this")
        .route(
            "/",
            get(move |ctx: RequestContext| {
                let log = per_request.clone();
                async move {
                    for name in ["first", "second"] {
                        let log = log.clone();
                        ctx.teardown_this_request(move |err| async move {
                            log.lock()
                                .unwrap()
                                .push(format!("this {name} {}", err.map_or(0, |e| e.code())));
                        });
                    }
                    "registered"
                }
            }),
        )
        .route(
            "/fails",
            get(move |ctx: RequestContext| {
                let log = failing.clone();
                async move {
                    ctx.teardown_this_request(move |err| async move {
                        log.lock()
                            .unwrap()
                            .push(format!("this fails {}", err.map_or(0, |e| e.code())));
                    });
                    fails().await
                }
            }),
        )
        .route("/plain", get(|| async { "plain" }))
        .teardown_request(teardown(&log, "app"))
        .test_client();
    assert_eq!(c.get("/").send().await.text(), "registered");
    assert_eq!(
        *log.lock().unwrap(),
        ["this second 0", "this first 0", "teardown app 0"]
    );
    log.lock().unwrap().clear();
    // Another request has none of them.
    assert_eq!(c.get("/plain").send().await.text(), "plain");
    assert_eq!(*log.lock().unwrap(), ["teardown app 0"]);
    log.lock().unwrap().clear();
    // A failure reaches them as it reaches teardown_request hooks.
    assert_eq!(c.get("/fails").send().await.status(), 500);
    assert_eq!(*log.lock().unwrap(), ["this fails 500", "teardown app 500"]);
}

/// Appends `name` to the response's `x-order` header.
fn mark(mut resp: Response, name: &str) -> Response {
    let order = resp
        .headers()
        .get("x-order")
        .map(|v| v.to_str().unwrap_or("").to_owned())
        .unwrap_or_default();
    resp.headers_mut().insert(
        "x-order",
        flask::HeaderValue::from_str(&format!("{order}{name}")).unwrap(),
    );
    resp
}

#[tokio::test]
async fn after_this_request_runs_before_the_after_request_hooks() {
    #[flask::view]
    async fn index(ctx: flask::RequestContext) -> &'static str {
        for name in ["first,", "second,"] {
            ctx.after_this_request(move |resp: Response| async move { mark(resp, name) });
        }
        "index"
    }
    let c = Flask::new("after")
        .route("/", get(index))
        .route("/plain", get(|| async { "plain" }))
        .after_request(|_ctx, resp: Response| async move { mark(resp, "app") })
        .test_client();
    assert_eq!(
        c.get("/").send().await.header("x-order"),
        Some("first,second,app")
    );
    // Only the request that registered them.
    assert_eq!(c.get("/plain").send().await.header("x-order"), Some("app"));
}
