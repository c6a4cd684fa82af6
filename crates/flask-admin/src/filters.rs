//! The list's filters (Flask-Admin's `column_filters`): for each filterable column, the
//! operations its type allows, read from the query string (`?flt_price_op=gt&flt_price=5`)
//! and turned into conditions on the column.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveTime};
use flask_sqlalchemy::{Column, ColumnType, DynCol, Filter, Model, Value};
use serde::Serialize;

/// What kind of filter a column gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Number,
    Bool,
    Date,
    Choice,
    /// A foreign key, offered as the related rows.
    Relation,
}

fn kind_of(column: &Column) -> Option<Kind> {
    if column.foreign_key.is_some() {
        return Some(Kind::Relation);
    }
    if !column.choices.is_empty() {
        return Some(Kind::Choice);
    }
    Some(match column.ty {
        ColumnType::String(_) | ColumnType::Uuid => Kind::Text,
        ColumnType::SmallInteger
        | ColumnType::Integer
        | ColumnType::BigInteger
        | ColumnType::Float
        | ColumnType::Double
        | ColumnType::Numeric { .. } => Kind::Number,
        ColumnType::Boolean => Kind::Bool,
        ColumnType::Date | ColumnType::DateTime | ColumnType::DateTimeTz => Kind::Date,
        _ => return None,
    })
}

/// Whether a column can be filtered.
pub(crate) fn filterable(column: &Column) -> bool {
    kind_of(column).is_some()
}

/// The operations of a kind: (code, label), Flask-Admin's labels.
fn ops(kind: Kind) -> &'static [(&'static str, &'static str)] {
    match kind {
        Kind::Text => &[
            ("contains", "contains"),
            ("not_contains", "not contains"),
            ("equals", "equals"),
            ("not_equal", "not equal"),
            ("empty", "empty"),
        ],
        Kind::Number => &[
            ("equals", "equals"),
            ("not_equal", "not equal"),
            ("gt", "greater than"),
            ("lt", "smaller than"),
            ("between", "between"),
            ("empty", "empty"),
        ],
        Kind::Bool => &[("equals", "equals")],
        Kind::Date => &[
            ("equals", "on"),
            ("before", "before"),
            ("after", "after"),
            ("between", "between"),
            ("empty", "empty"),
        ],
        Kind::Choice | Kind::Relation => &[
            ("equals", "equals"),
            ("not_equal", "not equal"),
            ("empty", "empty"),
        ],
    }
}

/// One filterable column, as the filter form draws it.
#[derive(Debug, Serialize)]
pub(crate) struct FilterField {
    pub(crate) name: &'static str,
    pub(crate) label: String,
    /// `text`, `number`, `date`, `bool`, `choice`: the value input.
    pub(crate) input: &'static str,
    pub(crate) ops: Vec<(&'static str, &'static str)>,
    /// A select's (value, label) pairs.
    pub(crate) choices: Vec<(String, String)>,
    /// What the query string chose: the operation and the values.
    pub(crate) op: String,
    pub(crate) value: String,
    pub(crate) value_to: String,
    pub(crate) error: Option<String>,
}

/// The filters a request asks for, each a column, an operation and its values; with the
/// form's fields (what was chosen, and what was wrong with it).
pub(crate) struct Chosen {
    pub(crate) fields: Vec<FilterField>,
    /// The query string's pairs that carry the filters, to keep in other links.
    pub(crate) args: Vec<(String, String)>,
    /// (column, operation, value, second value), valid ones only.
    active: Vec<(&'static Column, &'static str, String, String)>,
}

