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

/// One test type's user-space instructions per request under callgrind.
struct Counted {
    database: &'static str,
    name: &'static str,
    target: f64,
    requests: u64,
    axum: u64,
    ours: u64,
}

impl Counted {
    /// Plain axum's instructions over ours (1.0: the same cost; above 1: cheaper).
    fn ratio(&self) -> f64 {
        self.axum as f64 / self.ours.max(1) as f64
    }
}

/// User-space instructions per request of each test type under callgrind, on `db`: a
/// figure that does not move with machine noise (the database server's own work, on
/// PostgreSQL, is not counted).
fn count_instructions(
    db: &Database,
    ours_bin: &Path,
    axum_bin: &Path,
    dir: &Path,
) -> Result<Vec<Counted>, String> {
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
    let mut out = Vec::new();
    for (&(path, name, _, target), requests) in TESTS.iter().zip(CALLGRIND_REQUESTS) {
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
        out.push(Counted {
            database: db.name,
            name,
            target,
            requests,
            axum,
            ours,
        });
    }
    Ok(out)
}

/// The verdict table: instructions per request, with each test type's target.
fn instructions_table(counted: &[Counted]) -> String {
    let Some(first) = counted.first() else {
        return String::new();
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n**The verdict: user-space instructions per request under callgrind** on {} (N \
         requests on one keep-alive connection minus a 1-request run; the same for the same \
         binaries; the database server's own work is not counted):\n\n\
         | test | N | plain axum | ours | plain / ours | target | |\n\
         |---|---:|---:|---:|---:|---:|---|",
        first.database
    );
    for c in counted {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:.3} | {} | {} |",
            c.name,
            c.requests,
            thousands(c.axum as f64),
            thousands(c.ours as f64),
            c.ratio(),
            c.target,
            if c.ratio() >= c.target {
                "ok"
            } else {
                "BELOW TARGET"
            }
        );
    }
    out
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
    let mut counted: Vec<Counted> = Vec::new();
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
            counted = count_instructions(&db, &ours_bin, &axum_bin, &dir)?;
        }
    }

    let mut table = table(&results, &memory, options, !counted.is_empty());
    table.push_str(&instructions_table(&counted));
    // The verdict: instructions where callgrind ran, else wrk's CPU per request.
    let verdicts: Vec<Bar> = if counted.is_empty() {
        results
            .iter()
            .map(|r| Bar {
                label: format!("{} {}", r.database, r.name),
                ratio: r.runs.ratio(),
                target: r.target,
            })
            .collect()
    } else {
        counted
            .iter()
            .map(|c| Bar {
                label: format!("{} {}", c.database, c.name),
                ratio: c.ratio(),
                target: c.target,
            })
            .collect()
    };
    for bar in verdicts.iter().filter(|b| b.ratio < b.target) {
        println!(
            "BELOW TARGET: TechEmpower {} reaches {:.3} of plain axum (target {})",
            bar.label, bar.ratio, bar.target
        );
    }
    let measure = if counted.is_empty() {
        "server CPU per request under wrk"
    } else {
        "user-space instructions per request"
    };
    write_docs(&table, &chart(&verdicts, measure))?;
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
fn table(
    results: &[TestResult],
    memory: &[(&str, Rss, Rss)],
    options: &Options,
    counted: bool,
) -> String {
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
         same cost; above 1: cheaper); the req/s columns are each side's best run and the \
         median of the rounds' req/s ratios. {}\n",
        options.connections,
        options.threads,
        options.duration,
        options.warmup,
        options.tfb_rounds,
        if counted {
            "On a shared machine these move by 10% or more between runs: the verdict is the \
             instruction count below, and this table's last column only compares the CPU \
             ratio with the target."
        } else {
            "It is the verdict (no callgrind run: `--no-callgrind` or valgrind missing)."
        }
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
            match (ratio >= r.target, counted) {
                (true, _) => "ok",
                (false, true) => "below",
                (false, false) => "BELOW TARGET",
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

/// One bar of the chart: a test type's verdict ratio and its target.
struct Bar {
    label: String,
    ratio: f64,
    target: f64,
}

/// A horizontal bar chart of the ratios, with the targets marked.
fn chart(bars: &[Bar], measure: &str) -> String {
    let row = 26.0;
    let left = 230.0;
    let width = 420.0;
    let max = bars
        .iter()
        .map(|b| b.ratio)
        .fold(1.2_f64, f64::max)
        .min(3.0);
    let scale = width / max;
    let height = 50.0 + row * bars.len() as f64;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{height}" font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="20" font-weight="bold">TechEmpower test types: ours / plain axum ({measure}; higher is better)</text>"##,
        w = left + width + 70.0,
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = 35.0 + row * i as f64;
        let ratio = bar.ratio;
        let color = if ratio >= bar.target { "#3a7" } else { "#d54" };
        let _ = writeln!(
            svg,
            r##"<text x="{tx}" y="{ty}" text-anchor="end">{}</text>
<rect x="{left}" y="{y}" width="{bw:.1}" height="18" fill="{color}"/>
<line x1="{tgt:.1}" y1="{y}" x2="{tgt:.1}" y2="{y2}" stroke="#000" stroke-dasharray="3,2"/>
<text x="{lx:.1}" y="{ty}">{ratio:.2}</text>"##,
            bar.label,
            tx = left - 8.0,
            ty = y + 14.0,
            bw = (ratio.min(max) * scale).max(1.0),
            tgt = left + bar.target * scale,
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
