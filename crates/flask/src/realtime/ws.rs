//! WebSocket routes: the handshake is an ordinary request (hooks, session, the logged-in
//! user, an `Origin` check), then the socket is the handler's, within the app's limits.

use std::pin::Pin;

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;
use serde::Serialize;
use tokio::time::Instant;

pub use axum::extract::ws::{CloseFrame, Message, Utf8Bytes};

use super::limits::{StreamLimits, StreamSlot};
use crate::error::Error;
use crate::request::RequestContext;

/// The WebSocket handshake, as an extractor: take it in a view registered with
/// [`websocket`](crate::routing::websocket) and answer with
/// [`on_upgrade`](WebSocketUpgrade::on_upgrade).
///
/// What a handshake is checked for, before the view runs on:
/// - it is one (`Connection: Upgrade`, `Upgrade: websocket`, version 13): else 400;
/// - its `Origin`, when a browser sends one, is the page's own host, or one listed in
///   `WEBSOCKET_ALLOWED_ORIGINS` (`["https://app.example.com"]`, or `["*"]`): else 403.
///   A page on another site cannot use the visitor's cookies to open a socket here
///   (cross-site WebSocket hijacking);
/// - the app has room for it (`REALTIME_MAX_STREAMS`, `REALTIME_MAX_STREAMS_PER_CLIENT`):
///   else 503 or 429.
///
/// The view's other extractors (the `Session`, flask-login's `CurrentUser`, `Path`) are
/// read at the handshake, and `before_request` hooks run for it, as for any request:
/// move what the socket needs into the closure.
///
/// ```
/// use flask::{Flask, Session, routing::websocket, ws::{WebSocket, WebSocketUpgrade}};
///
/// #[flask::view]
/// async fn chat(ws: WebSocketUpgrade, session: Session) -> flask::Response {
///     let name: String = session.get("name").unwrap_or_else(|| "anonymous".into());
///     ws.on_upgrade(move |mut socket: WebSocket| async move {
///         while let Some(msg) = socket.recv().await {
///             if let Ok(text) = msg.to_text() {
///                 if socket.send_text(format!("{name}: {text}")).await.is_err() {
///                     break;
///                 }
///             }
///         }
///     })
/// }
/// let app = Flask::new("chat").route("/chat", websocket(chat));
/// # let _ = app;
/// ```
pub struct WebSocketUpgrade {
    inner: axum::extract::ws::WebSocketUpgrade,
    slot: StreamSlot,
}

impl std::fmt::Debug for WebSocketUpgrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocketUpgrade").finish_non_exhaustive()
    }
}

/// Whether `origin` (the header's value) names the host the request was sent to, or one
/// the app allows.
fn origin_allowed(origin: &str, host: Option<&str>, allowed: &[String]) -> bool {
    if allowed
        .iter()
        .any(|a| a == "*" || a.eq_ignore_ascii_case(origin))
    {
        return true;
    }
    let Some(authority) = origin.split_once("://").map(|(_, rest)| rest) else {
        // `null` (a sandboxed page, a file) is no host of ours.
        return false;
    };
    host.is_some_and(|h| h.eq_ignore_ascii_case(authority))
}

impl<S: Send + Sync> FromRequestParts<S> for WebSocketUpgrade {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = RequestContext::current(&parts.extensions).ok_or_else(|| {
            Error::internal("flask::ws::WebSocketUpgrade is only extracted in a request")
        })?;
        let streams = ctx.app_inner().streams.clone();
        if let Some(origin) = parts.headers.get(http::header::ORIGIN) {
            let origin = origin.to_str().unwrap_or("");
            let host = parts
                .headers
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok());
            if !origin_allowed(origin, host, &streams.allowed_origins) {
                return Err(Error::with_description(
                    StatusCode::FORBIDDEN,
                    format!(
                        "A WebSocket from the origin {origin:?} is refused: it is not this site. \
                         List it in WEBSOCKET_ALLOWED_ORIGINS to allow it."
                    ),
                ));
            }
        }
        let inner = axum::extract::ws::WebSocketUpgrade::from_request_parts(parts, state)
            .await
            .map_err(|rejection| {
                Error::with_description(
                    rejection.status(),
                    format!(
                        "This URL takes WebSocket connections ({}): connect with \
                         `new WebSocket(url)` or another WebSocket client.",
                        rejection.body_text()
                    ),
                )
            })?;
        let slot = streams.open(ctx.remote_addr())?;
        let limits = streams.limits;
        let inner = inner
            .max_message_size(limits.ws_max_message)
            .max_frame_size(limits.ws_max_message)
            // A client that does not read cannot make the server buffer more than this:
            // a send past it fails, and the socket is closed.
            .max_write_buffer_size(limits.ws_max_message.max(128 * 1024) * 2);
        Ok(WebSocketUpgrade { inner, slot })
    }
}

