//! Keyset pages for large tables: the list goes from one page to the next by the last row's
//! sort value and key (`?after=`), not by an `OFFSET` that reads and skips every earlier
//! row, and counts nothing.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use flask_sqlalchemy::{Column, ColumnType, DynCol, Engine, Filter, Model, Value};

use crate::model_view::ListQuery;

/// Which way from the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    After,
    Before,
}

/// A row's place in the order: its sort value and its key, as text in the URL.
pub(crate) struct Cursor {
    sort: Value,
    key: Value,
}

/// A value as a cursor writes it: exact, and readable back by [`parse_value`].
fn write_value(value: &Value) -> String {
    match value {
        Value::DateTimeUtc(d) => d.to_rfc3339(),
        Value::DateTime(d) => d.format("%Y-%m-%dT%H:%M:%S%.f").to_string(),
        Value::Date(d) => d.format("%Y-%m-%d").to_string(),
        Value::Time(t) => t.format("%H:%M:%S%.f").to_string(),
        other => crate::display::text(other),
    }
}

/// A cursor's text as the column's value.
fn parse_value(column: &Column, text: &str) -> Option<Value> {
    Some(match column.ty {
        ColumnType::SmallInteger | ColumnType::Integer | ColumnType::BigInteger => {
            Value::Int(text.parse().ok()?)
        }
        ColumnType::Float | ColumnType::Double => Value::Float(text.parse().ok()?),
        ColumnType::Boolean => Value::Bool(text == "Yes"),
        ColumnType::Date => Value::Date(NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?),
        ColumnType::Time => Value::Time(NaiveTime::parse_from_str(text, "%H:%M:%S%.f").ok()?),
        ColumnType::DateTime => {
            Value::DateTime(NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").ok()?)
        }
        ColumnType::DateTimeTz => {
            Value::DateTimeUtc(DateTime::parse_from_rfc3339(text).ok()?.with_timezone(&Utc))
        }
        _ => Value::Text(text.to_owned()),
    })
}

impl Cursor {
    /// The cursor of a row: its values at the sort column and the key.
    pub(crate) fn of(values: &[Value], sort: usize, key: usize) -> Cursor {
        Cursor {
            sort: values[sort].clone(),
            key: values[key].clone(),
        }
    }

    /// As the URL carries it: `<sort value>~<key>` (the key never holds `~` unescaped: it is
    /// written last and read from the last `~`).
    pub(crate) fn write(&self) -> String {
        format!("{}~{}", write_value(&self.sort), write_value(&self.key))
    }

    /// Reads `text` for the sort column `sort` and key column `key`.
    pub(crate) fn parse(text: &str, sort: &Column, key: &Column) -> Option<Cursor> {
        let (s, k) = text.rsplit_once('~')?;
        Some(Cursor {
            sort: parse_value(sort, s)?,
            key: parse_value(key, k)?,
        })
    }
}

/// One keyset page: the rows in the list's order, and whether there are rows before and
/// after them.
pub(crate) struct Page<M> {
    pub(crate) models: Vec<M>,
    pub(crate) more_before: bool,
    pub(crate) more_after: bool,
}

/// The page of `size` rows of `query` after (or before) `cursor`, in the order of `sort`
/// (descending when `desc`) then the key; the first page without a cursor.
pub(crate) async fn page<M: Model>(
    engine: &Engine,
    query: &ListQuery<M>,
    sort: &'static Column,
    desc: bool,
    cursor: Option<(Direction, Cursor)>,
    size: u64,
) -> Result<Page<M>, flask_sqlalchemy::Error> {
    let key_column = M::TABLE
        .primary_key()
        .next()
        .unwrap_or(&M::TABLE.columns[0]);
    let (Some(col), Some(key)) = (
        DynCol::<M>::named(sort.name),
        DynCol::<M>::named(key_column.name),
    ) else {
        return Ok(Page {
            models: Vec::new(),
            more_before: false,
            more_after: false,
        });
    };
    let same_column = sort.name == key_column.name;
    // Going back reads the other way, then turns the rows around.
    let backwards = matches!(cursor, Some((Direction::Before, _)));
    let mut q = query.select(engine, false);
    if let Some((direction, c)) = &cursor {
        // Past the cursor in the list's order: the sort value beyond it, or the same value
        // and a key beyond (the key always ascends).
        let forward = *direction == Direction::After;
        let beyond_sort = |v: Value| match (desc, forward) {
            (false, true) | (true, false) => col.gt(v),
            _ => col.lt(v),
        };
        let beyond_key = |v: Value| if forward { key.gt(v) } else { key.lt(v) };
        let condition: Filter = if same_column {
            beyond_sort(c.key.clone())
        } else {
            beyond_sort(c.sort.clone()).or(col.eq(c.sort.clone()).and(beyond_key(c.key.clone())))
        };
        q = q.filter(condition);
    }
    let sort_desc = desc != backwards;
    q = q.order_by(if sort_desc { col.desc() } else { col.asc() });
    if !same_column {
        q = q.order_by(if backwards { key.desc() } else { key.asc() });
    }
    let mut models = q.limit(size + 1).all().await?;
    let more = models.len() as u64 > size;
    models.truncate(size as usize);
    if backwards {
        models.reverse();
    }
    Ok(match cursor {
        None => Page {
            models,
            more_before: false,
            more_after: more,
        },
        Some((Direction::After, _)) => Page {
            models,
            more_before: true,
            more_after: more,
        },
        Some((Direction::Before, _)) => Page {
            models,
            more_before: more,
            more_after: true,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(ty: ColumnType) -> Column {
        Column {
            name: "c",
            field: "c",
            ty,
            nullable: false,
            primary_key: false,
            autoincrement: false,
            unique: false,
            index: false,
            foreign_key: None,
            server_default: None,
            choices: &[],
        }
    }

    #[test]
    fn cursors_read_back_what_they_wrote() {
        let at = Utc::now();
        let cursor = Cursor {
            sort: Value::DateTimeUtc(at),
            key: Value::Int(41),
        };
        let text = cursor.write();
        let back = Cursor::parse(
            &text,
            &column(ColumnType::DateTimeTz),
            &column(ColumnType::BigInteger),
        )
        .unwrap();
        assert_eq!(
            back.sort,
            Value::DateTimeUtc(at),
            "microseconds survive: {text}"
        );
        assert_eq!(back.key, Value::Int(41));
        // Text with the separator in it: the key is after the last one.
        let cursor = Cursor {
            sort: Value::Text("a~b".into()),
            key: Value::Int(2),
        };
        let back = Cursor::parse(
            &cursor.write(),
            &column(ColumnType::String(None)),
            &column(ColumnType::Integer),
        )
        .unwrap();
        assert_eq!(back.sort, Value::Text("a~b".into()));
        assert!(
            Cursor::parse(
                "nonsense",
                &column(ColumnType::Integer),
                &column(ColumnType::Integer)
            )
            .is_none()
        );
    }
}
