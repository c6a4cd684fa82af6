//! The SQL session store (`SESSION_TYPE = "sql"`): our own `SessionStore` over sqlx 0.9, on
//! SQLite, PostgreSQL and MySQL/MariaDB.
//!
//! One table (`flask_sessions` unless configured) holds each record as JSON:
//!
//! | column | type | holds |
//! |---|---|---|
//! | `id` | text, primary key | the session id (tower-sessions' `Id` as a string) |
//! | `data` | text | the session's values as a JSON object |
//! | `expiry_date` | 64-bit integer | when the record expires, in unix seconds |
//!
//! The same schema works on the three dialects; only the DDL and the placeholders differ.
//! tower-sessions-sqlx-store is not used: it is built on sqlx 0.8, and the workspace is on 0.9.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Weak};
use std::time::Duration;

use cookie::time::OffsetDateTime;
use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection};
use tower_sessions_core::SessionStore;

use super::store::redact;
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::{
    Error as StoreError, ExpiredDeletion, Result as StoreResult,
};

use super::store::{DEFAULT_CLEANUP_INTERVAL, DEFAULT_SQL_TABLE, check_table_name};
use crate::app::BoxError;

/// How many fresh ids `create` tries before giving up (a collision of two random 128-bit
/// ids is not expected even once).
const CREATE_ATTEMPTS: usize = 8;

/// Sessions in an SQL database: SQLite, PostgreSQL or MySQL/MariaDB, picked by the URL.
///
/// What `SESSION_TYPE = "sql"` with `SESSION_URL` connects to at startup; connect one
/// yourself to pass it to [`Flask::session_store`](crate::Flask::session_store). Needs the
/// `flask` crate's `sql` feature.
///
/// URLs: `sqlite://sessions.db` (a relative path, the file is created if missing),
/// `sqlite:///var/lib/app/sessions.db` (absolute), `sqlite::memory:`,
/// `postgres://user:password@host/db` (or `postgresql://`), `mysql://user:password@host/db`
/// (or `mariadb://`).
///
/// The table (`flask_sessions` by default) is created if missing, with the columns `id`
/// (text, primary key), `data` (the values as JSON text) and `expiry_date` (unix seconds).
/// Expired records are never loaded, and a task deletes them every few minutes.
///
/// ```
/// use flask::{Flask, sessions::SqlStore};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), flask::BoxError> {
/// let store = SqlStore::connect("sqlite::memory:").await?;
/// let app = Flask::new("demo")
///     .configure(|c| c.set("SECRET_KEY", "dev"))
///     .session_store(store);
/// # let _ = app;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SqlStore(Arc<Inner>);

struct Inner {
    pool: Pools,
    table: String,
    /// The URL with its password hidden, for messages.
    url: String,
    sql: Statements,
}

enum Pools {
    Sqlite(SqlitePool),
    Postgres(PgPool),
    MySql(MySqlPool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Sqlite,
    Postgres,
    MySql,
}

/// Runs `$body` with `$pool` bound to the concrete pool, whichever the dialect.
macro_rules! on_pool {
    ($pools:expr, $pool:ident => $body:expr) => {
        match $pools {
            Pools::Sqlite($pool) => $body,
            Pools::Postgres($pool) => $body,
            Pools::MySql($pool) => $body,
        }
    };
}

impl fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlStore")
            .field("url", &self.0.url)
            .field("table", &self.0.table)
            .finish()
    }
}

impl SqlStore {
    /// Connects to the database at `url`, creates the `flask_sessions` table if missing and
    /// starts deleting expired records every 5 minutes. The error names the URL (its
    /// password hidden) and the cause.
    pub async fn connect(url: &str) -> Result<Self, BoxError> {
        Self::connect_with(url, DEFAULT_SQL_TABLE, Some(DEFAULT_CLEANUP_INTERVAL)).await
    }

