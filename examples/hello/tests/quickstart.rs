//! The quickstart's routes, as a user sees them.

use flask::testing::TestClient;
use serde_json::Value;

fn client() -> TestClient {
    hello::app().test_client()
}

#[tokio::test]
async fn index_says_hello() {
    let resp = client().get("/").send().await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text(), "Hello, World!");
    assert_eq!(
        resp.header("content-type"),
        Some("text/html; charset=utf-8")
    );
}

#[tokio::test]
async fn user_names_are_escaped() {
    let c = client();
    assert_eq!(c.get("/user/ada").send().await.text(), "User ada");
    assert_eq!(
        c.get("/user/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
            .send()
            .await
            .text(),
        "User &lt;script&gt;alert(1)&lt;/script&gt;"
    );
    assert_eq!(c.get("/user/J%C3%B6rg").send().await.text(), "User Jörg");
}

#[tokio::test]
async fn posts_need_an_integer() {
    let c = client();
    assert_eq!(c.get("/post/42").send().await.text(), "Post 42");
    assert_eq!(c.get("/post/abc").send().await.status(), 404);
    assert_eq!(c.get("/post/-1").send().await.status(), 404);
}

#[tokio::test]
async fn subpaths_keep_slashes() {
    assert_eq!(
        client().get("/path/a/b/c.txt").send().await.text(),
        "Subpath a/b/c.txt"
    );
}

#[tokio::test]
async fn trailing_slashes_follow_werkzeug() {
    let c = client();
    let resp = c.get("/projects").send().await;
    assert_eq!(resp.status(), 308);
    assert_eq!(resp.header("location"), Some("/projects/"));
    assert_eq!(
        c.get("/projects").follow_redirects().send().await.text(),
        "The project page"
    );
    assert_eq!(c.get("/about").send().await.text(), "The about page");
    assert_eq!(c.get("/about/").send().await.status(), 404);
}

#[tokio::test]
async fn me_is_json() {
    let resp = client().get("/me").send().await;
    assert_eq!(resp.header("content-type"), Some("application/json"));
    let v: Value = resp.json();
    assert_eq!(v["username"], "flask");
}

#[test]
fn the_binary_lists_its_routes() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hello"))
        .arg("routes")
        .env("FLASK_SKIP_DOTENV", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    // Columns are padded to the widest entry; compare the words of each line.
    let rows: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    for row in [
        ["hello_world", "GET", "/", "app"],
        ["show_post", "GET", "/post/<int:post_id>", "app"],
        ["static", "GET", "/static/<path:filename>", "app"],
    ] {
        assert!(
            rows.iter().any(|r| r == &row),
            "missing {row:?} in:\n{text}"
        );
    }
    assert!(
        rows.iter()
            .any(|r| r == &["login", "GET,", "POST", "/login", "app"]),
        "{text}"
    );
}

/// `hello shell` with expressions piped in (a script): one value a line, no prompt, an
/// error reported and the next line still read.
#[test]
fn the_binary_evaluates_piped_shell_lines() {
    use std::io::Write as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hello"))
        .arg("shell")
        .env("FLASK_SKIP_DOTENV", "1")
        // As in Flask, url_for outside a request needs SERVER_NAME.
        .env("FLASK_SERVER_NAME", "example.com")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"url_for('show_post', post_id=7)\nset n = 20\nn // 3\nnope\n'done'\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "'http://example.com/post/7'", "{text}");
    assert_eq!(lines[1], "6", "{text}");
    assert!(lines[2].starts_with("error: `nope` is undefined"), "{text}");
    assert_eq!(lines[3], "'done'", "{text}");
}

#[test]
fn bad_arguments_exit_with_2() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hello"))
        .args(["run", "--port", "not-a-port"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not-a-port"));
}

#[tokio::test]
async fn templates_say_hello() {
    let c = client();
    let r = c.get("/hello/").send().await;
    assert!(r.text().contains("<h1>Hello, World!</h1>"), "{}", r.text());
    let r = c.get("/hello/%3Cb%3Eada").send().await;
    assert!(
        r.text().contains("<h1>Hello &lt;b&gt;ada!</h1>"),
        "{}",
        r.text()
    );
    assert_eq!(c.get("/hello").send().await.status(), 308);
}

#[tokio::test]
async fn rows_are_rendered_escaped() {
    let text = client().get("/rows").send().await.text();
    assert_eq!(text.matches("<tr>").count(), 100);
    assert!(
        text.contains("<tr><td>7</td><td>Row 7: &lt;b&gt; &amp; &lt;i&gt;</td></tr>"),
        "{text}"
    );
}

#[tokio::test]
async fn login_flashes_after_the_redirect() {
    let c = client();
    let r = c
        .post("/login")
        .form(&[("username", "admin"), ("password", "nope")])
        .send()
        .await;
    assert_eq!(r.status(), 200);
    assert!(
        r.text()
            .contains("<strong>Error:</strong> Invalid credentials")
    );
    let r = c
        .post("/login")
        .form(&[("username", "admin"), ("password", "secret")])
        .follow_redirects()
        .send()
        .await;
    assert_eq!(r.history(), ["/login"]);
    assert!(r.text().contains("<h1>Hello, World!</h1>"));
    assert!(
        r.text()
            .contains("<li>You were successfully logged in</li>")
    );
    // Flashed messages are shown once.
    assert!(
        !c.get("/hello/")
            .send()
            .await
            .text()
            .contains("successfully")
    );
}

#[tokio::test]
async fn divide_by_zero_is_a_plain_500_outside_debug() {
    let c = client();
    assert_eq!(c.get("/divide/7/2").send().await.text(), "7 / 2 = 3");
    let r = c.get("/divide/1/0").send().await;
    assert_eq!(r.status(), 500);
    assert!(!r.text().contains("cannot divide"));
}

#[test]
fn production_without_a_secret_key_does_not_start() {
    // No key, and no instance file to keep one in (the app's `secret_key_file` turned off).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hello"))
        .args(["run", "--port", "0"])
        .env("FLASK_SECRET_KEY", "")
        .env("FLASK_SECRET_KEY_FILE", "")
        .env("FLASK_SKIP_DOTENV", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("SECRET_KEY is not set"), "{err}");
    assert!(err.contains("FLASK_SECRET_KEY="), "{err}");
}

#[test]
fn a_server_whose_standard_output_is_closed_keeps_serving() {
    // The pipe's reader goes away before the server prints its banner (a supervisor that
    // stopped reading, a closed terminal): printing must not bring the server down.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hello"))
        .args(["run", "--port", &port.to_string()])
        .env("FLASK_SECRET_KEY", "a-secret-key-of-thirty-two-bytes")
        .env("FLASK_SKIP_DOTENV", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let answer = loop {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            break out;
        }
        assert!(std::time::Instant::now() < deadline, "hello never served");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let alive = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(alive, "the server died");
}

#[test]
fn run_warns_about_a_short_secret_key() {
    // Refused afterwards for another reason (debug mode on a public address), so nothing
    // is left serving; the key is checked first.
    let run = |key: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_hello"))
            .args(["run", "--debug", "--host", "0.0.0.0", "--port", "0"])
            .env("FLASK_SECRET_KEY", key)
            .env("FLASK_SKIP_DOTENV", "1")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = run("dev");
    assert!(
        err.contains("SECRET_KEY is 3 bytes long") && err.contains("at least 32 random bytes"),
        "{err}"
    );
    let err = run("a-secret-key-of-thirty-two-bytes");
    assert!(!err.contains("bytes long"), "{err}");
}

#[test]
fn debug_mode_on_a_public_address_does_not_start() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hello"))
        .args(["run", "--debug", "--host", "0.0.0.0", "--port", "0"])
        .env("FLASK_SKIP_DOTENV", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--i-know-debug-is-public"), "{err}");
}

#[test]
fn run_in_debug_mode_prints_the_debugger_pin() {
    // The banner's lines, read until the prompt to quit; then the server is stopped.
    let banner = |pin: Option<&str>| {
        use std::io::BufRead;
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_hello"));
        command
            .args(["run", "--debug", "--port", "0"])
            .env("FLASK_SKIP_DOTENV", "1")
            .env_remove("WERKZEUG_DEBUG_PIN")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null());
        if let Some(pin) = pin {
            command.env("WERKZEUG_DEBUG_PIN", pin);
        }
        let mut child = command.spawn().unwrap();
        let mut lines = Vec::new();
        for line in std::io::BufReader::new(child.stdout.take().unwrap()).lines() {
            let line = line.unwrap();
            let done = line.starts_with("Press CTRL+C");
            lines.push(line);
            if done {
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        lines
    };
    let lines = banner(None);
    assert!(
        lines.contains(&" * Debugger is active!".to_owned()),
        "{lines:?}"
    );
    let pin = lines
        .iter()
        .find_map(|l| l.strip_prefix(" * Debugger PIN: "))
        .unwrap_or_else(|| panic!("no PIN in {lines:?}"));
    let digits: Vec<&str> = pin.split('-').collect();
    assert!(
        digits.len() == 3
            && digits
                .iter()
                .all(|d| d.len() == 3 && d.bytes().all(|b| b.is_ascii_digit())),
        "{pin}"
    );
    // Stable across restarts, as Werkzeug's.
    assert!(banner(None).contains(&format!(" * Debugger PIN: {pin}")));
    assert!(banner(Some("246-801-357")).contains(&" * Debugger PIN: 246-801-357".to_owned()));
    let off = banner(Some("off"));
    assert!(!off.iter().any(|l| l.contains("Debugger PIN")), "{off:?}");
}
