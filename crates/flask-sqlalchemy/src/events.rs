//! Model events (SQLAlchemy's `before_insert`, `after_update`, ...) and Flask-SQLAlchemy's
//! `models_committed`.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use crate::{Model, Value};

/// When a model listener runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelEvent {
    /// Before the row is inserted; the listener may change the model.
    BeforeInsert,
    /// After the row is inserted (generated keys filled in).
    AfterInsert,
    /// Before the row is updated; the listener may change the model.
    BeforeUpdate,
    /// After the row is updated.
    AfterUpdate,
    /// Before the row is deleted.
    BeforeDelete,
    /// After the row is deleted.
    AfterDelete,
}

/// What a session wrote, as `models_committed` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// A new row.
    Insert,
    /// A changed row.
    Update,
    /// A deleted row.
    Delete,
}

/// One row a committed session wrote: its table, what was done and its primary key.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The model's table.
    pub table: &'static str,
    /// What was done.
    pub operation: Operation,
    /// The primary key's values, in column order.
    pub primary_key: Vec<Value>,
}

impl Change {
    pub(crate) fn of<M: Model>(model: &M, operation: Operation) -> Change {
        let values = model.values();
        Change {
            table: M::TABLE.name,
            operation,
            primary_key: M::TABLE
                .columns
                .iter()
                .zip(values)
                .filter(|(c, _)| c.primary_key)
                .map(|(_, v)| v)
                .collect(),
        }
    }
}

type MutListener = Arc<dyn Fn(&mut dyn Any) + Send + Sync>;
type RefListener = Arc<dyn Fn(&dyn Any) + Send + Sync>;
type CommitListener = Arc<dyn Fn(&[Change]) + Send + Sync>;

#[derive(Default)]
struct Registry {
    changing: HashMap<(TypeId, ModelEvent), Vec<MutListener>>,
    watching: HashMap<(TypeId, ModelEvent), Vec<RefListener>>,
    committed: Vec<CommitListener>,
}

/// The listeners of an engine ([`Engine::events`](crate::Engine::events)); cheap to clone
/// (clones share the listeners).
///
/// Listeners run for writes of one model through the ORM (`insert`, `update`, `delete`,
/// a session's `add` and `delete`), not for bulk `update`/`delete` by query or `text()`,
/// as in SQLAlchemy.
///
/// ```
/// use flask_sqlalchemy::{Engine, EngineOptions, MetaData, Model};
///
/// #[derive(Debug, Model)]
/// struct Page {
///     #[model(primary_key)]
///     id: i64,
///     #[model(max_length = 100)]
///     title: String,
///     #[model(max_length = 100)]
///     slug: String,
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), flask_sqlalchemy::Error> {
/// let db = Engine::connect("sqlite://", "".as_ref(), EngineOptions::default()).await?;
/// db.create_all(&MetaData::new().register::<Page>()).await?;
/// db.events().before_insert(|page: &mut Page| {
///     page.slug = page.title.to_lowercase().replace(' ', "-");
/// });
/// let mut page = Page { id: 0, title: "Hello World".into(), slug: String::new() };
/// db.insert(&mut page).await?;
/// assert_eq!(page.slug, "hello-world");
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct Events {
    registry: Arc<RwLock<Registry>>,
    /// Whether any listener is registered: writes skip the lock when none is.
    any: Arc<AtomicBool>,
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events")
            .field("any", &self.any.load(Ordering::Relaxed))
            .finish()
    }
}