    /// Like [`connect`](Self::connect), with the table's name (a plain identifier: letters,
    /// digits and `_`) and how often expired records are deleted (`None`: never, by this
    /// store).
    pub async fn connect_with(
        url: &str,
        table: &str,
        cleanup_interval: Option<Duration>,
    ) -> Result<Self, BoxError> {
        check_table_name(table)?;
        let shown = redact(url);
        let dialect = dialect(url).ok_or_else(|| {
            format!(
                "{shown:?} is not an SQL database URL: use sqlite://sessions.db, sqlite::memory:, \
                 postgres://user@host/db or mysql://user@host/db"
            )
        })?;
        let cannot_read = |e: sqlx::Error| format!("cannot read the database URL {shown}: {e}");
        let cannot_connect =
            |e: sqlx::Error| format!("cannot connect to the session database at {shown}: {e}");
        let pool = match dialect {
            Dialect::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)
                    .map_err(cannot_read)?
                    .create_if_missing(true);
                let mut pool = SqlitePoolOptions::new();
                if url.contains(":memory:") || url.contains("mode=memory") {
                    // An in-memory database lives as long as one of its connections.
                    pool = pool
                        .min_connections(1)
                        .idle_timeout(None)
                        .max_lifetime(None);
                }
                let probe = options.connect().await.map_err(cannot_connect)?;
                let pool = pool.connect_with(options).await.map_err(cannot_connect);
                let _ = probe.close().await;
                Pools::Sqlite(pool?)
            }
            Dialect::Postgres => {
                let options = PgConnectOptions::from_str(url).map_err(cannot_read)?;
                // One plain connection first: the pool would retry a refused connection until
                // its timeout and then report only the timeout, not the cause.
                let probe = options.connect().await.map_err(cannot_connect)?;
                let pool = PgPoolOptions::new()
                    .connect_with(options)
                    .await
                    .map_err(cannot_connect);
                let _ = probe.close().await;
                Pools::Postgres(pool?)
            }
            Dialect::MySql => {
                let url = match url.get(..10) {
                    Some(scheme) if scheme.eq_ignore_ascii_case("mariadb://") => {
                        format!("mysql://{}", &url[10..])
                    }
                    _ => url.to_owned(),
                };
                let options = MySqlConnectOptions::from_str(&url).map_err(cannot_read)?;
                let probe = options.connect().await.map_err(cannot_connect)?;
                let pool = MySqlPoolOptions::new()
                    .connect_with(options)
                    .await
                    .map_err(cannot_connect);
                let _ = probe.close().await;
                Pools::MySql(pool?)
            }
        };
        let sql = Statements::new(dialect, table);
        for statement in &sql.create {
            let result = on_pool!(&pool, pool => {
                sqlx::query(AssertSqlSafe(statement.clone())).execute(pool).await.map(drop)
            });
            match result {
                Ok(()) => {}
                // Another instance created it at the same moment (PostgreSQL reports the race
                // on its catalog as a unique violation).
                Err(e) if is_unique_violation(&e) => {}
                Err(e) => {
                    return Err(
                        format!("cannot create the session table {table} at {shown}: {e}").into(),
                    );
                }
            }
        }
        let store = SqlStore(Arc::new(Inner {
            pool,
            table: table.to_owned(),
            url: shown,
            sql,
        }));
        if let Some(period) = cleanup_interval.filter(|p| !p.is_zero()) {
            spawn_cleanup(Arc::downgrade(&store.0), period);
        }
        Ok(store)
    }

    /// The table holding the sessions.
    pub fn table(&self) -> &str {
        &self.0.table
    }
}

/// Deletes expired records every `period`, until the store is dropped or its pool closed.
/// It holds the store only while deleting, so it keeps nothing alive.
fn spawn_cleanup(store: Weak<Inner>, period: Duration) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        interval.tick().await; // the first tick is now
        loop {
            interval.tick().await;
            let Some(inner) = store.upgrade() else { break };
            if inner.is_closed() {
                break;
            }
            if let Err(e) = inner.delete_expired().await {
                tracing::warn!("deleting expired sessions from {} failed: {e}", inner.table);
            }
        }
    });
}

