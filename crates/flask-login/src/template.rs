//! `current_user` in every template.

use std::sync::Arc;

use flask::RequestContext;
use flask::minijinja::value::{Enumerator, Object, Value};
use flask::minijinja::{Error, ErrorKind, State};

use crate::UserMixin;
use crate::manager::LoginManager;
use crate::state::RequestLogin;

/// What a template sees as `current_user`: the user's serialized fields, plus Flask-Login's
/// `is_authenticated`, `is_active`, `is_anonymous` and `get_id()`.
#[derive(Debug)]
struct TemplateUser {
    fields: Value,
    authenticated: bool,
    active: bool,
    anonymous: bool,
    id: Option<String>,
}

const FLAGS: [&str; 3] = ["is_authenticated", "is_active", "is_anonymous"];

impl Object for TemplateUser {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "is_authenticated" => Some(Value::from(self.authenticated)),
            "is_active" => Some(Value::from(self.active)),
            "is_anonymous" => Some(Value::from(self.anonymous)),
            _ => self.fields.get_item(key).ok().filter(|v| !v.is_undefined()),
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let mut keys: Vec<Value> = FLAGS.iter().map(|k| Value::from(*k)).collect();
        if let Ok(iter) = self.fields.try_iter() {
            keys.extend(iter);
        }
        Enumerator::Values(keys)
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &State<'_, '_>,
        method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "get_id" => Ok(self.id.clone().map_or(Value::from(()), Value::from)),
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!("current_user has no method {method}()"),
            )),
        }
    }
}

/// The manager's context processor.
pub(crate) fn current_user<U: UserMixin>(ctx: &RequestContext) -> Value {
    let state = ctx.g().get::<Arc<RequestLogin<U>>>();
    let user = state.as_ref().and_then(|s| s.user());
    let object = match user {
        Some(user) => TemplateUser {
            fields: Value::from_serialize(&user),
            authenticated: user.is_authenticated(),
            active: user.is_active(),
            anonymous: user.is_anonymous(),
            id: Some(user.get_id()),
        },
        None => {
            let anonymous = state
                .map(|s| s.manager.anonymous_user.clone())
                .or_else(|| {
                    ctx.app()
                        .extension::<LoginManager<U>>()
                        .map(|m| m.anonymous_user.clone())
                })
                .unwrap_or_default();
            TemplateUser {
                fields: Value::from_serialize(&anonymous),
                authenticated: false,
                active: false,
                anonymous: true,
                id: None,
            }
        }
    };
    flask::context! { current_user => Value::from_object(object) }
}
