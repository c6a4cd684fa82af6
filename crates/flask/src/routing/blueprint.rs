//! Blueprints: a name, a URL prefix, their own rules, hooks and error handlers.

use crate::registrar::{ScopeDef, hook_methods, scope_methods, template_methods};

/// A group of routes with a name, an optional URL prefix, and its own hooks and error
/// handlers, like Flask's `Blueprint`. Register it with [`Flask::blueprint`](crate::Flask::blueprint)
/// or nest it in another blueprint.
///
/// ```
/// use flask::{Blueprint, Flask, RequestContext, routing::get};
///
/// #[flask::view]
/// async fn login(ctx: RequestContext) -> String {
///     // Relative to the current blueprint: "auth.register".
///     ctx.url_for(".register").build().unwrap()
/// }
/// #[flask::view]
/// async fn register() -> &'static str { "register" }
///
/// let auth = Blueprint::new("auth")
///     .url_prefix("/auth")
///     .route("/login", get(login))
///     .route("/register", get(register));
/// let app = Flask::new("demo").blueprint(auth).build().unwrap();
/// assert_eq!(app.url_for("auth.login").relative().build().unwrap(), "/auth/login");
/// ```
#[derive(Debug, Clone)]
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
    /// Flask's `Blueprint(subdomain=...)`.
    pub(crate) subdomain: Option<String>,
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
            subdomain: None,
        }
    }

    /// Flask's `Blueprint(subdomain="api")`: with
    /// [`Flask::subdomain_matching`](crate::Flask::subdomain_matching), its rules answer this
    /// subdomain of `SERVER_NAME` (a rule's own `.subdomain(..)` wins). A nested blueprint's
    /// subdomain comes before its parent's (`child.parent`), as in Flask.
    pub fn subdomain(mut self, subdomain: &str) -> Self {
        self.subdomain = Some(subdomain.to_owned());
        self
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

    /// Registers the blueprint under another name, Flask's
    /// `register_blueprint(bp, name=...)`: its endpoints become `name.view`. With a clone,
    /// one blueprint serves twice under two prefixes:
    ///
    /// ```
    /// use flask::{Blueprint, Flask, routing::get};
    /// #[flask::view]
    /// async fn index() -> &'static str { "api" }
    /// let api = Blueprint::new("api").route("/", get(index));
    /// let app = Flask::new("demo")
    ///     .blueprint(api.clone().url_prefix("/v1"))
    ///     .blueprint(api.registered_as("v2").url_prefix("/v2"))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(app.url_for("v2.index").relative().build().unwrap(), "/v2/");
    /// ```
    pub fn registered_as(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    pub(crate) fn set_owner(&mut self, owner: &str) {
        self.owner = Some(owner.to_owned());
    }

    fn registrar(&mut self) -> &mut ScopeDef {
        &mut self.scope
    }

    scope_methods!([mut] Self);
    hook_methods!(
        [mut] Self, app_wide: false, scope: "this blueprint's requests",
        before_request, after_request, teardown_request, errorhandler, errorhandler_for,
        errorhandler_any, errorhandler_http, context_processor, url_value_preprocessor,
        url_defaults
    );
    hook_methods!(
        [mut] Self, app_wide: true,
        scope: "the app's requests, whatever their blueprint (Flask's `app_` methods of a blueprint)",
        before_app_request, after_app_request, teardown_app_request, app_errorhandler,
        app_errorhandler_for, app_errorhandler_any, app_errorhandler_http,
        app_context_processor, app_url_value_preprocessor, app_url_defaults
    );
    template_methods!(
        [mut] Self,
        app_template_filter,
        app_template_test,
        app_template_global
    );
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
