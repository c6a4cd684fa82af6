//! Django-style permissions: what a request may do with each view's rows (view, create,
//! edit, delete, export, each action), decided by a function of the app's, or by roles.

use std::sync::Arc;

use flask::RequestContext;

/// What a request asks to do with a view's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Permission {
    /// See the list and the details (Django's `view`).
    View,
    /// Create a row (Django's `add`).
    Create,
    /// Edit a row (Django's `change`).
    Edit,
    /// Delete rows, one or in bulk (Django's `delete`).
    Delete,
    /// Export the list.
    Export,
    /// Run the bulk action of this name.
    Action(String),
}

impl Permission {
    /// Its name in a grant: `view`, `create`, `edit`, `delete`, `export`, `action:<name>`.
    pub fn code(&self) -> String {
        match self {
            Permission::View => "view".into(),
            Permission::Create => "create".into(),
            Permission::Edit => "edit".into(),
            Permission::Delete => "delete".into(),
            Permission::Export => "export".into(),
            Permission::Action(name) => format!("action:{name}"),
        }
    }
}

/// A permission check: whether the request may do the permission on the view (by its
/// endpoint).
pub(crate) type PermissionFn =
    Arc<dyn Fn(&RequestContext, &str, &Permission) -> bool + Send + Sync>;

/// Grants by role, Django's groups: `"product.view"`, `"order.*"` (everything on orders),
/// `"*.view"` (every view's list), `"*"` (everything), `"order.action:ship"`.
///
/// ```
/// use flask_admin::{Permission, Roles};
/// let roles = Roles::new()
///     .grant("staff", &["*.view", "order.edit", "order.action:ship"])
///     .grant("admin", &["*"]);
/// let staff = ["staff".to_owned()];
/// assert!(roles.allows(&staff, "order", &Permission::Edit));
/// assert!(!roles.allows(&staff, "product", &Permission::Delete));
/// assert!(roles.allows(&["admin".to_owned()], "product", &Permission::Delete));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Roles {
    grants: Vec<(String, String)>,
}

impl Roles {
    /// No grants: nobody may do anything.
    pub fn new() -> Self {
        Roles::default()
    }

    /// Lets `role` do `permissions` (`"<endpoint>.<permission>"`, either side `*`).
    #[must_use]
    pub fn grant(mut self, role: &str, permissions: &[&str]) -> Self {
        for p in permissions {
            self.grants.push((role.to_owned(), (*p).to_owned()));
        }
        self
    }

    /// Whether one of `roles` may do `permission` on the view `endpoint`.
    pub fn allows(&self, roles: &[String], endpoint: &str, permission: &Permission) -> bool {
        let code = permission.code();
        self.grants.iter().any(|(role, grant)| {
            if !roles.iter().any(|r| r == role) {
                return false;
            }
            if grant == "*" {
                return true;
            }
            let (view, what) = grant.split_once('.').unwrap_or((grant.as_str(), "*"));
            (view == "*" || view == endpoint) && (what == "*" || what == code)
        })
    }
}
