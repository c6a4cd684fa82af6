//! What an engine does with models: create and drop their tables, insert, get by primary
//! key, list. (The session and typed queries build on these.)

use sea_query::{Expr, ExprTrait, Order, Query, SelectStatement};

use std::any::TypeId;

use super::prepared::{self, Op};
use super::{Column, ColumnType, MetaData, Model, Table, ddl};
use crate::engine::exec::{Rows, Runner};
use crate::events::ModelEvent;
use crate::{Engine, Error, Value};

/// Our value as sea-query's, typed by its column so a `NULL` has the column's type.
pub(crate) fn sea_value(value: &Value, ty: ColumnType) -> sea_query::Value {
    use sea_query::Value as V;
    match value {
        Value::Null => match ty {
            ColumnType::SmallInteger => V::SmallInt(None),
            ColumnType::Integer => V::Int(None),
            ColumnType::BigInteger => V::BigInt(None),
            ColumnType::Float => V::Float(None),
            ColumnType::Double => V::Double(None),
            ColumnType::Boolean => V::Bool(None),
            ColumnType::String(_) => V::String(None),
            ColumnType::LargeBinary => V::Bytes(None),
            ColumnType::Json => V::Json(None),
            ColumnType::Date => V::ChronoDate(None),
            ColumnType::Time => V::ChronoTime(None),
            ColumnType::DateTime => V::ChronoDateTime(None),
            ColumnType::DateTimeTz => V::ChronoDateTimeUtc(None),
            ColumnType::Uuid => V::Uuid(None),
            ColumnType::Numeric { .. } => V::Decimal(None),
        },
        Value::Bool(b) => V::Bool(Some(*b)),
        Value::Int(i) => match ty {
            ColumnType::SmallInteger => V::SmallInt(i16::try_from(*i).ok()),
            ColumnType::Integer => V::Int(i32::try_from(*i).ok()),
            ColumnType::Numeric { .. } => V::Decimal(Some(rust_decimal::Decimal::from(*i))),
            _ => V::BigInt(Some(*i)),
        },
        Value::Float(f) => match ty {
            ColumnType::Numeric { .. } => match rust_decimal::Decimal::try_from(*f) {
                Ok(d) => V::Decimal(Some(d)),
                Err(_) => V::Double(Some(*f)),
            },
            _ => V::Double(Some(*f)),
        },
        // Text given for a typed column (`filter_by("id", "<uuid>")`) is parsed when it can
        // be; otherwise it is sent as text and the database decides.
        Value::Text(s) => match ty {
            ColumnType::Uuid => match s.parse() {
                Ok(u) => V::Uuid(Some(u)),
                Err(_) => V::String(Some(s.clone())),
            },
            ColumnType::Numeric { .. } => match s.parse() {
                Ok(d) => V::Decimal(Some(d)),
                Err(_) => V::String(Some(s.clone())),
            },
            _ => V::String(Some(s.clone())),
        },
        Value::Bytes(b) => V::Bytes(Some(b.clone())),
        Value::Json(j) => match ty {
            ColumnType::Json => V::Json(Some(Box::new(j.clone()))),
            _ => V::String(Some(j.to_string())),
        },
        Value::Date(d) => V::ChronoDate(Some(*d)),
        Value::Time(t) => V::ChronoTime(Some(*t)),
        Value::DateTime(t) => V::ChronoDateTime(Some(*t)),
        Value::DateTimeUtc(t) => V::ChronoDateTimeUtc(Some(*t)),
        Value::Uuid(u) => V::Uuid(Some(*u)),
        Value::Decimal(d) => V::Decimal(Some(*d)),
    }
}

/// `SELECT <every column of M, qualified> FROM <M's table>`.
pub(crate) fn select_all<M: Model>() -> SelectStatement {
    let table = &M::TABLE;
    let mut q = Query::select();
    q.columns(table.columns.iter().map(|c| (table.name, c.name)))
        .from(table.name);
    q
}

fn decode_err(table: &Table, e: &sqlx::Error) -> Error {
    Error::Decode(format!("cannot read a row of {}: {e}", table.name))
}

/// Runs a SELECT and reads each row as `M`.
pub(crate) async fn fetch_models<M: Model>(
    runner: Runner<'_>,
    q: &SelectStatement,
) -> Result<Vec<M>, Error> {
    read_models(runner.fetch_stmt(q).await?)
}

