//! `BaseView`: Flask-Admin's `BaseView` with `@expose`, a page of the app's own in the
//! admin, under its menu, its checks and its permissions.

use std::sync::Arc;

use flask::routing::MethodHandlers;
use flask::{Blueprint, Error, RequestContext, SetupError};

use crate::admin::{AccessFn, Shared};
use crate::model_view::AdminView;

/// A page of the app's own in the admin (Flask-Admin's `BaseView`): its routes, exposed
/// under `/admin/<endpoint>/`, get the admin's menu (render with
/// [`flask_admin::render`](crate::render)), its `is_accessible` and the `View` permission.
///
/// ```
/// use flask::routing::get;
/// use flask::{Error, Html, RequestContext};
/// use flask_admin::{Admin, BaseView};
///
/// async fn report(ctx: RequestContext) -> Result<Html<String>, Error> {
///     flask_admin::render(&ctx, "reports.html", flask::context! { total => 42 })
/// }
///
/// let admin = Admin::new("Store").page(
///     BaseView::new("Reports").category("Sales").expose("/", get(report)),
/// );
/// # let _ = admin;
/// ```
pub struct BaseView {
    name: String,
    endpoint: String,
    category: Option<String>,
    routes: Vec<(String, MethodHandlers)>,
    access: Option<AccessFn>,
}

impl std::fmt::Debug for BaseView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BaseView")
            .field("name", &self.name)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl BaseView {
    /// A page named `name` in the menu; its endpoint is the name in lower case with `_`
    /// for spaces (`"Sales report"`: `sales_report`, at `/admin/sales_report/`).
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        let endpoint = name
            .to_lowercase()
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { '_' })
            .collect();
        BaseView {
            name,
            endpoint,
            category: None,
            routes: Vec::new(),
            access: None,
        }
    }

    /// The endpoint and URL segment.
    #[must_use]
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    /// The menu category it is listed under.
    #[must_use]
    pub fn category(mut self, category: impl Into<String>) -> Self {
        self.category = Some(category.into());
        self
    }

    /// Flask-Admin's `@expose(rule)`: a route of the page, under its URL. The route `/` is
    /// the one the menu links to, with the endpoint `<endpoint>.index`.
    #[must_use]
    pub fn expose(mut self, rule: &str, handlers: impl Into<MethodHandlers>) -> Self {
        let mut handlers = handlers.into();
        if rule == "/" {
            handlers = handlers.endpoint("index");
        }
        self.routes.push((rule.to_owned(), handlers));
        self
    }

    /// Who may see the page (the admin's check comes first); others get a 403.
    #[must_use]
    pub fn is_accessible<F>(mut self, f: F) -> Self
    where
        F: Fn(&RequestContext) -> bool + Send + Sync + 'static,
    {
        self.access = Some(Arc::new(f));
        self
    }
}

impl AdminView for BaseView {
    fn name(&self) -> &str {
        &self.name
    }

    fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn category(&self) -> Option<&str> {
        self.category.as_deref()
    }

    fn index_endpoint(&self) -> &'static str {
        "index"
    }

    fn blueprint(self: Arc<Self>, shared: Arc<Shared>) -> Result<Blueprint, SetupError> {
        if !self.routes.iter().any(|(rule, _)| rule == "/") {
            return Err(SetupError::extension(
                "admin",
                format!(
                    "the page {:?} exposes no \"/\" route, which its menu entry links to: add .expose(\"/\", get(..))",
                    self.name
                ),
            ));
        }
        let url = format!("{}/{}", shared.url.trim_end_matches('/'), self.endpoint);
        let view = self.clone();
        let mut bp = Blueprint::new(&self.endpoint)
            .url_prefix(url)
            .before_request(move |ctx: RequestContext| {
                let (view, shared) = (view.clone(), shared.clone());
                async move {
                    shared.check(&ctx)?;
                    if let Some(allowed) = &view.access
                        && !allowed(&ctx)
                    {
                        return Err(flask::abort(403));
                    }
                    if !shared.permits(&ctx, &view.endpoint, &crate::Permission::View) {
                        return Err(Error::with_description(
                            flask::StatusCode::FORBIDDEN,
                            format!("You do not have the permission to see {}.", view.name),
                        ));
                    }
                    Ok::<(), Error>(())
                }
            });
        for (rule, handlers) in &self.routes {
            bp = bp.route(rule, handlers.clone());
        }
        Ok(bp)
    }
}
