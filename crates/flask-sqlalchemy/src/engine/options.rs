//! `SQLALCHEMY_ENGINE_OPTIONS`, `SQLALCHEMY_ECHO` and `SQLALCHEMY_RECORD_QUERIES`.

use std::time::Duration;

use sqlx::pool::PoolOptions;

use crate::Error;

/// How an engine's pool behaves, with SQLAlchemy's names and defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineOptions {
    /// Connections kept open (`pool_size`, default 5).
    pub pool_size: u32,
    /// Extra connections opened under load (`max_overflow`, default 10): the pool holds at
    /// most `pool_size + max_overflow`.
    pub max_overflow: u32,
    /// How long a statement waits for a free connection (`pool_timeout`, default 30 s).
    pub pool_timeout: Duration,
    /// Connections older than this are replaced (`pool_recycle`; `None`, SQLAlchemy's -1,
    /// keeps them).
    pub pool_recycle: Option<Duration>,
    /// Check a connection before handing it out (`pool_pre_ping`, default off).
    pub pool_pre_ping: bool,
    /// Log every statement with its values through `tracing` (`SQLALCHEMY_ECHO` or `echo`).
    pub echo: bool,
    /// Keep every statement for [`Engine::recorded_queries`](crate::Engine::recorded_queries)
    /// (`SQLALCHEMY_RECORD_QUERIES`).
    pub record_queries: bool,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            pool_size: 5,
            max_overflow: 10,
            pool_timeout: Duration::from_secs(30),
            pool_recycle: None,
            pool_pre_ping: false,
            echo: false,
            record_queries: false,
        }
    }
}

impl EngineOptions {
    /// Reads `SQLALCHEMY_ENGINE_OPTIONS` (a JSON/TOML table such as
    /// `{"pool_size": 10, "pool_recycle": 3600}`) over the defaults. An unknown key or a
    /// value of the wrong type is an error naming it.
    ///
    /// ```
    /// use flask_sqlalchemy::EngineOptions;
    /// let o = EngineOptions::from_json(&serde_json::json!({"pool_size": 2, "pool_recycle": -1})).unwrap();
    /// assert_eq!((o.pool_size, o.pool_recycle), (2, None));
    /// assert!(EngineOptions::from_json(&serde_json::json!({"pool_sise": 2})).is_err());
    /// ```
    pub fn from_json(options: &serde_json::Value) -> Result<Self, Error> {
        let mut out = EngineOptions::default();
        let Some(map) = options.as_object() else {
            if options.is_null() {
                return Ok(out);
            }
            return Err(Error::Config(format!(
                "SQLALCHEMY_ENGINE_OPTIONS must be a table of options, not {options}"
            )));
        };
        for (key, value) in map {
            let wrong = |what: &str| {
                Error::Config(format!(
                    "SQLALCHEMY_ENGINE_OPTIONS: {key} must be {what}, not {value}"
                ))
            };
            let count = || {
                value
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| wrong("a whole number"))
            };
            let seconds = || {
                value
                    .as_f64()
                    .filter(|s| *s >= 0.0)
                    .map(Duration::from_secs_f64)
                    .ok_or_else(|| wrong("a number of seconds"))
            };
            let flag = || value.as_bool().ok_or_else(|| wrong("true or false"));
            match key.as_str() {
                "pool_size" => out.pool_size = count()?,
                "max_overflow" => out.max_overflow = count()?,
                "pool_timeout" => out.pool_timeout = seconds()?,
                "pool_recycle" => {
                    out.pool_recycle = match value.as_i64() {
                        Some(n) if n < 0 => None,
                        _ => Some(seconds()?),
                    };
                }
                "pool_pre_ping" => out.pool_pre_ping = flag()?,
                "echo" => out.echo = flag()?,
                other => {
                    return Err(Error::Config(format!(
                        "SQLALCHEMY_ENGINE_OPTIONS has {other:?}, which is not an option here: \
                         use pool_size, max_overflow, pool_timeout, pool_recycle, pool_pre_ping \
                         or echo"
                    )));
                }
            }
        }
        Ok(out)
    }

    /// sqlx's pool options from these.
    pub(crate) fn pool<DB: sqlx::Database>(&self, pool: PoolOptions<DB>) -> PoolOptions<DB> {
        pool.max_connections((self.pool_size + self.max_overflow).max(1))
            .acquire_timeout(self.pool_timeout)
            .max_lifetime(self.pool_recycle)
            .test_before_acquire(self.pool_pre_ping)
    }
}
