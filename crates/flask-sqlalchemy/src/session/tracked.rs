//! Objects a session tracks: one per row per session, with what they held when loaded, so a
//! flush finds what changed.

use std::any::{Any, TypeId};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{
    Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard, TryLockError,
};

use crate::engine::exec::Runner;
use crate::events::{Change, ModelEvent, Operation};
use crate::model::{Key, Table, key, ops, write};
use crate::{Error, Model, Session, Value};

/// Where a [`Tracked`] object stands in its session (SQLAlchemy's object states).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ObjectState {
    /// Added ([`Session::add_object`]) and not flushed yet: the next flush inserts it.
    Pending,
    /// Its row exists (loaded, or inserted by a flush): what changes in it is written at the
    /// next flush.
    Persistent,
    /// Marked with [`Session::delete_object`]: the next flush deletes its row; it stays
    /// deleted until the transaction ends.
    Deleted,
    /// Not tracked: expunged, deleted and committed, its insert rolled back, or never in a
    /// session. What changes in it stays in Rust.
    Detached,
}

/// An object a [`Session`] tracks (SQLAlchemy's mapped instance): one per row per session,
/// shared by every handle to it. Change it through [`write`](Tracked::write) and the next
/// flush (a commit, a query in the session, or [`Session::flush`]) writes the columns that
/// changed.
///
/// ```
/// use flask_sqlalchemy::{Engine, EngineOptions, MetaData, Model};
///
/// #[derive(Debug, Clone, Model)]
/// struct Post {
///     #[model(primary_key)]
///     id: i64,
///     title: String,
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), flask_sqlalchemy::Error> {
/// let db = Engine::connect("sqlite://", "".as_ref(), EngineOptions::default()).await?;
/// db.create_all(&MetaData::new().register::<Post>()).await?;
/// db.insert(&mut Post { id: 0, title: "Hello".into() }).await?;
///
/// let session = db.session();
/// let post = session.object::<Post>(1).await?.expect("post 1");
/// post.write().title = "Hello, world".into();
/// session.commit().await?; // UPDATE post SET title = ? WHERE post.id = ?
/// assert_eq!(db.get::<Post>(1).await?.unwrap().title, "Hello, world");
/// # Ok(()) }
/// ```
///
/// The guards of [`read`](Tracked::read) and [`write`](Tracked::write) are plain locks:
/// take them for a statement or a block, never across an `.await` (a handler's future would
/// not be `Send`, and a flush waits for them).
pub struct Tracked<M> {
    pub(crate) entry: Arc<Entry<M>>,
}

impl<M> Clone for Tracked<M> {
    fn clone(&self) -> Self {
        Tracked {
            entry: Arc::clone(&self.entry),
        }
    }
}

impl<M: Model + std::fmt::Debug> std::fmt::Debug for Tracked<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.entry.meta().state;
        let object = self
            .entry
            .object
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("Tracked")
            .field("state", &state)
            .field("object", &*object)
            .finish()
    }
}

impl<M: Model> Tracked<M> {
    /// The object, to read (`post.read().title`).
    pub fn read(&self) -> RwLockReadGuard<'_, M> {
        self.entry
            .object
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The object, to change (`post.write().title = "x".into()`): the first change since it
    /// was loaded or flushed records what it held, and the next flush writes the columns
    /// that differ from that.
    pub fn write(&self) -> RwLockWriteGuard<'_, M> {
        let object = self
            .entry
            .object
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        self.entry.mark_changing(&object);
        object
    }

    /// Where it stands in its session.
    pub fn state(&self) -> ObjectState {
        self.entry.meta().state
    }

    /// Whether a change since it was loaded or flushed waits for the next flush
    /// (SQLAlchemy's `session.is_modified(obj)`); a pending object counts as modified.
    pub fn is_modified(&self) -> bool {
        let object = self.read();
        let meta = self.entry.meta();
        match meta.state {
            ObjectState::Pending => true,
            ObjectState::Persistent => meta.loaded.as_ref().is_some_and(|l| *l != object.values()),
            ObjectState::Deleted | ObjectState::Detached => false,
        }
    }

    /// Whether it was expired ([`Session::expire`], a commit, a rollback): the next load of
    /// its row through the session replaces what it holds.
    pub fn is_expired(&self) -> bool {
        self.entry.meta().expired
    }

    /// Whether `other` is this very object (Python's `is`): a session hands out one object
    /// per row.
    pub fn is(&self, other: &Tracked<M>) -> bool {
        Arc::ptr_eq(&self.entry, &other.entry)
    }
}

