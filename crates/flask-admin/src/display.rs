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
