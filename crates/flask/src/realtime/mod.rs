//! Realtime: server-sent events ([`sse`]), WebSocket routes
//! ([`ws`]), and the [`Hub`] that carries messages to them, in this process or
//! through Redis to every instance.
//!
//! Every open stream counts against the app's limits (`REALTIME_MAX_STREAMS`,
//! `REALTIME_MAX_STREAMS_PER_CLIENT`), and all of them are closed, with a last event or
//! a close frame, when the server shuts down. The guide's page: docs/realtime.md.

pub(crate) mod hub;
pub(crate) mod limits;
#[cfg(feature = "redis")]
mod redis;
pub mod sse;
pub mod ws;

pub use hub::{Hub, HubError, HubMessage, Subscription};

use crate::app::BoxError;

/// Connects the hub to its message queue, when `REALTIME_MESSAGE_QUEUE` names one.
pub(crate) async fn connect(hub: &Hub) -> Result<(), BoxError> {
    let Some(url) = hub.inner().settings.queue.clone() else {
        return Ok(());
    };
    #[cfg(feature = "redis")]
    {
        redis::connect(hub, &url).await
    }
    #[cfg(not(feature = "redis"))]
    {
        let _ = url;
        Err(
            "REALTIME_MESSAGE_QUEUE needs the flask crate's `redis` feature: \
             flask = { version = \"0.1\", features = [\"redis\"] }"
                .into(),
        )
    }
}

/// Closes the hub's connections (a shutdown task).
pub(crate) async fn disconnect(hub: &Hub) {
    #[cfg(feature = "redis")]
    if let Some(queue) = hub.inner().redis.get() {
        queue.quit().await;
    }
    #[cfg(not(feature = "redis"))]
    let _ = hub;
}
