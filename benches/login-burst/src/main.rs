//! A login burst against a cheap route: does verifying argon2 passwords stall the other
//! requests?
//!
//! `login-burst [--seconds N] [--burst K]` serves an app with flask-login on 127.0.0.1 and
//! measures the latency of a cheap route (`GET /ping`, one request per millisecond on a
//! keep-alive connection) in three phases:
//!
//! 1. unloaded;
//! 2. while `K` clients log in as fast as they can (`POST /login`: `verify_password`, the
//!    argon2id check on flask-login's own long-lived hashing threads (one per core but one,
//!    so one on two cores; the checks queue for them), then `login_user`);
//! 3. for comparison, while they log in through `POST /login-inline`, which checks the
//!    password on the async worker itself, as a handler that forgets `verify_password` does.
//!
//! The target: the cheap route's p99 in phase 2 at most 2x its unloaded p99. It prints one
//! line per phase and a Markdown table; `cargo xtask bench` adds the table to its report.
//! The load runs in threads of its own, apart from the server's runtime.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use flask::routing::{get, post};
use flask::{Flask, Form, StatusCode};
use flask_login::{CurrentUser, LoginManager, LoginOptions, UserMixin};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const USAGE: &str = "usage: login-burst [--seconds N] [--burst K]";
const TARGET: f64 = 2.0;
const PASSWORD: &str = "correct horse battery staple";

#[derive(Clone, serde::Serialize)]
struct User {
    id: i64,
    #[serde(skip)]
    hash: Arc<str>,
}

impl UserMixin for User {
    fn get_id(&self) -> String {
        self.id.to_string()
    }
}

#[derive(serde::Deserialize)]
struct Credentials {
    password: String,
}

fn app(hash: Arc<str>) -> Flask {
    let user = User { id: 1, hash };
    let loaded = user.clone();
    let for_login = user.clone();
    let for_inline = user;
    Flask::new("login-burst")
        .configure(|c| c.set("SECRET_KEY", "bench"))
        .extension(LoginManager::<User>::new().user_loader(move |id: String| {
            let user = loaded.clone();
            async move { (id == "1").then_some(user) }
        }))
        .route("/ping", get(|| async { "pong" }))
        .route(
            "/login",
            post(
                move |current: CurrentUser<User>, Form(f): Form<Credentials>| {
                    let user = for_login.clone();
                    async move {
                        let checked = flask_login::verify_password(&user.hash, &f.password).await;
                        if matches!(checked, Ok(true)) {
                            current.login_user(user, LoginOptions::new());
                            StatusCode::NO_CONTENT
                        } else {
                            StatusCode::UNAUTHORIZED
                        }
                    }
                },
            ),
        )
        .route(
            "/login-inline",
            post(
                move |current: CurrentUser<User>, Form(f): Form<Credentials>| {
                    let user = for_inline.clone();
                    async move {
                        // What verify_password avoids: tens of milliseconds on the worker.
                        if flask_login::check_password_hash(&user.hash, &f.password) {
                            current.login_user(user, LoginOptions::new());
                            StatusCode::NO_CONTENT
                        } else {
                            StatusCode::UNAUTHORIZED
                        }
                    }
                },
            ),
        )
}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(port: u16) -> Result<Self, String> {
        let stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| format!("cannot connect: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(4096),
        })
    }

    /// Sends `request` and reads the whole response; returns its status.
    async fn send(&mut self, request: &[u8]) -> Result<u16, String> {
        self.stream
            .write_all(request)
            .await
            .map_err(|e| format!("write: {e}"))?;
        self.buf.clear();
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buf[..end]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                if self.buf.len() >= end + 4 + length {
                    let status = head
                        .split_whitespace()
                        .nth(1)
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0);
                    return Ok(status);
                }
            }
            let mut chunk = [0u8; 4096];
            let n = self
                .stream
                .read(&mut chunk)
                .await
                .map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                return Err("the server closed the connection".to_owned());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Latencies of `GET /ping`, one request per millisecond for `seconds`, in microseconds,
/// sorted.
async fn probe(port: u16, seconds: u64) -> Result<Vec<u64>, String> {
    let mut conn = Conn::open(port).await?;
    let request = b"GET /ping HTTP/1.1\r\nHost: bench\r\n\r\n";
    // Warm the connection and the route.
    for _ in 0..200 {
        conn.send(request).await?;
    }
    let mut latencies = Vec::new();
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while Instant::now() < end {
        tick.tick().await;
        let start = Instant::now();
        let status = conn.send(request).await?;
        if status != 200 {
            return Err(format!("GET /ping answered {status}"));
        }
        latencies.push(u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX));
    }
    latencies.sort_unstable();
    Ok(latencies)
}

