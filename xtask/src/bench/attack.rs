//! `cargo xtask attack`: hostile traffic against release builds, bounded in count and time,
//! on 127.0.0.1 only. It passes when
//! - 50 000 cookieless loads of flaskr's login page (a form, so a CSRF secret in a new
//!   session each time) leave flaskr's RSS flat: cookie sessions keep nothing per visitor,
//!   and the memory store keeps at most `SESSION_MEMORY_CAPACITY` records;
//! - a connection that never finishes its headers is closed (`SERVER_HEADER_TIMEOUT`);
//! - logins in flight when SIGTERM arrives are all answered in full, and flaskr exits 0;
//! - a 16 MiB form of empty fields to rest-orm is a 413, with peak RSS growth under 100 MiB.
//!
//! It writes its table into docs/performance.md.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use super::HOST;
use super::client::Client;
use super::flaskr::{RssTrend, rss_kib};
use super::latency::serve;
use super::server::Server;
use crate::args::{check_exit, parse_options};
use crate::process::{cargo, describe, target_dir};

const ATTACK_HELP: &str = "\
cargo xtask attack [--loads N]

Hostile traffic against release builds of flaskr and rest-orm on 127.0.0.1 (SQLite in
target/attack/): N cookieless page loads (default 50000) must leave RSS flat, a connection
that never finishes its headers must be closed, SIGTERM must answer the logins in flight,
and a 16 MiB form of empty fields must be a 413 with peak RSS growth under 100 MiB. Writes
its table into docs/performance.md. Not part of test-all.";

/// What a 16 MiB form may grow the peak RSS by.
const FORM_GROWTH_LIMIT_MIB: f64 = 100.0;

/// `cargo xtask attack`.
pub(crate) fn attack_run(words: Vec<String>) -> ExitCode {
    let mut loads: u32 = 50_000;
    let parsed = parse_options("attack", ATTACK_HELP, words, |args, option| {
        match option {
            "--loads" => loads = args.positive(option)?,
            _ => return Ok(false),
        }
        Ok(true)
    });
    if let Err(code) = parsed {
        return code;
    }
    check_exit("attack", attack(loads))
}

/// One line of the report: what was checked, what was seen, whether it passed.
struct Check {
    what: String,
    seen: String,
    ok: bool,
}

fn attack(loads: u32) -> Result<bool, String> {
    let mut build = cargo(["build", "--release", "-p", "flaskr", "-p", "rest-orm"]);
    println!("attack: {}", describe(&build));
    let status = build
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("the release build failed ({status})"));
    }
    let release = target_dir().join("release");
    let dir = target_dir().join("attack");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;

    let mut checks = Vec::new();
    let flaskr_env = vec![
        (
            "FLASK_SQLALCHEMY_DATABASE_URI".to_owned(),
            format!("sqlite:///{}", dir.join("flaskr.db").display()),
        ),
        (
            "FLASK_SECRET_KEY".to_owned(),
            "attack-secret-key-not-for-production".to_owned(),
        ),
        ("FLASK_SERVER_HEADER_TIMEOUT".to_owned(), "2".to_owned()),
        ("FLASK_SKIP_DOTENV".to_owned(), "1".to_owned()),
    ];
    let (mut flaskr, addr) = serve(&release.join("flaskr"), "flaskr", &flaskr_env, &dir)?;
    checks.push(cookieless_loads(&flaskr, &addr, loads, "cookie sessions")?);
    checks.push(unfinished_headers(&addr));
    checks.push(sigterm_in_flight(&mut flaskr, &addr)?);
    drop(flaskr);

    // The same loads with a server-side store: a record per visitor, up to its capacity.
    let mut memory_env = flaskr_env.clone();
    memory_env.push(("FLASK_SESSION_TYPE".to_owned(), "memory".to_owned()));
    memory_env.push((
        "FLASK_SESSION_MEMORY_CAPACITY".to_owned(),
        "5000".to_owned(),
    ));
    let (flaskr, addr) = serve(&release.join("flaskr"), "flaskr", &memory_env, &dir)?;
    checks.push(cookieless_loads(
        &flaskr,
        &addr,
        loads,
        "SESSION_TYPE = memory, SESSION_MEMORY_CAPACITY = 5000",
    )?);
    drop(flaskr);

    let rest_env = vec![
        (
            "FLASK_SQLALCHEMY_DATABASE_URI".to_owned(),
            format!("sqlite:///{}", dir.join("rest-orm.db").display()),
        ),
        ("FLASK_SKIP_DOTENV".to_owned(), "1".to_owned()),
    ];
    let (rest, _) = serve(&release.join("rest-orm"), "rest-orm", &rest_env, &dir)?;
    checks.push(huge_form(&rest)?);
    drop(rest);

    let mut table = String::from(
        "#### Attack: release builds on 127.0.0.1, SQLite\n\n| check | result | |\n|---|---|---|\n",
    );
    for c in &checks {
        let verdict = if c.ok { "ok" } else { "FAILED" };
        table.push_str(&format!("| {} | {} | {verdict} |\n", c.what, c.seen));
    }
    println!("\n{table}");
    super::docs_section::write_section("attack", "attack", &table)?;
    Ok(checks.iter().all(|c| c.ok))
}