impl WebSocketUpgrade {
    /// The subprotocols the server speaks: the first the client offers is chosen
    /// (`Sec-WebSocket-Protocol`).
    #[must_use]
    pub fn protocols<I>(mut self, protocols: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<std::borrow::Cow<'static, str>>,
    {
        self.inner = self.inner.protocols(protocols);
        self
    }

    /// Answers the handshake with `101 Switching Protocols`, then runs `callback` with the
    /// socket (on its own task, after the response has gone).
    pub fn on_upgrade<F, Fut>(self, callback: F) -> Response
    where
        F: FnOnce(WebSocket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let slot = self.slot;
        self.inner
            .on_failed_upgrade(|e| tracing::debug!("a WebSocket upgrade failed: {e}"))
            .on_upgrade(move |socket| callback(WebSocket::new(socket, slot)))
            .into_response()
    }
}

/// An open WebSocket (Flask-Sock's `ws`): [`recv`](WebSocket::recv) the client's
/// messages, [`send`](WebSocket::send) yours.
///
/// The app's limits apply: a ping goes out when the socket has been quiet for
/// `WEBSOCKET_PING_INTERVAL` (20 s) and a client silent for `WEBSOCKET_IDLE_TIMEOUT` (60 s)
/// is closed (both while `recv` waits); a send the client does not take within
/// `WEBSOCKET_SEND_TIMEOUT` (10 s) fails and closes the socket; a message over
/// `WEBSOCKET_MAX_MESSAGE_SIZE` (64 KiB) closes it. When the server shuts down, `recv`
/// sends a close frame (1001, going away) and returns `None`.
pub struct WebSocket {
    socket: axum::extract::ws::WebSocket,
    limits: StreamLimits,
    closing: Pin<Box<tokio_util::sync::WaitForCancellationFutureOwned>>,
    last_heard: Instant,
    /// A ping went out since the client was last heard.
    pinged: bool,
    closed: bool,
    _slot: StreamSlot,
}

impl std::fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocket")
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

/// The socket is closed: the client left, did not read in time, or the server is stopping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the WebSocket is closed")]
pub struct Closed;

impl WebSocket {
    fn new(socket: axum::extract::ws::WebSocket, slot: StreamSlot) -> Self {
        WebSocket {
            socket,
            limits: slot.streams().limits,
            closing: Box::pin(slot.streams().closing()),
            last_heard: Instant::now(),
            pinged: false,
            closed: false,
            _slot: slot,
        }
    }