/// `clients` connections logging in on `path` until `stop`; counts the logins.
fn burst(
    port: u16,
    path: &'static str,
    clients: u32,
    stop: Arc<AtomicBool>,
    done: Arc<AtomicU64>,
) -> std::thread::JoinHandle<Result<(), String>> {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async move {
            let body = format!("password={}", PASSWORD.replace(' ', "+"));
            let request = format!(
                "POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            let mut tasks = Vec::new();
            for _ in 0..clients {
                let (stop, done, request) = (stop.clone(), done.clone(), request.clone());
                tasks.push(tokio::spawn(async move {
                    let mut conn = Conn::open(port).await?;
                    while !stop.load(Ordering::Relaxed) {
                        let status = conn.send(request.as_bytes()).await?;
                        if status != 204 {
                            return Err(format!("POST {path} answered {status}"));
                        }
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok::<(), String>(())
                }));
            }
            for task in tasks {
                task.await.map_err(|e| e.to_string())??;
            }
            Ok(())
        })
    })
}

/// The latencies of the cheap route from a thread of its own.
fn probe_thread(port: u16, seconds: u64) -> Result<Vec<u64>, String> {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(probe(port, seconds))
    })
    .join()
    .map_err(|_| "the probe panicked".to_owned())?
}

struct Phase {
    name: &'static str,
    p50: u64,
    p99: u64,
    max: u64,
    logins_per_sec: f64,
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn phase(
    name: &'static str,
    port: u16,
    seconds: u64,
    login: Option<(&'static str, u32)>,
) -> Result<Phase, String> {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let load = login.map(|(path, clients)| burst(port, path, clients, stop.clone(), done.clone()));
    if load.is_some() {
        // Let the burst fill the queue before measuring.
        std::thread::sleep(Duration::from_millis(500));
    }
    let counted_from = done.load(Ordering::Relaxed);
    let start = Instant::now();
    let latencies = probe_thread(port, seconds);
    let logins = done.load(Ordering::Relaxed) - counted_from;
    let elapsed = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    if let Some(load) = load {
        load.join().map_err(|_| "the burst panicked".to_owned())??;
    }
    let latencies = latencies?;
    let phase = Phase {
        name,
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
        max: latencies.last().copied().unwrap_or(0),
        logins_per_sec: logins as f64 / elapsed,
    };
    println!(
        "login-bench: {:<40} /ping p50 {:>6} us  p99 {:>6} us  max {:>7} us  logins/s {:>6.1}",
        phase.name, phase.p50, phase.p99, phase.max, phase.logins_per_sec
    );
    Ok(phase)
}

fn table(phases: &[Phase], burst: u32, seconds: u64) -> String {
    use std::fmt::Write as _;
    let base = phases.first().map_or(1, |p| p.p99.max(1)) as f64;
    let mut out = format!(
        "## Bench: a login burst against a cheap route (flask-login)\n\n\
         `GET /ping` once a millisecond for {seconds} s on a keep-alive connection, alone and while \
         {burst} clients log in back to back (argon2id, OWASP parameters). Target: p99 under the \
         `verify_password` burst at most {TARGET}x the unloaded p99. {cores} cores.\n\n\
         | phase | /ping p50 | /ping p99 | p99 / unloaded | max | logins/s | verdict |\n\
         |---|---:|---:|---:|---:|---:|---|\n",
        cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
    );
    for (i, p) in phases.iter().enumerate() {
        let ratio = p.p99 as f64 / base;
        let verdict = match i {
            0 => "baseline",
            1 if ratio <= TARGET => "meets target",
            1 => "BELOW TARGET",
            _ => "for comparison",
        };
        let _ = writeln!(
            out,
            "| {} | {} us | {} us | {ratio:.2} | {} us | {:.1} | {verdict} |",
            p.name, p.p50, p.p99, p.max, p.logins_per_sec
        );
    }
    out
}

fn main() -> ExitCode {
    let mut seconds = 5;
    let mut burst = 16;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args
            .next()
            .and_then(|v| v.parse::<u32>().ok())
            .filter(|n| *n > 0);
        match (arg.as_str(), value) {
            ("--seconds", Some(v)) => seconds = u64::from(v),
            ("--burst", Some(v)) => burst = v,
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("login-burst: cannot start tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        let hash: Arc<str> = flask_login::hash_password(PASSWORD)
            .await
            .map_err(|e| e.to_string())?
            .into();
        let app = app(hash).build().map_err(|e| e.to_string())?;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| e.to_string())?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.serve_with_shutdown(listener, async move {
            let _ = rx.await;
        }));
        let phases = tokio::task::spawn_blocking(move || {
            Ok::<_, String>(vec![
                phase("unloaded", port, seconds, None)?,
                phase(
                    "logins through verify_password",
                    port,
                    seconds,
                    Some(("/login", burst)),
                )?,
                phase(
                    "logins hashing on the async worker (control)",
                    port,
                    seconds,
                    Some(("/login-inline", burst)),
                )?,
            ])
        })
        .await
        .map_err(|e| e.to_string())??;
        let _ = tx.send(());
        let _ = server.await;
        Ok::<_, String>(table(&phases, burst, seconds))
    });
    match result {
        Ok(table) => {
            println!("\n{table}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("login-burst: {e}");
            ExitCode::FAILURE
        }
    }
}
