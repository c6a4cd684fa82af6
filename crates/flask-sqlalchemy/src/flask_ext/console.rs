//! `db` in `myapp shell` and in the debug page's console: the models' rows by table name
//! (`db.get("user", 1)`, `db.query("post").filter_by(author_id=1).all()`) and read-only SQL
//! (`db.sql("select count(*) from post")`), through the app's engines.
//!
//! The prompt evaluates Jinja expressions, whose functions are synchronous: each call waits
//! for its query on the thread the prompt evaluates on, a thread of the runtime's blocking
//! pool.

use std::fmt;
use std::sync::Arc;

use flask::App;
use flask::minijinja::value::{Enumerator, Kwargs, Object, ObjectRepr, Value, from_args};
use flask::minijinja::{Error, ErrorKind, State};

use super::SQLAlchemy;
use crate::{Engine, Table, TextQuery, text};

/// The most rows `all()` and `db.sql(..)` return: a prompt shows them all.
const MAX_ROWS: usize = 1000;

/// `db`: the app's models by table name, and read-only SQL.
#[derive(Debug)]
pub(crate) struct DbConsole {
    app: App,
}

impl DbConsole {
    pub(crate) fn value(app: &App) -> Value {
        Value::from_object(DbConsole { app: app.clone() })
    }

    fn ext(&self) -> Result<Arc<SQLAlchemy>, Error> {
        self.app.extension::<SQLAlchemy>().ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidOperation,
                "the SQLAlchemy extension is not registered",
            )
        })
    }

    fn table(&self, name: &str) -> Result<(Table, Engine), Error> {
        let ext = self.ext()?;
        let tables = ext.metadata().tables();
        let table = tables
            .iter()
            .find(|t| t.name == name)
            .or_else(|| {
                // The model's name works too: `User` for the table `user`.
                let snake = snake_case(name);
                tables.iter().find(|t| t.name == snake)
            })
            .copied()
            .ok_or_else(|| {
                let known: Vec<&str> = tables.iter().map(|t| t.name).collect();
                Error::new(
                    ErrorKind::InvalidOperation,
                    format!(
                        "no model has the table {name:?}: the models' tables are {}",
                        known.join(", ")
                    ),
                )
            })?;
        let engine = match table.bind {
            Some(key) => ext.bind(key),
            None => ext.engine(),
        }
        .cloned()
        .ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidOperation,
                "the database is not connected yet (the app has not started)",
            )
        })?;
        Ok((table, engine))
    }
}

impl Object for DbConsole {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "tables" => {
                let ext = self.ext().ok()?;
                Some(Value::from_iter(
                    ext.metadata().tables().iter().map(|t| Value::from(t.name)),
                ))
            }
            _ => None,
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(&["tables"])
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result
    where
        Self: Sized + 'static,
    {
        f.write_str("SQLAlchemy: get(table, id), query(table), sql(text, **params), tables")
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "get" => {
                let (name, id): (&str, Value) = from_args(args)?;
                let (table, engine) = self.table(name)?;
                Query::new(table, engine).get(&id)
            }
            "query" => {
                let (name,): (&str,) = from_args(args)?;
                let (table, engine) = self.table(name)?;
                Ok(Value::from_object(Query::new(table, engine)))
            }
            "sql" => {
                let (sql, params): (&str, Kwargs) = from_args(args)?;
                let ext = self.ext()?;
                let bind: Option<String> = params.get("bind")?;
                let engine = match &bind {
                    Some(key) => ext.bind(key),
                    None => ext.engine(),
                }
                .cloned()
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidOperation,
                        match &bind {
                            Some(key) => format!("no database has the bind key {key:?}"),
                            None => "the database is not connected yet (the app has not started)"
                                .to_owned(),
                        },
                    )
                })?;
                let mut query = text(sql);
                for name in params.args() {
                    if name != "bind" {
                        query = query.bind(name, sql_value(&params.get::<Value>(name)?)?);
                    }
                }
                let rows = wait(engine.fetch_read_only(query))?.map_err(db_error)?;
                rows_value(rows)
            }
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!("db has no method {method}(): it has get, query and sql"),
            )),
        }
    }
}

