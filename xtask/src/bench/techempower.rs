//! The TechEmpower test types: `examples/techempower` (ours) against
//! `benches/techempower-axum` (plain axum + sqlx + minijinja), on PostgreSQL and/or SQLite,
//! in paired rounds under wrk. Writes its table into the report, and into
//! `docs/performance.md` with a bar chart in `docs/img/techempower.svg`.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use super::pinning::Pinning;
use super::report::thousands;
use super::rounds::{Keep, Paired, Target, paired_rounds};
use super::server::{Server, free_port};
use super::{HOST, Options, Side};
use crate::process::{cargo, describe, find_on_path, target_dir, workspace_root};

/// The test types: path, name, whether wrk pipelines 16 requests (as the benchmark does for
/// plaintext), and the target ratio ours / plain axum.
const TESTS: [(&str, &str, bool, f64); 6] = [
    ("/plaintext", "plaintext", true, 0.95),
    ("/json", "json", false, 0.95),
    ("/db", "db", false, 0.90),
    ("/queries?queries=20", "queries (20)", false, 0.90),
    ("/fortunes", "fortunes", false, 0.90),
    ("/updates?queries=20", "updates (20)", false, 0.90),
];

/// Requests in the measured callgrind run of each test type (the slow ones get fewer).
const CALLGRIND_REQUESTS: [u64; 6] = [5_000, 5_000, 2_000, 300, 1_000, 200];

/// Database connections per server, the same on both sides.
const POOL: u32 = 8;

/// The benchmark's pipelining script: `depth` requests in one write.
const PIPELINE_LUA: &str = "\
init = function(args)
  local r = {}
  local depth = tonumber(args[1]) or 1
  for i = 1, depth do
    r[i] = wrk.format()
  end
  req = table.concat(r)
end

request = function()
  return req
end
";

/// Where the data is, for each side.
struct Database {
    /// `postgresql` or `sqlite`.
    name: &'static str,
    /// `FLASK_SQLALCHEMY_DATABASE_URI` for ours.
    orm_url: String,
    /// `--database` for plain axum (sqlx's URL form).
    sqlx_url: String,
}

/// One test type on one database: its paired rounds.
struct TestResult {
    database: &'static str,
    name: &'static str,
    target: f64,
    runs: Paired,
}

