//! `hello run --reload`: a change restarts the app while the port stays open, and a failed
//! build is shown in the browser until a build succeeds.
//!
//! The build command is replaced (`FLASK_RUN_BUILD_COMMAND`) by a script that fails while a
//! file named `fail` exists, so the test runs no cargo and changes no source of the repo.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

struct Supervisor(Child);

impl Drop for Supervisor {
    fn drop(&mut self) {
        // SIGTERM, so the supervisor stops its child on the way out.
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

/// One GET over a fresh connection: the status code and the body.
fn get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let mut c = TcpStream::connect(("127.0.0.1", port))?;
    c.set_read_timeout(Some(Duration::from_secs(30)))?;
    let request = format!("GET {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n");
    c.write_all(request.as_bytes())?;
    let mut out = String::new();
    c.read_to_string(&mut out)?;
    let status = out
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP response: {out:?}")))?;
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

fn wait_for_line(lines: &mpsc::Receiver<String>, needle: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        if let Ok(line) = lines.recv_timeout(Duration::from_millis(100)) {
            let found = line.contains(needle);
            seen.push(line);
            if found {
                return seen;
            }
        }
    }
    panic!("no line with {needle:?} in the supervisor's output: {seen:#?}");
}

fn touch(path: &Path, content: &str) {
    std::fs::write(path, content).unwrap();
}

#[test]
fn a_change_restarts_the_app_without_refusing_connections() {
    let dir = std::env::temp_dir().join(format!("hello-reload-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fail = dir.join("fail");
    let script = format!(
        "sleep 0.3; if [ -e '{}' ]; then echo 'error[E0308]: mismatched types <here>' >&2; exit 101; fi",
        fail.display()
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hello"))
        .args(["run", "--reload", "--port", &port.to_string()])
        .arg("--extra-files")
        .arg(&dir)
        .env("FLASK_SECRET_KEY", "reload-test")
        .env("FLASK_RUN_BUILD_COMMAND", &script)
        .env("FLASK_SKIP_DOTENV", "1")
        .env_remove("FLASK_DEBUG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _supervisor = Supervisor(child);
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    wait_for_line(&lines, "Restarting with reloader");
    // The port is the supervisor's from the start: the first request waits for the app.
    assert_eq!(get(port, "/").unwrap(), (200, "Hello, World!".to_owned()));

    // A change: rebuild and restart, while requests keep coming. None is refused.
    touch(&dir.join("watched.txt"), "one");
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut answered = 0;
    while Instant::now() < deadline {
        let (status, body) = get(port, "/").expect("no connection is refused during a restart");
        assert_eq!((status, body.as_str()), (200, "Hello, World!"));
        answered += 1;
    }
    assert!(answered > 10, "only {answered} requests were answered");
    let seen = wait_for_line(&lines, " * Restarting");
    assert!(
        seen.iter().any(|l| l.contains("Detected change in")),
        "{seen:#?}"
    );

    // A failed build: the browser sees the compiler's output, escaped.
    touch(&fail, "");
    let deadline = Instant::now() + Duration::from_secs(30);
    let page = loop {
        let (status, body) = get(port, "/").unwrap();
        if status == 500 {
            break body;
        }
        assert!(Instant::now() < deadline, "the failed build never showed");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        page.contains("error[E0308]: mismatched types &lt;here&gt;"),
        "{page}"
    );
    assert!(page.contains("http-equiv=refresh"), "{page}");

    // Fixed: the app is back.
    std::fs::remove_file(&fail).unwrap();
    touch(&dir.join("watched.txt"), "two");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if get(port, "/about").unwrap() == (200, "The about page".to_owned()) {
            break;
        }
        assert!(Instant::now() < deadline, "the app did not come back");
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
