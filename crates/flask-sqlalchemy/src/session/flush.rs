//! The flush: what changed among the tracked objects, written in dependency order (parents
//! inserted before their children, children deleted before their parents).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::tracked::{Identity, ObjectState, Slot};
use crate::model::MetaData;
use crate::{Error, Session, Value};

/// One write of a flush.
enum Save {
    Insert,
    /// An update from what the object held when loaded.
    Update(Vec<Value>),
}

/// The writes of a flush: inserts and updates in order, then deletes in order.
struct Plan {
    saves: Vec<(Arc<dyn Slot>, Save)>,
    deletes: Vec<Arc<dyn Slot>>,
}

/// Clears the session's "flushing" mark however the flush ends (even dropped half-way).
struct Flushing<'a>(&'a Session);

impl Drop for Flushing<'_> {
    fn drop(&mut self) {
        self.0.flushing.store(false, Ordering::Release);
    }
}

impl Session {
    /// Writes what changed among the tracked objects, in the transaction (SQLAlchemy's
    /// `session.flush()`): pending objects are inserted (their numbered keys filled in),
    /// changed ones updated (only the columns that changed), deleted ones deleted. Tables
    /// go in dependency order: a parent is inserted before its children, and children are
    /// deleted before their parents.
    ///
    /// A commit, and every query run in the session, flush first (autoflush). A flush that
    /// fails leaves the transaction for you to roll back, as SQLAlchemy's does.
    pub async fn flush(&self) -> Result<(), Error> {
        if self.flushing.swap(true, Ordering::AcqRel) {
            // A statement of this flush: it is the flush.
            return Ok(());
        }
        let _flushing = Flushing(self);
        self.changed_flag().store(false, Ordering::Release);
        let result = self.flush_changes().await;
        if result.is_err() {
            // What was not written is still to write.
            self.changed_flag().store(true, Ordering::Release);
        }
        result
    }

    /// Flushes when something changed since the last flush (before a query: autoflush).
    pub(crate) async fn autoflush(&self) -> Result<(), Error> {
        if self.changed_flag().load(Ordering::Acquire) && !self.flushing.load(Ordering::Acquire) {
            Box::pin(self.flush()).await?;
        }
        Ok(())
    }

    async fn flush_changes(&self) -> Result<(), Error> {
        let Plan { mut saves, deletes } = self.plan();
        while !saves.is_empty() {
            // The first whose pending parents are in: parents before children.
            let Some(next) = saves.iter().position(|(slot, _)| ready(&**slot)) else {
                return Err(Error::Transaction(format!(
                    "the pending objects of {} point at each other in a cycle: flush one \
                     of them first, then link the other",
                    saves[0].0.table().name
                )));
            };
            let (slot, save) = saves.remove(next);
            fill_links(&*slot)?;
            match save {
                Save::Insert => {
                    slot.insert(self).await?;
                    self.inserted(slot);
                }
                Save::Update(loaded) => {
                    let n = slot.update(self, loaded.clone()).await?;
                    if n == 0 {
                        return Err(Error::StaleData {
                            table: slot.table().name,
                            key: shown_key(&*slot, &loaded),
                        });
                    }
                    self.updated(slot, &loaded);
                }
            }
        }
        for slot in deletes {
            slot.delete(self).await?;
            let mut unit = self.unit();
            unit.deleted.retain(|s| !Arc::ptr_eq(s, &slot));
            let identity = unit
                .map
                .iter()
                .find(|(_, s)| Arc::ptr_eq(s, &slot))
                .map(|(i, _)| i.clone());
            if let Some(identity) = identity {
                unit.map.remove(&identity);
                unit.gone.push((identity, slot));
            }
        }
        Ok(())
    }