impl Events {
    /// No listeners.
    pub fn new() -> Self {
        Events::default()
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Registry> {
        self.any.store(true, Ordering::Release);
        self.registry.write().unwrap_or_else(|e| e.into_inner())
    }

    fn changing<M: Model>(&self, event: ModelEvent, f: impl Fn(&mut M) + Send + Sync + 'static) {
        let listener: MutListener = Arc::new(move |any: &mut dyn Any| {
            if let Some(model) = any.downcast_mut::<M>() {
                f(model);
            }
        });
        self.write()
            .changing
            .entry((TypeId::of::<M>(), event))
            .or_default()
            .push(listener);
    }

    fn watching<M: Model>(&self, event: ModelEvent, f: impl Fn(&M) + Send + Sync + 'static) {
        let listener: RefListener = Arc::new(move |any: &dyn Any| {
            if let Some(model) = any.downcast_ref::<M>() {
                f(model);
            }
        });
        self.write()
            .watching
            .entry((TypeId::of::<M>(), event))
            .or_default()
            .push(listener);
    }

    /// Runs `f` before each insert of an `M`; it may change the model (fill a slug, a
    /// timestamp).
    pub fn before_insert<M: Model>(&self, f: impl Fn(&mut M) + Send + Sync + 'static) -> &Self {
        self.changing(ModelEvent::BeforeInsert, f);
        self
    }

    /// Runs `f` after each insert of an `M`, its generated key filled in.
    pub fn after_insert<M: Model>(&self, f: impl Fn(&M) + Send + Sync + 'static) -> &Self {
        self.watching(ModelEvent::AfterInsert, f);
        self
    }

    /// Runs `f` before each update of an `M` by primary key; it may change the model.
    pub fn before_update<M: Model>(&self, f: impl Fn(&mut M) + Send + Sync + 'static) -> &Self {
        self.changing(ModelEvent::BeforeUpdate, f);
        self
    }

    /// Runs `f` after each update of an `M` that found its row.
    pub fn after_update<M: Model>(&self, f: impl Fn(&M) + Send + Sync + 'static) -> &Self {
        self.watching(ModelEvent::AfterUpdate, f);
        self
    }

    /// Runs `f` before each delete of an `M` by primary key.
    pub fn before_delete<M: Model>(&self, f: impl Fn(&M) + Send + Sync + 'static) -> &Self {
        self.watching(ModelEvent::BeforeDelete, f);
        self
    }

    /// Runs `f` after each delete of an `M` that found its row.
    pub fn after_delete<M: Model>(&self, f: impl Fn(&M) + Send + Sync + 'static) -> &Self {
        self.watching(ModelEvent::AfterDelete, f);
        self
    }

    /// Runs `f` after each session commit that wrote rows, with what it wrote
    /// (Flask-SQLAlchemy's `models_committed` signal).
    pub fn on_models_committed(&self, f: impl Fn(&[Change]) + Send + Sync + 'static) -> &Self {
        self.write().committed.push(Arc::new(f));
        self
    }

    /// Adds the listeners of `other` to these.
    pub fn extend(&self, other: &Events) {
        if !other.any.load(Ordering::Acquire) || Arc::ptr_eq(&self.registry, &other.registry) {
            return;
        }
        let theirs = other.registry.read().unwrap_or_else(|e| e.into_inner());
        let mut mine = self.write();
        for (k, v) in &theirs.changing {
            mine.changing
                .entry(*k)
                .or_default()
                .extend(v.iter().cloned());
        }
        for (k, v) in &theirs.watching {
            mine.watching
                .entry(*k)
                .or_default()
                .extend(v.iter().cloned());
        }
        mine.committed.extend(theirs.committed.iter().cloned());
    }

    /// Whether any listener is registered.
    pub(crate) fn active(&self) -> bool {
        self.any.load(Ordering::Acquire)
    }

    /// Runs the listeners that may change the model.
    pub(crate) fn fire_mut<M: Model>(&self, event: ModelEvent, model: &mut M) {
        if !self.active() {
            return;
        }
        let listeners: Vec<MutListener> = {
            let registry = self.registry.read().unwrap_or_else(|e| e.into_inner());
            match registry.changing.get(&(TypeId::of::<M>(), event)) {
                Some(l) => l.clone(),
                None => return,
            }
        };
        for l in listeners {
            l(model);
        }
    }

    /// Runs the listeners that watch the model.
    pub(crate) fn fire<M: Model>(&self, event: ModelEvent, model: &M) {
        if !self.active() {
            return;
        }
        let listeners: Vec<RefListener> = {
            let registry = self.registry.read().unwrap_or_else(|e| e.into_inner());
            match registry.watching.get(&(TypeId::of::<M>(), event)) {
                Some(l) => l.clone(),
                None => return,
            }
        };
        for l in listeners {
            l(model);
        }
    }

    /// Runs the `models_committed` listeners.
    pub(crate) fn committed(&self, changes: &[Change]) {
        if !self.active() || changes.is_empty() {
            return;
        }
        let listeners = self
            .registry
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .committed
            .clone();
        for l in listeners {
            l(changes);
        }
    }
}
