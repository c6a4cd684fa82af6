//! The views the realtime tests share: a room's events, with `Last-Event-ID`, and
//! publishing the request's body to a room (`emit(room, "note", body)`).

use flask::realtime::Hub;
use flask::sse::{EventStream, LastEventId};
use flask::{Error, Path};

/// `GET /rooms/<room>/events`: the room as server-sent events, resumed after the
/// browser's last event.
#[flask::view]
pub(crate) async fn room_stream(
    hub: Hub,
    Path(room): Path<String>,
    LastEventId(last): LastEventId,
) -> Result<EventStream, Error> {
    Ok(hub
        .subscribe_after(&room, last.as_deref())?
        .into_event_stream())
}

/// `POST /rooms/<room>`: publishes the body as the event `note`; answers the message's id.
#[flask::view]
pub(crate) async fn publish(
    hub: Hub,
    Path(room): Path<String>,
    body: String,
) -> Result<String, Error> {
    Ok(hub.emit(&room, "note", &body).await?)
}
