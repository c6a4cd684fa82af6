//! The hub: rooms that messages are published to and subscribed from, in this process or,
//! with `REALTIME_MESSAGE_QUEUE = "redis://..."`, across every instance of the app.

use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures_util::Stream;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use tokio_util::sync::ReusableBoxFuture;

use crate::app::BoxError;
use crate::config::Config;
use crate::error::Error;

/// One message published to a room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubMessage {
    /// Unique among the hub's messages (across instances too), and what an event stream
    /// sends as the event's `id`.
    pub id: String,
    /// The room it was published to.
    pub room: String,
    /// Its event name (Flask-SocketIO's `emit(event, ...)`), if it has one.
    pub event: Option<String>,
    /// The payload: the text, or the JSON [`Hub::emit`] wrote.
    pub data: String,
}

impl From<&HubMessage> for crate::sse::Event {
    /// The message as a server-sent event: its id, event name and data.
    fn from(m: &HubMessage) -> Self {
        let e = crate::sse::Event::data(m.data.clone()).id(&m.id);
        match &m.event {
            Some(name) => e.event(name),
            None => e,
        }
    }
}

/// Why a message could not be published or a room not joined.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HubError {
    /// The payload could not be written as JSON.
    #[error("the message is not JSON-serializable: {0}")]
    Json(#[from] serde_json::Error),
    /// The message queue (Redis) did not take the message.
    #[error("the message queue refused the message ({0}); is REALTIME_MESSAGE_QUEUE reachable?")]
    Queue(String),
    /// The hub is not connected yet (`App::startup` connects it).
    #[error("the hub's message queue is not connected: the app has not started (App::startup)")]
    NotStarted,
}

/// The hub's settings (`REALTIME_*` keys).
#[derive(Debug, Clone)]
pub(crate) struct HubSettings {
    /// `REALTIME_MESSAGE_QUEUE`: `None` in-process, else a `redis://` URL.
    pub(crate) queue: Option<String>,
    /// `REALTIME_CHANNEL_PREFIX`: what the Redis channels' names start with.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) prefix: String,
    /// `REALTIME_ROOM_BUFFER`: messages a subscriber may be behind before it is dropped.
    pub(crate) buffer: usize,
    /// `REALTIME_HISTORY`: messages a room keeps for subscribers that resume.
    pub(crate) history: usize,
    /// `REALTIME_MAX_ROOMS`: rooms at most.
    pub(crate) max_rooms: usize,
}

impl HubSettings {
    pub(crate) fn from_config(config: &Config) -> Result<Self, BoxError> {
        let count = |key: &str, default: usize, least: usize| config.count_or(key, default, least);
        let queue = config
            .get::<String>("REALTIME_MESSAGE_QUEUE")?
            .filter(|q| !q.is_empty() && q != "memory");
        if let Some(q) = &queue
            && !(q.starts_with("redis://") || q.starts_with("rediss://"))
        {
            return Err(format!(
                "REALTIME_MESSAGE_QUEUE is {q:?}; give a redis:// URL, or leave it unset for an in-process hub"
            )
            .into());
        }
        Ok(HubSettings {
            queue,
            prefix: config
                .get::<String>("REALTIME_CHANNEL_PREFIX")?
                .unwrap_or_else(|| "flask-realtime:".to_owned()),
            buffer: count("REALTIME_ROOM_BUFFER", 256, 1)?,
            history: count("REALTIME_HISTORY", 100, 0)?,
            max_rooms: count("REALTIME_MAX_ROOMS", 10_000, 1)?,
        })
    }
}

/// Publish/subscribe with rooms, Flask-SocketIO's `emit(event, data, to=room)` and
/// `join_room(room)`, for event streams and WebSockets.
///
/// In-process by default: a message reaches the subscribers of this instance. With
/// `REALTIME_MESSAGE_QUEUE = "redis://127.0.0.1:6379"` (and the `redis` feature) each
/// message goes through Redis pub/sub and reaches the subscribers of every instance, as
/// Flask-SocketIO's `message_queue=` does.
///
/// Memory is bounded: a room holds its last `REALTIME_HISTORY` messages (100) for
/// subscribers that resume, a subscriber that falls `REALTIME_ROOM_BUFFER` messages
/// (256) behind is ended (an `EventSource` reconnects and resumes from the history), and
/// there are at most `REALTIME_MAX_ROOMS` rooms (10,000; rooms nobody listens to are
/// forgotten first).
///
/// Handlers take it as an extractor; outside a request, [`App::hub`](crate::App::hub).
///
/// ```
/// use flask::{Flask, routing::{get, post}, realtime::Hub, sse::{EventStream, LastEventId}};
///
/// #[flask::view]
/// async fn stream(hub: Hub, LastEventId(last): LastEventId) -> Result<EventStream, flask::Error> {
///     Ok(hub.subscribe_after("prices", last.as_deref())?.into_event_stream())
/// }
/// #[flask::view]
/// async fn publish(hub: Hub) -> Result<&'static str, flask::Error> {
///     hub.emit("prices", "tick", &serde_json::json!({"eur": 1.08})).await?;
///     Ok("sent")
/// }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = Flask::new("demo")
///     .route("/stream", get(stream))
///     .route("/publish", post(publish))
///     .test_client();
/// let mut events = client.get("/stream").stream().await.events();
/// client.post("/publish").send().await;
/// let event = events.next().await.unwrap();
/// assert_eq!(event.get_event(), Some("tick"));
/// assert_eq!(event.get_data(), Some(r#"{"eur":1.08}"#));
/// # }
/// ```
#[derive(Clone)]
pub struct Hub {
    inner: Arc<HubInner>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("queue", &self.inner.settings.queue.is_some())
            .field("rooms", &self.room_count())
            .finish()
    }
}

