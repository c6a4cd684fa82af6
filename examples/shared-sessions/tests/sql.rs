//! The SQL session store (`SESSION_TYPE = "sql"`) against the real databases: SQLite in a
//! temporary file (always), PostgreSQL and MySQL/MariaDB when `cargo xtask test-all` hands
//! their URLs over (`FLASK_TEST_POSTGRES_URL`, `FLASK_TEST_MYSQL_URL`).
//!
//! Every test has a table of its own (`SESSION_SQL_TABLE`), dropped at its end, so tests run
//! in parallel and next to other runs on the same database.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use flask::{Config, Flask, sessions::SqlStore, testing::TestClient};
use sqlx::AssertSqlSafe;
use sqlx::mysql::MySqlPool;
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;

/// A database under test: its URL, a table for this test, and a plain connection to look
/// at the table.
struct Db {
    url: String,
    table: String,
    raw: Raw,
    /// The SQLite file, removed at the end.
    file: Option<PathBuf>,
}

enum Raw {
    Sqlite(SqlitePool),
    Postgres(PgPool),
    MySql(MySqlPool),
}

/// The URL of a service from `cargo xtask test-all`, or `None` to skip (a failure when the
/// run requires services).
fn service_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) => Some(url),
        Err(_) if std::env::var("FLASK_TEST_REQUIRE_SERVICES").is_ok() => {
            panic!("{var} is not set but services are required")
        }
        Err(_) => {
            eprintln!(
                "skipped: {var} is not set (cargo xtask test-all sets it when the service answers)"
            );
            None
        }
    }
}

/// A name no other test or run uses: `fs_<test>_<pid>_<n>`.
fn unique(test: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "fs_{test}_{}_{:x}{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .try_into()
        .unwrap()
}

impl Db {
    async fn sqlite(test: &str) -> Option<Db> {
        let name = unique(test);
        let file = std::env::temp_dir().join(format!("{name}.db"));
        // An absolute path: sqlite:///tmp/...; the store creates the file.
        let url = format!("sqlite://{}", file.display());
        let raw = Raw::Sqlite(
            sqlx::sqlite::SqlitePoolOptions::new()
                .connect_with(
                    url.parse::<sqlx::sqlite::SqliteConnectOptions>()
                        .unwrap()
                        .create_if_missing(true),
                )
                .await
                .unwrap(),
        );
        Some(Db {
            url,
            table: name,
            raw,
            file: Some(file),
        })
    }

    async fn postgres(test: &str) -> Option<Db> {
        let url = service_url("FLASK_TEST_POSTGRES_URL")?;
        let raw = Raw::Postgres(PgPool::connect(&url).await.unwrap());
        Some(Db {
            url,
            table: unique(test),
            raw,
            file: None,
        })
    }

    async fn mysql(test: &str) -> Option<Db> {
        let url = service_url("FLASK_TEST_MYSQL_URL")?;
        let raw = Raw::MySql(MySqlPool::connect(&url).await.unwrap());
        Some(Db {
            url,
            table: unique(test),
            raw,
            file: None,
        })
    }

    /// An instance of the app with its sessions in this database (no cleanup task unless
    /// `config` asks for one).
    fn instance(&self, config: impl FnOnce(&mut Config)) -> TestClient {
        self.app(config).test_client()
    }

    fn app(&self, config: impl FnOnce(&mut Config)) -> Flask {
        shared_sessions::app().configure(|c| {
            c.set("SECRET_KEY", "shared-secret");
            c.set("SESSION_TYPE", "sql");
            c.set("SESSION_URL", &self.url);
            c.set("SESSION_SQL_TABLE", &self.table);
            c.set("SESSION_SQL_CLEANUP_INTERVAL", 0);
            config(c);
        })
    }

    async fn execute(&self, sql: String) {
        let sql = AssertSqlSafe(sql);
        match &self.raw {
            Raw::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(drop),
            Raw::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(drop),
            Raw::MySql(pool) => sqlx::query(sql).execute(pool).await.map(drop),
        }
        .unwrap();
    }

    /// The table's rows: `(id, data, expiry_date)`, by id.
    async fn rows(&self) -> Vec<(String, String, i64)> {
        let sql = AssertSqlSafe(format!(
            "SELECT id, data, expiry_date FROM {} ORDER BY id",
            self.table
        ));
        match &self.raw {
            Raw::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await,
            Raw::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await,
            Raw::MySql(pool) => sqlx::query_as(sql).fetch_all(pool).await,
        }
        .unwrap()
    }

