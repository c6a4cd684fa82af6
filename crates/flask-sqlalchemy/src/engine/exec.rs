//! Running one statement: on the engine's pool (on its own, committed at once) or on a
//! session's open transaction, with echo, recording and our error type around it.

use sea_query::{MysqlQueryBuilder, PostgresQueryBuilder, SqliteQueryBuilder};
use sea_query_sqlx::{SqlxBinder, SqlxValues};
use sqlx::mysql::MySqlRow;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, IntoArguments, MySql, Postgres, Sqlite};

use super::{Pool, bind};
use crate::{Dialect, Engine, Error, Row, TextQuery, Value};

/// SQL text, shared: a statement the ORM keeps is sent without being copied.
pub(crate) type Sql = std::sync::Arc<str>;

/// A statement's parameters.
pub(crate) enum Args {
    /// Bound by sea-query (statements the ORM builds).
    Sea(SqlxValues),
    /// Ours (`text()` statements), bound with each driver's way of sending `NULL` and JSON.
    Ours(Vec<Value>),
    /// None: sent as a simple query (DDL, transaction control).
    Raw,
}

/// The rows a statement returned, in its driver's form.
pub(crate) enum Rows {
    Sqlite(Vec<SqliteRow>),
    Postgres(Vec<PgRow>),
    MySql(Vec<MySqlRow>),
}

/// What a statement that returns no rows did.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Done {
    /// Rows changed (matched, for an UPDATE on MySQL too: sqlx asks for found rows).
    pub(crate) rows_affected: u64,
    /// The key numbered by an INSERT (MySQL, SQLite).
    pub(crate) last_insert_id: Option<i64>,
}

/// A transaction open on one connection of the pool (a session's).
pub(crate) enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
    MySql(sqlx::Transaction<'static, MySql>),
}

impl Tx {
    /// Begins a transaction on a connection from `engine`'s pool.
    pub(crate) async fn begin(engine: &Engine) -> Result<Tx, Error> {
        let started = engine.before("BEGIN", &[]);
        let tx = match engine.pool() {
            Pool::Sqlite(p) => p.begin().await.map(Tx::Sqlite),
            Pool::Postgres(p) => p.begin().await.map(Tx::Postgres),
            Pool::MySql(p) => p.begin().await.map(Tx::MySql),
        };
        engine.after(started, "BEGIN", Vec::new(), tx)
    }

    /// Begins a read-only transaction: PostgreSQL's `BEGIN READ ONLY`, MySQL's `START
    /// TRANSACTION READ ONLY`; a plain one on SQLite, which has none (the caller rolls it
    /// back).
    pub(crate) async fn begin_read_only(engine: &Engine) -> Result<Tx, Error> {
        let sql = match engine.pool() {
            Pool::Sqlite(_) => "BEGIN",
            Pool::Postgres(_) => "BEGIN READ ONLY",
            Pool::MySql(_) => "START TRANSACTION READ ONLY",
        };
        let started = engine.before(sql, &[]);
        let tx = match engine.pool() {
            Pool::Sqlite(p) => p.begin().await.map(Tx::Sqlite),
            Pool::Postgres(p) => p.begin_with(sql).await.map(Tx::Postgres),
            Pool::MySql(p) => p.begin_with(sql).await.map(Tx::MySql),
        };
        engine.after(started, sql, Vec::new(), tx)
    }

    /// Commits it.
    pub(crate) async fn commit(self, engine: &Engine) -> Result<(), Error> {
        let started = engine.before("COMMIT", &[]);
        let done = match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
            Tx::MySql(t) => t.commit().await,
        };
        engine.after(started, "COMMIT", Vec::new(), done)
    }

    /// Rolls it back.
    pub(crate) async fn rollback(self, engine: &Engine) -> Result<(), Error> {
        let started = engine.before("ROLLBACK", &[]);
        let done = match self {
            Tx::Sqlite(t) => t.rollback().await,
            Tx::Postgres(t) => t.rollback().await,
            Tx::MySql(t) => t.rollback().await,
        };
        engine.after(started, "ROLLBACK", Vec::new(), done)
    }
}

/// Where a statement runs.
pub(crate) enum On<'a> {
    /// A connection of the pool, for this statement alone.
    Pool,
    /// The session's transaction.
    Tx(&'a mut Tx),
}

/// Builds a sea-query statement for `dialect`: its SQL and values.
pub(crate) fn build<S: SqlxBinder>(stmt: &S, dialect: Dialect) -> (String, SqlxValues) {
    match dialect {
        Dialect::Sqlite => stmt.build_sqlx(SqliteQueryBuilder),
        Dialect::Postgres => stmt.build_sqlx(PostgresQueryBuilder),
        Dialect::MySql => stmt.build_sqlx(MysqlQueryBuilder),
    }
}

