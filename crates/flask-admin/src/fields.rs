//! The form of a model, made from its columns: which input each column gets, how a typed
//! value is shown in it, and how what was typed becomes the JSON the model deserializes from.

use flask_sqlalchemy::{Column, ColumnType, Value};
use serde::Serialize;

/// One input of a create or edit form, as the template draws it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FormField {
    /// The column's name: the input's `name` and `id`.
    pub(crate) name: &'static str,
    pub(crate) label: String,
    /// `text`, `number`, `checkbox`, `date`, `time`, `datetime-local`, `textarea`,
    /// `select`.
    pub(crate) input: &'static str,
    /// `step` of a number input.
    pub(crate) step: Option<&'static str>,
    pub(crate) required: bool,
    pub(crate) max_length: Option<u32>,
    /// The choices of a select: (value, label).
    pub(crate) choices: Vec<(String, String)>,
    /// What the input shows.
    pub(crate) value: String,
    /// A checkbox's state.
    pub(crate) checked: bool,
    pub(crate) readonly: bool,
    pub(crate) errors: Vec<String>,
    /// Help under the input (`column_descriptions`).
    pub(crate) description: Option<String>,
    /// The values chosen in a multiple select (a many-to-many relationship).
    pub(crate) selected: Vec<String>,
}

/// The input a column gets, and its `step`; `None` for a column no form edits (bytes).
fn input_of(column: &Column) -> Option<(&'static str, Option<&'static str>)> {
    if !column.choices.is_empty() {
        return Some(("select", None));
    }
    Some(match column.ty {
        ColumnType::SmallInteger | ColumnType::Integer | ColumnType::BigInteger => {
            ("number", Some("1"))
        }
        ColumnType::Float | ColumnType::Double => ("number", Some("any")),
        ColumnType::Numeric { .. } => ("text", None),
        ColumnType::Boolean => ("checkbox", None),
        ColumnType::String(Some(_)) | ColumnType::Uuid => ("text", None),
        ColumnType::String(None) | ColumnType::Json => ("textarea", None),
        ColumnType::Date => ("date", None),
        ColumnType::Time => ("time", None),
        ColumnType::DateTime | ColumnType::DateTimeTz => ("datetime-local", None),
        ColumnType::LargeBinary => return None,
        _ => ("text", None),
    })
}

/// Whether a form edits `column`.
pub(crate) fn editable(column: &Column) -> bool {
    input_of(column).is_some()
}

/// `"author_id"` as Flask-Admin labels it: `"Author Id"`.
pub(crate) fn default_label(name: &str) -> String {
    name.split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(first) => first.to_uppercase().collect::<String>() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The field for `column`, showing `value` (what the row holds, or was typed).
pub(crate) fn field(column: &'static Column, label: String, shown: Shown) -> Option<FormField> {
    let (input, step) = input_of(column)?;
    let max_length = match column.ty {
        ColumnType::String(n) => n,
        _ => None,
    };
    let (value, checked) = match shown {
        Shown::Stored(v) => (input_value(&v), matches!(v, Value::Bool(true))),
        Shown::Typed(text) => {
            let checked = !text.is_empty();
            (text, checked)
        }
    };
    let mut choices: Vec<(String, String)> = column
        .choices
        .iter()
        .map(|c| ((*c).to_owned(), (*c).to_owned()))
        .collect();
    if column.nullable && !choices.is_empty() {
        choices.insert(0, (String::new(), String::new()));
    }
    Some(FormField {
        name: column.name,
        label,
        input,
        step,
        required: !column.nullable && input != "checkbox",
        max_length,
        choices,
        value,
        checked,
        readonly: false,
        errors: Vec::new(),
        description: None,
        selected: Vec::new(),
    })
}

/// What a field shows: a stored value, or the text the user typed (a form shown again
/// with its errors).
pub(crate) enum Shown {
    Stored(Value),
    Typed(String),
}

/// A stored value as its input shows it.
fn input_value(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => {
            if *b {
                "y".into()
            } else {
                String::new()
            }
        }
        Value::DateTime(d) => d.format("%Y-%m-%dT%H:%M:%S").to_string(),
        Value::DateTimeUtc(d) => d.format("%Y-%m-%dT%H:%M:%S").to_string(),
        Value::Json(j) => serde_json::to_string_pretty(j).unwrap_or_default(),
        other => crate::display::text(other),
    }
}

