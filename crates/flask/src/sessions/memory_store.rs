//! The session store of one process: records in memory, dropped once expired. The default
//! when `SESSION_TYPE` is not set.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use cookie::time::OffsetDateTime;
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::{Result, SessionStore};

/// How many sessions are created between two sweeps of expired ones.
const SWEEP_EVERY: u64 = 1024;

/// Sessions kept in this process's memory (lost at restart; one instance only: several
/// instances share Redis or SQL sessions).
///
/// `save` only updates a session that still exists: a session deleted by a logout while
/// another request of the same browser was running stays deleted, instead of coming back
/// when that request saves it.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore(Arc<Mutex<Records>>);

#[derive(Debug, Default)]
struct Records {
    by_id: HashMap<Id, Record>,
    created: u64,
}

impl MemoryStore {
    fn records(&self) -> std::sync::MutexGuard<'_, Records> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait::async_trait]
impl SessionStore for MemoryStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        let mut records = self.records();
        records.created += 1;
        if records.created.is_multiple_of(SWEEP_EVERY) {
            let now = OffsetDateTime::now_utc();
            records.by_id.retain(|_, r| r.expiry_date > now);
        }
        while records.by_id.contains_key(&record.id) {
            record.id = Id::default();
        }
        records.by_id.insert(record.id, record.clone());
        Ok(())
    }

    async fn save(&self, record: &Record) -> Result<()> {
        if let Some(kept) = self.records().by_id.get_mut(&record.id) {
            *kept = record.clone();
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
                records.by_id.remove(id);
                Ok(None)
            }
            None => Ok(None),
        }
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        self.records().by_id.remove(id);
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
    async fn expired_sessions_are_gone() {
        let store = MemoryStore::default();
        let mut old = record(-1);
        store.create(&mut old).await.unwrap();
        assert!(store.load(&old.id).await.unwrap().is_none());
        assert!(store.records().by_id.is_empty());
        // Expired ones nobody loads again are swept as new sessions come.
        let mut stale = record(-1);
        store.create(&mut stale).await.unwrap();
        for _ in 0..SWEEP_EVERY {
            store.create(&mut record(10)).await.unwrap();
        }
        assert!(!store.records().by_id.contains_key(&stale.id));
    }
}