impl Inner {
    fn is_closed(&self) -> bool {
        on_pool!(&self.pool, pool => pool.is_closed())
    }

    async fn delete_expired(&self) -> Result<u64, sqlx::Error> {
        let sql = AssertSqlSafe(self.sql.delete_expired.clone());
        let now = OffsetDateTime::now_utc().unix_timestamp();
        on_pool!(&self.pool, pool => {
            sqlx::query(sql).bind(now).execute(pool).await.map(|r| r.rows_affected())
        })
    }

    /// Inserts a new record; fails on an existing id.
    async fn insert(&self, id: &str, data: &str, expiry: i64) -> Result<(), sqlx::Error> {
        let sql = AssertSqlSafe(self.sql.insert.clone());
        on_pool!(&self.pool, pool => {
            sqlx::query(sql).bind(id).bind(data).bind(expiry).execute(pool).await.map(drop)
        })
    }
}

#[async_trait::async_trait]
impl SessionStore for SqlStore {
    async fn create(&self, record: &mut Record) -> StoreResult<()> {
        let data = encode(record)?;
        let expiry = expiry_secs(record.expiry_date);
        for _ in 0..CREATE_ATTEMPTS {
            match self.0.insert(&record.id.to_string(), &data, expiry).await {
                Ok(()) => return Ok(()),
                Err(e) if is_unique_violation(&e) => record.id = Id::default(),
                Err(e) => return Err(backend(&e)),
            }
        }
        Err(StoreError::Backend(format!(
            "no free session id after {CREATE_ATTEMPTS} attempts in {}",
            self.0.table
        )))
    }

    async fn save(&self, record: &Record) -> StoreResult<()> {
        let data = encode(record)?;
        let id = record.id.to_string();
        let expiry = expiry_secs(record.expiry_date);
        let sql = AssertSqlSafe(self.0.sql.update.clone());
        on_pool!(&self.0.pool, pool => {
            sqlx::query(sql).bind(&data).bind(expiry).bind(&id).execute(pool).await.map(drop)
        })
        .map_err(|e| backend(&e))
    }

    async fn load(&self, id: &Id) -> StoreResult<Option<Record>> {
        let key = id.to_string();
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let sql = AssertSqlSafe(self.0.sql.load.clone());
        let row: Option<(String, i64)> = on_pool!(&self.0.pool, pool => {
            sqlx::query_as(sql).bind(&key).bind(now).fetch_optional(pool).await
        })
        .map_err(|e| backend(&e))?;
        let Some((data, expiry)) = row else {
            return Ok(None);
        };
        Ok(Some(Record {
            id: *id,
            data: serde_json::from_str(&data)
                .map_err(|e| StoreError::Decode(format!("session {key}: {e}")))?,
            expiry_date: OffsetDateTime::from_unix_timestamp(expiry)
                .map_err(|e| StoreError::Decode(format!("session {key}: {e}")))?,
        }))
    }

    async fn delete(&self, id: &Id) -> StoreResult<()> {
        let key = id.to_string();
        let sql = AssertSqlSafe(self.0.sql.delete.clone());
        on_pool!(&self.0.pool, pool => {
            sqlx::query(sql).bind(&key).execute(pool).await.map(drop)
        })
        .map_err(|e| backend(&e))
    }
}

#[async_trait::async_trait]
impl ExpiredDeletion for SqlStore {
    async fn delete_expired(&self) -> StoreResult<()> {
        self.0
            .delete_expired()
            .await
            .map(drop)
            .map_err(|e| backend(&e))
    }
}

fn encode(record: &Record) -> StoreResult<String> {
    serde_json::to_string(&record.data).map_err(|e| StoreError::Encode(e.to_string()))
}

fn backend(e: &sqlx::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|e| e.is_unique_violation())
}

