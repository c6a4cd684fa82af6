//! A form's fields laid out for one request: nested forms and repeated fields expanded
//! into named slots (`address-street`, `phones-0`), as WTForms names them, and put back
//! together into the data's shape.

use std::collections::BTreeSet;

use serde_json::Value;

use super::process::FieldState;
use super::schema::{FieldSpec, FormSchema, Sub};

/// One field of the expanded form.
#[derive(Debug)]
pub(crate) struct Slot {
    pub(crate) spec: &'static FieldSpec,
    /// Its HTML name and id (`address-street`).
    pub(crate) name: String,
    /// The prefix of its form (`address-`), for `EqualTo` within it.
    pub(crate) prefix: String,
    /// Its value when the form is not submitted (an object's, or a default).
    pub(crate) initial: Option<Value>,
}

/// The shape of the form: fields, nested forms, lists.
#[derive(Debug)]
pub(crate) enum Item {
    Field(usize),
    Form {
        spec: &'static FieldSpec,
        name: String,
        items: Vec<Item>,
    },
    List {
        spec: &'static FieldSpec,
        name: String,
        entries: Vec<Item>,
    },
}

impl Item {
    /// The key of this item in its form's data.
    pub(crate) fn key(&self, slots: &[Slot]) -> &'static str {
        match self {
            Item::Field(i) => slots[*i].spec.name,
            Item::Form { spec, .. } | Item::List { spec, .. } => spec.name,
        }
    }
}

/// The indices of the entries of list `name` that were sent (`name-0`, `name-3-street`),
/// in order.
fn sent_indices(name: &str, keys: &BTreeSet<String>) -> Vec<usize> {
    let prefix = format!("{name}-");
    let mut out: Vec<usize> = keys
        .range(prefix.clone()..)
        .take_while(|k| k.starts_with(&prefix))
        .filter_map(|k| {
            let rest = k.strip_prefix(&prefix)?;
            let digits = rest.split('-').next()?;
            (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
                .then(|| digits.parse().ok())
                .flatten()
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Expands `schema`'s fields under `prefix`; `keys` are the names a submission sent (none:
/// not submitted), `initial` the data to start from.
pub(crate) fn expand(
    schema: &'static FormSchema,
    prefix: &str,
    keys: Option<&BTreeSet<String>>,
    initial: Option<&Value>,
    slots: &mut Vec<Slot>,
) -> Vec<Item> {
    schema
        .fields
        .iter()
        .map(|spec| {
            let value = initial.and_then(|v| v.get(spec.name));
            expand_field(
                spec,
                &format!("{prefix}{}", spec.name),
                prefix,
                keys,
                value,
                slots,
            )
        })
        .collect()
}

fn expand_field(
    spec: &'static FieldSpec,
    name: &str,
    prefix: &str,
    keys: Option<&BTreeSet<String>>,
    initial: Option<&Value>,
    slots: &mut Vec<Slot>,
) -> Item {
    match &spec.sub {
        None => {
            slots.push(Slot {
                spec,
                name: name.to_owned(),
                prefix: prefix.to_owned(),
                initial: initial.cloned(),
            });
            Item::Field(slots.len() - 1)
        }
        Some(Sub::Form(schema)) => Item::Form {
            spec,
            name: name.to_owned(),
            items: expand(schema(), &format!("{name}-"), keys, initial, slots),
        },
        Some(Sub::List { entry, min, max }) => {
            let initial_entries = initial.and_then(Value::as_array);
            let mut indices: Vec<usize> = match keys {
                Some(keys) => sent_indices(name, keys),
                None => (0..initial_entries.map_or(0, Vec::len)).collect(),
            };
            if let Some(max) = max {
                indices.truncate(*max);
            }
            while indices.len() < *min {
                let Some(next) = indices.last().map_or(Some(0), |last| last.checked_add(1)) else {
                    break;
                };
                indices.push(next);
            }
            let entries = indices
                .iter()
                .enumerate()
                .map(|(pos, index)| {
                    let entry_name = format!("{name}-{index}");
                    let value = if keys.is_none() {
                        initial_entries.and_then(|e| e.get(pos))
                    } else {
                        None
                    };
                    expand_field(entry, &entry_name, &format!("{name}-"), keys, value, slots)
                })
                .collect();
            Item::List {
                spec,
                name: name.to_owned(),
                entries,
            }
        }
    }
}

/// The data of `items` in their shape: objects for forms, arrays for lists.
pub(crate) fn assemble(items: &[Item], slots: &[Slot], states: &[FieldState]) -> Value {
    Value::Object(
        items
            .iter()
            .map(|item| (item.key(slots).to_owned(), value_of(item, slots, states)))
            .collect(),
    )
}

fn value_of(item: &Item, slots: &[Slot], states: &[FieldState]) -> Value {
    match item {
        Item::Field(i) => states[*i].data.clone(),
        Item::Form { items, .. } => assemble(items, slots, states),
        Item::List { entries, .. } => {
            Value::Array(entries.iter().map(|e| value_of(e, slots, states)).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sent_indices;

    #[test]
    fn indices_of_list_entries() {
        let keys = [
            "phones-0",
            "phones-2",
            "phones-10",
            "phones-x",
            "phones-",
            "phone-1",
            "people-1-name",
            "people-1-age",
            "people-0-name",
            "phones",
        ]
        .map(str::to_owned)
        .into_iter()
        .collect();
        assert_eq!(sent_indices("phones", &keys), [0, 2, 10]);
        assert_eq!(sent_indices("people", &keys), [0, 1]);
        assert_eq!(sent_indices("nothing", &keys), Vec::<usize>::new());
    }
}
