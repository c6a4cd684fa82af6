//! The session store picked by `SESSION_TYPE` / `SESSION_URL`, connected at startup.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::OnceCell;
use tower_sessions_core::SessionStore;
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::{Error as StoreError, Result as StoreResult};

use crate::SetupError;
use crate::app::BoxError;
use crate::config::Config;

/// The SQL store's table unless `SESSION_SQL_TABLE` says otherwise.
pub(crate) const DEFAULT_SQL_TABLE: &str = "flask_sessions";

/// How often the SQL store deletes expired records unless `SESSION_SQL_CLEANUP_INTERVAL`
/// says otherwise.
pub(crate) const DEFAULT_CLEANUP_INTERVAL: Duration = Duration::from_secs(300);

/// What `SESSION_TYPE` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoreKind {
    /// No store: the data in the signed cookie, as Flask keeps it (the default).
    Cookie,
    Memory,
    Redis(String),
    Sql(SqlSettings),
}

/// `SESSION_TYPE = "sql"`: where, which table, how often expired records go.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(not(feature = "sql"), allow(dead_code))]
pub(crate) struct SqlSettings {
    pub(crate) url: String,
    pub(crate) table: String,
    /// `None`: no cleanup task (`SESSION_SQL_CLEANUP_INTERVAL = 0`).
    pub(crate) cleanup_interval: Option<Duration>,
}

impl StoreKind {
    pub(crate) fn from_config(config: &Config) -> Result<Self, SetupError> {
        let kind: String = config
            .get("SESSION_TYPE")?
            .unwrap_or_else(|| "cookie".to_owned());
        match kind.to_ascii_lowercase().as_str() {
            "cookie" | "securecookie" => Ok(StoreKind::Cookie),
            "memory" | "null" => Ok(StoreKind::Memory),
            "redis" => match config.get::<String>("SESSION_URL")? {
                Some(url) => Ok(StoreKind::Redis(url)),
                None => Err(SetupError::extension(
                    "sessions",
                    "SESSION_TYPE = \"redis\" needs SESSION_URL, such as redis://127.0.0.1:6379",
                )),
            },
            "sql" | "sqlalchemy" => {
                let Some(url) = config.get::<String>("SESSION_URL")? else {
                    return Err(SetupError::extension(
                        "sessions",
                        "SESSION_TYPE = \"sql\" needs SESSION_URL, such as sqlite://sessions.db, \
                         postgres://user@127.0.0.1/app or mysql://user@127.0.0.1/app",
                    ));
                };
                let table = config
                    .get::<String>("SESSION_SQL_TABLE")?
                    .unwrap_or_else(|| DEFAULT_SQL_TABLE.to_owned());
                check_table_name(&table).map_err(|e| SetupError::extension("sessions", e))?;
                let cleanup_interval = match config.get::<u64>("SESSION_SQL_CLEANUP_INTERVAL")? {
                    None => Some(DEFAULT_CLEANUP_INTERVAL),
                    Some(0) => None,
                    Some(secs) => Some(Duration::from_secs(secs)),
                };
                Ok(StoreKind::Sql(SqlSettings {
                    url,
                    table,
                    cleanup_interval,
                }))
            }
            other => Err(SetupError::extension(
                "sessions",
                format!(
                    "SESSION_TYPE {other:?} is unknown; use \"cookie\" (the default), \"memory\", \
                     \"redis\" or \"sql\""
                ),
            )),
        }
    }
}

/// Whether `table` can name the SQL store's table: a plain identifier (ASCII letters, digits
/// and `_`, not starting with a digit, at most 48 characters, so that the index named after
/// it fits every dialect's limit).
pub(crate) fn check_table_name(table: &str) -> Result<(), String> {
    let mut chars = table.chars();
    let plain = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && table.len() <= 48;
    if plain {
        Ok(())
    } else {
        Err(format!(
            "the session table name {table:?} (SESSION_SQL_TABLE) is not a plain SQL identifier: \
             use ASCII letters, digits and _, not starting with a digit, at most 48 characters"
        ))
    }
}

/// A store that connects when the app starts (before the first request), so building the
/// app stays synchronous.
#[derive(Debug)]
pub(crate) struct ConnectedAtStartup {
    kind: StoreKind,
    store: OnceCell<Arc<dyn SessionStore>>,
}

impl ConnectedAtStartup {
    pub(crate) fn new(kind: StoreKind) -> Self {
        ConnectedAtStartup {
            kind,
            store: OnceCell::new(),
        }
    }

    /// Connects (once); the error names the URL and the cause.
    pub(crate) async fn connect(&self) -> Result<(), BoxError> {
        let kind = self.kind.clone();
        self.store
            .get_or_try_init(|| async move {
                match kind {
                    StoreKind::Cookie | StoreKind::Memory => {
                        Ok(Arc::new(crate::sessions::MemoryStore::default())
                            as Arc<dyn SessionStore>)
                    }
                    StoreKind::Redis(url) => redis(&url).await,
                    StoreKind::Sql(settings) => sql(&settings).await,
                }
            })
            .await?;
        Ok(())
    }

    fn get(&self) -> StoreResult<&Arc<dyn SessionStore>> {
        self.store.get().ok_or_else(|| {
            StoreError::Backend(
                "the session store is not connected: the app's startup tasks did not run"
                    .to_owned(),
            )
        })
    }
}

