//! The `Flask` builder and the built `App`.

use std::any::{Any, TypeId, type_name};
use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};

use axum::extract::{DefaultBodyLimit, Request};
use axum::response::{IntoResponse, Response};
use http::{Method, StatusCode};
use tower::util::BoxCloneSyncService;
use tower::{Layer, Service, ServiceExt};

use crate::config::Config;
use crate::dispatch::{catch_unwind, dispatch};
use crate::extension::{Extension, Registry, Setup, SetupError};
use crate::hooks::{AfterFn, BeforeFn, BoxFuture, TeardownFn};
use crate::routing::UrlFor;
use crate::routing::blueprint::{ErrorMatcher, ScopeDef, join_rule, scope_methods};
use crate::routing::method_routing::{BoxedHandler, MethodHandlers};
use crate::routing::rule::Rule;
use crate::routing::url_for::UrlSettings;
use crate::routing::url_map::{RuleEntry, UrlMap};
use crate::testing::TestClient;

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
/// async fn index() -> &'static str { "Hello, World!" }
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
    pub(crate) template_hooks: Vec<crate::templating::EnvHook>,
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
            template_hooks: Vec::new(),
            template_stream_hooks: Vec::new(),
            static_files: Some((PathBuf::from("static"), "/static".to_owned())),
            embedded_templates: None,
            embedded_static: None,
            debug_panels: Vec::new(),
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

    /// Where the app's static files are (default `static`, relative to the root) and their
    /// URL (default `/static`): `url_for("static", filename="style.css")`. `None` turns the
    /// static route off.
    pub fn static_folder(mut self, folder: Option<&str>, url_path: &str) -> Self {
        self.static_files =
            folder.map(|f| (PathBuf::from(f), url_path.trim_end_matches('/').to_owned()));
        self
    }

    fn scope_mut(&mut self) -> &mut ScopeDef {
        &mut self.scope
    }

    scope_methods!();

    /// Adds a template filter (Flask's `template_filter`), available in every template:
    /// `.template_filter("shout", |s: String| s.to_uppercase())` for `{{ name|shout }}`.
    pub fn template_filter<F, Rv, Args>(mut self, name: &'static str, f: F) -> Self
    where
        F: minijinja::functions::Function<Rv, Args> + Clone,
        Rv: minijinja::value::FunctionResult,
        Args: for<'a> minijinja::value::FunctionArgs<'a>,
    {
        self.template_hooks.push(crate::templating::env_hook(
            crate::templating::HookKind::Filter,
            name,
            f,
        ));
        self
    }

    /// Adds a template test (Flask's `template_test`): `{% if n is even %}`.
    pub fn template_test<F, Rv, Args>(mut self, name: &'static str, f: F) -> Self
    where
        F: minijinja::functions::Function<Rv, Args> + Clone,
        Rv: minijinja::value::FunctionResult,
        Args: for<'a> minijinja::value::FunctionArgs<'a>,
    {
        self.template_hooks.push(crate::templating::env_hook(
            crate::templating::HookKind::Test,
            name,
            f,
        ));
        self
    }

    /// Adds a function callable from every template (Flask's `template_global`).
    pub fn template_global<F, Rv, Args>(mut self, name: &'static str, f: F) -> Self
    where
        F: minijinja::functions::Function<Rv, Args> + Clone,
        Rv: minijinja::value::FunctionResult,
        Args: for<'a> minijinja::value::FunctionArgs<'a>,
    {
        self.template_hooks.push(crate::templating::env_hook(
            crate::templating::HookKind::Global,
            name,
            f,
        ));
        self
    }

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

    /// Stores a value shared by all requests, reached with [`State<T>`](crate::State).
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.insert_state(value);
        self
    }

    pub(crate) fn insert_state<T: Send + Sync + 'static>(&mut self, value: T) {
        self.state.insert(TypeId::of::<T>(), Arc::new(value));
    }

    /// Wraps the whole app (routing included) in a tower layer, like a WSGI middleware.
    /// Layers added later wrap the earlier ones.
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<Route> + Send + 'static,
        L::Service: Service<Request, Error = Infallible> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        self.push_layer(layer);
        self
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

    /// Runs `task` before the server accepts connections (and before a test client's
    /// first request); an error stops the app.
    pub fn on_startup<F, Fut>(mut self, task: F) -> Self
    where
        F: FnOnce(App) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        self.push_startup("app", task);
        self
    }

    /// Runs `task` before the app serves (the server's first connection, a test client's
    /// first request), after the startup tasks; unlike [`Flask::on_startup`], not before CLI
    /// commands such as `routes` or `db upgrade --sql`. For work that changes things, such as
    /// applying migrations or creating tables.
    pub fn on_serve<F, Fut>(mut self, task: F) -> Self
    where
        F: FnOnce(App) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        self.push_serve("app", task);
        self
    }

    /// Runs `task` when the server has shut down.
    pub fn on_shutdown<F, Fut>(mut self, task: F) -> Self
    where
        F: FnOnce(App) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.push_shutdown(task);
        self
    }

    pub(crate) fn push_startup<F, Fut>(&mut self, owner: &'static str, task: F)
    where
        F: FnOnce(App) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        self.startup.push(Box::new(move |app| {
            Box::pin(async move {
                task(app).await.map_err(|e| -> BoxError {
                    format!("startup task of {owner} failed: {e}").into()
                })
            })
        }));
    }

    pub(crate) fn push_serve<F, Fut>(&mut self, owner: &'static str, task: F)
    where
        F: FnOnce(App) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        self.serve.push(Box::new(move |app| {
            Box::pin(async move {
                task(app).await.map_err(|e| -> BoxError {
                    format!("startup task of {owner} failed: {e}").into()
                })
            })
        }));
    }

    pub(crate) fn push_shutdown<F, Fut>(&mut self, task: F)
    where
        F: FnOnce(App) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.shutdown.push(Box::new(move |app| Box::pin(task(app))));
    }

    /// Builds the app: runs the extensions' `init_app`, compiles every rule, and checks
    /// endpoints, blueprints and error handlers. Every mistake is reported here.
    pub fn build(mut self) -> Result<App, SetupError> {
        if let Some(e) = self.errors.drain(..).next() {
            return Err(e);
        }
        // Before the extensions read it.
        crate::secret_key::load_from_file(&mut self.config, &self.root_path.join("instance"))?;
        let extensions = std::mem::take(&mut self.extensions);
        let registry: Registry = extensions
            .iter()
            .map(|(_, id, any, name)| (*id, (any.clone(), *name)))
            .collect();
        // Extensions' hooks go where Flask's `ext.init_app(app)`, called right after the app
        // is made, puts them: their before_request hooks run before the app's own, their
        // after_request and teardown hooks after the app's (so a cookie an extension sets
        // is not lost to a hook of the app that builds a new response).
        let app_before = std::mem::take(&mut self.scope.before);
        let app_after = std::mem::take(&mut self.scope.after);
        let app_teardown = std::mem::take(&mut self.scope.teardown);
        // The app's own startup and serve tasks run after the extensions' (and the session
        // store's): a task seeding data finds the pool connected and the tables made.
        let app_startup = std::mem::take(&mut self.startup);
        let app_serve = std::mem::take(&mut self.serve);
        for (ext, ..) in &extensions {
            let mut setup = Setup {
                app: &mut self,
                owner: ext.name(),
                registry: &registry,
            };
            ext.init_app(&mut setup)?;
        }
        self.scope.before.extend(app_before);
        self.scope.after.extend(app_after);
        self.scope.teardown.extend(app_teardown);
        let extension_names = extensions.iter().map(|e| e.0.name()).collect();

        let max_age: Option<u64> = self.config.get("SEND_FILE_MAX_AGE_DEFAULT")?;
        if let Some((folder, url)) = self.static_files.take() {
            let source = match self.embedded_static.take() {
                Some(files) => crate::static_files::StaticSource::Embedded(files),
                None => crate::static_files::StaticSource::Folder(self.root_path.join(folder)),
            };
            let route = crate::static_files::static_route(source, max_age);
            self.scope
                .routes
                .insert(0, (format!("{url}/<path:filename>"), route));
        }
        let mut flat = Flat {
            root: self.root_path.clone(),
            max_age,
            ..Flat::default()
        };
        let scope = std::mem::take(&mut self.scope);
        flat.add_scope(scope, None, "", None, None)?;

        let url_settings = UrlSettings {
            server_name: self.config.get("SERVER_NAME")?,
            application_root: self
                .config
                .get("APPLICATION_ROOT")?
                .unwrap_or_else(|| "/".to_owned()),
            preferred_scheme: self
                .config
                .get("PREFERRED_URL_SCHEME")?
                .unwrap_or_else(|| "http".to_owned()),
        };
        let trusted_hosts = crate::request::trusted_hosts::TrustedHosts::from_config(&self.config)?;
        let proxy_x_for: usize = self.config.get("PROXY_FIX_X_FOR")?.unwrap_or(0);
        let proxy_x_proto: usize = self.config.get("PROXY_FIX_X_PROTO")?.unwrap_or(0);
        let automatic_options = self
            .config
            .get::<bool>("PROVIDE_AUTOMATIC_OPTIONS")?
            .unwrap_or(true);
        let body_limit = match self.config.get::<u64>("MAX_CONTENT_LENGTH")? {
            Some(n) => DefaultBodyLimit::max(usize::try_from(n).unwrap_or(usize::MAX)),
            None => DefaultBodyLimit::disable(),
        };
        let app_templates = self.root_path.join("templates");
        let embedded_templates = self.embedded_templates.take();
        // Embedded templates replace the app's folder, which is then only watched.
        let (folders, watch) = if embedded_templates.is_some() {
            (Vec::new(), vec![app_templates])
        } else {
            (vec![app_templates], Vec::new())
        };
        let mut template_setup = crate::templating::TemplateSetup {
            folders,
            embedded: embedded_templates,
            watch,
            hooks: std::mem::take(&mut self.template_hooks),
            before_stream: std::mem::take(&mut self.template_stream_hooks),
        };
        for folder in flat.template_folders.drain(..) {
            template_setup.folders.push(self.root_path.join(folder));
        }
        let reload_templates = self
            .config
            .get::<bool>("TEMPLATES_AUTO_RELOAD")?
            .unwrap_or_else(|| self.config.debug());
        let config_value = minijinja::Value::from_serialize(&self.config);
        let store: Option<Arc<dyn tower_sessions_core::SessionStore>> = match self
            .session_store
            .take()
        {
            Some(store) => Some(store),
            None => match crate::sessions::store::StoreKind::from_config(&self.config)? {
                crate::sessions::store::StoreKind::Cookie => None,
                crate::sessions::store::StoreKind::Memory => {
                    let capacity = self
                        .config
                        .get::<usize>("SESSION_MEMORY_CAPACITY")?
                        .unwrap_or(crate::sessions::DEFAULT_MEMORY_CAPACITY);
                    Some(Arc::new(crate::sessions::MemoryStore::with_capacity(
                        capacity,
                    )))
                }
                kind => {
                    let store = Arc::new(crate::sessions::store::ConnectedAtStartup::new(kind));
                    let connect = store.clone();
                    self.push_startup("sessions", move |_| async move { connect.connect().await });
                    Some(store)
                }
            },
        };
        self.startup.extend(app_startup);
        self.serve.extend(app_serve);
        let sessions =
            crate::sessions::SessionBackend::from_config(&self.config, store)?.map(Arc::new);
        if self.config.debug() {
            // Records where handlers panic, for the debug page.
            crate::dev::backtrace::install_panic_hook();
        }
        let inner = Arc::new_cyclic(|weak: &Weak<AppInner>| {
            let layered = if self.layers.is_empty() {
                None
            } else {
                let mut route: Route = BoxCloneSyncService::new(WeakDispatch {
                    app: weak.clone(),
                    body_limit,
                });
                for layer in self.layers.drain(..) {
                    route = layer(route);
                }
                Some(route)
            };
            AppInner {
                name: self.name,
                root_path: self.root_path,
                debug: self.config.debug(),
                config: self.config,
                url_map: UrlMap::new(flat.rules, automatic_options),
                url_settings,
                handlers: flat.handlers,
                scopes: flat.scopes,
                extensions: registry.into_iter().map(|(k, (v, _))| (k, v)).collect(),
                extension_names,
                state: self.state,
                body_limit,
                proxy_x_for,
                proxy_x_proto,
                trusted_hosts,
                commands: flat.commands,
                sessions,
                templates: crate::templating::Templates::new(
                    template_setup,
                    weak.clone(),
                    config_value,
                    reload_templates,
                ),
                layered,
                startup: tokio::sync::Mutex::new(self.startup),
                serve: tokio::sync::Mutex::new(self.serve),
                shutdown: Mutex::new(self.shutdown),
                debug_panels: self.debug_panels,
            }
        });
        Ok(App { inner })
    }

    /// Builds the app and returns a [`TestClient`] for it.
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

