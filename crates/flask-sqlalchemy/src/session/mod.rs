//! The session: a unit of work on one transaction (SQLAlchemy's `Session`).

mod flush;
mod tracked;
mod unit;

pub use tracked::{ObjectState, Tracked};

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex as SyncMutex, MutexGuard as SyncGuard};

use tokio::sync::{Mutex, MutexGuard};

use crate::engine::exec::{self, Args, Done, On, Rows, Runner, Sql, Tx};
use crate::events::{Change, Operation};
use crate::model::{ops, write};
use crate::{Dialect, Engine, Error, Model, Row, Select, TextQuery, Value};

/// A unit of work on one transaction, as `db.session` is in Flask-SQLAlchemy: what it
/// writes is seen by no one else until [`commit`](Session::commit), and is undone by
/// [`rollback`](Session::rollback) or by dropping the session uncommitted.
///
/// The transaction begins with the first statement (SQLAlchemy's autobegin) and holds one
/// pooled connection until it ends; after a commit or rollback the session can go on, in a
/// new transaction.
///
/// Two ways of writing, which mix:
///
/// - **Tracked objects**, SQLAlchemy's unit of work: [`object`](Session::object),
///   [`Select::objects`] and [`add_object`](Session::add_object) hand out [`Tracked`]
///   objects, one per row per session (the identity map); what changes in them, what is
///   added and what is marked with [`delete_object`](Session::delete_object) is written at
///   the next [`flush`](Session::flush), in dependency order. A commit and every query in
///   the session flush first (autoflush). A commit or rollback expires them.
/// - **Explicit writes**: [`add`](Session::add) and [`delete`](Session::delete) of a plain
///   struct write at once, in the transaction, so a key the database numbers is in the
///   struct when `add` returns. They expire the session's tracked object of the row (a
///   delete detaches it).
///
/// ```
/// use flask_sqlalchemy::{Engine, EngineOptions, MetaData, Model};
///
/// #[derive(Debug, Model)]
/// struct Account {
///     #[model(primary_key)]
///     id: i64,
///     owner: String,
///     balance: i64,
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), flask_sqlalchemy::Error> {
/// let db = Engine::connect("sqlite://", "".as_ref(), EngineOptions::default()).await?;
/// db.create_all(&MetaData::new().register::<Account>()).await?;
///
/// let session = db.session();
/// let mut alice = Account { id: 0, owner: "alice".into(), balance: 100 };
/// session.add(&mut alice).await?;
/// assert_eq!(alice.id, 1); // numbered by the database, in the transaction
/// session.rollback().await?;
/// assert_eq!(db.select::<Account>().count().await?, 0);
///
/// session.add(&mut Account { id: 0, owner: "bob".into(), balance: 5 }).await?;
/// session.commit().await?;
/// assert_eq!(db.select::<Account>().count().await?, 1);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Session {
    engine: Engine,
    /// The open transaction, once a statement has run; locked while a statement runs.
    state: Mutex<State>,
    /// Savepoint bookkeeping, never held across an await (a dropped savepoint writes here).
    marks: SyncMutex<Marks>,
    /// The tracked objects (identity map, pending, deleted); never held across an await.
    unit: SyncMutex<unit::Unit>,
    /// Set when a tracked object changes, is added or deleted: a flush has work.
    changed: Arc<AtomicBool>,
    /// Set while a flush runs (its statements do not flush again).
    flushing: AtomicBool,
    /// Which session this is, for objects to say who tracks them.
    id: u64,
}

/// Sessions numbered so far.
static SESSIONS: AtomicU64 = AtomicU64::new(0);

#[derive(Default)]
struct State {
    tx: Option<Tx>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("in_transaction", &self.tx.is_some())
            .finish()
    }
}

#[derive(Debug, Default)]
struct Marks {
    /// The savepoints open in the transaction, innermost last, with how many changes there
    /// were when each opened.
    savepoints: Vec<(u64, usize)>,
    /// The rows written in the transaction, for `models_committed`.
    changes: Vec<Change>,
    /// Savepoints numbered so far.
    numbered: u64,
    /// Statements owed before the next one: the rollback of a savepoint dropped open.
    owed: Vec<String>,
}