/// What was typed into `column`'s input, as the JSON its field deserializes from; or what
/// is wrong with it (WTForms' messages).
pub(crate) fn parse(column: &Column, typed: Option<&str>) -> Result<serde_json::Value, String> {
    use serde_json::Value as J;
    let text = typed.unwrap_or("").trim();
    if column.ty == ColumnType::Boolean {
        // An unchecked box sends nothing.
        return Ok(J::Bool(typed.is_some_and(|t| {
            !matches!(t, "" | "n" | "no" | "off" | "false" | "0")
        })));
    }
    if text.is_empty() {
        if column.nullable {
            return Ok(J::Null);
        }
        return Err("This field is required.".into());
    }
    if !column.choices.is_empty() && !column.choices.contains(&text) {
        return Err("Not a valid choice.".into());
    }
    Ok(match column.ty {
        ColumnType::SmallInteger | ColumnType::Integer | ColumnType::BigInteger => {
            let n: i64 = text
                .parse()
                .map_err(|_| "Not a valid integer value.".to_owned())?;
            J::from(n)
        }
        ColumnType::Float | ColumnType::Double => {
            let f: f64 = text
                .parse()
                .ok()
                .filter(|f: &f64| f.is_finite())
                .ok_or_else(|| "Not a valid float value.".to_owned())?;
            J::from(f)
        }
        ColumnType::Numeric { .. } => {
            if text.parse::<f64>().is_err() {
                return Err("Not a valid decimal value.".into());
            }
            J::String(text.to_owned())
        }
        ColumnType::String(max) => {
            let typed = typed.unwrap_or("");
            if let Some(max) = max
                && typed.chars().count() > max as usize
            {
                return Err(format!("Field cannot be longer than {max} characters."));
            }
            J::String(typed.to_owned())
        }
        ColumnType::Date => {
            chrono_check(text, "%Y-%m-%d", "Not a valid date value.")?;
            J::String(text.to_owned())
        }
        ColumnType::Time => {
            let t = if text.len() == 5 {
                format!("{text}:00")
            } else {
                text.to_owned()
            };
            chrono_time_check(&t)?;
            J::String(t)
        }
        ColumnType::DateTime | ColumnType::DateTimeTz => {
            let t = if text.len() == 16 {
                format!("{text}:00")
            } else {
                text.to_owned()
            };
            chrono_check(&t, "%Y-%m-%dT%H:%M:%S", "Not a valid datetime value.")?;
            if column.ty == ColumnType::DateTimeTz {
                J::String(format!("{t}Z"))
            } else {
                J::String(t)
            }
        }
        ColumnType::Json => {
            serde_json::from_str(text).map_err(|e| format!("Not valid JSON: {e}"))?
        }
        _ => J::String(text.to_owned()),
    })
}

fn chrono_check(text: &str, format: &str, message: &str) -> Result<(), String> {
    let ok = if format.contains("%H") {
        chrono::NaiveDateTime::parse_from_str(text, format).is_ok()
    } else {
        chrono::NaiveDate::parse_from_str(text, format).is_ok()
    };
    if ok { Ok(()) } else { Err(message.to_owned()) }
}

fn chrono_time_check(text: &str) -> Result<(), String> {
    match chrono::NaiveTime::parse_from_str(text, "%H:%M:%S") {
        Ok(_) => Ok(()),
        Err(_) => Err("Not a valid time value.".to_owned()),
    }
}

/// The field of a many-to-many relationship: a multiple select of the related rows.
pub(crate) fn many(
    name: &'static str,
    label: String,
    choices: Vec<(String, String)>,
    selected: Vec<String>,
) -> FormField {
    FormField {
        name,
        label,
        input: "multiselect",
        step: None,
        required: false,
        max_length: None,
        choices,
        value: String::new(),
        checked: false,
        readonly: false,
        errors: Vec::new(),
        description: None,
        selected,
    }
}

