//! Server-Sent Events: a response that stays open and sends events as they happen
//! (what a Flask app does with `Response(generate(), mimetype="text/event-stream")`).

use std::fmt::Write as _;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::Stream;
use http::{HeaderValue, header};
use http_body::Frame;
use serde::Serialize;

use super::limits::StreamSlot;
use crate::request::RequestContext;

/// One server-sent event: `data` with an optional `id`, `event` name and `retry` hint.
///
/// ```
/// use flask::sse::Event;
/// let e = Event::data("line one\nline two").id("7").event("price");
/// assert_eq!(e.to_string(), "id: 7\nevent: price\ndata: line one\ndata: line two\n\n");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    id: Option<String>,
    event: Option<String>,
    data: Option<String>,
    retry: Option<Duration>,
    comment: Option<String>,
}

/// Removes what would end a field early: line breaks (and NUL, which the browser drops
/// an `id` for).
fn one_line(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '\r' | '\n' | '\0'))
        .collect()
}

impl Event {
    /// An event carrying `data` (several lines become several `data:` fields, which the
    /// browser joins back with `\n`).
    pub fn data(data: impl Into<String>) -> Self {
        Event {
            data: Some(data.into()),
            ..Event::default()
        }
    }

    /// An event whose data is `value` as JSON (`JSON.parse(e.data)` in the browser).
    ///
    /// # Errors
    /// When `value` cannot be written as JSON (a map with non-string keys).
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Self, serde_json::Error> {
        Ok(Event::data(serde_json::to_string(value)?))
    }

    /// A comment line (`: text`), which the browser ignores: what keep-alives are.
    pub fn comment(text: impl Into<String>) -> Self {
        Event {
            comment: Some(text.into()),
            ..Event::default()
        }
    }

    /// The event's id: the browser sends the last one it saw back as `Last-Event-ID` when
    /// it reconnects (see [`LastEventId`]). Line breaks are removed.
    #[must_use]
    pub fn id(mut self, id: impl AsRef<str>) -> Self {
        self.id = Some(one_line(id.as_ref()));
        self
    }

    /// The event's name: the browser hands it to `source.addEventListener(name, ...)`
    /// instead of `onmessage`. Line breaks are removed.
    #[must_use]
    pub fn event(mut self, name: impl AsRef<str>) -> Self {
        self.event = Some(one_line(name.as_ref()));
        self
    }

    /// How long the browser waits before reconnecting after the stream ends.
    #[must_use]
    pub fn retry(mut self, after: Duration) -> Self {
        self.retry = Some(after);
        self
    }

    /// The event's id, if it has one.
    pub fn get_id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The event's name, if it has one.
    pub fn get_event(&self) -> Option<&str> {
        self.event.as_deref()
    }

    /// The event's data, if it has some.
    pub fn get_data(&self) -> Option<&str> {
        self.data.as_deref()
    }

    fn encode(&self) -> Bytes {
        Bytes::from(self.to_string())
    }
}

impl std::fmt::Display for Event {
    /// The event as it goes on the wire, ending with its blank line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(comment) = &self.comment {
            for line in comment.lines() {
                writeln!(f, ": {line}")?;
            }
            if comment.is_empty() {
                writeln!(f, ":")?;
            }
        }
        if let Some(retry) = self.retry {
            writeln!(f, "retry: {}", retry.as_millis())?;
        }
        if let Some(id) = &self.id {
            writeln!(f, "id: {id}")?;
        }
        if let Some(event) = &self.event {
            writeln!(f, "event: {event}")?;
        }
        if let Some(data) = &self.data {
            // `\r\n`, `\r` and `\n` all end a line for the browser.
            let mut rest = data.as_str();
            loop {
                match rest.find(['\r', '\n']) {
                    Some(i) => {
                        writeln!(f, "data: {}", &rest[..i])?;
                        let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
                        rest = &rest[i + skip..];
                    }
                    None => {
                        writeln!(f, "data: {rest}")?;
                        break;
                    }
                }
            }
        }
        f.write_char('\n')
    }
}

/// The `Last-Event-ID` header a reconnecting `EventSource` sends: the id of the last event
/// it received, to resume after it ([`Hub::subscribe_after`](crate::realtime::Hub::subscribe_after)).
///
/// ```
/// use flask::sse::{Event, EventStream, LastEventId};
/// #[flask::view]
/// async fn ticks(LastEventId(last): LastEventId) -> EventStream {
///     let start: u64 = last.and_then(|id| id.parse().ok()).map_or(0, |n: u64| n + 1);
///     EventStream::new(futures_util::stream::iter(
///         (start..start + 3).map(|n| Event::data(n.to_string()).id(n.to_string())),
///     ))
/// }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LastEventId(pub Option<String>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for LastEventId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(LastEventId(
            parts
                .headers
                .get("last-event-id")
                .and_then(|v| v.to_str().ok())
                .map(one_line)
                .filter(|id| !id.is_empty()),
        ))
    }
}

/// A `text/event-stream` response: the events of `stream`, as they come.
///
/// - While the stream is quiet, a comment is sent every `SSE_KEEPALIVE` seconds (15), so
///   proxies do not close the connection and a client that left is noticed.
/// - Each open stream counts against `REALTIME_MAX_STREAMS` (10,000) and
///   `REALTIME_MAX_STREAMS_PER_CLIENT` (16): past them the answer is a 503 or a 429
///   that says which.
/// - When the server shuts down, the stream sends a last `event: close` and ends,
///   and the browser's `EventSource` reconnects to another instance after `retry`.
/// - A client that stops reading is dropped after `SERVER_WRITE_TIMEOUT`, and the server
///   holds no more than one event for it: see docs/realtime.md.
///
/// ```
/// use flask::{Flask, routing::get, sse::{Event, EventStream}};
/// #[flask::view]
/// async fn numbers() -> EventStream {
///     EventStream::new(futures_util::stream::iter((1..=3).map(|n| Event::data(n.to_string()))))
/// }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = Flask::new("demo").route("/numbers", get(numbers)).test_client();
/// let mut events = client.get("/numbers").stream().await.events();
/// assert_eq!(events.next().await.unwrap().get_data(), Some("1"));
/// # }
/// ```
pub struct EventStream {
    stream: Pin<Box<dyn Stream<Item = Event> + Send>>,
    retry: Option<Duration>,
    keep_alive: Option<Duration>,
    close_event: Option<Event>,
}