/// The dialect of `url`, by its scheme.
fn dialect(url: &str) -> Option<Dialect> {
    let scheme = url.split_once(':')?.0.to_ascii_lowercase();
    match scheme.as_str() {
        "sqlite" => Some(Dialect::Sqlite),
        "postgres" | "postgresql" => Some(Dialect::Postgres),
        "mysql" | "mariadb" => Some(Dialect::MySql),
        _ => None,
    }
}

/// The SQL for one table in one dialect, built once. Every value is a bound parameter; the
/// table's name is a checked identifier, quoted.
struct Statements {
    create: Vec<Arc<str>>,
    insert: Arc<str>,
    update: Arc<str>,
    load: Arc<str>,
    delete: Arc<str>,
    delete_expired: Arc<str>,
}

impl Statements {
    fn new(dialect: Dialect, table: &str) -> Self {
        let (t, index) = match dialect {
            Dialect::MySql => (format!("`{table}`"), format!("`{table}_expiry`")),
            _ => (format!("\"{table}\""), format!("\"{table}_expiry\"")),
        };
        let p = |n: usize| match dialect {
            Dialect::Postgres => format!("${n}"),
            _ => "?".to_owned(),
        };
        let (p1, p2, p3) = (p(1), p(2), p(3));
        let create = match dialect {
            Dialect::Sqlite => vec![
                format!(
                    "CREATE TABLE IF NOT EXISTS {t} (id TEXT NOT NULL PRIMARY KEY, \
                     data TEXT NOT NULL, expiry_date INTEGER NOT NULL)"
                ),
                format!("CREATE INDEX IF NOT EXISTS {index} ON {t} (expiry_date)"),
            ],
            Dialect::Postgres => vec![
                format!(
                    "CREATE TABLE IF NOT EXISTS {t} (id TEXT NOT NULL PRIMARY KEY, \
                     data TEXT NOT NULL, expiry_date BIGINT NOT NULL)"
                ),
                format!("CREATE INDEX IF NOT EXISTS {index} ON {t} (expiry_date)"),
            ],
            // Ids are case-sensitive (base64): a binary collation, not the default
            // case-insensitive one; the data in utf8mb4 whatever the server's default.
            Dialect::MySql => vec![format!(
                "CREATE TABLE IF NOT EXISTS {t} (\
                 id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY, \
                 data LONGTEXT CHARACTER SET utf8mb4 NOT NULL, \
                 expiry_date BIGINT NOT NULL, \
                 INDEX {index} (expiry_date))"
            )],
        };
        let insert = format!("INSERT INTO {t} (id, data, expiry_date) VALUES ({p1}, {p2}, {p3})");
        // Only a session that still exists is saved: one a logout deleted while another
        // request of the same browser ran stays deleted.
        let update = format!("UPDATE {t} SET data = {p1}, expiry_date = {p2} WHERE id = {p3}");
        Statements {
            create: create.into_iter().map(Arc::from).collect(),
            update: update.into(),
            insert: insert.into(),
            load: format!(
                "SELECT data, expiry_date FROM {t} WHERE id = {p1} AND expiry_date > {p2}"
            )
            .into(),
            delete: format!("DELETE FROM {t} WHERE id = {p1}").into(),
            delete_expired: format!("DELETE FROM {t} WHERE expiry_date <= {p1}").into(),
        }
    }
}

