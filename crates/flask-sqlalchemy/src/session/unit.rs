//! The unit of work: the identity map, and adding, loading, deleting, refreshing, expiring,
//! merging and expunging tracked objects (SQLAlchemy's session verbs).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::tracked::{Identity, Link, ObjectState, Slot, Tracked};
use crate::engine::exec::Runner;
use crate::model::{column_of, ops, single_key};
use crate::{Error, Model, Rel, RelationKind, Select, Session, ToMany, ToOne, Value};

/// What a session tracks.
#[derive(Default)]
pub(crate) struct Unit {
    /// The identity map: one object per row.
    pub(crate) map: HashMap<Identity, Arc<dyn Slot>>,
    /// Objects added and not inserted yet, in the order they were added.
    pub(crate) new: Vec<Arc<dyn Slot>>,
    /// Objects marked for deletion and not deleted yet.
    pub(crate) deleted: Vec<Arc<dyn Slot>>,
    /// Rows inserted in this transaction: a rollback expunges their objects.
    pub(crate) inserted: Vec<Identity>,
    /// Rows deleted in this transaction: a rollback puts their objects back.
    pub(crate) gone: Vec<(Identity, Arc<dyn Slot>)>,
}

impl std::fmt::Debug for Unit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unit")
            .field("tracked", &self.map.len())
            .field("new", &self.new.len())
            .field("deleted", &self.deleted.len())
            .finish()
    }
}

impl Drop for Unit {
    fn drop(&mut self) {
        // Links between pending objects may point both ways: cut them, so the objects go.
        for slot in self.map.values().chain(&self.new).chain(&self.deleted) {
            slot.meta().links.clear();
        }
    }
}

impl Unit {
    /// Marks every object expired (a commit or rollback), dropping what their changes
    /// recorded.
    pub(crate) fn expire_all(&mut self) {
        for slot in self.map.values() {
            let mut meta = slot.meta();
            meta.expired = true;
            meta.loaded = None;
        }
    }

    /// Undoes the bookkeeping of a rolled-back transaction: objects inserted in it and
    /// objects never flushed are detached, deleted ones are back, all are expired.
    pub(crate) fn rolled_back(&mut self) {
        for identity in std::mem::take(&mut self.inserted) {
            if let Some(slot) = self.map.remove(&identity) {
                detach(&*slot);
            }
        }
        for slot in std::mem::take(&mut self.new) {
            detach(&*slot);
        }
        for slot in std::mem::take(&mut self.deleted) {
            slot.meta().state = ObjectState::Persistent;
        }
        for (identity, slot) in std::mem::take(&mut self.gone) {
            slot.meta().state = ObjectState::Persistent;
            self.map.insert(identity, slot);
        }
        self.expire_all();
    }

    /// Ends the bookkeeping of a committed transaction: deleted objects are detached, all
    /// are expired (SQLAlchemy's `expire_on_commit`).
    pub(crate) fn committed(&mut self) {
        self.inserted.clear();
        for (_, slot) in std::mem::take(&mut self.gone) {
            detach(&*slot);
        }
        self.expire_all();
    }

    /// Removes `slot` from every list (not from the map).
    fn forget(&mut self, slot: &Arc<dyn Slot>) {
        self.new.retain(|s| !Arc::ptr_eq(s, slot));
        self.deleted.retain(|s| !Arc::ptr_eq(s, slot));
    }
}

/// Detaches the tracked rows that deleting the row of `table` with `values` took along
/// through `cascade = "delete"` relationships, level by level.
pub(crate) fn forget_cascaded(unit: &mut Unit, table: &'static crate::Table, values: &[Value]) {
    let Ok(key_column) = single_key(table) else {
        return;
    };
    let at = table.columns.iter().position(|c| c.name == key_column.name);
    let Some(parent) = at.and_then(|i| values.get(i)).and_then(crate::model::key) else {
        return;
    };
    for rel in table.relationships.iter().filter(|r| r.cascade_delete) {
        let RelationKind::OneToMany { column } = rel.kind else {
            continue;
        };
        let child = (rel.target)();
        let Ok(at) = column_index(child, column) else {
            continue;
        };
        let gone: Vec<(Identity, Arc<dyn Slot>)> = unit
            .map
            .iter()
            .filter(|(_, slot)| slot.table().name == child.name)
            .filter(|(_, slot)| {
                slot.values().get(at).and_then(crate::model::key).as_ref() == Some(&parent)
            })
            .map(|(i, s)| (i.clone(), Arc::clone(s)))
            .collect();
        for (identity, slot) in gone {
            unit.map.remove(&identity);
            unit.forget(&slot);
            let values = slot.values();
            detach(&*slot);
            // Each object leaves the map once, so a self-referential tree ends.
            forget_cascaded(unit, child, &values);
        }
    }
}