    /// The next text or binary message from the client, or `None` once the socket is
    /// closed (by the client, an error, the idle timeout or the server's shutdown). Pings
    /// and pongs are answered and skipped. Safe in `tokio::select!`: a message is not lost
    /// when another branch wins.
    pub async fn recv(&mut self) -> Option<Message> {
        if self.closed {
            return None;
        }
        loop {
            // Quiet for the ping interval: ping; silent for the idle timeout: close.
            let wake = if self.pinged {
                self.last_heard + self.limits.ws_idle
            } else {
                self.last_heard + self.limits.ws_ping
            };
            tokio::select! {
                biased;
                () = self.closing.as_mut() => {
                    self.close_with(1001, "the server is shutting down").await;
                    return None;
                }
                msg = self.socket.recv() => match msg {
                    Some(Ok(Message::Close(_))) | None => {
                        self.closed = true;
                        return None;
                    }
                    Some(Err(e)) => {
                        tracing::debug!("a WebSocket failed: {e}");
                        self.closed = true;
                        return None;
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {
                        self.heard();
                    }
                    Some(Ok(m)) => {
                        self.heard();
                        return Some(m);
                    }
                },
                () = tokio::time::sleep_until(wake) => {
                    if self.last_heard.elapsed() >= self.limits.ws_idle {
                        self.close_with(1001, "idle for too long").await;
                        return None;
                    }
                    if !self.pinged {
                        self.pinged = true;
                        if self.send_raw(Message::Ping(bytes::Bytes::new())).await.is_err() {
                            return None;
                        }
                    }
                }
            }
        }
    }

    fn heard(&mut self) {
        self.last_heard = Instant::now();
        self.pinged = false;
    }

    /// The next text message, parsed as JSON; messages that are not (binary, or not
    /// `T`) are skipped. `None` once the socket is closed.
    pub async fn recv_json<T: serde::de::DeserializeOwned>(&mut self) -> Option<T> {
        loop {
            let msg = self.recv().await?;
            if let Ok(text) = msg.to_text()
                && let Ok(value) = serde_json::from_str(text)
            {
                return Some(value);
            }
        }
    }

    /// Sends a message.
    ///
    /// # Errors
    /// [`Closed`] when the socket is closed, or the client did not take the message
    /// within `WEBSOCKET_SEND_TIMEOUT` (the socket is then closed).
    pub async fn send(&mut self, msg: impl Into<Message>) -> Result<(), Closed> {
        self.send_raw(msg.into()).await
    }

    /// Sends a text message.
    ///
    /// # Errors
    /// As [`send`](WebSocket::send).
    pub async fn send_text(&mut self, text: impl Into<String>) -> Result<(), Closed> {
        self.send_raw(Message::Text(text.into().into())).await
    }

    /// Sends `value` as a JSON text message.
    ///
    /// # Errors
    /// As [`send`](WebSocket::send); a value that is not JSON-serializable is logged and
    /// sends nothing.
    pub async fn send_json<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Closed> {
        match serde_json::to_string(value) {
            Ok(text) => self.send_text(text).await,
            Err(e) => {
                tracing::error!("a WebSocket message is not JSON-serializable: {e}");
                Ok(())
            }
        }
    }

    /// Closes the socket with `code` and `reason` (1000 is a normal close).
    pub async fn close(mut self, code: u16, reason: &str) {
        self.close_with(code, reason).await;
    }

    /// Whether the socket is closed.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    async fn send_raw(&mut self, msg: Message) -> Result<(), Closed> {
        if self.closed {
            return Err(Closed);
        }
        match tokio::time::timeout(self.limits.ws_send_timeout, self.socket.send(msg)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                tracing::debug!("sending on a WebSocket failed: {e}");
                self.closed = true;
                Err(Closed)
            }
            Err(_) => {
                tracing::debug!(
                    "a WebSocket client took nothing for {:?} (WEBSOCKET_SEND_TIMEOUT); closing it",
                    self.limits.ws_send_timeout
                );
                self.closed = true;
                Err(Closed)
            }
        }
    }

    async fn close_with(&mut self, code: u16, reason: &str) {
        if self.closed {
            return;
        }
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        if self.send_raw(Message::Close(Some(frame))).await.is_ok() {
            // The closing handshake: the client answers with its own close frame. A
            // client that does not is waited for a second at most.
            let _ = tokio::time::timeout(std::time::Duration::from_secs(1), async {
                while let Some(Ok(m)) = self.socket.recv().await {
                    if matches!(m, Message::Close(_)) {
                        break;
                    }
                }
            })
            .await;
        }
        self.closed = true;
    }
}

#[cfg(test)]
mod tests {
    use super::origin_allowed;

    #[test]
    fn origins() {
        assert!(origin_allowed(
            "http://localhost:5000",
            Some("localhost:5000"),
            &[]
        ));
        assert!(origin_allowed(
            "https://EXAMPLE.com",
            Some("example.com"),
            &[]
        ));
        assert!(!origin_allowed(
            "https://evil.com",
            Some("example.com"),
            &[]
        ));
        assert!(!origin_allowed("null", Some("example.com"), &[]));
        assert!(origin_allowed(
            "https://app.example.com",
            Some("api.example.com"),
            &["https://app.example.com".to_owned()]
        ));
        assert!(origin_allowed("https://x.org", None, &["*".to_owned()]));
    }
}
