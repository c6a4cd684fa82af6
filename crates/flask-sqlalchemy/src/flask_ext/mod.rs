//! The flask extension: `SQLAlchemy` reads the app's config, connects at startup, gives
//! handlers the [`Db`] extractor, adds `db create-all` / `db drop-all` to the command line,
//! and the `*_or_404` helpers.

mod console;
mod extractors;
mod helpers;
mod queries;

use std::sync::OnceLock;

use flask::cli::{CliContext, Command};
use flask::{Setup, SetupError};

use crate::{Engine, EngineOptions, MetaData, Model};

/// Flask-SQLAlchemy's `SQLAlchemy` object: register it on the app with the models.
///
/// ```
/// use flask::{Flask, routing::get};
/// use flask_sqlalchemy::{Db, Model, SQLAlchemy};
///
/// #[derive(Debug, Model)]
/// struct Note {
///     #[model(primary_key)]
///     id: i64,
///     body: String,
/// }
///
/// #[flask::view]
/// async fn count(db: Db) -> Result<String, flask::Error> {
///     Ok(db.select::<Note>().count().await?.to_string())
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = Flask::new("notes")
///     .configure(|c| c.set("SQLALCHEMY_DATABASE_URI", "sqlite://"))
///     .extension(SQLAlchemy::new().model::<Note>().create_all_on_startup())
///     .route("/count", get(count))
///     .test_client();
/// assert_eq!(client.get("/count").send().await.text(), "0");
/// # }
/// ```
///
/// Config keys, with Flask-SQLAlchemy's meaning: `SQLALCHEMY_DATABASE_URI` (required; a
/// relative SQLite path is in the instance folder), `SQLALCHEMY_ENGINE_OPTIONS`,
/// `SQLALCHEMY_ECHO`, `SQLALCHEMY_RECORD_QUERIES`, and `SQLALCHEMY_BINDS` for more databases:
/// an object of bind keys to URIs, or to objects of engine options with a `"url"`
/// (`{"users": "sqlite:///users.db", "logs": {"url": "postgresql://...", "pool_size": 2}}`).
/// A model names its database with `#[model(bind = "users")]`.
#[derive(Debug, Default)]
pub struct SQLAlchemy {
    metadata: MetaData,
    create_all: bool,
    engines: OnceLock<Engines>,
    /// Each database's parsed URI (`None`: the default), known once the app is built.
    uris: OnceLock<Vec<(Option<String>, crate::DatabaseUri)>>,
    events: crate::Events,
}

/// One database to connect: its bind key (`None`: the default), URI and options.
struct Target {
    bind: Option<String>,
    uri: String,
    options: EngineOptions,
}

/// `SQLALCHEMY_BINDS`: each key's URI and engine options (the app's options, overridden by
/// the bind's own).
fn binds(
    raw: &serde_json::Value,
    base: &serde_json::Value,
    echo: Option<bool>,
    record: bool,
) -> Result<Vec<Target>, String> {
    let Some(map) = raw.as_object() else {
        return match raw {
            serde_json::Value::Null => Ok(Vec::new()),
            _ => Err("SQLALCHEMY_BINDS must be an object of bind keys to URIs".into()),
        };
    };
    map.iter()
        .map(|(key, value)| {
            let (uri, own) = match value {
                serde_json::Value::String(uri) => (uri.clone(), serde_json::Map::new()),
                serde_json::Value::Object(options) => {
                    let mut options = options.clone();
                    let uri = options
                        .remove("url")
                        .and_then(|u| u.as_str().map(str::to_owned))
                        .ok_or_else(|| {
                            format!("SQLALCHEMY_BINDS[{key:?}] has no \"url\": give it the URI")
                        })?;
                    (uri, options)
                }
                _ => {
                    return Err(format!(
                        "SQLALCHEMY_BINDS[{key:?}] must be a URI or an object with a \"url\""
                    ));
                }
            };
            let mut merged = base.as_object().cloned().unwrap_or_default();
            merged.extend(own);
            let mut options = EngineOptions::from_json(&serde_json::Value::Object(merged))
                .map_err(|e| format!("SQLALCHEMY_BINDS[{key:?}]: {e}"))?;
            if let Some(echo) = echo {
                options.echo = echo;
            }
            options.record_queries = record;
            Ok(Target {
                bind: Some(key.clone()),
                uri,
                options,
            })
        })
        .collect()
}

impl SQLAlchemy {
    /// No models yet.
    pub fn new() -> Self {
        SQLAlchemy::default()
    }

    /// Registers model `M` (for `create_all`, `drop_all` and the `db` commands).
    #[must_use]
    pub fn model<M: Model>(mut self) -> Self {
        self.metadata = self.metadata.register::<M>();
        self
    }