/// The inputs `form_overrides` may choose.
pub(crate) const OVERRIDES: [&str; 7] = [
    "text", "textarea", "email", "url", "tel", "number", "password",
];

/// Applies a view's form options to its fields: descriptions, chosen inputs and fixed
/// choices.
pub(crate) fn customize(fields: &mut [FormField], options: &FormOptions) {
    for field in fields {
        if let Some(text) = options.descriptions.get(field.name) {
            field.description = Some(text.clone());
        }
        if let Some(input) = options.inputs.get(field.name) {
            field.input = input;
            if *input != "number" {
                field.step = None;
            }
        }
        if let Some(choices) = options.choices.get(field.name) {
            field.input = "select";
            field.step = None;
            field.choices = Vec::with_capacity(choices.len() + 1);
            if !field.required {
                field.choices.push((String::new(), String::new()));
            }
            field.choices.extend(choices.iter().cloned());
        }
    }
}

/// A view's options for its forms.
#[derive(Debug, Clone, Default)]
pub(crate) struct FormOptions {
    /// `column_descriptions`.
    pub(crate) descriptions: std::collections::HashMap<String, String>,
    /// `form_overrides`: the input of a column.
    pub(crate) inputs: std::collections::HashMap<String, &'static str>,
    /// `form_choices`: the only values a column takes, (value, label).
    pub(crate) choices: std::collections::HashMap<String, Vec<(String, String)>>,
}

/// Turns the fields of foreign keys into selects of the related rows (key, label).
pub(crate) fn offer(
    fields: &mut [FormField],
    columns: &[&'static Column],
    choices: &std::collections::HashMap<&'static str, Vec<(String, String)>>,
) {
    for field in fields {
        let Some(list) = choices.get(field.name) else {
            continue;
        };
        let nullable = columns
            .iter()
            .find(|c| c.name == field.name)
            .is_some_and(|c| c.nullable);
        field.input = "select";
        field.step = None;
        field.choices = Vec::with_capacity(list.len() + 1);
        field.choices.push((
            String::new(),
            if nullable {
                String::new()
            } else {
                "(choose one)".to_owned()
            },
        ));
        field.choices.extend(list.iter().cloned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(ty: ColumnType, nullable: bool) -> &'static Column {
        Box::leak(Box::new(Column {
            name: "c",
            field: "c",
            ty,
            nullable,
            primary_key: false,
            autoincrement: false,
            unique: false,
            index: false,
            foreign_key: None,
            server_default: None,
            choices: &[],
        }))
    }

    #[test]
    fn typed_text_becomes_the_fields_json() {
        let int = column(ColumnType::Integer, false);
        assert_eq!(parse(int, Some("42")).unwrap(), serde_json::json!(42));
        assert_eq!(
            parse(int, Some("4x")).unwrap_err(),
            "Not a valid integer value."
        );
        assert_eq!(parse(int, Some("")).unwrap_err(), "This field is required.");
        let opt = column(ColumnType::Integer, true);
        assert_eq!(parse(opt, Some("")).unwrap(), serde_json::Value::Null);
        let flag = column(ColumnType::Boolean, false);
        assert_eq!(parse(flag, None).unwrap(), serde_json::json!(false));
        assert_eq!(parse(flag, Some("y")).unwrap(), serde_json::json!(true));
        let name = column(ColumnType::String(Some(3)), false);
        assert_eq!(
            parse(name, Some("abcd")).unwrap_err(),
            "Field cannot be longer than 3 characters."
        );
        let at = column(ColumnType::DateTimeTz, false);
        assert_eq!(
            parse(at, Some("2026-12-07T18:30")).unwrap(),
            serde_json::json!("2026-12-07T18:30:00Z")
        );
        assert!(parse(at, Some("yesterday")).is_err());
        let day = column(ColumnType::Date, false);
        assert_eq!(
            parse(day, Some("2026-02-30")).unwrap_err(),
            "Not a valid date value."
        );
    }

    #[test]
    fn labels_are_flask_admins() {
        assert_eq!(default_label("author_id"), "Author Id");
        assert_eq!(default_label("title"), "Title");
    }
}