/// Reads each row as `M`.
pub(crate) fn read_models<M: Model>(rows: Rows) -> Result<Vec<M>, Error> {
    let table = &M::TABLE;
    let read = |e: sqlx::Error| decode_err(table, &e);
    match rows {
        Rows::Sqlite(rows) => rows
            .iter()
            .map(|r| M::from_sqlite(r, 0).map_err(read))
            .collect(),
        Rows::Postgres(rows) => rows
            .iter()
            .map(|r| M::from_postgres(r, 0).map_err(read))
            .collect(),
        Rows::MySql(rows) => rows
            .iter()
            .map(|r| M::from_mysql(r, 0).map_err(read))
            .collect(),
    }
}

/// SQL of a sea-query statement for `dialect`, its values dropped.
pub(crate) fn sql_of<S: sea_query_sqlx::SqlxBinder>(stmt: &S, dialect: crate::Dialect) -> String {
    crate::engine::exec::build(stmt, dialect).0
}

/// Inserts `model`; an autoincrement primary key left at 0 is numbered by the database and
/// written back into the struct.
pub(crate) async fn insert<M: Model>(runner: Runner<'_>, model: &mut M) -> Result<(), Error> {
    let events = runner.engine().events();
    events.fire_mut(ModelEvent::BeforeInsert, model);
    insert_row(runner, model).await?;
    events.fire(ModelEvent::AfterInsert, model);
    Ok(())
}

async fn insert_row<M: Model>(runner: Runner<'_>, model: &mut M) -> Result<(), Error> {
    let table = &M::TABLE;
    let values = model.values();
    let auto = table.autoincrement().filter(|c| {
        table
            .columns
            .iter()
            .position(|x| x.name == c.name)
            .and_then(|i| values.get(i))
            .is_some_and(|v| matches!(v, Value::Int(0)))
    });
    // A column with a server default given `None` is left to the database.
    let by_server = |c: &Column, v: &Value| c.server_default.is_some() && v.is_null();
    let server_filled = table
        .columns
        .iter()
        .zip(&values)
        .any(|(c, v)| by_server(c, v));
    let (columns, row): (Vec<&str>, Vec<sea_query::Value>) = table
        .columns
        .iter()
        .zip(&values)
        .filter(|(c, v)| auto.is_none_or(|a| a.name != c.name) && !by_server(c, v))
        .map(|(c, v)| (c.name, sea_value(v, c.ty)))
        .unzip();
    let build = |row: &[sea_query::Value]| -> Result<sea_query::InsertStatement, Error> {
        let mut q = Query::insert();
        q.into_table(table.name);
        if columns.is_empty() {
            // Every value comes from the database: `INSERT ... DEFAULT VALUES`.
            q.or_default_values();
        } else {
            q.columns(columns.iter().copied());
            q.values(row.iter().cloned().map(Expr::val))
                .map_err(|e| Error::Bind(format!("cannot insert into {}: {e}", table.name)))?;
        }
        Ok(q)
    };
    if server_filled {
        return insert_reading_back(runner, model, build(&row)?, auto).await;
    }
    let dialect = runner.dialect();
    let mysql = dialect == crate::Dialect::MySql;
    let numbered = auto.is_some();
    let (sql, args) = prepared::statement(
        TypeId::of::<M>(),
        Op::Insert { numbered },
        dialect,
        row,
        |row| {
            let mut q = build(row)?;
            if let (Some(auto), false) = (auto, mysql) {
                q.returning_col(auto.name);
            }
            Ok(sql_of(&q, dialect))
        },
    )?;
    let Some(auto) = auto else {
        runner.execute(sql, args).await?;
        return Ok(());
    };
    // A key to number: RETURNING it (PostgreSQL, SQLite), or MySQL's last insert id.
    let id = if mysql {
        runner.execute(sql, args).await?.last_insert_id
    } else {
        let read = |e: sqlx::Error| decode_err(table, &e);
        match runner.fetch(sql, args).await? {
            Rows::Sqlite(rows) => rows.first().map(|r| read_key(r, auto.ty)).transpose(),
            Rows::Postgres(rows) => rows.first().map(|r| read_key(r, auto.ty)).transpose(),
            Rows::MySql(rows) => rows.first().map(|r| read_key(r, auto.ty)).transpose(),
        }
        .map_err(read)?
    };
    let id = id.ok_or_else(|| {
        Error::Decode(format!(
            "the database did not say which {}.{} it numbered the new row",
            table.name, auto.name
        ))
    })?;
    model.set_autoincrement(id);
    Ok(())
}

