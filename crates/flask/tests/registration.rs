//! One registration surface: what a blueprint registers on the whole app (`app_` methods),
//! URL value functions, the catch-all error handlers, a blueprint registered twice, and an
//! extension using the same methods as the app.

use flask::routing::{UrlValues, ViewArgs, get};
use flask::{
    Blueprint, Error, Extension, Flask, G, Html, RequestContext, Setup, SetupError, StatusCode,
    abort, render_template_string,
};

#[flask::view]
async fn index() -> &'static str {
    "index"
}

#[tokio::test]
async fn a_blueprints_app_hooks_run_for_every_request() {
    #[derive(Clone)]
    struct Seen(&'static str);
    #[flask::view]
    async fn show(g: G) -> String {
        g.get::<Seen>().map_or("-", |s| s.0).to_owned()
    }
    async fn not_found() -> (StatusCode, &'static str) {
        (StatusCode::NOT_FOUND, "the admin blueprint's 404 page")
    }
    #[flask::view]
    async fn page() -> Result<Html<String>, Error> {
        render_template_string(
            "{{ 'x'|shout }} {{ 'ada' is short }} {{ motd() }} {{ year }}",
            flask::context! {},
        )
    }
    let admin = Blueprint::new("admin")
        .url_prefix("/admin")
        .route("/", get(index))
        .before_app_request(|g: G| async move {
            g.insert(Seen("admin's hook"));
        })
        .after_app_request(
            |_ctx: RequestContext, mut resp: flask::Response| async move {
                resp.headers_mut()
                    .insert("x-admin", flask::HeaderValue::from_static("1"));
                resp
            },
        )
        .app_errorhandler(404, not_found)
        .app_context_processor(|_: &RequestContext| flask::context! { year => 2026 })
        .app_template_filter("shout", |s: String| s.to_uppercase())
        .app_template_test("short", |s: String| s.len() < 4)
        .app_template_global("motd", || "hello");
    let c = Flask::new("app")
        .route("/", get(show))
        .route("/page", get(page))
        .blueprint(admin)
        .test_client();
    // A rule of the app, outside the blueprint: the blueprint's app-wide hooks ran.
    let r = c.get("/").send().await;
    assert_eq!(r.text(), "admin's hook");
    assert_eq!(r.header("x-admin"), Some("1"));
    let r = c.get("/nowhere").send().await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.text(), "the admin blueprint's 404 page");
    assert_eq!(c.get("/page").send().await.text(), "X True hello 2026");
}

#[tokio::test]
async fn url_value_preprocessors_and_url_defaults_carry_a_language_code() {
    #[derive(Clone)]
    struct Lang(String);
    #[flask::view]
    async fn about(g: G, ctx: RequestContext) -> Result<String, Error> {
        let lang = g.get::<Lang>().map(|l| l.0).unwrap_or_default();
        // The preprocessor took the value out: the view does not see it.
        let args: Vec<String> = ctx
            .view_args()
            .iter()
            .map(|(k, _)| (*k).to_owned())
            .collect();
        let home = ctx.url_for(".index").build().map_err(Error::internal)?;
        Ok(format!("{lang} {args:?} {home}"))
    }
    let pages = Blueprint::new("pages")
        .url_prefix("/<lang_code>")
        .route("/", get(index))
        .route("/about", get(about))
        .url_defaults(|_endpoint: &str, values: &mut UrlValues<'_>| {
            if let Some(ctx) = RequestContext::try_current()
                && let Some(lang) = ctx.g().get::<Lang>()
            {
                values.set_default("lang_code", lang.0);
            }
        })
        .url_value_preprocessor(|ctx: &RequestContext, values: &mut ViewArgs| {
            if let Some(code) = values.remove("lang_code") {
                ctx.g().insert(Lang(code.to_string()));
            }
        });
    let c = Flask::new("i18n").blueprint(pages).test_client();
    assert_eq!(c.get("/fr/about").send().await.text(), "fr [] /fr/");
    assert_eq!(c.get("/de/about").send().await.text(), "de [] /de/");
}