    /// What to write: inserts and updates in dependency order of their tables (updates of
    /// a table before its inserts, as SQLAlchemy does), and deletes in the reverse order.
    fn plan(&self) -> Plan {
        let unit = self.unit();
        let mut saves: Vec<(Arc<dyn Slot>, Save)> = Vec::new();
        for slot in unit.map.values() {
            let loaded = {
                let mut meta = slot.meta();
                if meta.state != ObjectState::Persistent {
                    continue;
                }
                let waiting = !meta.links.is_empty();
                match meta.loaded.take() {
                    Some(loaded) => loaded,
                    None if waiting => slot.values(),
                    None => continue,
                }
            };
            if slot.values() == loaded && slot.meta().links.is_empty() {
                continue;
            }
            saves.push((Arc::clone(slot), Save::Update(loaded)));
        }
        for slot in &unit.new {
            saves.push((Arc::clone(slot), Save::Insert));
        }
        let deletes: Vec<Arc<dyn Slot>> = unit.deleted.clone();
        drop(unit);

        let mut tables = Vec::new();
        for slot in saves.iter().map(|(s, _)| s).chain(&deletes) {
            let table = *slot.table();
            if !tables.iter().any(|t: &crate::Table| t.name == table.name) {
                tables.push(table);
            }
        }
        let rank: HashMap<&str, usize> = MetaData::of_tables(tables)
            .sorted_tables()
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name, i))
            .collect();
        let rank_of = |slot: &Arc<dyn Slot>| rank.get(slot.table().name).copied().unwrap_or(0);
        // Stable sorts: within a table, the order the objects were added or loaded in.
        saves.sort_by_key(|(slot, save)| (rank_of(slot), matches!(save, Save::Insert)));
        let mut deletes = deletes;
        deletes.sort_by_key(|slot| std::cmp::Reverse(rank_of(slot)));
        Plan { saves, deletes }
    }

    /// Moves a slot just inserted from the pending list into the identity map.
    fn inserted(&self, slot: Arc<dyn Slot>) {
        {
            let mut meta = slot.meta();
            meta.state = ObjectState::Persistent;
            meta.loaded = None;
            meta.links.clear();
        }
        let mut unit = self.unit();
        unit.new.retain(|s| !Arc::ptr_eq(s, &slot));
        if let Some(identity) = Identity::of_slot(&*slot) {
            unit.inserted.push(identity.clone());
            unit.map.insert(identity, slot);
        }
    }

    /// Marks a slot just updated as loaded, re-keyed in the map if its key changed.
    fn updated(&self, slot: Arc<dyn Slot>, loaded: &[Value]) {
        slot.meta().links.clear();
        let before = Identity::of(slot.model(), slot.table(), loaded);
        let after = Identity::of_slot(&*slot);
        if before != after {
            let mut unit = self.unit();
            if let Some(before) = before {
                unit.map.remove(&before);
            }
            if let Some(after) = after {
                unit.map.insert(after, slot);
            }
        }
    }
}

/// Whether every object `slot` takes a foreign key from has its row.
fn ready(slot: &dyn Slot) -> bool {
    slot.meta()
        .links
        .iter()
        .all(|l| l.parent.meta().state != ObjectState::Pending)
}

/// Fills `slot`'s foreign keys from the objects they point at, now inserted.
fn fill_links(slot: &dyn Slot) -> Result<(), Error> {
    let links: Vec<(usize, Value, &'static str)> = slot
        .meta()
        .links
        .iter()
        .map(|l| {
            let value = l
                .parent
                .values()
                .into_iter()
                .nth(l.parent_column)
                .unwrap_or(Value::Null);
            (l.column, value, l.parent.table().name)
        })
        .collect();
    for (column, value, parent) in links {
        if !slot.set_key_value(column, &value) {
            return Err(Error::Bind(format!(
                "{}.{} cannot hold the key {value:?} of {parent}",
                slot.table().name,
                slot.table().columns[column].name
            )));
        }
    }
    // set_key_value recorded a change of a persistent object: it is written now, with the
    // rest of this save, so nothing is left recorded.
    slot.meta().loaded = None;
    Ok(())
}

/// The key of a row, for an error message.
fn shown_key(slot: &dyn Slot, values: &[Value]) -> String {
    let parts: Vec<String> = slot
        .table()
        .columns
        .iter()
        .zip(values)
        .filter(|(c, _)| c.primary_key)
        .map(|(c, v)| format!("{}={v:?}", c.name))
        .collect();
    parts.join(", ")
}