    /// Creates the models' missing tables when the app starts (handy for small apps and
    /// tests; larger ones use migrations).
    #[must_use]
    pub fn create_all_on_startup(mut self) -> Self {
        self.create_all = true;
        self
    }

    /// The registered models (`db.metadata`).
    pub fn metadata(&self) -> &MetaData {
        &self.metadata
    }

    /// The model listeners and `models_committed` hooks, shared with the engine once the
    /// app starts:
    ///
    /// ```
    /// # use flask_sqlalchemy::{Model, SQLAlchemy};
    /// # #[derive(Debug, Model)] struct Post { #[model(primary_key)] id: i64, #[model(max_length = 80)] slug: String }
    /// let db = SQLAlchemy::new().model::<Post>();
    /// db.events()
    ///     .before_insert(|post: &mut Post| post.slug = post.slug.to_lowercase())
    ///     .on_models_committed(|changes| tracing::info!("{} rows committed", changes.len()));
    /// ```
    pub fn events(&self) -> &crate::Events {
        &self.events
    }

    /// The default database's engine, once the app has started.
    pub fn engine(&self) -> Option<&Engine> {
        self.engines.get().map(|e| &e.default)
    }

    /// The engine of one `SQLALCHEMY_BINDS` key, once the app has started.
    pub fn bind(&self, key: &str) -> Option<&Engine> {
        self.engines.get().and_then(|e| e.binds.get(key))
    }

    /// The URI of the default database (`None`) or of one `SQLALCHEMY_BINDS` key, once the
    /// app is built: before it connects, so a command that only needs to know the database
    /// family (`db upgrade --sql`) works without reaching it.
    pub fn database_uri(&self, bind: Option<&str>) -> Option<&crate::DatabaseUri> {
        self.uris
            .get()?
            .iter()
            .find(|(key, _)| key.as_deref() == bind)
            .map(|(_, uri)| uri)
    }

    /// The `SQLALCHEMY_BINDS` keys, sorted, once the app is built.
    pub fn bind_keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self
            .uris
            .get()
            .into_iter()
            .flatten()
            .filter_map(|(key, _)| key.as_deref())
            .collect();
        keys.sort_unstable();
        keys
    }

    /// Every engine with its bind key (`None` first: the default database).
    fn all_engines(&self) -> Vec<(Option<&str>, &Engine)> {
        let Some(engines) = self.engines.get() else {
            return Vec::new();
        };
        let mut out = vec![(None, &engines.default)];
        let mut keys: Vec<&String> = engines.binds.keys().collect();
        keys.sort();
        for key in keys {
            out.push((Some(key.as_str()), &engines.binds[key]));
        }
        out
    }
}

