//! The session on the three databases: what it writes is its own until commit, rollback
//! (explicit or on drop) undoes it, savepoints undo part of it.

mod common;
use common::backends;

use flask_sqlalchemy::{Engine, EngineOptions, Error, MetaData, Model, text};

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "orm_test_account")]
struct Account {
    #[model(primary_key)]
    id: i64,
    #[model(max_length = 40, unique)]
    owner: String,
    balance: i64,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "orm_test_setting")]
struct Setting {
    #[model(primary_key, max_length = 40)]
    key: String,
    value: String,
}

fn account(owner: &str, balance: i64) -> Account {
    Account {
        id: 0,
        owner: owner.to_owned(),
        balance,
    }
}

/// The tests of this file share their tables on the servers: one runs at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A fresh engine with empty tables. SQLite runs on a file here: an in-memory database is
/// shared by its pooled connections through SQLite's shared cache, where a reader waits for
/// a writer's commit instead of reading around it.
async fn fresh(url: &str, dir: &std::path::Path) -> Engine {
    let url = if url.starts_with("sqlite") {
        format!("sqlite:///{}", dir.join("session.db").display())
    } else {
        url.to_owned()
    };
    let db = Engine::connect(&url, dir, EngineOptions::default())
        .await
        .unwrap();
    let meta = MetaData::new().register::<Account>().register::<Setting>();
    db.drop_all(&meta).await.unwrap();
    db.create_all(&meta).await.unwrap();
    db
}

