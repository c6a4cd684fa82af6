//! The `flaskr` binary keeps its users logged in across a restart: the session is Flask's
//! signed cookie, and without `FLASK_SECRET_KEY` the key made on the first start is kept in
//! the instance folder. The restart is a real SIGTERM, which finishes and exits cleanly.

#[path = "common/binary.rs"]
mod binary;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use binary::Server;

/// `flaskr run` with its database and key file in `dir`, and no `FLASK_SECRET_KEY`.
fn start(dir: &Path) -> (Server, u16) {
    binary::start(&[
        (
            "FLASK_SQLALCHEMY_DATABASE_URI",
            format!("sqlite:///{}", dir.join("flaskr.db").display()),
        ),
        (
            "FLASK_SECRET_KEY_FILE",
            dir.join("secret_key").display().to_string(),
        ),
    ])
}

struct Answer {
    status: u16,
    set_session: Option<String>,
    body: String,
}

/// One request with the session cookie `session` (if any) and a form body (if any).
fn send(port: u16, method: &str, path: &str, session: &str, form: &[(&str, &str)]) -> Answer {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let body: String = form
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    if !session.is_empty() {
        head.push_str(&format!("Cookie: session={session}\r\n"));
    }
    if !form.is_empty() {
        head.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    write!(s, "{head}\r\n{body}").unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let set_session = head
        .lines()
        .filter_map(|l| l.split_once(": "))
        .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
        .find_map(|(_, v)| v.strip_prefix("session="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned());
    Answer {
        status,
        set_session,
        body: body.to_owned(),
    }
}

/// The CSRF token of the first form on a page.
fn csrf_token(page: &str) -> String {
    let at = page
        .find(r#"name="csrf_token""#)
        .expect("a form with a CSRF token");
    let tag_start = page[..at].rfind('<').unwrap();
    let tag = &page[tag_start..tag_start + page[tag_start..].find('>').unwrap()];
    let value = tag.split(r#"value=""#).nth(1).expect("the token's value");
    value[..value.find('"').unwrap()].to_owned()
}

/// Loads a form page and submits it with its token; the session cookie afterwards.
fn submit(port: u16, path: &str, session: &str, fields: &[(&str, &str)]) -> (Answer, String) {
    let page = send(port, "GET", path, session, &[]);
    assert_eq!(page.status, 200, "{}", page.body);
    let session = page
        .set_session
        .clone()
        .unwrap_or_else(|| session.to_owned());
    let token = csrf_token(&page.body);
    let mut form = fields.to_vec();
    form.push(("csrf_token", &token));
    let answer = send(port, "POST", path, &session, &form);
    let session = answer.set_session.clone().unwrap_or(session);
    (answer, session)
}

#[test]
fn users_stay_logged_in_across_a_restart() {
    let dir = std::env::temp_dir().join(format!("flaskr-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (mut server, port) = start(&dir);
    let (registered, session) = submit(
        port,
        "/auth/register",
        "",
        &[("username", "ada"), ("password", "pw")],
    );
    assert_eq!(registered.status, 302, "{}", registered.body);
    let (logged_in, session) = submit(
        port,
        "/auth/login",
        &session,
        &[("username", "ada"), ("password", "pw")],
    );
    assert_eq!(logged_in.status, 302, "{}", logged_in.body);
    let index = send(port, "GET", "/", &session, &[]);
    assert!(index.body.contains("<span>ada</span>"), "{}", index.body);
    assert!(
        dir.join("secret_key").is_file(),
        "the key is kept in the file"
    );

    // SIGTERM: it finishes and exits by itself, with status 0.
    let pid = server.0.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = server.0.wait().unwrap();
    assert!(status.success(), "flaskr exited with {status} on SIGTERM");

    let (_server, port) = start(&dir);
    let index = send(port, "GET", "/", &session, &[]);
    assert!(
        index.body.contains("<span>ada</span>"),
        "logged out by the restart: {}",
        index.body
    );
    let _ = std::fs::remove_dir_all(&dir);
}
