//! Engines: a connection pool for one database URI, statement echo and recording.

mod bind;
pub(crate) mod exec;
mod options;
mod read_only;
pub(crate) mod uri;

use std::collections::VecDeque;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{ConnectOptions, Connection};

pub use options::EngineOptions;
pub use uri::{DatabaseUri, Dialect, SqliteLocation};

use crate::{Error, Row, TextQuery, Value};
use exec::Runner;

/// The first value of a row, `NULL` without one.
pub(crate) fn first_value(row: Option<Row>) -> Value {
    row.and_then(|row| row.into_values().into_iter().next())
        .unwrap_or(Value::Null)
}

/// One database: its pool, how it logs statements and whether it records them.
///
/// Cheap to clone (the pool is shared). Built from a URI in Flask-SQLAlchemy's form
/// ([`DatabaseUri`]).
///
/// ```
/// use flask_sqlalchemy::{Engine, EngineOptions, text};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), flask_sqlalchemy::Error> {
/// let engine = Engine::connect("sqlite://", "".as_ref(), EngineOptions::default()).await?;
/// engine.execute(text("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")).await?;
/// engine.execute(text("INSERT INTO note (body) VALUES (:body)").bind("body", "hi")).await?;
/// let rows = engine.fetch_all(text("SELECT id, body FROM note")).await?;
/// assert_eq!(rows[0].get("body").and_then(|v| v.as_str()), Some("hi"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    uri: DatabaseUri,
    echo: bool,
    recorder: Option<Mutex<VecDeque<RecordedQuery>>>,
    /// Where each recorded statement also goes (the flask extension: the request's list).
    sink: Option<QuerySink>,
    events: crate::Events,
}

/// An engine's sqlx pool, by database ([`Engine::sqlx_pool`]).
#[derive(Debug, Clone, Copy)]
pub enum SqlxPool<'a> {
    /// SQLite.
    Sqlite(&'a SqlitePool),
    /// PostgreSQL.
    Postgres(&'a PgPool),
    /// MySQL or MariaDB.
    MySql(&'a MySqlPool),
}

pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
    MySql(MySqlPool),
}

/// How many recorded statements an engine keeps (the oldest go first): recording in a
/// long-running app must not grow without end.
const MAX_RECORDED: usize = 1000;

/// Where recorded statements also go.
pub(crate) type QuerySink = Arc<dyn Fn(RecordedQuery) + Send + Sync>;

/// One statement the engine ran, kept when `SQLALCHEMY_RECORD_QUERIES` is on
/// (Flask-SQLAlchemy's `get_recorded_queries()`).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedQuery {
    /// The SQL sent, with the dialect's placeholders.
    pub statement: String,
    /// The bound values, in placeholder order.
    pub parameters: Vec<Value>,
    /// How long the database took, fetching included.
    pub duration: Duration,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("uri", &self.inner.uri.to_string())
            .field("echo", &self.inner.echo)
            .field("record_queries", &self.inner.recorder.is_some())
            .finish()
    }
}

