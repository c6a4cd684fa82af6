//! The flush: what changed among the tracked objects, written in dependency order (parents
//! inserted before their children, children deleted before their parents).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use sea_query::{CaseStatement, Condition, Expr, ExprTrait, Query, UpdateStatement};

use super::tracked::{Identity, ObjectState, Slot};
use crate::engine::exec::Runner;
use crate::events::{ModelEvent, Operation};
use crate::model::{MetaData, Table, ops::sea_value};
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
        if !self.changed_flag().load(Ordering::Acquire) {
            // Nothing was added, deleted or written to since the last flush.
            return Ok(());
        }
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
            if !matches!(saves[next].1, Save::Update(_)) {
                let (slot, _) = saves.remove(next);
                fill_links(&*slot)?;
                slot.insert(self).await?;
                self.inserted(slot);
                continue;
            }
            // This update and every other of its table that is ready: written together.
            let table = saves[next].0.table().name;
            let mut batch = Vec::new();
            let mut i = next;
            while i < saves.len() {
                let (slot, save) = &saves[i];
                if slot.table().name == table && matches!(save, Save::Update(_)) && ready(&**slot) {
                    if let (slot, Save::Update(loaded)) = saves.remove(i) {
                        batch.push((slot, loaded));
                    }
                } else {
                    i += 1;
                }
            }
            self.write_updates(batch).await?;
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
                let values = slot.values();
                unit.gone.push((identity, Arc::clone(&slot)));
                // Rows its cascades deleted with it are no one's now.
                super::unit::forget_cascaded(&mut unit, slot.table(), &values);
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
            // The object's lock is taken after its bookkeeping's is let go: write() takes
            // them the other way round.
            let (loaded, waiting) = {
                let mut meta = slot.meta();
                if meta.state != ObjectState::Persistent {
                    continue;
                }
                (meta.loaded.take(), !meta.links.is_empty())
            };
            if loaded.is_none() && !waiting {
                // Not written to since it was loaded: nothing to compare.
                continue;
            }
            let now = slot.values();
            let loaded = loaded.unwrap_or_else(|| now.clone());
            if now == loaded && !waiting {
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

    /// Writes the changes of objects of one table: `before_update` listeners first, then
    /// the columns that changed, one statement per row, or, for rows whose same columns
    /// changed, one statement per [`BATCH`] rows (`SET c = CASE WHEN key = .. THEN ..
    /// END WHERE key IN (..)`), each checked to match all its rows.
    async fn write_updates(&self, batch: Vec<(Arc<dyn Slot>, Vec<Value>)>) -> Result<(), Error> {
        // Rows grouped by the columns that changed, in the order they came.
        let mut groups: Vec<(Vec<usize>, Vec<Row>)> = Vec::new();
        for (slot, loaded) in batch {
            fill_links(&*slot)?;
            slot.fire(self, ModelEvent::BeforeUpdate)?;
            let now = slot.values();
            let changed: Vec<usize> = (0..now.len())
                .filter(|&i| now.get(i) != loaded.get(i))
                .collect();
            if changed.is_empty() {
                self.updated(slot, &loaded);
                continue;
            }
            let row = Row { slot, loaded, now };
            match groups.iter_mut().find(|(columns, _)| *columns == changed) {
                Some((_, rows)) => rows.push(row),
                None => groups.push((changed, vec![row])),
            }
        }
        for (columns, rows) in groups {
            for chunk in rows.chunks(BATCH) {
                let table = chunk[0].slot.table();
                let stmt = update_statement(table, &columns, chunk);
                let n = Runner::Session(self)
                    .execute_stmt(&stmt)
                    .await?
                    .rows_affected;
                if n != chunk.len() as u64 {
                    let keys: Vec<String> = chunk
                        .iter()
                        .map(|r| shown_key(&*r.slot, &r.loaded))
                        .collect();
                    return Err(Error::StaleData {
                        table: table.name,
                        key: keys.join(" or "),
                    });
                }
                for row in chunk {
                    row.slot.fire(self, ModelEvent::AfterUpdate)?;
                    row.slot.record(self, Operation::Update);
                    self.updated(Arc::clone(&row.slot), &row.loaded);
                }
            }
        }
        Ok(())
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

/// How many rows one batched UPDATE writes at most.
const BATCH: usize = 100;

/// A row to update: its object, its values when loaded, its values now.
struct Row {
    slot: Arc<dyn Slot>,
    loaded: Vec<Value>,
    now: Vec<Value>,
}

/// `key1 = v1 AND key2 = v2` for a row's key as loaded.
fn key_condition(table: &Table, loaded: &[Value]) -> Condition {
    let mut condition = Condition::all();
    for (column, value) in table
        .columns
        .iter()
        .zip(loaded)
        .filter(|(c, _)| c.primary_key)
    {
        condition =
            condition.add(Expr::col((table.name, column.name)).eq(sea_value(value, column.ty)));
    }
    condition
}

/// The UPDATE of `columns` (indexes) of `rows`, found by the keys they were loaded with.
fn update_statement(table: &Table, columns: &[usize], rows: &[Row]) -> UpdateStatement {
    let mut stmt = Query::update();
    stmt.table(table.name);
    if let [row] = rows {
        for &i in columns {
            let column = &table.columns[i];
            stmt.value(column.name, Expr::val(sea_value(&row.now[i], column.ty)));
        }
        stmt.cond_where(key_condition(table, &row.loaded));
        return stmt;
    }
    for &i in columns {
        let column = &table.columns[i];
        let mut case = CaseStatement::new();
        for row in rows {
            case = case.case(
                key_condition(table, &row.loaded),
                Expr::val(sea_value(&row.now[i], column.ty)),
            );
        }
        stmt.value(column.name, case);
    }
    let keys: Vec<(usize, &crate::Column)> = table
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.primary_key)
        .collect();
    if let [(i, key)] = keys[..] {
        // One key column: `WHERE key IN (..)`, which every database plans as index lookups.
        let values = rows.iter().map(|r| sea_value(&r.loaded[i], key.ty));
        stmt.and_where(Expr::col((table.name, key.name)).is_in(values));
    } else {
        let mut any = Condition::any();
        for row in rows {
            any = any.add(key_condition(table, &row.loaded));
        }
        stmt.cond_where(any);
    }
    stmt
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
        if !slot.set_key_value(column, &value)? {
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
