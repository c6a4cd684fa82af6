//! Turning what was submitted into field data (WTForms' `process_formdata`), and the
//! validators (WTForms' messages).

use serde_json::Value;

use super::layout::Slot;
use super::schema::{FieldKind, FieldSpec, Validator};

/// One field of a form being processed: what was sent, what it became, what is wrong.
#[derive(Debug, Clone, Default)]
pub(crate) struct FieldState {
    /// The values sent for it (`None`: the form was not submitted).
    pub(crate) raw: Option<Vec<String>>,
    /// The coerced value (null when there is none).
    pub(crate) data: Value,
    /// Conversion errors ("Not a valid integer value.").
    pub(crate) process_errors: Vec<String>,
    /// Every error after validation.
    pub(crate) errors: Vec<String>,
    /// Choices set at runtime, replacing the schema's.
    pub(crate) choices: Option<Vec<(String, String)>>,
    /// The files sent for a file field.
    pub(crate) files: Vec<super::FileStorage>,
}

impl FieldState {
    pub(crate) fn choices<'a>(&'a self, spec: &'a FieldSpec) -> &'a [(String, String)] {
        self.choices.as_deref().unwrap_or(&spec.choices)
    }
}

/// What a checkbox sends that still means "off" (WTForms' `false_values`).
const FALSE_VALUES: [&str; 2] = ["false", ""];

/// `value` as the data of a field of `kind` with no input (a default or an object's value).
pub(crate) fn initial(spec: &FieldSpec, value: Option<&Value>) -> Value {
    match value.or(spec.default.as_ref()) {
        Some(v) => v.clone(),
        None => match spec.kind {
            FieldKind::Boolean | FieldKind::Submit => Value::Bool(false),
            FieldKind::SelectMultiple | FieldKind::MultipleFiles => Value::Array(Vec::new()),
            _ if spec.optional => Value::Null,
            k if is_text(k) => Value::String(String::new()),
            _ => Value::Null,
        },
    }
}

fn is_text(kind: FieldKind) -> bool {
    matches!(
        kind,
        FieldKind::String
            | FieldKind::TextArea
            | FieldKind::Password
            | FieldKind::Hidden
            | FieldKind::Email
            | FieldKind::Url
            | FieldKind::Search
            | FieldKind::Tel
    )
}

/// A file field's data: the files sent for it (text sent under its name is ignored: a file
/// is never made from text).
pub(crate) fn process_files(
    spec: &FieldSpec,
    state: &mut FieldState,
    files: Vec<super::FileStorage>,
) {
    state.raw = Some(
        files
            .iter()
            .map(|f| f.filename().unwrap_or("").to_owned())
            .collect(),
    );
    let json = |f: &super::FileStorage| serde_json::to_value(f).unwrap_or(Value::Null);
    state.data = match spec.kind {
        FieldKind::MultipleFiles => Value::Array(files.iter().map(json).collect()),
        _ => files.first().map_or(Value::Null, json),
    };
    state.files = files;
}

