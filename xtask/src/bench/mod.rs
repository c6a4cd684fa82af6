//! `cargo xtask bench`: requests/s of our framework (`examples/hello`) against the same
//! routes in plain axum (`benches/axum-baseline`), measured with wrk; then flask-sqlalchemy
//! against plain sqlx (`benches/orm-baseline`) on SQLite and PostgreSQL; then a login burst
//! against a cheap route's latency (`benches/login-burst`).
//!
//! Both servers run at once on one CPU and wrk on another (when `taskset` can pin them): the
//! machine has two cores, and sharing one core between load generator and server would
//! measure the scheduler. Runs alternate axum, ours, axum, ours, so drift (thermal, other
//! load) hits both sides; each side keeps its best run.

mod admin;
pub(crate) mod attack;
mod client;
mod compile;
mod docs_section;
pub(crate) mod flaskr;
mod instructions;
mod latency;
mod pinning;
mod realtime;
mod report;
mod rounds;
mod server;
mod techempower;
mod wrk;

use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::args::Args;
use crate::process::{cargo, describe, find_on_path, target_dir};
use pinning::Pinning;
use report::{report, thousands};
use server::{Server, compare_responses, free_port};

const HELP: &str = "\
cargo xtask bench [--duration SECS] [--connections N] [--threads N] [--only http|orm|login|tfb|flaskr|admin|realtime|tasks|compile]

Builds examples/hello and benches/axum-baseline in release, serves both on 127.0.0.1 and
measures each route with wrk in alternating rounds, reading each server's CPU time per
request from /proc; then counts instructions per request under callgrind (if valgrind is
installed). Our framework should serve at least 0.95 of plain axum's requests per core.

Then runs benches/orm-baseline: get by primary key, list 100 rows, insert in a transaction
and the unit of work (load 100, change 10, commit) through flask-sqlalchemy and through plain
sqlx, on SQLite and on PostgreSQL
(FLASK_TEST_POSTGRES_URL, else postgres://postgres@127.0.0.1:5432/test); the ORM should take
at most 1.10 of plain sqlx's time.

Then runs benches/login-burst: the p99 latency of a cheap route alone and while 16 clients
log in back to back (flask-login's argon2id verify_password); the p99 under the burst should
stay within 2x of the unloaded p99.

Then runs the TechEmpower test types (plaintext, json, db, queries, fortunes, updates) of
examples/techempower against benches/techempower-axum (plain axum + sqlx + minijinja) on
PostgreSQL (--tfb-db sqlite|postgres|both), in paired rounds; targets: plaintext and json at
least 0.95 of plain axum, the database tests at least 0.90. Its table and a bar chart are
also written to docs/performance.md and docs/img/techempower.svg.

Then starts examples/flaskr (release, SQLite): time to its first page on a new and on an
existing database, RSS idle and under 20 s of browser-like load (reads, logins, posts).
`cargo xtask soak` is the long run of that load on PostgreSQL.

Then examples/admin (release) on a store of 100,000 orders, on SQLite and PostgreSQL: the
latency of flask-admin's list pages with a filter and a sort (target: 20 ms at p95), a deep
page and the dashboard, also written to docs/performance.md.

Then the realtime bench: 10,000 event streams open on one instance of benches/realtime-bench,
the framework against plain axum: RSS per idle stream and a broadcast's latency to every
client (p50, p99); and examples/analytics (release) on 1,000,000 sales, SQLite and
PostgreSQL: its aggregate pages (target: under 50 ms at p95). Written to docs/performance.md.

Then benches/tasks-bench on RabbitMQ (FLASK_TEST_AMQP_URL, else 127.0.0.1:5672): jobs per
second sent and run through flask-tasks against plain lapin with the same messages, and the
p50/p99 of a web route alone and beside a worker running jobs in the same process; written to
docs/performance.md.

Last, the compile time of examples/hello in a target directory of its own: a clean debug
build, `cargo build` and `cargo check` after an edit, and a clean release build.

Prints Markdown tables and writes them to target/bench/report.md. A result below target is
reported as BELOW TARGET, but the exit status stays 0 (it is a report).

Options:
  --only http|orm|login|tfb|flaskr|admin|realtime|tasks|compile  run one of the nine benches
  --tfb-db postgres|sqlite|both  where the TechEmpower data is (default postgres)
  --tfb-rounds N      paired rounds per TechEmpower test (default 3)
  --orm-rounds N      rounds per ORM operation (default 12)
  --duration SECS     length of each measured run (default 5)
  --connections N     open connections (default 64)
  --threads N         wrk threads (default 1: wrk gets one core, the server the other)
  --no-callgrind      skip the instructions-per-request table (valgrind is used when present)

For checking the harness itself:
  --warmup SECS       warm-up before each measured run (default 2)
  --rounds N          measured runs per route and side (default 6)
  --ours-bin PATH     serve this binary as `ours` instead of building hello
  --ours-args ARGS    its arguments, split on spaces; {host} and {port} are replaced
                      (default: run --host {host} --port {port})";

const TARGET_RATIO: f64 = 0.95;
const HOST: &str = "127.0.0.1";
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// The routes measured: path and what it exercises.
const ROUTES: [(&str, &str); 3] = [
    ("/", "hello world text"),
    ("/me", "json"),
    ("/rows", "template, 100 escaped rows"),
];

struct Options {
    duration: u32,
    connections: u32,
    threads: u32,
    warmup: u32,
    rounds: u32,
    ours_bin: Option<PathBuf>,
    ours_args: String,
    callgrind: bool,
    http: bool,
    orm: bool,
    login: bool,
    tfb: bool,
    flaskr: bool,
    admin: bool,
    realtime: bool,
    tasks: bool,
    compile: bool,
    tfb_db: String,
    tfb_rounds: u32,
    orm_rounds: u32,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            duration: 5,
            connections: 64,
            threads: 1,
            warmup: 2,
            rounds: 6,
            ours_bin: None,
            ours_args: "run --host {host} --port {port}".to_owned(),
            callgrind: true,
            http: true,
            orm: true,
            login: true,
            tfb: true,
            flaskr: true,
            admin: true,
            realtime: true,
            tasks: true,
            compile: true,
            tfb_db: "postgres".to_owned(),
            tfb_rounds: 3,
            orm_rounds: 12,
        }
    }
}

