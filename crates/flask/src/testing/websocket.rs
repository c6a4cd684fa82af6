//! The test client's WebSocket: the handshake and the frames go through the app over an
//! in-memory connection (hyper on one end, tungstenite on the other); no port is opened.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use futures_util::{SinkExt as _, StreamExt as _};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::{self, Message as WireMessage};

use super::{TestClient, TestResponse};

/// How long a test waits for a message before it fails, rather than hang.
const WAIT: Duration = Duration::from_secs(10);

/// A message the test client received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestMessage {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
    /// The server closed the socket: its code and reason, if it gave them.
    Close(Option<(u16, String)>),
}

/// A WebSocket to the app, from [`TestRequest::websocket`](super::TestRequest::websocket).
#[derive(Debug)]
pub struct TestWebSocket {
    socket: WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>,
    status: http::StatusCode,
}

pub(super) async fn connect(
    client: TestClient,
    req: http::Request<Body>,
) -> Result<TestWebSocket, TestResponse> {
    let (mut parts, _) = req.into_parts();
    parts.headers.insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("upgrade"),
    );
    parts.headers.insert(
        http::header::UPGRADE,
        http::HeaderValue::from_static("websocket"),
    );
    parts.headers.insert(
        http::header::SEC_WEBSOCKET_VERSION,
        http::HeaderValue::from_static("13"),
    );
    let key = tungstenite::handshake::client::generate_key();
    let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
    parts.headers.insert(
        http::header::SEC_WEBSOCKET_KEY,
        http::HeaderValue::from_str(&key).expect("a generated key is a header value"),
    );
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .copied();
    // The app's end: hyper serving the app on one end of an in-memory pipe, with upgrades.
    let (near, far) = tokio::io::duplex(256 * 1024);
    let app = client.app.clone();
    tokio::spawn(async move {
        let service =
            hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                let app = app.clone();
                async move {
                    let mut req = req.map(Body::new);
                    if let Some(peer) = peer {
                        req.extensions_mut().insert(peer);
                    }
                    Ok::<_, Infallible>(app.handle(req).await)
                }
            });
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(far), service)
            .with_upgrades()
            .await;
    });
    // The client's end: hyper's client sends the handshake and hands over the socket.
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(near))
        .await
        .unwrap_or_else(|e| panic!("the in-memory connection to the app failed: {e}"));
    tokio::spawn(async move {
        let _ = conn.with_upgrades().await;
    });
    let req = http::Request::from_parts(parts, http_body_util::Empty::<bytes::Bytes>::new());
    let mut resp = sender
        .send_request(req)
        .await
        .unwrap_or_else(|e| panic!("the WebSocket handshake could not be sent: {e}"));
    client.store_cookies(resp.headers());
    let status = resp.status();
    let accepted = resp
        .headers()
        .get(http::header::SEC_WEBSOCKET_ACCEPT)
        .is_some_and(|v| v.as_bytes() == accept.as_bytes());
    if status != http::StatusCode::SWITCHING_PROTOCOLS || !accepted {
        let (parts, body) = resp.into_parts();
        let body = http_body_util::BodyExt::collect(body)
            .await
            .map(http_body_util::Collected::to_bytes)
            .unwrap_or_default();
        return Err(TestResponse {
            status: parts.status,
            headers: parts.headers,
            body,
            history: Vec::new(),
        });
    }
    let upgraded = hyper::upgrade::on(&mut resp)
        .await
        .unwrap_or_else(|e| panic!("the WebSocket upgrade failed: {e}"));
    let socket = WebSocketStream::from_raw_socket(
        TokioIo::new(upgraded),
        tungstenite::protocol::Role::Client,
        None,
    )
    .await;
    Ok(TestWebSocket { socket, status })
}

impl TestWebSocket {
    /// The handshake's status: 101.
    pub fn status(&self) -> http::StatusCode {
        self.status
    }

    /// Sends a text message.
    ///
    /// # Panics
    /// If the socket is closed.
    pub async fn send_text(&mut self, text: &str) {
        self.send(WireMessage::text(text)).await;
    }

    /// Sends a binary message.
    ///
    /// # Panics
    /// If the socket is closed.
    pub async fn send_binary(&mut self, data: &[u8]) {
        self.send(WireMessage::binary(data.to_vec())).await;
    }

    /// Sends `value` as a JSON text message.
    ///
    /// # Panics
    /// If the socket is closed, or `value` is not JSON-serializable.
    pub async fn send_json<T: Serialize + ?Sized>(&mut self, value: &T) {
        let text = serde_json::to_string(value).expect("the value is JSON-serializable");
        self.send(WireMessage::text(text)).await;
    }

    async fn send(&mut self, msg: WireMessage) {
        self.socket
            .send(msg)
            .await
            .unwrap_or_else(|e| panic!("sending on the test WebSocket failed: {e}"));
    }

    /// The next message (pings and pongs are answered and skipped), or `None` once the
    /// connection is gone.
    ///
    /// # Panics
    /// If nothing comes within 10 seconds.
    pub async fn recv(&mut self) -> Option<TestMessage> {
        loop {
            let next = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .unwrap_or_else(|_| panic!("the WebSocket sent nothing for {WAIT:?}"));
            match next? {
                Ok(WireMessage::Text(t)) => return Some(TestMessage::Text(t.to_string())),
                Ok(WireMessage::Binary(b)) => return Some(TestMessage::Binary(b.to_vec())),
                Ok(WireMessage::Close(frame)) => {
                    return Some(TestMessage::Close(
                        frame.map(|f| (u16::from(f.code), f.reason.to_string())),
                    ));
                }
                Ok(WireMessage::Ping(_) | WireMessage::Pong(_) | WireMessage::Frame(_)) => {}
                Err(_) => return None,
            }
        }
    }

    /// The next text message (`None` when the socket closes instead).
    ///
    /// # Panics
    /// If a binary message comes, or nothing within 10 seconds.
    pub async fn recv_text(&mut self) -> Option<String> {
        match self.recv().await? {
            TestMessage::Text(t) => Some(t),
            TestMessage::Close(_) => None,
            TestMessage::Binary(b) => panic!("expected a text message, got {} bytes", b.len()),
        }
    }

    /// The next text message as JSON.
    ///
    /// # Panics
    /// If it is not `T`, the socket closes, or nothing comes within 10 seconds.
    pub async fn recv_json<T: DeserializeOwned>(&mut self) -> T {
        let text = self
            .recv_text()
            .await
            .expect("the WebSocket closed before a message came");
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("the message is not the expected JSON ({e}): {text}"))
    }

    /// Closes the socket (1000, normal closure).
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}