impl Engine {
    /// Connects to `uri` (see [`DatabaseUri::parse`]; relative SQLite paths are relative to
    /// `base`, Flask's instance folder, created if missing). The first connection is made
    /// now, so an unreachable database is an error here that names the URI (without its
    /// password) and the cause.
    pub async fn connect(uri: &str, base: &Path, options: EngineOptions) -> Result<Self, Error> {
        let uri = DatabaseUri::parse(uri, base)?;
        let shown = uri.to_string();
        let connect_err = |source: sqlx::Error| Error::Connect {
            url: shown.clone(),
            source,
        };
        let pool = match uri.dialect() {
            Dialect::Sqlite => {
                let mut connect = match uri.sqlite_location() {
                    Some(SqliteLocation::File(path)) => {
                        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                            std::fs::create_dir_all(dir).map_err(|e| {
                                Error::Config(format!(
                                    "cannot create the folder {} for the database {shown}: {e}",
                                    dir.display()
                                ))
                            })?;
                        }
                        let base = match uri.sqlite_query() {
                            Some(q) => SqliteConnectOptions::from_str(&format!("sqlite://?{q}"))
                                .map_err(connect_err)?,
                            None => SqliteConnectOptions::new(),
                        };
                        base.filename(path).create_if_missing(true)
                    }
                    // A named, shared-cache memory database, one per engine: every pooled
                    // connection sees the same tables.
                    _ => SqliteConnectOptions::from_str("sqlite::memory:").map_err(connect_err)?,
                };
                connect = connect.disable_statement_logging();
                let mut pool = options.pool::<sqlx::Sqlite>(SqlitePoolOptions::new());
                if matches!(uri.sqlite_location(), Some(SqliteLocation::Memory)) {
                    // The database lives as long as one of its connections does.
                    pool = pool
                        .min_connections(1)
                        .idle_timeout(None)
                        .max_lifetime(None);
                }
                let probe = connect.connect().await.map_err(connect_err)?;
                let pool = pool.connect_with(connect).await.map_err(connect_err);
                let _ = probe.close().await;
                Pool::Sqlite(pool?)
            }
            Dialect::Postgres => {
                let url = uri.server_url().unwrap_or_default();
                let connect = PgConnectOptions::from_str(url)
                    .map_err(connect_err)?
                    .disable_statement_logging();
                // One plain connection first: a pool retries a refused connection until its
                // timeout and then reports only the timeout, not why.
                let probe = connect.connect().await.map_err(connect_err)?;
                let pool = options
                    .pool::<sqlx::Postgres>(PgPoolOptions::new())
                    .connect_with(connect)
                    .await
                    .map_err(connect_err);
                let _ = probe.close().await;
                Pool::Postgres(pool?)
            }
            Dialect::MySql => {
                let url = uri.server_url().unwrap_or_default();
                let connect = MySqlConnectOptions::from_str(url)
                    .map_err(connect_err)?
                    .disable_statement_logging();
                let probe = connect.connect().await.map_err(connect_err)?;
                let pool = options
                    .pool::<sqlx::MySql>(MySqlPoolOptions::new())
                    .connect_with(connect)
                    .await
                    .map_err(connect_err);
                let _ = probe.close().await;
                Pool::MySql(pool?)
            }
        };
        Ok(Engine {
            inner: Arc::new(Inner {
                pool,
                uri,
                echo: options.echo,
                recorder: options.record_queries.then(|| Mutex::new(VecDeque::new())),
                sink: None,
                events: crate::Events::new(),
            }),
        })
    }

    /// The database family.
    pub fn dialect(&self) -> Dialect {
        self.inner.uri.dialect()
    }

    /// This engine with `events` as its listeners (shared, not copied): what the flask
    /// extension does with the listeners registered on it.
    #[cfg(feature = "flask")]
    pub(crate) fn sharing_events(mut self, events: &crate::Events) -> Self {
        match Arc::get_mut(&mut self.inner) {
            Some(inner) => inner.events = events.clone(),
            None => self.inner.events.extend(events),
        }
        self
    }

    /// This engine, also handing each statement it records to `sink`.
    #[cfg(feature = "flask")]
    pub(crate) fn with_query_sink(mut self, sink: QuerySink) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.sink = Some(sink);
        }
        self
    }

    /// The model listeners and `models_committed` hooks of this engine (and its clones).
    pub fn events(&self) -> &crate::Events {
        &self.inner.events
    }

    /// The URI, with its password hidden when shown.
    pub fn uri(&self) -> &DatabaseUri {
        &self.inner.uri
    }

    /// Runs a statement; returns how many rows it changed.
    pub async fn execute(&self, query: TextQuery) -> Result<u64, Error> {
        Runner::Engine(self).text_execute(query).await
    }

    /// Runs a query and returns every row.
    pub async fn fetch_all(&self, query: TextQuery) -> Result<Vec<Row>, Error> {
        Runner::Engine(self).text_fetch_all(query).await
    }

    /// Runs a query someone typed (the debug page's console, `myapp shell`) so that it
    /// cannot change the database: one statement, which must read (`SELECT`, `WITH`,
    /// `EXPLAIN`, `VALUES`, `SHOW`), in a read-only transaction (PostgreSQL's and MySQL's;
    /// SQLite has none, and the transaction's rollback undoes what a `WITH .. DELETE`
    /// did) that is rolled back after. Returns every row.
    ///
    /// ```
    /// # use flask_sqlalchemy::{Engine, EngineOptions, text};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), flask_sqlalchemy::Error> {
    /// let db = Engine::connect("sqlite://", "".as_ref(), EngineOptions::default()).await?;
    /// let rows = db.fetch_read_only(text("SELECT 1 + :n AS two").bind("n", 1)).await?;
    /// assert_eq!(rows[0].get("two").and_then(|v| v.as_i64()), Some(2));
    /// assert!(db.fetch_read_only(text("DELETE FROM users")).await.is_err());
    /// # Ok(()) }
    /// ```
    pub async fn fetch_read_only(&self, query: TextQuery) -> Result<Vec<Row>, Error> {
        read_only::check(query.sql())?;
        let (sql, values) = query.compile(self.dialect())?;
        let mut tx = exec::Tx::begin_read_only(self).await?;
        let rows = exec::fetch(
            self,
            exec::On::Tx(&mut tx),
            sql.into(),
            exec::Args::Ours(values),
            false,
        )
        .await;
        let rolled_back = tx.rollback(self).await;
        let rows = match rows? {
            exec::Rows::Sqlite(rows) => crate::row::from_sqlite(&rows),
            exec::Rows::Postgres(rows) => crate::row::from_postgres(&rows),
            exec::Rows::MySql(rows) => crate::row::from_mysql(&rows),
        }?;
        rolled_back?;
        Ok(rows)
    }

    /// Runs a query and returns its first row, if any.
    pub async fn fetch_optional(&self, query: TextQuery) -> Result<Option<Row>, Error> {
        Ok(self.fetch_all(query).await?.into_iter().next())
    }

    /// Runs a query and returns the first column of its first row (`NULL` when there is no
    /// row), like SQLAlchemy's `scalar()`.
    pub async fn scalar(&self, query: TextQuery) -> Result<Value, Error> {
        Ok(first_value(self.fetch_optional(query).await?))
    }

    /// The statements run so far, the latest 1000 at most, when the engine records them
    /// ([`EngineOptions::record_queries`]); empty otherwise. (In a flask app,
    /// `get_recorded_queries()` gives the current request's.)
    pub fn recorded_queries(&self) -> Vec<RecordedQuery> {
        match &self.inner.recorder {
            Some(r) => r
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .cloned()
                .collect(),
            None => Vec::new(),
        }
    }

    /// Forgets the recorded statements.
    pub fn clear_recorded_queries(&self) {
        if let Some(r) = &self.inner.recorder {
            r.lock().unwrap_or_else(|e| e.into_inner()).clear();
        }
    }

    /// The pool, for the model operations.
    pub(crate) fn pool(&self) -> &Pool {
        &self.inner.pool
    }

    /// The sqlx pool underneath: the escape hatch for what the ORM does not do (the
    /// migrations crate hands it to sea-orm-migration).
    pub fn sqlx_pool(&self) -> SqlxPool<'_> {
        match &self.inner.pool {
            Pool::Sqlite(p) => SqlxPool::Sqlite(p),
            Pool::Postgres(p) => SqlxPool::Postgres(p),
            Pool::MySql(p) => SqlxPool::MySql(p),
        }
    }

    /// Runs SQL that has no parameters to translate (DDL made by sea-query).
    pub(crate) async fn execute_plain(&self, sql: String) -> Result<u64, Error> {
        let done = exec::execute(self, exec::On::Pool, sql.into(), exec::Args::Raw).await?;
        Ok(done.rows_affected)
    }

    /// Closes the pool; later statements fail.
    pub async fn close(&self) {
        match &self.inner.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
            Pool::MySql(p) => p.close().await,
        }
    }

    /// The values sea-query bound, as ours, for echo and recording; nothing (and no work)
    /// when neither is on.
    pub(crate) fn shown_values(&self, values: &sea_query_sqlx::SqlxValues) -> Vec<Value> {
        if !self.showing() {
            return Vec::new();
        }
        values.0.iter().map(plain_value).collect()
    }

    /// Whether statements are echoed or recorded (their values are kept only then).
    pub(crate) fn showing(&self) -> bool {
        self.inner.echo || self.inner.recorder.is_some()
    }

    /// Echoes the statement; starts its clock when recording.
    pub(crate) fn before(&self, sql: &str, values: &[Value]) -> Option<Instant> {
        if self.inner.echo {
            tracing::info!(target: "flask_sqlalchemy::engine", "{sql}  {values:?}");
        }
        self.inner.recorder.as_ref().map(|_| Instant::now())
    }

    /// Records the statement; turns a driver error into ours, naming the SQL.
    pub(crate) fn after<T>(
        &self,
        started: Option<Instant>,
        sql: &str,
        values: Vec<Value>,
        result: Result<T, sqlx::Error>,
    ) -> Result<T, Error> {
        if let (Some(started), Some(recorder)) = (started, &self.inner.recorder) {
            let entry = RecordedQuery {
                statement: sql.to_owned(),
                parameters: values,
                duration: started.elapsed(),
            };
            if let Some(sink) = &self.inner.sink {
                sink(entry.clone());
            }
            let mut kept = recorder.lock().unwrap_or_else(|e| e.into_inner());
            if kept.len() == MAX_RECORDED {
                kept.pop_front();
            }
            kept.push_back(entry);
        }
        result.map_err(|source| Error::Query {
            sql: sql.to_owned(),
            source,
        })
    }
}

