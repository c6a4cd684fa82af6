//! A third-party extension, written the way any crate would: it depends on `flask` only.
//!
//! `Timing` measures how long each request takes and
//! - adds the time to every response in a header (`X-Response-Time: 0.153ms`),
//! - counts requests and their total time in state shared by all requests,
//! - serves those figures as JSON at `/_timing` (endpoint `timing_stats`).
//!
//! Config keys, with their defaults (set them like any Flask key, e.g. `FLASK_TIMING_HEADER`):
//! - `TIMING_ENABLED = true`: `false` turns the header and the counting off.
//! - `TIMING_HEADER = "X-Response-Time"`: the header's name.
//!
//! ```
//! use custom_extension::Timing;
//! use flask::{Flask, routing::get};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let client = Flask::new("demo")
//!     .extension(Timing::new())
//!     .route("/", get(|| async { "hi" }))
//!     .test_client();
//! let resp = client.get("/").send().await;
//! assert!(resp.header("x-response-time").unwrap().ends_with("ms"));
//! # }
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use flask::routing::get;
use flask::{Ext, Extension, Flask, G, Json, RequestContext, Response, Setup, SetupError};
use serde::Serialize;

/// The request-timing extension.
#[derive(Debug, Default)]
pub struct Timing {
    requests: AtomicU64,
    total_micros: AtomicU64,
}

/// When the request started, kept in `g` by the `before_request` hook.
#[derive(Debug, Clone, Copy)]
struct Started(Instant);

/// The figures served at `/_timing`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct TimingStats {
    /// Requests timed so far.
    pub requests: u64,
    /// Their total time, in microseconds.
    pub total_micros: u64,
}

impl Timing {
    /// A new extension with zeroed counters.
    pub fn new() -> Self {
        Timing::default()
    }

    /// The figures so far.
    pub fn stats(&self) -> TimingStats {
        TimingStats {
            requests: self.requests.load(Ordering::Relaxed),
            total_micros: self.total_micros.load(Ordering::Relaxed),
        }
    }

    fn record(&self, micros: u64) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.total_micros.fetch_add(micros, Ordering::Relaxed);
    }
}

/// The header name, read from the config once at startup.
#[derive(Debug, Clone)]
struct HeaderName(flask::HeaderName);

impl Extension for Timing {
    fn name(&self) -> &'static str {
        "timing"
    }

    fn init_app(&self, setup: &mut Setup<'_>) -> Result<(), SetupError> {
        setup.config_mut().set_default("TIMING_ENABLED", true);
        setup
            .config_mut()
            .set_default("TIMING_HEADER", "X-Response-Time");
        setup.route("/_timing", get(timing_stats));
        if !setup.config().get_bool("TIMING_ENABLED") {
            return Ok(());
        }
        let name: String = setup.config().get("TIMING_HEADER")?.unwrap_or_default();
        let header = flask::HeaderName::from_bytes(name.as_bytes()).map_err(|e| {
            SetupError::extension(
                "timing",
                format!("TIMING_HEADER {name:?} is not a header name: {e}"),
            )
        })?;
        setup.state(HeaderName(header));
        setup.before_request(|g: G| async move {
            g.insert(Started(Instant::now()));
        });
        setup.after_request(add_header);
        Ok(())
    }
}

async fn add_header(ctx: RequestContext, mut resp: Response) -> Response {
    let app = ctx.app();
    let (Some(Started(start)), Some(timing), Some(header)) = (
        ctx.g().get::<Started>(),
        app.extension::<Timing>(),
        app.state::<HeaderName>(),
    ) else {
        return resp;
    };
    let elapsed = start.elapsed();
    timing.record(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX));
    let value = format!("{:.3}ms", elapsed.as_secs_f64() * 1000.0);
    if let Ok(v) = value.parse() {
        resp.headers_mut().insert(header.0.clone(), v);
    }
    resp
}

/// `GET /_timing`: the figures so far, as JSON.
#[flask::view]
async fn timing_stats(timing: Ext<Timing>) -> Json<TimingStats> {
    Json(timing.stats())
}

/// The demo app of the `custom-extension` binary. It keeps no sessions, so without
/// `FLASK_SECRET_KEY` a key made once and kept in `instance/secret_key` signs the cookies.
pub fn app() -> Flask {
    #[flask::view]
    async fn index() -> &'static str {
        "Every response of this app says how long it took: see the X-Response-Time header."
    }
    Flask::new(flask::app_root!())
        .config_from_prefixed_env("FLASK")
        .secret_key_file("secret_key")
        .extension(Timing::new())
        .route("/", get(index))
}