/// Ends the session's tracking of an object.
fn detach(slot: &dyn Slot) {
    let mut meta = slot.meta();
    meta.state = ObjectState::Detached;
    meta.session = None;
    meta.links.clear();
    meta.loaded = None;
}

impl Session {
    /// Adds a new object, to be inserted at the next flush (SQLAlchemy's `session.add(obj)`
    /// of a new object); the handle tracks it. A key the database numbers is in the object
    /// after the flush.
    ///
    /// [`add`](Session::add) is the other way: it writes at once.
    pub fn add_object<M: Model + Clone>(&self, model: M) -> Tracked<M> {
        let tracked = Tracked::new(model, ObjectState::Pending, self);
        self.unit().new.push(tracked.slot());
        self.changed_flag().store(true, Ordering::Release);
        tracked
    }

    /// The object of the row of `M` whose (single-column) primary key is `pk`
    /// (SQLAlchemy's `session.get(Post, 5)`): from the identity map without a query when
    /// the session tracks it already; otherwise loaded, and tracked from then on. Loading
    /// flushes first (autoflush).
    pub async fn object<M: Model + Clone>(
        &self,
        pk: impl Into<Value>,
    ) -> Result<Option<Tracked<M>>, Error> {
        self.object_by_key(vec![pk.into()]).await
    }

    /// The object of the row of `M` whose primary key is `key`, one value per key column in
    /// column order (a composite key's `session.get(Model, (a, b))`).
    pub async fn object_by_key<M: Model + Clone>(
        &self,
        key: Vec<Value>,
    ) -> Result<Option<Tracked<M>>, Error> {
        let columns = M::TABLE.primary_key().count();
        if key.len() != columns {
            // The lookup says what is wrong.
            return ops::get_by_key::<M>(Runner::Session(self), &key)
                .await
                .map(|_: Option<M>| None);
        }
        let identity = Identity::of_key::<M>(&key);
        if let Some(found) = identity.as_ref().and_then(|i| self.mapped::<M>(i))
            && !found.is_expired()
            && found.state() == ObjectState::Persistent
        {
            return Ok(Some(found));
        }
        let row = ops::get_by_key::<M>(Runner::Session(self), &key).await?;
        match row {
            Some(model) => Ok(Some(self.track_loaded(model)?)),
            None => {
                // An expired object whose row is gone is no longer the row's.
                if let Some(identity) = identity {
                    let mut unit = self.unit();
                    if let Some(slot) = unit.map.remove(&identity) {
                        unit.forget(&slot);
                        detach(&*slot);
                    }
                }
                Ok(None)
            }
        }
    }

    /// Marks a tracked object's row for deletion at the next flush (SQLAlchemy's
    /// `session.delete(obj)`); a pending object is just dropped from the session.
    /// [`delete`](Session::delete) is the other way: it deletes at once.
    pub fn delete_object<M: Model + Clone>(&self, tracked: &Tracked<M>) -> Result<(), Error> {
        let slot = tracked.slot();
        let mut unit = self.unit();
        let state = self.owned_state(&*slot, "delete_object")?;
        match state {
            ObjectState::Pending => {
                unit.forget(&slot);
                detach(&*slot);
            }
            ObjectState::Persistent => {
                slot.meta().state = ObjectState::Deleted;
                unit.deleted.push(slot);
                self.changed_flag().store(true, Ordering::Release);
            }
            ObjectState::Deleted | ObjectState::Detached => {}
        }
        Ok(())
    }