/// One blueprint (or the app, scope 0) after flattening.
pub(crate) struct Scope {
    /// The full dotted name; `None` for the app.
    pub(crate) name: Option<String>,
    /// Scope ids from the app down to this one.
    pub(crate) chain: Vec<usize>,
    pub(crate) before: Vec<BeforeFn>,
    pub(crate) after: Vec<AfterFn>,
    pub(crate) teardown: Vec<TeardownFn>,
    pub(crate) err_code: Vec<(StatusCode, BoxedHandler)>,
    pub(crate) err_type: Vec<(ErrorMatcher, &'static str, BoxedHandler)>,
    pub(crate) context_processors: Vec<crate::templating::ContextProcessor>,
}

#[derive(Default)]
struct Flat {
    rules: Vec<RuleEntry>,
    handlers: Vec<MethodHandlers>,
    scopes: Vec<Scope>,
    endpoints: HashMap<String, (Option<TypeId>, String)>,
    /// Blueprints' template folders, in registration order.
    template_folders: Vec<PathBuf>,
    /// The app's root, for blueprints' static folders.
    root: PathBuf,
    commands: Vec<crate::cli::CustomCommand>,
    max_age: Option<u64>,
}

impl Flat {
    fn add_scope(
        &mut self,
        scope: ScopeDef,
        name: Option<&str>,
        prefix: &str,
        parent: Option<usize>,
        owner: Option<&str>,
    ) -> Result<(), SetupError> {
        let id = self.scopes.len();
        let mut chain = parent
            .map(|p| self.scopes[p].chain.clone())
            .unwrap_or_default();
        chain.push(id);
        let mut err_code = Vec::new();
        for (code, h) in scope.err_code {
            match StatusCode::from_u16(code) {
                Ok(s) if (400..600).contains(&code) => err_code.push((s, h)),
                _ => return Err(SetupError::InvalidErrorCode { code }),
            }
        }
        for (group, command, handler) in scope.commands {
            self.commands.push(crate::cli::CustomCommand {
                command,
                handler,
                group: group.or_else(|| name.map(str::to_owned)),
            });
        }
        self.scopes.push(Scope {
            name: name.map(str::to_owned),
            chain,
            before: scope.before,
            after: scope.after,
            teardown: scope.teardown,
            err_code,
            err_type: scope.err_type,
            context_processors: scope.context_processors,
        });
        for (rule_text, mut mh) in scope.routes {
            let full = join_rule(prefix, &rule_text);
            let rule = Rule::parse(&full).map_err(|e| SetupError::InvalidRule {
                rule: full.clone(),
                reason: e.to_string(),
            })?;
            if let Some(bad) = mh.invalid_methods.first() {
                return Err(SetupError::InvalidRule {
                    rule: full,
                    reason: format!("{bad:?} is not an HTTP method"),
                });
            }
            if mh.handlers.is_empty() {
                return Err(SetupError::InvalidRule {
                    rule: full,
                    reason: "no handler was given".to_owned(),
                });
            }
            let local = mh
                .endpoint
                .clone()
                .or_else(|| mh.fn_name.clone())
                .unwrap_or_else(|| full.clone());
            let endpoint = match name {
                Some(bp) => format!("{bp}.{local}"),
                None => local,
            };
            match self.endpoints.get(&endpoint) {
                Some((id, first)) if mh.handler_id.is_none() || *id != mh.handler_id => {
                    return Err(SetupError::DuplicateEndpoint {
                        endpoint,
                        first: first.clone(),
                        second: full,
                    });
                }
                Some(_) => {}
                None => {
                    self.endpoints
                        .insert(endpoint.clone(), (mh.handler_id, full.clone()));
                }
            }
            let rule_owner = mh
                .owner
                .take()
                .or_else(|| owner.map(str::to_owned))
                .or_else(|| name.map(str::to_owned))
                .unwrap_or_else(|| "app".to_owned());
            self.rules.push(RuleEntry {
                rule,
                endpoint,
                methods: mh.methods(),
                handler: self.handlers.len(),
                scope: id,
                owner: rule_owner,
            });
            self.handlers.push(mh);
        }
        for mut bp in scope.blueprints {
            if bp.name.is_empty() || bp.name.contains('.') {
                return Err(SetupError::Blueprint {
                    name: bp.name,
                    reason: "a blueprint name must not be empty or contain a dot".to_owned(),
                });
            }
            let full_name = match name {
                Some(n) => format!("{n}.{}", bp.name),
                None => bp.name.clone(),
            };
            if self
                .scopes
                .iter()
                .any(|s| s.name.as_deref() == Some(&full_name))
            {
                return Err(SetupError::Blueprint {
                    name: full_name,
                    reason: "registered twice; blueprint names must be unique".to_owned(),
                });
            }
            let bp_prefix = match &bp.url_prefix {
                Some(p) => join_rule(prefix, p),
                None => prefix.to_owned(),
            };
            let bp_owner = bp.owner.as_deref().or(owner);
            if let Some(folder) = &bp.template_folder {
                self.template_folders.push(folder.clone());
            }
            if let Some((folder, url)) = bp.static_files.take() {
                let route = crate::static_files::static_route(
                    crate::static_files::StaticSource::Folder(self.root.join(folder)),
                    self.max_age,
                );
                bp.scope
                    .routes
                    .insert(0, (format!("{url}/<path:filename>"), route));
            }
            self.add_scope(bp.scope, Some(&full_name), &bp_prefix, Some(id), bp_owner)?;
        }
        Ok(())
    }
}

/// Runs the tasks of `list` and empties it, holding it meanwhile: a concurrent caller (a
/// second test client, a CLI runner) waits for them instead of going on before they end.
async fn run_once(list: &tokio::sync::Mutex<Vec<StartupFn>>, app: &App) -> Result<(), BoxError> {
    let mut tasks = list.lock().await;
    for task in std::mem::take(&mut *tasks) {
        task(app.clone()).await?;
    }
    Ok(())
}

/// Everything the built app holds, shared by all requests.
pub(crate) struct AppInner {
    pub(crate) name: String,
    pub(crate) root_path: PathBuf,
    pub(crate) config: Config,
    pub(crate) debug: bool,
    pub(crate) url_map: UrlMap,
    pub(crate) url_settings: UrlSettings,
    pub(crate) handlers: Vec<MethodHandlers>,
    pub(crate) scopes: Vec<Scope>,
    pub(crate) extensions: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
    pub(crate) extension_names: Vec<&'static str>,
    pub(crate) state: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
    pub(crate) body_limit: DefaultBodyLimit,
    /// `PROXY_FIX_X_FOR`: how many proxies in front set `X-Forwarded-For` (Werkzeug's
    /// `ProxyFix(x_for=N)`); 0 trusts none.
    pub(crate) proxy_x_for: usize,
    /// `PROXY_FIX_X_PROTO`: how many proxies in front set `X-Forwarded-Proto`.
    pub(crate) proxy_x_proto: usize,
    /// `TRUSTED_HOSTS`: the hosts a request may name (any when `None`).
    pub(crate) trusted_hosts: Option<crate::request::trusted_hosts::TrustedHosts>,
    pub(crate) templates: crate::templating::Templates,
    pub(crate) sessions: Option<Arc<crate::sessions::SessionBackend>>,
    pub(crate) commands: Vec<crate::cli::CustomCommand>,
    layered: Option<Route>,
    /// Held while the tasks run, so a second caller waits for them to finish.
    startup: tokio::sync::Mutex<Vec<StartupFn>>,
    /// Run after `startup` before serving, not before CLI commands.
    serve: tokio::sync::Mutex<Vec<StartupFn>>,
    shutdown: Mutex<Vec<ShutdownFn>>,
    pub(crate) debug_panels: Vec<(&'static str, crate::dev::panels::PanelFn)>,
}

/// The innermost service under user layers; weak so the app does not own itself.
#[derive(Clone)]
struct WeakDispatch {
    app: Weak<AppInner>,
    body_limit: DefaultBodyLimit,
}

impl Service<Request> for WeakDispatch {
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        match self.app.upgrade() {
            // A request without a body needs no limit (as in `App::handle`).
            Some(app) if http_body::Body::is_end_stream(req.body()) => {
                Box::pin(dispatch_ok(app, req, None))
            }
            Some(app) => {
                let mut svc = self.body_limit.layer(tower::service_fn(move |req| {
                    dispatch_ok(app.clone(), req, None)
                }));
                Box::pin(svc.call(req))
            }
            None => Box::pin(async { Ok(StatusCode::SERVICE_UNAVAILABLE.into_response()) }),
        }
    }
}

async fn dispatch_ok(
    app: Arc<AppInner>,
    req: Request,
    peer: Option<std::net::SocketAddr>,
) -> Result<Response, Infallible> {
    Ok(dispatch(app, req, peer).await)
}

/// A built app: a tower `Service` (hand it to `axum::serve` or mount it in an axum
/// `Router`), a test client factory, and the app-level API (`url_for`, config, state).
///
/// Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub(crate) inner: Arc<AppInner>,
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("name", &self.inner.name)
            .field("rules", &self.inner.url_map.rules.len())
            .field("extensions", &self.inner.extension_names)
            .finish()
    }
}

