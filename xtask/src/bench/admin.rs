//! `cargo xtask bench --only admin`: flask-admin's pages on the store of `examples/admin`
//! seeded with 100,000 orders (release, SQLite and PostgreSQL): how long a list page with a
//! filter and a sort takes to answer, with the other pages an admin opens beside it. The
//! target: a filtered, sorted list page under 20 ms (p95).

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use super::client::Client;
use super::latency;
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
    let env = latency::app_env(database);
    println!("bench: seeding the store with {ORDERS} orders on {name}");
    let seeded = latency::seed(bin, &["--orders", ORDERS], &env, dir)?;
    let (mut server, addr) = latency::serve(bin, "admin", &env, dir)?;
    let mut client = logged_in(&addr)?;
    let (mut rows, ok) = latency::page_rows(&mut client, "admin", name, &PAGES, REQUESTS, |p95| {
        p95 <= TARGET_MS
    })?;
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
