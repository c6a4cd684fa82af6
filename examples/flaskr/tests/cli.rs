//! The `flaskr` binary: `run` on a fresh machine makes its database and serves the blog,
//! its templates and stylesheet from inside the binary; `init-db` (the tutorial's
//! `flask --app flaskr init-db`) starts over with empty tables, on every backend.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{app, backends, engine};
use flaskr::{Post, User};

/// Kills the server when the test ends, passed or not.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

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
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_flaskr"))
        .args(["run", "--port", &port.to_string()])
        .env(
            "FLASK_SQLALCHEMY_DATABASE_URI",
            format!("sqlite:///{}", db_file.display()),
        )
        .env("FLASK_SECRET_KEY", "cli-test")
        .env("FLASK_SKIP_DOTENV", "1")
        .env_remove("FLASK_DEBUG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _server = Server(child);
    // It says where it runs (requests wait for the startup: the database and migrations).
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let line = lines
            .next()
            .expect("flaskr run stopped before serving")
            .unwrap();
        if line.contains(&format!("Running on http://127.0.0.1:{port}")) {
            break;
        }
        assert!(Instant::now() < deadline, "flaskr run never served");
    }
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
