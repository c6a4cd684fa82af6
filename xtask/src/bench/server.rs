//! The servers under test: started, awaited, checked, and killed when dropped.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::pinning::Pinning;
use super::{HOST, STARTUP_TIMEOUT, Side};
use crate::process::describe;

/// A loopback port nobody listens on right now.
pub(super) fn free_port() -> Result<u16, String> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|err| format!("cannot find a free port: {err}"))
}

/// A server process, killed when dropped.
pub(super) struct Server {
    pub(super) name: String,
    child: Child,
    pub(super) port: u16,
    log: PathBuf,
}

impl Server {
    pub(super) fn start(
        side: Side,
        name: &str,
        program: &Path,
        args: &[String],
        port: u16,
        cpus: &Pinning,
        log_dir: &Path,
    ) -> Result<Self, String> {
        Self::start_with_env(side, name, program, args, &[], port, cpus, log_dir)
    }

    /// [`Server::start`] with environment variables for the server.
    #[expect(
        clippy::too_many_arguments,
        reason = "one call site per bench, all named"
    )]
    pub(super) fn start_with_env(
        side: Side,
        name: &str,
        program: &Path,
        args: &[String],
        env: &[(String, String)],
        port: u16,
        cpus: &Pinning,
        log_dir: &Path,
    ) -> Result<Self, String> {
        if !program.is_file() {
            return Err(format!("{name}: no binary at {}", program.display()));
        }
        let log = log_dir.join(format!("{}.log", side.slug()));
        let out =
            File::create(&log).map_err(|err| format!("cannot create {}: {err}", log.display()))?;
        let err = out
            .try_clone()
            .map_err(|err| format!("cannot open {}: {err}", log.display()))?;
        let mut command = cpus.command(program, true);
        command
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        println!("bench: starting {name}: {}", describe(&command));
        let child = command
            .spawn()
            .map_err(|err| format!("cannot start {name}: {err}"))?;
        Ok(Self {
            name: name.to_owned(),
            child,
            port,
            log,
        })
    }

    /// Waits until the port accepts connections, or the process dies, or time runs out.
    pub(super) fn wait_ready(&mut self) -> Result<(), String> {
        let started = Instant::now();
        loop {
            self.check_alive()?;
            if TcpStream::connect((HOST, self.port)).is_ok() {
                return Ok(());
            }
            if started.elapsed() > STARTUP_TIMEOUT {
                return Err(format!(
                    "{} did not accept connections on {HOST}:{} within {}s (log: {})",
                    self.name,
                    self.port,
                    STARTUP_TIMEOUT.as_secs(),
                    self.log.display()
                ));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// The process id.
    pub(super) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to `limit` for the process to exit by itself; its exit code (-1 when a
    /// signal ended it).
    pub(super) fn wait_exit(&mut self, limit: Duration) -> Result<i32, String> {
        let started = Instant::now();
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Ok(status.code().unwrap_or(-1)),
                Ok(None) if started.elapsed() < limit => thread::sleep(Duration::from_millis(20)),
                Ok(None) => {
                    return Err(format!(
                        "{} still runs {}s after it was asked to stop",
                        self.name,
                        limit.as_secs()
                    ));
                }
                Err(e) => return Err(format!("waiting for {}: {e}", self.name)),
            }
        }
    }

    /// The server's CPU time so far (user + system, all threads), in clock ticks, from
    /// `/proc/<pid>/stat`; `None` where that file does not exist.
    pub(super) fn cpu_ticks(&self) -> Option<u64> {
        let stat = fs::read_to_string(format!("/proc/{}/stat", self.child.id())).ok()?;
        // Fields after the command name, which is in parentheses and may contain spaces.
        let rest = &stat[stat.rfind(')')? + 1..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // utime and stime are fields 14 and 15 of the file: 12 and 13 after the name.
        let utime: u64 = fields.get(11)?.parse().ok()?;
        let stime: u64 = fields.get(12)?.parse().ok()?;
        Some(utime + stime)
    }

    /// The server's peak resident memory so far, in KiB (`VmHWM` of `/proc/<pid>/status`).
    pub(super) fn peak_rss_kib(&self) -> Option<u64> {
        let status = fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    pub(super) fn check_alive(&mut self) -> Result<(), String> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => {
                let log = fs::read_to_string(&self.log).unwrap_or_default();
                Err(format!(
                    "{} exited ({status}); its output ({}):\n{}",
                    self.name,
                    self.log.display(),
                    log.trim_end()
                ))
            }
            Err(err) => Err(format!("cannot check on {}: {err}", self.name)),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Already gone is fine: kill only fails then.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response read with a plain HTTP/1.1 request: status, content type, body.
struct Response {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

fn get(port: u16, path: &str) -> Result<Response, String> {
    let fail = |err: std::io::Error| format!("GET http://{HOST}:{port}{path}: {err}");
    let mut stream = TcpStream::connect((HOST, port)).map_err(fail)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(fail)?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n"
    )
    .map_err(fail)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(fail)?;
    let split = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or_else(|| format!("GET http://{HOST}:{port}{path}: no complete response"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("GET http://{HOST}:{port}{path}: bad status line"))?;
    let content_type = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .map(|(_, value)| value.trim().to_owned())
        .unwrap_or_default();
    Ok(Response {
        status,
        content_type,
        body: raw[split + 4..].to_vec(),
    })
}

/// Both sides must answer 200 with the same body, or the comparison means nothing.
pub(super) fn compare_responses(path: &str, axum: &Server, ours: &Server) -> Result<(), String> {
    let a = get(axum.port, path)?;
    let o = get(ours.port, path)?;
    for (server, response) in [(axum, &a), (ours, &o)] {
        if response.status != 200 {
            return Err(format!(
                "{} answers GET {path} with {}, not 200: it does not serve the benchmarked route",
                server.name, response.status
            ));
        }
    }
    if a.body != o.body {
        println!(
            "bench: warning: GET {path} bodies differ: {} {:?}, {} {:?}",
            axum.name,
            shorten(&a.body),
            ours.name,
            shorten(&o.body)
        );
    }
    if a.content_type != o.content_type {
        println!(
            "bench: note: GET {path} content types differ: {} `{}`, {} `{}`",
            axum.name, a.content_type, ours.name, o.content_type
        );
    }
    Ok(())
}

/// The start of a body, for a message.
fn shorten(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    match text.char_indices().nth(80) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.into_owned(),
    }
}