/// WTForms' `process_formdata`: the data of a submitted field from its values. Keeps
/// `state.data` (the default) when nothing was sent, as WTForms does.
pub(crate) fn process(spec: &FieldSpec, state: &mut FieldState, values: Vec<String>) {
    let first = values.first().map(String::as_str);
    let conversion = |message: &str, parse: &dyn Fn(&str) -> Option<Value>| match first {
        None => None,
        Some(s) if s.trim().is_empty() && spec.optional => Some(Ok(Value::Null)),
        Some(s) => Some(parse(s.trim()).ok_or_else(|| message.to_owned())),
    };
    let result = match spec.kind {
        k if is_text(k) => first.map(|s| {
            Ok(if s.is_empty() && spec.optional {
                Value::Null
            } else {
                Value::String(s.to_owned())
            })
        }),
        FieldKind::Boolean => Some(Ok(Value::Bool(
            first.is_some_and(|v| !FALSE_VALUES.contains(&v)),
        ))),
        FieldKind::Submit => Some(Ok(Value::Bool(
            first.is_some_and(|v| !FALSE_VALUES.contains(&v)),
        ))),
        FieldKind::Integer => conversion("Not a valid integer value.", &|s| {
            let n = s.parse::<i64>().ok()?;
            let fits = spec
                .integer_range
                .is_none_or(|(min, max)| (min..=max).contains(&i128::from(n)));
            fits.then(|| Value::from(n))
        }),

        FieldKind::Float => conversion("Not a valid float value.", &|s| {
            s.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
        }),
        FieldKind::Decimal => conversion("Not a valid decimal value.", &|s| {
            is_decimal(s).then(|| Value::String(s.to_owned()))
        }),
        FieldKind::Date => conversion("Not a valid date value.", &|s| {
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .map(|d| Value::String(d.format("%Y-%m-%d").to_string()))
        }),
        FieldKind::DateTimeLocal => conversion("Not a valid datetime value.", &|s| {
            [
                "%Y-%m-%dT%H:%M:%S",
                "%Y-%m-%dT%H:%M",
                "%Y-%m-%d %H:%M:%S",
                "%Y-%m-%d %H:%M",
            ]
            .iter()
            .find_map(|f| chrono::NaiveDateTime::parse_from_str(s, f).ok())
            .map(|d| Value::String(d.format("%Y-%m-%dT%H:%M:%S").to_string()))
        }),
        FieldKind::Time => conversion("Not a valid time value.", &|s| {
            ["%H:%M:%S", "%H:%M"]
                .iter()
                .find_map(|f| chrono::NaiveTime::parse_from_str(s, f).ok())
                .map(|t| Value::String(t.format("%H:%M:%S").to_string()))
        }),
        FieldKind::Select | FieldKind::Radio => first.map(|s| {
            if s.is_empty() && spec.optional {
                Ok(Value::Null)
            } else if spec.coerce_int {
                s.trim()
                    .parse::<i64>()
                    .map(Value::from)
                    .map_err(|_| "Invalid Choice: could not coerce.".to_owned())
            } else {
                Ok(Value::String(s.to_owned()))
            }
        }),
        FieldKind::SelectMultiple if spec.coerce_int => Some(
            values
                .iter()
                .map(|v| v.trim().parse::<i64>().map(Value::from))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
                .map_err(|_| {
                    "Invalid choice(s): one or more data inputs could not be coerced.".to_owned()
                }),
        ),
        FieldKind::SelectMultiple => Some(Ok(Value::Array(
            values.iter().cloned().map(Value::String).collect(),
        ))),
        _ => first.map(|s| Ok(Value::String(s.to_owned()))),
    };
    match result {
        Some(Ok(v)) => state.data = v,
        Some(Err(message)) => {
            state.data = Value::Null;
            state.process_errors.push(message);
        }
        None => {}
    }
    state.raw = Some(values);
}

/// A decimal number as text: digits with one optional point, an optional sign and exponent.
fn is_decimal(s: &str) -> bool {
    s.parse::<f64>().is_ok_and(f64::is_finite)
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
}

