//! The session's unit of work on the three databases: the identity map, changes found at
//! flush, dependency order, autoflush, refresh, expire, merge and expunge.

mod common;
use common::backends;

use flask_sqlalchemy::{Engine, EngineOptions, Error, MetaData, Model, ObjectState, text};

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "uow_author")]
#[model(has_many(books: Book, key = author_id))]
struct Author {
    #[model(primary_key)]
    id: i64,
    #[model(max_length = 40, unique)]
    name: String,
    born: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "uow_book")]
#[model(belongs_to(author: Author, key = author_id))]
struct Book {
    #[model(primary_key)]
    id: i64,
    #[model(foreign_key = "uow_author.id")]
    author_id: i64,
    #[model(max_length = 80)]
    title: String,
    pages: i32,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "uow_membership")]
struct Membership {
    #[model(primary_key, max_length = 20)]
    team: String,
    #[model(primary_key)]
    member: i64,
    #[model(max_length = 20)]
    role: String,
}

/// The tests of this file share their tables on the servers: one runs at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("flask-uow-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A fresh engine recording its statements, with empty tables and two authors.
async fn fresh(url: &str, dir: &std::path::Path) -> Engine {
    let url = if url.starts_with("sqlite") {
        format!("sqlite:///{}", dir.join("uow.db").display())
    } else {
        url.to_owned()
    };
    let options = EngineOptions {
        record_queries: true,
        ..EngineOptions::default()
    };
    let db = Engine::connect(&url, dir, options).await.unwrap();
    let meta = MetaData::new()
        .register::<Author>()
        .register::<Book>()
        .register::<Membership>();
    db.drop_all(&meta).await.unwrap();
    db.create_all(&meta).await.unwrap();
    for name in ["ann", "bob"] {
        db.insert(&mut Author {
            id: 0,
            name: name.into(),
            born: None,
        })
        .await
        .unwrap();
    }
    db.clear_recorded_queries();
    db
}