/// `db.query("post")`: Flask-SQLAlchemy's `Post.query`, narrowed by `filter_by`, `order_by`,
/// `limit` and `offset`, run by `all`, `first`, `count` or `get`.
#[derive(Debug, Clone)]
struct Query {
    table: Table,
    engine: Engine,
    filters: Vec<(&'static str, crate::Value)>,
    order: Vec<(&'static str, bool)>,
    limit: Option<u64>,
    offset: Option<u64>,
}

impl Query {
    fn new(table: Table, engine: Engine) -> Self {
        Query {
            table,
            engine,
            filters: Vec::new(),
            order: Vec::new(),
            limit: None,
            offset: None,
        }
    }

    fn column(&self, name: &str) -> Result<&'static str, Error> {
        self.table.column(name).map(|c| c.name).ok_or_else(|| {
            let known: Vec<&str> = self.table.columns.iter().map(|c| c.name).collect();
            Error::new(
                ErrorKind::InvalidOperation,
                format!(
                    "the table {} has no column {name:?}: its columns are {}",
                    self.table.name,
                    known.join(", ")
                ),
            )
        })
    }

    /// The statement, with its values bound.
    fn select(&self, count: bool) -> TextQuery {
        let q = |name: &str| self.engine.dialect().quote(name);
        let columns = if count {
            "COUNT(*)".to_owned()
        } else {
            self.table
                .columns
                .iter()
                .map(|c| q(c.name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut sql = format!("SELECT {columns} FROM {}", q(self.table.name));
        for (i, (column, value)) in self.filters.iter().enumerate() {
            sql.push_str(if i == 0 { " WHERE " } else { " AND " });
            if value.is_null() {
                sql.push_str(&format!("{} IS NULL", q(column)));
            } else {
                sql.push_str(&format!("{} = :p{i}", q(column)));
            }
        }
        if !count {
            for (i, (column, desc)) in self.order.iter().enumerate() {
                sql.push_str(if i == 0 { " ORDER BY " } else { ", " });
                sql.push_str(&q(column));
                if *desc {
                    sql.push_str(" DESC");
                }
            }
            let limit = self
                .limit
                .unwrap_or(MAX_ROWS as u64 + 1)
                .min(MAX_ROWS as u64 + 1);
            sql.push_str(&format!(" LIMIT {limit}"));
            if let Some(offset) = self.offset {
                sql.push_str(&format!(" OFFSET {offset}"));
            }
        }
        let mut query = text(sql);
        for (i, (_, value)) in self.filters.iter().enumerate() {
            if !value.is_null() {
                query = query.bind(&format!("p{i}"), value.clone());
            }
        }
        query
    }

    fn rows(&self) -> Result<Vec<crate::Row>, Error> {
        wait(self.engine.fetch_all(self.select(false)))?.map_err(db_error)
    }

    fn get(&self, id: &Value) -> Result<Value, Error> {
        let keys: Vec<&'static str> = self.table.primary_key().map(|c| c.name).collect();
        let ids: Vec<Value> = if keys.len() > 1 {
            id.try_iter()
                .map_err(|_| {
                    Error::new(
                        ErrorKind::InvalidOperation,
                        format!(
                            "the table {} has a primary key of {} columns ({}): give their values as a list",
                            self.table.name,
                            keys.len(),
                            keys.join(", ")
                        ),
                    )
                })?
                .collect()
        } else {
            vec![id.clone()]
        };
        if keys.is_empty() || ids.len() != keys.len() {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!(
                    "the table {} has the primary key ({}): give one value for each column",
                    self.table.name,
                    keys.join(", ")
                ),
            ));
        }
        let mut query = self.clone();
        for (key, id) in keys.iter().zip(&ids) {
            query.filters.push((key, sql_value(id)?));
        }
        query.limit = Some(1);
        Ok(match query.rows()?.into_iter().next() {
            Some(row) => row_value(row),
            None => Value::from(()),
        })
    }
}

impl Object for Query {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result
    where
        Self: Sized + 'static,
    {
        write!(f, "Query {}", self.table.name)?;
        for (column, value) in &self.filters {
            write!(f, " {column}={value:?}")?;
        }
        f.write_str(": .all(), .first(), .count(), .get(id)")
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let mut next = (**self).clone();
        match method {
            "filter_by" => {
                let (kwargs,): (Kwargs,) = from_args(args)?;
                for name in kwargs.args() {
                    let column = self.column(name)?;
                    next.filters
                        .push((column, sql_value(&kwargs.get::<Value>(name)?)?));
                }
                Ok(Value::from_object(next))
            }
            "order_by" => {
                for arg in args {
                    let spec = arg.as_str().ok_or_else(|| {
                        Error::new(
                            ErrorKind::InvalidOperation,
                            "order_by takes column names: order_by(\"created\"), order_by(\"-created\") for the newest first",
                        )
                    })?;
                    let (name, desc) = match spec.strip_prefix('-') {
                        Some(name) => (name, true),
                        None => match spec.split_once(' ') {
                            Some((name, dir)) if dir.trim().eq_ignore_ascii_case("desc") => {
                                (name, true)
                            }
                            Some((name, dir)) if dir.trim().eq_ignore_ascii_case("asc") => {
                                (name, false)
                            }
                            _ => (spec, false),
                        },
                    };
                    next.order.push((self.column(name.trim())?, desc));
                }
                Ok(Value::from_object(next))
            }
            "limit" | "offset" => {
                let (n,): (u64,) = from_args(args)?;
                if method == "limit" {
                    next.limit = Some(n);
                } else {
                    next.offset = Some(n);
                }
                Ok(Value::from_object(next))
            }
            "all" => {
                let _: () = from_args(args)?;
                let rows = self.rows()?;
                rows_value(rows)
            }
            "first" => {
                let _: () = from_args(args)?;
                next.limit = Some(1);
                Ok(match next.rows()?.into_iter().next() {
                    Some(row) => row_value(row),
                    None => Value::from(()),
                })
            }
            "count" => {
                let _: () = from_args(args)?;
                let rows = wait(self.engine.fetch_all(self.select(true)))?.map_err(db_error)?;
                let n = rows
                    .first()
                    .and_then(|r| r.get_index(0))
                    .and_then(crate::Value::as_i64)
                    .unwrap_or(0);
                Ok(Value::from(n))
            }
            "get" => {
                let (id,): (Value,) = from_args(args)?;
                self.get(&id)
            }
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!(
                    "a query has no method {method}(): it has filter_by, order_by, limit, offset, all, first, count and get"
                ),
            )),
        }
    }
}