/// Reads the filters of `columns` from the query string.
pub(crate) fn read(
    columns: &[(&'static Column, String)],
    related: &HashMap<&'static str, Vec<(String, String)>>,
    query: &HashMap<String, String>,
) -> Chosen {
    let mut chosen = Chosen {
        fields: Vec::new(),
        args: Vec::new(),
        active: Vec::new(),
    };
    for (column, label) in columns {
        let Some(mut kind) = kind_of(column) else {
            continue;
        };
        let offered: Vec<(String, String)> = match kind {
            Kind::Relation => match related.get(column.name) {
                Some(list) => list.clone(),
                // Too many related rows to list: the key, as a number.
                None => {
                    kind = Kind::Number;
                    Vec::new()
                }
            },
            _ => column
                .choices
                .iter()
                .map(|c| ((*c).to_owned(), (*c).to_owned()))
                .collect(),
        };
        let get = |suffix: &str| {
            query
                .get(&format!("flt_{}{suffix}", column.name))
                .map_or("", |v| v.trim())
                .to_owned()
        };
        let (op, value, value_to) = (get("_op"), get(""), get("_to"));
        let known = ops(kind)
            .iter()
            .find(|(code, _)| *code == op)
            .map(|(c, _)| *c);
        let mut error = None;
        if let Some(code) = known {
            let needs_two = code == "between";
            if value.is_empty() || (needs_two && value_to.is_empty()) {
                if !value.is_empty() || !value_to.is_empty() {
                    error = Some("Give both values.".to_owned());
                }
            } else {
                match check(column, kind, &offered, code, &value, &value_to) {
                    Ok(()) => {
                        chosen
                            .active
                            .push((column, code, value.clone(), value_to.clone()));
                        let name = format!("flt_{}", column.name);
                        chosen.args.push((format!("{name}_op"), code.to_owned()));
                        chosen.args.push((name.clone(), value.clone()));
                        if needs_two {
                            chosen.args.push((format!("{name}_to"), value_to.clone()));
                        }
                    }
                    Err(e) => error = Some(e),
                }
            }
        }
        chosen.fields.push(FilterField {
            name: column.name,
            label: label.clone(),
            input: match kind {
                Kind::Text => "text",
                Kind::Number => "number",
                Kind::Bool => "bool",
                Kind::Date => "date",
                Kind::Choice | Kind::Relation => "choice",
            },
            ops: ops(kind).to_vec(),
            choices: offered,
            op: known.unwrap_or("").to_owned(),
            value,
            value_to,
            error,
        });
    }
    chosen
}

/// Whether the values fit the column (a number for a number, a date for a date).
fn check(
    column: &Column,
    kind: Kind,
    offered: &[(String, String)],
    op: &str,
    value: &str,
    value_to: &str,
) -> Result<(), String> {
    if op == "empty" {
        return match value {
            "1" | "0" => Ok(()),
            _ => Err("Choose yes or no.".into()),
        };
    }
    for v in std::iter::once(value).chain((op == "between").then_some(value_to)) {
        match kind {
            Kind::Number => number(column, v).map(|_| ())?,
            Kind::Date => day(v).map(|_| ())?,
            Kind::Bool if !matches!(v, "1" | "0") => return Err("Choose yes or no.".into()),
            Kind::Choice | Kind::Relation if !offered.iter().any(|(k, _)| k == v) => {
                return Err("Not a valid choice.".into());
            }
            _ => {}
        }
    }
    Ok(())
}

/// A number typed into a filter, as the forms read it (the same checks and messages).
fn number(column: &Column, text: &str) -> Result<Value, String> {
    crate::fields::parse(column, Some(text)).map(|v| crate::model_view::json_to_value(&v))
}

fn day(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| "Not a valid date value.".to_owned())
}

/// The start of `day` as the column stores it.
fn day_start(column: &Column, day: NaiveDate) -> Value {
    let at = day.and_time(NaiveTime::MIN);
    match column.ty {
        ColumnType::Date => Value::Date(day),
        ColumnType::DateTimeTz => Value::DateTimeUtc(at.and_utc()),
        _ => Value::DateTime(at),
    }
}

impl Chosen {
    /// The conditions of the valid filters, all of them.
    pub(crate) fn condition<M: Model>(&self) -> Option<Filter> {
        self.active
            .iter()
            .filter_map(|(column, op, value, value_to)| condition::<M>(column, op, value, value_to))
            .reduce(Filter::and)
    }

    /// How many filters apply.
    pub(crate) fn len(&self) -> usize {
        self.active.len()
    }
}

fn condition<M: Model>(column: &Column, op: &str, value: &str, value_to: &str) -> Option<Filter> {
    let col = DynCol::<M>::named(column.name)?;
    let kind = kind_of(column)?;
    if op == "empty" {
        let empty = if kind == Kind::Text {
            col.is_null().or(col.eq(""))
        } else {
            col.is_null()
        };
        return Some(if value == "1" { empty } else { empty.not() });
    }
    Some(match kind {
        Kind::Text => match op {
            "contains" => col.icontains(value),
            "not_contains" => col.icontains(value).not().or(col.is_null()),
            "equals" => col.eq(value),
            _ => col.ne(value).or(col.is_null()),
        },
        Kind::Choice => match op {
            "equals" => col.eq(value),
            _ => col.ne(value).or(col.is_null()),
        },
        Kind::Relation => {
            let key = number(column, value)
                .ok()
                .unwrap_or_else(|| Value::Text(value.to_owned()));
            match op {
                "equals" => col.eq(key),
                _ => col.ne(key).or(col.is_null()),
            }
        }
        Kind::Bool => col.eq(value == "1"),
        Kind::Number => {
            let a = number(column, value).ok()?;
            match op {
                "equals" => col.eq(a),
                "not_equal" => col.ne(a).or(col.is_null()),
                "gt" => col.gt(a),
                "lt" => col.lt(a),
                _ => col.ge(a).and(col.le(number(column, value_to).ok()?)),
            }
        }
        Kind::Date => {
            // Whole days: "on" a day is from its start to the next day's.
            let a = day(value).ok()?;
            let next = |d: NaiveDate| d.succ_opt().unwrap_or(d);
            match op {
                "equals" => col
                    .ge(day_start(column, a))
                    .and(col.lt(day_start(column, next(a)))),
                "before" => col.lt(day_start(column, a)),
                "after" => col.ge(day_start(column, next(a))),
                _ => {
                    let b = day(value_to).ok()?;
                    col.ge(day_start(column, a))
                        .and(col.lt(day_start(column, next(b))))
                }
            }
        }
    })
}
