//! `cargo xtask bench --only admin`: flask-admin's pages on the store of `examples/admin`
//! seeded with 100,000 orders (release, SQLite and PostgreSQL): how long a list page with a
//! filter and a sort takes to answer, with the other pages an admin opens beside it. The
//! target: a filtered, sorted list page under 20 ms (p95).

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::client::Client;
use super::latency::{measure, percentile};
use super::pinning::Pinning;
use super::server::{Server, free_port};
use super::{HOST, Side};
use crate::process::target_dir;

/// The target for a filtered, sorted list page, p95.
const TARGET_MS: f64 = 20.0;
/// Requests per page measured (after as many to warm up).
const REQUESTS: usize = 200;
/// Orders in the store.
const ORDERS: &str = "100000";

/// The pages measured: what, and the path.
const PAGES: [(&str, &str, bool); 7] = [
    (
        "orders, pending, by total (largest first)",
        "/admin/store_order/?flt_status_op=equals&flt_status=Pending&sort=4&desc=1",
        true,
    ),
    (
        "orders of one week, newest first",
        "/admin/store_order/?flt_created_op=between&flt_created=2026-06-01&flt_created_to=2026-06-07&sort=2&desc=1",
        true,
    ),
    (
        "orders over 500, by customer",
        "/admin/store_order/?flt_total_op=gt&flt_total=500&sort=1",
        true,
    ),
    (
        "orders, first page (newest first)",
        "/admin/store_order/",
        false,
    ),
    (
        "orders, page 2,000 of 4,000 (OFFSET)",
        "/admin/store_order/?page=2000",
        false,
    ),
    (
        "order lines after the 100,000th (keyset pages)",
        "/admin/order_line/?after=100000~100000",
        false,
    ),
    ("the dashboard (6 tiles)", "/admin/", false),
];

/// The bench environment of the example apps, quieter: the admin logs each request.
fn env(database: &str) -> Vec<(String, String)> {
    let mut env = super::flaskr::app_env(database);
    env.push(("RUST_LOG".to_owned(), "warn".to_owned()));
    env
}

/// `admin init-db --seed`: the store, from scratch.
fn seed(bin: &Path, env: &[(String, String)], dir: &Path) -> Result<Duration, String> {
    let started = Instant::now();
    let out = Command::new(bin)
        .args(["init-db", "--seed", "--orders", ORDERS])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(format!(
            "admin init-db --seed failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(started.elapsed())
}

/// Logs in as `admin` on a new connection.
fn logged_in(addr: &str) -> Result<Client, String> {
    let mut client = Client::new(addr);
    let page = client.get("/login")?;
    let token = page
        .csrf_token()
        .ok_or("the login page has no CSRF token")?;
    let reply = client.post_form(
        "/login",
        &[
            ("csrf_token", &token),
            ("username", "admin"),
            ("password", "admin"),
        ],
    )?;
    if reply.status != 302 {
        return Err(format!("logging in answered {}", reply.status));
    }
    Ok(client)
}

/// One database: seed, serve, measure; its rows of the table.
fn run_on(bin: &Path, name: &str, database: &str, dir: &Path) -> Result<(String, bool), String> {
    let env = env(database);
    println!("bench: seeding the store with {ORDERS} orders on {name}");
    let seeded = seed(bin, &env, dir)?;
    let port = free_port()?;
    let args = ["run", "--host", HOST, "--port", &port.to_string()].map(str::to_owned);
    let mut server = Server::start_with_env(
        Side::Ours,
        "admin",
        bin,
        &args,
        &env,
        port,
        &Pinning::none(),
        dir,
    )?;
    server.wait_ready()?;
    let addr = format!("{HOST}:{port}");
    let mut client = logged_in(&addr)?;
    let mut rows = String::new();
    let mut ok = true;
    for (what, path, target) in PAGES {
        let ms = measure(&mut client, path, REQUESTS)?;
        let (p50, p95) = (percentile(&ms, 50.0), percentile(&ms, 95.0));
        let verdict = if target {
            if p95 <= TARGET_MS {
                "yes"
            } else {
                ok = false;
                "**BELOW TARGET**"
            }
        } else {
            ""
        };
        println!("bench: admin on {name}: {what}: p50 {p50:.2} ms, p95 {p95:.2} ms");
        let _ = writeln!(
            rows,
            "| {name} | {what} | {p50:.2} ms | {p95:.2} ms | {verdict} |"
        );
    }
    server.check_alive()?;
    let _ = writeln!(
        rows,
        "| {name} | (seeding: `init-db --seed`, {ORDERS} orders) | {:.1} s | | |",
        seeded.as_secs_f64()
    );
    Ok((rows, ok))
}

/// `cargo xtask bench --only admin`: returns its part of the report, also written to
/// docs/performance.md.
pub(super) fn admin_bench() -> Result<String, String> {
    let bin = super::release_binary("admin")?;
    let dir = target_dir().join("bench").join("admin");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let sqlite = format!("sqlite:///{}", dir.join("store.db").display());
    let postgres = crate::services::postgres_url(
        "the admin bench runs on PostgreSQL too",
        "run the other benches with --only",
    )?;
    let postgres = crate::services::fresh_postgres_schema(&postgres, "admin_bench")?;
    let mut table = String::new();
    let mut ok = true;
    for (name, database) in [
        ("SQLite", sqlite.as_str()),
        ("PostgreSQL", postgres.as_str()),
    ] {
        let (rows, fine) = run_on(&bin, name, database, &dir)?;
        table.push_str(&rows);
        ok &= fine;
    }
    let mut out = String::new();
    let _ = writeln!(out, "## Bench: flask-admin on 100,000 orders\n");
    let _ = writeln!(
        out,
        "The release binary of `examples/admin`, its store seeded by `init-db --seed` \
         ({ORDERS} orders of one to three lines, 5,000 customers, 500 products), logged in as \
         `admin`: {REQUESTS} requests of each page one after another on one keep-alive \
         connection, after {REQUESTS} to warm up, timed from the request to the whole \
         answer. A list page counts the filtered rows (for its pages) and reads one page of \
         25, with each foreign key's labels. Target: a filtered, sorted list page answers \
         within {TARGET_MS:.0} ms at the 95th percentile.\n"
    );
    let _ = writeln!(
        out,
        "| database | page | p50 | p95 | filtered and sorted within {TARGET_MS:.0} ms |\n|---|---|---:|---:|---|"
    );
    out.push_str(&table);
    if !ok {
        println!("BELOW TARGET: a filtered, sorted admin list page took over {TARGET_MS} ms (p95)");
    }
    super::docs_section::write_section("admin", "bench --only admin", &out)?;
    Ok(out)
}