/// `GET path` on a keep-alive connection without any cookie; the status, and whether the
/// response set a cookie.
fn get_without_cookies(conn: &mut BufReader<TcpStream>, path: &str) -> Result<u16, String> {
    let request = format!("GET {path} HTTP/1.1\r\nHost: {HOST}\r\n\r\n");
    conn.get_mut()
        .write_all(request.as_bytes())
        .map_err(|e| format!("writing: {e}"))?;
    let mut status_line = String::new();
    conn.read_line(&mut status_line)
        .map_err(|e| format!("reading: {e}"))?;
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not a status line: {status_line:?}"))?;
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        conn.read_line(&mut line)
            .map_err(|e| format!("reading: {e}"))?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    conn.read_exact(&mut body)
        .map_err(|e| format!("reading the body: {e}"))?;
    Ok(status)
}

/// Many visitors without cookies load a page with a form; RSS must stay flat.
fn cookieless_loads(
    server: &Server,
    addr: &str,
    loads: u32,
    sessions: &str,
) -> Result<Check, String> {
    let pid = server.pid();
    let idle = rss_kib(pid).unwrap_or(0);
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let sampler = thread::spawn(move || {
        let started = Instant::now();
        let mut samples = Vec::new();
        while !flag.load(Ordering::Relaxed) {
            if let Some(kib) = rss_kib(pid) {
                samples.push((started.elapsed().as_secs_f64(), kib));
            }
            thread::sleep(Duration::from_millis(100));
        }
        samples
    });
    let threads = 4;
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let addr = addr.to_owned();
            let n = loads / threads;
            thread::spawn(move || -> Result<u32, String> {
                let mut failed = 0;
                let mut conn = None;
                for _ in 0..n {
                    if conn.is_none() {
                        let stream = TcpStream::connect(&addr).map_err(|e| e.to_string())?;
                        let _ = stream.set_nodelay(true);
                        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                        conn = Some(BufReader::new(stream));
                    }
                    let Some(c) = conn.as_mut() else { continue };
                    match get_without_cookies(c, "/auth/login") {
                        Ok(200) => {}
                        Ok(_) => failed += 1,
                        Err(_) => {
                            failed += 1;
                            conn = None;
                        }
                    }
                }
                Ok(failed)
            })
        })
        .collect();
    let mut failed = 0;
    for w in workers {
        failed += w.join().map_err(|_| "a load thread panicked")??;
    }
    let took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let samples = sampler.join().map_err(|_| "the RSS sampler panicked")?;
    let warm_up = took.as_secs_f64() / 5.0;
    let trend = RssTrend::from_samples(&samples, warm_up)
        .ok_or("too few RSS samples: the load ended too soon")?;
    let done = (loads / threads) * threads;
    Ok(Check {
        what: format!(
            "{done} cookieless `GET /auth/login` (a form: a CSRF secret in a new session each), {sessions}"
        ),
        seen: format!(
            "{failed} failed, {:.0}/s; RSS idle {:.1} MiB, after warm-up {:.1} -> {:.1} MiB (growth {:+.1} MiB)",
            f64::from(done) / took.as_secs_f64(),
            idle as f64 / 1024.0,
            trend.first_mib,
            trend.last_mib,
            trend.growth_mib()
        ),
        ok: failed == 0 && trend.is_flat(),
    })
}

