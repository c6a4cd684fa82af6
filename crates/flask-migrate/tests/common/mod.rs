//! What the database tests share.

pub(crate) mod models;
#[allow(dead_code)] // used by the tests of `db` commands only
pub(crate) mod scripts;

/// The backends to run on: SQLite always; PostgreSQL and MySQL/MariaDB when their URLs are
/// set (`cargo xtask test-all` sets them), required when `FLASK_TEST_REQUIRE_SERVICES` is.
pub(crate) fn backends() -> Vec<String> {
    let mut out = vec!["sqlite://".to_owned()];
    for var in ["FLASK_TEST_POSTGRES_URL", "FLASK_TEST_MYSQL_URL"] {
        match std::env::var(var) {
            Ok(url) => out.push(url),
            Err(_) if std::env::var_os("FLASK_TEST_REQUIRE_SERVICES").is_some() => {
                panic!("{var} is not set but services are required")
            }
            Err(_) => eprintln!("skipped a backend: {var} is not set"),
        }
    }
    out
}
