//! The `Extension` trait every extension implements, and the `Setup` handle it receives.

use std::any::{Any, TypeId, type_name};
use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use crate::app::{BoxError, Flask};
use crate::hooks::BeforeRequestHook;
use crate::routing::MethodHandlers;
use crate::{App, Blueprint, Config, Error, RequestContext};

/// An extension: plugs into the app once, at startup, like Flask's `ext.init_app(app)`.
///
/// `init_app` reads config, sets defaults, adds state, routes, blueprints, hooks, layers
/// and startup/shutdown tasks through [`Setup`]. It runs once, in registration order,
/// when the app is built; every registered extension can already be found by type then,
/// so a missing dependency is a startup error ([`Setup::require`]), not a request-time panic.
///
/// ```
/// use flask::{Extension, Flask, Setup, SetupError};
///
/// struct Motd;
/// impl Extension for Motd {
///     fn name(&self) -> &'static str { "motd" }
///     fn init_app(&self, setup: &mut Setup<'_>) -> Result<(), SetupError> {
///         setup.config_mut().set_default("MOTD", "hello");
///         let text: String = setup.config().get("MOTD")?.unwrap_or_default();
///         setup.state(text);
///         Ok(())
///     }
/// }
/// let app = Flask::new("demo").extension(Motd).build().unwrap();
/// assert_eq!(app.state::<String>().unwrap().as_str(), "hello");
/// ```
pub trait Extension: Send + Sync + 'static {
    /// A short name for messages and `flask routes` (`"flask-login"`).
    fn name(&self) -> &'static str;

    /// Wires the extension into the app. Called once, in registration order.
    fn init_app(&self, setup: &mut Setup<'_>) -> Result<(), SetupError>;
}

/// Why the app could not be built. Each message names the cause and the fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// A rule could not be parsed.
    #[error("invalid rule {rule:?}: {reason}")]
    InvalidRule {
        /// The rule (with its blueprint prefix).
        rule: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Two different handlers were given the same endpoint name.
    #[error(
        "endpoint {endpoint:?} is used by two different handlers (rules {first:?} and {second:?}); give one of them another name with .endpoint(\"...\")"
    )]
    DuplicateEndpoint {
        /// The endpoint.
        endpoint: String,
        /// The rule that had it first.
        first: String,
        /// The rule that wanted it too.
        second: String,
    },
    /// A blueprint name is empty, has a dot, or is registered twice.
    #[error("blueprint {name:?}: {reason}")]
    Blueprint {
        /// The blueprint's (full) name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// An error handler for a status that is not an error status.
    #[error("errorhandler({code}): only 400-599 can be handled")]
    InvalidErrorCode {
        /// The code given.
        code: u16,
    },
    /// An extension needs another one that is not registered.
    #[error(
        "{needed_by} needs the extension {missing}, which is not registered: add .extension(..) for it to the app"
    )]
    MissingExtension {
        /// The extension that needs it.
        needed_by: String,
        /// The missing extension's type.
        missing: String,
    },
    /// The same extension type was registered twice.
    #[error("the extension {name} is registered twice: register it once")]
    DuplicateExtension {
        /// Its name.
        name: String,
    },
    /// A config source or value is wrong.
    #[error(transparent)]
    Config(#[from] crate::ConfigError),
    /// An extension's own setup failed.
    #[error("extension {name} failed to set up: {source}")]
    Extension {
        /// The extension's name.
        name: String,
        /// Its error.
        #[source]
        source: BoxError,
    },
}

impl SetupError {
    /// An extension's own error, for [`Extension::init_app`].
    pub fn extension(name: &str, source: impl Into<BoxError>) -> Self {
        SetupError::Extension {
            name: name.to_owned(),
            source: source.into(),
        }
    }
}

/// Registered extensions, by type.
pub(crate) type Registry = HashMap<TypeId, (Arc<dyn Any + Send + Sync>, &'static str)>;

/// What an extension's `init_app` works with: the app being built.
pub struct Setup<'a> {
    pub(crate) app: &'a mut Flask,
    pub(crate) owner: &'static str,
    pub(crate) registry: &'a Registry,
}

impl std::fmt::Debug for Setup<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Setup")
            .field("extension", &self.owner)
            .finish()
    }
}