    /// Loads a tracked object's row again now, replacing what it holds (changes not flushed
    /// are dropped; SQLAlchemy's `session.refresh(obj)`). [`Error::NoResultFound`] when the
    /// row is gone.
    pub async fn refresh<M: Model + Clone>(&self, tracked: &Tracked<M>) -> Result<(), Error> {
        let key = {
            let slot = tracked.slot();
            let state = self.owned_state(&*slot, "refresh")?;
            if state != ObjectState::Persistent {
                return Err(Error::Transaction(format!(
                    "refresh() needs an object whose row exists, and this {} is {state:?}: \
                     flush it first",
                    M::TABLE.name
                )));
            }
            // Its changes are dropped, so the autoflush before the query leaves it alone.
            let loaded = slot.meta().loaded.take();
            let values = loaded.unwrap_or_else(|| slot.values());
            key_of::<M>(&values)
        };
        match ops::get_by_key::<M>(Runner::Session(self), &key).await? {
            Some(model) => tracked.replace(model),
            None => Err(Error::NoResultFound {
                table: M::TABLE.name,
            }),
        }
    }

    /// Expires a tracked object (SQLAlchemy's `session.expire(obj)`): changes not flushed
    /// are dropped from the next flush, and the next load of its row through the session
    /// replaces what it holds. Rust cannot load on field access, so until then it holds
    /// what it held; [`refresh`](Session::refresh) loads at once.
    pub fn expire<M: Model + Clone>(&self, tracked: &Tracked<M>) {
        let slot = tracked.slot();
        if self.owned_state(&*slot, "expire").is_ok() {
            let mut meta = slot.meta();
            meta.expired = true;
            meta.loaded = None;
        }
    }

    /// Expires every tracked object (SQLAlchemy's `session.expire_all()`).
    pub fn expire_all(&self) {
        self.unit().expire_all();
    }

    /// Stops tracking an object (SQLAlchemy's `session.expunge(obj)`): it is detached, and
    /// what changes in it is no longer written.
    pub fn expunge<M: Model + Clone>(&self, tracked: &Tracked<M>) {
        let slot = tracked.slot();
        let mut unit = self.unit();
        if self.owned_state(&*slot, "expunge").is_err() {
            return;
        }
        unit.forget(&slot);
        unit.map.retain(|_, s| !Arc::ptr_eq(s, &slot));
        detach(&*slot);
    }

    /// Stops tracking every object (SQLAlchemy's `session.expunge_all()`).
    pub fn expunge_all(&self) {
        let mut unit = self.unit();
        for slot in unit.map.values().chain(&unit.new) {
            detach(&**slot);
        }
        unit.map.clear();
        unit.new.clear();
        unit.deleted.clear();
    }

    /// Copies `model`'s state onto the session's object of the same row (SQLAlchemy's
    /// `session.merge(obj)`): the tracked object when there is one, else its row loaded
    /// now; a model whose row does not exist (or whose key is still to be numbered) is
    /// added. What differs from the row is written at the next flush. Returns the tracked
    /// object.
    pub async fn merge<M: Model + Clone>(&self, model: M) -> Result<Tracked<M>, Error> {
        let values = model.values();
        if Identity::of(std::any::TypeId::of::<M>(), &M::TABLE, &values).is_none() {
            return Ok(self.add_object(model));
        }
        match self.object_by_key::<M>(key_of::<M>(&values)).await? {
            Some(tracked) => {
                *tracked.write() = model;
                Ok(tracked)
            }
            None => Ok(self.add_object(model)),
        }
    }

    /// Keeps the identity map true to an explicit write of a row of `table` (`Session::add`,
    /// `Session::delete`) whose values are `values`: the session's object of that row is
    /// expired (its next load replaces it), or, the row deleted, detached with the tracked
    /// rows its `cascade = "delete"` relationships took along.
    pub(crate) fn explicit_write(
        &self,
        model: std::any::TypeId,
        table: &'static crate::Table,
        values: &[Value],
        deleted: bool,
    ) {
        let Some(identity) = Identity::of(model, table, values) else {
            return;
        };
        let mut unit = self.unit();
        if deleted {
            if let Some(slot) = unit.map.remove(&identity) {
                unit.forget(&slot);
                detach(&*slot);
            }
            forget_cascaded(&mut unit, table, values);
        } else if let Some(slot) = unit.map.get(&identity) {
            let mut meta = slot.meta();
            meta.expired = true;
            meta.loaded = None;
        }
    }

    /// The tracked object of `identity`, if the session has it.
    fn mapped<M: Model + Clone>(&self, identity: &Identity) -> Option<Tracked<M>> {
        self.unit().map.get(identity).and_then(Tracked::of_slot)
    }