/// A connection that sends half a request head and then nothing.
fn unfinished_headers(addr: &str) -> Check {
    let started = Instant::now();
    let result = (|| -> Result<usize, String> {
        let mut stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .map_err(|e| e.to_string())?;
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            .map_err(|e| e.to_string())?;
        let mut rest = Vec::new();
        stream
            .read_to_end(&mut rest)
            .map_err(|e| format!("still open after 20 s ({e})"))?;
        Ok(rest.len())
    })();
    match result {
        Ok(_) => Check {
            what: "a connection that never finishes its headers (SERVER_HEADER_TIMEOUT = 2)"
                .to_owned(),
            seen: format!(
                "closed by the server after {:.1} s",
                started.elapsed().as_secs_f64()
            ),
            ok: true,
        },
        Err(e) => Check {
            what: "a connection that never finishes its headers".to_owned(),
            seen: e,
            ok: false,
        },
    }
}

/// Logins (an argon2 hash each, queued on the hashing thread) in flight when SIGTERM comes.
fn sigterm_in_flight(server: &mut Server, addr: &str) -> Result<Check, String> {
    let mut setup = Client::new(addr);
    let page = setup.get("/auth/register")?;
    let token = page.csrf_token().ok_or("no CSRF token on /auth/register")?;
    let reply = setup.post_form(
        "/auth/register",
        &[
            ("username", "ada"),
            ("password", "pw"),
            ("csrf_token", &token),
        ],
    )?;
    if reply.status != 302 {
        return Err(format!("registering answered {}", reply.status));
    }
    let in_flight = 8;
    // Each client has its login form (and CSRF token) before the burst.
    let mut clients = Vec::new();
    for _ in 0..in_flight {
        let mut c = Client::new(addr);
        let token = c
            .get("/auth/login")?
            .csrf_token()
            .ok_or("no CSRF token on /auth/login")?;
        clients.push((c, token));
    }
    let go = Arc::new(Barrier::new(in_flight + 1));
    let logins: Vec<_> = clients
        .into_iter()
        .map(|(mut c, token)| {
            let go = go.clone();
            thread::spawn(move || {
                go.wait();
                c.post_form(
                    "/auth/login",
                    &[
                        ("username", "ada"),
                        ("password", "pw"),
                        ("csrf_token", &token),
                    ],
                )
                .map(|r| r.status)
            })
        })
        .collect();
    go.wait();
    thread::sleep(Duration::from_millis(20));
    let signalled = Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .map_err(|e| format!("cannot run kill: {e}"))?;
    if !signalled.success() {
        return Err("kill -TERM failed".to_owned());
    }
    let mut answered = 0;
    let mut problems = Vec::new();
    for login in logins {
        match login.join().map_err(|_| "a login thread panicked")? {
            Ok(302) => answered += 1,
            Ok(other) => problems.push(format!("status {other}")),
            Err(e) => problems.push(e),
        }
    }
    let exit = server.wait_exit(Duration::from_secs(30))?;
    Ok(Check {
        what: format!("SIGTERM with {in_flight} logins in flight"),
        seen: format!(
            "{answered} of {in_flight} answered in full{}; exit status {exit}",
            if problems.is_empty() {
                String::new()
            } else {
                format!(" ({})", problems.join(", "))
            }
        ),
        ok: answered == in_flight && exit == 0,
    })
}

/// 16 MiB of `a&a&a...` to rest-orm's `POST /books`.
fn huge_form(server: &Server) -> Result<Check, String> {
    let before = server.peak_rss_kib().unwrap_or(0);
    let body = "a&".repeat(8 * 1024 * 1024 - 1);
    let mut stream = TcpStream::connect((HOST, server.port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    let head = format!(
        "POST /books HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body.as_bytes()))
        .map_err(|e| format!("sending the form: {e}"))?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|e| format!("reading the answer: {e}"))?;
    let status = answer.get(9..12).unwrap_or("?").to_owned();
    let after = server.peak_rss_kib().unwrap_or(0);
    let growth = after.saturating_sub(before) as f64 / 1024.0;
    Ok(Check {
        what: "a 16 MiB form of empty fields to rest-orm's `POST /books`".to_owned(),
        seen: format!(
            "{status}; peak RSS {:.1} -> {:.1} MiB (growth {growth:.1} MiB, limit {FORM_GROWTH_LIMIT_MIB:.0})",
            before as f64 / 1024.0,
            after as f64 / 1024.0
        ),
        ok: status == "413" && growth < FORM_GROWTH_LIMIT_MIB,
    })
}