/// One row: its columns in order, shown as a dict (`{'id': 1, 'title': 'Hello'}`), and
/// read as `row.title` or `row['title']`.
#[derive(Debug)]
struct RowObject {
    columns: Vec<String>,
    values: Vec<Value>,
}

impl Object for RowObject {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let key = key.as_str()?;
        let i = self.columns.iter().position(|c| c == key)?;
        self.values.get(i).cloned()
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(
            self.columns
                .iter()
                .map(|c| Value::from(c.as_str()))
                .collect(),
        )
    }
}

fn row_value(row: crate::Row) -> Value {
    let columns = row.columns().to_vec();
    let values = row
        .into_values()
        .into_iter()
        .map(|v| jinja_value(&v))
        .collect();
    Value::from_object(RowObject { columns, values })
}

fn rows_value(rows: Vec<crate::Row>) -> Result<Value, Error> {
    if rows.len() > MAX_ROWS {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "more than {MAX_ROWS} rows: narrow the query (filter_by, limit, or a WHERE / LIMIT in the SQL)"
            ),
        ));
    }
    Ok(Value::from_iter(rows.into_iter().map(row_value)))
}

/// A database value as the prompt shows it: dates, times, UUIDs and decimals as text.
fn jinja_value(v: &crate::Value) -> Value {
    use crate::Value as V;
    match v {
        V::Null => Value::from(()),
        V::Bool(b) => Value::from(*b),
        V::Int(i) => Value::from(*i),
        V::Float(f) => Value::from(*f),
        V::Text(s) => Value::from(s.as_str()),
        V::Bytes(b) => Value::from_bytes(b.clone()),
        V::Json(j) => Value::from_serialize(j),
        V::Date(d) => Value::from(d.to_string()),
        V::Time(t) => Value::from(t.to_string()),
        V::DateTime(d) => Value::from(d.to_string()),
        V::DateTimeUtc(d) => Value::from(d.to_rfc3339()),
        V::Uuid(u) => Value::from(u.to_string()),
        V::Decimal(d) => Value::from(d.to_string()),
    }
}

/// A prompt's value as a bound parameter.
fn sql_value(v: &Value) -> Result<crate::Value, Error> {
    use flask::minijinja::value::ValueKind;
    Ok(match v.kind() {
        ValueKind::None | ValueKind::Undefined => crate::Value::Null,
        ValueKind::Bool => crate::Value::Bool(v.is_true()),
        ValueKind::String => crate::Value::Text(v.as_str().unwrap_or_default().to_owned()),
        ValueKind::Number => match v.as_i64() {
            Some(i) => crate::Value::Int(i),
            None => crate::Value::Float(f64::try_from(v.clone())?),
        },
        _ => {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!(
                    "{v} cannot be a query parameter: give a number, a string, a boolean or none"
                ),
            ));
        }
    })
}

/// Waits for `fut` on the prompt's thread, a thread of the blocking pool (on one of the
/// runtime's own threads this panics, and the prompt reports the panic).
fn wait<F: Future>(fut: F) -> Result<F::Output, Error> {
    let handle = tokio::runtime::Handle::try_current().map_err(|_| {
        Error::new(
            ErrorKind::InvalidOperation,
            "db needs the app's runtime: use it from `myapp shell` or the debug page's console",
        )
    })?;
    Ok(handle.block_on(fut))
}

fn db_error(e: crate::Error) -> Error {
    Error::new(ErrorKind::InvalidOperation, e.to_string()).with_source(e)
}

fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