impl Engine {
    /// A new session (SQLAlchemy's `Session(engine)`); it takes a connection from the pool
    /// at its first statement.
    pub fn session(&self) -> Session {
        Session {
            engine: self.clone(),
            state: Mutex::new(State::default()),
            marks: SyncMutex::new(Marks::default()),
            unit: SyncMutex::new(unit::Unit::default()),
            changed: Arc::new(AtomicBool::new(false)),
            flushing: AtomicBool::new(false),
            id: SESSIONS.fetch_add(1, Ordering::Relaxed),
        }
    }
}

impl Session {
    /// The engine the session runs on.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The database family.
    pub fn dialect(&self) -> Dialect {
        self.engine.dialect()
    }

    /// Whether a transaction is open (a statement ran since the last commit or rollback).
    pub async fn in_transaction(&self) -> bool {
        self.state.lock().await.tx.is_some()
    }

    /// A query for rows of `M`, run in the session's transaction (it sees what the session
    /// wrote and has not committed).
    pub fn select<M: Model>(&self) -> Select<'_, M> {
        Select::on(Runner::Session(self))
    }

    /// The row of `M` whose (single-column) primary key is `pk` (`session.get(Post, 5)`).
    pub async fn get<M: Model>(&self, pk: impl Into<Value>) -> Result<Option<M>, Error> {
        ops::get(Runner::Session(self), pk.into()).await
    }

    /// The row of `M` whose primary key is `key`, one value per key column in column order
    /// (a composite key's `session.get(Model, (a, b))`).
    pub async fn get_by_key<M: Model>(&self, key: Vec<Value>) -> Result<Option<M>, Error> {
        ops::get_by_key(Runner::Session(self), &key).await
    }

    /// Every row of `M`, by primary key.
    pub async fn all<M: Model>(&self) -> Result<Vec<M>, Error> {
        ops::all(Runner::Session(self)).await
    }

    /// Writes `model` in the transaction (`session.add(post)`): a new row when its
    /// autoincrement key is 0 or its primary key is not in the table (the key the database
    /// numbers and server defaults are written back into the struct); otherwise an update
    /// of its row. A [`Tracked`] object of the same row is expired (its next load reads what
    /// was written).
    pub async fn add<M: Model>(&self, model: &mut M) -> Result<(), Error> {
        let runner = Runner::Session(self);
        let table = &M::TABLE;
        let numbered = table.autoincrement().is_some_and(|auto| {
            let values = model.values();
            let i = table.columns.iter().position(|c| c.name == auto.name);
            i.and_then(|i| values.get(i))
                .is_some_and(|v| matches!(v, Value::Int(0)))
        });
        let operation = if !numbered && write::exists(runner, model).await? {
            write::update(runner, model).await?;
            Operation::Update
        } else {
            ops::insert(runner, model).await?;
            Operation::Insert
        };
        self.marks().changes.push(Change::of(model, operation));
        self.explicit_write(
            std::any::TypeId::of::<M>(),
            &M::TABLE,
            &model.values(),
            false,
        );
        Ok(())
    }

    /// Deletes `model`'s row in the transaction, found by primary key; returns how many rows
    /// went (0 or 1). A [`Tracked`] object of the row, and of the rows its `cascade =
    /// "delete"` relationships took along, is detached.
    pub async fn delete<M: Model>(&self, model: &M) -> Result<u64, Error> {
        let n = write::delete(Runner::Session(self), model).await?;
        if n > 0 {
            self.marks()
                .changes
                .push(Change::of(model, Operation::Delete));
            self.explicit_write(
                std::any::TypeId::of::<M>(),
                &M::TABLE,
                &model.values(),
                true,
            );
        }
        Ok(n)
    }

    /// Runs a `text()` statement in the transaction; returns how many rows it changed.
    pub async fn execute(&self, query: TextQuery) -> Result<u64, Error> {
        Runner::Session(self).text_execute(query).await
    }

    /// Runs a `text()` query in the transaction and returns every row.
    pub async fn fetch_all(&self, query: TextQuery) -> Result<Vec<Row>, Error> {
        Runner::Session(self).text_fetch_all(query).await
    }

    /// Runs a `text()` query in the transaction and returns its first row, if any.
    pub async fn fetch_optional(&self, query: TextQuery) -> Result<Option<Row>, Error> {
        Ok(self.fetch_all(query).await?.into_iter().next())
    }

    /// Runs a `text()` query in the transaction and returns the first column of its first
    /// row (`NULL` when there is no row).
    pub async fn scalar(&self, query: TextQuery) -> Result<Value, Error> {
        Ok(crate::engine::first_value(
            self.fetch_optional(query).await?,
        ))
    }

    /// Commits the transaction: what the session wrote is now seen by everyone. With no
    /// transaction open it does nothing.
    pub async fn commit(&self) -> Result<(), Error> {
        self.flush().await?;
        let mut state = self.state.lock().await;
        // A savepoint dropped open still owes its rollback: it comes before the commit.
        let owed = std::mem::take(&mut self.marks().owed);
        if let Some(tx) = state.tx.as_mut() {
            for sql in owed {
                exec::execute(&self.engine, On::Tx(tx), sql.into(), Args::Raw).await?;
            }
        }
        let changes = self.forget_savepoints();
        match state.tx.take() {
            Some(tx) => {
                tx.commit(&self.engine).await?;
                self.unit().committed();
                self.engine.events().committed(&changes);
                Ok(())
            }
            None => {
                self.unit().committed();
                Ok(())
            }
        }
    }

    /// Rolls the transaction back: what the session wrote since it began is undone. With no
    /// transaction open it does nothing.
    pub async fn rollback(&self) -> Result<(), Error> {
        let mut state = self.state.lock().await;
        let _undone = self.forget_savepoints();
        self.unit().rolled_back();
        match state.tx.take() {
            Some(tx) => tx.rollback(&self.engine).await,
            None => Ok(()),
        }
    }

    /// Opens a savepoint (SQLAlchemy's `begin_nested()`): [`Savepoint::rollback`] undoes
    /// what was written since, and leaves the rest of the transaction as it was;
    /// [`Savepoint::commit`] keeps it, for the outer transaction to commit or not. Dropped
    /// without either, the savepoint rolls back.
    ///
    /// On PostgreSQL a failed statement spoils the whole transaction; inside a savepoint,
    /// rolling the savepoint back recovers it.
    pub async fn begin_nested(&self) -> Result<Savepoint<'_>, Error> {
        let mut state = self.state.lock().await;
        let id = {
            let mut marks = self.marks();
            marks.numbered += 1;
            marks.numbered
        };
        self.run_in(
            &mut state,
            format!("SAVEPOINT sa_savepoint_{id}"),
            Args::Raw,
        )
        .await?;
        let mut marks = self.marks();
        let changes = marks.changes.len();
        marks.savepoints.push((id, changes));
        Ok(Savepoint {
            session: self,
            id,
            done: false,
        })
    }

    /// Runs a query in the transaction (beginning it if need be) and returns its rows.
    pub(crate) async fn run_fetch(&self, sql: Sql, args: Args, one: bool) -> Result<Rows, Error> {
        self.autoflush().await?;
        let mut state = self.state.lock().await;
        let tx = self.begun(&mut state).await?;
        exec::fetch(&self.engine, On::Tx(tx), sql, args, one).await
    }

    /// Runs a statement in the transaction (beginning it if need be).
    pub(crate) async fn run_execute(&self, sql: Sql, args: Args) -> Result<Done, Error> {
        self.autoflush().await?;
        let mut state = self.state.lock().await;
        self.run_in(&mut state, sql, args).await
    }

    async fn run_in(
        &self,
        state: &mut MutexGuard<'_, State>,
        sql: impl Into<Sql>,
        args: Args,
    ) -> Result<Done, Error> {
        let tx = self.begun(state).await?;
        exec::execute(&self.engine, On::Tx(tx), sql.into(), args).await
    }

    /// The open transaction, begun now if there is none, with what is owed run first.
    async fn begun<'s>(&self, state: &'s mut MutexGuard<'_, State>) -> Result<&'s mut Tx, Error> {
        let state: &'s mut State = state;
        let tx = match state.tx.take() {
            Some(tx) => tx,
            None => Tx::begin(&self.engine).await?,
        };
        let tx = state.tx.insert(tx);
        let owed = std::mem::take(&mut self.marks().owed);
        for sql in owed {
            exec::execute(&self.engine, On::Tx(tx), sql.into(), Args::Raw).await?;
        }
        Ok(tx)
    }

    /// Ends savepoint `id` (and those opened after it), releasing or rolling it back.
    async fn end_savepoint(&self, id: u64, keep: bool) -> Result<(), Error> {
        let mut state = self.state.lock().await;
        {
            let mut marks = self.marks();
            let Some(at) = marks.savepoints.iter().position(|s| s.0 == id) else {
                // The transaction ended (commit or rollback) and took the savepoint with it.
                return Err(Error::Transaction(format!(
                    "savepoint sa_savepoint_{id} is gone: the session's transaction ended \
                     before it was committed or rolled back"
                )));
            };
            if !keep {
                let changes = marks.savepoints[at].1;
                marks.changes.truncate(changes);
            }
            marks.savepoints.truncate(at);
        }
        if !keep {
            // What the objects hold may be what was undone: they load again.
            self.unit().expire_all();
        }
        let sql = if keep {
            format!("RELEASE SAVEPOINT sa_savepoint_{id}")
        } else {
            format!("ROLLBACK TO SAVEPOINT sa_savepoint_{id}")
        };
        self.run_in(&mut state, sql, Args::Raw).await?;
        if !keep {
            // Rolled back to, the savepoint still exists: release it too.
            self.run_in(
                &mut state,
                format!("RELEASE SAVEPOINT sa_savepoint_{id}"),
                Args::Raw,
            )
            .await?;
        }
        Ok(())
    }

    fn unit(&self) -> SyncGuard<'_, unit::Unit> {
        self.unit.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Which session this is.
    fn id(&self) -> u64 {
        self.id
    }

    /// The flag tracked objects set when they change.
    fn changed_flag(&self) -> &Arc<AtomicBool> {
        &self.changed
    }

    fn marks(&self) -> SyncGuard<'_, Marks> {
        self.marks.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ends the transaction's bookkeeping; returns what it wrote.
    fn forget_savepoints(&self) -> Vec<Change> {
        let mut marks = self.marks();
        marks.savepoints.clear();
        marks.owed.clear();
        std::mem::take(&mut marks.changes)
    }
}

