//! The `flaskr` binary itself, started with `run` on a free port (for the tests that need
//! the real process: a fresh machine, a restart).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server process, killed when the test ends, passed or not.
pub(crate) struct Server(pub(crate) Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `flaskr run` on a free port with these variables (no `.env`, no `FLASK_DEBUG`, nor any
/// `FLASK_SECRET_KEY` the caller does not give); returns once it says where it runs, which
/// is after its startup (the database and migrations).
pub(crate) fn start(env: &[(&str, String)]) -> (Server, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_flaskr"))
        .args(["run", "--port", &port.to_string()])
        .env_remove("FLASK_SECRET_KEY")
        .env_remove("FLASK_DEBUG")
        .env("FLASK_SKIP_DOTENV", "1")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
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
    (server, port)
}