async fn owners(db: &Engine) -> Vec<String> {
    db.all::<Account>()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.owner)
        .collect()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("flask-orm-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commit_rollback_and_isolation() {
    let _serial = SERIAL.lock().await;
    let dir = temp_dir("session");
    for url in backends() {
        let db = fresh(&url, &dir).await;
        let session = db.session();
        assert!(
            !session.in_transaction().await,
            "{url}: no transaction before a statement"
        );

        let mut alice = account("alice", 100);
        session.add(&mut alice).await.unwrap();
        assert!(
            alice.id > 0,
            "{url}: the key is numbered in the transaction"
        );
        assert!(session.in_transaction().await, "{url}");

        // The session sees its own write; a second session and the engine do not.
        assert_eq!(
            session.get::<Account>(alice.id).await.unwrap(),
            Some(alice.clone()),
            "{url}"
        );
        let other = db.session();
        assert_eq!(other.select::<Account>().count().await.unwrap(), 0, "{url}");
        other.rollback().await.unwrap();
        assert!(owners(&db).await.is_empty(), "{url}: uncommitted is unseen");

        session.commit().await.unwrap();
        assert!(!session.in_transaction().await, "{url}");
        assert_eq!(owners(&db).await, ["alice"], "{url}: committed is seen");

        // After a commit the session goes on in a new transaction; rollback undoes it all.
        session.add(&mut account("bob", 5)).await.unwrap();
        alice.balance = 60;
        session.add(&mut alice).await.unwrap(); // an existing key: an update
        session
            .execute(text("UPDATE orm_test_account SET balance = balance + 1"))
            .await
            .unwrap();
        assert_eq!(
            session
                .select::<Account>()
                .filter(Account::balance.gt(50))
                .count()
                .await
                .unwrap(),
            1,
            "{url}"
        );
        session.rollback().await.unwrap();
        let stored = db.get::<Account>(alice.id).await.unwrap().unwrap();
        assert_eq!(stored.balance, 100, "{url}: the update was rolled back");
        assert_eq!(
            owners(&db).await,
            ["alice"],
            "{url}: the insert was rolled back"
        );

        // Dropped uncommitted: rolled back.
        {
            let dropped = db.session();
            dropped.add(&mut account("carol", 1)).await.unwrap();
            dropped
                .delete(&db.get::<Account>(alice.id).await.unwrap().unwrap())
                .await
                .unwrap();
        }
        assert_eq!(owners(&db).await, ["alice"], "{url}: dropped, nothing kept");

        // An update of the row, then a delete, committed.
        let session = db.session();
        alice.balance = 70;
        session.add(&mut alice).await.unwrap();
        session.commit().await.unwrap();
        assert_eq!(
            db.get::<Account>(alice.id).await.unwrap(),
            Some(alice.clone())
        );
        assert_eq!(session.delete(&alice).await.unwrap(), 1, "{url}");
        session.commit().await.unwrap();
        assert!(owners(&db).await.is_empty(), "{url}");

        // A key the model sets itself: add inserts it, then updates it.
        let mut theme = Setting {
            key: "theme".into(),
            value: "dark".into(),
        };
        session.add(&mut theme).await.unwrap();
        theme.value = "light".into();
        session.add(&mut theme).await.unwrap();
        session.commit().await.unwrap();
        assert_eq!(db.all::<Setting>().await.unwrap(), [theme], "{url}");
        db.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn savepoints() {
    let _serial = SERIAL.lock().await;
    let dir = temp_dir("savepoints");
    for url in backends() {
        let db = fresh(&url, &dir).await;
        let session = db.session();
        session.add(&mut account("a", 1)).await.unwrap();

        // Rolled back: only what came after the savepoint goes.
        let sp = session.begin_nested().await.unwrap();
        session.add(&mut account("b", 2)).await.unwrap();
        sp.rollback().await.unwrap();
        assert_eq!(
            session.select::<Account>().count().await.unwrap(),
            1,
            "{url}"
        );

        // Committed (released), inside another one that is released too.
        let outer = session.begin_nested().await.unwrap();
        session.add(&mut account("c", 3)).await.unwrap();
        let inner = session.begin_nested().await.unwrap();
        session.add(&mut account("d", 4)).await.unwrap();
        inner.commit().await.unwrap();
        outer.commit().await.unwrap();

        // Dropped: rolled back before the next statement.
        {
            let _dropped = session.begin_nested().await.unwrap();
            session.add(&mut account("e", 5)).await.unwrap();
        }
        assert_eq!(
            session.select::<Account>().count().await.unwrap(),
            3,
            "{url}"
        );

        // A failed statement inside a savepoint: rolling the savepoint back recovers the
        // transaction (PostgreSQL refuses everything after an error otherwise).
        let sp = session.begin_nested().await.unwrap();
        let err = session.add(&mut account("a", 9)).await.unwrap_err();
        assert!(err.is_unique_violation(), "{url}: {err}");
        sp.rollback().await.unwrap();
        session.add(&mut account("f", 6)).await.unwrap();

        session.commit().await.unwrap();
        assert_eq!(owners(&db).await, ["a", "c", "d", "f"], "{url}");

        // Dropped right before a commit: still rolled back, not committed.
        {
            let _dropped = session.begin_nested().await.unwrap();
            session.add(&mut account("g", 7)).await.unwrap();
        }
        session.commit().await.unwrap();
        assert_eq!(
            owners(&db).await,
            ["a", "c", "d", "f"],
            "{url}: g was rolled back"
        );

        // A savepoint outlived by its transaction says so.
        let sp = session.begin_nested().await.unwrap();
        session.rollback().await.unwrap();
        let err = sp.commit().await.unwrap_err();
        assert!(matches!(err, Error::Transaction(_)), "{url}: {err}");
        assert!(
            err.to_string().contains("transaction ended"),
            "{url}: {err}"
        );
        db.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sessions_do_not_see_each_other() {
    use std::sync::Arc;
    use tokio::sync::Barrier;

    let _serial = SERIAL.lock().await;
    let dir = temp_dir("concurrent");
    for url in backends() {
        let db = fresh(&url, &dir).await;
        // SQLite has one writer at a time; the servers take two at once.
        let writers = if url.starts_with("sqlite") { 1 } else { 2 };
        let readers = 2;
        let all = writers + readers;
        let (written, ended, committed) = (
            Arc::new(Barrier::new(all)),
            Arc::new(Barrier::new(all)),
            Arc::new(Barrier::new(all)),
        );
        let mut tasks = Vec::new();
        for i in 0..all {
            let (db, written, ended, committed) = (
                db.clone(),
                written.clone(),
                ended.clone(),
                committed.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let session = db.session();
                let count = || async {
                    session
                        .select::<Account>()
                        .filter(Account::balance.eq(-1))
                        .count()
                        .await
                        .unwrap()
                };
                if i < writers {
                    session
                        .add(&mut account(&format!("w{i}"), -1))
                        .await
                        .unwrap();
                    written.wait().await;
                    let own = count().await; // its own row, not the other writer's
                    ended.wait().await;
                    session.commit().await.unwrap();
                    committed.wait().await;
                    (own, count().await)
                } else {
                    written.wait().await;
                    let before = count().await; // no one has committed
                    session.rollback().await.unwrap();
                    ended.wait().await;
                    committed.wait().await;
                    (before, count().await)
                }
            }));
        }
        for (i, t) in tasks.into_iter().enumerate() {
            let (before, after) = t.await.unwrap();
            let expected_before = if i < writers { 1 } else { 0 };
            assert_eq!(
                before, expected_before,
                "{url}: session {i} before the commits"
            );
            assert_eq!(
                after, writers as i64,
                "{url}: session {i} after the commits"
            );
        }
        db.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_for_update_locks_rows_nowait_fails_and_skip_locked_passes_them_by() {
    use flask_sqlalchemy::ForUpdate;
    let _serial = SERIAL.lock().await;
    let dir = temp_dir("for-update");
    for url in backends() {
        let db = fresh(&url, &dir).await;
        for (owner, balance) in [("alice", 10), ("bob", 20), ("carol", 30)] {
            db.insert(&mut account(owner, balance)).await.unwrap();
        }
        let holder = db.session();
        let held = holder
            .select::<Account>()
            .filter(Account::owner.eq("alice"))
            .with_for_update(ForUpdate::new())
            .one()
            .await
            .unwrap();
        assert_eq!(held.balance, 10, "{url}");
        if url.starts_with("sqlite") {
            // No row locks in SQLite: the clause is left out, the query runs as it is.
            holder.commit().await.unwrap();
            continue;
        }
        let other = db.session();
        let refused = other
            .select::<Account>()
            .filter(Account::owner.eq("alice"))
            .with_for_update(ForUpdate::new().nowait())
            .one()
            .await;
        assert!(refused.is_err(), "{url}: NOWAIT on a held row is an error");
        other.rollback().await.unwrap();

        let other = db.session();
        let free: Vec<String> = other
            .select::<Account>()
            .order_by(Account::owner.asc())
            .with_for_update(ForUpdate::new().skip_locked())
            .all()
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.owner)
            .collect();
        assert_eq!(free, ["bob", "carol"], "{url}: SKIP LOCKED passes alice by");
        other.rollback().await.unwrap();

        holder.commit().await.unwrap();
        let other = db.session();
        let now_free = other
            .select::<Account>()
            .filter(Account::owner.eq("alice"))
            .with_for_update(ForUpdate::new().nowait())
            .one()
            .await
            .unwrap();
        assert_eq!(
            now_free.owner, "alice",
            "{url}: free once the holder committed"
        );
        other.commit().await.unwrap();
    }
}
