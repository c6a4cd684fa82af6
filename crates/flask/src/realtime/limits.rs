//! What every open stream (server-sent events, WebSocket) counts against: a limit in
//! total and per client, and the signal that closes them all when the server stops.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{HeaderValue, StatusCode, header};
use tokio_util::sync::CancellationToken;

use crate::app::BoxError;
use crate::config::Config;
use crate::error::Error;

/// The realtime limits, from the config (`REALTIME_*`, `SSE_*` and `WEBSOCKET_*` keys,
/// docs/realtime.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct StreamLimits {
    /// `REALTIME_MAX_STREAMS`: open event streams and WebSockets at most.
    pub(crate) max_streams: usize,
    /// `REALTIME_MAX_STREAMS_PER_CLIENT`: open streams at most from one client address.
    pub(crate) max_per_client: usize,
    /// `SSE_KEEPALIVE`: a comment line is sent when a stream has been quiet this long.
    pub(crate) sse_keepalive: Duration,
    /// `WEBSOCKET_PING_INTERVAL`: a ping is sent when a socket has been quiet this long.
    pub(crate) ws_ping: Duration,
    /// `WEBSOCKET_IDLE_TIMEOUT`: a socket from which nothing (not even a pong) came for
    /// this long is closed.
    pub(crate) ws_idle: Duration,
    /// `WEBSOCKET_SEND_TIMEOUT`: a message the client does not take within this time
    /// closes the socket (a client that reads nothing is dropped).
    pub(crate) ws_send_timeout: Duration,
    /// `WEBSOCKET_MAX_MESSAGE_SIZE`: the bytes a message from the client may take.
    pub(crate) ws_max_message: usize,
}

impl Default for StreamLimits {
    fn default() -> Self {
        StreamLimits {
            max_streams: 10_000,
            max_per_client: 16,
            sse_keepalive: Duration::from_secs(15),
            ws_ping: Duration::from_secs(20),
            ws_idle: Duration::from_secs(60),
            ws_send_timeout: Duration::from_secs(10),
            ws_max_message: 64 * 1024,
        }
    }
}

impl StreamLimits {
    /// The limits the config sets, the defaults for the rest; a zero is refused naming the
    /// key.
    pub(crate) fn from_config(config: &Config) -> Result<Self, BoxError> {
        let d = StreamLimits::default();
        let secs = |key: &str, default: Duration| config.seconds_or(key, default);
        let count = |key: &str, default: usize| config.count_or(key, default, 1);
        let limits = StreamLimits {
            max_streams: count("REALTIME_MAX_STREAMS", d.max_streams)?,
            max_per_client: count("REALTIME_MAX_STREAMS_PER_CLIENT", d.max_per_client)?,
            sse_keepalive: secs("SSE_KEEPALIVE", d.sse_keepalive)?,
            ws_ping: secs("WEBSOCKET_PING_INTERVAL", d.ws_ping)?,
            ws_idle: secs("WEBSOCKET_IDLE_TIMEOUT", d.ws_idle)?,
            ws_send_timeout: secs("WEBSOCKET_SEND_TIMEOUT", d.ws_send_timeout)?,
            ws_max_message: count("WEBSOCKET_MAX_MESSAGE_SIZE", d.ws_max_message)?,
        };
        if limits.ws_idle <= limits.ws_ping {
            return Err(format!(
                "WEBSOCKET_IDLE_TIMEOUT ({:?}) must be longer than WEBSOCKET_PING_INTERVAL ({:?}): \
                 a client's pong needs the time to come back",
                limits.ws_idle, limits.ws_ping
            )
            .into());
        }
        Ok(limits)
    }
}

/// The app's open streams: counted in total and per client, and closed together when the
/// server shuts down.
#[derive(Debug)]
pub(crate) struct Streams {
    pub(crate) limits: StreamLimits,
    /// `WEBSOCKET_ALLOWED_ORIGINS`: origins other than the request's own host that may
    /// open a WebSocket (`"*"`: any).
    pub(crate) allowed_origins: Vec<String>,
    counts: Mutex<Counts>,
    closing: CancellationToken,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    /// Only clients with an open stream: at most `max_streams` entries.
    per_client: HashMap<IpAddr, usize>,
}