/// Inserts and reads the whole row back into `model`, for the values the database chose
/// (server defaults, the numbered key): `RETURNING` every column on PostgreSQL and SQLite,
/// a `SELECT` by primary key after the insert on MySQL.
async fn insert_reading_back<M: Model>(
    runner: Runner<'_>,
    model: &mut M,
    mut q: sea_query::InsertStatement,
    auto: Option<&Column>,
) -> Result<(), Error> {
    let table = &M::TABLE;
    let read = |e: sqlx::Error| decode_err(table, &e);
    let rows = if runner.dialect() == crate::Dialect::MySql {
        let done = runner.execute_stmt(&q).await?;
        if let (Some(_), Some(id)) = (auto, done.last_insert_id) {
            model.set_autoincrement(id);
        }
        let values = model.values();
        let mut select = select_all::<M>();
        for (c, v) in table.columns.iter().zip(&values) {
            if c.primary_key {
                select.and_where(Expr::col((table.name, c.name)).eq(sea_value(v, c.ty)));
            }
        }
        runner.fetch_stmt(&select).await?
    } else {
        q.returning(Query::returning().columns(table.columns.iter().map(|c| c.name)));
        runner.fetch_stmt(&q).await?
    };
    let stored = match rows {
        Rows::Sqlite(r) => r.first().map(|r| M::from_sqlite(r, 0)).transpose(),
        Rows::Postgres(r) => r.first().map(|r| M::from_postgres(r, 0)).transpose(),
        Rows::MySql(r) => r.first().map(|r| M::from_mysql(r, 0)).transpose(),
    }
    .map_err(read)?;
    *model = stored.ok_or_else(|| {
        Error::Decode(format!(
            "the row just inserted into {} could not be read back",
            table.name
        ))
    })?;
    Ok(())
}

/// The numbered key in the first column of `row`, read as its column type is sent.
fn read_key<R>(row: &R, ty: ColumnType) -> Result<i64, sqlx::Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> i16: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    match ty {
        ColumnType::SmallInteger => row.try_get::<i16, _>(0).map(i64::from),
        ColumnType::Integer => row.try_get::<i32, _>(0).map(i64::from),
        _ => row.try_get::<i64, _>(0),
    }
}

/// The row of `M` whose (single-column) primary key is `pk`.
pub(crate) async fn get<M: Model>(runner: Runner<'_>, pk: Value) -> Result<Option<M>, Error> {
    let table = &M::TABLE;
    let mut keys = table.primary_key();
    let (Some(key), None) = (keys.next(), keys.next()) else {
        return Err(Error::Bind(format!(
            "get() takes one primary key value, and {} has a composite primary key: use \
             get_by_key(vec![..]) with one value per key column",
            table.name
        )));
    };
    let dialect = runner.dialect();
    let (sql, args) = prepared::statement(
        TypeId::of::<M>(),
        Op::Get,
        dialect,
        vec![sea_value(&pk, key.ty)],
        |values| {
            let mut q = select_all::<M>();
            q.and_where(Expr::col((table.name, key.name)).eq(values[0].clone()));
            Ok(sql_of(&q, dialect))
        },
    )?;
    Ok(read_models::<M>(runner.fetch_first(sql, args).await?)?
        .into_iter()
        .next())
}

/// Every row of `M`, by primary key.
pub(crate) async fn all<M: Model>(runner: Runner<'_>) -> Result<Vec<M>, Error> {
    let table = &M::TABLE;
    let mut q = select_all::<M>();
    for key in table.primary_key() {
        q.order_by((table.name, key.name), Order::Asc);
    }
    fetch_models::<M>(runner, &q).await
}

