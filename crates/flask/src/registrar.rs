//! The one registration surface of [`Flask`](crate::Flask), [`Blueprint`](crate::Blueprint)
//! and [`Setup`](crate::Setup).
//!
//! What is registered lands in a [`ScopeDef`] (the app's, or a blueprint's). Each
//! registration method is written once, in one of the macros below; each type expands the
//! macros it offers, in its style: the builders take and return `self`
//! (`Flask::new(..).route(..)`), `Setup` works through `&mut self`
//! (`setup.route(..);`). A new registration method added here reaches all three.

use std::error::Error as StdError;
use std::fmt;

use axum::handler::Handler;

use crate::Error;
use crate::hooks::{AfterFn, BeforeFn, TeardownFn};
use crate::routing::Blueprint;
use crate::routing::method_routing::{BoxedHandler, MethodHandlers, boxed};

/// Checks whether an error's cause is of one type (for `errorhandler_for`).
pub(crate) type ErrorMatcher = fn(&Error) -> bool;

pub(crate) fn matcher<E: StdError + 'static>(e: &Error) -> bool {
    e.downcast_ref::<E>().is_some()
}

/// A `url_value_preprocessor`: sees the endpoint and the URL's values before the
/// `before_request` hooks, and may take values out of them.
pub(crate) type UrlValuePreprocessor =
    std::sync::Arc<dyn Fn(&crate::RequestContext, &mut crate::routing::ViewArgs) + Send + Sync>;

/// A `url_defaults` function: fills values in when `url_for` builds a URL.
pub(crate) type UrlDefaultsFn =
    std::sync::Arc<dyn Fn(&str, &mut crate::routing::UrlValues<'_>) + Send + Sync>;

/// The request hooks and error handlers of one scope.
#[derive(Default, Clone)]
pub(crate) struct Hooks {
    pub(crate) before: Vec<BeforeFn>,
    pub(crate) after: Vec<AfterFn>,
    pub(crate) teardown: Vec<TeardownFn>,
    pub(crate) err_code: Vec<(u16, BoxedHandler)>,
    pub(crate) err_type: Vec<(ErrorMatcher, &'static str, BoxedHandler)>,
    /// `errorhandler(Exception)`: every error no more specific handler takes.
    pub(crate) err_any: Option<BoxedHandler>,
    /// `errorhandler(HTTPException)`: every status no status handler takes.
    pub(crate) err_http: Option<BoxedHandler>,
    pub(crate) context_processors: Vec<crate::templating::ContextProcessor>,
    pub(crate) url_value_preprocessors: Vec<UrlValuePreprocessor>,
    pub(crate) url_defaults: Vec<UrlDefaultsFn>,
}

impl Hooks {
    /// Moves `other`'s hooks after this scope's own.
    pub(crate) fn extend(&mut self, other: Hooks) {
        self.before.extend(other.before);
        self.after.extend(other.after);
        self.teardown.extend(other.teardown);
        self.err_code.extend(other.err_code);
        self.err_type.extend(other.err_type);
        if other.err_any.is_some() {
            self.err_any = other.err_any;
        }
        if other.err_http.is_some() {
            self.err_http = other.err_http;
        }
        self.context_processors.extend(other.context_processors);
        self.url_value_preprocessors
            .extend(other.url_value_preprocessors);
        self.url_defaults.extend(other.url_defaults);
    }
}

/// What the app and each blueprint hold: routes, hooks, error handlers, child blueprints.
#[derive(Default, Clone)]
pub(crate) struct ScopeDef {
    pub(crate) routes: Vec<(String, MethodHandlers)>,
    /// The scope's own hooks: the app's run for every request, a blueprint's for its rules.
    pub(crate) local: Hooks,
    /// A blueprint's `before_app_request`, `app_errorhandler`, ...: moved to the app's
    /// scope when the app is built.
    pub(crate) app_wide: Hooks,
    pub(crate) blueprints: Vec<Blueprint>,
    /// Template filters, tests and globals (always app-wide, as in Flask).
    pub(crate) template_hooks: Vec<crate::templating::EnvHook>,
    /// Commands, each with the group it goes in when not the scope's own, and whether the
    /// app's startup tasks run before it.
    pub(crate) commands: Vec<(Option<String>, clap::Command, crate::cli::CommandFn, bool)>,
    /// The extension registering, while its `init_app` runs: shown as the owner of the
    /// rules and blueprints it adds.
    pub(crate) owner: Option<&'static str>,
}

impl ScopeDef {
    /// A command, in `group` when not the scope's own, run after the app's startup tasks
    /// or (`starts_app` false) before them.
    pub(crate) fn add_command(
        &mut self,
        group: Option<&str>,
        command: clap::Command,
        handler: crate::cli::CommandFn,
        starts_app: bool,
    ) {
        self.commands
            .push((group.map(str::to_owned), command, handler, starts_app));
    }

    pub(crate) fn add_route(&mut self, rule: &str, mut handlers: MethodHandlers) {
        if let Some(owner) = self.owner {
            handlers.owner.get_or_insert_with(|| owner.to_owned());
        }
        self.routes.push((rule.to_owned(), handlers));
    }

    pub(crate) fn add_blueprint(&mut self, mut blueprint: Blueprint) {
        if let Some(owner) = self.owner {
            blueprint.set_owner(owner);
        }
        self.blueprints.push(blueprint);
    }

    pub(crate) fn hooks(&mut self, app_wide: bool) -> &mut Hooks {
        if app_wide {
            &mut self.app_wide
        } else {
            &mut self.local
        }
    }
}

/// Adds a handler for errors caused by an `E`.
pub(crate) fn add_errorhandler_for<E: StdError + 'static, H: Handler<T, ()>, T: 'static>(
    hooks: &mut Hooks,
    handler: H,
) {
    hooks
        .err_type
        .push((matcher::<E>, std::any::type_name::<E>(), boxed(handler)));
}

impl fmt::Debug for ScopeDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field(
                "routes",
                &self.routes.iter().map(|(r, _)| r).collect::<Vec<_>>(),
            )
            .field("before_request", &self.local.before.len())
            .field("after_request", &self.local.after.len())
            .field("teardown_request", &self.local.teardown.len())
            .field(
                "errorhandlers",
                &self
                    .local
                    .err_code
                    .iter()
                    .map(|(c, _)| c)
                    .collect::<Vec<_>>(),
            )
            .field("blueprints", &self.blueprints)
            .finish()
    }
}

