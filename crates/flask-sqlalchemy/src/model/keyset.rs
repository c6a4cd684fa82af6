//! Keyset (cursor) pagination: pages that start after the last row seen instead of at an
//! offset, so page 10 000 costs what page 1 does and rows added meanwhile shift nothing.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_query::{Expr, ExprTrait, Order};

use super::ops::sea_value;
use super::{Column, ColumnType, Model, OrderBy, Select};
use crate::{Error, Value};

/// One page of a keyset-paginated query ([`Select::keyset`]), with the cursors of the pages
/// around it. It serializes for templates and JSON APIs.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KeysetPage<M> {
    /// The rows of this page.
    pub items: Vec<M>,
    /// Rows per page.
    pub per_page: u64,
    /// The cursor of the next page, when there are rows after this one.
    pub next: Option<String>,
    /// The cursor of the previous page, when there are rows before this one.
    pub prev: Option<String>,
}

impl<M> KeysetPage<M> {
    /// Whether there is a page after this one.
    pub fn has_next(&self) -> bool {
        self.next.is_some()
    }

    /// Whether there is a page before this one.
    pub fn has_prev(&self) -> bool {
        self.prev.is_some()
    }
}

/// Which way a cursor goes, and the key it starts from.
struct Cursor {
    backward: bool,
    key: Vec<Value>,
}

fn bad_cursor(why: &str) -> Error {
    Error::BadCursor(format!(
        "the page cursor is not valid ({why}): use the next or prev cursor of a page as given"
    ))
}

impl Cursor {
    fn encode(backward: bool, key: &[Value]) -> String {
        let json = serde_json::json!({
            "d": if backward { "p" } else { "n" },
            "k": key.iter().map(to_json).collect::<Vec<_>>(),
        });
        URL_SAFE_NO_PAD.encode(json.to_string())
    }

    fn decode(text: &str, columns: &[&Column]) -> Result<Cursor, Error> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|_| bad_cursor("not base64"))?;
        let json: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|_| bad_cursor("not JSON"))?;
        let backward = match json.get("d").and_then(|d| d.as_str()) {
            Some("n") => false,
            Some("p") => true,
            _ => return Err(bad_cursor("no direction")),
        };
        let parts = json
            .get("k")
            .and_then(|k| k.as_array())
            .filter(|k| k.len() == columns.len())
            .ok_or_else(|| bad_cursor("not a key of this query"))?;
        let key = parts
            .iter()
            .zip(columns)
            .map(|(j, c)| from_json(j, c.ty).ok_or_else(|| bad_cursor("a value of the wrong type")))
            .collect::<Result<_, _>>()?;
        Ok(Cursor { backward, key })
    }
}

fn to_json(value: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::Float(f) => J::from(*f),
        Value::Text(s) => J::String(s.clone()),
        Value::Bytes(b) => J::String(b.iter().map(|x| format!("{x:02x}")).collect()),
        Value::Json(j) => j.clone(),
        Value::Date(d) => J::String(d.to_string()),
        Value::Time(t) => J::String(t.to_string()),
        Value::DateTime(t) => J::String(t.to_string()),
        Value::DateTimeUtc(t) => J::String(t.to_rfc3339()),
        Value::Uuid(u) => J::String(u.to_string()),
        Value::Decimal(d) => J::String(d.to_string()),
    }
}

fn from_json(json: &serde_json::Value, ty: ColumnType) -> Option<Value> {
    let text = || json.as_str();
    Some(match ty {
        ColumnType::SmallInteger | ColumnType::Integer | ColumnType::BigInteger => {
            Value::Int(json.as_i64()?)
        }
        ColumnType::Float | ColumnType::Double => Value::Float(json.as_f64()?),
        ColumnType::Boolean => Value::Bool(json.as_bool()?),
        ColumnType::String(_) => Value::Text(text()?.to_owned()),
        ColumnType::LargeBinary => {
            let hex = text()?;
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
                .collect::<Option<Vec<u8>>>()?;
            Value::Bytes(bytes)
        }
        ColumnType::Json => Value::Json(json.clone()),
        ColumnType::Date => Value::Date(text()?.parse().ok()?),
        ColumnType::Time => Value::Time(text()?.parse().ok()?),
        ColumnType::DateTime => Value::DateTime(text()?.parse().ok()?),
        ColumnType::DateTimeTz => Value::DateTimeUtc(
            chrono::DateTime::parse_from_rfc3339(text()?)
                .ok()?
                .with_timezone(&chrono::Utc),
        ),
        ColumnType::Uuid => Value::Uuid(text()?.parse().ok()?),
        ColumnType::Numeric { .. } => Value::Decimal(text()?.parse().ok()?),
    })
}