/// Binds `args` to `sql` for one driver, as a query of that driver's arguments.
macro_rules! query {
    ($db:ty, $bind:path, $sql:expr, $args:expr) => {
        match $args {
            Args::Sea(v) => sqlx::query_with(
                AssertSqlSafe($sql.clone()),
                IntoArguments::<$db>::into_arguments(v),
            ),
            Args::Ours(v) => $bind(&$sql, &v),
            Args::Raw => sqlx::query(AssertSqlSafe($sql.clone())),
        }
    };
}

/// Fetches the rows of `$args` on `$exec` (a pool or a connection).
///
/// The driver's future is boxed: it is large (several KiB, the largest of six drivers and
/// targets), and every future that awaits a query would otherwise carry it and copy it
/// each time it moves (into a handler's box, through each wrapper). One allocation per
/// statement costs far less than those copies.
///
/// With `$one`, only the first row is fetched (`fetch_optional`: SQLite's worker steps the
/// statement once, instead of on to its end).
macro_rules! fetch {
    ($exec:expr, $db:ty, $bind:path, $rows:path, $sql:expr, $args:expr, $one:expr) => {
        if $one {
            Box::pin(query!($db, $bind, $sql, $args).fetch_optional($exec))
                .await
                .map(|row| $rows(row.into_iter().collect()))
        } else {
            Box::pin(query!($db, $bind, $sql, $args).fetch_all($exec))
                .await
                .map($rows)
        }
    };
}

/// Fetches the rows of `$args` on a connection of `$pool`. Taken from the pool first: a
/// pool's own `fetch_all` goes through a stream that costs a task spawn per statement.
macro_rules! fetch_pooled {
    ($pool:expr, $db:ty, $bind:path, $rows:path, $sql:expr, $args:expr, $one:expr) => {
        Box::pin(async {
            let mut conn = $pool.acquire().await?;
            if $one {
                query!($db, $bind, $sql, $args)
                    .fetch_optional(&mut *conn)
                    .await
                    .map(|row| row.into_iter().collect())
            } else {
                query!($db, $bind, $sql, $args).fetch_all(&mut *conn).await
            }
        })
        .await
        .map($rows)
    };
}

/// Executes `$args` on `$exec` (a pool or a connection); the driver's future is boxed, as
/// in [`fetch!`].
macro_rules! execute {
    ($exec:expr, $db:ty, $bind:path, $sql:expr, $args:expr, |$r:ident| $last:expr) => {
        if matches!($args, Args::Raw) {
            Box::pin(sqlx::raw_sql(AssertSqlSafe($sql.clone())).execute($exec))
                .await
                .map(|$r| ($r.rows_affected(), $last))
        } else {
            Box::pin(query!($db, $bind, $sql, $args).execute($exec))
                .await
                .map(|$r| ($r.rows_affected(), $last))
        }
    };
}

/// The values to echo and record.
fn shown(engine: &Engine, args: &Args) -> Vec<Value> {
    match args {
        Args::Sea(v) => engine.shown_values(v),
        Args::Ours(v) if engine.showing() => v.clone(),
        Args::Ours(_) | Args::Raw => Vec::new(),
    }
}

/// Runs a query `on` the pool or a transaction and returns its rows (the first only, with
/// `one`); echoes and records it, and names the SQL in an error.
pub(crate) async fn fetch(
    engine: &Engine,
    on: On<'_>,
    sql: Sql,
    args: Args,
    one: bool,
) -> Result<Rows, Error> {
    let shown = shown(engine, &args);
    let started = engine.before(&sql, &shown);
    let result = match (engine.pool(), on) {
        (Pool::Sqlite(p), On::Pool) => {
            fetch_pooled!(p, Sqlite, bind::sqlite, Rows::Sqlite, sql, args, one)
        }
        (Pool::Postgres(p), On::Pool) => {
            fetch_pooled!(p, Postgres, bind::postgres, Rows::Postgres, sql, args, one)
        }
        (Pool::MySql(p), On::Pool) => {
            fetch_pooled!(p, MySql, bind::mysql, Rows::MySql, sql, args, one)
        }
        (_, On::Tx(Tx::Sqlite(t))) => {
            fetch!(&mut **t, Sqlite, bind::sqlite, Rows::Sqlite, sql, args, one)
        }
        (_, On::Tx(Tx::Postgres(t))) => {
            fetch!(
                &mut **t,
                Postgres,
                bind::postgres,
                Rows::Postgres,
                sql,
                args,
                one
            )
        }
        (_, On::Tx(Tx::MySql(t))) => {
            fetch!(&mut **t, MySql, bind::mysql, Rows::MySql, sql, args, one)
        }
    };
    engine.after(started, &sql, shown, result)
}