/// Rules, commands and nested blueprints: on `Flask`, `Blueprint` and `Setup`.
///
/// `$($recv)*` is `mut` (builders: `fn route(mut self, ..) -> Self`) or `&mut`
/// (`Setup`: `fn route(&mut self, ..) -> &mut Self`); the type provides
/// `fn registrar(&mut self) -> &mut ScopeDef`.
macro_rules! scope_methods {
    ([$($recv:tt)*] $ret:ty) => {
        /// Adds a rule with its handlers: `.route("/post/<int:post_id>", get(show_post))`, or
        /// a class-based view ([`MethodView`]($crate::views::MethodView)).
        ///
        /// Rule syntax, converters and endpoint names are Flask's; see the
        /// [routing guide](crate::routing). Mistakes in the rule are reported by `build`.
        /// `flask routes` shows who added it: the app, a blueprint or an extension.
        pub fn route(
            $($recv)* self,
            rule: &str,
            handlers: impl Into<$crate::routing::MethodHandlers>,
        ) -> $ret {
            self.registrar().add_route(rule, handlers.into());
            self
        }

        /// Registers a (nested) blueprint: its rules get its `url_prefix` after this
        /// scope's, its endpoints its name after this scope's (`parent.child.view`).
        /// Register one blueprint twice under two names with
        /// [`Blueprint::registered_as`]($crate::Blueprint::registered_as).
        pub fn blueprint($($recv)* self, blueprint: $crate::Blueprint) -> $ret {
            self.registrar().add_blueprint(blueprint);
            self
        }

        /// Adds a command to the app's command line (Flask's `@app.cli.command()`); a
        /// blueprint's commands are grouped under its name (`myapp admin create-user`).
        /// The handler gets a [`CliContext`]($crate::cli::CliContext) with the built app
        /// and the parsed arguments.
        pub fn command<F, Fut>($($recv)* self, command: clap::Command, handler: F) -> $ret
        where
            F: Fn($crate::cli::CliContext) -> Fut + Send + Sync + 'static,
            Fut: std::future::Future<Output = Result<(), $crate::BoxError>> + Send + 'static,
        {
            self.registrar()
                .add_command(None, command, $crate::cli::command_fn(handler), true);
            self
        }

        /// Adds a command to a group several extensions or blueprints can add to: with
        /// flask-sqlalchemy's `create-all` and flask-migrate's `upgrade` both in `db`, the app
        /// has `myapp db create-all` and `myapp db upgrade`.
        pub fn group_command<F, Fut>(
            $($recv)* self,
            group: &str,
            command: clap::Command,
            handler: F,
        ) -> $ret
        where
            F: Fn($crate::cli::CliContext) -> Fut + Send + Sync + 'static,
            Fut: std::future::Future<Output = Result<(), $crate::BoxError>> + Send + 'static,
        {
            self.registrar()
                .add_command(Some(group), command, $crate::cli::command_fn(handler), true);
            self
        }

        /// Like [`group_command`](Self::group_command), but the app's startup tasks (connecting
        /// databases, ...) do not run before the handler: it calls
        /// [`CliContext::startup`]($crate::cli::CliContext::startup) when it needs them. For
        /// commands that also work with nothing to reach, such as `db upgrade --sql`, which
        /// prints a script without a database.
        pub fn group_command_without_startup<F, Fut>(
            $($recv)* self,
            group: &str,
            command: clap::Command,
            handler: F,
        ) -> $ret
        where
            F: Fn($crate::cli::CliContext) -> Fut + Send + Sync + 'static,
            Fut: std::future::Future<Output = Result<(), $crate::BoxError>> + Send + 'static,
        {
            self.registrar()
                .add_command(Some(group), command, $crate::cli::command_fn(handler), false);
            self
        }
    };
}
pub(crate) use scope_methods;