impl Streams {
    pub(crate) fn new(limits: StreamLimits, allowed_origins: Vec<String>) -> Self {
        Streams {
            limits,
            allowed_origins,
            counts: Mutex::new(Counts::default()),
            closing: CancellationToken::new(),
        }
    }

    /// A slot for one more stream from `client`, or the 503 (too many in all) or 429 (too
    /// many from this client) that says which limit was reached.
    pub(crate) fn open(self: &Arc<Self>, client: Option<IpAddr>) -> Result<StreamSlot, Error> {
        if self.closing.is_cancelled() {
            return Err(Error::with_description(
                StatusCode::SERVICE_UNAVAILABLE,
                "The server is shutting down; reconnect in a moment.",
            )
            .with_header(header::RETRY_AFTER, HeaderValue::from_static("5")));
        }
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if counts.total >= self.limits.max_streams {
            return Err(Error::with_description(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "The server has {} open streams, its limit (REALTIME_MAX_STREAMS); try again later.",
                    counts.total
                ))
                .with_header(header::RETRY_AFTER, HeaderValue::from_static("30")));
        }
        if let Some(ip) = client {
            let n = counts.per_client.entry(ip).or_default();
            if *n >= self.limits.max_per_client {
                return Err(Error::with_description(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!(
                        "This client has {} open streams, the limit per client \
                         (REALTIME_MAX_STREAMS_PER_CLIENT); close one first.",
                        *n
                    ),
                )
                .with_header(header::RETRY_AFTER, HeaderValue::from_static("30")));
            }
            *n += 1;
        }
        counts.total += 1;
        Ok(StreamSlot {
            streams: self.clone(),
            client,
        })
    }

    /// How many streams are open.
    pub(crate) fn open_count(&self) -> usize {
        self.counts.lock().unwrap_or_else(|e| e.into_inner()).total
    }

    /// Tells every open stream to close (with its final event or close frame), and refuses
    /// new ones.
    pub(crate) fn close_all(&self) {
        self.closing.cancel();
    }

    /// Completes when the streams are told to close.
    pub(crate) fn closing(&self) -> tokio_util::sync::WaitForCancellationFutureOwned {
        self.closing.clone().cancelled_owned()
    }
}

/// One open stream's place in the count, given back when dropped.
#[derive(Debug)]
pub(crate) struct StreamSlot {
    streams: Arc<Streams>,
    client: Option<IpAddr>,
}

impl StreamSlot {
    pub(crate) fn streams(&self) -> &Arc<Streams> {
        &self.streams
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut counts = self
            .streams
            .counts
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        counts.total -= 1;
        if let Some(ip) = self.client
            && let Some(n) = counts.per_client.get_mut(&ip)
        {
            *n -= 1;
            if *n == 0 {
                counts.per_client.remove(&ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_in_total_and_per_client() {
        let streams = Arc::new(Streams::new(
            StreamLimits {
                max_streams: 3,
                max_per_client: 2,
                ..StreamLimits::default()
            },
            Vec::new(),
        ));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let s1 = streams.open(Some(a)).unwrap();
        let _s2 = streams.open(Some(a)).unwrap();
        let err = streams.open(Some(a)).unwrap_err();
        assert_eq!(err.status(), StatusCode::TOO_MANY_REQUESTS);
        let _s3 = streams.open(Some(b)).unwrap();
        let err = streams.open(Some(b)).unwrap_err();
        assert_eq!(err.status(), StatusCode::SERVICE_UNAVAILABLE);
        drop(s1);
        assert_eq!(streams.open_count(), 2);
        let _s4 = streams.open(Some(a)).unwrap();
        streams.close_all();
        assert_eq!(
            streams.open(None).unwrap_err().status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }
}
