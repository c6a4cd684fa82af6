//! flaskr (the tutorial app) as its users meet it: how long the binary takes to serve its
//! first page, its memory idle and under a mixed load (`cargo xtask bench --only flaskr`),
//! and the bounded soak (`cargo xtask soak`): minutes of reads, logins and new posts on
//! PostgreSQL, with zero failed requests, every created post there afterwards and a flat
//! RSS after warm-up.
//!
//! The load is browser-like: every worker is a user with a session cookie, reads the CSRF
//! token from each form it submits, and checks the status of every answer.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::client::{Client, Reply};
use super::pinning::Pinning;
use super::server::{Server, free_port};
use super::{HOST, Side};
use crate::args::{check_exit, parse_options};
use crate::process::{describe, target_dir};

/// What the load does.
#[derive(Clone)]
pub(super) struct LoadOptions {
    /// Concurrent users, one thread and one connection each.
    pub(super) workers: usize,
    /// How long the load runs.
    pub(super) duration: Duration,
    /// New posts per minute, all users together (flaskr's index lists every post, so the
    /// rate bounds how fast the page grows).
    pub(super) posts_per_minute: u32,
    /// Each user logs out and in again this often (an argon2id check each time).
    pub(super) relogin_every: Duration,
}

/// What the load saw.
#[derive(Default)]
pub(super) struct LoadResult {
    pub(super) requests: u64,
    pub(super) logins: u64,
    /// Titles of the posts the server said it saved (a redirect after the POST).
    pub(super) created: Vec<String>,
    pub(super) failed: u64,
    /// The first failures, described.
    pub(super) failures: Vec<String>,
    /// Latency of every request, in microseconds.
    latencies_us: Vec<u32>,
    pub(super) elapsed: Duration,
}

impl LoadResult {
    fn merge(&mut self, other: LoadResult) {
        self.requests += other.requests;
        self.logins += other.logins;
        self.created.extend(other.created);
        self.failed += other.failed;
        for failure in other.failures {
            if self.failures.len() < 10 {
                self.failures.push(failure);
            }
        }
        self.latencies_us.extend(other.latencies_us);
    }

    /// The `p`th percentile latency in milliseconds.
    pub(super) fn percentile_ms(&self, p: f64) -> f64 {
        let mut sorted = self.latencies_us.clone();
        sorted.sort_unstable();
        if sorted.is_empty() {
            return 0.0;
        }
        let index = ((sorted.len() - 1) as f64 * p / 100.0).round() as usize;
        f64::from(sorted[index]) / 1000.0
    }