impl<M: Model> Select<'_, M> {
    /// One page of `per_page` rows in `order` (a column of `M`, `Post::created.desc()`),
    /// starting after the row a `cursor` points at (the `next` or `prev` of a page; `None`
    /// for the first page). Rows with the same value are ordered by the primary key, so
    /// none is skipped or shown twice. One query per page, however deep.
    ///
    /// The order column must be `NOT NULL`. A cursor that is not one of ours is an error
    /// (in a handler, [`keyset_args`](Select::keyset_args) makes it a 400).
    ///
    /// ```
    /// # use flask_sqlalchemy::{Engine, EngineOptions, MetaData, Model};
    /// #[derive(Debug, Model)]
    /// struct Event {
    ///     #[model(primary_key)]
    ///     id: i64,
    ///     day: i32,
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), flask_sqlalchemy::Error> {
    /// # let db = Engine::connect("sqlite://", "".as_ref(), EngineOptions::default()).await?;
    /// # db.create_all(&MetaData::new().register::<Event>()).await?;
    /// # for day in [3, 1, 2, 2, 5] { db.insert(&mut Event { id: 0, day }).await?; }
    /// let first = db.select::<Event>().keyset(Event::day.desc(), 2, None).await?;
    /// assert_eq!(first.items.iter().map(|e| e.day).collect::<Vec<_>>(), [5, 3]);
    /// let second = db.select::<Event>().keyset(Event::day.desc(), 2, first.next.as_deref()).await?;
    /// assert_eq!(second.items.iter().map(|e| e.day).collect::<Vec<_>>(), [2, 2]);
    /// assert!(second.has_prev() && second.has_next());
    /// # Ok(()) }
    /// ```
    pub async fn keyset(
        self,
        order: OrderBy,
        per_page: u64,
        cursor: Option<&str>,
    ) -> Result<KeysetPage<M>, Error> {
        self.check()?;
        let table = &M::TABLE;
        let Some((owner, column)) = order.column else {
            return Err(Error::Bind(
                "keyset() orders by a column of the model, such as Post::id.desc()".into(),
            ));
        };
        if owner != table.name {
            return Err(Error::Bind(format!(
                "keyset() orders by a column of {}, and {owner}.{} is not one",
                table.name, column.name
            )));
        }
        if column.nullable {
            return Err(Error::Bind(format!(
                "keyset() needs a NOT NULL order column, and {}.{} takes NULL",
                table.name, column.name
            )));
        }
        if per_page == 0 {
            return Err(Error::Bind("keyset: per_page starts at 1".into()));
        }
        let pk = super::relation::single_key(table)?;
        let mut columns = vec![column];
        if pk.name != column.name {
            columns.push(pk);
        }
        let cursor = cursor.map(|c| Cursor::decode(c, &columns)).transpose()?;
        let backward = cursor.as_ref().is_some_and(|c| c.backward);
        // Walking back reads the rows before the cursor in the opposite order.
        let desc = order.is_desc() != backward;
        let runner = self.runner_copy();
        let mut q = self.statement();
        q.clear_order_by();
        let col = |c: &Column| Expr::col((table.name, c.name));
        if let Some(cursor) = &cursor {
            let past = |c: &Column, v: &Value| {
                let v = sea_value(v, c.ty);
                if desc { col(c).lt(v) } else { col(c).gt(v) }
            };
            let mut cond = past(columns[0], &cursor.key[0]);
            if let (Some(pk), Some(pk_value)) = (columns.get(1), cursor.key.get(1)) {
                let same = col(columns[0]).eq(sea_value(&cursor.key[0], columns[0].ty));
                cond = cond.or(same.and(past(pk, pk_value)));
            }
            q.and_where(cond);
        }
        let direction = if desc { Order::Desc } else { Order::Asc };
        for c in &columns {
            q.order_by((table.name, c.name), direction.clone());
        }
        q.limit(per_page + 1);
        let mut items = super::ops::fetch_models::<M>(runner, &q).await?;
        let more = items.len() as u64 > per_page;
        items.truncate(usize::try_from(per_page).unwrap_or(usize::MAX));
        if backward {
            items.reverse();
        }
        let key_of = |m: &M| -> Vec<Value> {
            let values = m.values();
            columns
                .iter()
                .map(|c| {
                    let at = table.columns.iter().position(|x| x.name == c.name);
                    at.and_then(|i| values.get(i).cloned())
                        .unwrap_or(Value::Null)
                })
                .collect()
        };
        let (has_prev, has_next) = if backward {
            (more, true)
        } else {
            (cursor.is_some(), more)
        };
        let next = match items.last() {
            Some(last) if has_next => Some(Cursor::encode(false, &key_of(last))),
            _ => None,
        };
        let prev = match items.first() {
            Some(first) if has_prev => Some(Cursor::encode(true, &key_of(first))),
            _ => None,
        };
        Ok(KeysetPage {
            items,
            per_page,
            next,
            prev,
        })
    }
}