    /// Drops the table (and the SQLite file).
    async fn finish(self) {
        self.execute(format!("DROP TABLE {}", self.table)).await;
        match self.raw {
            Raw::Sqlite(pool) => pool.close().await,
            Raw::Postgres(pool) => pool.close().await,
            Raw::MySql(pool) => pool.close().await,
        }
        if let Some(file) = self.file {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
    }
}

/// One `#[tokio::test]` per database for a check taking a `Db`.
macro_rules! on_every_database {
    ($check:ident) => {
        mod $check {
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                if let Some(db) = Db::sqlite(stringify!($check)).await {
                    super::$check(&db).await;
                    db.finish().await;
                }
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(db) = Db::postgres(stringify!($check)).await {
                    super::$check(&db).await;
                    db.finish().await;
                }
            }

            #[tokio::test]
            async fn mysql() {
                if let Some(db) = Db::mysql(stringify!($check)).await {
                    super::$check(&db).await;
                    db.finish().await;
                }
            }
        }
    };
}

on_every_database!(shared);
on_every_database!(expiry);
on_every_database!(cycle);
on_every_database!(tamper);
on_every_database!(no_resurrection);
on_every_database!(anonymous);

/// A session holding only what any visitor gets (a flash, a CSRF secret) is kept for
/// SESSION_ANONYMOUS_LIFETIME (a day), so cookieless visitors cannot fill the table for a
/// month; a login makes the record last the whole lifetime.
async fn anonymous(db: &Db) {
    let c = db
        .app(|_| {})
        .route(
            "/flash-only",
            flask::routing::get(|session: flask::Session| async move {
                session.flash("Welcome", "info");
                "ok"
            }),
        )
        .test_client();
    c.get("/flash-only").send().await;
    let rows = db.rows().await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!((rows[0].2 - now() - 24 * 3600).abs() < 60, "{rows:?}");
    // The same browser logs in: a new id (the old row goes), kept for 31 days.
    c.get("/login/ada").send().await;
    let rows = db.rows().await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!((rows[0].2 - now() - 31 * 24 * 3600).abs() < 60, "{rows:?}");
}

/// `save` updates a session that exists and never makes one again: a request that loaded a
/// session before a logout deleted it, and saves after, must not bring the login back.
async fn no_resurrection(db: &Db) {
    use tower_sessions_core::SessionStore;
    use tower_sessions_core::session::Id;

    let one = db.instance(|_| {});
    one.get("/login/ada").follow_redirects().send().await;
    let rows = db.rows().await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let id: Id = rows[0].0.parse().unwrap();
    let store = flask::sessions::SqlStore::connect_with(&db.url, &db.table, None)
        .await
        .unwrap();
    // What a request loads, changes and saves.
    let mut record = store.load(&id).await.unwrap().unwrap();
    record
        .data
        .insert("theme".to_owned(), serde_json::json!("dark"));
    store.save(&record).await.unwrap();
    let rows = db.rows().await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].1.contains("dark"), "{rows:?}");
    // The logout, in another request.
    one.get("/logout").send().await;
    assert!(db.rows().await.is_empty());
    // The request that was running saves what it loaded before.
    store.save(&record).await.unwrap();
    assert!(db.rows().await.is_empty());
    assert!(store.load(&record.id).await.unwrap().is_none());
}

/// A session round trip, shared by a second instance; logging out removes the row.
async fn shared(db: &Db) {
    let one = db.instance(|_| {});
    let two = db.instance(|_| {});
    // Not ASCII, to see the data survive the database's text encoding.
    let r = one.get("/login/zo%C3%AB").follow_redirects().send().await;
    assert_eq!(r.text(), "Logged in as zoë (visit 1)");
    assert_eq!(
        one.get("/").send().await.text(),
        "Logged in as zoë (visit 2)"
    );

    let rows = db.rows().await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let (_, data, expiry) = &rows[0];
    let data: serde_json::Value = serde_json::from_str(data).unwrap();
    assert_eq!(data["user"], "zoë", "{data}");
    assert_eq!(data["visits"], 2, "{data}");
    // Every record lasts PERMANENT_SESSION_LIFETIME (31 days by default).
    let lifetime = 31 * 24 * 3600;
    assert!((expiry - now() - lifetime).abs() < 60, "{expiry}");

    // The browser moves to the other instance with its cookie.
    two.set_cookie("session", &one.cookie("session").unwrap());
    assert_eq!(
        two.get("/").send().await.text(),
        "Logged in as zoë (visit 3)"
    );
    assert_eq!(
        one.get("/").send().await.text(),
        "Logged in as zoë (visit 4)"
    );

    // Logging out on one ends the session on both, and removes the row.
    two.get("/logout").send().await;
    assert!(db.rows().await.is_empty());
    let r = one.get("/").send().await;
    assert_eq!(r.text(), "Not logged in (visit 1)");
    assert_eq!(db.rows().await.len(), 1, "a new session for the new visit");
}