pub(crate) struct HubInner {
    pub(crate) settings: HubSettings,
    rooms: Mutex<HashMap<String, Room>>,
    /// Makes ids unique across instances: this instance's random part.
    instance: String,
    seq: AtomicU64,
    #[cfg(feature = "redis")]
    pub(crate) redis: std::sync::OnceLock<super::redis::RedisQueue>,
}

struct Room {
    tx: broadcast::Sender<Arc<HubMessage>>,
    history: VecDeque<Arc<HubMessage>>,
    /// When it last had a message or a subscriber, for forgetting idle rooms first.
    touched: u64,
}

impl Hub {
    pub(crate) fn new(settings: HubSettings) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        Hub {
            inner: Arc::new(HubInner {
                settings,
                rooms: Mutex::new(HashMap::new()),
                instance: id[..8].to_owned(),
                seq: AtomicU64::new(0),
                #[cfg(feature = "redis")]
                redis: std::sync::OnceLock::new(),
            }),
        }
    }

    pub(crate) fn inner(&self) -> &Arc<HubInner> {
        &self.inner
    }

    /// Publishes `data` (written as JSON) to `room` under the event name `event`:
    /// Flask-SocketIO's `emit(event, data, to=room)`. Returns the message's id.
    ///
    /// # Errors
    /// When `data` is not JSON-serializable, or the message queue is unreachable.
    pub async fn emit<T: Serialize + ?Sized>(
        &self,
        room: &str,
        event: &str,
        data: &T,
    ) -> Result<String, HubError> {
        let data = serde_json::to_string(data)?;
        self.send(room, Some(event.to_owned()), data).await
    }

    /// Publishes the text `data` to `room`, without an event name (an `EventSource`'s
    /// `onmessage` gets it). Returns the message's id.
    ///
    /// # Errors
    /// When the message queue is unreachable.
    pub async fn publish(&self, room: &str, data: impl Into<String>) -> Result<String, HubError> {
        self.send(room, None, data.into()).await
    }

    async fn send(
        &self,
        room: &str,
        event: Option<String>,
        data: String,
    ) -> Result<String, HubError> {
        let seq = self.inner.seq.fetch_add(1, Ordering::Relaxed);
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let message = HubMessage {
            id: format!("{millis}-{}-{seq}", self.inner.instance),
            room: room.to_owned(),
            event,
            data,
        };
        let id = message.id.clone();
        #[cfg(feature = "redis")]
        if self.inner.settings.queue.is_some() {
            let queue = self.inner.redis.get().ok_or(HubError::NotStarted)?;
            queue.publish(&self.inner.settings.prefix, &message).await?;
            // Delivered here too when it comes back from Redis: every instance sees the
            // messages in the same order.
            return Ok(id);
        }
        self.inner.deliver(message);
        Ok(id)
    }

    /// The messages published to `room` from now on.
    ///
    /// # Errors
    /// A 503 when `REALTIME_MAX_ROOMS` rooms all have subscribers.
    pub fn subscribe(&self, room: &str) -> Result<Subscription, Error> {
        self.subscribe_after(room, None)
    }

    /// The messages published to `room` after the one whose id is `last_id` (those the
    /// room still keeps, `REALTIME_HISTORY`), then the new ones: what a reconnecting
    /// `EventSource` asks for with its `Last-Event-ID` ([`LastEventId`](crate::sse::LastEventId)).
    /// With `None`, or an id the room no longer keeps, only the new ones.
    ///
    /// # Errors
    /// A 503 when `REALTIME_MAX_ROOMS` rooms all have subscribers.
    pub fn subscribe_after(
        &self,
        room: &str,
        last_id: Option<&str>,
    ) -> Result<Subscription, Error> {
        let mut rooms = self.inner.rooms.lock().unwrap_or_else(|e| e.into_inner());
        let now = self.inner.seq.load(Ordering::Relaxed);
        if !rooms.contains_key(room) {
            self.inner.make_room_for_one(&mut rooms)?;
        }
        let entry = rooms
            .entry(room.to_owned())
            .or_insert_with(|| self.inner.new_room());
        entry.touched = now;
        let rx = entry.tx.subscribe();
        let backlog: VecDeque<Arc<HubMessage>> = match last_id {
            Some(last) => match entry.history.iter().position(|m| m.id == last) {
                Some(i) => entry.history.iter().skip(i + 1).cloned().collect(),
                None => VecDeque::new(),
            },
            None => VecDeque::new(),
        };
        drop(rooms);
        Ok(Subscription {
            backlog,
            recv: ReusableBoxFuture::new(recv(rx)),
            ended: false,
        })
    }

    /// How many rooms the hub holds.
    pub fn room_count(&self) -> usize {
        self.inner
            .rooms
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// How many subscribers `room` has on this instance.
    pub fn subscriber_count(&self, room: &str) -> usize {
        self.inner
            .rooms
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(room)
            .map_or(0, |r| r.tx.receiver_count())
    }
}

