//! The two sides of the realtime bench: one room of server-sent events, fed by
//! `POST /publish`, served by the framework ([`ours`]) and by plain axum ([`plain_axum`]).
//! The `realtime-load` binary connects the clients and measures.

use std::convert::Infallible;

use axum::response::sse::{Event, KeepAlive, Sse};
use flask::routing::{get, post};
use futures_util::Stream;
use tokio::sync::broadcast;

/// Connections and streams the bench needs, above the defaults.
const LIMIT: u32 = 30_000;

#[flask::view]
async fn events(hub: flask::realtime::Hub) -> Result<flask::sse::EventStream, flask::Error> {
    Ok(hub.subscribe("bench")?.into_event_stream())
}

#[flask::view]
async fn publish(hub: flask::realtime::Hub, body: String) -> Result<&'static str, flask::Error> {
    hub.publish("bench", body).await?;
    Ok("sent")
}

/// The framework: `/events` subscribes to the hub's `bench` room, `/publish` publishes.
pub fn ours() -> flask::Flask {
    flask::Flask::new("realtime-bench")
        .configure(|c| {
            c.set("SECRET_KEY", "bench");
            c.set("SERVER_MAX_CONNECTIONS", LIMIT);
            c.set("REALTIME_MAX_STREAMS", LIMIT);
            c.set("REALTIME_MAX_STREAMS_PER_CLIENT", LIMIT);
            c.set("ACCESS_LOG", false);
        })
        .route("/events", get(events))
        .route("/publish", post(publish))
}

fn stream(rx: broadcast::Receiver<String>) -> impl Stream<Item = Result<Event, Infallible>> {
    futures_util::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(data) => return Some((Ok(Event::default().data(data)), rx)),
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
}

/// Plain axum doing the same: a tokio broadcast channel, axum's `Sse` with keep-alives.
pub fn plain_axum() -> axum::Router {
    let (tx, _) = broadcast::channel::<String>(256);
    let events_tx = tx.clone();
    axum::Router::new()
        .route(
            "/events",
            axum::routing::get(move || {
                let rx = events_tx.subscribe();
                async move { Sse::new(stream(rx)).keep_alive(KeepAlive::default()) }
            }),
        )
        .route(
            "/publish",
            axum::routing::post(move |body: String| {
                let _ = tx.send(body);
                async { "sent" }
            }),
        )
}