/// An expired record is not loaded, and the cleanup task deletes it.
async fn expiry(db: &Db) {
    let one = db.instance(|_| {});
    one.get("/login/ada").follow_redirects().send().await;
    let cookie = one.cookie("session").unwrap();
    db.execute(format!(
        "UPDATE {} SET expiry_date = {}",
        db.table,
        now() - 10
    ))
    .await;
    assert_eq!(one.get("/").send().await.text(), "Not logged in (visit 1)");
    // Not deleted yet (this instance has no cleanup task): only ignored.
    let rows = db.rows().await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows.iter().filter(|r| r.2 <= now()).count(), 1, "{rows:?}");

    // An instance with a cleanup task every second deletes it; the live session stays.
    let two = db.instance(|c| c.set("SESSION_SQL_CLEANUP_INTERVAL", 1));
    two.set_cookie("session", &cookie);
    assert_eq!(two.get("/").send().await.text(), "Not logged in (visit 1)");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let rows = db.rows().await;
        if rows.iter().all(|r| r.2 > now()) {
            assert_eq!(rows.len(), 2, "the two live sessions stay: {rows:?}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the cleanup task did not delete the expired row: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        one.get("/").send().await.text(),
        "Not logged in (visit 2)",
        "the live session still works"
    );

    // A short PERMANENT_SESSION_LIFETIME expires records on its own.
    let short = db.instance(|c| c.set("PERMANENT_SESSION_LIFETIME", 1));
    short.get("/login/bob").follow_redirects().send().await;
    assert_eq!(
        short.get("/").send().await.text(),
        "Logged in as bob (visit 2)"
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        short.get("/").send().await.text(),
        "Not logged in (visit 1)"
    );
}

/// `cycle_id` (done on login) keeps the data under a new id and deletes the old row.
async fn cycle(db: &Db) {
    let one = db.instance(|_| {});
    one.get("/login/ada").follow_redirects().send().await;
    let first_cookie = one.cookie("session").unwrap();
    let first = db.rows().await;
    assert_eq!(first.len(), 1, "{first:?}");

    let r = one.get("/login/bob").follow_redirects().send().await;
    assert_eq!(
        r.text(),
        "Logged in as bob (visit 2)",
        "the visits were kept"
    );
    let second = db.rows().await;
    assert_eq!(second.len(), 1, "the old row is gone: {second:?}");
    assert_ne!(first[0].0, second[0].0, "a new id");
    assert_ne!(one.cookie("session").unwrap(), first_cookie);

    // The old cookie no longer opens the session.
    let stale = db.instance(|_| {});
    stale.set_cookie("session", &first_cookie);
    assert_eq!(
        stale.get("/").send().await.text(),
        "Not logged in (visit 1)"
    );
}

/// A tampered cookie, one signed with another secret, and a row that is not JSON all give
/// an empty session, never an error page.
async fn tamper(db: &Db) {
    let one = db.instance(|_| {});
    one.get("/login/ada").follow_redirects().send().await;
    let cookie = one.cookie("session").unwrap();

    let mut tampered = cookie.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let other = db.instance(|_| {});
    other.set_cookie("session", &tampered);
    let r = other.get("/").send().await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text(), "Not logged in (visit 1)");

    let stranger = db.instance(|c| c.set("SECRET_KEY", "another-secret"));
    stranger.set_cookie("session", &cookie);
    assert_eq!(
        stranger.get("/").send().await.text(),
        "Not logged in (visit 1)"
    );

    assert_eq!(
        one.get("/").send().await.text(),
        "Logged in as ada (visit 2)"
    );
    db.execute(format!("UPDATE {} SET data = 'not json'", db.table))
        .await;
    let r = one.get("/").send().await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text(), "Not logged in (visit 1)");
}

