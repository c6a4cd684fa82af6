//! The database backends of a test, and a database of each test's own.

use flask_sqlalchemy::{Engine, EngineOptions};

/// SQLite in memory, then PostgreSQL and MariaDB from `FLASK_TEST_POSTGRES_URL` and
/// `FLASK_TEST_MYSQL_URL` (skipped when unset, unless services are required).
///
/// # Panics
/// When a variable is unset and `FLASK_TEST_REQUIRE_SERVICES` is set.
pub fn backends() -> Vec<String> {
    let mut out = vec!["sqlite://".to_owned()];
    for var in ["FLASK_TEST_POSTGRES_URL", "FLASK_TEST_MYSQL_URL"] {
        match std::env::var(var) {
            Ok(url) => out.push(url),
            Err(_) if crate::services_required() => {
                panic!("{var} is not set but services are required")
            }
            Err(_) => eprintln!("skipped a backend: {var} is not set"),
        }
    }
    out
}

/// The URL of a database named `name` on the server behind `url`, made if missing, as
/// an app has one of its own (the tests of a crate run at the same time, and the shared
/// test database holds other tests' tables): a schema on PostgreSQL (the URL sets its
/// `search_path`), a database on MariaDB. SQLite URLs come back as they are (an
/// in-memory database is the app's own already).
///
/// # Panics
/// When the server cannot be reached or refuses to make it.
pub async fn own_database(url: &str, name: &str) -> String {
    if url.starts_with("sqlite") {
        return url.to_owned();
    }
    let engine = Engine::connect(url, std::env::temp_dir().as_ref(), EngineOptions::default())
        .await
        .unwrap_or_else(|e| panic!("connecting to {url}: {e}"));
    let own = if url.starts_with("postgres") {
        engine
            .execute(flask_sqlalchemy::text(format!(
                "CREATE SCHEMA IF NOT EXISTS {name}"
            )))
            .await
            .unwrap_or_else(|e| panic!("CREATE SCHEMA {name}: {e}"));
        format!("{url}?options=-c%20search_path%3D{name}")
    } else {
        engine
            .execute(flask_sqlalchemy::text(format!(
                "CREATE DATABASE IF NOT EXISTS {name}"
            )))
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        let (server, _) = url
            .rsplit_once('/')
            .unwrap_or_else(|| panic!("{url} names no database"));
        format!("{server}/{name}")
    };
    engine.close().await;
    own
}
