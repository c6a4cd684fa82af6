//! Flask's tagged JSON (`flask.json.tag`), the session's format: JSON plus the Python types
//! JSON lacks, each a one-key object whose key is a tag.
//!
//! | tag   | Python value         | as JSON                          | what `Session::get` sees      |
//! |-------|----------------------|----------------------------------|-------------------------------|
//! | ` t`  | tuple                | `{" t": [..]}`                   | an array                      |
//! | ` b`  | bytes                | `{" b": "<base64>"}`             | an array of byte values       |
//! | ` m`  | `Markup`             | `{" m": "<b>"}`                  | the string                    |
//! | ` u`  | `UUID`               | `{" u": "<32 hex digits>"}`      | the hyphenated string         |
//! | ` d`  | `datetime`           | `{" d": "<HTTP date>"}`          | an RFC 3339 string (UTC)      |
//! | ` di` | dict whose one key is a tag | `{" di": {"<key>__": ..}}` | the dict                   |
//!
//! The session keeps values in the tagged form, so a value a Python app stored goes back
//! to it unchanged when a Rust request does not replace it; reads see the plain form.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

use crate::python_json::{DumpOptions, dumps as python_dumps};

const TAGS: [&str; 6] = [" di", " t", " b", " m", " u", " d"];

fn tag_of(map: &Map<String, Value>) -> Option<&str> {
    if map.len() != 1 {
        return None;
    }
    let key = map.keys().next()?;
    TAGS.contains(&key.as_str()).then_some(key.as_str())
}

/// A plain value (what serde makes of a Rust value) in the tagged form: an object whose
/// one key looks like a tag is wrapped in ` di`, as Flask's `TagDict` does, so it is not
/// read back as a tagged value.
pub(crate) fn escape(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let map: Map<String, Value> = map.into_iter().map(|(k, v)| (k, escape(v))).collect();
            if tag_of(&map).is_some() {
                let (key, inner) = map.into_iter().next().unwrap_or_default();
                let mut escaped = Map::new();
                escaped.insert(format!("{key}__"), inner);
                let mut wrapper = Map::new();
                wrapper.insert(" di".to_owned(), Value::Object(escaped));
                Value::Object(wrapper)
            } else {
                Value::Object(map)
            }
        }
        Value::Array(items) => Value::Array(items.into_iter().map(escape).collect()),
        other => other,
    }
}

/// Whether a tagged value reads the same in the plain form (no object or array to walk).
pub(crate) fn is_plain(value: &Value) -> bool {
    !matches!(value, Value::Object(_) | Value::Array(_))
}

/// The plain form of a tagged value (see the module's table). A tag whose content is not
/// what Flask writes is left as it is.
pub(crate) fn untag(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            if let Some(tag) = tag_of(map)
                && let Some(plain) = untag_one(tag, &map[tag])
            {
                return plain;
            }
            Value::Object(map.iter().map(|(k, v)| (k.clone(), untag(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(untag).collect()),
        other => other.clone(),
    }
}

fn untag_one(tag: &str, inner: &Value) -> Option<Value> {
    Some(match (tag, inner) {
        (" t", Value::Array(items)) => Value::Array(items.iter().map(untag).collect()),
        (" di", Value::Object(escaped)) => Value::Object(
            escaped
                .iter()
                .map(|(k, v)| (k.strip_suffix("__").unwrap_or(k).to_owned(), untag(v)))
                .collect(),
        ),
        (" b", Value::String(b64)) => Value::Array(
            STANDARD
                .decode(b64)
                .ok()?
                .into_iter()
                .map(Value::from)
                .collect(),
        ),
        (" m", Value::String(s)) => Value::String(s.clone()),
        (" u", Value::String(hex)) => {
            Value::String(uuid::Uuid::try_parse(hex).ok()?.hyphenated().to_string())
        }
        (" d", Value::String(date)) => Value::String(http_date_to_rfc3339(date)?),
        _ => return None,
    })
}

/// `Wed, 07 Dec 2026 10:00:00 GMT` as `2026-12-07T10:00:00Z`.
fn http_date_to_rfc3339(date: &str) -> Option<String> {
    let time = httpdate::parse_http_date(date).ok()?;
    let t = cookie::time::OffsetDateTime::from(time);
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    ))
}

/// The session's JSON text as Flask writes it: compact, keys sorted at every level,
/// non-ASCII escaped (`json.dumps(tagged, separators=(",", ":"), sort_keys=True)`).
pub(crate) fn dumps(values: &BTreeMap<String, Value>) -> String {
    // A map of references would serialize the same; a `Value` keeps one writer for both.
    let object: Map<String, Value> = values.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    python_dumps(
        &Value::Object(object),
        DumpOptions {
            indent: None,
            compact: true,
            sort_keys: true,
        },
    )
}

/// The session's values from Flask's JSON text; `None` unless it is an object.
pub(crate) fn loads(json: &[u8]) -> Option<BTreeMap<String, Value>> {
    match serde_json::from_slice(json).ok()? {
        Value::Object(map) => Some(map.into_iter().collect()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn python_types_read_as_plain_values() {
        let tagged = json!({
            "t": {" t": [1, "x", {" b": "AP8="}]},
            "m": {" m": "<b>"},
            "u": {" u": "12345678123456781234567812345678"},
            "d": {" d": "Mon, 07 Dec 2026 10:00:00 GMT"},
            "di": {" di": {" t__": 5}},
            "n": [{"a": {" u": "not hex"}}],
        });
        assert_eq!(
            untag(&tagged),
            json!({
                "t": [1, "x", [0, 255]],
                "m": "<b>",
                "u": "12345678-1234-5678-1234-567812345678",
                "d": "2026-12-07T10:00:00Z",
                "di": {" t": 5},
                "n": [{"a": {" u": "not hex"}}],
            })
        );
    }

    #[test]
    fn a_dict_that_looks_tagged_is_escaped_and_read_back() {
        let plain = json!({"x": {" t": [1]}, "y": [{" d": "soon"}], "z": {" t": 1, "k": 2}});
        let tagged = escape(plain.clone());
        assert_eq!(
            tagged,
            json!({
                "x": {" di": {" t__": [1]}},
                "y": [{" di": {" d__": "soon"}}],
                "z": {" t": 1, "k": 2},
            })
        );
        assert_eq!(untag(&tagged), plain);
    }

    #[test]
    fn dumps_sorted_and_compact() {
        let values = BTreeMap::from([
            ("b".to_owned(), json!({"z": 1, "a": "\u{e9}"})),
            ("a".to_owned(), json!([true, null])),
        ]);
        let text = dumps(&values);
        assert_eq!(text, r#"{"a":[true,null],"b":{"a":"\u00e9","z":1}}"#);
        assert_eq!(loads(text.as_bytes()), Some(values));
        assert_eq!(loads(b"[1]"), None);
        assert_eq!(loads(b"{"), None);
    }
}