impl App {
    pub(crate) fn from_inner(inner: Arc<AppInner>) -> Self {
        App { inner }
    }

    /// The app's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The app's root folder.
    pub fn root_path(&self) -> &Path {
        &self.inner.root_path
    }

    /// The instance folder (`<root>/instance`), for files that belong to one deployment.
    pub fn instance_path(&self) -> PathBuf {
        self.inner.root_path.join("instance")
    }

    /// The config, as it was when the app was built.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Whether `DEBUG` is on.
    pub fn debug(&self) -> bool {
        self.inner.debug
    }

    /// A value stored with [`Flask::state`].
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.inner
            .state
            .get(&TypeId::of::<T>())?
            .clone()
            .downcast::<T>()
            .ok()
    }

    /// A registered extension, by type.
    pub fn extension<E: Send + Sync + 'static>(&self) -> Option<Arc<E>> {
        self.inner
            .extensions
            .get(&TypeId::of::<E>())?
            .clone()
            .downcast::<E>()
            .ok()
    }

    pub(crate) fn commands(&self) -> &[crate::cli::CustomCommand] {
        &self.inner.commands
    }

    /// Names of the registered extensions, in registration order.
    pub fn extension_names(&self) -> &[&'static str] {
        &self.inner.extension_names
    }

    /// Builds a URL outside a request. As in Flask the URL is external by default, which
    /// needs `SERVER_NAME`; call [`UrlFor::relative`] for a path alone.
    pub fn url_for(&self, endpoint: &str) -> UrlFor<'_> {
        UrlFor::new(
            &self.inner.url_map,
            &self.inner.url_settings,
            None,
            None,
            endpoint,
        )
    }

    /// Every rule: `(rule, endpoint, methods, owner)`, in registration order.
    pub fn rules(&self) -> Vec<RuleInfo> {
        self.inner
            .url_map
            .rules
            .iter()
            .map(|r| RuleInfo {
                rule: r.rule.text.clone(),
                endpoint: r.endpoint.clone(),
                methods: r.methods.clone(),
                owner: r.owner.clone(),
            })
            .collect()
    }

    /// A client that sends requests to the app in-process, with a cookie jar.
    pub fn test_client(&self) -> TestClient {
        TestClient::new(self.clone())
    }

    /// Runs the startup tasks of the app and its extensions, then those that prepare it to
    /// serve ([`Flask::on_serve`]), once; later calls do nothing. The server and the test
    /// client call it; call it yourself before serving the app with your own `axum::serve`.
    pub async fn startup(&self) -> Result<(), BoxError> {
        self.startup_for_commands().await?;
        run_once(&self.inner.serve, self).await
    }

    /// The startup tasks alone (connect pools, check settings), once: what a CLI command
    /// needs, without the tasks that prepare serving (migrations, creating tables).
    pub(crate) async fn startup_for_commands(&self) -> Result<(), BoxError> {
        run_once(&self.inner.startup, self).await
    }

    /// Runs the shutdown tasks, once.
    pub async fn shutdown(&self) {
        let tasks = std::mem::take(
            &mut *self
                .inner
                .shutdown
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        for task in tasks {
            task(self.clone()).await;
        }
    }

    /// Handles one request (what the server and the test client call).
    pub async fn handle(&self, req: Request) -> Response {
        let Ok(resp) = respond(self.inner.clone(), req, None).await;
        resp
    }
}