/// The databases `--tfb-db` asks for, made and filled.
fn databases(options: &Options, bin: &Path, dir: &Path) -> Result<Vec<Database>, String> {
    let mut out = Vec::new();
    if options.tfb_db != "sqlite" {
        let url = crate::services::postgres_url(
            "the TechEmpower bench runs on PostgreSQL",
            "--tfb-db sqlite skips it",
        )?;
        let url = crate::services::fresh_postgres_schema(&url, "techempower_bench")?;
        out.push(Database {
            name: "postgresql",
            orm_url: url.clone(),
            sqlx_url: url,
        });
    }
    if options.tfb_db != "postgres" {
        let file = dir.join("hello_world.db");
        out.push(Database {
            name: "sqlite",
            orm_url: format!("sqlite:///{}", file.display()),
            sqlx_url: format!("sqlite://{}", file.display()),
        });
    }
    for db in &out {
        let mut init = std::process::Command::new(bin);
        init.arg("init-db")
            .env("FLASK_SQLALCHEMY_DATABASE_URI", &db.orm_url)
            .env("FLASK_SKIP_DOTENV", "1");
        println!("bench: {} init-db on {}", bin.display(), db.name);
        let out = init
            .output()
            .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
        if !out.status.success() {
            return Err(format!(
                "techempower init-db on {} failed: {}",
                db.name,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    Ok(out)
}

/// The environment ours runs with on `db`.
fn ours_env(db: &Database) -> Vec<(String, String)> {
    vec![
        (
            "FLASK_SQLALCHEMY_DATABASE_URI".to_owned(),
            db.orm_url.clone(),
        ),
        (
            "FLASK_SQLALCHEMY_ENGINE_OPTIONS".to_owned(),
            format!(r#"{{"pool_size": {POOL}, "max_overflow": 0}}"#),
        ),
        ("FLASK_SKIP_DOTENV".to_owned(), "1".to_owned()),
    ]
}

/// User-space instructions per request of each test type under callgrind, on `db`: a
/// figure that does not move with machine noise (the database server's own work, on
/// PostgreSQL, is not counted). Returns the table.
fn instructions_table(
    db: &Database,
    ours_bin: &Path,
    axum_bin: &Path,
    dir: &Path,
) -> Result<String, String> {
    let axum_args = |port: u16| -> Vec<String> {
        [
            "--host",
            HOST,
            "--port",
            &port.to_string(),
            "--database",
            &db.sqlx_url,
            "--pool",
            &POOL.to_string(),
        ]
        .map(str::to_owned)
        .to_vec()
    };
    let ours_args = |port: u16| -> Vec<String> {
        ["run", "--host", HOST, "--port", &port.to_string()]
            .map(str::to_owned)
            .to_vec()
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nUser-space instructions per request under callgrind on {} (N requests on one \
         keep-alive connection minus a 1-request run; the same for the same binaries; the \
         database server's own work is not counted):\n\n\
         | test | N | plain axum | ours | plain / ours |\n|---|---:|---:|---:|---:|",
        db.name
    );
    for ((path, name, _, _), requests) in TESTS.iter().zip(CALLGRIND_REQUESTS) {
        println!(
            "bench: callgrind {name} on {} ({requests} requests, two runs per side)",
            db.name
        );
        let axum =
            super::instructions::per_request_with(axum_bin, &axum_args, &[], path, requests, dir)?;
        let ours = super::instructions::per_request_with(
            ours_bin,
            &ours_args,
            &ours_env(db),
            path,
            requests,
            dir,
        )?;
        println!("bench: {name} instructions/request: plain axum {axum}, ours {ours}");
        let _ = writeln!(
            out,
            "| {name} | {requests} | {} | {} | {:.3} |",
            thousands(axum as f64),
            thousands(ours as f64),
            axum as f64 / ours.max(1) as f64
        );
    }
    Ok(out)
}

/// The TechEmpower bench; returns its part of the report.
pub(super) fn techempower_bench(options: &Options) -> Result<String, String> {
    if find_on_path("wrk").is_none() {
        return Err("wrk is not installed: apt-get install -y wrk (Debian package)".to_owned());
    }
    let mut build = cargo([
        "build",
        "--release",
        "-p",
        "techempower",
        "-p",
        "techempower-axum",
    ]);
    println!("bench: {}", describe(&build));
    let status = build
        .status()
        .map_err(|err| format!("cannot run cargo: {err}"))?;
    if !status.success() {
        return Err(format!("the release build failed ({status})"));
    }
    let release = target_dir().join("release");
    let ours_bin = release.join("techempower");
    let axum_bin = release.join("techempower-axum");
    let dir = target_dir().join("bench").join("techempower");
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let script = dir.join("pipeline.lua");
    fs::write(&script, PIPELINE_LUA)
        .map_err(|e| format!("cannot write {}: {e}", script.display()))?;
    let cpus = Pinning::detect();
    println!("bench: {}", cpus.describe());

    let mut results = Vec::new();
    let mut memory = Vec::new();
    // The callgrind table, on the first database measured (PostgreSQL when both are).
    let mut counted = String::new();
    for db in databases(options, &ours_bin, &dir)? {
        let axum_port = free_port()?;
        let mut axum = Server::start(
            Side::Axum,
            "techempower-axum",
            &axum_bin,
            &[
                "--host".to_owned(),
                HOST.to_owned(),
                "--port".to_owned(),
                axum_port.to_string(),
                "--database".to_owned(),
                db.sqlx_url.clone(),
                "--pool".to_owned(),
                POOL.to_string(),
            ],
            axum_port,
            &cpus,
            &dir,
        )?;
        let ours_port = free_port()?;
        let mut ours = Server::start_with_env(
            Side::Ours,
            "techempower",
            &ours_bin,
            &[
                "run".to_owned(),
                "--host".to_owned(),
                HOST.to_owned(),
                "--port".to_owned(),
                ours_port.to_string(),
            ],
            &ours_env(&db),
            ours_port,
            &cpus,
            &dir,
        )?;
        axum.wait_ready()?;
        ours.wait_ready()?;
        let idle = (axum.peak_rss_kib(), ours.peak_rss_kib());
        for (path, name, pipelined, target) in TESTS {
            let extra: Vec<String> = if pipelined {
                vec![
                    "-s".to_owned(),
                    script.display().to_string(),
                    "--".to_owned(),
                    "16".to_owned(),
                ]
            } else {
                Vec::new()
            };
            let label = format!("{} {name:<13}", db.name);
            let test = Target {
                path,
                label: &label,
                rounds: options.tfb_rounds,
                extra: &extra,
                keep: Keep::MostRequests,
            };
            let runs = paired_rounds(&mut axum, &mut ours, &test, options, &cpus)?;
            results.push(TestResult {
                database: db.name,
                name,
                target,
                runs,
            });
        }
        memory.push((db.name, idle, (axum.peak_rss_kib(), ours.peak_rss_kib())));
        drop((axum, ours));
        if options.callgrind && find_on_path("valgrind").is_some() && counted.is_empty() {
            counted = instructions_table(&db, &ours_bin, &axum_bin, &dir)?;
        }
    }

    let mut table = table(&results, &memory, options);
    table.push_str(&counted);
    for r in results.iter().filter(|r| r.runs.ratio() < r.target) {
        println!(
            "BELOW TARGET: TechEmpower {} on {} reaches {:.3} of plain axum (target {})",
            r.name,
            r.database,
            r.runs.ratio(),
            r.target
        );
    }
    write_docs(&table, &chart(&results))?;
    Ok(table)
}

fn kib(v: Option<u64>) -> String {
    v.map_or_else(
        || "-".to_owned(),
        |k| format!("{:.1} MiB", k as f64 / 1024.0),
    )
}

/// Peak resident memory of (plain axum, ours), in KiB, where readable.
type Rss = (Option<u64>, Option<u64>);

/// The Markdown tables of the results.
fn table(results: &[TestResult], memory: &[(&str, Rss, Rss)], options: &Options) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## Bench: the TechEmpower test types, ours against plain axum + sqlx\n\n\
         `examples/techempower` (flask, flask-sqlalchemy, minijinja through flask) against \
         `benches/techempower-axum` (the same SQL and template in plain axum 0.8, sqlx and \
         minijinja). wrk: {} connections, {} thread(s), {} s runs after {} s warm-ups, {} \
         paired rounds per test, alternating who goes first; plaintext pipelines 16 requests \
         as the benchmark does. {POOL} database connections per server. The ratio is the \
         median over rounds of plain axum's server CPU time per request over ours (1.0: the \
         same cost; above 1: cheaper), the verdict; the req/s columns are each side's best \
         run and the median of the rounds' req/s ratios.\n",
        options.connections, options.threads, options.duration, options.warmup, options.tfb_rounds,
    );
    let _ = writeln!(
        out,
        "| database | test | plain axum req/s | ours req/s | req/s ratio | p50 plain / ours | p99 plain / ours | ratio (CPU/req) | target | |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---|---|---:|---:|---|");
    for r in results {
        let ratio = r.runs.ratio();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:.3} | {} / {} | {} / {} | {:.3} | {} | {} |",
            r.database,
            r.name,
            thousands(r.runs.axum.requests_per_sec),
            thousands(r.runs.ours.requests_per_sec),
            r.runs.rps_ratio(),
            r.runs.axum.p50,
            r.runs.ours.p50,
            r.runs.axum.p99,
            r.runs.ours.p99,
            ratio,
            r.target,
            if ratio >= r.target {
                "ok"
            } else {
                "BELOW TARGET"
            }
        );
    }
    let _ = writeln!(
        out,
        "\nPeak resident memory (VmHWM), once started and after every test type:\n\n\
         | database | plain axum idle | ours idle | plain axum peak | ours peak |\n|---|---:|---:|---:|---:|"
    );
    for (db, idle, peak) in memory {
        let _ = writeln!(
            out,
            "| {db} | {} | {} | {} | {} |",
            kib(idle.0),
            kib(idle.1),
            kib(peak.0),
            kib(peak.1)
        );
    }
    out
}

/// A horizontal bar chart of the ratios, with the targets marked.
fn chart(results: &[TestResult]) -> String {
    let row = 26.0;
    let left = 230.0;
    let width = 420.0;
    let max = results
        .iter()
        .map(|r| r.runs.ratio())
        .fold(1.2_f64, f64::max)
        .min(3.0);
    let scale = width / max;
    let height = 50.0 + row * results.len() as f64;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{height}" font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="20" font-weight="bold">TechEmpower test types: ours / plain axum (server CPU per request; higher is better)</text>"##,
        w = left + width + 70.0,
    );
    for (i, r) in results.iter().enumerate() {
        let y = 35.0 + row * i as f64;
        let ratio = r.runs.ratio();
        let color = if ratio >= r.target { "#3a7" } else { "#d54" };
        let _ = writeln!(
            svg,
            r##"<text x="{tx}" y="{ty}" text-anchor="end">{} {}</text>
<rect x="{left}" y="{y}" width="{bw:.1}" height="18" fill="{color}"/>
<line x1="{tgt:.1}" y1="{y}" x2="{tgt:.1}" y2="{y2}" stroke="#000" stroke-dasharray="3,2"/>
<text x="{lx:.1}" y="{ty}">{ratio:.2}</text>"##,
            r.database,
            r.name,
            tx = left - 8.0,
            ty = y + 14.0,
            bw = (ratio.min(max) * scale).max(1.0),
            tgt = left + r.target * scale,
            y2 = y + 18.0,
            lx = left + ratio.min(max) * scale + 6.0,
        );
    }
    let one = left + scale;
    let _ = writeln!(
        svg,
        r##"<line x1="{one:.1}" y1="30" x2="{one:.1}" y2="{b}" stroke="#888"/>
<text x="{one:.1}" y="{t}" text-anchor="middle" fill="#555">1.0</text>
</svg>"##,
        b = height - 12.0,
        t = height - 2.0,
    );
    svg
}

/// Puts the table into `docs/performance.md` and the chart in `docs/img/techempower.svg`.
fn write_docs(table: &str, svg: &str) -> Result<(), String> {
    let img: PathBuf = workspace_root().join("docs").join("img");
    fs::create_dir_all(&img).map_err(|e| format!("cannot create {}: {e}", img.display()))?;
    let chart = img.join("techempower.svg");
    fs::write(&chart, svg).map_err(|e| format!("cannot write {}: {e}", chart.display()))?;
    let body = format!(
        "![ours / plain axum per test type](img/techempower.svg)\n\n{}",
        // Under the page's own "Results of the last run" heading.
        table.trim_end().replacen("## Bench:", "#### Bench:", 1)
    );
    super::docs_section::write_section("techempower", "bench", &body)
}
