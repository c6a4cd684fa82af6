//! `Admin`: Flask-Admin's `Admin` object, the extension that mounts the views, the index
//! page and the menu.

use std::sync::Arc;

use flask::routing::get;
use flask::{
    Blueprint, Error, HeaderValue, IntoResponse, RequestContext, Response, Setup, SetupError,
    render_template,
};
use serde::Serialize;

use crate::model_view::AdminView;

/// An access check: whether the request may see a page.
pub(crate) type AccessFn = Arc<dyn Fn(&RequestContext) -> bool + Send + Sync>;

/// Flask-Admin's `Admin`: give it views, register it with `.extension(admin)`.
///
/// ```
/// use flask::Flask;
/// use flask_admin::{Admin, ModelView};
/// use flask_sqlalchemy::{Model, SQLAlchemy};
///
/// #[derive(Debug, Clone, Model, serde::Serialize, serde::Deserialize)]
/// struct Post {
///     #[model(primary_key)]
///     id: i64,
///     #[model(max_length = 80)]
///     title: String,
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = Flask::new("blog")
///     .configure(|c| {
///         c.set("SQLALCHEMY_DATABASE_URI", "sqlite://");
///         c.set("SECRET_KEY", "dev");
///     })
///     .extension(SQLAlchemy::new().model::<Post>().create_all_on_startup())
///     .extension(Admin::new("Blog admin").view(ModelView::<Post>::new().column_searchable_list(&["title"])))
///     .test_client();
/// let page = client.get("/admin/post/").send().await;
/// assert!(page.text().contains("Blog admin"));
/// # }
/// ```
pub struct Admin {
    name: String,
    url: String,
    access: Option<AccessFn>,
    permissions: Option<crate::permissions::PermissionFn>,
    audit: Option<crate::audit::UserFn>,
    dashboard: Option<Arc<crate::Dashboard>>,
    views: Vec<Arc<dyn AdminView>>,
    /// The audit log's view, listed after the app's.
    audit_view: Option<Arc<dyn AdminView>>,
    /// What the pages share, once the app is built ([`render`](crate::render) reads it).
    shared: std::sync::OnceLock<Arc<Shared>>,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin")
            .field("name", &self.name)
            .field("url", &self.url)
            .field(
                "views",
                &self.views.iter().map(|v| v.endpoint()).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// What every page of the admin needs: its name, URL, check and menu.
pub(crate) struct Shared {
    pub(crate) name: String,
    pub(crate) url: String,
    access: Option<AccessFn>,
    permissions: Option<crate::permissions::PermissionFn>,
    /// Names the user of each change for the audit log, when it is on.
    pub(crate) audit: Option<crate::audit::UserFn>,
    /// (name, endpoint, category), in registration order.
    menu: Vec<(String, String, Option<String>, &'static str)>,
}

/// A menu entry as templates see it.
#[derive(Serialize)]
struct MenuEntry {
    name: String,
    url: Option<String>,
    active: bool,
    /// A category's views.
    children: Vec<MenuEntry>,
}

impl Shared {
    /// Refuses a request the admin's check turns away (403).
    pub(crate) fn check(&self, ctx: &RequestContext) -> Result<(), Error> {
        match &self.access {
            Some(allowed) if !allowed(ctx) => Err(flask::abort(403)),
            _ => Ok(()),
        }
    }

    /// Whether the request may do `permission` on the view `endpoint` (always, without
    /// [`Admin::permissions`]).
    pub(crate) fn permits(
        &self,
        ctx: &RequestContext,
        endpoint: &str,
        permission: &crate::Permission,
    ) -> bool {
        match &self.permissions {
            Some(permits) => permits(ctx, endpoint, permission),
            None => true,
        }
    }

    /// `admin` in the templates: the name, the index URL, the menu, the stylesheet.
    pub(crate) fn template_admin(&self, ctx: &RequestContext) -> serde_json::Value {
        let current = ctx.blueprint().unwrap_or("");
        let mut menu: Vec<MenuEntry> = Vec::new();
        for (name, endpoint, category, index) in &self.menu {
            // A view the request may not see is not in its menu.
            if !self.permits(ctx, endpoint, &crate::Permission::View) {
                continue;
            }
            let entry = MenuEntry {
                name: name.clone(),
                url: ctx.url_for(&format!("{endpoint}.{index}")).build().ok(),
                active: current == endpoint,
                children: Vec::new(),
            };
            match category {
                None => menu.push(entry),
                Some(category) => {
                    match menu
                        .iter_mut()
                        .find(|m| m.url.is_none() && &m.name == category)
                    {
                        Some(group) => {
                            group.active |= entry.active;
                            group.children.push(entry);
                        }
                        None => menu.push(MenuEntry {
                            name: category.clone(),
                            url: None,
                            active: entry.active,
                            children: vec![entry],
                        }),
                    }
                }
            }
        }
        serde_json::json!({
            "name": self.name,
            "index_url": ctx.url_for("admin.index").build().unwrap_or_default(),
            "css_url": ctx.url_for("admin.stylesheet").build().unwrap_or_default(),
            "menu": menu,
        })
    }
}

impl Admin {
    /// An admin named `name` (the menu's title), at `/admin`.
    pub fn new(name: impl Into<String>) -> Self {
        Admin {
            name: name.into(),
            url: "/admin".to_owned(),
            access: None,
            permissions: None,
            audit: None,
            dashboard: None,
            views: Vec::new(),
            audit_view: None,
            shared: std::sync::OnceLock::new(),
        }
    }

    /// Where the admin is mounted (`/admin` by default).
    #[must_use]
    pub fn url(mut self, url: impl Into<String>) -> Self {
        let url = url.into();
        self.url = format!("/{}", url.trim_matches('/'));
        self
    }

    /// Adds a page of the app's own (Flask-Admin's `add_view(MyView(BaseView))`).
    #[must_use]
    pub fn page(mut self, page: crate::BaseView) -> Self {
        self.views.push(Arc::new(page));
        self
    }

    /// Adds a view (Flask-Admin's `add_view`).
    #[must_use]
    pub fn view<M>(mut self, view: crate::ModelView<M>) -> Self
    where
        M: flask_sqlalchemy::Model + Serialize + serde::de::DeserializeOwned + Clone,
    {
        self.views.push(Arc::new(view));
        self
    }

    /// Django-style permissions: `f(ctx, endpoint, permission)` says whether the request may
    /// see a view's rows, create, edit, delete, export or run an action there. A view the
    /// request may not see is not in its menu; a link to what it may not do is not shown;
    /// the page itself answers 403.
    ///
    /// ```
    /// # use flask_admin::{Admin, Permission};
    /// let admin = Admin::new("Store").permissions(|_ctx, endpoint, permission| {
    ///     endpoint != "user" || *permission == Permission::View
    /// });
    /// # let _ = admin;
    /// ```
    #[must_use]
    pub fn permissions<F>(mut self, f: F) -> Self
    where
        F: Fn(&RequestContext, &str, &crate::Permission) -> bool + Send + Sync + 'static,
    {
        self.permissions = Some(Arc::new(f));
        self
    }

    /// Permissions by role (Django's groups): `roles_of(ctx)` names the request's roles
    /// (from flask-login's current user, say), and `roles` grants each its permissions.
    ///
    /// ```
    /// # #[derive(Clone, serde::Serialize)] struct User { id: i64, role: String }
    /// # impl flask_login::UserMixin for User { fn get_id(&self) -> String { self.id.to_string() } }
    /// use flask_admin::{Admin, Roles};
    /// use flask_login::CurrentUser;
    ///
    /// let admin = Admin::new("Store").permissions_by_role(
    ///     Roles::new().grant("staff", &["*.view", "order.*"]).grant("admin", &["*"]),
    ///     |ctx| {
    ///         CurrentUser::<User>::of(ctx)
    ///             .and_then(|c| c.user())
    ///             .map(|u| vec![u.role])
    ///             .unwrap_or_default()
    ///     },
    /// );
    /// # let _ = admin;
    /// ```
    #[must_use]
    pub fn permissions_by_role<F>(self, roles: crate::Roles, roles_of: F) -> Self
    where
        F: Fn(&RequestContext) -> Vec<String> + Send + Sync + 'static,
    {
        self.permissions(move |ctx, endpoint, permission| {
            roles.allows(&roles_of(ctx), endpoint, permission)
        })
    }

    /// Keeps an audit log of every change made through the admin (Django admin's change
    /// history): who (`user_of(ctx)`, say the current user's name), when, which view and
    /// row, and what changed. The entries are [`AdminLogEntry`](crate::AdminLogEntry) rows,
    /// whose model the app registers with flask-sqlalchemy (the app does not start
    /// without it); the admin lists them read-only under "Audit log" (endpoint
    /// `admin_log`), newest first.
    #[must_use]
    pub fn audit_log<F>(mut self, user_of: F) -> Self
    where
        F: Fn(&RequestContext) -> Option<String> + Send + Sync + 'static,
    {
        self.audit = Some(Arc::new(user_of));
        self.audit_view = Some(Arc::new(
            crate::ModelView::<crate::AdminLogEntry>::new()
                .name("Audit log")
                .endpoint("admin_log")
                .can_create(false)
                .can_edit(false)
                .can_delete(false)
                .column_searchable_list(&["user", "object_id"])
                .column_filters(&["at", "user", "view", "action"])
                .column_default_sort("at", true),
        ));
        self
    }

    /// The dashboard on the index page: counts and charts of the models' rows.
    #[must_use]
    pub fn dashboard(mut self, dashboard: crate::Dashboard) -> Self {
        self.dashboard = Some(Arc::new(dashboard));
        self
    }

    /// Who may use the admin at all (each view may narrow it further): Flask-Admin's
    /// `is_accessible` on every view, written once. Others get a 403.
    ///
    /// ```
    /// # use flask_admin::Admin;
    /// let admin = Admin::new("Admin").is_accessible(|ctx| ctx.session().is_some_and(|s| s.get::<bool>("is_admin").unwrap_or(false)));
    /// # let _ = admin;
    /// ```
    #[must_use]
    pub fn is_accessible<F>(mut self, f: F) -> Self
    where
        F: Fn(&RequestContext) -> bool + Send + Sync + 'static,
    {
        self.access = Some(Arc::new(f));
        self
    }
}

const TEMPLATES: [(&str, &str); 6] = [
    (
        "admin/base.html",
        include_str!("../templates/admin/base.html"),
    ),
    (
        "admin/index.html",
        include_str!("../templates/admin/index.html"),
    ),
    (
        "admin/list.html",
        include_str!("../templates/admin/list.html"),
    ),
    (
        "admin/edit.html",
        include_str!("../templates/admin/edit.html"),
    ),
    (
        "admin/details.html",
        include_str!("../templates/admin/details.html"),
    ),
    (
        "admin/action.html",
        include_str!("../templates/admin/action.html"),
    ),
];

const STYLESHEET: &str = include_str!("../static/admin.css");

impl flask::Extension for Admin {
    fn name(&self) -> &'static str {
        "admin"
    }

    fn init_app(&self, app: &mut Setup) -> Result<(), SetupError> {
        // The app's views, then the audit log's.
        let views: Vec<Arc<dyn AdminView>> = self
            .views
            .iter()
            .chain(self.audit_view.as_ref())
            .cloned()
            .collect();
        let mut seen: Vec<&str> = Vec::new();
        for view in &views {
            if seen.contains(&view.endpoint()) {
                return Err(SetupError::extension(
                    "admin",
                    format!(
                        "two views have the endpoint {:?}: give one another with .endpoint(..)",
                        view.endpoint()
                    ),
                ));
            }
            seen.push(view.endpoint());
        }
        let shared = Arc::new(Shared {
            name: self.name.clone(),
            url: self.url.clone(),
            access: self.access.clone(),
            permissions: self.permissions.clone(),
            audit: self.audit.clone(),
            menu: views
                .iter()
                .map(|v| {
                    (
                        v.name().to_owned(),
                        v.endpoint().to_owned(),
                        v.category().map(str::to_owned),
                        v.index_endpoint(),
                    )
                })
                .collect(),
        });
        let _ = self.shared.set(shared.clone());
        if self.audit.is_some() {
            // The log's table must be the app's: said at startup, not at the first change.
            app.on_startup(|app| async move {
                let known = app
                    .extension::<flask_sqlalchemy::SQLAlchemy>()
                    .is_some_and(|ext| {
                        ext.metadata()
                            .tables()
                            .iter()
                            .any(|t| t.name == "admin_log")
                    });
                if known {
                    Ok(())
                } else {
                    Err("Admin::audit_log needs its table: register the model with \
                         SQLAlchemy::new().model::<flask_admin::AdminLogEntry>() (and create \
                         the table, with create_all or a migration)"
                        .into())
                }
            });
        }
        for (name, source) in TEMPLATES {
            app.template_source(name, source);
        }
        let index = shared.clone();
        let dashboard = self.dashboard.clone().filter(|d| !d.is_empty());
        app.blueprint(
            Blueprint::new("admin")
                .url_prefix(self.url.clone())
                .route(
                    "/",
                    get(move |ctx: RequestContext| {
                        let shared = index.clone();
                        let dashboard = dashboard.clone();
                        async move { index_page(&shared, dashboard.as_deref(), &ctx).await }
                    })
                    .endpoint("index"),
                )
                .route(
                    "/static/admin.css",
                    get(|| async { stylesheet() }).endpoint("stylesheet"),
                ),
        );
        for view in &views {
            app.blueprint(view.clone().blueprint(shared.clone())?);
        }
        Ok(())
    }
}

async fn index_page(
    shared: &Shared,
    dashboard: Option<&crate::Dashboard>,
    ctx: &RequestContext,
) -> Result<Response, Error> {
    shared.check(ctx)?;
    let tiles = match (
        dashboard,
        ctx.app().extension::<flask_sqlalchemy::SQLAlchemy>(),
    ) {
        (Some(d), Some(ext)) => d.render(&ext).await,
        _ => Vec::new(),
    };
    let context = flask::context! {
        admin => flask::minijinja::Value::from_serialize(shared.template_admin(ctx)),
        tiles => tiles,
    };
    Ok(render_template("admin/index.html", context)?.into_response())
}

fn stylesheet() -> Response {
    let mut resp = STYLESHEET.into_response();
    resp.headers_mut().insert(
        http_header("content-type"),
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    resp.headers_mut().insert(
        http_header("cache-control"),
        HeaderValue::from_static("public, max-age=3600"),
    );
    resp
}

fn http_header(name: &'static str) -> flask::HeaderName {
    flask::HeaderName::from_static(name)
}

/// Renders `template` for a page of the admin, as Flask-Admin's `self.render(..)` does:
/// `context` plus `admin` (its name, menu and stylesheet), which `admin/base.html` draws.
/// Extend `admin/base.html` and fill its `body` block:
///
/// ```text
/// {% extends "admin/base.html" %}
/// {% block body %}<h1>Sales by city</h1>...{% endblock %}
/// ```
///
/// # Errors
/// The template's error; a 500 when the app has no [`Admin`].
pub fn render(
    ctx: &RequestContext,
    template: &str,
    context: impl Serialize,
) -> Result<flask::Html<String>, Error> {
    let admin = ctx
        .app()
        .extension::<Admin>()
        .and_then(|a| a.shared.get().cloned())
        .ok_or_else(|| Error::internal("flask_admin::render needs the Admin extension"))?;
    let context = flask::context! {
        admin => flask::minijinja::Value::from_serialize(admin.template_admin(ctx)),
        ..flask::minijinja::Value::from_serialize(context)
    };
    render_template(template, context)
}
