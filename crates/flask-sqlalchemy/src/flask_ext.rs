//! The flask extension: `SQLAlchemy` reads the app's config, connects at startup, gives
//! handlers the [`Db`] extractor, adds `db create-all` / `db drop-all` to the command line,
//! and the `*_or_404` helpers.

use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use flask::cli::{ArgMatches, Command};
use flask::{Error as HttpError, RequestContext, Setup, SetupError, StatusCode};

use crate::{Engine, EngineOptions, MetaData, Model, Select, Session, Value};

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
/// `SQLALCHEMY_ECHO`, `SQLALCHEMY_RECORD_QUERIES`.
#[derive(Debug, Default)]
pub struct SQLAlchemy {
    metadata: MetaData,
    create_all: bool,
    engine: OnceLock<Engine>,
    events: crate::Events,
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

    /// The engine, once the app has started.
    pub fn engine(&self) -> Option<&Engine> {
        self.engine.get()
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
        if let Some(echo) = config.get::<bool>("SQLALCHEMY_ECHO")? {
            options.echo = echo;
        }
        options.record_queries = config
            .get::<bool>("SQLALCHEMY_RECORD_QUERIES")?
            .unwrap_or(false);
        // Parse now, so a malformed URI stops the build with its reason.
        let instance = app.root_path().join("instance");
        crate::DatabaseUri::parse(&uri, &instance)
            .map_err(|e| SetupError::extension("sqlalchemy", e.to_string()))?;
        let create_all = self.create_all;
        app.on_startup(move |app| async move {
            let ext = app
                .extension::<SQLAlchemy>()
                .ok_or("the SQLAlchemy extension is not registered")?;
            let engine = Engine::connect(&uri, &instance, options)
                .await?
                .sharing_events(&ext.events);
            if create_all {
                engine.create_all(&ext.metadata).await?;
            }
            let _ = ext.engine.set(engine);
            Ok(())
        });
        // Flask-SQLAlchemy removes the request's session at teardown: what was not committed
        // is rolled back, and the connection goes back to the pool.
        app.teardown_request(|ctx, _error| async move {
            if let Some(DbSession(session)) = ctx.g().remove::<DbSession>()
                && let Err(e) = session.rollback().await
            {
                tracing::error!("rolling back the request's database session failed: {e}");
            }
        });
        app.command(
            Command::new("db")
                .about("Database commands of flask-sqlalchemy.")
                .subcommand_required(true)
                .subcommand(Command::new("create-all").about("Create the models' missing tables."))
                .subcommand(Command::new("drop-all").about("Drop the models' tables.")),
            |ctx| async move {
                let ext = ctx
                    .app()
                    .extension::<SQLAlchemy>()
                    .ok_or("the SQLAlchemy extension is not registered")?;
                let engine = ext.engine().ok_or("the database is not connected")?;
                match ctx.matches().subcommand() {
                    Some(("create-all", _)) => {
                        engine.create_all(&ext.metadata).await?;
                        ctx.echo(format!("Created the tables of {}.", engine.uri()));
                    }
                    Some(("drop-all", _)) => {
                        engine.drop_all(&ext.metadata).await?;
                        ctx.echo(format!("Dropped the tables of {}.", engine.uri()));
                    }
                    _ => return Err(usage(ctx.matches()).into()),
                }
                Ok(())
            },
        );
        Ok(())
    }
}

fn usage(matches: &ArgMatches) -> String {
    format!(
        "unknown db command {:?}: use create-all or drop-all",
        matches.subcommand_name().unwrap_or("")
    )
}

/// The app's database in a handler (Flask-SQLAlchemy's `db`): derefs to [`Engine`].
///
/// A 500 naming the fix when the extension is not registered or the app has not started.
#[derive(Debug, Clone)]
pub struct Db(Engine);

impl Deref for Db {
    type Target = Engine;
    fn deref(&self) -> &Engine {
        &self.0
    }
}

impl crate::Executor for Db {
    fn run_on(&self) -> crate::__private::RunOn<'_> {
        self.0.run_on()
    }
}

impl crate::Executor for DbSession {
    fn run_on(&self) -> crate::__private::RunOn<'_> {
        self.0.run_on()
    }
}

/// The app's engine, or a 500 naming the fix.
fn app_engine(ctx: &RequestContext, extractor: &str) -> Result<Engine, HttpError> {
    let ext: Arc<SQLAlchemy> = ctx.app().extension::<SQLAlchemy>().ok_or_else(|| {
        HttpError::internal(format!(
            "{extractor} needs the SQLAlchemy extension: add .extension(SQLAlchemy::new()) to \
             the app"
        ))
    })?;
    ext.engine().cloned().ok_or_else(|| {
        HttpError::internal("the database is not connected: the app's startup tasks did not run")
    })
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Db {
    type Rejection = HttpError;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let ctx = RequestContext::from_request_parts(parts, state).await?;
        Ok(Db(app_engine(&ctx, "Db")?))
    }
}

/// The request's database session (Flask-SQLAlchemy's `db.session`): derefs to
/// [`Session`]. Every `DbSession` of one request is the same session; at the end of the
/// request (teardown) what it did not commit is rolled back.
///
/// ```
/// use flask::{Flask, routing::post};
/// use flask_sqlalchemy::{DbSession, Model, SQLAlchemy};
///
/// #[derive(Debug, Model)]
/// struct Note {
///     #[model(primary_key)]
///     id: i64,
///     body: String,
/// }
///
/// async fn add(db: DbSession, body: String) -> Result<String, flask::Error> {
///     let mut note = Note { id: 0, body };
///     db.add(&mut note).await?;
///     if note.body.is_empty() {
///         // Not committed: rolled back when the request ends.
///         return Err(flask::Error::with_description(flask::StatusCode::BAD_REQUEST, "a note needs a body"));
///     }
///     db.commit().await?;
///     Ok(format!("note {}", note.id))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = Flask::new("notes")
///     .configure(|c| c.set("SQLALCHEMY_DATABASE_URI", "sqlite://"))
///     .extension(SQLAlchemy::new().model::<Note>().create_all_on_startup())
///     .route("/notes", post(add))
///     .test_client();
/// assert_eq!(client.post("/notes").body("").send().await.status(), 400);
/// assert_eq!(client.post("/notes").body("hello").send().await.text(), "note 1");
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct DbSession(Arc<Session>);