/// Runs a statement `on` the pool or a transaction and says what it did; echoes and
/// records it, and names the SQL in an error.
pub(crate) async fn execute(
    engine: &Engine,
    on: On<'_>,
    sql: Sql,
    args: Args,
) -> Result<Done, Error> {
    let shown = shown(engine, &args);
    let started = engine.before(&sql, &shown);
    let sqlite_last = |r: &sqlx::sqlite::SqliteQueryResult| Some(r.last_insert_rowid());
    let mysql_last = |r: &sqlx::mysql::MySqlQueryResult| i64::try_from(r.last_insert_id()).ok();
    let result = match (engine.pool(), on) {
        (Pool::Sqlite(p), On::Pool) => {
            execute!(p, Sqlite, bind::sqlite, sql, args, |r| sqlite_last(&r))
        }
        (Pool::Postgres(p), On::Pool) => {
            execute!(p, Postgres, bind::postgres, sql, args, |r| None)
        }
        (Pool::MySql(p), On::Pool) => {
            execute!(p, MySql, bind::mysql, sql, args, |r| mysql_last(&r))
        }
        (_, On::Tx(Tx::Sqlite(t))) => {
            execute!(&mut **t, Sqlite, bind::sqlite, sql, args, |r| sqlite_last(
                &r
            ))
        }
        (_, On::Tx(Tx::Postgres(t))) => {
            execute!(&mut **t, Postgres, bind::postgres, sql, args, |r| None)
        }
        (_, On::Tx(Tx::MySql(t))) => {
            execute!(&mut **t, MySql, bind::mysql, sql, args, |r| mysql_last(&r))
        }
    };
    let (rows_affected, last_insert_id) = engine.after(started, &sql, shown, result)?;
    Ok(Done {
        rows_affected,
        last_insert_id,
    })
}

/// What a query runs on: the engine (each statement on its own) or a session (in its
/// transaction).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Runner<'a> {
    Engine(&'a Engine),
    Session(&'a crate::Session),
}

impl<'a> Runner<'a> {
    /// The engine underneath.
    pub(crate) fn engine(&self) -> &'a Engine {
        match self {
            Runner::Engine(e) => e,
            Runner::Session(s) => s.engine(),
        }
    }

    /// The database family.
    pub(crate) fn dialect(&self) -> Dialect {
        self.engine().dialect()
    }

    /// Runs a query and returns its rows.
    pub(crate) async fn fetch(&self, sql: Sql, args: Args) -> Result<Rows, Error> {
        self.fetch_rows(sql, args, false).await
    }

    /// Runs a query and returns its first row, if any (`get`): the driver stops there.
    pub(crate) async fn fetch_first(&self, sql: Sql, args: Args) -> Result<Rows, Error> {
        self.fetch_rows(sql, args, true).await
    }

    async fn fetch_rows(&self, sql: Sql, args: Args, one: bool) -> Result<Rows, Error> {
        match self {
            Runner::Engine(e) => fetch(e, On::Pool, sql, args, one).await,
            // Boxed: a session's path (its transaction, autoflush) makes a large future,
            // which every caller would carry even when it runs on the engine.
            Runner::Session(s) => Box::pin(s.run_fetch(sql, args, one)).await,
        }
    }

    /// Runs a statement.
    pub(crate) async fn execute(&self, sql: Sql, args: Args) -> Result<Done, Error> {
        match self {
            Runner::Engine(e) => execute(e, On::Pool, sql, args).await,
            Runner::Session(s) => Box::pin(s.run_execute(sql, args)).await,
        }
    }

    /// Builds a sea-query statement and returns its rows.
    pub(crate) async fn fetch_stmt<S: SqlxBinder>(&self, stmt: &S) -> Result<Rows, Error> {
        let (sql, values) = build(stmt, self.dialect());
        self.fetch(sql.into(), Args::Sea(values)).await
    }

    /// Builds a sea-query statement and runs it.
    pub(crate) async fn execute_stmt<S: SqlxBinder>(&self, stmt: &S) -> Result<Done, Error> {
        let (sql, values) = build(stmt, self.dialect());
        self.execute(sql.into(), Args::Sea(values)).await
    }
}

impl Runner<'_> {
    /// Runs a `text()` statement; returns how many rows it changed.
    pub(crate) async fn text_execute(&self, query: TextQuery) -> Result<u64, Error> {
        let (sql, values) = query.compile(self.dialect())?;
        Ok(self
            .execute(sql.into(), Args::Ours(values))
            .await?
            .rows_affected)
    }

    /// Runs a `text()` query and returns every row.
    pub(crate) async fn text_fetch_all(&self, query: TextQuery) -> Result<Vec<Row>, Error> {
        let (sql, values) = query.compile(self.dialect())?;
        match self.fetch(sql.into(), Args::Ours(values)).await? {
            Rows::Sqlite(rows) => crate::row::from_sqlite(&rows),
            Rows::Postgres(rows) => crate::row::from_postgres(&rows),
            Rows::MySql(rows) => crate::row::from_mysql(&rows),
        }
    }
}
