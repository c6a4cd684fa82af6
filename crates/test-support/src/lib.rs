//! What the workspace's tests share (a dev-dependency, never published):
//!
//! - [`databases`]: the backends a database test runs on (SQLite, then PostgreSQL and
//!   MariaDB from `FLASK_TEST_POSTGRES_URL` / `FLASK_TEST_MYSQL_URL`), and a database of
//!   each test's own on a shared server;
//! - [`browser`]: headless Chromium through chromedriver (WebDriver, with fantoccini), an
//!   app served on a free port, the steps a scenario takes, and screenshots;
//! - [`http`]: an app served on a free port, and a small HTTP/1.1 client over a socket
//!   (what a real client sees, pipelining);
//! - [`python`]: real Python Flask apps beside ours (`FLASK_TEST_PYTHON`), for the tests
//!   that check both read each other's cookies and tokens.
//!
//! With `FLASK_TEST_REQUIRE_SERVICES` set (`cargo xtask test-all --require-services`, and
//! `cargo xtask e2e`), a missing database or browser fails the test instead of skipping it.

pub mod browser;
pub mod databases;
pub mod http;
pub mod python;

/// Whether a missing service fails the test (`FLASK_TEST_REQUIRE_SERVICES` is set) rather
/// than skipping it.
pub fn services_required() -> bool {
    std::env::var_os("FLASK_TEST_REQUIRE_SERVICES").is_some()
}