impl Engine {
    /// Creates the tables of `metadata` that do not exist yet, referenced tables first
    /// (Flask-SQLAlchemy's `db.create_all()`).
    ///
    /// Several app instances starting at once on one PostgreSQL or MySQL/MariaDB database
    /// take turns (an advisory lock, a named lock): one creates, the others then find the
    /// tables there.
    pub async fn create_all(&self, metadata: &MetaData) -> Result<(), Error> {
        let lock = self.session();
        match self.dialect() {
            crate::Dialect::Postgres => {
                lock.execute(crate::text("SELECT pg_advisory_xact_lock(7343152984)"))
                    .await?;
            }
            crate::Dialect::MySql => {
                let got = lock
                    .scalar(crate::text(
                        "SELECT GET_LOCK('flask_sqlalchemy_create_all', 600)",
                    ))
                    .await?;
                if got.as_i64() != Some(1) {
                    return Err(Error::Config(
                        "create_all could not take its lock within 10 minutes (another \
                         instance is creating the tables)"
                            .to_owned(),
                    ));
                }
            }
            crate::Dialect::Sqlite => {}
        }
        let created = async {
            for table in metadata.sorted_tables() {
                if self.has_table(table.name).await? {
                    continue;
                }
                for sql in ddl::create_table(&table, self.dialect()) {
                    self.execute_plain(sql).await?;
                }
            }
            Ok::<(), Error>(())
        }
        .await;
        if self.dialect() == crate::Dialect::MySql {
            lock.execute(crate::text(
                "SELECT RELEASE_LOCK('flask_sqlalchemy_create_all')",
            ))
            .await?;
        }
        lock.commit().await?;
        created
    }

    /// Drops the tables of `metadata`, referencing tables first (`db.drop_all()`).
    pub async fn drop_all(&self, metadata: &MetaData) -> Result<(), Error> {
        for table in metadata.sorted_tables().iter().rev() {
            self.execute_plain(ddl::drop_table(table, self.dialect()))
                .await?;
        }
        Ok(())
    }

    /// Whether a table of that name exists.
    pub async fn has_table(&self, name: &str) -> Result<bool, Error> {
        let sql = match self.dialect() {
            crate::Dialect::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = :name"
            }
            crate::Dialect::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name = :name"
            }
            crate::Dialect::MySql => {
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = DATABASE() AND table_name = :name"
            }
        };
        let n = self.scalar(crate::text(sql).bind("name", name)).await?;
        Ok(n.as_i64().unwrap_or(0) > 0)
    }

    /// Inserts `model`. An autoincrement primary key left at 0 is numbered by the database
    /// and written back into the struct.
    pub async fn insert<M: Model>(&self, model: &mut M) -> Result<(), Error> {
        insert(Runner::Engine(self), model).await
    }

    /// The row of `M` whose (single-column) primary key is `pk`, like SQLAlchemy's
    /// `db.session.get(Model, pk)`.
    pub async fn get<M: Model>(&self, pk: impl Into<Value>) -> Result<Option<M>, Error> {
        get(Runner::Engine(self), pk.into()).await
    }

    /// The row of `M` whose primary key is `key`, one value per key column in column order
    /// (SQLAlchemy's `db.session.get(Model, (a, b))` for a composite key).
    pub async fn get_by_key<M: Model>(&self, key: Vec<Value>) -> Result<Option<M>, Error> {
        get_by_key(Runner::Engine(self), &key).await
    }

    /// Every row of `M`, by primary key.
    pub async fn all<M: Model>(&self) -> Result<Vec<M>, Error> {
        all(Runner::Engine(self)).await
    }
}

/// The row of `M` whose primary key is `key` (one value per key column, in column order).
pub(crate) async fn get_by_key<M: Model>(
    runner: Runner<'_>,
    key: &[Value],
) -> Result<Option<M>, Error> {
    let table = &M::TABLE;
    let columns = table.primary_key().count();
    if key.len() != columns {
        return Err(Error::Bind(format!(
            "{} has {columns} primary key column(s), and {} value(s) were given",
            table.name,
            key.len()
        )));
    }
    if let [pk] = key {
        return get::<M>(runner, pk.clone()).await;
    }
    let mut q = select_all::<M>();
    for (column, value) in table.primary_key().zip(key) {
        q.and_where(Expr::col((table.name, column.name)).eq(sea_value(value, column.ty)));
    }
    Ok(fetch_models::<M>(runner, &q).await?.into_iter().next())
}