    /// Tracks a row just loaded: the session's object of that row when it has one (its data
    /// replaced when it was expired), else a new one.
    pub(crate) fn track_loaded<M: Model + Clone>(&self, model: M) -> Result<Tracked<M>, Error> {
        let identity = Identity::of(std::any::TypeId::of::<M>(), &M::TABLE, &model.values());
        let Some(identity) = identity else {
            // A row without a key (a NULL in it) is no one's identity: not tracked.
            let tracked = Tracked::new(model, ObjectState::Detached, self);
            detach(&*tracked.slot());
            return Ok(tracked);
        };
        let mut unit = self.unit();
        if let Some(found) = unit.map.get(&identity).and_then(Tracked::of_slot) {
            if found.is_expired() {
                drop(unit);
                found.replace(model)?;
            }
            return Ok(found);
        }
        let tracked = Tracked::new(model, ObjectState::Persistent, self);
        unit.map.insert(identity, tracked.slot());
        Ok(tracked)
    }

    /// The state of an object this session tracks; an error naming `what` when another
    /// session tracks it, or none.
    fn owned_state(&self, slot: &dyn Slot, what: &str) -> Result<ObjectState, Error> {
        let meta = slot.meta();
        match &meta.session {
            Some((id, _)) if *id == self.id() => Ok(meta.state),
            Some(_) => Err(Error::Transaction(format!(
                "{what}() was given a {} object another session tracks: merge() it into \
                 this one first",
                slot.table().name
            ))),
            None => Err(Error::Transaction(format!(
                "{what}() was given a {} object no session tracks (detached): merge() it \
                 into this one first",
                slot.table().name
            ))),
        }
    }
}

/// The primary key's values among a model's values.
fn key_of<M: Model>(values: &[Value]) -> Vec<Value> {
    M::TABLE
        .columns
        .iter()
        .zip(values)
        .filter(|(c, _)| c.primary_key)
        .map(|(_, v)| v.clone())
        .collect()
}

impl<M: Model + Clone> Select<'_, M> {
    /// Runs the query in its session and returns the rows as the session's tracked objects
    /// (SQLAlchemy's `session.scalars(select(Post)...).all()`): a row the session tracks
    /// already comes back as that same object, unchanged unless it was expired. An error on
    /// an engine's query, which has no session to track them.
    pub async fn objects(self) -> Result<Vec<Tracked<M>>, Error> {
        let Runner::Session(session) = self.runner_copy() else {
            return Err(Error::Transaction(format!(
                "objects() tracks what it loads in a session, and this query of {} runs on \
                 the engine: build it with session.select::<{}>() (or a DbSession), or use \
                 all()",
                M::TABLE.name,
                M::TABLE.name
            )));
        };
        let rows = self.all().await?;
        rows.into_iter().map(|m| session.track_loaded(m)).collect()
    }
}

impl<M: Model + Clone, R: Model + Clone> Rel<M, R, ToOne> {
    /// Points `object` at `related` (SQLAlchemy's `post.author = user`, or `user.profile =
    /// profile` for a `has_one`): the foreign key takes the other side's primary key now,
    /// or, while that side is pending, at the flush that inserts it (which comes first).
    pub fn set(self, object: &Tracked<M>, related: &Tracked<R>) -> Result<(), Error> {
        match self.relationship().kind {
            RelationKind::ManyToOne { column } => {
                let column = column_index(&M::TABLE, column)?;
                let parent_column = column_index(&R::TABLE, single_key(&R::TABLE)?.name)?;
                link(&object.slot(), column, related.slot(), parent_column)
            }
            RelationKind::OneToMany { column } => {
                let column = column_index(&R::TABLE, column)?;
                let parent_column = column_index(&M::TABLE, single_key(&M::TABLE)?.name)?;
                link(&related.slot(), column, object.slot(), parent_column)
            }
            RelationKind::ManyToMany { .. } => Err(Error::Bind(format!(
                "{self:?} is a many-to-many relationship: link rows with link()"
            ))),
        }
    }
}

impl<M: Model + Clone, R: Model + Clone> Rel<M, R, ToMany> {
    /// Adds `child` to `parent`'s collection (SQLAlchemy's `user.posts.append(post)`):
    /// `child`'s foreign key takes `parent`'s primary key now, or, while `parent` is
    /// pending, at the flush that inserts `parent` (which comes first).
    pub fn append(self, parent: &Tracked<M>, child: &Tracked<R>) -> Result<(), Error> {
        let RelationKind::OneToMany { column } = self.relationship().kind else {
            return Err(Error::Bind(format!(
                "{self:?} is not a one-to-many relationship"
            )));
        };
        let column = column_index(&R::TABLE, column)?;
        let parent_column = column_index(&M::TABLE, single_key(&M::TABLE)?.name)?;
        link(&child.slot(), column, parent.slot(), parent_column)
    }
}