    pub(super) fn requests_per_sec(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// One user's connection, counting and timing its requests.
struct Worker {
    client: Client,
    result: LoadResult,
    username: String,
    password: String,
}

impl Worker {
    /// Sends a request and checks its status; `Err` (already counted) when it failed.
    fn call(
        &mut self,
        what: &str,
        expected: u16,
        send: impl FnOnce(&mut Client) -> Result<Reply, String>,
    ) -> Result<Reply, ()> {
        let started = Instant::now();
        let outcome = send(&mut self.client);
        let micros = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
        self.result.requests += 1;
        self.result.latencies_us.push(micros);
        let problem = match outcome {
            Ok(reply) if reply.status == expected => return Ok(reply),
            Ok(reply) => format!(
                "{what}: {} instead of {expected}: {}",
                reply.status,
                reply.body.chars().take(200).collect::<String>()
            ),
            Err(e) => format!("{what}: {e}"),
        };
        self.result.failed += 1;
        if self.result.failures.len() < 10 {
            self.result
                .failures
                .push(format!("{}: {problem}", self.username));
        }
        Err(())
    }

    /// GETs the form at `path`, then POSTs `fields` and its CSRF token; expects a redirect.
    fn submit(&mut self, path: &str, fields: &[(&str, &str)]) -> Result<Reply, ()> {
        let page = self.call(&format!("GET {path}"), 200, |c| c.get(path))?;
        let Some(token) = page.csrf_token() else {
            self.result.failed += 1;
            self.result
                .failures
                .push(format!("GET {path}: the form has no csrf_token"));
            return Err(());
        };
        let mut form = fields.to_vec();
        form.push(("csrf_token", &token));
        self.call(&format!("POST {path}"), 302, |c| c.post_form(path, &form))
    }

    fn register(&mut self) -> Result<(), ()> {
        let (user, password) = (self.username.clone(), self.password.clone());
        self.submit(
            "/auth/register",
            &[("username", &user), ("password", &password)],
        )
        .map(drop)
    }

    fn login(&mut self) -> Result<(), ()> {
        let (user, password) = (self.username.clone(), self.password.clone());
        self.submit(
            "/auth/login",
            &[("username", &user), ("password", &password)],
        )?;
        self.result.logins += 1;
        Ok(())
    }

    fn relogin(&mut self) -> Result<(), ()> {
        self.call("GET /auth/logout", 302, |c| c.get("/auth/logout"))?;
        self.login()
    }

    fn create_post(&mut self, title: &str) -> Result<(), ()> {
        let body = format!("Posted by {} under load.\nSecond line.", self.username);
        self.submit("/create", &[("title", title), ("body", &body)])?;
        self.result.created.push(title.to_owned());
        Ok(())
    }
}

/// The ids in the index's Edit links: the logged-in user's own posts.
fn own_post_ids(index: &str) -> Vec<u64> {
    index
        .match_indices("/update\"")
        .filter_map(|(at, _)| {
            let start = index[..at].rfind('/')? + 1;
            index[start..at].parse().ok()
        })
        .collect()
}

/// Runs the load against `addr` and returns what it saw.
pub(super) fn run_load(addr: &str, options: &LoadOptions, run_id: &str) -> LoadResult {
    let started = Instant::now();
    let deadline = started + options.duration;
    let post_every = Duration::from_secs_f64(
        60.0 * options.workers as f64 / f64::from(options.posts_per_minute.max(1)),
    );
    let handles: Vec<_> = (0..options.workers)
        .map(|w| {
            let addr = addr.to_owned();
            let relogin_every = options.relogin_every;
            let workers = options.workers as u32;
            let username = format!("load-{run_id}-{w}");
            thread::spawn(move || {
                let mut worker = Worker {
                    client: Client::new(&addr),
                    result: LoadResult::default(),
                    password: format!("pw-{username}"),
                    username,
                };
                if worker.register().is_err() || worker.login().is_err() {
                    return worker.result;
                }
                // Spread the users' posts and logins over the period.
                let w32 = w as u32;
                let mut next_post = Instant::now() + post_every * w32 / workers;
                let mut next_login = Instant::now() + relogin_every * (w32 + 1) / workers;
                let mut own: Vec<u64> = Vec::new();
                let mut posts = 0;
                let mut turn = 0usize;
                while Instant::now() < deadline {
                    let now = Instant::now();
                    if now >= next_post {
                        posts += 1;
                        let title = format!("load {w}-{posts}");
                        let _ = worker.create_post(&title);
                        next_post += post_every;
                    } else if now >= next_login {
                        let _ = worker.relogin();
                        next_login += relogin_every;
                    } else {
                        turn += 1;
                        match turn % 4 {
                            0 => {
                                if let Ok(page) = worker.call("GET /", 200, |c| c.get("/")) {
                                    own = own_post_ids(&page.body);
                                }
                            }
                            1 if !own.is_empty() => {
                                let path = format!("/{}/update", own[turn % own.len()]);
                                let _ = worker.call(&format!("GET {path}"), 200, |c| c.get(&path));
                            }
                            2 => {
                                let _ = worker.call("GET /static/style.css", 200, |c| {
                                    c.get("/static/style.css")
                                });
                            }
                            _ => {
                                let _ =
                                    worker.call("GET /auth/login", 200, |c| c.get("/auth/login"));
                            }
                        }
                    }
                }
                worker.result
            })
        })
        .collect();
    let mut total = LoadResult::default();
    for handle in handles {
        match handle.join() {
            Ok(result) => total.merge(result),
            Err(_) => {
                total.failed += 1;
                total.failures.push("a load thread panicked".to_owned());
            }
        }
    }
    total.elapsed = started.elapsed();
    total
}

/// Every created post on the index, read as an anonymous visitor: the titles missing from
/// it, and the number of posts it shows.
pub(super) fn missing_posts(
    addr: &str,
    created: &[String],
) -> Result<(Vec<String>, usize), String> {
    let index = Client::new(addr).get("/")?;
    if index.status != 200 {
        return Err(format!("GET / answered {} after the load", index.status));
    }
    let shown = index.body.matches("<article class=\"post\">").count();
    let missing = created
        .iter()
        .filter(|title| !index.body.contains(&format!("<h1>{title}</h1>")))
        .cloned()
        .collect();
    Ok((missing, shown))
}

/// Resident memory of `pid` now, in KiB (`VmRSS`).
pub(super) fn rss_kib(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Samples `pid`'s RSS every `every` on a thread until the returned flag is set; the
/// handle yields `(seconds since start, KiB)`.
fn sample_rss(pid: u32, every: Duration) -> (Arc<AtomicBool>, thread::JoinHandle<Vec<(f64, u64)>>) {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let handle = thread::spawn(move || {
        let started = Instant::now();
        let mut samples = Vec::new();
        while !flag.load(Ordering::Relaxed) {
            if let Some(kib) = rss_kib(pid) {
                samples.push((started.elapsed().as_secs_f64(), kib));
            }
            thread::sleep(every);
        }
        samples
    });
    (stop, handle)
}

/// RSS over a load: the samples after warm-up, split in thirds; flat when the last third's
/// mean is at most 5% (or 4 MiB) above the first third's.
pub(super) struct RssTrend {
    pub(super) warm_up_secs: f64,
    pub(super) first_mib: f64,
    pub(super) last_mib: f64,
    pub(super) max_mib: f64,
    pub(super) samples: usize,
}

impl RssTrend {
    pub(super) fn from_samples(samples: &[(f64, u64)], warm_up_secs: f64) -> Option<Self> {
        let after: Vec<f64> = samples
            .iter()
            .filter(|(t, _)| *t >= warm_up_secs)
            .map(|(_, kib)| *kib as f64 / 1024.0)
            .collect();
        if after.len() < 3 {
            return None;
        }
        let third = after.len() / 3;
        let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
        Some(Self {
            warm_up_secs,
            first_mib: mean(&after[..third]),
            last_mib: mean(&after[after.len() - third..]),
            max_mib: after.iter().copied().fold(0.0, f64::max),
            samples: after.len(),
        })
    }

    pub(super) fn growth_mib(&self) -> f64 {
        self.last_mib - self.first_mib
    }

    pub(super) fn is_flat(&self) -> bool {
        self.growth_mib() <= (self.first_mib * 0.05).max(4.0)
    }
}

/// Builds flaskr in release; its path.
/// The environment an example app runs with in a bench: the database, a fixed key, no
/// `.env` files.
pub(super) fn app_env(database: &str) -> Vec<(String, String)> {
    vec![
        (
            "FLASK_SQLALCHEMY_DATABASE_URI".to_owned(),
            database.to_owned(),
        ),
        (
            "FLASK_SECRET_KEY".to_owned(),
            "\"bench-secret-key-not-for-production\"".to_owned(),
        ),
        ("FLASK_SKIP_DOTENV".to_owned(), "1".to_owned()),
    ]
}

fn start_flaskr(bin: &Path, env: &[(String, String)], dir: &Path) -> Result<Server, String> {
    let port = free_port()?;
    let args = ["run", "--host", HOST, "--port", &port.to_string()].map(str::to_owned);
    Server::start_with_env(
        Side::Ours,
        "flaskr",
        bin,
        &args,
        env,
        port,
        &Pinning::none(),
        dir,
    )
}

/// Time from starting the binary until `GET /` is answered with 200.
fn time_to_first_page(
    bin: &Path,
    env: &[(String, String)],
    dir: &Path,
) -> Result<Duration, String> {
    let started = Instant::now();
    let mut server = start_flaskr(bin, env, dir)?;
    let addr = format!("{HOST}:{}", server.port);
    loop {
        server.check_alive()?;
        if let Ok(reply) = Client::new(&addr).get("/")
            && reply.status == 200
        {
            return Ok(started.elapsed());
        }
        if started.elapsed() > super::STARTUP_TIMEOUT {
            return Err("flaskr served no page within 30 s".to_owned());
        }
        thread::sleep(Duration::from_millis(2));
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// A run id that keeps user names unique between runs on one database.
fn run_id() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("{secs:x}")
}

/// `cargo xtask bench --only flaskr`: cold start, idle RSS and RSS under a 20 s load, on
/// SQLite in a new folder; returns its part of the report.
pub(super) fn flaskr_bench(seconds: u32) -> Result<String, String> {
    let bin = super::release_binary("flaskr")?;
    let dir = target_dir().join("bench").join("flaskr");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let database = dir.join("flaskr.db");
    let env = app_env(&format!("sqlite:///{}", database.display()));

    // First start on a new database (file, migrations), then starts on an existing one.
    let mut fresh = Vec::new();
    let mut warm = Vec::new();
    for _ in 0..5 {
        let _ = fs::remove_file(&database);
        fresh.push(time_to_first_page(&bin, &env, &dir)?.as_secs_f64() * 1000.0);
        warm.push(time_to_first_page(&bin, &env, &dir)?.as_secs_f64() * 1000.0);
    }
    println!("bench: flaskr first page: new database {fresh:.1?} ms, existing {warm:.1?} ms");

    let mut server = start_flaskr(&bin, &env, &dir)?;
    server.wait_ready()?;
    let addr = format!("{HOST}:{}", server.port);
    Client::new(&addr).get("/")?;
    thread::sleep(Duration::from_secs(2));
    let idle = rss_kib(server.pid()).ok_or("cannot read flaskr's RSS")?;

    let options = LoadOptions {
        workers: 8,
        duration: Duration::from_secs(u64::from(seconds)),
        posts_per_minute: 120,
        relogin_every: Duration::from_secs(5),
    };
    println!(
        "bench: flaskr under load for {seconds} s ({} users: reads, logins, new posts)",
        options.workers
    );
    let (stop, sampler) = sample_rss(server.pid(), Duration::from_millis(250));
    let load = run_load(&addr, &options, &run_id());
    stop.store(true, Ordering::Relaxed);
    let samples = sampler.join().unwrap_or_default();
    server.check_alive()?;
    let peak = server.peak_rss_kib().unwrap_or(0);
    thread::sleep(Duration::from_secs(2));
    let after = rss_kib(server.pid()).unwrap_or(0);
    let under_load =
        samples.iter().map(|(_, k)| *k as f64).sum::<f64>() / samples.len().max(1) as f64 / 1024.0;
    let (missing, _) = missing_posts(&addr, &load.created)?;

    let mut out = String::new();
    let _ = writeln!(out, "## Bench: flaskr, start and memory (SQLite)\n");
    let _ = writeln!(
        out,
        "The release binary of `examples/flaskr` (templates and static files embedded) on a \
         SQLite file. First page: the time from starting the process to the first `200` for \
         `GET /`, median of 5. Load: {} browser-like users for {seconds} s, each reading the \
         index, its own posts' edit pages, the login page and the stylesheet, logging in \
         again every {} s (argon2id) and all together posting {} times a minute, every form \
         with its CSRF token.\n",
        options.workers,
        options.relogin_every.as_secs(),
        options.posts_per_minute
    );
    let _ = writeln!(out, "| measure | value |\n|---|---:|");
    let _ = writeln!(
        out,
        "| first page, new database (creates it, runs the migrations) | {:.0} ms |",
        super::rounds::median(&fresh)
    );
    let _ = writeln!(
        out,
        "| first page, existing database | {:.0} ms |",
        super::rounds::median(&warm)
    );
    let _ = writeln!(
        out,
        "| RSS idle (after one request) | {:.1} MiB |",
        mib(idle)
    );
    let _ = writeln!(out, "| RSS under load (mean) | {under_load:.1} MiB |");
    let _ = writeln!(out, "| RSS peak | {:.1} MiB |", mib(peak));
    let _ = writeln!(out, "| RSS 2 s after the load | {:.1} MiB |", mib(after));
    let _ = writeln!(
        out,
        "| requests under load | {} ({:.0}/s, p50 {:.1} ms, p99 {:.1} ms) |",
        load.requests,
        load.requests_per_sec(),
        load.percentile_ms(50.0),
        load.percentile_ms(99.0)
    );
    let _ = writeln!(
        out,
        "| logins, posts created | {}, {} |",
        load.logins,
        load.created.len()
    );
    let _ = writeln!(
        out,
        "| failed requests, posts missing afterwards | {}, {} |",
        load.failed,
        missing.len()
    );
    if load.failed > 0 || !missing.is_empty() {
        println!(
            "BELOW TARGET: flaskr under load: {:?} {missing:?}",
            load.failures
        );
    }
    Ok(out)
}

const SOAK_HELP: &str = "\
cargo xtask soak [--minutes N] [--workers N] [--posts-per-minute N] [--db postgres|sqlite]

Builds examples/flaskr in release, empties its database (flaskr init-db) and serves it, then
drives it for N minutes (default 5) with browser-like users (default 8): each reads the
index, its own posts' edit pages, the login page and the stylesheet, logs in again every
10 s (argon2id), and all together they post --posts-per-minute times a minute (default 60),
every form with its CSRF token. PostgreSQL by default (FLASK_TEST_POSTGRES_URL, else
postgres://postgres@127.0.0.1:5432/test; ../shared/services.sh starts it).

Passes when no request failed, every post the server accepted is on the index afterwards,
and RSS is flat after warm-up (the first fifth, at least 30 s): the mean of the last third of
the samples at most 5% (or 4 MiB) above the mean of the first third. The figures go into
target/bench/soak.md and docs/performance.md.";

struct SoakOptions {
    minutes: u32,
    workers: usize,
    posts_per_minute: u32,
    db: String,
}

/// `cargo xtask soak`.
pub(crate) fn soak_run(words: Vec<String>) -> ExitCode {
    let mut options = SoakOptions {
        minutes: 5,
        workers: 8,
        posts_per_minute: 60,
        db: "postgres".to_owned(),
    };
    let parsed = parse_options("soak", SOAK_HELP, words, |args, option| {
        match option {
            "--minutes" => options.minutes = args.positive(option)?,
            "--workers" => options.workers = args.positive(option)?,
            "--posts-per-minute" => options.posts_per_minute = args.positive(option)?,
            "--db" => {
                options.db = args.value(option)?;
                if !["postgres", "sqlite"].contains(&options.db.as_str()) {
                    return Err(format!(
                        "--db takes postgres or sqlite, not `{}`",
                        options.db
                    ));
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    });
    if let Err(code) = parsed {
        return code;
    }
    check_exit("soak", soak(&options))
}

/// Runs the soak; `Ok(false)` when it ran and a check failed.
fn soak(options: &SoakOptions) -> Result<bool, String> {
    let dir = target_dir().join("bench").join("soak");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let database = if options.db == "postgres" {
        let url =
            crate::services::postgres_url("the soak runs on PostgreSQL", "--db sqlite skips it")?;
        crate::services::fresh_postgres_schema(&url, "flaskr_soak")?
    } else {
        format!("sqlite:///{}", dir.join("flaskr.db").display())
    };
    let bin = super::release_binary("flaskr")?;
    let env = app_env(&database);
    let mut init = std::process::Command::new(&bin);
    init.arg("init-db").envs(env.iter().map(|(k, v)| (k, v)));
    println!("soak: {}", describe(&init));
    let out = init
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(format!(
            "flaskr init-db failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }

    let mut server = start_flaskr(&bin, &env, &dir)?;
    server.wait_ready()?;
    let addr = format!("{HOST}:{}", server.port);
    Client::new(&addr).get("/")?;
    thread::sleep(Duration::from_secs(1));
    let idle = rss_kib(server.pid()).ok_or("cannot read flaskr's RSS")?;

    let load_options = LoadOptions {
        workers: options.workers,
        duration: Duration::from_secs(u64::from(options.minutes) * 60),
        posts_per_minute: options.posts_per_minute,
        relogin_every: Duration::from_secs(10),
    };
    println!(
        "soak: {} users for {} min on {} (reads, logins every 10 s, {} posts a minute)",
        options.workers, options.minutes, options.db, options.posts_per_minute
    );
    let (stop, sampler) = sample_rss(server.pid(), Duration::from_secs(1));
    let load = run_load(&addr, &load_options, &run_id());
    stop.store(true, Ordering::Relaxed);
    let samples = sampler.join().unwrap_or_default();
    let alive = server.check_alive();
    let (missing, shown) = match &alive {
        Ok(()) => missing_posts(&addr, &load.created)?,
        Err(_) => (load.created.clone(), 0),
    };
    let warm_up = (load.elapsed.as_secs_f64() / 5.0).max(30.0);
    let trend = RssTrend::from_samples(&samples, warm_up);
    let peak = server.peak_rss_kib().unwrap_or(0);

    let flat = trend.as_ref().is_some_and(RssTrend::is_flat);
    let passed =
        alive.is_ok() && load.failed == 0 && missing.is_empty() && flat && !load.created.is_empty();
    let verdict = |ok: bool| if ok { "ok" } else { "FAILED" };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "#### Soak: flaskr on {} for {} min, {} users\n",
        if options.db == "postgres" {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        options.minutes,
        options.workers
    );
    let _ = writeln!(out, "| check | result | |\n|---|---|---|");
    let _ = writeln!(
        out,
        "| requests | {} ({:.0}/s; p50 {:.1} ms, p99 {:.1} ms), {} logins | |",
        load.requests,
        load.requests_per_sec(),
        load.percentile_ms(50.0),
        load.percentile_ms(99.0),
        load.logins
    );
    let _ = writeln!(
        out,
        "| failed requests | {} | {} |",
        load.failed,
        verdict(load.failed == 0)
    );
    let _ = writeln!(
        out,
        "| posts accepted, on the index afterwards | {}, {} (index shows {shown}) | {} |",
        load.created.len(),
        load.created.len() - missing.len(),
        verdict(missing.is_empty() && !load.created.is_empty())
    );
    match &trend {
        Some(t) => {
            let _ = writeln!(
                out,
                "| RSS after warm-up ({:.0} s, {} samples): first third, last third, max | {:.1}, {:.1}, {:.1} MiB (growth {:+.1} MiB) | {} |",
                t.warm_up_secs,
                t.samples,
                t.first_mib,
                t.last_mib,
                t.max_mib,
                t.growth_mib(),
                verdict(t.is_flat())
            );
        }
        None => {
            let _ = writeln!(out, "| RSS after warm-up | too few samples | FAILED |");
        }
    }
    let _ = writeln!(
        out,
        "| RSS idle before, peak | {:.1}, {:.1} MiB | |",
        mib(idle),
        mib(peak)
    );
    if let Err(e) = &alive {
        let _ = writeln!(out, "\nThe server died: {e}");
    }
    if !load.failures.is_empty() {
        let _ = writeln!(out, "\nFirst failures:\n");
        for failure in &load.failures {
            let _ = writeln!(out, "- `{}`", failure.replace('`', "'"));
        }
    }
    if !missing.is_empty() {
        let _ = writeln!(
            out,
            "\nMissing posts (first 10): {:?}",
            &missing[..missing.len().min(10)]
        );
    }
    println!("\n{out}");
    let report = target_dir().join("bench").join("soak.md");
    fs::write(&report, &out).map_err(|e| format!("cannot write {}: {e}", report.display()))?;
    super::docs_section::write_section("soak", "soak", &out)?;
    println!("soak: {}", if passed { "passed" } else { "FAILED" });
    Ok(passed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_posts_are_read_from_the_edit_links() {
        let page = r#"<a class="action" href="/12/update">Edit</a> <a href="/3/update">Edit</a>"#;
        assert_eq!(own_post_ids(page), [12, 3]);
    }

    #[test]
    fn rss_is_flat_within_five_percent_or_four_mib() {
        let steady: Vec<(f64, u64)> = (0..90).map(|s| (f64::from(s), 40 * 1024)).collect();
        let trend = RssTrend::from_samples(&steady, 30.0).expect("enough samples");
        assert!(trend.is_flat());
        let leaking: Vec<(f64, u64)> = (0..90u32)
            .map(|s| (f64::from(s), 40 * 1024 + u64::from(s) * 200))
            .collect();
        let trend = RssTrend::from_samples(&leaking, 30.0).expect("enough samples");
        assert!(!trend.is_flat(), "grew {} MiB", trend.growth_mib());
    }
}
