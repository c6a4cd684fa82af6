//! The audit log (Django admin's change history): who changed what through the admin, and
//! when; a model of its own, listed in the admin.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use flask::RequestContext;
use flask_sqlalchemy::{Model, SQLAlchemy, Value};
use serde::{Deserialize, Serialize};

/// One change made through the admin: a row of the `admin_log` table. Register the model
/// with flask-sqlalchemy (`.model::<AdminLogEntry>()`) and turn the log on with
/// [`Admin::audit_log`](crate::Admin::audit_log).
#[derive(Debug, Clone, PartialEq, Model, Serialize, Deserialize)]
#[model(table = "admin_log")]
pub struct AdminLogEntry {
    /// Numbered by the database.
    #[model(primary_key)]
    pub id: i64,
    /// When (UTC).
    #[model(index)]
    pub at: DateTime<Utc>,
    /// Who, as the function given to `audit_log` names the request's user; `None` when it
    /// names nobody.
    #[model(max_length = 200)]
    pub user: Option<String>,
    /// The view's endpoint (`product`).
    #[model(max_length = 80, index)]
    pub view: String,
    /// The row's primary key, as text.
    #[model(max_length = 80)]
    pub object_id: String,
    /// `create`, `edit`, `delete`, or the name of the bulk action.
    #[model(max_length = 80)]
    pub action: String,
    /// What changed: the row's values for a create or a delete, `{"column": [old, new]}` for
    /// an edit, nothing for an action of the app's.
    pub changes: Option<serde_json::Value>,
}

/// Names the request's user for the log.
pub(crate) type UserFn = Arc<dyn Fn(&RequestContext) -> Option<String> + Send + Sync>;

/// A change to log.
pub(crate) struct Change {
    pub(crate) object_id: String,
    pub(crate) action: String,
    pub(crate) changes: Option<serde_json::Value>,
}

/// Writes the entries of `changes` made in the view `view` (nothing when the log is off).
/// A failure is logged and does not undo the change, which is already made.
pub(crate) async fn record(
    user_of: Option<&UserFn>,
    ctx: &RequestContext,
    view: &str,
    changes: Vec<Change>,
) {
    let Some(user_of) = user_of else {
        return;
    };
    let Some(engine) = ctx
        .app()
        .extension::<SQLAlchemy>()
        .and_then(|ext| ext.engine().cloned())
    else {
        return;
    };
    let user = user_of(ctx);
    let at = Utc::now();
    for change in changes {
        let mut entry = AdminLogEntry {
            id: 0,
            at,
            user: user.clone(),
            view: view.to_owned(),
            object_id: change.object_id,
            action: change.action,
            changes: change.changes,
        };
        if let Err(e) = engine.insert(&mut entry).await {
            tracing::error!(
                "flask-admin: could not write the audit log ({} of {view} {}): {e}",
                entry.action,
                entry.object_id
            );
        }
    }
}

/// The values of a row, by column.
pub(crate) fn values<M: Model>(model: &M) -> serde_json::Value {
    let values = model.values();
    serde_json::Value::Object(
        M::TABLE
            .columns
            .iter()
            .zip(&values)
            .map(|(c, v)| (c.name.to_owned(), crate::display::json(v)))
            .collect(),
    )
}

/// What an edit changed: `{"column": [old, new]}`; `None` when nothing did.
pub(crate) fn diff<M: Model>(before: &M, after: &M) -> Option<serde_json::Value> {
    let (old, new) = (before.values(), after.values());
    let changed: serde_json::Map<String, serde_json::Value> = M::TABLE
        .columns
        .iter()
        .zip(old.iter().zip(&new))
        .filter(|(_, (a, b))| a != b)
        .map(|(c, (a, b)): (_, (&Value, &Value))| {
            (
                c.name.to_owned(),
                serde_json::json!([crate::display::json(a), crate::display::json(b)]),
            )
        })
        .collect();
    (!changed.is_empty()).then_some(serde_json::Value::Object(changed))
}