/// The index of the column a relationship names (by field or column name).
fn column_index(table: &crate::Table, name: &str) -> Result<usize, Error> {
    let column = column_of(table, name)?;
    Ok(table
        .columns
        .iter()
        .position(|c| c.name == column.name)
        .unwrap_or(0))
}

/// Fills `child`'s foreign key `column` from `parent`'s key now, or at flush while the
/// parent is pending.
fn link(
    child: &Arc<dyn Slot>,
    column: usize,
    parent: Arc<dyn Slot>,
    parent_column: usize,
) -> Result<(), Error> {
    if parent.meta().state == ObjectState::Pending {
        let mut meta = child.meta();
        meta.links.retain(|l| l.column != column);
        meta.links.push(Link {
            column,
            parent,
            parent_column,
        });
        if let Some((_, changed)) = &meta.session {
            changed.store(true, Ordering::Release);
        }
        return Ok(());
    }
    let value = parent
        .values()
        .into_iter()
        .nth(parent_column)
        .unwrap_or(Value::Null);
    child.meta().links.retain(|l| l.column != column);
    if child.set_key_value(column, &value)? {
        Ok(())
    } else {
        Err(Error::Bind(format!(
            "{}.{} cannot hold the key {value:?} of {}",
            child.table().name,
            child.table().columns[column].name,
            parent.table().name
        )))
    }
}

impl<M: Model + Clone, R: Model + Clone> Rel<M, R, ToOne> {
    /// The related object, tracked by `session` (SQLAlchemy's lazy `post.author`, loaded
    /// when asked for): for a many-to-one whose row the session tracks already, the object
    /// from the identity map, without a query; otherwise one query (after an autoflush).
    /// `None` when the key is `NULL` or points nowhere.
    pub async fn object(
        self,
        session: &Session,
        of: &Tracked<M>,
    ) -> Result<Option<Tracked<R>>, Error> {
        match self.relationship().kind {
            RelationKind::ManyToOne { column } => {
                let at = column_index(&M::TABLE, column)?;
                let key = of
                    .read()
                    .values()
                    .into_iter()
                    .nth(at)
                    .unwrap_or(Value::Null);
                if key.is_null() {
                    return Ok(None);
                }
                session.object::<R>(key).await
            }
            RelationKind::OneToMany { .. } => self
                .load(session, &of.cloned())
                .await?
                .map(|r| session.track_loaded(r))
                .transpose(),
            RelationKind::ManyToMany { .. } => Err(Error::Bind(format!(
                "{self:?} is a many-to-many relationship: use objects()"
            ))),
        }
    }
}

impl<M: Model + Clone, R: Model + Clone> Rel<M, R, ToMany> {
    /// The related objects, tracked by `session` (SQLAlchemy's lazy `user.posts`, loaded
    /// when asked for): one query (after an autoflush), in the relationship's order; rows
    /// the session tracks come back as those objects.
    pub async fn objects(
        self,
        session: &Session,
        of: &Tracked<M>,
    ) -> Result<Vec<Tracked<R>>, Error> {
        related_objects(self, session, of).await
    }
}

impl<M: Model + Clone, R: Model + Clone> Rel<M, R, crate::ManyToMany> {
    /// The related objects through the association table, tracked by `session`, as a
    /// one-to-many's `objects`.
    pub async fn objects(
        self,
        session: &Session,
        of: &Tracked<M>,
    ) -> Result<Vec<Tracked<R>>, Error> {
        related_objects(self, session, of).await
    }
}

/// The rows a to-many relationship of `of` finds, tracked by `session`.
async fn related_objects<M, R, K>(
    rel: Rel<M, R, K>,
    session: &Session,
    of: &Tracked<M>,
) -> Result<Vec<Tracked<R>>, Error>
where
    M: Model + Clone,
    R: Model + Clone,
    K: crate::Loads<R, Output = Vec<R>>,
{
    rel.load(session, &of.cloned())
        .await?
        .into_iter()
        .map(|r| session.track_loaded(r))
        .collect()
}
