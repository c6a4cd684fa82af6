//! The Markdown table of results.

use std::fmt::Write as _;

use super::pinning::Pinning;
use super::{Options, RouteResult, TARGET_RATIO};

/// The Markdown report: a line of method, then one table row per route.
pub(super) fn report(
    results: &[RouteResult],
    options: &Options,
    cpus: &Pinning,
    ours_name: &str,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## Bench: ours ({ours_name}) against plain axum\n");
    let _ = writeln!(
        out,
        "wrk, {} s per run after {} s warm-up, {} connections, {} thread(s); best of {} \
         alternating rounds per side; {}.\n",
        options.duration,
        options.warmup,
        options.connections,
        options.threads,
        options.rounds,
        cpus.describe()
    );
    let _ = writeln!(
        out,
        "Each side keeps its run with the least server CPU time per request (user + system, all \
         threads, from /proc). `per core` is 1 s divided by that time: the requests/s one fully \
         used core serves, which does not depend on whether wrk or the server was the \
         bottleneck in a run. The verdict uses it; wrk's own requests/s are shown beside it.\n"
    );
    let _ = writeln!(
        out,
        "| route | plain axum per core | ours per core | ratio | plain axum wrk req/s | ours wrk req/s | wrk ratio | plain axum p50/p99 | ours p50/p99 | target >= {TARGET_RATIO} |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    let per_core = |run: &super::wrk::WrkRun| {
        run.cpu_us_per_request
            .map_or_else(|| "-".to_owned(), |us| thousands(1e6 / us))
    };
    for result in results {
        let ratio = result.ratio();
        let _ = writeln!(
            out,
            "| `{}` ({}) | {} | {} | {ratio:.3} | {} | {} | {:.3} | {} / {} | {} / {} | {} |",
            result.path,
            result.what,
            per_core(&result.axum),
            per_core(&result.ours),
            thousands(result.axum.requests_per_sec),
            thousands(result.ours.requests_per_sec),
            result.wrk_ratio(),
            result.axum.p50,
            result.axum.p99,
            result.ours.p50,
            result.ours.p99,
            if ratio >= TARGET_RATIO { "ok" } else { "below" }
        );
    }
    out
}

/// `123456.7` as `123,457`.
pub(super) fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(1234567.4), "1,234,567");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(0.0), "0");
    }
}
