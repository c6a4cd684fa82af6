//! Running wrk and reading its report.

use std::path::Path;
use std::process::Stdio;

use super::Options;
use super::pinning::Pinning;
use crate::process::describe;

/// What one wrk run reported.
pub(super) struct WrkRun {
    pub(super) requests_per_sec: f64,
    /// Requests completed in the run (`N requests in Xs`).
    pub(super) requests: u64,
    /// Server CPU time per request in microseconds, when the server's CPU time is readable.
    pub(super) cpu_us_per_request: Option<f64>,
    pub(super) p50: String,
    pub(super) p99: String,
    pub(super) socket_errors: Option<String>,
}

/// One wrk run against `url` for `seconds`, with `--latency`, and `extra` arguments after
/// the URL (`-s script.lua -- 16`).
pub(super) fn wrk(
    url: &str,
    seconds: u32,
    options: &Options,
    cpus: &Pinning,
    extra: &[String],
) -> Result<WrkRun, String> {
    let mut command = cpus.command(Path::new("wrk"), false);
    command.args([
        "--latency".to_owned(),
        // wrk leaves a request slower than its 2 s default out of the latencies (SQLite's
        // `/updates`, where 64 connections queue on one writer, had none left).
        "--timeout".to_owned(),
        "10s".to_owned(),
        "-t".to_owned(),
        options.threads.to_string(),
        "-c".to_owned(),
        options.connections.to_string(),
        "-d".to_owned(),
        format!("{seconds}s"),
        url.to_owned(),
    ]);
    command.args(extra);
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|err| format!("cannot run wrk: {err}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "`{}` failed ({}):\n{stdout}{}",
            describe(&command),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    parse_wrk(&stdout)
        .map_err(|why| format!("`{}`: {why}; its output:\n{stdout}", describe(&command)))
}

/// The numbers of a `wrk --latency` report.
fn parse_wrk(output: &str) -> Result<WrkRun, String> {
    let mut requests_per_sec = None;
    let mut requests = None;
    let mut p50 = None;
    let mut p99 = None;
    let mut socket_errors = None;
    for line in output.lines().map(str::trim) {
        if let Some(value) = line.strip_prefix("Requests/sec:") {
            requests_per_sec = value.trim().parse::<f64>().ok();
        } else if let Some((count, _)) = line.split_once(" requests in ") {
            requests = count.trim().parse::<u64>().ok();
        } else if let Some(value) = line.strip_prefix("50%") {
            p50 = Some(value.trim().to_owned());
        } else if let Some(value) = line.strip_prefix("99%") {
            p99 = Some(value.trim().to_owned());
        } else if let Some(value) = line.strip_prefix("Socket errors:") {
            socket_errors = Some(value.trim().to_owned());
        } else if let Some(count) = line.strip_prefix("Non-2xx or 3xx responses:") {
            return Err(format!("{} responses were not 2xx/3xx", count.trim()));
        }
    }
    Ok(WrkRun {
        requests_per_sec: requests_per_sec.ok_or("no `Requests/sec:` line")?,
        requests: requests.ok_or("no `N requests in` line")?,
        cpu_us_per_request: None,
        p50: p50.ok_or("no 50% latency line (was --latency given?)")?,
        p99: p99.ok_or("no 99% latency line")?,
        socket_errors,
    })
}

#[cfg(test)]
mod tests {
    use super::parse_wrk;

    const WRK: &str = "\
Running 10s test @ http://127.0.0.1:5000/
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   420.18us  120.50us   5.10ms   90.12%
    Req/Sec    150.23k     5.12k  160.00k    70.00%
  Latency Distribution
     50%  400.00us
     75%  450.00us
     90%  500.00us
     99%    1.02ms
  1500000 requests in 10.00s, 180.00MB read
Requests/sec: 149998.12
Transfer/sec:     18.00MB
";

    #[test]
    fn reads_wrk_report() {
        let run = parse_wrk(WRK).map_err(|_| ()).ok();
        let run = run.as_ref();
        assert_eq!(run.map(|run| run.requests_per_sec), Some(149998.12));
        assert_eq!(run.map(|run| run.requests), Some(1_500_000));
        assert_eq!(run.map(|run| run.p50.as_str()), Some("400.00us"));
        assert_eq!(run.map(|run| run.p99.as_str()), Some("1.02ms"));
    }

    #[test]
    fn non_2xx_is_an_error() {
        let output = WRK.replace(
            "Requests/sec",
            "  Non-2xx or 3xx responses: 12\nRequests/sec",
        );
        assert!(parse_wrk(&output).is_err());
    }
}
