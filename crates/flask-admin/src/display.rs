//! Values as the list and details pages show them.

use flask_sqlalchemy::Value;

/// `value` as text: `NULL` is empty, dates in ISO form, JSON compact.
pub(crate) fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(b) => if *b { "Yes" } else { "No" }.to_owned(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Text(s) => s.clone(),
        Value::Bytes(b) => format!("({} bytes)", b.len()),
        Value::Json(j) => j.to_string(),
        Value::Date(d) => d.to_string(),
        Value::Time(t) => t.to_string(),
        Value::DateTime(d) => d.format("%Y-%m-%d %H:%M:%S").to_string(),
        Value::DateTimeUtc(d) => d.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        Value::Uuid(u) => u.to_string(),
        Value::Decimal(d) => d.to_string(),
        other => format!("{other:?}"),
    }
}

/// `value` as JSON: numbers, booleans and JSON as such, dates in ISO form, the rest as text.
pub(crate) fn json(value: &Value) -> serde_json::Value {
    match value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Int(i) => serde_json::Value::from(*i),
        Value::Float(f) => serde_json::Value::from(*f),
        Value::Json(j) => j.clone(),
        Value::DateTime(d) => serde_json::Value::String(d.format("%Y-%m-%dT%H:%M:%S").to_string()),
        Value::DateTimeUtc(d) => serde_json::Value::String(d.to_rfc3339()),
        other => serde_json::Value::String(text(other)),
    }
}

/// `text` escaped for HTML (an attribute or an element's text).
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
