//! The Extension trait: setup, state, routes, hooks, layers, startup tasks, dependencies.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use flask::routing::get;
use flask::{Ext, Extension, Flask, RequestContext, Setup, SetupError, State};

/// Counts requests; adds a route and an after_request header.
struct Counter {
    hits: AtomicUsize,
}

impl Extension for Counter {
    fn name(&self) -> &'static str {
        "counter"
    }
    fn init_app(&self, setup: &mut Setup<'_>) -> Result<(), SetupError> {
        setup.config_mut().set_default("COUNTER_HEADER", "X-Hits");
        let header: String = setup.config().get("COUNTER_HEADER")?.unwrap_or_default();
        setup.state(CounterHeader(header.clone()));
        setup.route("/_hits", get(hits));
        setup.after_request(move |ctx: RequestContext, mut resp: flask::Response| {
            let header = header.clone();
            async move {
                let counter = ctx.app().extension::<Counter>().unwrap();
                let n = counter.hits.fetch_add(1, Ordering::SeqCst) + 1;
                let name = axum::http::HeaderName::from_bytes(header.as_bytes()).unwrap();
                resp.headers_mut().insert(name, n.into());
                resp
            }
        });
        Ok(())
    }
}

struct CounterHeader(String);

#[flask::view]
async fn hits(c: Ext<Counter>, h: State<CounterHeader>) -> String {
    format!("{} {}", h.0.0, c.hits.load(Ordering::SeqCst))
}

/// Needs Counter.
struct Report;

impl Extension for Report {
    fn name(&self) -> &'static str {
        "report"
    }
    fn init_app(&self, setup: &mut Setup<'_>) -> Result<(), SetupError> {
        let counter = setup.require::<Counter>()?;
        setup.on_startup(move |_app| async move {
            counter.hits.fetch_add(100, Ordering::SeqCst);
            Ok(())
        });
        Ok(())
    }
}

fn counter() -> Counter {
    Counter {
        hits: AtomicUsize::new(0),
    }
}

#[tokio::test]
async fn an_extension_adds_config_state_routes_and_hooks() {
    let c = Flask::new("ext")
        .extension(counter())
        .route("/", get(|| async { "home" }))
        .test_client();
    let r = c.get("/").send().await;
    assert_eq!(r.header("x-hits"), Some("1"));
    assert_eq!(c.get("/_hits").send().await.text(), "X-Hits 1");
    let rules = c.app().rules();
    let hits = rules.iter().find(|r| r.rule == "/_hits").unwrap();
    assert_eq!(
        (hits.endpoint.as_str(), hits.owner.as_str()),
        ("hits", "counter")
    );
    assert_eq!(c.app().extension_names(), ["counter"]);
}

#[tokio::test]
async fn config_set_by_the_app_wins_over_extension_defaults() {
    let c = Flask::new("ext")
        .configure(|c| c.set("COUNTER_HEADER", "X-Count"))
        .extension(counter())
        .test_client();
    assert_eq!(c.get("/_hits").send().await.text(), "X-Count 0");
}

#[tokio::test]
async fn a_missing_dependency_is_a_startup_error_naming_both() {
    let e = Flask::new("ext").extension(Report).build().unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("report needs the extension"), "{msg}");
    assert!(msg.contains("Counter"), "{msg}");
    assert!(msg.contains("add .extension(..)"), "{msg}");
}

#[tokio::test]
async fn dependencies_resolve_in_any_order_and_startup_runs_before_the_first_request() {
    let c = Flask::new("ext")
        .extension(Report)
        .extension(counter())
        .test_client();
    assert_eq!(c.get("/_hits").send().await.text(), "X-Hits 100");
}

#[tokio::test]
async fn a_failing_startup_task_is_reported() {
    let app = Flask::new("ext")
        .on_startup(|_| async { Err("cannot reach the database".into()) })
        .build()
        .unwrap();
    let e = app.startup().await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "startup task of app failed: cannot reach the database"
    );
}

#[tokio::test]
async fn missing_state_or_extension_is_a_clear_500() {
    let c = Flask::new("ext")
        .configure(|c| c.set("DEBUG", true))
        .route(
            "/",
            get(|s: State<CounterHeader>| async move { s.0.0.clone() }),
        )
        .test_client();
    let r = c.get("/").send().await;
    assert_eq!(r.status(), 500);
    assert!(r.text().contains("no app state of type"), "{}", r.text());
    assert!(r.text().contains("CounterHeader"), "{}", r.text());
}

#[tokio::test]
async fn tower_layers_wrap_the_app() {
    use tower::ServiceBuilder;
    let seen = Arc::new(AtomicUsize::new(0));
    let s2 = seen.clone();
    let layer = ServiceBuilder::new().map_request(move |req: axum::extract::Request| {
        s2.fetch_add(1, Ordering::SeqCst);
        req
    });
    let c = Flask::new("layers")
        .route("/", get(|| async { "ok" }))
        .layer(layer)
        .test_client();
    assert_eq!(c.get("/").send().await.text(), "ok");
    assert_eq!(c.get("/missing").send().await.status(), 404);
    assert_eq!(seen.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn registering_an_extension_twice_is_an_error() {
    let e = Flask::new("ext")
        .extension(counter())
        .extension(counter())
        .build()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "the extension counter is registered twice: register it once"
    );
}

/// Turns every 404 into JSON, app-wide.
struct JsonErrors;

impl Extension for JsonErrors {
    fn name(&self) -> &'static str {
        "json-errors"
    }
    fn init_app(&self, setup: &mut Setup<'_>) -> Result<(), SetupError> {
        setup.errorhandler(404, |err: flask::Error| async move {
            (
                err.status(),
                flask::Json(serde_json::json!({"error": err.name()})),
            )
        });
        Ok(())
    }
}

