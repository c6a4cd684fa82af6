//! A database of a test's own on a shared server, and running `--sql` scripts with the
//! database's own client.

use flask_sqlalchemy::{Dialect, Engine, EngineOptions, text};

/// A database of the test's own on the server behind `url` (autogenerate compares every
/// table, and the shared test database holds other tests' tables): the schema `name` on
/// PostgreSQL, the database `name` on MariaDB. SQLite URLs come back as they are.
pub(crate) async fn own_database(url: &str, name: &str) -> String {
    if url.starts_with("sqlite") {
        return url.to_owned();
    }
    let db = Engine::connect(url, std::env::temp_dir().as_ref(), EngineOptions::default())
        .await
        .unwrap();
    let own = match db.dialect() {
        Dialect::Postgres => {
            db.execute(text(format!("CREATE SCHEMA IF NOT EXISTS {name}")))
                .await
                .unwrap();
            format!("{url}?options=-c%20search_path%3D{name}")
        }
        _ => {
            db.execute(text(format!("CREATE DATABASE IF NOT EXISTS {name}")))
                .await
                .unwrap();
            let (server, _) = url.rsplit_once('/').unwrap();
            format!("{server}/{name}")
        }
    };
    db.close().await;
    own
}

/// Runs `script` with the database's own client (sqlite3, psql, mariadb) on `url`, a
/// database [`own_database`] made as `name`.
pub(crate) fn run_script(url: &str, name: &str, script: &str) {
    let path =
        std::env::temp_dir().join(format!("flask-migrate-{name}-{}.sql", std::process::id()));
    std::fs::write(&path, script).unwrap();
    let output = if let Some(file) = url.strip_prefix("sqlite:///") {
        std::process::Command::new("sqlite3")
            .arg(file)
            .stdin(std::fs::File::open(&path).unwrap())
            .output()
    } else if url.starts_with("postgres") {
        let (base, _) = url.split_once('?').unwrap();
        std::process::Command::new("psql")
            .args([base, "-v", "ON_ERROR_STOP=1", "-q", "-f"])
            .arg(&path)
            .env("PGOPTIONS", format!("-c search_path={name}"))
            .output()
    } else {
        std::process::Command::new("mariadb")
            .args(["-h", "127.0.0.1", "-u", "root", name])
            .stdin(std::fs::File::open(&path).unwrap())
            .output()
    }
    .expect("the database's command-line client runs");
    assert!(
        output.status.success(),
        "{url}: the client refused the script:\n{}\n{script}",
        String::from_utf8_lossy(&output.stderr)
    );
}
