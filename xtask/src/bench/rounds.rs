//! Paired rounds: plain axum and ours measured back to back on the same path, who goes
//! first alternating between rounds, and each round's ratio kept. The verdict is the median
//! of those ratios; pairing cancels the drift between rounds that best-of figures keep.

use super::pinning::Pinning;
use super::report::thousands;
use super::server::Server;
use super::wrk::{WrkRun, wrk};
use super::{HOST, Options, Side};

/// Which run of a side is shown as its best.
#[derive(Clone, Copy)]
pub(super) enum Keep {
    /// The least server CPU per request when known (it does not depend on whether wrk or
    /// the server was the bottleneck), else the most requests/s.
    LeastCpu,
    /// The most requests/s.
    MostRequests,
}

impl Keep {
    fn prefers(self, run: &WrkRun, kept: &WrkRun) -> bool {
        match (self, run.cpu_us_per_request, kept.cpu_us_per_request) {
            (Keep::LeastCpu, Some(mine), Some(theirs)) => mine < theirs,
            _ => run.requests_per_sec > kept.requests_per_sec,
        }
    }
}

/// Both sides' best runs on one path and the ratios (ours against plain axum) of each round.
pub(super) struct Paired {
    pub(super) axum: WrkRun,
    pub(super) ours: WrkRun,
    /// Per round: plain axum's server CPU time per request over ours.
    cpu_ratios: Vec<f64>,
    /// Per round: our wrk requests/s over plain axum's.
    rps_ratios: Vec<f64>,
}

impl Paired {
    /// The ratios the verdict is made of: CPU per request when it could be read, else
    /// wrk's requests/s.
    pub(super) fn round_ratios(&self) -> &[f64] {
        if self.cpu_ratios.is_empty() {
            &self.rps_ratios
        } else {
            &self.cpu_ratios
        }
    }

    /// The verdict: the median of [`Paired::round_ratios`].
    pub(super) fn ratio(&self) -> f64 {
        median(self.round_ratios())
    }

    /// The median of the rounds' wrk requests/s ratios.
    pub(super) fn rps_ratio(&self) -> f64 {
        median(&self.rps_ratios)
    }
}

/// The median of `values`, the mean of the middle two for an even count; NaN for none.
pub(super) fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// What to measure: the path, the label progress lines start with, how many rounds and the
/// extra wrk arguments (a pipelining script).
pub(super) struct Target<'a> {
    pub(super) path: &'a str,
    pub(super) label: &'a str,
    pub(super) rounds: u32,
    pub(super) extra: &'a [String],
    pub(super) keep: Keep,
}

/// Runs `target.rounds` paired rounds of `path` against both servers.
pub(super) fn paired_rounds(
    axum: &mut Server,
    ours: &mut Server,
    target: &Target<'_>,
    options: &Options,
    cpus: &Pinning,
) -> Result<Paired, String> {
    let mut best: [Option<WrkRun>; 2] = [None, None];
    let (mut cpu_ratios, mut rps_ratios) = (Vec::new(), Vec::new());
    for round in 1..=target.rounds {
        // Who goes first alternates too, so a trend within a round favours neither.
        let order = if round % 2 == 1 {
            [Side::Axum, Side::Ours]
        } else {
            [Side::Ours, Side::Axum]
        };
        let mut pair: [Option<(f64, Option<f64>)>; 2] = [None, None];
        for side in order {
            let index = usize::from(side == Side::Ours);
            let server = if side == Side::Axum {
                &mut *axum
            } else {
                &mut *ours
            };
            let url = format!("http://{HOST}:{}{}", server.port, target.path);
            let run = measured_run(server, &url, options, cpus, target.extra)?;
            println!(
                "bench: {} round {round}/{}  {:<10} {:>12} req/s  {:>7} us CPU/req  p50 {:>8}  p99 {:>8}{}",
                target.label,
                target.rounds,
                side.label(),
                thousands(run.requests_per_sec),
                run.cpu_us_per_request
                    .map_or_else(|| "-".to_owned(), |us| format!("{us:.2}")),
                run.p50,
                run.p99,
                run.socket_errors
                    .as_deref()
                    .map(|errors| format!("  (socket errors: {errors})"))
                    .unwrap_or_default()
            );
            pair[index] = Some((run.requests_per_sec, run.cpu_us_per_request));
            let slot = &mut best[index];
            if slot
                .as_ref()
                .is_none_or(|kept| target.keep.prefers(&run, kept))
            {
                *slot = Some(run);
            }
        }
        if let [Some((axum_rps, axum_cpu)), Some((ours_rps, ours_cpu))] = pair {
            rps_ratios.push(ours_rps / axum_rps);
            if let (Some(a), Some(o)) = (axum_cpu, ours_cpu)
                && o > 0.0
            {
                cpu_ratios.push(a / o);
            }
        }
    }
    let [Some(axum), Some(ours)] = best else {
        return Err("no measured run (the rounds must be at least 1)".to_owned());
    };
    Ok(Paired {
        axum,
        ours,
        cpu_ratios,
        rps_ratios,
    })
}

/// One wrk run against `url` after a warm-up, with the CPU time `server` spent per request
/// (from `/proc`, where readable); fails if the server died meanwhile.
pub(super) fn measured_run(
    server: &mut Server,
    url: &str,
    options: &Options,
    cpus: &Pinning,
    extra: &[String],
) -> Result<WrkRun, String> {
    wrk(url, options.warmup, options, cpus, extra)?;
    let before = server.cpu_ticks();
    let mut run = wrk(url, options.duration, options, cpus, extra)?;
    if let (Some(before), Some(after)) = (before, server.cpu_ticks())
        && run.requests > 0
    {
        let seconds = (after - before) as f64 / clock_ticks_per_second();
        run.cpu_us_per_request = Some(seconds * 1e6 / run.requests as f64);
    }
    server.check_alive()?;
    Ok(run)
}

/// `getconf CLK_TCK`, the unit of `/proc/<pid>/stat` times (100 on Linux).
fn clock_ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| {
            String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse::<f64>()
                .ok()
        })
        .filter(|ticks| *ticks > 0.0)
        .unwrap_or(100.0)
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&[]).is_nan());
    }
}