/// A sea-query value as ours (the variants the ORM binds; others shown as text).
fn plain_value(value: &sea_query::Value) -> Value {
    use sea_query::Value as V;
    match value {
        V::Bool(v) => v.map_or(Value::Null, Value::Bool),
        V::TinyInt(v) => v.map_or(Value::Null, |n| Value::Int(i64::from(n))),
        V::SmallInt(v) => v.map_or(Value::Null, |n| Value::Int(i64::from(n))),
        V::Int(v) => v.map_or(Value::Null, |n| Value::Int(i64::from(n))),
        V::BigInt(v) => v.map_or(Value::Null, Value::Int),
        V::BigUnsigned(v) => v.map_or(Value::Null, |n| {
            i64::try_from(n).map_or_else(|_| Value::Text(n.to_string()), Value::Int)
        }),
        V::Float(v) => v.map_or(Value::Null, |f| Value::Float(f64::from(f))),
        V::Double(v) => v.map_or(Value::Null, Value::Float),
        V::String(v) => v.clone().map_or(Value::Null, Value::Text),
        V::Bytes(v) => v.clone().map_or(Value::Null, Value::Bytes),
        V::Json(v) => v
            .as_ref()
            .map_or(Value::Null, |j| Value::Json((**j).clone())),
        V::ChronoDate(v) => v.map_or(Value::Null, Value::Date),
        V::ChronoTime(v) => v.map_or(Value::Null, Value::Time),
        V::ChronoDateTime(v) => v.map_or(Value::Null, Value::DateTime),
        V::ChronoDateTimeUtc(v) => v.map_or(Value::Null, Value::DateTimeUtc),
        V::Uuid(v) => v.map_or(Value::Null, Value::Uuid),
        V::Decimal(v) => v.map_or(Value::Null, Value::Decimal),
        other => Value::Text(format!("{other:?}")),
    }
}