impl Deref for DbSession {
    type Target = Session;
    fn deref(&self) -> &Session {
        &self.0
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for DbSession {
    type Rejection = HttpError;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let ctx = RequestContext::from_request_parts(parts, state).await?;
        let g = ctx.g();
        if let Some(session) = g.get::<DbSession>() {
            return Ok(session);
        }
        let session = DbSession(Arc::new(app_engine(&ctx, "DbSession")?.session()));
        g.insert(session.clone());
        Ok(session)
    }
}

fn not_found(description: Option<&str>) -> HttpError {
    match description {
        Some(d) => HttpError::with_description(StatusCode::NOT_FOUND, d),
        None => HttpError::new(StatusCode::NOT_FOUND),
    }
}

impl Engine {
    /// The row of `M` with primary key `pk`, or a 404 (Flask-SQLAlchemy's `get_or_404`).
    pub async fn get_or_404<M: Model>(&self, pk: impl Into<Value>) -> Result<M, HttpError> {
        self.get::<M>(pk).await?.ok_or_else(|| not_found(None))
    }
}

impl Session {
    /// The row of `M` with primary key `pk`, or a 404 (`get_or_404`).
    pub async fn get_or_404<M: Model>(&self, pk: impl Into<Value>) -> Result<M, HttpError> {
        self.get::<M>(pk).await?.ok_or_else(|| not_found(None))
    }
}

impl<M: Model> Select<'_, M> {
    /// The first matching row, or a 404 (`first_or_404`).
    pub async fn first_or_404(self) -> Result<M, HttpError> {
        self.first().await?.ok_or_else(|| not_found(None))
    }

    /// The one matching row, or a 404 when there is none or more than one (`one_or_404`).
    pub async fn one_or_404(self) -> Result<M, HttpError> {
        match self.one().await {
            Ok(m) => Ok(m),
            Err(crate::Error::NoResultFound { .. } | crate::Error::MultipleResultsFound { .. }) => {
                Err(not_found(None))
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// How [`Select::paginate_args`] reads `?page=` and `?per_page=` (Flask-SQLAlchemy's
/// `paginate()` arguments, same defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageArgs {
    /// Rows per page when the request does not say (20).
    pub per_page: u64,
    /// The most rows per page a request may ask for (100).
    pub max_per_page: u64,
    /// A page number or size that is not a positive number, or a page past the last, is a 404
    /// (on); off, they fall back to page 1 and the default size.
    pub error_out: bool,
}

impl Default for PageArgs {
    fn default() -> Self {
        PageArgs {
            per_page: 20,
            max_per_page: 100,
            error_out: true,
        }
    }
}

impl<M: Model> Select<'_, M> {
    /// The page the request's `?page=` and `?per_page=` ask for, as Flask-SQLAlchemy's
    /// `paginate()` reads them: bad values and pages past the last are 404s with
    /// `error_out`; `per_page` is capped at `max_per_page`.
    pub async fn paginate_args(
        self,
        args: &flask::MultiDict,
        options: PageArgs,
    ) -> Result<crate::Pagination<M>, HttpError> {
        let read = |key: &str, default: u64| -> Result<u64, HttpError> {
            match args.get(key) {
                None => Ok(default),
                Some(raw) => match raw.trim().parse::<u64>() {
                    Ok(n) if n >= 1 => Ok(n),
                    _ if options.error_out => Err(not_found(None)),
                    _ => Ok(default),
                },
            }
        };
        let page = read("page", 1)?;
        let per_page = read("per_page", options.per_page.max(1))?.min(options.max_per_page.max(1));
        let pagination = self.paginate(page, per_page).await?;
        if options.error_out && page > 1 && pagination.items.is_empty() {
            return Err(not_found(None));
        }
        Ok(pagination)
    }
}

impl<M: Model> Select<'_, M> {
    /// The keyset page the request's `?cursor=` and `?per_page=` ask for
    /// ([`Select::keyset`]): a cursor that is not one of ours is a 400 saying so; `per_page`
    /// is read as [`paginate_args`](Select::paginate_args) reads it.
    pub async fn keyset_args(
        self,
        order: crate::OrderBy,
        args: &flask::MultiDict,
        options: PageArgs,
    ) -> Result<crate::KeysetPage<M>, HttpError> {
        let per_page = match args.get("per_page") {
            None => options.per_page.max(1),
            Some(raw) => match raw.trim().parse::<u64>() {
                Ok(n) if n >= 1 => n,
                _ if options.error_out => {
                    return Err(HttpError::with_description(
                        StatusCode::BAD_REQUEST,
                        "per_page must be a whole number from 1",
                    ));
                }
                _ => options.per_page.max(1),
            },
        }
        .min(options.max_per_page.max(1));
        let cursor = args.get("cursor").filter(|c| !c.is_empty());
        match self.keyset(order, per_page, cursor).await {
            Ok(page) => Ok(page),
            Err(crate::Error::BadCursor(message)) => Err(HttpError::with_description(
                StatusCode::BAD_REQUEST,
                message,
            )),
            Err(e) => Err(e.into()),
        }
    }
}
