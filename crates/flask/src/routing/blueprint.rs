//! Blueprints, and the registration methods they share with the app.

use std::error::Error as StdError;
use std::fmt;

use crate::Error;
use crate::hooks::{AfterFn, BeforeFn, TeardownFn};
use crate::routing::method_routing::{BoxedHandler, MethodHandlers, boxed};
use axum::handler::Handler;

/// Checks whether an error's cause is of one type (for `errorhandler_for`).
pub(crate) type ErrorMatcher = fn(&Error) -> bool;

pub(crate) fn matcher<E: StdError + 'static>(e: &Error) -> bool {
    e.downcast_ref::<E>().is_some()
}

/// What the app and each blueprint hold: routes, hooks, error handlers, child blueprints.
#[derive(Default)]
pub(crate) struct ScopeDef {
    pub(crate) routes: Vec<(String, MethodHandlers)>,
    pub(crate) before: Vec<BeforeFn>,
    pub(crate) after: Vec<AfterFn>,
    pub(crate) teardown: Vec<TeardownFn>,
    pub(crate) err_code: Vec<(u16, BoxedHandler)>,
    pub(crate) err_type: Vec<(ErrorMatcher, &'static str, BoxedHandler)>,
    pub(crate) blueprints: Vec<Blueprint>,
    pub(crate) context_processors: Vec<crate::templating::ContextProcessor>,
    /// Commands, each with the group it goes in when not the scope's own.
    pub(crate) commands: Vec<(Option<String>, clap::Command, crate::cli::CommandFn)>,
}

impl ScopeDef {
    /// Adds a handler for errors with status `code` (checked when the app is built).
    pub(crate) fn add_errorhandler<H: Handler<T, ()>, T: 'static>(
        &mut self,
        code: u16,
        handler: H,
    ) {
        self.err_code.push((code, boxed(handler)));
    }

    /// Adds a handler for errors caused by an `E`.
    pub(crate) fn add_errorhandler_for<E: StdError + 'static, H: Handler<T, ()>, T: 'static>(
        &mut self,
        handler: H,
    ) {
        self.err_type
            .push((matcher::<E>, std::any::type_name::<E>(), boxed(handler)));
    }
}

impl fmt::Debug for ScopeDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field(
                "routes",
                &self.routes.iter().map(|(r, _)| r).collect::<Vec<_>>(),
            )
            .field("before_request", &self.before.len())
            .field("after_request", &self.after.len())
            .field("teardown_request", &self.teardown.len())
            .field(
                "errorhandlers",
                &self.err_code.iter().map(|(c, _)| c).collect::<Vec<_>>(),
            )
            .field("blueprints", &self.blueprints)
            .finish()
    }
}

/// The registration methods shared by [`Flask`](crate::Flask) and [`Blueprint`].
macro_rules! scope_methods {
    () => {
        /// Adds a rule with its handlers: `.route("/post/<int:post_id>", get(show_post))`.
        ///
        /// Rule syntax, converters and endpoint names are Flask's; see the
        /// [routing guide](crate::routing). Mistakes in the rule are reported by `build`.
        pub fn route(mut self, rule: &str, handlers: $crate::routing::MethodHandlers) -> Self {
            self.scope_mut().routes.push((rule.to_owned(), handlers));
            self
        }

        /// Runs `hook` before each request of this scope, in registration order (the app's
        /// hooks first, then the blueprints' from outer to inner). A hook that returns a
        /// response answers the request: the view is skipped, `after_request` hooks still run.
        pub fn before_request<H, T>(mut self, hook: H) -> Self
        where
            H: $crate::hooks::BeforeRequestHook<T>,
            T: 'static,
        {
            self.scope_mut().before.push($crate::hooks::before(hook));
            self
        }

        /// Runs `hook` on each response of this scope; it returns the (possibly changed)
        /// response. Hooks run in reverse registration order, inner blueprints first, the
        /// app's last, as in Flask.
        pub fn after_request<F, Fut>(mut self, hook: F) -> Self
        where
            F: Fn($crate::RequestContext, axum::response::Response) -> Fut + Send + Sync + 'static,
            Fut: std::future::Future<Output = axum::response::Response> + Send + 'static,
        {
            self.scope_mut().after.push($crate::hooks::after(hook));
            self
        }

        /// Runs `hook` at the end of each request of this scope, error or not; it gets the
        /// error the request ended with, if any. Same order as `after_request`.
        pub fn teardown_request<F, Fut>(mut self, hook: F) -> Self
        where
            F: Fn($crate::RequestContext, Option<$crate::Error>) -> Fut + Send + Sync + 'static,
            Fut: std::future::Future<Output = ()> + Send + 'static,
        {
            self.scope_mut()
                .teardown
                .push($crate::hooks::teardown(hook));
            self
        }

        /// Answers errors with this status (`abort(404)`, a router 404/405, a 500...) with
        /// `handler`, an ordinary handler that can extract the [`Error`]($crate::Error) and
        /// the [`RequestContext`]($crate::RequestContext). Its response is sent as it is:
        /// set the status yourself, as in Flask (`(StatusCode::NOT_FOUND, Html(..))`).
        pub fn errorhandler<H, T>(mut self, code: u16, handler: H) -> Self
        where
            H: axum::handler::Handler<T, ()>,
            T: 'static,
        {
            self.scope_mut().add_errorhandler(code, handler);
            self
        }

        /// Answers errors caused by an `E` (anywhere in the cause chain) with `handler`.
        /// Type handlers are tried before status handlers.
        pub fn errorhandler_for<E, H, T>(mut self, handler: H) -> Self
        where
            E: std::error::Error + 'static,
            H: axum::handler::Handler<T, ()>,
            T: 'static,
        {
            self.scope_mut().add_errorhandler_for::<E, H, T>(handler);
            self
        }

        /// Adds variables to every template rendered in this scope's requests (Flask's
        /// `context_processor`): `f` returns a map, such as `context! { year => 2026 }`.
        /// The render call's own context wins on a name clash.
        pub fn context_processor<F, V>(mut self, f: F) -> Self
        where
            F: Fn(&$crate::RequestContext) -> V + Send + Sync + 'static,
            V: serde::Serialize,
        {
            self.scope_mut()
                .context_processors
                .push($crate::templating::context_processor(f));
            self
        }

        /// Adds a command to the app's command line (Flask's `@app.cli.command()`); a
        /// blueprint's commands are grouped under its name (`myapp admin create-user`).
        /// The handler gets a [`CliContext`]($crate::cli::CliContext) with the built app
        /// and the parsed arguments.
        pub fn command<F, Fut>(mut self, command: clap::Command, handler: F) -> Self
        where
            F: Fn($crate::cli::CliContext) -> Fut + Send + Sync + 'static,
            Fut: std::future::Future<Output = Result<(), $crate::BoxError>> + Send + 'static,
        {
            self.scope_mut()
                .commands
                .push((None, command, $crate::cli::command_fn(handler)));
            self
        }

        /// Registers a (nested) blueprint: its rules get its `url_prefix` after this
        /// scope's, its endpoints its name after this scope's (`parent.child.view`).
        pub fn blueprint(mut self, blueprint: $crate::Blueprint) -> Self {
            self.scope_mut().blueprints.push(blueprint);
            self
        }
    };
}
pub(crate) use scope_methods;