/// The statements run since the last call, their first word and table, as `UPDATE uow_author`.
fn statements(db: &Engine) -> Vec<String> {
    let out = db
        .recorded_queries()
        .into_iter()
        .map(|q| {
            q.statement
                .replace(['"', '`'], "")
                .split_whitespace()
                .take(4)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    db.clear_recorded_queries();
    out
}

fn count(statements: &[String], prefix: &str) -> usize {
    statements.iter().filter(|s| s.starts_with(prefix)).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_map_and_change_tracking() {
    let _serial = SERIAL.lock().await;
    let dir = temp_dir("identity");
    for url in backends() {
        let db = fresh(&url, &dir).await;
        let session = db.session();

        // One object per row: a second get is the same object, without a query.
        let ann = session.object::<Author>(1).await.unwrap().unwrap();
        let again = session.object::<Author>(1).await.unwrap().unwrap();
        assert!(ann.is(&again), "{url}");
        assert_eq!(count(&statements(&db), "SELECT"), 1, "{url}");
        assert_eq!(ann.state(), ObjectState::Persistent);

        // A query returns the tracked object for a row the session has.
        let all = session
            .select::<Author>()
            .order_by(Author::id.asc())
            .objects()
            .await
            .unwrap();
        assert!(all[0].is(&ann), "{url}");
        assert_eq!(all.len(), 2);

        // Loaded and unchanged: a commit writes nothing.
        statements(&db);
        session.commit().await.unwrap();
        assert_eq!(count(&statements(&db), "UPDATE"), 0, "{url}");

        // Changed in Rust, written at commit: only the column that changed.
        let ann = session.object::<Author>(1).await.unwrap().unwrap();
        ann.write().born = Some(1815);
        assert!(ann.is_modified());
        statements(&db);
        session.commit().await.unwrap();
        let sent = db.recorded_queries();
        let update: Vec<_> = sent
            .iter()
            .filter(|q| q.statement.starts_with("UPDATE"))
            .collect();
        assert_eq!(update.len(), 1, "{url}: {sent:?}");
        assert!(
            !update[0].statement.contains("name"),
            "{}",
            update[0].statement
        );
        assert!(
            update[0].statement.contains("born"),
            "{}",
            update[0].statement
        );
        db.clear_recorded_queries();
        assert!(!ann.is_modified());
        assert_eq!(db.get::<Author>(1).await.unwrap().unwrap().born, Some(1815));

        // A change back to what was loaded is no change.
        let bob = session.object::<Author>(2).await.unwrap().unwrap();
        bob.write().name = "robert".into();
        bob.write().name = "bob".into();
        assert!(!bob.is_modified());
        statements(&db);
        session.flush().await.unwrap();
        assert_eq!(count(&statements(&db), "UPDATE"), 0, "{url}");
        session.rollback().await.unwrap();

        // An explicit write of a tracked row expires its object: the next load reads it.
        let ann = session.object::<Author>(1).await.unwrap().unwrap();
        let mut plain = db.get::<Author>(1).await.unwrap().unwrap();
        plain.name = "ann b.".into();
        session.add(&mut plain).await.unwrap();
        assert!(ann.is_expired(), "{url}");
        let again = session.object::<Author>(1).await.unwrap().unwrap();
        assert!(again.is(&ann));
        assert_eq!(ann.read().name, "ann b.", "{url}");
        // An explicit delete detaches it.
        let bob = session.object::<Author>(2).await.unwrap().unwrap();
        let plain = db.get::<Author>(2).await.unwrap().unwrap();
        session.delete(&plain).await.unwrap();
        assert_eq!(bob.state(), ObjectState::Detached, "{url}");
        assert!(session.object::<Author>(2).await.unwrap().is_none());
        session.rollback().await.unwrap();

        // Another session has its own object of the row.
        let other = db.session();
        let ann2 = other.object::<Author>(1).await.unwrap().unwrap();
        assert!(!ann2.is(&ann));
        other.rollback().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_objects_flush_parents_first_and_autoflush() {
    let _serial = SERIAL.lock().await;
    let dir = temp_dir("pending");
    for url in backends() {
        let db = fresh(&url, &dir).await;
        let session = db.session();

        // Added child first, parent second: the flush still inserts the parent first, and
        // the child's foreign key takes the parent's numbered key.
        let book = session.add_object(Book {
            id: 0,
            author_id: 0,
            title: "Persuasion".into(),
            pages: 250,
        });
        let jane = session.add_object(Author {
            id: 0,
            name: "jane".into(),
            born: Some(1775),
        });
        Book::author.set(&book, &jane).unwrap();
        assert_eq!(jane.state(), ObjectState::Pending);
        assert_eq!(db.select::<Author>().count().await.unwrap(), 2, "{url}");
        statements(&db);

        // A query in the session flushes first (autoflush), and sees them.
        let n = session.select::<Book>().count().await.unwrap();
        assert_eq!(n, 1, "{url}");
        let sent = statements(&db);
        let order: Vec<&String> = sent.iter().filter(|s| s.starts_with("INSERT")).collect();
        assert_eq!(order.len(), 2, "{url}: {sent:?}");
        assert!(order[0].contains("uow_author"), "{url}: {sent:?}");
        assert!(order[1].contains("uow_book"), "{url}: {sent:?}");
        assert_eq!(jane.state(), ObjectState::Persistent);
        let jane_id = jane.read().id;
        assert!(jane_id > 2, "{url}: numbered {jane_id}");
        assert_eq!(book.read().author_id, jane_id);

        // The inserted object is in the identity map.
        let found = session.object::<Author>(jane_id).await.unwrap().unwrap();
        assert!(found.is(&jane));

        // append() from the parent's side, onto a persistent parent: at once.
        let emma = session.add_object(Book {
            id: 0,
            author_id: 0,
            title: "Emma".into(),
            pages: 474,
        });
        Author::books.append(&jane, &emma).unwrap();
        assert_eq!(emma.read().author_id, jane_id);
        session.commit().await.unwrap();
        let books = db
            .select::<Book>()
            .filter(Book::author_id.eq(jane_id))
            .count()
            .await
            .unwrap();
        assert_eq!(books, 2, "{url}");

        // Deletes go children first, whatever order they were marked in.
        let session = db.session();
        let jane = session.object::<Author>(jane_id).await.unwrap().unwrap();
        let books = session
            .select::<Book>()
            .filter(Book::author_id.eq(jane_id))
            .objects()
            .await
            .unwrap();
        session.delete_object(&jane).unwrap();
        for book in &books {
            session.delete_object(book).unwrap();
        }
        assert_eq!(jane.state(), ObjectState::Deleted);
        statements(&db);
        session.commit().await.unwrap();
        let sent = statements(&db);
        let deletes: Vec<&String> = sent.iter().filter(|s| s.starts_with("DELETE")).collect();
        assert_eq!(deletes.len(), 3, "{url}: {sent:?}");
        assert!(deletes[2].contains("uow_author"), "{url}: {sent:?}");
        assert_eq!(jane.state(), ObjectState::Detached);
        assert_eq!(db.select::<Book>().count().await.unwrap(), 0, "{url}");
        assert!(db.get::<Author>(jane_id).await.unwrap().is_none());

        // A pending object deleted before its flush is simply dropped.
        let session = db.session();
        let ghost = session.add_object(Author {
            id: 0,
            name: "ghost".into(),
            born: None,
        });
        session.delete_object(&ghost).unwrap();
        assert_eq!(ghost.state(), ObjectState::Detached);
        session.commit().await.unwrap();
        assert_eq!(db.select::<Author>().count().await.unwrap(), 2, "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_expire_refresh_merge_expunge() {
    let _serial = SERIAL.lock().await;
    let dir = temp_dir("states");
    for url in backends() {
        let db = fresh(&url, &dir).await;
        let session = db.session();

        // A rollback undoes the flushed insert and detaches its object; the changed object
        // is expired, and its next load brings back the row as it is.
        let ann = session.object::<Author>(1).await.unwrap().unwrap();
        ann.write().name = "anne".into();
        let new = session.add_object(Author {
            id: 0,
            name: "carl".into(),
            born: None,
        });
        session.flush().await.unwrap();
        session.rollback().await.unwrap();
        assert_eq!(new.state(), ObjectState::Detached, "{url}");
        assert!(ann.is_expired());
        assert_eq!(ann.read().name, "anne"); // until it loads again
        let again = session.object::<Author>(1).await.unwrap().unwrap();
        assert!(again.is(&ann));
        assert_eq!(ann.read().name, "ann", "{url}");
        assert_eq!(db.select::<Author>().count().await.unwrap(), 2);

        // refresh() loads now, dropping a change not flushed.
        session.rollback().await.unwrap();
        db.execute(text("UPDATE uow_author SET born = 1900 WHERE id = 1"))
            .await
            .unwrap();
        ann.write().name = "annie".into();
        session.refresh(&ann).await.unwrap();
        assert_eq!(ann.read().name, "ann", "{url}");
        assert_eq!(ann.read().born, Some(1900), "{url}");
        assert!(!ann.is_modified());

        // expire() drops the change from the next flush.
        ann.write().name = "annabel".into();
        session.expire(&ann);
        session.commit().await.unwrap();
        assert_eq!(
            db.get::<Author>(1).await.unwrap().unwrap().name,
            "ann",
            "{url}"
        );

        // merge() copies a detached struct's state onto the session's object.
        let bob = session.object::<Author>(2).await.unwrap().unwrap();
        let edited = Author {
            id: 2,
            name: "bobby".into(),
            born: Some(1950),
        };
        let merged = session.merge(edited).await.unwrap();
        assert!(merged.is(&bob));
        assert!(bob.is_modified());
        session.commit().await.unwrap();
        // A key the session has not seen: loaded, then changed.
        let other = db.session();
        let fresh_merge = other
            .merge(Author {
                id: 1,
                name: "ann".into(),
                born: Some(1901),
            })
            .await
            .unwrap();
        assert_eq!(fresh_merge.state(), ObjectState::Persistent);
        other.commit().await.unwrap();
        assert_eq!(db.get::<Author>(2).await.unwrap().unwrap().name, "bobby");
        assert_eq!(db.get::<Author>(1).await.unwrap().unwrap().born, Some(1901));
        // No row with that key: it is added.
        let added = session
            .merge(Author {
                id: 50,
                name: "dora".into(),
                born: None,
            })
            .await
            .unwrap();
        assert_eq!(added.state(), ObjectState::Pending);
        session.commit().await.unwrap();
        assert!(db.get::<Author>(50).await.unwrap().is_some(), "{url}");

        // expunge(): no longer tracked, its changes stay in Rust.
        let bob = session.object::<Author>(2).await.unwrap().unwrap();
        session.expunge(&bob);
        bob.write().name = "nobody".into();
        session.commit().await.unwrap();
        assert_eq!(bob.state(), ObjectState::Detached);
        assert_eq!(db.get::<Author>(2).await.unwrap().unwrap().name, "bobby");
        let err = session.delete_object(&bob).unwrap_err();
        assert!(err.to_string().contains("merge()"), "{err}");
        let reloaded = session.object::<Author>(2).await.unwrap().unwrap();
        assert!(!reloaded.is(&bob));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_rows_composite_keys_and_key_changes() {
    let _serial = SERIAL.lock().await;
    let dir = temp_dir("stale");
    for url in backends() {
        let db = fresh(&url, &dir).await;

        // A row deleted behind the session's back: the flush says so, and writes nothing.
        let session = db.session();
        let bob = session.object::<Author>(2).await.unwrap().unwrap();
        session.commit().await.unwrap();
        db.execute(text("DELETE FROM uow_author WHERE id = 2"))
            .await
            .unwrap();
        bob.write().born = Some(2000);
        let err = session.flush().await.unwrap_err();
        assert!(matches!(err, Error::StaleData { .. }), "{url}: {err}");
        assert!(err.to_string().contains("id=Int(2)"), "{err}");
        session.rollback().await.unwrap();

        // Composite keys: one object per (team, member), found by its whole key.
        let session = db.session();
        session.add_object(Membership {
            team: "red".into(),
            member: 1,
            role: "lead".into(),
        });
        session.commit().await.unwrap();
        let key = vec!["red".into(), 1_i64.into()];
        let m = session
            .object_by_key::<Membership>(key.clone())
            .await
            .unwrap()
            .unwrap();
        let again = session
            .object_by_key::<Membership>(key)
            .await
            .unwrap()
            .unwrap();
        assert!(m.is(&again));
        let err = session.object::<Membership>("red").await.unwrap_err();
        assert!(err.to_string().contains("2 primary key column(s)"), "{err}");
        // The engine and the explicit session read it by its whole key too.
        let row = db
            .get_by_key::<Membership>(vec!["red".into(), 1_i64.into()])
            .await
            .unwrap();
        assert_eq!(row.map(|m| m.role).as_deref(), Some("lead"), "{url}");
        let none = db
            .get_by_key::<Membership>(vec!["red".into(), 2_i64.into()])
            .await
            .unwrap();
        assert!(none.is_none());
        let err = db.get::<Membership>("red").await.unwrap_err();
        assert!(err.to_string().contains("get_by_key"), "{err}");

        // A changed key is written from the key it was loaded with.
        m.write().team = "blue".into();
        session.commit().await.unwrap();
        let teams: Vec<String> = db
            .all::<Membership>()
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.team)
            .collect();
        assert_eq!(teams, ["blue"], "{url}");
        let moved = session
            .object_by_key::<Membership>(vec!["blue".into(), 1_i64.into()])
            .await
            .unwrap()
            .unwrap();
        assert!(moved.is(&m));

        // objects() needs a session.
        let err = db.select::<Author>().objects().await.unwrap_err();
        assert!(err.to_string().contains("session.select"), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batched_updates_events_and_models_committed() {
    use std::sync::{Arc, Mutex};
    let _serial = SERIAL.lock().await;
    let dir = temp_dir("batch");
    for url in backends() {
        let db = fresh(&url, &dir).await;
        for name in ["cy", "di", "ed"] {
            db.insert(&mut Author {
                id: 0,
                name: name.into(),
                born: None,
            })
            .await
            .unwrap();
        }
        // A before_update listener's change is written with the rest.
        db.events().before_update(|a: &mut Author| {
            if a.born.is_some() {
                a.name = a.name.to_uppercase();
            }
        });
        let committed = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&committed);
        db.events().on_models_committed(move |changes| {
            seen.lock().unwrap().extend(
                changes
                    .iter()
                    .map(|c| format!("{:?} {:?}", c.operation, c.primary_key)),
            );
        });
        db.clear_recorded_queries();

        let session = db.session();
        let authors = session
            .select::<Author>()
            .order_by(Author::id.asc())
            .objects()
            .await
            .unwrap();
        assert_eq!(authors.len(), 5);
        for (i, a) in authors.iter().enumerate().skip(1) {
            a.write().born = Some(1900 + i as i32);
        }
        statements(&db);
        session.commit().await.unwrap();
        // Four rows, the same columns changed: one UPDATE.
        let sent = statements(&db);
        assert_eq!(count(&sent, "UPDATE"), 1, "{url}: {sent:?}");
        let rows = db
            .select::<Author>()
            .order_by(Author::id.asc())
            .all()
            .await
            .unwrap();
        let shown: Vec<(String, Option<i32>)> =
            rows.into_iter().map(|a| (a.name, a.born)).collect();
        assert_eq!(
            shown,
            [
                ("ann".to_owned(), None),
                ("BOB".to_owned(), Some(1901)),
                ("CY".to_owned(), Some(1902)),
                ("DI".to_owned(), Some(1903)),
                ("ED".to_owned(), Some(1904)),
            ],
            "{url}"
        );
        assert_eq!(committed.lock().unwrap().len(), 4, "{url}");
        assert!(committed.lock().unwrap()[0].starts_with("Update"));

        // One row of a batch gone: the flush says so, and the transaction is rolled back.
        let session = db.session();
        let authors = session.select::<Author>().objects().await.unwrap();
        session.commit().await.unwrap();
        db.execute(text("DELETE FROM uow_author WHERE id = 3"))
            .await
            .unwrap();
        for a in &authors {
            a.write().born = Some(2000);
        }
        let err = session.commit().await.unwrap_err();
        assert!(matches!(err, Error::StaleData { .. }), "{url}: {err}");
        session.rollback().await.unwrap();
        let born: Vec<Option<i32>> = db
            .all::<Author>()
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.born)
            .collect();
        assert!(!born.contains(&Some(2000)), "{url}: {born:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::await_holding_lock)] // on purpose: the mistake under test
async fn a_guard_held_across_an_await_is_an_error_not_a_hang() {
    let _serial = SERIAL.lock().await;
    let dir = temp_dir("guard");
    for url in backends() {
        let db = fresh(&url, &dir).await;
        let session = db.session();
        let pending = session.add_object(Author {
            id: 0,
            name: "held".into(),
            born: None,
        });
        // The autoflush before the query must write the numbered key into the object that
        // the argument's read() guard still holds.
        let err = session
            .object::<Author>(pending.read().id)
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("copy the field out first"),
            "{url}: {err}"
        );
        session.rollback().await.unwrap();
    }
}
