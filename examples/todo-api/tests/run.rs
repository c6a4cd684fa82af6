//! `cargo run -p todo-api -- run`, as the docs say it: the binary serves the API with no
//! environment set (no `FLASK_SECRET_KEY`: the API keeps no session).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Kills the server when the test ends, passed or not.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn run_serves_the_todos_without_a_secret_key() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_todo-api"))
        .args(["run", "--port", &port.to_string()])
        .env_remove("FLASK_SECRET_KEY")
        .env_remove("FLASK_DEBUG")
        .env("FLASK_SKIP_DOTENV", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut server = Server(child);
    // Its output is read to the end on a thread of its own: a closed pipe would make the
    // server's next line (and the server) fail.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let started = rx
        .iter()
        .any(|line| line.contains(&format!("Running on http://127.0.0.1:{port}")));
    if !started {
        let mut err = String::new();
        let _ = server.0.stderr.take().unwrap().read_to_string(&mut err);
        panic!("todo-api run did not start: {err}");
    }
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET /todos/todo1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    // Python's json.dumps, as Flask-RESTful's output_json writes it.
    assert!(
        raw.ends_with("\r\n\r\n{\"task\": \"build an API\"}\n"),
        "{raw}"
    );
}