/// A number as Python's `str` shows it in messages: `13`, `2.5`.
fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// Whether `data` is "truthy" as Python sees it (DataRequired's test).
fn truthy(data: &Value) -> bool {
    match data {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.trim().is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

fn text(data: &Value) -> String {
    match data {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// What a validator decided.
enum Outcome {
    Pass,
    Error(String),
    /// Stop the chain, with an error or without (Optional), forgetting the errors before.
    Stop(Option<String>),
    /// Stop the chain with this error, keeping the errors before (the file validators).
    StopKeep(String),
}

/// WTForms' `Field.validate`: conversion errors, the choice check, then the chain.
pub(crate) fn validate_field(slots: &[Slot], index: usize, states: &[FieldState]) -> Vec<String> {
    let spec = slots[index].spec;
    let state = &states[index];
    let mut errors = state.process_errors.clone();
    if let Some(e) = pre_validate(spec, state) {
        errors.push(e);
    }
    for v in &spec.validators {
        match run(v, slots, index, states) {
            Outcome::Pass => {}
            Outcome::Error(e) => errors.push(e),
            Outcome::Stop(e) => {
                errors.clear();
                errors.extend(e);
                break;
            }
            Outcome::StopKeep(e) => {
                errors.push(e);
                break;
            }
        }
    }
    errors
}

/// The choice check of select, select-multiple and radio fields.
fn pre_validate(spec: &FieldSpec, state: &FieldState) -> Option<String> {
    let choices = state.choices(spec);
    let is_choice = |v: &str| choices.iter().any(|(value, _)| value == v);
    match spec.kind {
        FieldKind::Select | FieldKind::Radio => match &state.data {
            Value::Null if spec.optional => None,
            Value::Null => Some("Not a valid choice.".to_owned()),
            data if is_choice(&text(data)) => None,
            _ => Some("Not a valid choice.".to_owned()),
        },
        FieldKind::SelectMultiple => {
            // Each bad value once, as WTForms lists them.
            let mut bad: Vec<String> = Vec::new();
            if let Value::Array(values) = &state.data {
                for v in values.iter().map(text) {
                    if !is_choice(&v) && !bad.contains(&v) {
                        bad.push(v);
                    }
                }
            }
            match bad.len() {
                0 => None,
                1 => Some(format!(
                    "'{}' is not a valid choice for this field.",
                    bad[0]
                )),
                _ => Some(format!(
                    "'{}' are not valid choices for this field.",
                    bad.join("', '")
                )),
            }
        }
        _ => None,
    }
}

fn message(custom: &Option<String>, default: impl FnOnce() -> String) -> String {
    custom.clone().unwrap_or_else(default)
}

fn run(v: &Validator, slots: &[Slot], index: usize, states: &[FieldState]) -> Outcome {
    let spec = slots[index].spec;
    let state = &states[index];
    let data = &state.data;
    let required = || "This field is required.".to_owned();
    let fail = |custom: &Option<String>, default: &str| {
        Outcome::Error(message(custom, || default.to_owned()))
    };
    match v {
        Validator::DataRequired(m) => {
            if truthy(data) {
                Outcome::Pass
            } else {
                Outcome::Stop(Some(message(m, required)))
            }
        }
        Validator::InputRequired(m) => {
            let typed = state
                .raw
                .as_ref()
                .and_then(|r| r.first())
                .is_some_and(|s| !s.is_empty());
            if typed {
                Outcome::Pass
            } else {
                Outcome::Stop(Some(message(m, required)))
            }
        }
        Validator::Optional => {
            let empty = state
                .raw
                .as_ref()
                .and_then(|r| r.first())
                .is_none_or(|s| s.trim().is_empty());
            if empty {
                Outcome::Stop(None)
            } else {
                Outcome::Pass
            }
        }
        Validator::Length {
            min,
            max,
            message: m,
        } => {
            let len = text(data).chars().count();
            if min.is_none_or(|min| len >= min) && max.is_none_or(|max| len <= max) {
                return Outcome::Pass;
            }
            let plural = |n: usize| if n == 1 { "" } else { "s" };
            Outcome::Error(message(m, || match (min, max) {
                (Some(min), None) => {
                    format!(
                        "Field must be at least {min} character{} long.",
                        plural(*min)
                    )
                }
                (None, Some(max)) => {
                    format!(
                        "Field cannot be longer than {max} character{}.",
                        plural(*max)
                    )
                }
                (Some(min), Some(max)) if min == max => {
                    format!(
                        "Field must be exactly {max} character{} long.",
                        plural(*max)
                    )
                }
                (Some(min), Some(max)) => {
                    format!("Field must be between {min} and {max} characters long.")
                }
                (None, None) => String::new(),
            }))
        }
        Validator::NumberRange {
            min,
            max,
            message: m,
        } => {
            let value = match data {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.parse::<f64>().ok(),
                _ => None,
            };
            let ok = value.is_some_and(|v| {
                !v.is_nan() && min.is_none_or(|min| v >= min) && max.is_none_or(|max| v <= max)
            });
            if ok {
                return Outcome::Pass;
            }
            Outcome::Error(message(m, || match (min, max) {
                (None, Some(max)) => format!("Number must be at most {}.", number(*max)),
                (Some(min), None) => format!("Number must be at least {}.", number(*min)),
                (Some(min), Some(max)) => format!(
                    "Number must be between {} and {}.",
                    number(*min),
                    number(*max)
                ),
                (None, None) => String::new(),
            }))
        }
        Validator::EqualTo { other, message: m } => {
            // The other field of the same form (`address-password` for `address-confirm`).
            let full = format!("{}{other}", slots[index].prefix);
            let Some(j) = slots.iter().position(|s| s.name == full) else {
                return Outcome::Error(format!("Invalid field name '{other}'."));
            };
            if states[j].data == *data {
                Outcome::Pass
            } else {
                Outcome::Error(message(m, || format!("Field must be equal to {other}.")))
            }
        }
        Validator::Email(m) => {
            use validator::ValidateEmail;
            if text(data).validate_email() && !text(data).is_empty() {
                Outcome::Pass
            } else {
                fail(m, "Invalid email address.")
            }
        }
        Validator::Url(m) => {
            let s = text(data);
            // WTForms' URL(require_tld=True): a scheme, and a host with a dot in it.
            let ok = url::Url::parse(&s).is_ok_and(|u| {
                matches!(u.scheme(), "http" | "https" | "ftp")
                    && u.host_str()
                        .is_some_and(|h| h.trim_matches('.').contains('.'))
            });
            if ok {
                Outcome::Pass
            } else {
                fail(m, "Invalid URL.")
            }
        }
        Validator::Regexp {
            pattern,
            message: m,
            ..
        } => {
            if pattern.is_match(&text(data)) {
                Outcome::Pass
            } else {
                fail(m, "Invalid input.")
            }
        }
        Validator::AnyOf { values, message: m } => {
            if values.contains(&text(data)) {
                Outcome::Pass
            } else {
                Outcome::Error(message(m, || {
                    format!("Invalid value, must be one of: {}.", values.join(", "))
                }))
            }
        }
        Validator::NoneOf { values, message: m } => {
            if values.contains(&text(data)) {
                Outcome::Error(message(m, || {
                    format!("Invalid value, can't be any of: {}.", values.join(", "))
                }))
            } else {
                Outcome::Pass
            }
        }
        Validator::Uuid(m) => {
            if uuid::Uuid::parse_str(&text(data)).is_ok() {
                Outcome::Pass
            } else {
                fail(m, "Invalid UUID.")
            }
        }
        Validator::IpAddress {
            ipv4,
            ipv6,
            message: m,
        } => {
            let ok = match text(data).parse::<std::net::IpAddr>() {
                Ok(std::net::IpAddr::V4(_)) => *ipv4,
                Ok(std::net::IpAddr::V6(_)) => *ipv6,
                Err(_) => false,
            };
            if ok {
                Outcome::Pass
            } else {
                fail(m, "Invalid IP address.")
            }
        }
        Validator::FileRequired(m) => {
            if state
                .files
                .iter()
                .any(|f| f.filename().is_some_and(|n| !n.is_empty()))
            {
                Outcome::Pass
            } else {
                Outcome::Stop(Some(message(m, required)))
            }
        }
        Validator::FileAllowed {
            extensions,
            message: m,
        } => {
            // Flask-WTF: the lower-cased name ends with ".ext" (so "tar.gz" works too).
            let allowed = |f: &super::FileStorage| {
                let name = f.filename().unwrap_or("").to_lowercase();
                extensions
                    .iter()
                    .any(|x| name.ends_with(&format!(".{}", x.to_lowercase())))
            };
            if state.files.iter().all(allowed) {
                Outcome::Pass
            } else {
                Outcome::StopKeep(message(m, || {
                    format!(
                        "File does not have an approved extension: {}",
                        extensions.join(", ")
                    )
                }))
            }
        }
        Validator::FileSize {
            max,
            min,
            message: m,
        } => {
            if state.files.iter().all(|f| (*min..=*max).contains(&f.len())) {
                Outcome::Pass
            } else {
                Outcome::Error(message(m, || {
                    format!("File must be between {min} and {max} bytes.")
                }))
            }
        }
        Validator::Custom(check) => match check(&super::FieldRef { spec, state }) {
            Ok(()) => Outcome::Pass,
            Err(e) => Outcome::Error(e),
        },
    }
}
