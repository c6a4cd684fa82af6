//! The session store of one process (`SESSION_TYPE = "memory"`): records in memory,
//! dropped once expired, and at most a set number of them.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use cookie::time::OffsetDateTime;
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::{Result, SessionStore};

/// Sessions kept in this process's memory (lost at restart; one instance only: several
/// instances share Redis or SQL sessions).
///
/// `save` only updates a session that still exists: a session deleted by a logout while
/// another request of the same browser was running stays deleted, instead of coming back
/// when that request saves it.
///
/// It holds at most [`MemoryStore::capacity`] records (`SESSION_MEMORY_CAPACITY`, 65 536 by
/// default): past that, a new session replaces the one closest to expiring, so visitors
/// who each get a session (a form's CSRF secret) cannot grow the process without bound.
#[derive(Debug, Clone)]
pub struct MemoryStore(Arc<Mutex<Records>>);

/// Records a [`MemoryStore`] keeps unless told otherwise.
pub const DEFAULT_MEMORY_CAPACITY: usize = 65_536;

#[derive(Debug)]
struct Records {
    by_id: HashMap<Id, Record>,
    /// The same records by expiry, soonest first: expired ones and, when full, the one
    /// closest to expiring are found without a scan.
    by_expiry: BTreeSet<(OffsetDateTime, i128)>,
    capacity: usize,
}

impl Records {
    fn insert(&mut self, record: Record) {
        self.remove(&record.id);
        self.by_expiry.insert((record.expiry_date, record.id.0));
        self.by_id.insert(record.id, record);
    }

    fn remove(&mut self, id: &Id) {
        if let Some(old) = self.by_id.remove(id) {
            self.by_expiry.remove(&(old.expiry_date, id.0));
        }
    }

    /// Drops the expired records.
    fn sweep(&mut self, now: OffsetDateTime) {
        while let Some(&(expiry, id)) = self.by_expiry.first()
            && expiry <= now
        {
            self.remove(&Id(id));
        }
    }

    /// Drops the records closest to expiring until one more fits.
    fn make_room(&mut self) {
        while self.by_id.len() >= self.capacity {
            let Some(&(_, id)) = self.by_expiry.first() else {
                break;
            };
            self.remove(&Id(id));
        }
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::with_capacity(DEFAULT_MEMORY_CAPACITY)
    }
}

impl MemoryStore {
    /// A store that keeps at most `capacity` sessions (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        MemoryStore(Arc::new(Mutex::new(Records {
            by_id: HashMap::new(),
            by_expiry: BTreeSet::new(),
            capacity: capacity.max(1),
        })))
    }

    /// How many sessions it keeps at most.
    pub fn capacity(&self) -> usize {
        self.records().capacity
    }

    /// How many sessions it holds now (expired ones not swept yet included).
    pub fn len(&self) -> usize {
        self.records().by_id.len()
    }

    /// Whether it holds no session.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn records(&self) -> std::sync::MutexGuard<'_, Records> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait::async_trait]
impl SessionStore for MemoryStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        let mut records = self.records();
        records.sweep(OffsetDateTime::now_utc());
        while records.by_id.contains_key(&record.id) {
            record.id = Id::default();
        }
        records.make_room();
        records.insert(record.clone());
        Ok(())
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let mut records = self.records();
        if records.by_id.contains_key(&record.id) {
            records.insert(record.clone());
        }
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let mut records = self.records();
        match records.by_id.get(id) {
            Some(record) if record.expiry_date > OffsetDateTime::now_utc() => {
                Ok(Some(record.clone()))
            }
            Some(_) => {
                records.remove(id);
                Ok(None)
            }
            None => Ok(None),
        }
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        self.records().remove(id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(minutes: i64) -> Record {
        Record {
            id: Id::default(),
            data: HashMap::from([("user".to_owned(), serde_json::json!("ada"))]),
            expiry_date: OffsetDateTime::now_utc() + cookie::time::Duration::minutes(minutes),
        }
    }

    #[tokio::test]
    async fn a_deleted_session_is_not_saved_back() {
        let store = MemoryStore::default();
        let mut r = record(10);
        store.create(&mut r).await.unwrap();
        assert!(store.load(&r.id).await.unwrap().is_some());
        // A logout deletes it; a request that loaded it before saves it afterwards.
        store.delete(&r.id).await.unwrap();
        store.save(&r).await.unwrap();
        assert!(store.load(&r.id).await.unwrap().is_none());
        // An existing one is updated.
        let mut s = record(10);
        store.create(&mut s).await.unwrap();
        s.data.insert("theme".to_owned(), serde_json::json!("dark"));
        store.save(&s).await.unwrap();
        assert_eq!(store.load(&s.id).await.unwrap().unwrap().data.len(), 2);
    }

    #[tokio::test]
    async fn a_full_store_drops_the_session_closest_to_expiring() {
        let store = MemoryStore::with_capacity(3);
        let mut soon = record(1);
        store.create(&mut soon).await.unwrap();
        let mut later: Vec<Record> = (0..2).map(|_| record(60)).collect();
        for r in &mut later {
            store.create(r).await.unwrap();
        }
        let mut newest = record(60);
        store.create(&mut newest).await.unwrap();
        assert_eq!(store.len(), 3);
        assert!(store.load(&soon.id).await.unwrap().is_none());
        for r in later.iter().chain([&newest]) {
            assert!(store.load(&r.id).await.unwrap().is_some());
        }
        // Ten thousand more: still three, the index as large as the map.
        for _ in 0..10_000 {
            store.create(&mut record(60)).await.unwrap();
        }
        assert_eq!(store.len(), 3);
        assert_eq!(store.records().by_expiry.len(), 3);
    }

    #[tokio::test]
    async fn expired_sessions_are_gone() {
        let store = MemoryStore::default();
        let mut old = record(-1);
        store.create(&mut old).await.unwrap();
        assert!(store.load(&old.id).await.unwrap().is_none());
        assert!(store.records().by_id.is_empty());
        // Expired ones nobody loads again are swept as new sessions come.
        let mut stale = record(-1);
        store.create(&mut stale).await.unwrap();
        for _ in 0..3 {
            store.create(&mut record(10)).await.unwrap();
        }
        assert!(!store.records().by_id.contains_key(&stale.id));
    }
}
