//! The engine on the three databases: the same tests on SQLite, PostgreSQL and MariaDB
//! (the local services; `cargo xtask test-all` passes their URLs).

mod common;
use common::backends;

use std::sync::atomic::{AtomicU32, Ordering};

use flask_sqlalchemy::{Dialect, Engine, EngineOptions, Error, Value, text};

async fn engine(url: &str, options: EngineOptions) -> Engine {
    Engine::connect(url, std::env::temp_dir().as_ref(), options)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"))
}

/// A table name no other test (or parallel run) uses.
fn table(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Drops the table when the test ends, failed or not.
struct Dropper(Engine, String);

impl Drop for Dropper {
    fn drop(&mut self) {
        let engine = self.0.clone();
        let sql = format!("DROP TABLE IF EXISTS {}", self.1);
        let handle = tokio::runtime::Handle::current();
        std::thread::spawn(move || {
            handle.block_on(async move {
                let _ = engine.execute(text(sql)).await;
            });
        })
        .join()
        .ok();
    }
}

fn ddl(dialect: Dialect, name: &str) -> String {
    let (id, blob, json, boolean, float) = match dialect {
        Dialect::Sqlite => ("INTEGER PRIMARY KEY", "BLOB", "TEXT", "BOOLEAN", "REAL"),
        Dialect::Postgres => (
            "BIGSERIAL PRIMARY KEY",
            "BYTEA",
            "JSONB",
            "BOOLEAN",
            "DOUBLE PRECISION",
        ),
        Dialect::MySql => (
            "BIGINT AUTO_INCREMENT PRIMARY KEY",
            "BLOB",
            "JSON",
            "BOOLEAN",
            "DOUBLE",
        ),
    };
    format!(
        "CREATE TABLE {name} (id {id}, name VARCHAR(200) NOT NULL UNIQUE, score {float}, \
         visits BIGINT, active {boolean}, photo {blob}, extra {json}, note TEXT)"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_round_trip_on_every_backend() {
    for url in backends() {
        let db = engine(&url, EngineOptions::default()).await;
        let t = table("roundtrip");
        let _drop = Dropper(db.clone(), t.clone());
        db.execute(text(ddl(db.dialect(), &t))).await.unwrap();
        let extra = serde_json::json!({"tags": ["a", "b"], "n": 1});
        let inserted = db
            .execute(
                text(format!(
                    "INSERT INTO {t} (name, score, visits, active, photo, extra, note) \
                     VALUES (:name, :score, :visits, :active, :photo, :extra, :note)"
                ))
                .bind("name", "Jörg ünïcode ✓")
                .bind("score", 2.5)
                .bind("visits", 9_000_000_000_i64)
                .bind("active", true)
                .bind("photo", vec![0_u8, 159, 146, 150])
                .bind("extra", extra.clone())
                .bind("note", None::<String>),
            )
            .await
            .unwrap();
        assert_eq!(inserted, 1, "{url}");
        let row = db
            .fetch_optional(text(format!(
                "SELECT name, score, visits, active, photo, extra, note FROM {t}"
            )))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            row.get("name"),
            Some(&Value::Text("Jörg ünïcode ✓".into())),
            "{url}"
        );
        assert_eq!(row.get("score"), Some(&Value::Float(2.5)), "{url}");
        assert_eq!(row.get("visits"), Some(&Value::Int(9_000_000_000)), "{url}");
        // MySQL's BOOLEAN is TINYINT(1), and SQLite keeps 1: both read as true or 1.
        assert_eq!(row.get("active").and_then(Value::as_i64), Some(1), "{url}");
        assert_eq!(
            row.get("photo"),
            Some(&Value::Bytes(vec![0, 159, 146, 150])),
            "{url}"
        );
        let stored_extra = match row.get("extra") {
            Some(Value::Json(j)) => j.clone(),
            Some(Value::Text(s)) => serde_json::from_str(s).unwrap(),
            other => panic!("{url}: extra came back as {other:?}"),
        };
        assert_eq!(stored_extra, extra, "{url}");
        assert_eq!(row.get("note"), Some(&Value::Null), "{url}");
        db.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injection_attempts_are_stored_and_matched_literally() {
    for url in backends() {
        let db = engine(&url, EngineOptions::default()).await;
        let t = table("inject");
        let _drop = Dropper(db.clone(), t.clone());
        db.execute(text(ddl(db.dialect(), &t))).await.unwrap();
        let evil = [
            format!("Robert'); DROP TABLE {t}; --"),
            "' OR '1'='1".to_owned(),
            "\\'; SELECT 1; --".to_owned(),
            ":name".to_owned(),
            "$1".to_owned(),
        ];
        for name in &evil {
            db.execute(
                text(format!("INSERT INTO {t} (name) VALUES (:name)")).bind("name", name.as_str()),
            )
            .await
            .unwrap_or_else(|e| panic!("{url}: {name}: {e}"));
        }
        for name in &evil {
            let n = db
                .scalar(
                    text(format!("SELECT COUNT(*) FROM {t} WHERE name = :name"))
                        .bind("name", name.as_str()),
                )
                .await
                .unwrap();
            assert_eq!(n.as_i64(), Some(1), "{url}: {name}");
        }
        let n = db
            .scalar(
                text(format!("SELECT COUNT(*) FROM {t} WHERE name = :name"))
                    .bind("name", "x' OR 'x'='x"),
            )
            .await
            .unwrap();
        assert_eq!(n.as_i64(), Some(0), "{url}");
        let all = db
            .scalar(text(format!("SELECT COUNT(*) FROM {t}")))
            .await
            .unwrap();
        assert_eq!(all.as_i64(), Some(evil.len() as i64), "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_is_a_unique_violation_and_changes_nothing() {
    for url in backends() {
        let db = engine(&url, EngineOptions::default()).await;
        let t = table("uniq");
        let _drop = Dropper(db.clone(), t.clone());
        db.execute(text(ddl(db.dialect(), &t))).await.unwrap();
        let insert = text(format!("INSERT INTO {t} (name, visits) VALUES (:name, :v)"));
        db.execute(insert.clone().bind("name", "ada").bind("v", 1))
            .await
            .unwrap();
        let err = db
            .execute(insert.bind("name", "ada").bind("v", 2))
            .await
            .unwrap_err();
        assert!(err.is_unique_violation(), "{url}: {err}");
        assert!(err.to_string().contains("INSERT INTO"), "{url}: {err}");
        let visits = db
            .scalar(text(format!("SELECT visits FROM {t} WHERE name = 'ada'")))
            .await
            .unwrap();
        assert_eq!(visits.as_i64(), Some(1), "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recorded_queries_have_statement_parameters_and_duration() {
    for url in backends() {
        let options = EngineOptions {
            record_queries: true,
            echo: true,
            ..EngineOptions::default()
        };
        let db = engine(&url, options).await;
        let t = table("rec");
        let _drop = Dropper(db.clone(), t.clone());
        db.execute(text(ddl(db.dialect(), &t))).await.unwrap();
        db.clear_recorded_queries();
        db.execute(text(format!("INSERT INTO {t} (name) VALUES (:name)")).bind("name", "ada"))
            .await
            .unwrap();
        let recorded = db.recorded_queries();
        assert_eq!(recorded.len(), 1, "{url}");
        let placeholder = if db.dialect() == Dialect::Postgres {
            "$1"
        } else {
            "?"
        };
        assert_eq!(
            recorded[0].statement,
            format!("INSERT INTO {t} (name) VALUES ({placeholder})"),
            "{url}"
        );
        assert_eq!(recorded[0].parameters, [Value::Text("ada".into())], "{url}");
        assert!(recorded[0].duration.as_nanos() > 0, "{url}");
    }
}

#[tokio::test]
async fn an_unreachable_database_is_named_without_its_password() {
    for url in [
        "postgresql://app:s3cret@127.0.0.1:1/shop",
        "mysql+pymysql://app:s3cret@127.0.0.1:1/shop",
    ] {
        let err = Engine::connect(url, "".as_ref(), EngineOptions::default())
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::Connect { .. }), "{text}");
        assert!(text.contains("app:***@127.0.0.1:1/shop"), "{text}");
        assert!(!text.contains("s3cret"), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_files_go_in_the_instance_folder_and_memory_is_shared() {
    let instance = std::env::temp_dir().join(format!("flask-sqla-instance-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&instance);
    let db = Engine::connect("sqlite:///data/app.db", &instance, EngineOptions::default())
        .await
        .unwrap();
    db.execute(text("CREATE TABLE t (x INTEGER)"))
        .await
        .unwrap();
    assert!(instance.join("data/app.db").is_file());
    db.close().await;
    std::fs::remove_dir_all(&instance).unwrap();

    // Every pooled connection sees the one in-memory database.
    let db = Engine::connect("sqlite://", "".as_ref(), EngineOptions::default())
        .await
        .unwrap();
    db.execute(text("CREATE TABLE t (x INTEGER)"))
        .await
        .unwrap();
    let counts = futures_join(&db).await;
    assert!(counts.iter().all(|c| *c == Value::Int(0)), "{counts:?}");
}

async fn futures_join(db: &Engine) -> Vec<Value> {
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            db.scalar(text("SELECT COUNT(*) FROM t")).await.unwrap()
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[derive(Debug, Clone, PartialEq, flask_sqlalchemy::Model)]
#[model(table = "fs_concurrent_create")]
struct ConcurrentCreate {
    #[model(primary_key)]
    id: i64,
    #[model(unique, max_length = 50)]
    name: String,
}

/// Instances starting at once on one database all create their tables without an error
/// (one creates, the others find them there).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_all_from_instances_starting_at_once() {
    for url in backends() {
        if url.starts_with("sqlite") {
            continue;
        }
        let meta = flask_sqlalchemy::MetaData::new().register::<ConcurrentCreate>();
        let setup = engine(&url, EngineOptions::default()).await;
        setup.drop_all(&meta).await.unwrap();
        for _round in 0..3 {
            let mut starts = Vec::new();
            for _ in 0..4 {
                let (url, meta) = (url.clone(), meta.clone());
                starts.push(tokio::spawn(async move {
                    let e = engine(&url, EngineOptions::default()).await;
                    let r = e.create_all(&meta).await;
                    e.close().await;
                    r
                }));
            }
            for s in starts {
                s.await.unwrap().unwrap_or_else(|e| panic!("{url}: {e}"));
            }
            assert!(setup.has_table("fs_concurrent_create").await.unwrap());
            setup.drop_all(&meta).await.unwrap();
        }
        setup.close().await;
    }
}
