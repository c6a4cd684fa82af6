//! Inline editing (Flask-Admin's `column_editable_list`): one column of one row, changed
//! from the list.

use flask::{Error, IntoResponse, RequestContext, Response, redirect};
use flask_sqlalchemy::Model;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::model_view::{Pages, check_csrf, flash, id_of, json_to_value, primary_key, typed_map};

impl<M> Pages<M>
where
    M: Model + Serialize + DeserializeOwned + Clone,
{
    /// `POST /inline/` with `id`, `column` and `value`: the column changed, then back to the
    /// list (`url`), with what happened flashed.
    pub(crate) async fn inline(
        &self,
        ctx: RequestContext,
        form: Vec<(String, String)>,
    ) -> Result<Response, Error> {
        self.check(&ctx)?;
        if !self.view.can_edit {
            return Err(flask::abort(403));
        }
        self.require(&ctx, &crate::Permission::Edit)?;
        check_csrf(&ctx, &form)?;
        let typed = typed_map(&form);
        let back = typed
            .get("url")
            .filter(|u| u.starts_with('/') && !u.starts_with("//"))
            .cloned()
            .unwrap_or_else(|| self.url(&ctx, "index_view", crate::model_view::NONE));
        let name = typed.get("column").map_or("", String::as_str);
        let Some(column) = M::TABLE
            .column(name)
            .filter(|_| self.view.editable.iter().any(|e| e == name))
        else {
            return Err(Error::with_description(
                flask::StatusCode::BAD_REQUEST,
                format!(
                    "{name:?} is not a column edited in the list of {}.",
                    self.view.name
                ),
            ));
        };
        let engine = self.engine(&ctx)?;
        let pk = M::TABLE
            .primary_key()
            .next()
            .ok_or_else(|| flask::abort(404))?;
        let key = crate::fields::parse(pk, typed.get("id").map(String::as_str))
            .map_err(|_| flask::abort(404))?;
        let Some(model) = engine
            .select::<M>()
            .filter(primary_key::<M>().eq(json_to_value(&key)))
            .first()
            .await?
        else {
            flash(&ctx, "Record does not exist.", "error");
            return Ok(redirect(back).into_response());
        };
        let text = typed.get("value").map(String::as_str);
        let offered = self.related_choices(&ctx, &engine, &[column]).await?;
        let parsed = match (offered.get(column.name), text.map(str::trim)) {
            (Some(list), Some(t)) if !t.is_empty() && !list.iter().any(|(k, _)| k == t) => {
                Err("Not a valid choice.".to_owned())
            }
            _ => crate::fields::parse(column, text),
        };
        let label = self.view.label_of(column.name);
        let value = match parsed {
            Ok(v) => v,
            Err(message) => {
                flash(&ctx, &format!("{label}: {message}"), "error");
                return Ok(redirect(back).into_response());
            }
        };
        let mut object = match serde_json::to_value(&model) {
            Ok(serde_json::Value::Object(o)) => o,
            _ => return Err(Error::internal("the model does not serialize to an object")),
        };
        object.insert(column.field.to_owned(), value);
        let mut changed: M =
            serde_json::from_value(serde_json::Value::Object(object)).map_err(|e| {
                Error::with_description(flask::StatusCode::BAD_REQUEST, format!("{label}: {e}"))
            })?;
        match engine.update(&mut changed).await {
            Ok(_) => {
                self.audit(
                    &ctx,
                    vec![crate::audit::Change {
                        object_id: id_of::<M>(&changed),
                        action: "edit".into(),
                        changes: crate::audit::diff(&model, &changed),
                    }],
                )
                .await;
                flash(&ctx, "Record was successfully saved.", "success");
            }
            Err(e) if e.is_unique_violation() => {
                flash(&ctx, &format!("{label}: Already exists."), "error");
            }
            Err(e) => {
                tracing::error!(
                    "flask-admin: an inline edit of {} failed: {e}",
                    M::TABLE.name
                );
                flash(&ctx, &format!("Failed to update record. {e}"), "error");
            }
        }
        Ok(redirect(back).into_response())
    }
}