impl Setup<'_> {
    /// The name of the extension being set up.
    pub fn extension_name(&self) -> &'static str {
        self.owner
    }

    /// The app's name.
    pub fn app_name(&self) -> &str {
        &self.app.name
    }

    /// The app's root folder (where `templates/`, `static/` and `instance/` live).
    pub fn root_path(&self) -> &Path {
        &self.app.root_path
    }

    /// The app's config (already filled from every source).
    pub fn config(&self) -> &Config {
        &self.app.config
    }

    /// The config, to set defaults (`set_default`) for the extension's own keys.
    pub fn config_mut(&mut self) -> &mut Config {
        &mut self.app.config
    }

    /// A value stored with [`Setup::state`] (by the app or an extension set up earlier).
    pub fn get_state<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.app
            .state
            .get(&TypeId::of::<T>())
            .and_then(|v| v.downcast_ref::<T>())
    }

    /// Stores a value handlers reach with [`State<T>`](crate::State).
    pub fn state<T: Send + Sync + 'static>(&mut self, value: T) -> &mut Self {
        self.app.insert_state(value);
        self
    }

    /// Adds a rule; `flask routes` shows the extension as its owner.
    pub fn route(&mut self, rule: &str, mut handlers: MethodHandlers) -> &mut Self {
        handlers.owner = Some(self.owner.to_owned());
        self.app.scope.routes.push((rule.to_owned(), handlers));
        self
    }

    /// Registers a blueprint owned by the extension.
    pub fn blueprint(&mut self, mut blueprint: Blueprint) -> &mut Self {
        blueprint.set_owner(self.owner);
        self.app.scope.blueprints.push(blueprint);
        self
    }

    /// Adds an app-wide `before_request` hook.
    pub fn before_request<H: BeforeRequestHook<T>, T: 'static>(&mut self, hook: H) -> &mut Self {
        self.app.scope.before.push(crate::hooks::before(hook));
        self
    }

    /// Adds an app-wide `after_request` hook.
    pub fn after_request<F, Fut>(&mut self, hook: F) -> &mut Self
    where
        F: Fn(RequestContext, axum::response::Response) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = axum::response::Response> + Send + 'static,
    {
        self.app.scope.after.push(crate::hooks::after(hook));
        self
    }

    /// Adds an app-wide `teardown_request` hook.
    pub fn teardown_request<F, Fut>(&mut self, hook: F) -> &mut Self
    where
        F: Fn(RequestContext, Option<Error>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.app.scope.teardown.push(crate::hooks::teardown(hook));
        self
    }

    /// Adds an app-wide error handler for a status (see [`Flask::errorhandler`]).
    pub fn errorhandler<H: axum::handler::Handler<T, ()>, T: 'static>(
        &mut self,
        code: u16,
        handler: H,
    ) -> &mut Self {
        self.app.scope.add_errorhandler(code, handler);
        self
    }

    /// Adds an app-wide error handler for errors caused by an `E` (see
    /// [`Flask::errorhandler_for`]).
    pub fn errorhandler_for<E, H, T>(&mut self, handler: H) -> &mut Self
    where
        E: std::error::Error + 'static,
        H: axum::handler::Handler<T, ()>,
        T: 'static,
    {
        self.app.scope.add_errorhandler_for::<E, H, T>(handler);
        self
    }

    /// Adds a template filter for every template (see [`Flask::template_filter`]).
    pub fn template_filter<F, Rv, Args>(&mut self, name: &'static str, f: F) -> &mut Self
    where
        F: minijinja::functions::Function<Rv, Args> + Clone,
        Rv: minijinja::value::FunctionResult,
        Args: for<'a> minijinja::value::FunctionArgs<'a>,
    {
        self.app.template_hooks.push(crate::templating::env_hook(
            crate::templating::HookKind::Filter,
            name,
            f,
        ));
        self
    }

    /// Adds a function callable from every template (see [`Flask::template_global`]), such
    /// as a `csrf_token()`.
    pub fn template_global<F, Rv, Args>(&mut self, name: &'static str, f: F) -> &mut Self
    where
        F: minijinja::functions::Function<Rv, Args> + Clone,
        Rv: minijinja::value::FunctionResult,
        Args: for<'a> minijinja::value::FunctionArgs<'a>,
    {
        self.app.template_hooks.push(crate::templating::env_hook(
            crate::templating::HookKind::Global,
            name,
            f,
        ));
        self
    }

    /// Runs `f` in the request before a template is streamed ([`stream_template`]), while
    /// the session can still be saved: a template global that keeps something in the
    /// session (a CSRF secret) puts it there here, since the session is saved before a
    /// streamed body renders. An error is the request's error.
    ///
    /// [`stream_template`]: crate::stream_template
    pub fn before_template_stream<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn(&RequestContext) -> Result<(), crate::Error> + Send + Sync + 'static,
    {
        self.app.template_stream_hooks.push(Arc::new(f));
        self
    }

    /// Adds variables to every template rendered in a request, such as `current_user`
    /// (see [`Flask::context_processor`]).
    pub fn context_processor<F, V>(&mut self, f: F) -> &mut Self
    where
        F: Fn(&RequestContext) -> V + Send + Sync + 'static,
        V: serde::Serialize,
    {
        self.app
            .scope
            .context_processors
            .push(crate::templating::context_processor(f));
        self
    }

    /// Adds a command to the app's command line, such as a `db` group (see
    /// [`Flask::command`]).
    pub fn command<F, Fut>(&mut self, command: clap::Command, handler: F) -> &mut Self
    where
        F: Fn(crate::cli::CliContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        self.app
            .scope
            .commands
            .push((None, command, crate::cli::command_fn(handler)));
        self
    }

    /// Adds a command to a group of commands that several extensions can add to: with
    /// flask-sqlalchemy's `create-all` and flask-migrate's `upgrade` both in `db`, the app
    /// has `myapp db create-all` and `myapp db upgrade`.
    pub fn group_command<F, Fut>(
        &mut self,
        group: &str,
        command: clap::Command,
        handler: F,
    ) -> &mut Self
    where
        F: Fn(crate::cli::CliContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        self.app.scope.commands.push((
            Some(group.to_owned()),
            command,
            crate::cli::command_fn(handler),
        ));
        self
    }

    /// Wraps the app in a tower layer (see [`Flask::layer`]).
    pub fn layer<L>(&mut self, layer: L) -> &mut Self
    where
        L: tower::Layer<crate::app::Route> + Send + 'static,
        L::Service: tower::Service<axum::extract::Request, Error = std::convert::Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as tower::Service<axum::extract::Request>>::Response:
            axum::response::IntoResponse + 'static,
        <L::Service as tower::Service<axum::extract::Request>>::Future: Send + 'static,
    {
        self.app.push_layer(layer);
        self
    }

    /// Adds a section to the debug page (shown only in debug mode, for a failing request):
    /// `panel` makes its table from the request, when the page is rendered.
    pub fn debug_panel<F>(&mut self, title: &'static str, panel: F) -> &mut Self
    where
        F: Fn(&crate::RequestContext) -> crate::DebugPanel + Send + Sync + 'static,
    {
        self.app
            .debug_panels
            .push((title, std::sync::Arc::new(panel)));
        self
    }

    /// Runs `task` before the server accepts its first connection and before CLI commands
    /// (connect a pool, check settings). An error stops the app with a message naming the
    /// extension.
    pub fn on_startup<F, Fut>(&mut self, task: F) -> &mut Self
    where
        F: FnOnce(App) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        self.app.push_startup(self.owner, task);
        self
    }

    /// Runs `task` before the app serves, after the startup tasks, but not before CLI
    /// commands (see [`Flask::on_serve`](crate::Flask::on_serve)): apply migrations, create
    /// tables; `db upgrade --sql` then prints SQL without running any first.
    pub fn on_serve<F, Fut>(&mut self, task: F) -> &mut Self
    where
        F: FnOnce(App) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        self.app.push_serve(self.owner, task);
        self
    }

    /// Runs `task` after the server stopped accepting requests and finished those in flight.
    pub fn on_shutdown<F, Fut>(&mut self, task: F) -> &mut Self
    where
        F: FnOnce(App) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.app.push_shutdown(task);
        self
    }

    /// Another registered extension, by type.
    pub fn extension<E: Send + Sync + 'static>(&self) -> Option<Arc<E>> {
        let (any, _) = self.registry.get(&TypeId::of::<E>())?;
        any.clone().downcast::<E>().ok()
    }

    /// Another extension this one cannot work without: a [`SetupError::MissingExtension`]
    /// naming both when it is not registered.
    pub fn require<E: Send + Sync + 'static>(&self) -> Result<Arc<E>, SetupError> {
        self.extension::<E>()
            .ok_or_else(|| SetupError::MissingExtension {
                needed_by: self.owner.to_owned(),
                missing: type_name::<E>().to_owned(),
            })
    }
}