impl<M: Model + Clone> Tracked<M> {
    /// A copy of the object as it is now, no longer tracked.
    pub fn cloned(&self) -> M {
        self.read().clone()
    }

    /// A new object, tracked by no session yet.
    pub(crate) fn new(model: M, state: ObjectState, session: &Session) -> Self {
        Tracked {
            entry: Arc::new(Entry {
                object: RwLock::new(model),
                meta: Mutex::new(Meta {
                    state,
                    loaded: None,
                    expired: false,
                    session: Some((session.id(), Arc::clone(session.changed_flag()))),
                    links: Vec::new(),
                }),
            }),
        }
    }

    /// The object as the session's bookkeeping holds it.
    pub(crate) fn slot(&self) -> Arc<dyn Slot> {
        Arc::clone(&self.entry) as Arc<dyn Slot>
    }

    /// The handle of a slot that holds an `M`.
    pub(crate) fn of_slot(slot: &Arc<dyn Slot>) -> Option<Self> {
        Arc::clone(slot)
            .into_any()
            .downcast::<Entry<M>>()
            .ok()
            .map(|entry| Tracked { entry })
    }

    /// Replaces what it holds with a row just read, as loaded (no change pending).
    pub(crate) fn replace(&self, model: M) -> Result<(), Error> {
        let mut object = write_lock(&self.entry.object)?;
        let mut meta = self.entry.meta();
        *object = model;
        meta.loaded = None;
        meta.expired = false;
        Ok(())
    }
}

/// A foreign key to fill in at flush from a pending object's key, once it has one.
pub(crate) struct Link {
    /// The column of this object's table.
    pub(crate) column: usize,
    /// The object whose key goes there.
    pub(crate) parent: Arc<dyn Slot>,
    /// The column of the parent's table holding that key.
    pub(crate) parent_column: usize,
}

/// A session's bookkeeping of one object.
pub(crate) struct Meta {
    pub(crate) state: ObjectState,
    /// The values it held when loaded or last flushed, recorded at its first change since.
    pub(crate) loaded: Option<Vec<Value>>,
    /// Replaced by the next load of its row.
    pub(crate) expired: bool,
    /// The session tracking it: its id, and its "something changed" flag.
    pub(crate) session: Option<(u64, Arc<AtomicBool>)>,
    /// Foreign keys waiting for a pending object's key.
    pub(crate) links: Vec<Link>,
}

/// The object and the session's bookkeeping of it.
pub(crate) struct Entry<M> {
    object: RwLock<M>,
    meta: Mutex<Meta>,
}

impl<M: Model> Entry<M> {
    fn read_object(&self) -> RwLockReadGuard<'_, M> {
        self.object.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn meta(&self) -> MutexGuard<'_, Meta> {
        self.meta.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records what a persistent object holds before its first change, and tells its
    /// session a flush has work.
    fn mark_changing(&self, object: &M) {
        let mut meta = self.meta();
        if meta.state == ObjectState::Persistent && meta.loaded.is_none() {
            meta.loaded = Some(object.values());
        }
        if let Some((_, changed)) = &meta.session {
            changed.store(true, Ordering::Release);
        }
    }
}

/// What a statement of a flush returns, boxed: the objects of a flush are of many types.
pub(crate) type Flushing<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// A tracked object of any model, as a flush handles it.
pub(crate) trait Slot: Send + Sync + 'static {
    /// Its model's table.
    fn table(&self) -> &'static Table;
    /// Its model's type.
    fn model(&self) -> TypeId;
    /// Its values now, in column order.
    fn values(&self) -> Vec<Value>;
    /// The session's bookkeeping of it.
    fn meta(&self) -> MutexGuard<'_, Meta>;
    /// Itself, to be downcast to its model's entry.
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
    /// Sets a key column (a foreign key at flush), as a change; whether the field took it.
    fn set_key_value(&self, column: usize, value: &Value) -> Result<bool, Error>;
    /// Inserts its row, and takes back the key the database numbered.
    fn insert<'a>(&'a self, session: &'a Session) -> Flushing<'a, ()>;
    /// Runs the model's `before_update` or `after_update` listeners on it.
    fn fire(&self, session: &Session, event: ModelEvent) -> Result<(), Error>;
    /// Records a write of it for `models_committed`.
    fn record(&self, session: &Session, operation: Operation);
    /// Deletes its row (and what cascades from it).
    fn delete<'a>(&'a self, session: &'a Session) -> Flushing<'a, u64>;
}

