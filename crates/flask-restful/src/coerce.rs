//! Text from a query string or a form, made into what a field's JSON Schema says
//! (`reqparse`'s `type=`), with Flask-RESTful's messages.

use serde_json::{Map, Value};

/// `schema`, or the definition its `$ref` names; an `Option`'s `anyOf [T, null]` as `T`.
pub(crate) fn resolve(schema: &Value, definitions: &Map<String, Value>) -> Value {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or("");
        if let Some(found) = definitions.get(name) {
            return resolve(found, definitions);
        }
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            let non_null: Vec<&Value> = options
                .iter()
                .filter(|o| o.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            if non_null.len() == 1 {
                return resolve(non_null[0], definitions);
            }
        }
    }
    schema.clone()
}

/// The schema's type, an `Option`'s `["integer", "null"]` as `integer`.
fn type_of(schema: &Value) -> Option<&str> {
    match schema.get("type")? {
        Value::String(t) => Some(t),
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null"),
        _ => None,
    }
}

/// One text as the schema's type.
fn from_text(text: &str, schema: &Value) -> Result<Value, String> {
    if let Some(choices) = schema.get("enum").and_then(Value::as_array) {
        return choices
            .iter()
            .find(|c| match c {
                Value::String(s) => s == text,
                other => other.to_string() == *text,
            })
            .cloned()
            .ok_or_else(|| format!("{text} is not a valid choice"));
    }
    match type_of(schema) {
        Some("integer") => text
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("invalid literal for int() with base 10: '{text}'")),
        Some("number") => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| format!("could not convert string to float: '{text}'")),
        Some("boolean") => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "on" | "yes" => Ok(Value::Bool(true)),
            "false" | "0" | "off" | "no" => Ok(Value::Bool(false)),
            _ => Err(format!("Invalid literal for boolean(): {text}")),
        },
        _ => Ok(Value::String(text.to_owned())),
    }
}

/// The values sent for one field (one or more texts) as the field's schema says: a list
/// takes them all (`action="append"`), anything else the first one (`action="store"`).
pub(crate) fn from_texts(
    texts: &[Value],
    schema: &Value,
    definitions: &Map<String, Value>,
) -> Result<Value, String> {
    let strings: Vec<&str> = texts.iter().filter_map(Value::as_str).collect();
    if type_of(schema) == Some("array") {
        let items = resolve(schema.get("items").unwrap_or(&Value::Null), definitions);
        return strings
            .iter()
            .map(|t| from_text(t, &items))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array);
    }
    match strings.first() {
        Some(first) => from_text(first, schema),
        None => Ok(Value::Null),
    }
}
