//! The session store picked by `SESSION_TYPE` / `SESSION_URL`, connected at startup.

use std::sync::Arc;

use tokio::sync::OnceCell;
use tower_sessions_core::SessionStore;
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::{Error as StoreError, Result as StoreResult};

use crate::SetupError;
use crate::app::BoxError;
use crate::config::Config;

/// What `SESSION_TYPE` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoreKind {
    Memory,
    Redis(String),
}

impl StoreKind {
    pub(crate) fn from_config(config: &Config) -> Result<Self, SetupError> {
        let kind: String = config
            .get("SESSION_TYPE")?
            .unwrap_or_else(|| "memory".to_owned());
        match kind.to_ascii_lowercase().as_str() {
            "memory" | "null" => Ok(StoreKind::Memory),
            "redis" => match config.get::<String>("SESSION_URL")? {
                Some(url) => Ok(StoreKind::Redis(url)),
                None => Err(SetupError::extension(
                    "sessions",
                    "SESSION_TYPE = \"redis\" needs SESSION_URL, such as redis://127.0.0.1:6379",
                )),
            },
            "sql" | "sqlalchemy" => Err(SetupError::extension(
                "sessions",
                "SESSION_TYPE = \"sql\" is not available yet; use \"memory\" or \"redis\", or pass a \
                 store to Flask::session_store",
            )),
            other => Err(SetupError::extension(
                "sessions",
                format!("SESSION_TYPE {other:?} is unknown; use \"memory\" or \"redis\""),
            )),
        }
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
                    StoreKind::Memory => Ok(Arc::new(
                        tower_sessions_memory_store::MemoryStore::default(),
                    ) as Arc<dyn SessionStore>),
                    StoreKind::Redis(url) => redis(&url).await,
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
    let config = RedisConfig::from_url(url)
        .map_err(|e| format!("SESSION_URL {url:?} is not a Redis URL: {e}"))?;
    let pool = Pool::new(config, None, None, None, 4)
        .map_err(|e| format!("cannot create a Redis pool for {url}: {e}"))?;
    pool.init()
        .await
        .map_err(|e| format!("cannot connect to Redis at {url}: {e}"))?;
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