/// A record's expiry in whole unix seconds, rounded up: a record may outlive its expiry by
/// less than a second, but never expires early (a 1-second lifetime stays usable at once).
fn expiry_secs(expiry: OffsetDateTime) -> i64 {
    let secs = expiry.unix_timestamp();
    if expiry.nanosecond() > 0 {
        secs + 1
    } else {
        secs
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn expiry_rounds_up_to_the_second() {
        let whole = OffsetDateTime::from_unix_timestamp(1_000).unwrap();
        assert_eq!(expiry_secs(whole), 1_000);
        assert_eq!(
            expiry_secs(whole + cookie::time::Duration::milliseconds(1)),
            1_001
        );
        assert_eq!(
            expiry_secs(whole + cookie::time::Duration::milliseconds(999)),
            1_001
        );
    }
    use super::*;

    #[test]
    fn dialects_by_scheme() {
        assert_eq!(dialect("sqlite://sessions.db"), Some(Dialect::Sqlite));
        assert_eq!(dialect("sqlite::memory:"), Some(Dialect::Sqlite));
        assert_eq!(dialect("SQLite:///abs/s.db"), Some(Dialect::Sqlite));
        assert_eq!(dialect("postgres://u@h/db"), Some(Dialect::Postgres));
        assert_eq!(dialect("postgresql://u@h/db"), Some(Dialect::Postgres));
        assert_eq!(dialect("mysql://u@h/db"), Some(Dialect::MySql));
        assert_eq!(dialect("mariadb://u@h/db"), Some(Dialect::MySql));
        assert_eq!(dialect("redis://h"), None);
        assert_eq!(dialect("sessions.db"), None);
    }

    #[test]
    fn passwords_are_hidden_in_messages() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/app"),
            "postgres://app:***@db:5432/app"
        );
        assert_eq!(redact("mysql://root@h/test"), "mysql://root@h/test");
        assert_eq!(redact("sqlite://sessions.db"), "sqlite://sessions.db");
        assert_eq!(redact("sqlite::memory:"), "sqlite::memory:");
    }

    #[test]
    fn statements_bind_every_value() {
        let pg = Statements::new(Dialect::Postgres, "s");
        assert_eq!(
            &*pg.update,
            "UPDATE \"s\" SET data = $1, expiry_date = $2 WHERE id = $3"
        );
        assert_eq!(
            &*pg.load,
            "SELECT data, expiry_date FROM \"s\" WHERE id = $1 AND expiry_date > $2"
        );
        let my = Statements::new(Dialect::MySql, "s");
        assert_eq!(
            &*my.update,
            "UPDATE `s` SET data = ?, expiry_date = ? WHERE id = ?"
        );
        assert_eq!(&*my.delete, "DELETE FROM `s` WHERE id = ?");
    }

    #[tokio::test]
    async fn bad_urls_name_the_url_and_the_cause() {
        let e = SqlStore::connect("redis://127.0.0.1").await.unwrap_err();
        assert!(
            e.to_string()
                .contains("\"redis://127.0.0.1\" is not an SQL database URL"),
            "{e}"
        );
        let e = SqlStore::connect("postgres://app:s3cret@127.0.0.1:1/x")
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("postgres://app:***@127.0.0.1:1/x"), "{e}");
        assert!(!e.contains("s3cret"), "{e}");
        let e = SqlStore::connect_with("sqlite::memory:", "bad name", None)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("\"bad name\""), "{e}");
    }

    #[tokio::test]
    async fn in_memory_round_trip() {
        let store = SqlStore::connect_with("sqlite::memory:", "t", None)
            .await
            .unwrap();
        let mut record = Record {
            id: Id::default(),
            data: [("k".to_owned(), serde_json::json!({"a": [1, "zoë"]}))]
                .into_iter()
                .collect(),
            expiry_date: OffsetDateTime::now_utc() + cookie::time::Duration::hours(1),
        };
        store.create(&mut record).await.unwrap();
        let loaded = store.load(&record.id).await.unwrap().unwrap();
        assert_eq!(loaded.data, record.data);
        assert_eq!(
            loaded.expiry_date.unix_timestamp(),
            expiry_secs(record.expiry_date)
        );
        // A collision picks another id.
        let taken = record.id;
        let mut other = record.clone();
        store.create(&mut other).await.unwrap();
        assert_ne!(other.id, taken);
        store.delete(&taken).await.unwrap();
        assert!(store.load(&taken).await.unwrap().is_none());
        assert!(store.load(&other.id).await.unwrap().is_some());
    }
}
