//! Instructions per request under callgrind: a figure that does not move with machine noise.
//!
//! wrk's requests/s on a shared two-core machine varies by 10-20% between identical runs,
//! more than the 5% the target allows. Callgrind counts the user-space instructions a server
//! executes (the kernel's TCP work is not counted), which is the same for the same binary
//! and requests. Each server runs twice under callgrind: with 1 request and with 1 + N,
//! both on one keep-alive connection; the difference divided by N is the cost of one
//! request, start-up and shutdown cancelling out.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::HOST;
use super::server::free_port;

/// Requests in the measured run (after the one both runs share).
pub(super) const REQUESTS: u64 = 5_000;

/// Instructions per request of `program args` for `path`.
pub(super) fn per_request(
    program: &Path,
    args: &dyn Fn(u16) -> Vec<String>,
    path: &str,
    log_dir: &Path,
) -> Result<u64, String> {
    per_request_with(program, args, &[], path, REQUESTS, log_dir)
}

/// [`per_request`] with environment variables for the server and `requests` requests in
/// the measured run.
pub(super) fn per_request_with(
    program: &Path,
    args: &dyn Fn(u16) -> Vec<String>,
    env: &[(String, String)],
    path: &str,
    requests: u64,
    log_dir: &Path,
) -> Result<u64, String> {
    let base = collected(program, args, env, path, 1, log_dir)?;
    let loaded = collected(program, args, env, path, 1 + requests, log_dir)?;
    Ok(loaded.saturating_sub(base) / requests)
}

/// Total instructions of one server run that answered `requests` requests.
fn collected(
    program: &Path,
    args: &dyn Fn(u16) -> Vec<String>,
    env: &[(String, String)],
    path: &str,
    requests: u64,
    log_dir: &Path,
) -> Result<u64, String> {
    let port = free_port()?;
    let log = log_dir.join(format!("callgrind-{port}.log"));
    let out = log_dir.join(format!("callgrind-{port}.out"));
    let mut child = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(program)
        .args(args(port))
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(
            fs::File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?,
        )
        .spawn()
        .map_err(|e| format!("cannot start valgrind: {e}"))?;
    let result = drive(port, path, requests);
    // SIGTERM, not SIGKILL: callgrind writes its totals when the program ends on a signal.
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let _ = child.wait();
    result?;
    let text =
        fs::read_to_string(&log).map_err(|e| format!("cannot read {}: {e}", log.display()))?;
    let _ = fs::remove_file(&out);
    text.lines()
        .find_map(|line| {
            let (_, rest) = line.split_once("Collected :")?;
            rest.trim().replace(',', "").parse::<u64>().ok()
        })
        .ok_or_else(|| format!("callgrind printed no total; see {}", log.display()))
}

/// Sends `requests` GETs on one keep-alive connection, reading each response whole.
fn drive(port: u16, path: &str, requests: u64) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let stream = loop {
        match TcpStream::connect((HOST, port)) {
            Ok(s) => break s,
            Err(_) if Instant::now() < deadline => thread::sleep(Duration::from_millis(100)),
            Err(e) => {
                return Err(format!(
                    "the server under callgrind never listened on {port}: {e}"
                ));
            }
        }
    };
    let mut writer = stream.try_clone().map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(stream);
    let request = format!("GET {path} HTTP/1.1\r\nHost: {HOST}\r\n\r\n");
    for _ in 0..requests {
        writer
            .write_all(request.as_bytes())
            .map_err(|e| format!("write: {e}"))?;
        let mut length = 0usize;
        let mut status = String::new();
        reader
            .read_line(&mut status)
            .map_err(|e| format!("read: {e}"))?;
        if !status.starts_with("HTTP/1.1 200") {
            return Err(format!(
                "GET {path} under callgrind answered {:?}",
                status.trim()
            ));
        }
        loop {
            let mut line = String::new();
            reader
                .read_line(&mut line)
                .map_err(|e| format!("read: {e}"))?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        reader
            .read_exact(&mut body)
            .map_err(|e| format!("read body: {e}"))?;
    }
    Ok(())
}