/// Request hooks, error handlers, context processors and URL value functions.
///
/// Expanded with the names of the app's methods (`before_request`, ...) on `Flask`,
/// `Setup` and `Blueprint` (for the blueprint's own requests), and once more on `Blueprint`
/// with Flask's `app_` names (`before_app_request`, ...) for hooks a blueprint registers on
/// the whole app. `$app_wide` picks the list; `$scope` says whose requests, in the docs.
macro_rules! hook_methods {
    (
        [$($recv:tt)*] $ret:ty, app_wide: $app_wide:literal, scope: $scope:literal,
        $before_request:ident, $after_request:ident, $teardown_request:ident,
        $errorhandler:ident, $errorhandler_for:ident, $errorhandler_any:ident,
        $errorhandler_http:ident, $context_processor:ident, $url_value_preprocessor:ident,
        $url_defaults:ident
    ) => {
        #[doc = concat!("Runs `hook` before each of ", $scope, ", in registration order (the app's hooks first, then the blueprints' from outer to inner). A hook that returns a response answers the request: the view is skipped, `after_request` hooks still run.")]
        pub fn $before_request<H, T>($($recv)* self, hook: H) -> $ret
        where
            H: $crate::hooks::BeforeRequestHook<T>,
            T: 'static,
        {
            self.registrar().hooks($app_wide).before.push($crate::hooks::before(hook));
            self
        }

        #[doc = concat!("Runs `hook` on the response of each of ", $scope, "; it returns the (possibly changed) response. Hooks run in reverse registration order, inner blueprints first, the app's last, as in Flask.")]
        pub fn $after_request<F, Fut>($($recv)* self, hook: F) -> $ret
        where
            F: Fn($crate::RequestContext, axum::response::Response) -> Fut + Send + Sync + 'static,
            Fut: std::future::Future<Output = axum::response::Response> + Send + 'static,
        {
            self.registrar().hooks($app_wide).after.push($crate::hooks::after(hook));
            self
        }

        #[doc = concat!("Runs `hook` at the end of each of ", $scope, ", error or not; it gets the error the request ended with, if any. Same order as the `after_request` hooks.")]
        pub fn $teardown_request<F, Fut>($($recv)* self, hook: F) -> $ret
        where
            F: Fn($crate::RequestContext, Option<$crate::Error>) -> Fut + Send + Sync + 'static,
            Fut: std::future::Future<Output = ()> + Send + 'static,
        {
            self.registrar().hooks($app_wide).teardown.push($crate::hooks::teardown(hook));
            self
        }

        #[doc = concat!("Answers errors with this status in ", $scope, " (`abort(404)`, a router 404/405, a 500...) with `handler`, an ordinary handler that can extract the [`Error`](crate::Error) and the [`RequestContext`](crate::RequestContext). Its response is sent as it is: set the status yourself, as in Flask (`(StatusCode::NOT_FOUND, Html(..))`). Only 400-599 can be handled (`build` says so otherwise).")]
        pub fn $errorhandler<H, T>($($recv)* self, code: u16, handler: H) -> $ret
        where
            H: axum::handler::Handler<T, ()>,
            T: 'static,
        {
            self.registrar()
                .hooks($app_wide)
                .err_code
                .push((code, $crate::routing::method_routing::boxed(handler)));
            self
        }

        #[doc = concat!("Answers errors caused by an `E` (anywhere in the cause chain) in ", $scope, " with `handler`, Flask's `errorhandler(SomeError)`. Type handlers are tried before status handlers.")]
        pub fn $errorhandler_for<E, H, T>($($recv)* self, handler: H) -> $ret
        where
            E: std::error::Error + 'static,
            H: axum::handler::Handler<T, ()>,
            T: 'static,
        {
            $crate::registrar::add_errorhandler_for::<E, H, T>(
                self.registrar().hooks($app_wide),
                handler,
            );
            self
        }

        #[doc = concat!("Flask's `errorhandler(Exception)`: answers every error of ", $scope, " that no type or status handler takes, an HTTP error (`abort`, a 404) or a failure (`?`, a panic). In debug mode a failure still goes to the debug page when no handler for its type exists, as in Flask.")]
        pub fn $errorhandler_any<H, T>($($recv)* self, handler: H) -> $ret
        where
            H: axum::handler::Handler<T, ()>,
            T: 'static,
        {
            self.registrar().hooks($app_wide).err_any =
                Some($crate::routing::method_routing::boxed(handler));
            self
        }

        #[doc = concat!("Flask's `errorhandler(HTTPException)`: answers every HTTP error of ", $scope, " that no status handler takes, whatever its status. As in Flask, a failure no type handler took reaches it as a 500 (outside debug mode).")]
        pub fn $errorhandler_http<H, T>($($recv)* self, handler: H) -> $ret
        where
            H: axum::handler::Handler<T, ()>,
            T: 'static,
        {
            self.registrar().hooks($app_wide).err_http =
                Some($crate::routing::method_routing::boxed(handler));
            self
        }

        #[doc = concat!("Adds variables to every template rendered in ", $scope, " (Flask's `context_processor`): `f` returns a map, such as `context! { year => 2026 }`. The render call's own context wins on a name clash.")]
        pub fn $context_processor<F, V>($($recv)* self, f: F) -> $ret
        where
            F: Fn(&$crate::RequestContext) -> V + Send + Sync + 'static,
            V: serde::Serialize,
        {
            self.registrar()
                .hooks($app_wide)
                .context_processors
                .push($crate::templating::context_processor(f));
            self
        }

        #[doc = concat!("Flask's `url_value_preprocessor`: runs `f` for each of ", $scope, " before the `before_request` hooks, with the URL's values; a value `f` removes (`values.remove(\"lang_code\")`) is no longer in `Path<T>` or `ctx.view_args()`. Keep it in `g` for the views.")]
        pub fn $url_value_preprocessor<F>($($recv)* self, f: F) -> $ret
        where
            F: Fn(&$crate::RequestContext, &mut $crate::routing::ViewArgs) + Send + Sync + 'static,
        {
            self.registrar()
                .hooks($app_wide)
                .url_value_preprocessors
                .push(std::sync::Arc::new(f));
            self
        }

        #[doc = concat!("Flask's `url_defaults`: runs `f` each time `url_for` builds a URL for an endpoint of ", $scope, ", with the endpoint and the values given, to fill in what is missing (`values.set_default(\"lang_code\", ..)`).")]
        pub fn $url_defaults<F>($($recv)* self, f: F) -> $ret
        where
            F: Fn(&str, &mut $crate::routing::UrlValues<'_>) + Send + Sync + 'static,
        {
            self.registrar()
                .hooks($app_wide)
                .url_defaults
                .push(std::sync::Arc::new(f));
            self
        }
    };
}
pub(crate) use hook_methods;

/// Template filters, tests and globals, which are app-wide: `template_filter` on `Flask`
/// and `Setup`, Flask's `app_template_filter` on `Blueprint`.
macro_rules! template_methods {
    ([$($recv:tt)*] $ret:ty, $filter:ident, $test:ident, $global:ident) => {
        $crate::registrar::template_methods!(@one [$($recv)*] $ret, $filter, Filter,
            "Adds a template filter (Flask's `template_filter`), available in every template: `.template_filter(\"shout\", |s: String| s.to_uppercase())` for `{{ name|shout }}`.");
        $crate::registrar::template_methods!(@one [$($recv)*] $ret, $test, Test,
            "Adds a template test (Flask's `template_test`), available in every template: `{% if n is even %}`.");
        $crate::registrar::template_methods!(@one [$($recv)*] $ret, $global, Global,
            "Adds a function callable from every template (Flask's `template_global`), such as a `csrf_token()`.");
    };
    (@one [$($recv:tt)*] $ret:ty, $name:ident, $kind:ident, $doc:literal) => {
        #[doc = $doc]
        pub fn $name<F, Rv, Args>($($recv)* self, name: &'static str, f: F) -> $ret
        where
            F: minijinja::functions::Function<Rv, Args> + Clone,
            Rv: minijinja::value::FunctionResult,
            Args: for<'a> minijinja::value::FunctionArgs<'a>,
        {
            self.registrar().template_hooks.push($crate::templating::env_hook(
                $crate::templating::HookKind::$kind,
                name,
                f,
            ));
            self
        }
    };
}
pub(crate) use template_methods;

/// What only an app has (not a blueprint): state, tower layers, startup and shutdown
/// tasks, debug-page panels. On `Flask` and `Setup`; the type provides
/// `fn builder(&mut self) -> &mut Flask` and `fn task_owner(&self) -> &'static str`.
macro_rules! app_methods {
    ([$($recv:tt)*] $ret:ty) => {
        /// Stores a value shared by all requests, reached with [`State<T>`]($crate::State)
        /// (one per type; a second replaces the first).
        pub fn state<T: Send + Sync + 'static>($($recv)* self, value: T) -> $ret {
            self.builder().insert_state(value);
            self
        }

        /// Wraps the whole app (routing included) in a tower layer, like a WSGI middleware.
        /// Layers added later wrap the earlier ones.
        pub fn layer<L>($($recv)* self, layer: L) -> $ret
        where
            L: tower::Layer<$crate::app::Route> + Send + 'static,
            L::Service: tower::Service<axum::extract::Request, Error = std::convert::Infallible>
                + Clone
                + Send
                + Sync
                + 'static,
            <L::Service as tower::Service<axum::extract::Request>>::Response:
                axum::response::IntoResponse + 'static,
            <L::Service as tower::Service<axum::extract::Request>>::Future: Send + 'static,
        {
            self.builder().push_layer(layer);
            self
        }

        /// Runs `task` before the server accepts its first connection, before a test
        /// client's first request and before CLI commands (connect a pool, check settings).
        /// An error stops the app with a message naming who registered the task.
        pub fn on_startup<F, Fut>($($recv)* self, task: F) -> $ret
        where
            F: FnOnce($crate::App) -> Fut + Send + 'static,
            Fut: std::future::Future<Output = Result<(), $crate::BoxError>> + Send + 'static,
        {
            let owner = self.task_owner();
            self.builder().push_startup(owner, task);
            self
        }

        /// Runs `task` before the app serves (the server's first connection, a test client's
        /// first request), after the startup tasks; unlike `on_startup`, not before CLI
        /// commands such as `routes` or `db upgrade --sql`. For work that changes things, such
        /// as applying migrations or creating tables.
        pub fn on_serve<F, Fut>($($recv)* self, task: F) -> $ret
        where
            F: FnOnce($crate::App) -> Fut + Send + 'static,
            Fut: std::future::Future<Output = Result<(), $crate::BoxError>> + Send + 'static,
        {
            let owner = self.task_owner();
            self.builder().push_serve(owner, task);
            self
        }

        /// Runs `task` after the server stopped accepting requests and finished those in
        /// flight.
        pub fn on_shutdown<F, Fut>($($recv)* self, task: F) -> $ret
        where
            F: FnOnce($crate::App) -> Fut + Send + 'static,
            Fut: std::future::Future<Output = ()> + Send + 'static,
        {
            self.builder().push_shutdown(task);
            self
        }

        /// Runs `f` in the request before a template is streamed
        /// ([`stream_template`]($crate::stream_template)), while the session can still be
        /// saved: a template global that keeps something in the session (a CSRF secret) puts
        /// it there here, since the session is saved before a streamed body renders. An
        /// error is the request's error.
        pub fn before_template_stream<F>($($recv)* self, f: F) -> $ret
        where
            F: Fn(&$crate::RequestContext) -> Result<(), $crate::Error> + Send + Sync + 'static,
        {
            self.builder()
                .template_stream_hooks
                .push(std::sync::Arc::new(f));
            self
        }

        /// Adds a URL converter (Flask's `app.url_map.converters[name] = ..`): rules then
        /// use `<name:var>` or `<name(args):var>`. `factory` makes one from the arguments
        /// written in the rule, or says what is wrong with them (a build error naming the
        /// rule). A name of a built-in converter replaces it, as in Werkzeug. See
        /// [`UrlConverter`]($crate::routing::UrlConverter).
        pub fn converter<F, C>($($recv)* self, name: &str, factory: F) -> $ret
        where
            F: Fn(&$crate::routing::ConverterArgs) -> Result<C, String> + Send + Sync + 'static,
            C: $crate::routing::UrlConverter,
        {
            self.builder().converters.insert(
                name.to_owned(),
                std::sync::Arc::new(move |args| {
                    factory(args).map(|c| {
                        std::sync::Arc::new(c) as std::sync::Arc<dyn $crate::routing::UrlConverter>
                    })
                }),
            );
            self
        }

        /// Connects `receiver` to the app's signals (Flask's `request_started.connect(..)`
        /// and the others): it is called, synchronously, with each
        /// [`Signal`]($crate::signals::Signal). Match the ones you want.
        pub fn connect<F>($($recv)* self, receiver: F) -> $ret
        where
            F: Fn(&$crate::signals::Signal<'_>) + Send + Sync + 'static,
        {
            self.builder().signals.0.push(std::sync::Arc::new(receiver));
            self
        }

        /// Runs `f` when an app context ends (Flask's `teardown_appcontext`): at the end of
        /// each request, after the `teardown_request` hooks, and at the end of
        /// [`App::app_context`]($crate::App::app_context) and of each CLI command. It gets the
        /// failure the request ended with, as `teardown_request` hooks do. Latest first.
        pub fn teardown_appcontext<F, Fut>($($recv)* self, f: F) -> $ret
        where
            F: Fn($crate::App, Option<$crate::Error>) -> Fut + Send + Sync + 'static,
            Fut: std::future::Future<Output = ()> + Send + 'static,
        {
            self.builder()
                .appcontext_teardown
                .push(std::sync::Arc::new(move |app, err| Box::pin(f(app, err))));
            self
        }

        /// A template the app renders when none of its template folders has one of that
        /// name: how an extension ships its templates (flask-admin's `admin/list.html`), as
        /// Flask searches a blueprint's template folder after the app's. The app overrides
        /// one with a file of the same name in its own folder; a later source of the same
        /// name wins over an earlier one.
        pub fn template_source(
            $($recv)* self,
            name: impl Into<String>,
            source: impl Into<std::borrow::Cow<'static, str>>,
        ) -> $ret {
            self.builder()
                .template_sources
                .push((name.into(), source.into()));
            self
        }

        /// Flask's `shell_context_processor`: adds names to the `shell` command's prompt. `f`
        /// returns a map, such as `context! { admin => .. }`, made when the prompt starts;
        /// a later processor wins on a name clash.
        pub fn shell_context_processor<F, V>($($recv)* self, f: F) -> $ret
        where
            F: Fn(&$crate::App) -> V + Send + Sync + 'static,
            V: serde::Serialize,
        {
            self.builder()
                .shell_context
                .push(std::sync::Arc::new(move |app| minijinja::Value::from_serialize(f(app))));
            self
        }

        /// Adds a section to the debug page (shown only in debug mode, for a failing
        /// request): `panel` makes its table from the request, when the page is rendered.
        pub fn debug_panel<F>($($recv)* self, title: &'static str, panel: F) -> $ret
        where
            F: Fn(&$crate::RequestContext) -> $crate::DebugPanel + Send + Sync + 'static,
        {
            self.builder()
                .debug_panels
                .push((title, std::sync::Arc::new(panel)));
            self
        }
    };
}
pub(crate) use app_methods;
