//! Flash messages: shown once, on the next page.

use serde_json::Value;

use super::Session;

const FLASHES: &str = "_flashes";

/// One flashed message with its category (`"message"` by default).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Flash {
    /// The category, such as `"error"` or `"info"`.
    pub category: String,
    /// The message.
    pub message: String,
}

impl Session {
    /// Flask's `flash(message, category)`: stores a message for the next request that
    /// calls [`Session::get_flashed_messages`] (or `get_flashed_messages()` in a template).
    /// Sends the `message_flashed` signal (see [`Signal`](crate::signals::Signal)).
    pub fn flash(&self, message: impl Into<String>, category: &str) {
        let message = message.into();
        if let Some(ctx) = crate::RequestContext::try_current() {
            ctx.app_inner()
                .signals
                .send(&crate::signals::Signal::MessageFlashed {
                    message: &message,
                    category,
                });
        }
        // Flask keeps a list of (category, message) tuples: written as tuples in its
        // tagged JSON, so a Python app reading the same session sees what its own flash
        // would have stored.
        let mut list = match self.get_tagged(FLASHES) {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        list.push(serde_json::json!({" t": [category, message]}));
        self.insert_tagged(FLASHES, Value::Array(list));
    }

    /// Flask's `get_flashed_messages(category_filter=...)`: the flashed messages, in order,
    /// removed from the session; calls in the same request get the same list. An empty
    /// filter keeps every category.
    pub fn get_flashed_messages(&self, category_filter: &[&str]) -> Vec<Flash> {
        let all = {
            let mut s = self.lock();
            if s.flashes.is_none() {
                let popped = s.values.remove(FLASHES);
                if popped.is_some() {
                    s.modified = true;
                }
                s.accessed = true;
                let list: Vec<(String, String)> = popped
                    .and_then(|v: Value| serde_json::from_value(super::tagged_json::untag(&v)).ok())
                    .unwrap_or_default();
                s.flashes = Some(list);
            }
            s.flashes.clone().unwrap_or_default()
        };
        all.into_iter()
            .filter(|(c, _)| category_filter.is_empty() || category_filter.contains(&c.as_str()))
            .map(|(category, message)| Flash { category, message })
            .collect()
    }
}