/// One side of the comparison.
#[derive(Clone, Copy, PartialEq)]
enum Side {
    Axum,
    Ours,
}

impl Side {
    fn label(self) -> &'static str {
        match self {
            Side::Axum => "plain axum",
            Side::Ours => "ours",
        }
    }

    /// For file names: `plain-axum`, `ours`.
    fn slug(self) -> &'static str {
        match self {
            Side::Axum => "plain-axum",
            Side::Ours => "ours",
        }
    }
}

/// One route's paired rounds.
struct RouteResult {
    path: &'static str,
    what: &'static str,
    runs: rounds::Paired,
}

pub(crate) fn run(words: Vec<String>) -> ExitCode {
    let options = match parse(words) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("xtask bench: {message}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    match bench(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask bench: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `Some(options)`, or `None` for `--help`.
fn parse(words: Vec<String>) -> Result<Option<Options>, String> {
    let mut args = Args::new(words);
    let mut options = Options::default();
    while let Some(option) = args.next_option()? {
        match option.as_str() {
            "--duration" => options.duration = args.positive(&option)?,
            "--connections" => options.connections = args.positive(&option)?,
            "--threads" => options.threads = args.positive(&option)?,
            "--warmup" => options.warmup = args.positive(&option)?,
            "--rounds" => options.rounds = args.positive(&option)?,
            "--ours-bin" => options.ours_bin = Some(PathBuf::from(args.value(&option)?)),
            "--ours-args" => options.ours_args = args.value(&option)?,
            "--no-callgrind" => options.callgrind = false,
            "--orm-rounds" => options.orm_rounds = args.positive(&option)?,
            "--tfb-rounds" => options.tfb_rounds = args.positive(&option)?,
            "--tfb-db" => {
                let db = args.value(&option)?;
                if !["postgres", "sqlite", "both"].contains(&db.as_str()) {
                    return Err(format!(
                        "--tfb-db takes postgres, sqlite or both, not `{db}`"
                    ));
                }
                options.tfb_db = db;
            }
            "--only" => {
                let only = args.value(&option)?;
                if ![
                    "http", "orm", "login", "tfb", "flaskr", "admin", "realtime", "tasks",
                    "compile",
                ]
                .contains(&only.as_str())
                {
                    return Err(format!(
                        "--only takes http, orm, login, tfb, flaskr, admin, realtime, tasks or compile, not `{only}`"
                    ));
                }
                options.http = only == "http";
                options.orm = only == "orm";
                options.login = only == "login";
                options.tfb = only == "tfb";
                options.flaskr = only == "flaskr";
                options.admin = only == "admin";
                options.realtime = only == "realtime";
                options.tasks = only == "tasks";
                options.compile = only == "compile";
            }
            "--help" | "-h" => return Ok(None),
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    if options.connections < options.threads {
        return Err(format!(
            "--connections ({}) must be at least --threads ({}): wrk gives each thread a connection",
            options.connections, options.threads
        ));
    }
    Ok(Some(options))
}

fn bench(options: &Options) -> Result<(), String> {
    let bench_dir = target_dir().join("bench");
    fs::create_dir_all(&bench_dir)
        .map_err(|err| format!("cannot create {}: {err}", bench_dir.display()))?;
    let mut report = String::new();
    if options.http {
        report.push_str(&http_bench(options)?);
    }
    if options.orm {
        if !report.is_empty() {
            report.push('\n');
        }
        report.push_str(&orm_bench(options)?);
    }
    if options.login {
        if !report.is_empty() {
            report.push('\n');
        }
        report.push_str(&login_bench(options)?);
    }
    if options.tfb {
        if !report.is_empty() {
            report.push('\n');
        }
        report.push_str(&techempower::techempower_bench(options)?);
    }
    if options.flaskr {
        if !report.is_empty() {
            report.push('\n');
        }
        report.push_str(&flaskr::flaskr_bench(20)?);
    }
    if options.admin {
        if !report.is_empty() {
            report.push('\n');
        }
        report.push_str(&admin::admin_bench()?);
    }
    if options.realtime {
        if !report.is_empty() {
            report.push('\n');
        }
        report.push_str(&realtime::realtime_bench()?);
    }
    if options.tasks {
        if !report.is_empty() {
            report.push('\n');
        }
        report.push_str(&tasks_bench(options)?);
    }
    if options.compile {
        if !report.is_empty() {
            report.push('\n');
        }
        report.push_str(&compile::compile_bench()?);
    }
    println!("\n{report}");
    let report_path = bench_dir.join("report.md");
    fs::write(&report_path, &report)
        .map_err(|err| format!("cannot write {}: {err}", report_path.display()))?;
    println!("bench: report written to {}", report_path.display());
    Ok(())
}

/// Builds `package` in release; the path of its binary (named like the package).
fn release_binary(package: &str) -> Result<PathBuf, String> {
    let mut build = cargo(["build", "--release", "-p", package]);
    println!("bench: {}", describe(&build));
    let status = build
        .status()
        .map_err(|err| format!("cannot run cargo: {err}"))?;
    if !status.success() {
        return Err(format!("the release build of {package} failed ({status})"));
    }
    Ok(target_dir().join("release").join(package))
}

/// flask-sqlalchemy against plain sqlx: builds and runs `benches/orm-baseline`, which
/// prints its table last.
fn orm_bench(options: &Options) -> Result<String, String> {
    let url = crate::services::postgres_url(
        "the ORM bench runs on PostgreSQL too",
        "--only http skips it",
    )?;
    let bin = release_binary("orm-baseline")?;
    let mut run = std::process::Command::new(&bin);
    run.args([
        "--postgres",
        &url,
        "--rounds",
        &options.orm_rounds.to_string(),
        "--scale",
        "2",
    ]);
    run.stderr(std::process::Stdio::inherit());
    println!("bench: {} (about a minute)", bin.display());
    let out = run
        .output()
        .map_err(|err| format!("cannot run {}: {err}", bin.display()))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    for line in text.lines().filter(|l| l.starts_with("orm-bench:")) {
        println!("bench: {}", line.trim_start_matches("orm-bench: "));
    }
    if !out.status.success() {
        return Err(format!("orm-baseline failed ({})", out.status));
    }
    let table = text
        .find("## Bench: flask-sqlalchemy")
        .map(|at| text[at..].to_owned())
        .ok_or("orm-baseline printed no table")?;
    for line in table.lines().filter(|l| l.ends_with("BELOW TARGET |")) {
        println!("BELOW TARGET: {line}");
    }
    Ok(table)
}

/// A login burst against a cheap route: builds and runs `benches/login-burst`, which prints
/// its table last.
fn login_bench(options: &Options) -> Result<String, String> {
    let bin = release_binary("login-burst")?;
    let mut run = std::process::Command::new(&bin);
    run.args(["--seconds", &options.duration.to_string()]);
    run.stderr(std::process::Stdio::inherit());
    println!(
        "bench: {} (three phases of {} s)",
        bin.display(),
        options.duration
    );
    let out = run
        .output()
        .map_err(|err| format!("cannot run {}: {err}", bin.display()))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    for line in text.lines().filter(|l| l.starts_with("login-bench:")) {
        println!("bench: {}", line.trim_start_matches("login-bench: "));
    }
    if !out.status.success() {
        return Err(format!("login-burst failed ({})", out.status));
    }
    let table = text
        .find("## Bench: a login burst")
        .map(|at| text[at..].to_owned())
        .ok_or("login-burst printed no table")?;
    for line in table.lines().filter(|l| l.ends_with("BELOW TARGET |")) {
        println!("BELOW TARGET: {line}");
    }
    docs_section::write_section(
        "login",
        "bench",
        &table.replacen("## Bench:", "#### Bench:", 1),
    )?;
    Ok(table)
}

/// flask-tasks through RabbitMQ against plain lapin, and a route beside a worker.
fn tasks_bench(options: &Options) -> Result<String, String> {
    let bin = release_binary("tasks-bench")?;
    let mut run = std::process::Command::new(&bin);
    run.args(["--seconds", &options.duration.to_string()]);
    run.stderr(std::process::Stdio::inherit());
    println!("bench: {}", bin.display());
    let out = run
        .output()
        .map_err(|err| format!("cannot run {}: {err}", bin.display()))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    for line in text.lines().filter(|l| l.starts_with("tasks-bench:")) {
        println!("bench: {}", line.trim_start_matches("tasks-bench: "));
    }
    if !out.status.success() {
        return Err(format!("tasks-bench failed ({})", out.status));
    }
    let table = text
        .find("## Bench: background jobs")
        .map(|at| text[at..].to_owned())
        .ok_or("tasks-bench printed no table")?;
    docs_section::write_section(
        "tasks",
        "bench",
        &table.replacen("## Bench:", "#### Bench:", 1),
    )?;
    Ok(table)
}

/// Ours against plain axum over HTTP; returns the report's tables.
fn http_bench(options: &Options) -> Result<String, String> {
    if find_on_path("wrk").is_none() {
        return Err("wrk is not installed: apt-get install -y wrk (Debian package)".to_owned());
    }

    let mut build = match options.ours_bin {
        Some(_) => cargo(["build", "--release", "-p", "axum-baseline"]),
        None => cargo(["build", "--release", "-p", "hello", "-p", "axum-baseline"]),
    };
    println!("bench: {}", describe(&build));
    let status = build
        .status()
        .map_err(|err| format!("cannot run cargo: {err}"))?;
    if !status.success() {
        return Err(format!("the release build failed ({status})"));
    }

    let release = target_dir().join("release");
    let axum_bin = release.join("axum-baseline");
    let ours_bin = options
        .ours_bin
        .clone()
        .unwrap_or_else(|| release.join("hello"));
    let bench_dir = target_dir().join("bench");

    let cpus = Pinning::detect();
    println!("bench: {}", cpus.describe());

    // Both servers stay up for the whole run; the idle one costs nothing. `Server` kills its
    // process when dropped, so every early return below stops them too.
    let axum_port = free_port()?;
    let mut axum = Server::start(
        Side::Axum,
        "axum-baseline",
        &axum_bin,
        &[
            "--host".to_owned(),
            HOST.to_owned(),
            "--port".to_owned(),
            axum_port.to_string(),
        ],
        axum_port,
        &cpus,
        &bench_dir,
    )?;
    let ours_port = free_port()?;
    let ours_args: Vec<String> = options
        .ours_args
        .split_whitespace()
        .map(|word| {
            word.replace("{host}", HOST)
                .replace("{port}", &ours_port.to_string())
        })
        .collect();
    let ours_name = ours_bin
        .file_name()
        .map_or_else(|| "ours".into(), |name| name.to_string_lossy().into_owned());
    let mut ours = Server::start(
        Side::Ours,
        &ours_name,
        &ours_bin,
        &ours_args,
        ours_port,
        &cpus,
        &bench_dir,
    )?;
    axum.wait_ready()?;
    ours.wait_ready()?;

    for (path, _) in ROUTES {
        compare_responses(path, &axum, &ours)?;
    }

    let mut results = Vec::new();
    for (path, what) in ROUTES {
        let target = rounds::Target {
            path,
            label: &format!("{path:<4}"),
            rounds: options.rounds,
            extra: &[],
            keep: rounds::Keep::LeastCpu,
        };
        let runs = rounds::paired_rounds(&mut axum, &mut ours, &target, options, &cpus)?;
        results.push(RouteResult { path, what, runs });
    }
    drop(axum);
    drop(ours);

    let mut report = report(&results, options, &cpus, &ours_name);
    if options.callgrind && find_on_path("valgrind").is_some() {
        report.push_str(&instruction_table(
            &axum_bin, &ours_bin, options, &bench_dir,
        )?);
    } else if options.callgrind {
        println!(
            "bench: valgrind not found (apt-get install -y valgrind): no instructions-per-request table"
        );
    }
    docs_section::write_section(
        "hello",
        "bench",
        &report
            .replacen("## Bench:", "#### Bench:", 1)
            .replace("\n### User-space", "\n#### User-space"),
    )?;
    let below: Vec<&RouteResult> = results
        .iter()
        .filter(|result| result.runs.ratio() < TARGET_RATIO)
        .collect();
    if below.is_empty() {
        println!("bench: every route at or above {TARGET_RATIO} of plain axum");
    }
    for result in below {
        println!(
            "BELOW TARGET: {} reaches {:.3} of plain axum (target {TARGET_RATIO})",
            result.path,
            result.runs.ratio()
        );
    }
    Ok(report)
}

/// The callgrind table: user-space instructions per request, ours against plain axum.
fn instruction_table(
    axum_bin: &std::path::Path,
    ours_bin: &std::path::Path,
    options: &Options,
    dir: &std::path::Path,
) -> Result<String, String> {
    use std::fmt::Write as _;
    let axum_args = |port: u16| {
        vec![
            "--host".to_owned(),
            HOST.to_owned(),
            "--port".to_owned(),
            port.to_string(),
        ]
    };
    let ours_template = options.ours_args.clone();
    let ours_args = move |port: u16| -> Vec<String> {
        ours_template
            .split_whitespace()
            .map(|w| {
                w.replace("{host}", HOST)
                    .replace("{port}", &port.to_string())
            })
            .collect()
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n### User-space instructions per request (callgrind)\n\n{} requests on one keep-alive connection, minus a 1-request run; \
         deterministic for the same binaries. Lower is better.\n",
        instructions::REQUESTS
    );
    let _ = writeln!(out, "| route | plain axum | ours | ours / axum |");
    let _ = writeln!(out, "|---|---:|---:|---:|");
    let mut counts = Vec::new();
    for (path, what) in ROUTES {
        println!("bench: callgrind {path} (two runs per side, about a minute)");
        let axum = instructions::per_request(axum_bin, &axum_args, path, dir)?;
        let ours = instructions::per_request(ours_bin, &ours_args, path, dir)?;
        counts.push((path, axum, ours));
        println!("bench: {path:<4} instructions/request: plain axum {axum}, ours {ours}");
        let _ = writeln!(
            out,
            "| `{path}` ({what}) | {} | {} | {:.3} |",
            thousands(axum as f64),
            thousands(ours as f64),
            ours as f64 / axum.max(1) as f64
        );
    }
    let count = |path: &str| counts.iter().find(|(p, _, _)| *p == path);
    if let (Some((_, axum_rows, ours_rows)), Some((_, axum_root, ours_root))) =
        (count("/rows"), count("/"))
    {
        let plain = axum_rows.saturating_sub(*axum_root);
        let ours = ours_rows.saturating_sub(*ours_root);
        let _ = writeln!(
            out,
            "\nTemplate render in instructions (`/rows` less `/`, deterministic): plain \
             minijinja {}, ours (`render_template`) {} ({:.3} of plain).",
            thousands(plain as f64),
            thousands(ours as f64),
            ours as f64 / plain.max(1) as f64
        );
    }
    Ok(out)
}