impl flask::Extension for SQLAlchemy {
    fn name(&self) -> &'static str {
        "sqlalchemy"
    }

    fn init_app(&self, app: &mut Setup) -> Result<(), SetupError> {
        let config = app.config();
        let uri: String = config.get("SQLALCHEMY_DATABASE_URI")?.ok_or_else(|| {
            SetupError::extension(
                "sqlalchemy",
                "SQLALCHEMY_DATABASE_URI is not set: set it to sqlite:///app.db (a file in \
                 the instance folder), postgresql://... or mysql://...",
            )
        })?;
        let raw_options: serde_json::Value = config
            .get("SQLALCHEMY_ENGINE_OPTIONS")?
            .unwrap_or(serde_json::Value::Null);
        let mut options = EngineOptions::from_json(&raw_options)
            .map_err(|e| SetupError::extension("sqlalchemy", e.to_string()))?;
        let echo = config.get::<bool>("SQLALCHEMY_ECHO")?;
        if let Some(echo) = echo {
            options.echo = echo;
        }
        // Off by default, but in debug mode: the debug page shows the failing request's SQL.
        options.record_queries = config
            .get::<bool>("SQLALCHEMY_RECORD_QUERIES")?
            .unwrap_or(config.debug());
        let recording = options.record_queries;
        let raw_binds: serde_json::Value = config
            .get("SQLALCHEMY_BINDS")?
            .unwrap_or(serde_json::Value::Null);
        let mut targets = vec![Target {
            bind: None,
            uri,
            options: options.clone(),
        }];
        targets.extend(
            binds(&raw_binds, &raw_options, echo, options.record_queries)
                .map_err(|e| SetupError::extension("sqlalchemy", e))?,
        );
        for key in self.metadata.bind_keys() {
            if !targets.iter().any(|t| t.bind.as_deref() == Some(key)) {
                let models: Vec<&str> = self
                    .metadata
                    .tables()
                    .iter()
                    .filter(|t| t.bind == Some(key))
                    .map(|t| t.name)
                    .collect();
                return Err(SetupError::extension(
                    "sqlalchemy",
                    format!(
                        "the model table {} has bind = {key:?}, which SQLALCHEMY_BINDS does not \
                         define: add {key:?} to SQLALCHEMY_BINDS with its URI",
                        models.join(", ")
                    ),
                ));
            }
        }
        // Parse now, so a malformed URI stops the build with its reason.
        let instance = app.root_path().join("instance");
        let mut uris = Vec::new();
        for target in &targets {
            let uri = crate::DatabaseUri::parse(&target.uri, &instance).map_err(|e| {
                let which = match &target.bind {
                    Some(key) => format!("SQLALCHEMY_BINDS[{key:?}]: "),
                    None => String::new(),
                };
                SetupError::extension("sqlalchemy", format!("{which}{e}"))
            })?;
            uris.push((target.bind.clone(), uri));
        }
        let _ = self.uris.set(uris);
        let create_all = self.create_all;
        app.on_startup(move |app| async move {
            let ext = app
                .extension::<SQLAlchemy>()
                .ok_or("the SQLAlchemy extension is not registered")?;
            let mut default = None;
            let mut binds = std::collections::HashMap::new();
            for target in targets {
                let engine = Engine::connect(&target.uri, &instance, target.options)
                    .await?
                    .sharing_events(&ext.events)
                    .with_query_sink(queries::sink());
                match target.bind {
                    Some(key) => {
                        binds.insert(key, engine);
                    }
                    None => default = Some(engine),
                }
            }
            let default = default.ok_or("the default database was not connected")?;
            let _ = ext.engines.set(Engines {
                default,
                binds: std::sync::Arc::new(binds),
            });
            Ok(())
        });
        if create_all {
            // Before serving, not before CLI commands (`db migrate` must compare the models
            // with the database as it is).
            app.on_serve(|app| async move {
                let ext = app
                    .extension::<SQLAlchemy>()
                    .ok_or("the SQLAlchemy extension is not registered")?;
                let engines = ext
                    .engines
                    .get()
                    .ok_or("the databases were not connected")?;
                engines
                    .default
                    .create_all(&ext.metadata.for_bind(None))
                    .await?;
                for (key, engine) in engines.binds.iter() {
                    engine.create_all(&ext.metadata.for_bind(Some(key))).await?;
                }
                Ok(())
            });
        }
        app.debug_panel("SQL queries", move |ctx| queries::panel(ctx, recording));
        // `db` in `myapp shell` and the debug page's console.
        app.shell_context_processor(|app| flask::context! { db => console::DbConsole::value(app) });
        // In the `db` group, which flask-migrate adds its commands to.
        app.group_command(
            "db",
            Command::new("create-all")
                .about("Create the models' missing tables.")
                .arg(bind_arg()),
            |ctx| async move { create_or_drop(&ctx, true).await },
        );
        app.group_command(
            "db",
            Command::new("drop-all")
                .about("Drop the models' tables.")
                .arg(bind_arg()),
            |ctx| async move { create_or_drop(&ctx, false).await },
        );
        Ok(())
    }
}

/// `--bind KEY`: one database of `SQLALCHEMY_BINDS` only.
fn bind_arg() -> flask::cli::Arg {
    flask::cli::Arg::new("bind")
        .long("bind")
        .value_name("KEY")
        .help("Only the database of this SQLALCHEMY_BINDS key (default: every database).")
}

/// `db create-all` / `db drop-all`, on every database or the `--bind` one.
async fn create_or_drop(ctx: &CliContext, create: bool) -> Result<(), flask::BoxError> {
    let ext = ctx
        .app()
        .extension::<SQLAlchemy>()
        .ok_or("the SQLAlchemy extension is not registered")?;
    let only = ctx.matches().get_one::<String>("bind").cloned();
    let engines = ext.all_engines();
    if engines.is_empty() {
        return Err("the database is not connected".into());
    }
    if let Some(key) = &only
        && !engines.iter().any(|(k, _)| *k == Some(key.as_str()))
    {
        return Err(format!(
            "no bind {key:?}: SQLALCHEMY_BINDS defines {}",
            engines
                .iter()
                .filter_map(|(k, _)| *k)
                .collect::<Vec<_>>()
                .join(", ")
        )
        .into());
    }
    for (key, engine) in engines {
        if only.as_deref().is_some_and(|o| Some(o) != key) {
            continue;
        }
        let metadata = ext.metadata.for_bind(key);
        if create {
            engine.create_all(&metadata).await?;
            ctx.echo(format!("Created the tables of {}.", engine.uri()));
        } else {
            engine.drop_all(&metadata).await?;
            ctx.echo(format!("Dropped the tables of {}.", engine.uri()));
        }
    }
    Ok(())
}

use extractors::Engines;
pub use extractors::{Db, DbSession};
pub use helpers::PageArgs;
pub use queries::get_recorded_queries;
