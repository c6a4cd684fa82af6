//! `cargo xtask bench --only realtime`: 10,000 event streams open on one instance, the
//! framework against plain axum doing the same (`benches/realtime-bench`): the memory an
//! idle stream costs, and how long a broadcast takes to reach every client (p50, p99);
//! then `examples/analytics` on 1,000,000 sales (release, SQLite and PostgreSQL): how
//! long its aggregate pages take (target: under 50 ms at p95).

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::client::Client;
use super::latency;
use super::pinning::Pinning;
use super::server::{Server, free_port};
use super::{HOST, Side};
use crate::process::target_dir;

/// Open event streams.
const CLIENTS: usize = 10_000;
/// Broadcasts timed.
const MESSAGES: usize = 20;
/// Sales in the analytics portal.
const ROWS: &str = "1000000";
/// The target for an aggregate page, p95.
const TARGET_MS: f64 = 50.0;
/// Requests per page measured (after as many to warm up).
const REQUESTS: usize = 100;

/// The portal's pages measured: what, the path, and that each has the target.
const PAGES: [(&str, &str, bool); 4] = [
    ("the dashboard (last 90 days)", "/", true),
    (
        "a year, by week",
        "/?from=2025-12-01&to=2026-11-30&group=week",
        true,
    ),
    (
        "a quarter of one category in one region",
        "/?from=2026-04-01&to=2026-06-30&category=Toys&region=Europe",
        true,
    ),
    (
        "a year of one region, by day",
        "/?from=2025-12-01&to=2026-11-30&region=Asia",
        true,
    ),
];

/// What `realtime-load` measured.
struct Fanout {
    per_client_kib: f64,
    rss_idle_mib: f64,
    p50_ms: f64,
    p99_ms: f64,
    received: u64,
    expected: u64,
}

fn field(line: &str, key: &str) -> Result<f64, String> {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("realtime-load printed no {key}: {line}"))
}

