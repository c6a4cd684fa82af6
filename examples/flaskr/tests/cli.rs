//! The `flaskr` binary: `run` on a fresh machine makes its database and serves the blog,
//! its templates and stylesheet from inside the binary; `init-db` (the tutorial's
//! `flask --app flaskr init-db`) starts over with empty tables, on every backend.

#[path = "common/binary.rs"]
mod binary;
mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::{app, backends, engine};
use flaskr::{Post, User};

/// `GET path` on 127.0.0.1:`port`: the status and the body.
fn get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = String::new();
    s.read_to_string(&mut raw)?;
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    Ok((status, body.to_owned()))
}

#[test]
fn run_on_a_fresh_machine_makes_the_database() {
    // A folder that does not exist yet, as on a machine that never ran flaskr.
    let dir = std::env::temp_dir().join(format!("flaskr-fresh-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db_file = dir.join("instance").join("flaskr.db");
    let (_server, port) = binary::start(&[
        (
            "FLASK_SQLALCHEMY_DATABASE_URI",
            format!("sqlite:///{}", db_file.display()),
        ),
        ("FLASK_SECRET_KEY", "cli-test".to_owned()),
    ]);
    let (status, page) = get(port, "/").unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(db_file.is_file(), "no database at {}", db_file.display());
    assert!(page.contains("<title>Posts - Flaskr</title>"), "{page}");
    assert!(
        page.contains(r#"<a href="/auth/register">Register</a>"#),
        "{page}"
    );
    let (status, css) = get(port, "/static/style.css").unwrap();
    assert_eq!(status, 200);
    assert!(css.contains("nav"), "{css}");
    let (status, page) = get(port, "/auth/register").unwrap();
    assert_eq!(status, 200);
    assert!(page.contains(r#"name="csrf_token""#), "{page}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_default_database_is_in_the_instance_folder() {
    let app = flaskr::app().build().unwrap();
    let uri: Option<String> = app.config().get("SQLALCHEMY_DATABASE_URI").unwrap();
    // Relative to the instance folder (`examples/flaskr/instance/flaskr.db`), as in
    // Flask-SQLAlchemy, unless FLASK_SQLALCHEMY_DATABASE_URI says otherwise.
    if std::env::var_os("FLASK_SQLALCHEMY_DATABASE_URI").is_none() {
        assert_eq!(uri.as_deref(), Some("sqlite:///flaskr.db"));
    }
    assert!(app.instance_path().ends_with("flaskr/instance"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_db_starts_over_with_empty_tables() {
    for url in backends() {
        let (c, _) = app(&url, "flaskr_init_db").await;
        let db = engine(&c);
        assert_eq!(db.all::<User>().await.unwrap().len(), 2, "{url}");

        let result = c.app().test_cli_runner().invoke(&["init-db"]).await;
        assert_eq!(
            (result.code, result.output.as_str()),
            (0, "Initialized the database.\n"),
            "{url}"
        );
        // The tables are there, empty, and the migrations recorded as applied.
        assert!(db.all::<User>().await.unwrap().is_empty(), "{url}");
        assert!(db.all::<Post>().await.unwrap().is_empty(), "{url}");
        let migrate = c.app().extension::<flask_migrate::Migrate>().unwrap();
        assert_eq!(
            migrate.applied(&db).await.unwrap(),
            migrate.migrations().unwrap(),
            "{url}"
        );
        // And the blog works on them: a new user registers.
        let r = common::submit(
            &c,
            "/auth/register",
            &[("username", "new"), ("password", "pw")],
        )
        .await;
        assert_eq!(r.header("location"), Some("/auth/login"), "{url}");
    }
}