/// A savepoint in a session's transaction, from [`Session::begin_nested`].
#[derive(Debug)]
#[must_use = "a savepoint dropped at once rolls back at once; commit or roll it back"]
pub struct Savepoint<'s> {
    session: &'s Session,
    id: u64,
    done: bool,
}

impl Savepoint<'_> {
    /// Keeps what was written since the savepoint (`RELEASE SAVEPOINT`); the outer
    /// transaction still decides.
    pub async fn commit(mut self) -> Result<(), Error> {
        self.done = true;
        self.session.end_savepoint(self.id, true).await
    }

    /// Undoes what was written since the savepoint (`ROLLBACK TO SAVEPOINT`).
    pub async fn rollback(mut self) -> Result<(), Error> {
        self.done = true;
        self.session.end_savepoint(self.id, false).await
    }
}

impl Drop for Savepoint<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        // No await in drop: the rollback is owed, and runs before the session's next
        // statement or its commit (a rollback of the transaction makes it moot).
        let id = self.id;
        let mut marks = self.session.marks();
        if let Some(at) = marks.savepoints.iter().position(|s| s.0 == id) {
            let changes = marks.savepoints[at].1;
            marks.changes.truncate(changes);
            marks.savepoints.truncate(at);
            marks
                .owed
                .push(format!("ROLLBACK TO SAVEPOINT sa_savepoint_{id}"));
            marks
                .owed
                .push(format!("RELEASE SAVEPOINT sa_savepoint_{id}"));
        }
    }
}