/// One side: its server, the clients, the broadcasts.
fn fanout(side: Side, dir: &Path) -> Result<Fanout, String> {
    let release = target_dir().join("release");
    let port = free_port()?;
    let which = if side == Side::Ours { "ours" } else { "axum" };
    let mut server = Server::start(
        side,
        "realtime-server",
        &release.join("realtime-server"),
        &[which.to_owned(), port.to_string()],
        port,
        &Pinning::none(),
        dir,
    )?;
    server.wait_ready()?;
    let out = Command::new(release.join("realtime-load"))
        .args([
            format!("{HOST}:{port}"),
            server.pid().to_string(),
            CLIENTS.to_string(),
            MESSAGES.to_string(),
        ])
        .output()
        .map_err(|e| format!("cannot run realtime-load: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("RESULT "))
        .ok_or_else(|| {
            format!(
                "realtime-load against {} printed no result: {}",
                side.label(),
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
    server.check_alive()?;
    Ok(Fanout {
        per_client_kib: field(line, "per_client_kib")?,
        rss_idle_mib: field(line, "rss_idle_kib")? / 1024.0,
        p50_ms: field(line, "p50_ms")?,
        p99_ms: field(line, "p99_ms")?,
        received: field(line, "received")? as u64,
        expected: field(line, "expected")? as u64,
    })
}

/// The portal on one database: seed, serve, measure; its rows of the table.
fn portal_on(bin: &Path, name: &str, database: &str, dir: &Path) -> Result<(String, bool), String> {
    let env = latency::app_env(database);
    println!("bench: seeding the portal with {ROWS} sales on {name}");
    let seeded = latency::seed(bin, &["--rows", ROWS], &env, dir)?;
    let (mut server, addr) = latency::serve(bin, "analytics", &env, dir)?;
    let mut client = Client::new(&addr);
    let (mut rows, ok) =
        latency::page_rows(&mut client, "analytics", name, &PAGES, REQUESTS, |p95| {
            p95 < TARGET_MS
        })?;
    server.check_alive()?;
    let _ = writeln!(
        rows,
        "| {name} | (seeding: `init-db --seed`, {ROWS} sales) | {:.1} s | | |",
        seeded.as_secs_f64()
    );
    Ok((rows, ok))
}

/// `cargo xtask bench --only realtime`: returns its part of the report, also written to
/// docs/performance.md.
pub(super) fn realtime_bench() -> Result<String, String> {
    let dir = target_dir().join("bench").join("realtime");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    super::release_binary("realtime-bench")?;
    // Alternating sides, each keeping its best run (the lowest p99).
    let mut best: [Option<Fanout>; 2] = [None, None];
    for round in 0..2 {
        for (i, side) in [Side::Axum, Side::Ours].into_iter().enumerate() {
            println!(
                "bench: realtime round {}: {CLIENTS} event streams on {}",
                round + 1,
                side.label()
            );
            let run = fanout(side, &dir)?;
            println!(
                "bench: {}: {:.1} KiB a stream, broadcast p50 {:.2} ms, p99 {:.2} ms ({} of {} events)",
                side.label(),
                run.per_client_kib,
                run.p50_ms,
                run.p99_ms,
                run.received,
                run.expected
            );
            if best[i].as_ref().is_none_or(|b| run.p99_ms < b.p99_ms) {
                best[i] = Some(run);
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    }
    let [Some(axum), Some(ours)] = best else {
        return Err("the realtime bench measured nothing".into());
    };
    let bin = super::release_binary("analytics")?;
    let sqlite = format!("sqlite:///{}", dir.join("analytics.db").display());
    let postgres = crate::services::postgres_url(
        "the realtime bench runs the portal on PostgreSQL too",
        "run the other benches with --only",
    )?;
    let postgres = crate::services::fresh_postgres_schema(&postgres, "analytics_bench")?;
    let mut table = String::new();
    let mut ok = true;
    for (name, database) in [
        ("SQLite", sqlite.as_str()),
        ("PostgreSQL", postgres.as_str()),
    ] {
        let (rows, fine) = portal_on(&bin, name, database, &dir)?;
        table.push_str(&rows);
        ok &= fine;
    }

    let mut out = String::new();
    let _ = writeln!(
        out,
        "## Bench: realtime, and the analytics portal on 1,000,000 sales\n"
    );
    let _ = writeln!(
        out,
        "`benches/realtime-bench`, release: one room of server-sent events, `GET /events` \
         subscribing and `POST /publish` broadcasting, served by the framework (the hub and \
         `EventStream`) and by plain axum (a tokio broadcast channel and axum's `Sse`). \
         {CLIENTS} clients open a stream each from one process (`realtime-load`); the \
         server's RSS is read before they connect and once they sit idle. Then {MESSAGES} \
         messages are published one at a time, and each client's latency from the publish \
         to the event is recorded. Two rounds a side, alternating; each side keeps its run \
         with the lowest p99.\n"
    );
    let _ = writeln!(
        out,
        "| server | RSS with {CLIENTS} idle streams | per idle stream | broadcast p50 | broadcast p99 | events received |\n|---|---:|---:|---:|---:|---:|"
    );
    for (label, r) in [("plain axum", &axum), ("ours", &ours)] {
        let _ = writeln!(
            out,
            "| {label} | {:.1} MiB | {:.1} KiB | {:.2} ms | {:.2} ms | {} of {} |",
            r.rss_idle_mib, r.per_client_kib, r.p50_ms, r.p99_ms, r.received, r.expected
        );
    }
    let _ = writeln!(
        out,
        "| ours / plain axum | | {:.2} | {:.2} | {:.2} | |\n",
        ours.per_client_kib / axum.per_client_kib.max(0.001),
        ours.p50_ms / axum.p50_ms.max(0.001),
        ours.p99_ms / axum.p99_ms.max(0.001)
    );
    let _ = writeln!(
        out,
        "`examples/analytics`, release, seeded by `init-db --seed` ({ROWS} sales over a year, \
         and their rollup by day, category and region): {REQUESTS} requests of each page one \
         after another on one keep-alive connection, after {REQUESTS} to warm up. A page runs \
         three grouped queries on the rollup and one for the newest sales, and draws its \
         charts. Target: under {TARGET_MS:.0} ms at the 95th percentile.\n"
    );
    let _ = writeln!(
        out,
        "| database | page | p50 | p95 | under {TARGET_MS:.0} ms |\n|---|---|---:|---:|---|"
    );
    out.push_str(&table);
    if !ok {
        println!("BELOW TARGET: an analytics page took over {TARGET_MS} ms (p95)");
    }
    super::docs_section::write_section("realtime", "bench --only realtime", &out)?;
    Ok(out)
}