#[tokio::test]
async fn catch_all_error_handlers_follow_flasks_order() {
    #[derive(Debug, thiserror::Error)]
    #[error("disk full")]
    struct DiskFull;
    #[derive(Debug, thiserror::Error)]
    #[error("other")]
    struct Other;
    #[flask::view]
    async fn disk() -> Result<&'static str, Error> {
        Err(Error::internal(DiskFull))
    }
    #[flask::view]
    async fn other() -> Result<&'static str, Error> {
        Err(Error::internal(Other))
    }
    #[flask::view]
    async fn teapot() -> Result<&'static str, Error> {
        Err(abort(418))
    }
    #[flask::view]
    async fn gone() -> Result<&'static str, Error> {
        Err(abort(410))
    }
    async fn any(err: Error) -> (StatusCode, String) {
        (err.status(), format!("any: {}", err.code()))
    }
    async fn http(err: Error) -> (StatusCode, String) {
        (err.status(), format!("http: {}", err.code()))
    }
    async fn disk_full() -> (StatusCode, &'static str) {
        (StatusCode::INSUFFICIENT_STORAGE, "disk full")
    }
    async fn gone_page() -> (StatusCode, &'static str) {
        (StatusCode::GONE, "gone page")
    }
    let app = || {
        Flask::new("errors")
            .route("/disk", get(disk))
            .route("/other", get(other))
            .route("/teapot", get(teapot))
            .route("/gone", get(gone))
            .errorhandler_for::<DiskFull, _, _>(disk_full)
            .errorhandler(410, gone_page)
    };
    // errorhandler(Exception): every error no more specific handler takes.
    let c = app().errorhandler_any(any).test_client();
    assert_eq!(c.get("/disk").send().await.text(), "disk full");
    assert_eq!(c.get("/other").send().await.text(), "any: 500");
    assert_eq!(c.get("/gone").send().await.text(), "gone page");
    assert_eq!(c.get("/teapot").send().await.text(), "any: 418");
    assert_eq!(c.get("/nowhere").send().await.text(), "any: 404");
    // errorhandler(HTTPException): every status; a failure reaches it as a 500.
    let c = app().errorhandler_http(http).test_client();
    assert_eq!(c.get("/other").send().await.text(), "http: 500");
    assert_eq!(c.get("/teapot").send().await.text(), "http: 418");
    assert_eq!(c.get("/gone").send().await.text(), "gone page");
    // Both: an HTTP error goes to the HTTP one, a failure to the catch-all.
    let c = app()
        .errorhandler_http(http)
        .errorhandler_any(any)
        .test_client();
    assert_eq!(c.get("/other").send().await.text(), "any: 500");
    assert_eq!(c.get("/teapot").send().await.text(), "http: 418");
}

#[tokio::test]
async fn one_blueprint_registered_twice_under_two_names() {
    #[flask::view]
    async fn here(ctx: RequestContext) -> String {
        format!(
            "{} {}",
            ctx.endpoint().unwrap_or("-"),
            ctx.url_for(".index").build().unwrap_or_default()
        )
    }
    let api = Blueprint::new("api").route("/", get(here).endpoint("index"));
    let c = Flask::new("versions")
        .blueprint(api.clone().url_prefix("/v1"))
        .blueprint(api.clone().registered_as("v2").url_prefix("/v2"))
        .test_client();
    assert_eq!(c.get("/v1/").send().await.text(), "api.index /v1/");
    assert_eq!(c.get("/v2/").send().await.text(), "v2.index /v2/");
    // The same name twice is still refused, with Flask's advice.
    let err = Flask::new("twice")
        .blueprint(api.clone())
        .blueprint(api)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("registered twice"), "{err}");
}

/// An extension registers through the very methods the app has.
struct Everything;

impl Extension for Everything {
    fn name(&self) -> &'static str {
        "everything"
    }
    fn init_app(&self, setup: &mut Setup<'_>) -> Result<(), SetupError> {
        #[flask::view]
        async fn teapot() -> Result<&'static str, Error> {
            Err(abort(418))
        }
        async fn http(err: Error) -> (StatusCode, String) {
            (err.status(), format!("extension's page for {}", err.code()))
        }
        #[flask::view]
        async fn tested() -> Result<Html<String>, Error> {
            render_template_string("{{ 7 is lucky }}", flask::context! {})
        }
        setup
            .route("/teapot", flask::routing::get(teapot))
            .route("/tested", flask::routing::get(tested))
            .template_test("lucky", |n: i64| n == 7)
            .errorhandler_http(http)
            .url_defaults(|_endpoint: &str, values: &mut UrlValues<'_>| {
                values.set_default("from", "extension");
            });
        Ok(())
    }
}

#[tokio::test]
async fn an_extension_registers_with_the_apps_methods() {
    let app = Flask::new("ext")
        .route("/", get(index))
        .extension(Everything)
        .build()
        .unwrap();
    let c = app.test_client();
    assert_eq!(
        c.get("/teapot").send().await.text(),
        "extension's page for 418"
    );
    assert_eq!(c.get("/tested").send().await.text(), "True");
    assert_eq!(
        app.url_for("index").relative().build().unwrap(),
        "/?from=extension"
    );
    let owners: Vec<(String, String)> =
        app.rules().into_iter().map(|r| (r.rule, r.owner)).collect();
    assert!(
        owners.contains(&("/teapot".to_owned(), "everything".to_owned())),
        "{owners:?}"
    );
    assert!(
        owners.contains(&("/".to_owned(), "app".to_owned())),
        "{owners:?}"
    );
}

#[test]
fn config_from_envvar_loads_the_named_file() {
    // Environment variables are the process's: the test runs itself again with one set.
    if let Some(file) = std::env::var_os("REGISTRATION_TEST_SETTINGS") {
        let app = Flask::new("env")
            .config_from_envvar("REGISTRATION_TEST_SETTINGS")
            .build()
            .unwrap();
        assert_eq!(app.config().get_str("GREETING"), Some("hi"), "{file:?}");
        return;
    }
    let dir = std::env::temp_dir().join(format!("flask-envvar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("settings.toml");
    std::fs::write(&file, "GREETING = \"hi\"\n").unwrap();
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "config_from_envvar_loads_the_named_file",
            "--quiet",
        ])
        .env("REGISTRATION_TEST_SETTINGS", &file)
        .status()
        .unwrap();
    assert!(status.success(), "the run with the variable set failed");
    std::fs::remove_dir_all(dir).ok();
    let err = Flask::new("env")
        .config_from_envvar("REGISTRATION_TEST_UNSET")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("REGISTRATION_TEST_UNSET"), "{err}");
}
