//! The example apps' page benches (admin, realtime): seed the app's database with its own
//! `init-db --seed`, serve its release binary, and time its pages one request after another
//! on one keep-alive connection. The attack bench serves its apps with [`serve`] too.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::client::Client;
use super::pinning::Pinning;
use super::server::{Server, free_port};
use super::{HOST, Side};

/// The bench environment of an example app on `database`, quieter (no access log).
pub(super) fn app_env(database: &str) -> Vec<(String, String)> {
    let mut env = super::flaskr::app_env(database);
    env.push(("RUST_LOG".to_owned(), "warn".to_owned()));
    env
}

/// Runs `bin init-db --seed <extra>` in `dir`; how long it took.
pub(super) fn seed(
    bin: &Path,
    extra: &[&str],
    env: &[(String, String)],
    dir: &Path,
) -> Result<Duration, String> {
    let started = Instant::now();
    let out = Command::new(bin)
        .args(["init-db", "--seed"])
        .args(extra)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} init-db --seed failed: {}",
            bin.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(started.elapsed())
}

/// Serves `bin` (`run --host .. --port ..`) on a free port, once it accepts connections;
/// the server and its address.
pub(super) fn serve(
    bin: &Path,
    name: &str,
    env: &[(String, String)],
    dir: &Path,
) -> Result<(Server, String), String> {
    let port = free_port()?;
    let args = ["run", "--host", HOST, "--port", &port.to_string()].map(str::to_owned);
    let mut server = Server::start_with_env(
        Side::Ours,
        name,
        bin,
        &args,
        env,
        port,
        &Pinning::none(),
        dir,
    )?;
    server.wait_ready()?;
    Ok((server, format!("{HOST}:{port}")))
}

/// Times each of `pages` (`what`, path, whether it has a target) with `requests` GETs
/// after as many to warm up; a row `| database | what | p50 | p95 | verdict |` each, and
/// whether every targeted page's p95 `meets` the target.
pub(super) fn page_rows(
    client: &mut Client,
    app: &str,
    database: &str,
    pages: &[(&str, &str, bool)],
    requests: usize,
    meets: impl Fn(f64) -> bool,
) -> Result<(String, bool), String> {
    let mut rows = String::new();
    let mut ok = true;
    for &(what, path, target) in pages {
        let ms = measure(client, path, requests)?;
        let (p50, p95) = (percentile(&ms, 50.0), percentile(&ms, 95.0));
        let verdict = match (target, meets(p95)) {
            (false, _) => "",
            (true, true) => "yes",
            (true, false) => {
                ok = false;
                "**BELOW TARGET**"
            }
        };
        println!("bench: {app} on {database}: {what}: p50 {p50:.2} ms, p95 {p95:.2} ms");
        let _ = writeln!(
            rows,
            "| {database} | {what} | {p50:.2} ms | {p95:.2} ms | {verdict} |"
        );
    }
    Ok((rows, ok))
}

/// Latencies of `requests` GETs of `path`, in milliseconds, after as many to warm up; any
/// answer but 200 is an error.
fn measure(client: &mut Client, path: &str, requests: usize) -> Result<Vec<f64>, String> {
    let mut out = Vec::with_capacity(requests);
    for i in 0..requests * 2 {
        let started = Instant::now();
        let reply = client.get(path)?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        if reply.status != 200 {
            return Err(format!("GET {path} answered {}", reply.status));
        }
        if i >= requests {
            out.push(ms);
        }
    }
    Ok(out)
}

/// The value at percentile `p` (0-100) of `values`.
fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let i = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted.get(i).copied().unwrap_or(0.0)
}
