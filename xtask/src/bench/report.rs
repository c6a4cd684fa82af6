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
        "Server CPU time per request is read from /proc (user + system, all threads); `per core` \
         is 1 s divided by it: the requests/s one fully used core serves. Each round runs both \
         sides back to back (who goes first alternates); `ratio` is the median over rounds of \
         ours / plain axum per core, with the lowest and highest round beside it. The other \
         columns are each side's best run, and wrk's own requests/s.\n"
    );
    let _ = writeln!(
        out,
        "| route | ratio (median) | rounds min-max | plain axum per core | ours per core | plain axum wrk req/s | ours wrk req/s | plain axum p50/p99 | ours p50/p99 | target >= {TARGET_RATIO} |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    let per_core = |run: &super::wrk::WrkRun| {
        run.cpu_us_per_request
            .map_or_else(|| "-".to_owned(), |us| thousands(1e6 / us))
    };
    for result in results {
        let ratio = result.runs.ratio();
        let _ = writeln!(
            out,
            "| `{}` ({}) | {ratio:.3} | {:.3}-{:.3} | {} | {} | {} | {} | {} / {} | {} / {} | {} |",
            result.path,
            result.what,
            result
                .runs
                .round_ratios()
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min),
            result
                .runs
                .round_ratios()
                .iter()
                .copied()
                .fold(0.0, f64::max),
            per_core(&result.runs.axum),
            per_core(&result.runs.ours),
            thousands(result.runs.axum.requests_per_sec),
            thousands(result.runs.ours.requests_per_sec),
            result.runs.axum.p50,
            result.runs.axum.p99,
            result.runs.ours.p50,
            result.runs.ours.p99,
            if ratio >= TARGET_RATIO { "ok" } else { "below" }
        );
    }
    let _ = write!(out, "{}", render_time(results));
    out
}

/// Template render time: the CPU time per request of `/rows` (100 escaped rows) less that
/// of `/` (the same request without a template), each side's best runs.
fn render_time(results: &[RouteResult]) -> String {
    let cpu = |path: &str, ours: bool| {
        let result = results.iter().find(|r| r.path == path)?;
        if ours {
            result.runs.ours.cpu_us_per_request
        } else {
            result.runs.axum.cpu_us_per_request
        }
    };
    let side = |ours: bool| Some(cpu("/rows", ours)? - cpu("/", ours)?);
    match (side(false), side(true)) {
        (Some(plain), Some(ours)) => format!(
            "\nTemplate render time (CPU per request of `/rows` less that of `/`: the 100-row \
             template rendered and escaped): plain minijinja {plain:.1} us, ours \
             (`render_template`) {ours:.1} us.\n"
        ),
        _ => String::new(),
    }
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