/// A group of routes with a name, an optional URL prefix, and its own hooks and error
/// handlers, like Flask's `Blueprint`. Register it with [`Flask::blueprint`](crate::Flask::blueprint)
/// or nest it in another blueprint.
///
/// ```
/// use flask::{Blueprint, Flask, RequestContext, routing::get};
///
/// async fn login(ctx: RequestContext) -> String {
///     // Relative to the current blueprint: "auth.register".
///     ctx.url_for(".register").build().unwrap()
/// }
/// async fn register() -> &'static str { "register" }
///
/// let auth = Blueprint::new("auth")
///     .url_prefix("/auth")
///     .route("/login", get(login))
///     .route("/register", get(register));
/// let app = Flask::new("demo").blueprint(auth).build().unwrap();
/// assert_eq!(app.url_for("auth.login").relative().build().unwrap(), "/auth/login");
/// ```
#[derive(Debug)]
#[must_use = "register it with .blueprint(..)"]
pub struct Blueprint {
    pub(crate) name: String,
    pub(crate) url_prefix: Option<String>,
    pub(crate) scope: ScopeDef,
    /// The extension that registered it, if one did.
    pub(crate) owner: Option<String>,
    /// Its template folder (relative paths are taken from the app's root).
    pub(crate) template_folder: Option<std::path::PathBuf>,
    /// Its static folder and URL path (under the blueprint's prefix).
    pub(crate) static_files: Option<(std::path::PathBuf, String)>,
}

impl Blueprint {
    /// A blueprint named `name` (the prefix of its endpoint names). A name must not be
    /// empty or contain a dot; `build` reports it otherwise.
    pub fn new(name: impl Into<String>) -> Self {
        Blueprint {
            name: name.into(),
            url_prefix: None,
            scope: ScopeDef::default(),
            owner: None,
            template_folder: None,
            static_files: None,
        }
    }

    /// Serves the files of `folder` (relative to the app's root) at
    /// `<url_prefix>/<last folder name>/<path:filename>`, endpoint `<name>.static`, as a
    /// Flask blueprint's `static_folder` does. Use [`Blueprint::static_url_path`] for
    /// another URL.
    pub fn static_folder(mut self, folder: impl Into<std::path::PathBuf>) -> Self {
        let folder = folder.into();
        let last = folder
            .file_name()
            .map_or_else(|| "static".to_owned(), |n| n.to_string_lossy().into_owned());
        self.static_files = Some((folder, format!("/{last}")));
        self
    }

    /// The URL path of the blueprint's static files (after its `url_prefix`).
    pub fn static_url_path(mut self, path: &str) -> Self {
        if let Some((_, url)) = &mut self.static_files {
            *url = path.trim_end_matches('/').to_owned();
        }
        self
    }

    /// A folder of templates for this blueprint, searched after the app's `templates/`
    /// (so the app can override a blueprint's template). Relative to the app's root.
    pub fn template_folder(mut self, folder: impl Into<std::path::PathBuf>) -> Self {
        self.template_folder = Some(folder.into());
        self
    }

    /// Prefixes every rule of the blueprint (`"/auth"`).
    pub fn url_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.url_prefix = Some(prefix.into());
        self
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn set_owner(&mut self, owner: &str) {
        self.owner = Some(owner.to_owned());
    }

    fn scope_mut(&mut self) -> &mut ScopeDef {
        &mut self.scope
    }

    scope_methods!();
}

/// Joins a prefix and a rule the way Flask does.
pub(crate) fn join_rule(prefix: &str, rule: &str) -> String {
    if prefix.is_empty() {
        return rule.to_owned();
    }
    if rule.is_empty() {
        return prefix.to_owned();
    }
    format!(
        "{}/{}",
        prefix.trim_end_matches('/'),
        rule.trim_start_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::join_rule;

    #[test]
    fn joins_like_flask() {
        assert_eq!(join_rule("/auth", "/login"), "/auth/login");
        assert_eq!(join_rule("/auth/", "/"), "/auth/");
        assert_eq!(join_rule("", "/x"), "/x");
        assert_eq!(join_rule("/a", "/b/<int:id>"), "/a/b/<int:id>");
    }
}
