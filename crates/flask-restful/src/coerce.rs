//! Values sent for an argument made into what the field's JSON Schema says (`reqparse`'s
//! `type=`, `choices=` and `nullable=`), with Flask-RESTful's messages: text from a query
//! string, a form, a header or a cookie, and the values of a JSON body.

use serde_json::{Map, Value};

/// Flask-RESTful's message for a `null` sent for an argument that cannot be null.
pub(crate) const MUST_NOT_BE_NULL: &str = "Must not be null!";

/// `schema`, or the definition its `$ref` names; an `Option`'s `anyOf [T, null]` as `T`.
pub(crate) fn resolve(schema: &Value, definitions: &Map<String, Value>) -> Value {
    resolve_at(schema, definitions, 0)
}

/// How deep schemas are followed: a type that names itself (`struct Tree(Vec<Tree>)`) must
/// not recurse for ever on what a client sent.
const MAX_DEPTH: usize = 32;

fn resolve_at(schema: &Value, definitions: &Map<String, Value>, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return schema.clone();
    }
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or("");
        if let Some(found) = definitions.get(name) {
            return resolve_at(found, definitions, depth + 1);
        }
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            let non_null: Vec<&Value> = options
                .iter()
                .filter(|o| o.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            if non_null.len() == 1 {
                return resolve_at(non_null[0], definitions, depth + 1);
            }
        }
    }
    schema.clone()
}

/// The names a schema's `required` lists.
pub(crate) fn required_names(schema: &Value) -> Vec<String> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `null` is a value of the schema (an `Option`, a `serde_json::Value`).
pub(crate) fn accepts_null(schema: &Value, definitions: &Map<String, Value>) -> bool {
    accepts_null_at(schema, definitions, 0)
}

fn accepts_null_at(schema: &Value, definitions: &Map<String, Value>, depth: usize) -> bool {
    let Value::Object(schema) = schema else {
        return schema.as_bool().unwrap_or(false);
    };
    if depth > MAX_DEPTH {
        return false;
    }
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or("");
        return definitions
            .get(name)
            .is_some_and(|found| accepts_null_at(found, definitions, depth + 1));
    }
    if let Some(options) = ["anyOf", "oneOf"]
        .iter()
        .find_map(|key| schema.get(*key).and_then(Value::as_array))
    {
        return options
            .iter()
            .any(|o| accepts_null_at(o, definitions, depth + 1));
    }
    if let Some(choices) = schema.get("enum").and_then(Value::as_array) {
        return choices.contains(&Value::Null);
    }
    if let Some(constant) = schema.get("const") {
        return constant.is_null();
    }
    match schema.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(types)) => types.iter().any(|t| t == "null"),
        // No type: any value (`serde_json::Value`).
        _ => !schema.contains_key("allOf") && !schema.contains_key("not"),
    }
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

/// The values the schema allows (`choices=`): an enum's `enum`, or a `oneOf` of `const`s
/// (an enum whose variants have doc comments).
fn choices(schema: &Value) -> Option<Vec<Value>> {
    if let Some(choices) = schema.get("enum").and_then(Value::as_array) {
        return Some(choices.clone());
    }
    if let Some(constant) = schema.get("const") {
        return Some(vec![constant.clone()]);
    }
    let options = ["oneOf", "anyOf"]
        .iter()
        .find_map(|key| schema.get(*key).and_then(Value::as_array))?;
    let mut all = Vec::new();
    for option in options {
        all.extend(choices(option)?);
    }
    Some(all)
}

/// Text that is only text: a string field without a format or choices (`Some("")` stays
/// `Some("")`; anything else takes an empty text as no value).
fn is_plain_text(schema: &Value) -> bool {
    type_of(schema) == Some("string") && schema.get("format").is_none() && choices(schema).is_none()
}

/// An integer that fits the field's type, by the schema's `format` (`u8`: 0 to 255). The
/// schema's `minimum` and `maximum` may come from `validator`'s rules, which are its to
/// report (`parse_valid_args`), so they are not read here.
fn in_range(n: &serde_json::Number, schema: &Value) -> Result<(), String> {
    let (min, max): (i128, i128) = match schema.get("format").and_then(Value::as_str) {
        Some("int8") => (i8::MIN.into(), i8::MAX.into()),
        Some("uint8") => (0, u8::MAX.into()),
        Some("int16") => (i16::MIN.into(), i16::MAX.into()),
        Some("uint16") => (0, u16::MAX.into()),
        Some("int32") => (i32::MIN.into(), i32::MAX.into()),
        Some("uint32") => (0, u32::MAX.into()),
        Some("uint64" | "uint") => (0, u64::MAX.into()),
        _ => (i64::MIN.into(), u64::MAX.into()),
    };
    let value = n
        .as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
        .unwrap_or_default();
    if value < min {
        return Err(format!("{n} is out of range: must be at least {min}"));
    }
    if value > max {
        return Err(format!("{n} is out of range: must be at most {max}"));
    }
    Ok(())
}

