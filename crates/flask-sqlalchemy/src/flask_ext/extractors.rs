//! The handler extractors: `Db` (the engines) and `DbSession` (the request's session).

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::Arc;

use flask::{Error as HttpError, RequestContext};

use super::SQLAlchemy;
use crate::{Engine, Error, Model, Select, Session, Table, Tracked, Value};

/// The app's engines: the default database and one per `SQLALCHEMY_BINDS` key.
#[derive(Debug, Clone)]
pub(crate) struct Engines {
    pub(crate) default: Engine,
    pub(crate) binds: Arc<HashMap<String, Engine>>,
}

impl Engines {
    /// The engine of `table`'s bind (the default one without a bind).
    pub(crate) fn for_table(&self, table: &Table) -> &Engine {
        table
            .bind
            .and_then(|key| self.binds.get(key))
            .unwrap_or(&self.default)
    }
}

/// The app's database in a handler (Flask-SQLAlchemy's `db`): derefs to the default
/// [`Engine`].
///
/// With `SQLALCHEMY_BINDS`, `select`, `get`, `all`, `insert`, `update`, `delete` and
/// `get_or_404` go to the model's bind (`#[model(bind = "users")]`), and relationships load
/// from theirs; [`bind`](Db::bind) gives one engine. Raw `text()` runs on the default one.
///
/// A 500 naming the fix when the extension is not registered or the app has not started.
#[derive(Debug, Clone)]
pub struct Db(Engines);

impl Deref for Db {
    type Target = Engine;
    fn deref(&self) -> &Engine {
        &self.0.default
    }
}

impl Db {
    /// The engine of one `SQLALCHEMY_BINDS` key.
    pub fn bind(&self, key: &str) -> Option<&Engine> {
        self.0.binds.get(key)
    }

    /// The engine model `M` lives in.
    pub fn engine_for<M: Model>(&self) -> &Engine {
        self.0.for_table(&M::TABLE)
    }

    /// A query for rows of `M`, on its database.
    pub fn select<M: Model>(&self) -> Select<'_, M> {
        self.engine_for::<M>().select().routed(self)
    }

    /// The row of `M` whose primary key is `pk`, from its database.
    pub async fn get<M: Model>(&self, pk: impl Into<Value>) -> Result<Option<M>, Error> {
        self.engine_for::<M>().get(pk).await
    }

    /// The row of `M` whose primary key is `key` (one value per key column), from its
    /// database.
    pub async fn get_by_key<M: Model>(&self, key: Vec<Value>) -> Result<Option<M>, Error> {
        self.engine_for::<M>().get_by_key(key).await
    }

    /// The row of `M` with primary key `pk`, or a 404.
    pub async fn get_or_404<M: Model>(&self, pk: impl Into<Value>) -> Result<M, HttpError> {
        self.engine_for::<M>().get_or_404(pk).await
    }

    /// The row of `M` with primary key `pk`, or a 404 saying `description`.
    pub async fn get_or_404_with<M: Model>(
        &self,
        pk: impl Into<Value>,
        description: &str,
    ) -> Result<M, HttpError> {
        self.engine_for::<M>()
            .get_or_404_with(pk, description)
            .await
    }

    /// Every row of `M`, by primary key.
    pub async fn all<M: Model>(&self) -> Result<Vec<M>, Error> {
        self.engine_for::<M>().all().await
    }

    /// Inserts `model` into its database ([`Engine::insert`]).
    pub async fn insert<M: Model>(&self, model: &mut M) -> Result<(), Error> {
        self.engine_for::<M>().insert(model).await
    }

    /// Updates `model`'s row in its database ([`Engine::update`]).
    pub async fn update<M: Model>(&self, model: &mut M) -> Result<u64, Error> {
        self.engine_for::<M>().update(model).await
    }

    /// Deletes `model`'s row from its database ([`Engine::delete`]).
    pub async fn delete<M: Model>(&self, model: &M) -> Result<u64, Error> {
        self.engine_for::<M>().delete(model).await
    }
}