#[cfg(feature = "redis")]
async fn redis(url: &str) -> Result<Arc<dyn SessionStore>, BoxError> {
    use fred::prelude::{ClientLike, Config as RedisConfig, Pool};
    // The URL as shown in messages: its password, if any, as `***`.
    let url_shown = redact(url);
    let config = RedisConfig::from_url(url)
        .map_err(|e| format!("SESSION_URL {url_shown:?} is not a Redis URL: {e}"))?;
    let pool = Pool::new(config, None, None, None, 4)
        .map_err(|e| format!("cannot create a Redis pool for {url_shown}: {e}"))?;
    pool.init()
        .await
        .map_err(|e| format!("cannot connect to Redis at {url_shown}: {e}"))?;
    Ok(Arc::new(tower_sessions_redis_store::RedisStore::new(pool)))
}

#[cfg(not(feature = "redis"))]
async fn redis(_url: &str) -> Result<Arc<dyn SessionStore>, BoxError> {
    Err(
        "SESSION_TYPE = \"redis\" needs the flask crate's `redis` feature: \
         flask = { version = \"0.1\", features = [\"redis\"] }"
            .into(),
    )
}

#[cfg(feature = "sql")]
async fn sql(settings: &SqlSettings) -> Result<Arc<dyn SessionStore>, BoxError> {
    let store =
        super::SqlStore::connect_with(&settings.url, &settings.table, settings.cleanup_interval)
            .await?;
    Ok(Arc::new(store))
}

#[cfg(not(feature = "sql"))]
async fn sql(_settings: &SqlSettings) -> Result<Arc<dyn SessionStore>, BoxError> {
    Err(
        "SESSION_TYPE = \"sql\" needs the flask crate's `sql` feature: \
         flask = { version = \"0.1\", features = [\"sql\"] }"
            .into(),
    )
}

#[async_trait::async_trait]
impl SessionStore for ConnectedAtStartup {
    async fn create(&self, record: &mut Record) -> StoreResult<()> {
        self.get()?.create(record).await
    }

    async fn save(&self, record: &Record) -> StoreResult<()> {
        self.get()?.save(record).await
    }

    async fn load(&self, id: &Id) -> StoreResult<Option<Record>> {
        self.get()?.load(id).await
    }

    async fn delete(&self, id: &Id) -> StoreResult<()> {
        self.get()?.delete(id).await
    }
}

/// `url` with the password of its user info replaced by `***`.
#[cfg(any(feature = "redis", feature = "sql"))]
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(set: impl FnOnce(&mut Config)) -> Result<StoreKind, String> {
        let mut config = Config::new();
        set(&mut config);
        StoreKind::from_config(&config).map_err(|e| e.to_string())
    }

    #[test]
    fn sql_settings_from_the_config() {
        let sql = |c: &mut Config| {
            c.set("SESSION_TYPE", "sql");
            c.set("SESSION_URL", "sqlite://s.db");
        };
        assert_eq!(
            kind(sql),
            Ok(StoreKind::Sql(SqlSettings {
                url: "sqlite://s.db".to_owned(),
                table: "flask_sessions".to_owned(),
                cleanup_interval: Some(Duration::from_secs(300)),
            }))
        );
        let custom = kind(|c| {
            sql(c);
            c.set("SESSION_TYPE", "SQLAlchemy");
            c.set("SESSION_SQL_TABLE", "my_sessions");
            c.set("SESSION_SQL_CLEANUP_INTERVAL", 0);
        });
        assert_eq!(
            custom,
            Ok(StoreKind::Sql(SqlSettings {
                url: "sqlite://s.db".to_owned(),
                table: "my_sessions".to_owned(),
                cleanup_interval: None,
            }))
        );
        let e = kind(|c| c.set("SESSION_TYPE", "sql")).unwrap_err();
        assert!(e.contains("needs SESSION_URL"), "{e}");
        for bad in [
            "",
            "1st",
            "a-b",
            "s.t",
            "x\"; DROP TABLE y",
            &"t".repeat(49),
        ] {
            let e = kind(|c| {
                sql(c);
                c.set("SESSION_SQL_TABLE", bad);
            })
            .unwrap_err();
            assert!(e.contains("not a plain SQL identifier"), "{bad}: {e}");
        }
        let e = kind(|c| c.set("SESSION_TYPE", "mongodb")).unwrap_err();
        assert!(e.contains("\"sql\""), "{e}");
    }

    #[cfg(not(feature = "sql"))]
    #[tokio::test]
    async fn without_the_feature_the_error_names_it() {
        let store = ConnectedAtStartup::new(StoreKind::Sql(SqlSettings {
            url: "sqlite::memory:".to_owned(),
            table: DEFAULT_SQL_TABLE.to_owned(),
            cleanup_interval: None,
        }));
        let e = store.connect().await.unwrap_err().to_string();
        assert!(e.contains("`sql` feature"), "{e}");
    }

    #[cfg(feature = "redis")]
    #[tokio::test]
    async fn a_redis_url_in_a_message_hides_its_password() {
        let store = ConnectedAtStartup::new(StoreKind::Redis(
            "redis://:s3cret@127.0.0.1:notaport/0".to_owned(),
        ));
        let e = store.connect().await.unwrap_err().to_string();
        assert!(e.contains("redis://:***@127.0.0.1:notaport/0"), "{e}");
        assert!(!e.contains("s3cret"), "{e}");
    }
}