/// One text as the schema's type.
fn from_text(text: &str, schema: &Value) -> Result<Value, String> {
    if let Some(choices) = choices(schema) {
        return choices
            .into_iter()
            .find(|c| match c {
                Value::String(s) => s == text,
                other => other.to_string().as_str() == text,
            })
            .ok_or_else(|| format!("{text} is not a valid choice"));
    }
    match type_of(schema) {
        Some("integer") => {
            let trimmed = text.trim();
            let n = trimmed
                .parse::<i64>()
                .map(serde_json::Number::from)
                .or_else(|_| trimmed.parse::<u64>().map(serde_json::Number::from))
                .map_err(|_| format!("invalid literal for int() with base 10: '{text}'"))?;
            in_range(&n, schema)?;
            Ok(Value::Number(n))
        }
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
/// takes them all (`action="append"`), anything else the first one (`action="store"`). An
/// empty text is no value (`None`) for a field that can be null, unless it is plain text.
pub(crate) fn from_texts(
    texts: &[Value],
    raw: &Value,
    definitions: &Map<String, Value>,
) -> Result<Value, String> {
    let schema = resolve(raw, definitions);
    let strings: Vec<&str> = texts.iter().filter_map(Value::as_str).collect();
    if type_of(&schema) == Some("array") {
        let items = resolve(schema.get("items").unwrap_or(&Value::Null), definitions);
        return strings
            .iter()
            .map(|t| from_text(t, &items))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array);
    }
    match strings.first() {
        Some(first)
            if first.is_empty() && !is_plain_text(&schema) && accepts_null(raw, definitions) =>
        {
            Ok(Value::Null)
        }
        Some(first) => from_text(first, &schema),
        None => Ok(Value::Null),
    }
}

/// What a JSON value is, for a message (`must be an integer, not a list`).
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A value of a JSON body as the field's schema says, as reqparse reads one: a value of the
/// field's type as it is; a string for a number, an integer, a boolean or a choice read as
/// text would be (`"5"` is 5); a single value for a list a list of one (`action="append"`);
/// `null` only where the field can be `None` (`nullable=`, else `Must not be null!`).
/// Types the schema does not describe (objects) are left to the deserializer.
pub(crate) fn from_json(
    value: Value,
    raw: &Value,
    definitions: &Map<String, Value>,
) -> Result<Value, String> {
    from_json_at(value, raw, definitions, 0)
}

fn from_json_at(
    value: Value,
    raw: &Value,
    definitions: &Map<String, Value>,
    depth: usize,
) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        // Deeper than any argument type goes: the deserializer judges it.
        return Ok(value);
    }
    if value.is_null() {
        return if accepts_null(raw, definitions) {
            Ok(Value::Null)
        } else {
            Err(MUST_NOT_BE_NULL.to_owned())
        };
    }
    let schema = resolve(raw, definitions);
    if let Some(choices) = choices(&schema) {
        if choices.contains(&value) {
            return Ok(value);
        }
        return match value {
            Value::String(text) => from_text(&text, &schema),
            other => Err(format!("{other} is not a valid choice")),
        };
    }
    match (type_of(&schema), value) {
        (Some("integer"), Value::Number(n)) => {
            if n.is_i64() || n.is_u64() {
                in_range(&n, &schema)?;
                return Ok(Value::Number(n));
            }
            match n.as_f64() {
                // Python's int(5.0).
                Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                    let n = serde_json::Number::from(f as i64);
                    in_range(&n, &schema)?;
                    Ok(Value::Number(n))
                }
                _ => Err(format!("invalid literal for int() with base 10: '{n}'")),
            }
        }
        (Some("integer" | "number" | "boolean"), Value::String(text)) => from_text(&text, &schema),
        (Some("number"), v @ Value::Number(_)) | (Some("boolean"), v @ Value::Bool(_)) => Ok(v),
        (Some("string"), v @ Value::String(_)) => Ok(v),
        (Some("array"), value) => {
            let items = schema.get("items").cloned().unwrap_or(Value::Bool(true));
            let list = match value {
                Value::Array(list) => list,
                // `action="append"` with one value sent: the argument's own list only.
                one if depth == 0 => vec![one],
                other => return Err(format!("must be a list, not {}", kind(&other))),
            };
            list.into_iter()
                .map(|item| from_json_at(item, &items, definitions, depth + 1))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        (Some(t @ ("integer" | "number" | "boolean" | "string")), other) => {
            let wanted = match t {
                "integer" => "an integer",
                "number" => "a number",
                "boolean" => "a boolean",
                _ => "a string",
            };
            Err(format!("must be {wanted}, not {}", kind(&other)))
        }
        (_, value) => Ok(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_type_that_names_itself_does_not_recurse_for_ever() {
        // schemars' schema of `struct Tree(Vec<Tree>)`, and of a self-referring Option.
        let definitions: Map<String, Value> = serde_json::from_value(json!({
            "Tree": {"type": "array", "items": {"$ref": "#/components/schemas/Tree"}},
            "Loop": {"anyOf": [{"$ref": "#/components/schemas/Loop"}, {"type": "null"}]},
            "Spin": {"anyOf": [{"$ref": "#/components/schemas/Spin"}]}
        }))
        .unwrap();
        let tree = json!({"$ref": "#/components/schemas/Tree"});
        assert_eq!(
            from_json(json!(5), &tree, &definitions),
            Err("must be a list, not a number".to_owned())
        );
        assert!(from_json(json!([[[]], []]), &tree, &definitions).is_ok());
        let spin = json!({"$ref": "#/components/schemas/Spin"});
        assert!(!accepts_null(&spin, &definitions));
        let _ = resolve(&spin, &definitions);
        let looped = json!({"$ref": "#/components/schemas/Loop"});
        assert!(accepts_null(&looped, &definitions));
        let _ = from_json(json!("x"), &looped, &definitions);
    }
}