impl HubInner {
    fn new_room(&self) -> Room {
        Room {
            tx: broadcast::channel(self.settings.buffer).0,
            history: VecDeque::new(),
            touched: 0,
        }
    }

    /// Below `REALTIME_MAX_ROOMS`, forgetting the least recently used room nobody
    /// listens to if need be.
    fn make_room_for_one(&self, rooms: &mut HashMap<String, Room>) -> Result<(), Error> {
        if rooms.len() < self.settings.max_rooms {
            return Ok(());
        }
        let idle = rooms
            .iter()
            .filter(|(_, r)| r.tx.receiver_count() == 0)
            .min_by_key(|(_, r)| r.touched)
            .map(|(name, _)| name.clone());
        match idle {
            Some(name) => {
                rooms.remove(&name);
                Ok(())
            }
            None => Err(Error::with_description(
                http::StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "{} rooms have subscribers, the limit (REALTIME_MAX_ROOMS); try again later",
                    rooms.len()
                ),
            )),
        }
    }

    /// Hands `message` to this instance's subscribers of its room, and keeps it in the
    /// room's history.
    pub(crate) fn deliver(&self, message: HubMessage) {
        let message = Arc::new(message);
        let mut rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        let now = self.seq.load(Ordering::Relaxed);
        if !rooms.contains_key(&message.room) {
            if self.settings.history == 0 || self.make_room_for_one(&mut rooms).is_err() {
                // Nobody listens, and nothing is kept: nothing to do.
                return;
            }
            rooms.insert(message.room.clone(), self.new_room());
        }
        let Some(room) = rooms.get_mut(&message.room) else {
            return;
        };
        room.touched = now;
        if self.settings.history > 0 {
            if room.history.len() == self.settings.history {
                room.history.pop_front();
            }
            room.history.push_back(message.clone());
        }
        // No subscriber is no error.
        let _ = room.tx.send(message);
    }
}

/// What one wait on a room gives: the message (or why none), and the receiver back.
type Received = (
    Result<Arc<HubMessage>, broadcast::error::RecvError>,
    broadcast::Receiver<Arc<HubMessage>>,
);

async fn recv(mut rx: broadcast::Receiver<Arc<HubMessage>>) -> Received {
    let result = rx.recv().await;
    (result, rx)
}

/// The messages of one room, as a stream; dropping it leaves the room.
///
/// It ends when the subscriber falls `REALTIME_ROOM_BUFFER` messages behind (the hub keeps
/// no more for it): an `EventSource` then reconnects and resumes from the room's history.
pub struct Subscription {
    backlog: VecDeque<Arc<HubMessage>>,
    recv: ReusableBoxFuture<'static, Received>,
    ended: bool,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("backlog", &self.backlog.len())
            .field("ended", &self.ended)
            .finish()
    }
}

impl Subscription {
    /// The next message, or `None` once the subscription ended.
    pub async fn recv(&mut self) -> Option<Arc<HubMessage>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// The messages as server-sent events (id, event name, data).
    pub fn into_event_stream(self) -> crate::sse::EventStream {
        use futures_util::StreamExt as _;
        crate::sse::EventStream::new(self.map(|m| crate::sse::Event::from(&*m)))
    }
}

impl Stream for Subscription {
    type Item = Arc<HubMessage>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(m) = self.backlog.pop_front() {
            return Poll::Ready(Some(m));
        }
        if self.ended {
            return Poll::Ready(None);
        }
        let (result, rx) = std::task::ready!(self.recv.poll(cx));
        match result {
            Ok(m) => {
                self.recv.set(recv(rx));
                Poll::Ready(Some(m))
            }
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::debug!("a subscriber fell {n} messages behind; ending its subscription");
                self.ended = true;
                Poll::Ready(None)
            }
            Err(broadcast::error::RecvError::Closed) => {
                self.ended = true;
                Poll::Ready(None)
            }
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Hub {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        let ctx = crate::request::RequestContext::current(&parts.extensions).ok_or_else(|| {
            Error::internal("flask::realtime::Hub is only extracted in a request")
        })?;
        Ok(ctx.app_inner().hub.clone())
    }
}
