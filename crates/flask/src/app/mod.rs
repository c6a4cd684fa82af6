//! The `Flask` builder and the built `App`.
//!
//! `mod.rs` is the builder, [`build`](build.rs) turns it into an [`App`], and
//! [`service`](service.rs) is the built app and the tower service that answers requests.

use std::any::{Any, TypeId, type_name};
use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use tower::util::BoxCloneSyncService;
use tower::{Layer, Service, ServiceExt};

use crate::config::Config;
use crate::extension::{Extension, SetupError};
use crate::hooks::BoxFuture;
use crate::registrar::{ScopeDef, app_methods, hook_methods, scope_methods, template_methods};
use crate::testing::TestClient;

mod build;
mod service;

pub(crate) use build::Scope;
pub use service::{App, RuleInfo};
pub(crate) use service::{AppInner, respond};

/// A boxed error, for startup tasks and extension errors.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The type-erased service a layer wraps.
pub type Route = BoxCloneSyncService<Request, Response, Infallible>;

type LayerFn = Box<dyn FnOnce(Route) -> Route + Send>;

/// An extension as registered: for `init_app`, and by type for lookups.
type Registered = (
    Arc<dyn Extension>,
    TypeId,
    Arc<dyn Any + Send + Sync>,
    &'static str,
);
pub(crate) type StartupFn = Box<dyn FnOnce(App) -> BoxFuture<'static, Result<(), BoxError>> + Send>;
pub(crate) type ShutdownFn = Box<dyn FnOnce(App) -> BoxFuture<'static, ()> + Send>;
/// A `teardown_appcontext` function.
/// A `shell_context_processor`: names for `shell`'s prompt.
pub(crate) type ShellContextFn = Arc<dyn Fn(&App) -> minijinja::Value + Send + Sync>;

pub(crate) type AppTeardownFn =
    Arc<dyn Fn(App, Option<crate::Error>) -> BoxFuture<'static, ()> + Send + Sync>;

