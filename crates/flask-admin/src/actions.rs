//! Bulk actions (Flask-Admin's `@action`): rows ticked in the list, an action chosen, a
//! page that asks for confirmation, then the action on every row at once.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use flask::{Error, IntoResponse, RequestContext, Response, StatusCode, redirect, render_template};
use flask_sqlalchemy::{Engine, Model, Value};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::model_view::{Pages, check_csrf, flash, id_of, primary_key, typed_map};

/// What an action does with the rows chosen: a message for the next page, or an error.
pub(crate) type ActionFn<M> = Arc<
    dyn Fn(Engine, Vec<M>) -> Pin<Box<dyn Future<Output = Result<String, Error>> + Send>>
        + Send
        + Sync,
>;

/// One bulk action of a view.
pub(crate) struct ActionDef<M> {
    pub(crate) name: String,
    pub(crate) label: String,
    pub(crate) confirmation: String,
    pub(crate) run: ActionFn<M>,
}

impl<M> Clone for ActionDef<M> {
    fn clone(&self) -> Self {
        ActionDef {
            name: self.name.clone(),
            label: self.label.clone(),
            confirmation: self.confirmation.clone(),
            run: self.run.clone(),
        }
    }
}

/// An action as the list offers it.
#[derive(Serialize)]
pub(crate) struct Offered {
    name: String,
    label: String,
}

impl<M> Pages<M>
where
    M: Model + Serialize + DeserializeOwned + Clone,
{
    /// The actions the list offers: "Delete" (when rows can be deleted), then the view's.
    pub(crate) fn offered_actions(&self, ctx: &RequestContext) -> Vec<Offered> {
        let mut out = Vec::new();
        if self.view.can_delete && self.may(ctx, &crate::Permission::Delete) {
            out.push(Offered {
                name: "delete".into(),
                label: "Delete".into(),
            });
        }
        out.extend(
            self.view
                .actions
                .iter()
                .filter(|a| self.may(ctx, &crate::Permission::Action(a.name.clone())))
                .map(|a| Offered {
                    name: a.name.clone(),
                    label: a.label.clone(),
                }),
        );
        out
    }

    /// `POST /action/`: the confirmation page, or (with `confirm=1`) the action done.
    pub(crate) async fn action(
        &self,
        ctx: RequestContext,
        form: Vec<(String, String)>,
    ) -> Result<Response, Error> {
        self.check(&ctx)?;
        check_csrf(&ctx, &form)?;
        let typed = typed_map(&form);
        let back = typed
            .get("url")
            .filter(|u| u.starts_with('/') && !u.starts_with("//"))
            .cloned()
            .unwrap_or_else(|| self.url(&ctx, "index_view", crate::model_view::NONE));
        let name = typed.get("action").map_or("", String::as_str);
        let custom = self.view.actions.iter().find(|a| a.name == name).cloned();
        let permission = match &custom {
            Some(a) => crate::Permission::Action(a.name.clone()),
            None => crate::Permission::Delete,
        };
        self.require(&ctx, &permission)?;
        let (label, confirmation) = match (&custom, name) {
            (Some(a), _) => (a.label.clone(), a.confirmation.clone()),
            (None, "delete") if self.view.can_delete => (
                "Delete".to_owned(),
                "Are you sure you want to delete the selected records?".to_owned(),
            ),
            (None, "delete") => return Err(flask::abort(403)),
            _ => {
                return Err(Error::with_description(
                    StatusCode::BAD_REQUEST,
                    format!("There is no action {name:?} on {}.", self.view.name),
                ));
            }
        };
        let ids: Vec<&str> = form
            .iter()
            .filter(|(k, _)| k == "rowid")
            .map(|(_, v)| v.as_str())
            .collect();
        if ids.is_empty() {
            flash(&ctx, "Please select at least one record.", "error");
            return Ok(redirect(back).into_response());
        }
        let Some(pk) = M::TABLE.primary_key().next() else {
            return Err(flask::abort(404));
        };
        let keys: Vec<Value> = ids
            .iter()
            .filter_map(|id| crate::fields::parse(pk, Some(id)).ok())
            .map(|v| crate::model_view::json_to_value(&v))
            .collect();
        let engine = self.engine(&ctx)?;
        let models = engine
            .select::<M>()
            .filter(primary_key::<M>().in_(keys))
            .order_by(primary_key::<M>().asc())
            .all()
            .await?;
        if models.is_empty() {
            flash(&ctx, "The selected records no longer exist.", "error");
            return Ok(redirect(back).into_response());
        }
        if typed.get("confirm").map(String::as_str) != Some("1") {
            let rows: Vec<(String, String)> = models
                .iter()
                .map(|m| (id_of::<M>(m), describe::<M>(m)))
                .collect();
            let mut context = self.base_context(&ctx);
            context["action"] = serde_json::json!({
                "name": name,
                "label": label,
                "confirmation": confirmation,
                "rows": rows,
                "back": back,
                "url": self.url(&ctx, "action_view", crate::model_view::NONE),
            });
            return Ok(render_template("admin/action.html", context)?.into_response());
        }
        let count = models.len();
        let logged: Vec<crate::audit::Change> = models
            .iter()
            .map(|m| crate::audit::Change {
                object_id: id_of::<M>(m),
                action: name.to_owned(),
                changes: custom.is_none().then(|| crate::audit::values(m)),
            })
            .collect();
        let deleting = custom.is_none();
        let message = match custom {
            Some(action) => (action.run)(engine.clone(), models).await,
            None => delete_all(&engine, &models).await.map(|()| {
                if count == 1 {
                    "Record was successfully deleted.".to_owned()
                } else {
                    format!("{count} records were successfully deleted.")
                }
            }),
        };
        match message {
            Ok(message) => {
                self.audit(&ctx, logged).await;
                flash(&ctx, &message, "success");
            }
            Err(e) => {
                tracing::error!(
                    "flask-admin: the action {name} on {} failed: {e}",
                    M::TABLE.name
                );
                // Flask-Admin's messages: its own for a failed bulk delete.
                let text = if deleting {
                    format!("Failed to delete records. {e}")
                } else {
                    format!("Failed to perform the action: {}", e.description())
                };
                flash(&ctx, &text, "error");
            }
        }
        Ok(redirect(back).into_response())
    }
}

/// Deletes the rows in one transaction: all of them, or none.
async fn delete_all<M: Model>(engine: &Engine, models: &[M]) -> Result<(), Error> {
    let session = engine.session();
    for model in models {
        session.delete(model).await?;
    }
    session.commit().await?;
    Ok(())
}

/// A row as the confirmation page names it: its key and first text column.
fn describe<M: Model>(model: &M) -> String {
    let values = model.values();
    M::TABLE
        .columns
        .iter()
        .zip(&values)
        .find(|(c, _)| matches!(c.ty, flask_sqlalchemy::ColumnType::String(_)) && !c.primary_key)
        .map(|(_, v)| crate::display::text(v))
        .unwrap_or_default()
}