impl<M: Model + Clone> Slot for Entry<M> {
    fn table(&self) -> &'static Table {
        &M::TABLE
    }

    fn model(&self) -> TypeId {
        TypeId::of::<M>()
    }

    fn values(&self) -> Vec<Value> {
        self.object
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
    }

    fn meta(&self) -> MutexGuard<'_, Meta> {
        Entry::meta(self)
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }

    fn set_key_value(&self, column: usize, value: &Value) -> Result<bool, Error> {
        let mut object = write_lock(&self.object)?;
        let before = object.values();
        if before.get(column) == Some(value) {
            return Ok(true);
        }
        self.mark_changing(&object);
        Ok(object.set_key_value(column, value))
    }

    fn insert<'a>(&'a self, session: &'a Session) -> Flushing<'a, ()> {
        Box::pin(async move {
            let mut copy = self
                .object
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            ops::insert(Runner::Session(session), &mut copy).await?;
            *write_lock(&self.object)? = copy;
            self.record(session, Operation::Insert);
            Ok(())
        })
    }

    fn fire(&self, session: &Session, event: ModelEvent) -> Result<(), Error> {
        let events = session.engine().events();
        if !events.active() {
            return Ok(());
        }
        match event {
            ModelEvent::BeforeInsert | ModelEvent::BeforeUpdate => {
                let mut object = write_lock(&self.object)?;
                events.fire_mut(event, &mut *object);
            }
            _ => events.fire(event, &*self.read_object()),
        }
        Ok(())
    }

    fn record(&self, session: &Session, operation: Operation) {
        let change = Change::of(&*self.read_object(), operation);
        session.marks().changes.push(change);
    }

    fn delete<'a>(&'a self, session: &'a Session) -> Flushing<'a, u64> {
        Box::pin(async move {
            let copy = self
                .object
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            write::delete(Runner::Session(session), &copy).await
        })
    }
}

/// The object, for the session's own writes (a flush, a load replacing an expired
/// object): a guard of `read()` or `write()` kept alive across an `.await` in the same task
/// would make a plain lock wait for ever, so after a moment this is an error that says so.
fn write_lock<M: Model>(lock: &RwLock<M>) -> Result<RwLockWriteGuard<'_, M>, Error> {
    for _ in 0..1000 {
        match lock.try_write() {
            Ok(guard) => return Ok(guard),
            Err(TryLockError::Poisoned(e)) => return Ok(e.into_inner()),
            Err(TryLockError::WouldBlock) => std::thread::yield_now(),
        }
    }
    Err(Error::Transaction(format!(
        "a {} object the session must write to is borrowed: a guard of read() or write() is \
         alive across an .await (as in `f(post.read().id).await`); copy the field out first \
         (`let id = post.read().id;`)",
        M::TABLE.name
    )))
}

/// Which row an object is: its model and primary key (SQLAlchemy's identity key).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Identity {
    model: TypeId,
    key: Vec<Key>,
}

impl Identity {
    /// The identity of the row with these values (in column order) of `table`; `None` while
    /// a key column is `NULL` or an autoincrement key is still 0 (not numbered yet).
    pub(crate) fn of(model: TypeId, table: &Table, values: &[Value]) -> Option<Identity> {
        let mut parts = Vec::new();
        for (column, value) in table.columns.iter().zip(values) {
            if !column.primary_key {
                continue;
            }
            if column.autoincrement && matches!(value, Value::Int(0)) {
                return None;
            }
            parts.push(key(value)?);
        }
        (!parts.is_empty()).then_some(Identity { model, key: parts })
    }

    /// The identity of the row of `M` whose primary key is `values`.
    pub(crate) fn of_key<M: Model>(values: &[Value]) -> Option<Identity> {
        let parts: Option<Vec<Key>> = values.iter().map(key).collect();
        Some(Identity {
            model: TypeId::of::<M>(),
            key: parts?,
        })
    }

    /// The identity of a slot, from its values now.
    pub(crate) fn of_slot(slot: &dyn Slot) -> Option<Identity> {
        Identity::of(slot.model(), slot.table(), &slot.values())
    }
}