/// A startup or serve task whose error names who registered it.
fn startup_task<F, Fut>(owner: &'static str, task: F) -> StartupFn
where
    F: FnOnce(App) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
{
    Box::new(move |app| {
        Box::pin(async move {
            task(app)
                .await
                .map_err(|e| -> BoxError { format!("startup task of {owner} failed: {e}").into() })
        })
    })
}

/// The app's name and its root folder (for `templates/`, `static/`, `instance/`).
///
/// Use [`app_root!`](crate::app_root!) to take both from the crate being compiled.
#[derive(Debug, Clone)]
pub struct AppRoot {
    name: String,
    root: PathBuf,
}

impl AppRoot {
    /// A name and a root folder.
    pub fn new(name: impl Into<String>, root: impl Into<PathBuf>) -> Self {
        AppRoot {
            name: name.into(),
            root: root.into(),
        }
    }
}

impl From<&str> for AppRoot {
    /// A name; the root is the current directory.
    fn from(name: &str) -> Self {
        AppRoot::new(
            name,
            std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
        )
    }
}

/// The crate's name and manifest folder as an [`AppRoot`]: `Flask::new(flask::app_root!())`.
#[macro_export]
macro_rules! app_root {
    () => {
        $crate::AppRoot::new(env!("CARGO_PKG_NAME"), env!("CARGO_MANIFEST_DIR"))
    };
}

/// The app builder: Flask's `app = Flask(__name__)` plus everything registered on it.
///
/// Add config, extensions, routes, blueprints, hooks and error handlers, then
/// [`build`](Flask::build) it (or call [`cli`](Flask::cli) from `main`, which builds and
/// runs it). Building validates everything once; nothing is looked up by name per request.
///
/// ```
/// use flask::{Flask, Path, routing::get};
///
/// #[flask::view]
/// async fn index() -> &'static str { "Hello, World!" }
/// #[flask::view]
/// async fn show_post(Path(post_id): Path<i64>) -> String { format!("Post {post_id}") }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = Flask::new("hello")
///     .route("/", get(index))
///     .route("/post/<int:post_id>", get(show_post))
///     .build()
///     .unwrap();
/// let client = app.test_client();
/// assert_eq!(client.get("/post/42").send().await.text(), "Post 42");
/// assert_eq!(client.get("/post/abc").send().await.status(), 404);
/// # }
/// ```
pub struct Flask {
    pub(crate) name: String,
    pub(crate) root_path: PathBuf,
    pub(crate) config: Config,
    pub(crate) scope: ScopeDef,
    extensions: Vec<Registered>,
    pub(crate) state: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
    layers: Vec<LayerFn>,
    startup: Vec<StartupFn>,
    serve: Vec<StartupFn>,
    shutdown: Vec<ShutdownFn>,
    errors: Vec<SetupError>,
    pub(crate) template_stream_hooks: Vec<crate::templating::StreamHook>,
    /// The app's static folder and its URL; `None` turns the static route off.
    static_files: Option<(PathBuf, String)>,
    /// Templates compiled into the binary, used instead of the `templates/` folder.
    embedded_templates: Option<crate::embed::EmbeddedSource>,
    /// Static files compiled into the binary, used instead of the static folder.
    embedded_static: Option<crate::embed::EmbeddedSource>,
    session_store: Option<Arc<dyn tower_sessions_core::SessionStore>>,
    /// Sections extensions add to the debug page.
    pub(crate) debug_panels: Vec<(&'static str, crate::dev::panels::PanelFn)>,
    pub(crate) signals: crate::signals::Signals,
    pub(crate) appcontext_teardown: Vec<AppTeardownFn>,
    pub(crate) shell_context: Vec<ShellContextFn>,
    /// Templates extensions ship, searched after the template folders.
    pub(crate) template_sources: Vec<(String, std::borrow::Cow<'static, str>)>,
    pub(crate) converters: crate::routing::converters::CustomConverters,
    /// `Flask(subdomain_matching=True)` / `Flask(host_matching=True, static_host=..)`.
    pub(crate) domain: Domain,
}

/// How rules match the request's host.
#[derive(Debug, Default, Clone)]
pub(crate) enum Domain {
    #[default]
    Off,
    Subdomain,
    Host {
        static_host: String,
    },
}

impl Domain {
    /// A static route, with the static host when hosts are matched.
    pub(crate) fn static_host(
        &self,
        route: crate::routing::MethodHandlers,
    ) -> crate::routing::MethodHandlers {
        match self {
            Domain::Host { static_host } => route.host(static_host),
            _ => route,
        }
    }
}

impl fmt::Debug for Flask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Flask")
            .field("name", &self.name)
            .field("root_path", &self.root_path)
            .field("scope", &self.scope)
            .field(
                "extensions",
                &self
                    .extensions
                    .iter()
                    .map(|e| e.0.name())
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Flask {
    /// A new app: `Flask::new(flask::app_root!())` or `Flask::new("name")`.
    pub fn new(root: impl Into<AppRoot>) -> Self {
        let root = root.into();
        Flask {
            name: root.name,
            root_path: root.root,
            config: Config::new(),
            scope: ScopeDef::default(),
            extensions: Vec::new(),
            state: HashMap::new(),
            layers: Vec::new(),
            startup: Vec::new(),
            serve: Vec::new(),
            shutdown: Vec::new(),
            errors: Vec::new(),
            template_stream_hooks: Vec::new(),
            static_files: Some((PathBuf::from("static"), "/static".to_owned())),
            embedded_templates: None,
            embedded_static: None,
            debug_panels: Vec::new(),
            signals: crate::signals::Signals::default(),
            appcontext_teardown: Vec::new(),
            shell_context: Vec::new(),
            template_sources: Vec::new(),
            converters: Default::default(),
            domain: Domain::Off,
            session_store: None,
        }
    }

    /// Takes the app's templates from a folder compiled into the binary (see
    /// [`flask::embed`](crate::embed)) instead of `templates/` on disk: one file to deploy.
    /// Blueprints' template folders are still read from disk. In debug mode templates still
    /// reload when the app's `templates/` folder changes.
    #[cfg(feature = "embed")]
    pub fn embedded_templates<T: crate::embed::RustEmbed>(mut self) -> Self {
        self.embedded_templates = Some(crate::embed::source::<T>());
        self
    }

    /// Serves the app's static route (`/static/<path:filename>`, or the URL given to
    /// [`static_folder`](Flask::static_folder)) from a folder compiled into the binary, with
    /// the same ETag, Last-Modified, 304 and Range handling as files on disk.
    #[cfg(feature = "embed")]
    pub fn embedded_static<T: crate::embed::RustEmbed>(mut self) -> Self {
        self.embedded_static = Some(crate::embed::source::<T>());
        self
    }

    /// Without a `SECRET_KEY` in the config, reads it from `file` in the instance folder,
    /// making the file with a fresh random key (readable by its owner only) the first time:
    /// the app starts on a fresh machine and keeps its sessions across restarts, as Flask's
    /// tutorial does with `instance/config.py`. This sets `SECRET_KEY_FILE`'s default, so
    /// `FLASK_SECRET_KEY_FILE` can point elsewhere. Several instances need one key:
    /// set `FLASK_SECRET_KEY` for them instead.
    ///
    /// ```
    /// let app = flask::Flask::new("demo").secret_key_file("secret_key");
    /// # let _ = app;
    /// ```
    pub fn secret_key_file(self, file: &str) -> Self {
        self.configure(|c| c.set_default("SECRET_KEY_FILE", file))
    }

    /// Keeps sessions in this tower-sessions store instead of in the signed cookie (Flask's
    /// way and the default; `SESSION_TYPE` picks the memory, SQL or Redis store from the
    /// config). Sessions need `SECRET_KEY`.
    pub fn session_store(mut self, store: impl tower_sessions_core::SessionStore) -> Self {
        self.session_store = Some(Arc::new(store));
        self
    }

    /// Serves a single-page app's built front end (see [`crate::spa`]): its files, and
    /// `index.html` for every path no other rule takes and that does not look like a file
    /// (client-side routes), except under `/api/`, which keeps its 404s.
    pub fn spa(mut self, spa: crate::spa::Spa) -> Self {
        for (rule, handlers) in crate::spa::rules(spa) {
            self.registrar().add_route(rule, handlers);
        }
        self
    }

    /// Where the app's static files are (default `static`, relative to the root) and their
    /// URL (default `/static`): `url_for("static", filename="style.css")`. `None` turns the
    /// static route off.
    pub fn static_folder(mut self, folder: Option<&str>, url_path: &str) -> Self {
        self.static_files =
            folder.map(|f| (PathBuf::from(f), url_path.trim_end_matches('/').to_owned()));
        self
    }

    fn registrar(&mut self) -> &mut ScopeDef {
        &mut self.scope
    }

    fn builder(&mut self) -> &mut Flask {
        self
    }

    #[allow(clippy::unused_self)] // the same call as Setup's, which names its extension
    fn task_owner(&self) -> &'static str {
        "app"
    }

    scope_methods!([mut] Self);
    hook_methods!(
        [mut] Self, app_wide: false, scope: "the app's requests",
        before_request, after_request, teardown_request, errorhandler, errorhandler_for,
        errorhandler_any, errorhandler_http, context_processor, url_value_preprocessor,
        url_defaults
    );
    template_methods!([mut] Self, template_filter, template_test, template_global);
    app_methods!([mut] Self);

    /// Changes the config in code: `.configure(|c| c.set("SECRET_KEY", "dev"))`.
    pub fn configure(mut self, f: impl FnOnce(&mut Config)) -> Self {
        f(&mut self.config);
        self
    }

    /// Loads `PREFIX_*` environment variables into the config (see
    /// [`Config::from_prefixed_env`]): `FLASK_SECRET_KEY` sets `SECRET_KEY`.
    pub fn config_from_prefixed_env(mut self, prefix: &str) -> Self {
        self.config.from_prefixed_env(prefix);
        self
    }

    /// Loads a TOML file into the config; a missing or invalid file makes `build` fail.
    /// A relative path is taken from the app's root folder.
    pub fn config_from_file(mut self, path: impl AsRef<Path>) -> Self {
        let path = self.root_path.join(path);
        if let Err(e) = self.config.from_file(path) {
            self.errors.push(e.into());
        }
        self
    }

    /// Flask's `Flask(__name__, subdomain_matching=True)`: rules match the subdomain of
    /// `SERVER_NAME` the request names. A rule or blueprint with `.subdomain("api")` answers
    /// `api.example.com` only, one without answers `example.com` only, and a host outside
    /// `SERVER_NAME` matches nothing (a 404). `url_for` builds an external URL for a rule of
    /// another subdomain. Needs `SERVER_NAME` (`build` says so).
    ///
    /// ```
    /// use flask::{Flask, routing::get};
    /// #[flask::view]
    /// async fn index() -> &'static str { "site" }
    /// #[flask::view]
    /// async fn api() -> &'static str { "api" }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = Flask::new("demo")
    ///     .configure(|c| c.set("SERVER_NAME", "example.com"))
    ///     .subdomain_matching()
    ///     .route("/", get(index))
    ///     .route("/", get(api).subdomain("api"))
    ///     .test_client();
    /// assert_eq!(client.get("/").header("host", "api.example.com").send().await.text(), "api");
    /// assert_eq!(client.get("/").header("host", "example.com").send().await.text(), "site");
    /// # }
    /// ```
    pub fn subdomain_matching(mut self) -> Self {
        self.domain = Domain::Subdomain;
        self
    }

    /// Flask's `Flask(__name__, host_matching=True, static_host=..)`: every rule names the
    /// host it answers (`.host("example.com")`, `.host("<user>.example.com")`), and the static
    /// route answers `static_host`. A rule without a host fails the build.
    pub fn host_matching(mut self, static_host: &str) -> Self {
        self.domain = Domain::Host {
            static_host: static_host.to_owned(),
        };
        self
    }

    /// Loads the TOML file the environment variable `name` points to (Flask's
    /// `app.config.from_envvar`); an unset variable or a bad file makes `build` fail with a
    /// message naming it.
    pub fn config_from_envvar(mut self, name: &str) -> Self {
        if let Err(e) = self.config.from_envvar(name, false) {
            self.errors.push(e.into());
        }
        self
    }

    /// Registers an extension; its `init_app` runs when the app is built.
    pub fn extension<E: Extension>(mut self, extension: E) -> Self {
        if self.extensions.iter().any(|e| e.1 == TypeId::of::<E>()) {
            self.errors.push(SetupError::DuplicateExtension {
                name: extension.name().to_owned(),
            });
            return self;
        }
        let ext = Arc::new(extension);
        self.extensions.push((
            ext.clone(),
            TypeId::of::<E>(),
            ext as Arc<dyn Any + Send + Sync>,
            type_name::<E>(),
        ));
        self
    }

    pub(crate) fn insert_state<T: Send + Sync + 'static>(&mut self, value: T) {
        self.state.insert(TypeId::of::<T>(), Arc::new(value));
    }

    pub(crate) fn push_layer<L>(&mut self, layer: L)
    where
        L: Layer<Route> + Send + 'static,
        L::Service: Service<Request, Error = Infallible> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        self.layers.push(Box::new(move |route: Route| {
            BoxCloneSyncService::new(layer.layer(route).map_response(IntoResponse::into_response))
        }));
    }

    pub(crate) fn push_startup<F, Fut>(&mut self, owner: &'static str, task: F)
    where
        F: FnOnce(App) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        self.startup.push(startup_task(owner, task));
    }

    pub(crate) fn push_serve<F, Fut>(&mut self, owner: &'static str, task: F)
    where
        F: FnOnce(App) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        self.serve.push(startup_task(owner, task));
    }

    pub(crate) fn push_shutdown<F, Fut>(&mut self, task: F)
    where
        F: FnOnce(App) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.shutdown.push(Box::new(move |app| Box::pin(task(app))));
    }

    /// Builds the app and returns a [`TestClient`](crate::testing::TestClient) for it.
    ///
    /// # Panics
    /// If the app does not build (the message says why): meant for tests.
    pub fn test_client(self) -> TestClient {
        match self.build() {
            Ok(app) => app.test_client(),
            Err(e) => panic!("the app does not build: {e}"),
        }
    }
}