impl std::fmt::Debug for EventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("retry", &self.retry)
            .field("keep_alive", &self.keep_alive)
            .finish_non_exhaustive()
    }
}

impl EventStream {
    /// A response sending the events of `stream`; it ends when the stream does.
    pub fn new<S>(stream: S) -> Self
    where
        S: Stream<Item = Event> + Send + 'static,
    {
        EventStream {
            stream: Box::pin(stream),
            retry: None,
            keep_alive: None,
            close_event: Some(Event::data("the server is shutting down").event("close")),
        }
    }

    /// Sends `retry: <ms>` first: how long the browser waits before reconnecting.
    #[must_use]
    pub fn retry(mut self, after: Duration) -> Self {
        self.retry = Some(after);
        self
    }

    /// The keep-alive interval for this stream, instead of `SSE_KEEPALIVE`.
    #[must_use]
    pub fn keep_alive(mut self, every: Duration) -> Self {
        self.keep_alive = Some(every);
        self
    }

    /// The event sent when the server shuts down (default: `event: close`, `data: the
    /// server is shutting down`); `None` ends the stream without one.
    #[must_use]
    pub fn close_event(mut self, event: Option<Event>) -> Self {
        self.close_event = event;
        self
    }

    fn into_body(self, slot: Option<StreamSlot>) -> SseBody {
        let streams = slot.as_ref().map(StreamSlot::streams);
        let keep_alive = self
            .keep_alive
            .or_else(|| streams.map(|s| s.limits.sse_keepalive))
            .unwrap_or(Duration::from_secs(15));
        SseBody {
            first: self.retry.map(|r| Event::default().retry(r).encode()),
            stream: self.stream,
            keep_alive,
            timer: Box::pin(tokio::time::sleep(keep_alive)),
            closing: streams.map(|s| Box::pin(s.closing())),
            close_event: self.close_event,
            done: false,
            _slot: slot,
        }
    }
}

impl IntoResponse for EventStream {
    fn into_response(self) -> Response {
        // In a request: the stream takes a slot of the app's limits and closes with the
        // server. Outside one (a plain axum router), it is a bare stream.
        let slot = match RequestContext::try_current() {
            Some(ctx) => match ctx.app_inner().streams.open(ctx.remote_addr()) {
                Ok(slot) => Some(slot),
                Err(e) => return e.into_response(),
            },
            None => None,
        };
        let mut resp = Response::new(Body::new(self.into_body(slot)));
        let headers = resp.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        // nginx would otherwise hold the events in its buffer.
        headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
        resp
    }
}

/// The body of an [`EventStream`].
struct SseBody {
    first: Option<Bytes>,
    stream: Pin<Box<dyn Stream<Item = Event> + Send>>,
    keep_alive: Duration,
    timer: Pin<Box<tokio::time::Sleep>>,
    closing: Option<Pin<Box<tokio_util::sync::WaitForCancellationFutureOwned>>>,
    close_event: Option<Event>,
    done: bool,
    _slot: Option<StreamSlot>,
}

impl http_body::Body for SseBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        // A stream that always has an event ready must still let the connection's other
        // work (flushing, the timeouts) and other tasks run.
        let budget = ready!(tokio::task::coop::poll_proceed(cx));
        budget.made_progress();
        if let Some(first) = this.first.take() {
            return Poll::Ready(Some(Ok(Frame::data(first))));
        }
        if let Some(closing) = &mut this.closing
            && closing.as_mut().poll(cx).is_ready()
        {
            this.done = true;
            return Poll::Ready(this.close_event.take().map(|e| Ok(Frame::data(e.encode()))));
        }
        match this.stream.as_mut().poll_next(cx) {
            Poll::Ready(Some(event)) => {
                let deadline = tokio::time::Instant::now() + this.keep_alive;
                this.timer.as_mut().reset(deadline);
                return Poll::Ready(Some(Ok(Frame::data(event.encode()))));
            }
            Poll::Ready(None) => {
                this.done = true;
                return Poll::Ready(None);
            }
            Poll::Pending => {}
        }
        ready!(this.timer.as_mut().poll(cx));
        let deadline = tokio::time::Instant::now() + this.keep_alive;
        this.timer.as_mut().reset(deadline);
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b":\n\n")))))
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_fields() {
        assert_eq!(Event::data("x").to_string(), "data: x\n\n");
        assert_eq!(Event::data("").to_string(), "data: \n\n");
        assert_eq!(
            Event::data("a\r\nb\rc\nd").to_string(),
            "data: a\ndata: b\ndata: c\ndata: d\n\n"
        );
        assert_eq!(
            Event::data("x").id("1\n2").event("a\rb").to_string(),
            "id: 12\nevent: ab\ndata: x\n\n"
        );
        assert_eq!(
            Event::default().retry(Duration::from_secs(3)).to_string(),
            "retry: 3000\n\n"
        );
        assert_eq!(Event::comment("hi").to_string(), ": hi\n\n");
        assert_eq!(
            Event::json(&serde_json::json!({"a": 1}))
                .unwrap()
                .to_string(),
            "data: {\"a\":1}\n\n"
        );
    }
}