impl crate::Executor for Db {
    fn run_on(&self) -> crate::__private::RunOn<'_> {
        self.0.default.run_on()
    }

    fn run_for(&self, table: &'static Table) -> crate::__private::RunOn<'_> {
        self.0.for_table(table).run_on()
    }
}

impl crate::Executor for DbSession {
    fn run_on(&self) -> crate::__private::RunOn<'_> {
        self.0.default.run_on()
    }

    fn run_for(&self, table: &'static Table) -> crate::__private::RunOn<'_> {
        self.session_for(table).run_on()
    }
}

/// The app's engines, or a 500 naming the fix.
fn app_engines(ctx: &RequestContext, extractor: &str) -> Result<Engines, HttpError> {
    let ext: Arc<SQLAlchemy> = ctx.app().extension::<SQLAlchemy>().ok_or_else(|| {
        HttpError::internal(format!(
            "{extractor} needs the SQLAlchemy extension: add .extension(SQLAlchemy::new()) to \
             the app"
        ))
    })?;
    ext.engines.get().cloned().ok_or_else(|| {
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
        Ok(Db(app_engines(&ctx, "Db")?))
    }
}

/// The request's database session (Flask-SQLAlchemy's `db.session`): derefs to
/// [`Session`]. Every `DbSession` of one request is the same session; at the end of the
/// request (teardown) what it did not commit is rolled back.
///
/// With `SQLALCHEMY_BINDS` it holds a session per database: `add`, `delete`, `get`, `all`
/// and `select` go to the model's bind, and `commit` / `rollback` end them all (one after
/// the other: a commit across databases is not atomic, as in SQLAlchemy without two-phase
/// commit).
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
/// #[flask::view]
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
pub struct DbSession(Arc<Sessions>);

/// A session per database: the default one and one per bind.
#[derive(Debug)]
struct Sessions {
    default: Session,
    binds: HashMap<String, Session>,
}

impl Deref for DbSession {
    type Target = Session;
    fn deref(&self) -> &Session {
        &self.0.default
    }
}

impl DbSession {
    fn session_for(&self, table: &Table) -> &Session {
        table
            .bind
            .and_then(|key| self.0.binds.get(key))
            .unwrap_or(&self.0.default)
    }

    /// The session of one `SQLALCHEMY_BINDS` key.
    pub fn bind(&self, key: &str) -> Option<&Session> {
        self.0.binds.get(key)
    }

    /// A query for rows of `M`, in its database's session.
    pub fn select<M: Model>(&self) -> Select<'_, M> {
        self.session_for(&M::TABLE).select().routed(self)
    }

    /// The row of `M` whose primary key is `pk`, in its database's session.
    pub async fn get<M: Model>(&self, pk: impl Into<Value>) -> Result<Option<M>, Error> {
        self.session_for(&M::TABLE).get(pk).await
    }

    /// The row of `M` whose primary key is `key` (one value per key column), in its
    /// database's session.
    pub async fn get_by_key<M: Model>(&self, key: Vec<Value>) -> Result<Option<M>, Error> {
        self.session_for(&M::TABLE).get_by_key(key).await
    }

    /// The row of `M` with primary key `pk`, or a 404.
    pub async fn get_or_404<M: Model>(&self, pk: impl Into<Value>) -> Result<M, HttpError> {
        self.session_for(&M::TABLE).get_or_404(pk).await
    }

    /// The row of `M` with primary key `pk`, or a 404 saying `description`.
    pub async fn get_or_404_with<M: Model>(
        &self,
        pk: impl Into<Value>,
        description: &str,
    ) -> Result<M, HttpError> {
        self.session_for(&M::TABLE)
            .get_or_404_with(pk, description)
            .await
    }

    /// Every row of `M`, by primary key.
    pub async fn all<M: Model>(&self) -> Result<Vec<M>, Error> {
        self.session_for(&M::TABLE).all().await
    }

    /// Writes `model` in its database's session ([`Session::add`]).
    pub async fn add<M: Model>(&self, model: &mut M) -> Result<(), Error> {
        self.session_for(&M::TABLE).add(model).await
    }

    /// Deletes `model`'s row in its database's session ([`Session::delete`]).
    pub async fn delete<M: Model>(&self, model: &M) -> Result<u64, Error> {
        self.session_for(&M::TABLE).delete(model).await
    }

    /// The tracked object of the row of `M` whose primary key is `pk`, in its database's
    /// session ([`Session::object`]).
    pub async fn object<M: Model + Clone>(
        &self,
        pk: impl Into<Value>,
    ) -> Result<Option<Tracked<M>>, Error> {
        self.session_for(&M::TABLE).object(pk).await
    }

    /// The tracked object of the row of `M` with primary key `pk`, or a 404.
    pub async fn object_or_404<M: Model + Clone>(
        &self,
        pk: impl Into<Value>,
    ) -> Result<Tracked<M>, HttpError> {
        self.session_for(&M::TABLE).object_or_404(pk).await
    }

    /// Adds a new object to its database's session, inserted at the next flush
    /// ([`Session::add_object`]).
    pub fn add_object<M: Model + Clone>(&self, model: M) -> Tracked<M> {
        self.session_for(&M::TABLE).add_object(model)
    }

    /// Marks a tracked object for deletion at the next flush ([`Session::delete_object`]).
    pub fn delete_object<M: Model + Clone>(&self, tracked: &Tracked<M>) -> Result<(), Error> {
        self.session_for(&M::TABLE).delete_object(tracked)
    }

    /// Copies `model` onto its database's session's object of the row ([`Session::merge`]).
    pub async fn merge<M: Model + Clone>(&self, model: M) -> Result<Tracked<M>, Error> {
        self.session_for(&M::TABLE).merge(model).await
    }

    /// Loads a tracked object's row again ([`Session::refresh`]).
    pub async fn refresh<M: Model + Clone>(&self, tracked: &Tracked<M>) -> Result<(), Error> {
        self.session_for(&M::TABLE).refresh(tracked).await
    }

    /// Expires a tracked object ([`Session::expire`]).
    pub fn expire<M: Model + Clone>(&self, tracked: &Tracked<M>) {
        self.session_for(&M::TABLE).expire(tracked);
    }

    /// Stops tracking an object ([`Session::expunge`]).
    pub fn expunge<M: Model + Clone>(&self, tracked: &Tracked<M>) {
        self.session_for(&M::TABLE).expunge(tracked);
    }

    /// Flushes every database's session, the default one first ([`Session::flush`]).
    pub async fn flush(&self) -> Result<(), Error> {
        self.0.default.flush().await?;
        for session in self.0.binds.values() {
            session.flush().await?;
        }
        Ok(())
    }

    /// Commits every database's session, the default one first; stops at the first that
    /// fails (the others are rolled back at teardown).
    pub async fn commit(&self) -> Result<(), Error> {
        self.0.default.commit().await?;
        for session in self.0.binds.values() {
            session.commit().await?;
        }
        Ok(())
    }

    /// Rolls every database's session back.
    pub async fn rollback(&self) -> Result<(), Error> {
        let mut first = self.0.default.rollback().await;
        for session in self.0.binds.values() {
            let done = session.rollback().await;
            if first.is_ok() {
                first = done;
            }
        }
        first
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
        let engines = app_engines(&ctx, "DbSession")?;
        let session = DbSession(Arc::new(Sessions {
            default: engines.default.session(),
            binds: engines
                .binds
                .iter()
                .map(|(k, e)| (k.clone(), e.session()))
                .collect(),
        }));
        g.insert(session.clone());
        // Flask-SQLAlchemy removes the request's session at teardown: what was not
        // committed is rolled back, and the connection goes back to the pool. Registered
        // when the session is opened, so a request without one pays nothing for it.
        let ended = session.clone();
        ctx.teardown_this_request(move |_error| async move {
            if let Err(e) = ended.rollback().await {
                tracing::error!("rolling back the request's database session failed: {e}");
            }
        });
        Ok(session)
    }
}