#[tokio::test]
async fn extensions_can_add_error_handlers() {
    let c = Flask::new("ext").extension(JsonErrors).test_client();
    let r = c.get("/nope").send().await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<serde_json::Value>()["error"], "Not Found");
}

/// Records the order hooks run in, by name.
struct Order(&'static str, Arc<std::sync::Mutex<Vec<String>>>);

impl Extension for Order {
    fn name(&self) -> &'static str {
        "order"
    }
    fn init_app(&self, setup: &mut Setup<'_>) -> Result<(), SetupError> {
        let (name, log) = (self.0, self.1.clone());
        let before = log.clone();
        setup.before_request(move || {
            let log = before.clone();
            async move { log.lock().unwrap().push(format!("before {name}")) }
        });
        let after = log.clone();
        setup.after_request(move |_ctx: RequestContext, resp: flask::Response| {
            let log = after.clone();
            async move {
                log.lock().unwrap().push(format!("after {name}"));
                resp
            }
        });
        setup.teardown_request(move |_ctx: RequestContext, _e: Option<flask::Error>| {
            let log = log.clone();
            async move { log.lock().unwrap().push(format!("teardown {name}")) }
        });
        Ok(())
    }
}

#[tokio::test]
async fn extension_hooks_wrap_the_apps_own_as_init_app_does_in_flask() {
    let log: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let (b, a, t) = (log.clone(), log.clone(), log.clone());
    let client = Flask::new("order")
        .before_request(move || {
            let log = b.clone();
            async move { log.lock().unwrap().push("before app".to_owned()) }
        })
        .after_request(move |_ctx: RequestContext, resp: flask::Response| {
            let log = a.clone();
            async move {
                log.lock().unwrap().push("after app".to_owned());
                resp
            }
        })
        .teardown_request(move |_ctx: RequestContext, _e: Option<flask::Error>| {
            let log = t.clone();
            async move { log.lock().unwrap().push("teardown app".to_owned()) }
        })
        .extension(Order("ext", log.clone()))
        .route("/", get(|| async { "ok" }))
        .test_client();
    client.get("/").send().await;
    assert_eq!(
        *log.lock().unwrap(),
        [
            "before ext",
            "before app",
            "after app",
            "after ext",
            "teardown app",
            "teardown ext"
        ]
    );
}

/// Records the order tasks ran in.
#[derive(Clone, Default)]
struct Ran(Arc<std::sync::Mutex<Vec<&'static str>>>);

impl Ran {
    fn push(&self, what: &'static str) {
        self.0.lock().unwrap().push(what);
    }
    fn list(&self) -> Vec<&'static str> {
        self.0.lock().unwrap().clone()
    }
}

struct Tables(Ran);

impl Extension for Tables {
    fn name(&self) -> &'static str {
        "tables"
    }
    fn init_app(&self, setup: &mut Setup<'_>) -> Result<(), SetupError> {
        let (a, b) = (self.0.clone(), self.0.clone());
        setup.on_startup(move |_| async move {
            a.push("ext connects");
            Ok(())
        });
        setup.on_serve(move |_| async move {
            b.push("ext makes tables");
            Ok(())
        });
        Ok(())
    }
}

#[tokio::test]
async fn the_apps_own_tasks_run_after_the_extensions() {
    let ran = Ran::default();
    let (a, b) = (ran.clone(), ran.clone());
    // Registered before the extension, run after it: a seeding task finds its tables.
    let app = Flask::new("order")
        .on_startup(move |_| async move {
            a.push("app startup");
            Ok(())
        })
        .on_serve(move |_| async move {
            b.push("app seeds");
            Ok(())
        })
        .extension(Tables(ran.clone()))
        .build()
        .unwrap();
    // A CLI command runs the startup tasks only.
    let out = app.test_cli_runner().invoke(&["routes"]).await;
    assert_eq!(out.code, 0, "{}", out.output);
    assert_eq!(ran.list(), ["ext connects", "app startup"]);
    // Serving runs the serve tasks too, once.
    app.startup().await.unwrap();
    app.startup().await.unwrap();
    assert_eq!(
        ran.list(),
        [
            "ext connects",
            "app startup",
            "ext makes tables",
            "app seeds"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_startup_waits_for_the_first() {
    let release = Arc::new(tokio::sync::Notify::new());
    let done = Arc::new(AtomicUsize::new(0));
    let app = Flask::new("waits")
        .on_serve({
            let (release, done) = (release.clone(), done.clone());
            move |_| async move {
                release.notified().await;
                done.store(1, Ordering::SeqCst);
                Ok(())
            }
        })
        .build()
        .unwrap();
    let first = tokio::spawn({
        let app = app.clone();
        async move { app.startup().await.unwrap() }
    });
    // The second caller returns only once the task has finished.
    let second = tokio::spawn({
        let (app, done) = (app.clone(), done.clone());
        async move {
            app.startup().await.unwrap();
            done.load(Ordering::SeqCst)
        }
    });
    tokio::task::yield_now().await;
    release.notify_one();
    first.await.unwrap();
    assert_eq!(second.await.unwrap(), 1, "the second startup did not wait");
}
