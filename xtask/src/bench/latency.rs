//! Page latencies, as the example apps' benches (admin, realtime) measure them: one request
//! after another on one keep-alive connection.

use std::time::Instant;

use super::client::Client;

/// Latencies of `requests` GETs of `path`, in milliseconds, after as many to warm up; any
/// answer but 200 is an error.
pub(super) fn measure(
    client: &mut Client,
    path: &str,
    requests: usize,
) -> Result<Vec<f64>, String> {
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
pub(super) fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let i = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted.get(i).copied().unwrap_or(0.0)
}