#[tokio::test]
async fn an_explicit_store_with_the_default_table() {
    let Some(db) = Db::sqlite("explicit").await else {
        return;
    };
    let store = SqlStore::connect(&db.url).await.unwrap();
    assert_eq!(store.table(), "flask_sessions");
    let client = shared_sessions::app()
        .configure(|c| c.set("SECRET_KEY", "k"))
        .session_store(store.clone())
        .test_client();
    let r = client.get("/login/ada").follow_redirects().send().await;
    assert_eq!(r.text(), "Logged in as ada (visit 1)");
    assert_eq!(
        client.get("/").send().await.text(),
        "Logged in as ada (visit 2)"
    );
    let db = Db {
        table: "flask_sessions".to_owned(),
        ..db
    };
    assert_eq!(db.rows().await.len(), 1);
    db.finish().await;
}

#[tokio::test]
async fn bad_urls_fail_at_startup_naming_the_url() {
    async fn startup_error(url: &str) -> String {
        let app = shared_sessions::app()
            .configure(|c| {
                c.set("SECRET_KEY", "k");
                c.set("SESSION_TYPE", "sql");
                c.set("SESSION_URL", url);
            })
            .build()
            .unwrap();
        let e = app.startup().await.unwrap_err().to_string();
        assert!(e.contains("startup task of sessions failed"), "{e}");
        assert!(e.contains(url), "{e}");
        e
    }
    let e = startup_error("not-a-url").await;
    assert!(e.contains("is not an SQL database URL"), "{e}");
    let e = startup_error("sqlite:///no-such-directory/sessions.db").await;
    assert!(e.contains("cannot connect to the session database"), "{e}");
    // Nothing listens on port 1: refused at once, and said so.
    let e = startup_error("postgres://postgres@127.0.0.1:1/test").await;
    assert!(e.to_lowercase().contains("refused"), "{e}");
    let e = startup_error("mysql://root@127.0.0.1:1/test").await;
    assert!(e.to_lowercase().contains("refused"), "{e}");

    // A password is not shown.
    let app = shared_sessions::app()
        .configure(|c| {
            c.set("SECRET_KEY", "k");
            c.set("SESSION_TYPE", "sql");
            c.set("SESSION_URL", "postgres://app:s3cret@127.0.0.1:1/test");
        })
        .build()
        .unwrap();
    let e = app.startup().await.unwrap_err().to_string();
    assert!(e.contains("postgres://app:***@127.0.0.1:1/test"), "{e}");
    assert!(!e.contains("s3cret"), "{e}");

    // Mistakes in the config stop the build.
    let e = shared_sessions::app()
        .configure(|c| {
            c.set("SECRET_KEY", "k");
            c.set("SESSION_TYPE", "sql");
        })
        .build()
        .unwrap_err()
        .to_string();
    assert!(e.contains("needs SESSION_URL"), "{e}");
    let e = shared_sessions::app()
        .configure(|c| {
            c.set("SECRET_KEY", "k");
            c.set("SESSION_TYPE", "sql");
            c.set("SESSION_URL", "sqlite::memory:");
            c.set("SESSION_SQL_TABLE", "sessions; DROP TABLE users");
        })
        .build()
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a plain SQL identifier"), "{e}");
}

#[tokio::test]
async fn wrong_credentials_name_the_url_and_the_cause() {
    if let Some(url) = service_url("FLASK_TEST_POSTGRES_URL") {
        let bad = with_user(&url, "no_such_user_flask");
        let e = SqlStore::connect(&bad).await.unwrap_err().to_string();
        assert!(e.contains(&bad) && e.contains("no_such_user_flask"), "{e}");
    }
    if let Some(url) = service_url("FLASK_TEST_MYSQL_URL") {
        let bad = with_user(&url, "no_such_user_flask");
        let e = SqlStore::connect(&bad).await.unwrap_err().to_string();
        assert!(e.contains(&bad) && e.contains("no_such_user_flask"), "{e}");
    }
}

#[tokio::test]
async fn mariadb_urls_are_read_as_mysql() {
    let Some(db) = Db::mysql("maria").await else {
        return;
    };
    let maria = db.url.replacen("mysql://", "mariadb://", 1);
    let store = SqlStore::connect_with(&maria, &db.table, None)
        .await
        .unwrap();
    let client = shared_sessions::app()
        .configure(|c| c.set("SECRET_KEY", "k"))
        .session_store(store)
        .test_client();
    let r = client.get("/login/ada").follow_redirects().send().await;
    assert_eq!(r.text(), "Logged in as ada (visit 1)");
    assert_eq!(db.rows().await.len(), 1);
    db.finish().await;
}

/// `url` with its user replaced by `user` (and no password).
fn with_user(url: &str, user: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let host = rest.split_once('@').map_or(rest, |(_, host)| host);
    format!("{scheme}://{user}@{host}")
}
