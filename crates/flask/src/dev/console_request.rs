//! `request` in the debug page's console: what templates see of it, and what the debug page
//! keeps besides (headers, cookies, the form and JSON body an extractor read, the client's
//! address).

use std::collections::BTreeMap;
use std::sync::Arc;

use minijinja::value::{Enumerator, Object, Value};

use crate::request::RequestContext;
use crate::templating::request_object::RequestObject;

/// The failing request, for the console.
#[derive(Debug)]
pub(crate) struct ConsoleRequest {
    base: Arc<RequestObject>,
}

impl ConsoleRequest {
    pub(crate) fn new(ctx: RequestContext) -> Self {
        ConsoleRequest {
            base: Arc::new(RequestObject(ctx)),
        }
    }
}

/// What the console's `request` has besides the template object's fields.
const MORE_FIELDS: [&str; 6] = [
    "headers",
    "cookies",
    "form",
    "json",
    "is_json",
    "remote_addr",
];

impl Object for ConsoleRequest {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let ctx = &self.base.0;
        let debug = ctx.debug_request();
        let value = match key.as_str()? {
            // As Werkzeug names them: `request.headers['User-Agent']`.
            "headers" => {
                let mut map = BTreeMap::new();
                for (name, value) in debug.map(|d| d.headers.iter()).into_iter().flatten() {
                    map.entry(title_case(name.as_str()))
                        .or_insert_with(|| String::from_utf8_lossy(value.as_bytes()).into_owned());
                }
                Value::from(map)
            }
            "cookies" => {
                let cookies = crate::request::Cookies::parse(
                    debug
                        .map(|d| d.headers.get_all(http::header::COOKIE))
                        .into_iter()
                        .flatten()
                        .filter_map(|v| v.to_str().ok()),
                );
                let mut map = BTreeMap::new();
                for (name, value) in cookies.iter() {
                    map.entry(name.to_owned())
                        .or_insert_with(|| value.to_owned());
                }
                Value::from(map)
            }
            "form" => {
                let mut map = BTreeMap::new();
                if let Some(debug) = debug {
                    for (k, v) in debug.form.lock().unwrap_or_else(|e| e.into_inner()).iter() {
                        map.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
                Value::from(map)
            }
            "json" => {
                let body =
                    debug.and_then(|d| d.json.lock().unwrap_or_else(|e| e.into_inner()).clone());
                match body.and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok()) {
                    Some(json) => Value::from_serialize(json),
                    None => Value::from(()),
                }
            }
            "is_json" => Value::from(debug.is_some_and(|d| {
                d.headers
                    .get(http::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| {
                        let mime = v.split(';').next().unwrap_or("").trim();
                        mime == "application/json"
                            || (mime.starts_with("application/") && mime.ends_with("+json"))
                    })
            })),
            "remote_addr" => ctx
                .remote_addr()
                .map_or(Value::from(()), |a| Value::from(a.to_string())),
            _ => return self.base.get_value(key),
        };
        Some(value)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(
            crate::templating::request_object::FIELDS
                .iter()
                .chain(&MORE_FIELDS)
                .map(|f| Value::from(*f))
                .collect(),
        )
    }
}

/// `user-agent` as Werkzeug shows it: `User-Agent`.
fn title_case(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}