/// [`App::handle`], as one future the server boxes once: each wrapping future would be one
/// more copy of the whole state per request. `peer` is the connection's peer when the
/// server passes it (else `ctx.remote_addr()` reads axum's `ConnectInfo` extension).
pub(crate) async fn respond(
    app: Arc<AppInner>,
    mut req: Request,
    peer: Option<std::net::SocketAddr>,
) -> Result<Response, Infallible> {
    let result = if let Some(route) = &app.layered {
        // The app's tower layers may read the peer as axum serves it (rate limits, client IP).
        if let Some(peer) = peer {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
        }
        catch_unwind(route.clone().oneshot(req))
            .await
            .map(|Ok(resp)| resp)
    } else if http_body::Body::is_end_stream(req.body()) {
        // axum's body extractors read the limit from the request; a request without a body
        // needs none.
        catch_unwind(std::pin::pin!(dispatch(app.clone(), req, peer))).await
    } else {
        let inner = app.clone();
        let mut svc = app.body_limit.layer(tower::service_fn(move |req| {
            dispatch_ok(inner.clone(), req, peer)
        }));
        catch_unwind(std::pin::pin!(svc.call(req)))
            .await
            .map(|Ok(resp)| resp)
    };
    Ok(result.unwrap_or_else(|panic| {
        tracing::error!(app = %app.name, "panic outside a handler: {panic}");
        panic.into_error().to_response(app.debug)
    }))
}

/// One rule of the app, for listings such as `flask routes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    /// The rule as written, with its blueprint prefix.
    pub rule: String,
    /// Its endpoint.
    pub endpoint: String,
    /// The methods it answers (HEAD included with GET; OPTIONS is automatic).
    pub methods: Vec<Method>,
    /// "app", the blueprint's name, or the extension that added it.
    pub owner: String,
}

impl<B> Service<http::Request<B>> for App
where
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let req = req.map(axum::body::Body::new);
        Box::pin(respond(self.inner.clone(), req, None))
    }
}
