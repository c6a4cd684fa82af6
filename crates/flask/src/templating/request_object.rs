//! `request` in templates: a read-only view of the current request.

use std::sync::Arc;

use minijinja::value::{Enumerator, Object, Value};

use crate::request::RequestContext;
use crate::routing::PathValue;

/// The current request as a template object: `request.path`, `request.method`,
/// `request.endpoint`, `request.blueprint`, `request.args`, `request.view_args`,
/// `request.url`, `request.host`, `request.scheme`, `request.is_secure`,
/// `request.query_string`.
#[derive(Debug)]
pub(crate) struct RequestObject(pub(crate) RequestContext);

pub(crate) const FIELDS: [&str; 12] = [
    "method",
    "path",
    "full_path",
    "url",
    "host",
    "scheme",
    "is_secure",
    "query_string",
    "endpoint",
    "blueprint",
    "args",
    "view_args",
];

fn scheme(ctx: &RequestContext) -> &'static str {
    if ctx.is_secure() { "https" } else { "http" }
}

impl Object for RequestObject {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let ctx = &self.0;
        let value = match key.as_str()? {
            "method" => Value::from(ctx.method().as_str()),
            "path" => Value::from(ctx.path()),
            "full_path" => Value::from(format!(
                "{}?{}",
                ctx.path(),
                ctx.uri().query().unwrap_or("")
            )),
            // https when a trusted proxy says so (`PROXY_FIX_X_PROTO`), as Werkzeug's.
            "url" => Value::from(format!(
                "{}://{}{}",
                scheme(ctx),
                ctx.host().unwrap_or("localhost"),
                ctx.uri().path_and_query().map_or("/", |p| p.as_str())
            )),
            "host" => Value::from(ctx.host().unwrap_or("")),
            "scheme" => Value::from(scheme(ctx)),
            "is_secure" => Value::from(ctx.is_secure()),
            "query_string" => Value::from(ctx.uri().query().unwrap_or("")),
            "endpoint" => ctx.endpoint().map_or(Value::from(()), Value::from),
            "blueprint" => ctx.blueprint().map_or(Value::from(()), Value::from),
            "args" => {
                let mut map = std::collections::BTreeMap::new();
                for (k, v) in form_urlencoded::parse(ctx.uri().query().unwrap_or("").as_bytes()) {
                    map.entry(k.into_owned()).or_insert_with(|| v.into_owned());
                }
                Value::from(map)
            }
            "view_args" => {
                let map: std::collections::BTreeMap<String, Value> = ctx
                    .view_args()
                    .into_iter()
                    .map(|(k, v)| {
                        let v = match v {
                            PathValue::Str(s) => Value::from(s.as_str()),
                            PathValue::Int(i) => Value::from(*i),
                            PathValue::Float(f) => Value::from(*f),
                            PathValue::Uuid(u) => Value::from(u.to_string()),
                        };
                        (k.to_owned(), v)
                    })
                    .collect();
                Value::from(map)
            }
            _ => return None,
        };
        Some(value)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(&FIELDS)
    }
}

/// The globals Flask gives every template of a request, `request`, `g` and (with a session)
/// `session`, made when a template first looks one up: a page that never shows `g`
/// does not pay for serializing it.
#[derive(Debug)]
pub(crate) struct RequestGlobals {
    ctx: RequestContext,
    g: std::sync::OnceLock<Value>,
    session: std::sync::OnceLock<Option<Value>>,
}

impl RequestGlobals {
    pub(crate) fn new(ctx: RequestContext) -> Self {
        Self {
            ctx,
            g: std::sync::OnceLock::new(),
            session: std::sync::OnceLock::new(),
        }
    }

    fn session(&self) -> Option<&Value> {
        self.session
            .get_or_init(|| {
                self.ctx
                    .session()
                    .map(|session| Value::from_serialize(session.snapshot()))
            })
            .as_ref()
    }
}

impl Object for RequestGlobals {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "request" => Some(Value::from_object(RequestObject(self.ctx.clone()))),
            "g" => Some(
                self.g
                    .get_or_init(|| Value::from_serialize(self.ctx.g().template_values()))
                    .clone(),
            ),
            "session" => self.session().cloned(),
            _ => None,
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        if self.ctx.session().is_some() {
            Enumerator::Str(&["request", "g", "session"])
        } else {
            Enumerator::Str(&["request", "g"])
        }
    }
}
