//! Serving the app: `run` on a host and port, our own accept loop over hyper's HTTP/1
//! connections: a header-read timeout, an idle keep-alive timeout, a cap on open
//! connections, `TCP_NODELAY`, pipelined responses flushed together, and a graceful
//! shutdown that finishes the requests in flight.

use std::io::Write as _;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio_util::task::TaskTracker;
use tower::ServiceExt as _;

use crate::app::{App, BoxError};
use crate::config::Config;

/// The server's limits, from the config (`SERVER_*` keys, docs/deployment.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ServerLimits {
    /// `SERVER_HEADER_TIMEOUT`: how long a new connection may take to send its first
    /// request's headers.
    pub(crate) header_timeout: Duration,
    /// `SERVER_KEEPALIVE_TIMEOUT`: how long a connection may wait between a response and
    /// the next request's headers.
    pub(crate) keepalive_timeout: Duration,
    /// `SERVER_MAX_CONNECTIONS`: open connections at most; past it the server stops
    /// accepting (clients wait in the listen queue) until one closes.
    pub(crate) max_connections: usize,
    /// `SERVER_MAX_HEADER_SIZE`: the bytes a request's head (request line and headers) may
    /// take; past it the connection is closed without reading more.
    pub(crate) max_header_size: usize,
    /// `SERVER_SHUTDOWN_TIMEOUT`: how long a shutdown waits for requests in flight.
    pub(crate) shutdown_timeout: Duration,
    /// `SERVER_WRITE_TIMEOUT`: how long a streamed response may wait for a client that
    /// takes none of it (an event stream to a client that stopped reading).
    pub(crate) write_timeout: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_timeout: Duration::from_secs(10),
            keepalive_timeout: Duration::from_secs(5),
            max_connections: 4096,
            max_header_size: 64 * 1024,
            shutdown_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
        }
    }
}

impl ServerLimits {
    /// The limits the config sets, the defaults for the rest; a zero timeout or count, or
    /// a head limit under 1 KiB, is refused naming the key.
    pub(crate) fn from_config(config: &Config) -> Result<Self, BoxError> {
        let d = ServerLimits::default();
        let secs = |key: &str, default: Duration| config.seconds_or(key, default);
        let count = |key: &str, default: usize, least: usize| config.count_or(key, default, least);
        Ok(ServerLimits {
            header_timeout: secs("SERVER_HEADER_TIMEOUT", d.header_timeout)?,
            keepalive_timeout: secs("SERVER_KEEPALIVE_TIMEOUT", d.keepalive_timeout)?,
            max_connections: count("SERVER_MAX_CONNECTIONS", d.max_connections, 1)?,
            max_header_size: count("SERVER_MAX_HEADER_SIZE", d.max_header_size, 1024)?,
            shutdown_timeout: secs("SERVER_SHUTDOWN_TIMEOUT", d.shutdown_timeout)?,
            write_timeout: secs("SERVER_WRITE_TIMEOUT", d.write_timeout)?,
        })
    }
}

impl App {
    /// Serves the app on `listener` until SIGINT or SIGTERM, then finishes the requests in
    /// flight (for up to `SERVER_SHUTDOWN_TIMEOUT`) and runs the shutdown tasks. Startup
    /// tasks run before the first accept.
    pub async fn serve(self, listener: TcpListener) -> Result<(), BoxError> {
        self.serve_with_shutdown(listener, shutdown_signal()).await
    }

    /// Like [`App::serve`], but stops when `signal` completes instead of on SIGINT/SIGTERM.
    pub async fn serve_with_shutdown(
        self,
        listener: TcpListener,
        signal: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), BoxError> {
        let limits = ServerLimits::from_config(self.config())?;
        self.startup().await?;
        let access_log = self.access_log();
        let permits = Arc::new(Semaphore::new(limits.max_connections));
        let connections = TaskTracker::new();
        let (stop, stopping) = watch::channel(());
        let mut signal = pin!(signal);
        loop {
            let permit = tokio::select! {
                permit = permits.clone().acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break,
                },
                () = &mut signal => break,
            };
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        accept_failed(&e).await;
                        continue;
                    }
                },
                () = &mut signal => break,
            };
            let connection = Connection {
                app: self.clone(),
                peer,
                access_log,
                activity: Arc::new(Activity::default()),
            };
            connections.spawn(serve_connection(
                stream,
                connection,
                limits,
                stopping.clone(),
                permit,
            ));
        }
        // No new connections; the open ones finish the request they are on and close.
        // Event streams and WebSockets end now, with their last event or close frame.
        drop(listener);
        self.close_streams();
        drop(stop);
        connections.close();
        if tokio::time::timeout(limits.shutdown_timeout, connections.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                "{} connections still busy after SERVER_SHUTDOWN_TIMEOUT ({:?}); stopping anyway",
                connections.len(),
                limits.shutdown_timeout
            );
        }
        self.shutdown().await;
        Ok(())
    }

    /// Binds `host:port` and serves the app (see [`App::serve`]).
    pub async fn run(self, host: &str, port: u16) -> Result<(), BoxError> {
        let listener = TcpListener::bind((host, port))
            .await
            .map_err(|e| format!("cannot listen on {host}:{port}: {e}"))?;
        let addr: SocketAddr = listener.local_addr()?;
        // Not `println!`: a server whose standard output is closed (a pipe whose reader
        // went away after the first line, a detached terminal) must keep serving, where
        // `println!` would panic.
        let debugger = match (self.debug(), self.debugger_pin()) {
            (true, Some(pin)) => format!(" * Debugger is active!\n * Debugger PIN: {pin}\n"),
            (true, None) => " * Debugger is active! (no PIN: WERKZEUG_DEBUG_PIN=off)\n".to_owned(),
            (false, _) => String::new(),
        };
        let banner = format!(
            " * Serving Flask app '{}'\n * Debug mode: {}\n * Running on http://{addr}\n{debugger}Press CTRL+C to quit\n",
            self.name(),
            if self.debug() { "on" } else { "off" }
        );
        let mut stdout = std::io::stdout();
        let _ = stdout.write_all(banner.as_bytes());
        let _ = stdout.flush();
        self.serve(listener).await
    }
}

/// An accept error: a connection that failed before we took it is the client's business;
/// anything else (out of file descriptors) is logged, with a pause so the loop does not
/// spin while it lasts.
async fn accept_failed(e: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!("accepting a connection failed: {e}");
    tokio::time::sleep(Duration::from_millis(50)).await;
}

/// One connection, served until the client closes it, it times out, or the server stops.
async fn serve_connection(
    stream: TcpStream,
    connection: Connection,
    limits: ServerLimits,
    mut stopping: watch::Receiver<()>,
    _permit: OwnedSemaphorePermit,
) {
    // Small responses go out at once instead of waiting on Nagle's algorithm for the
    // client's delayed ACK (40 ms per pipelined request otherwise).
    let _ = stream.set_nodelay(true);
    let activity = connection.activity.clone();
    let peer = connection.peer;
    let service = TowerToHyperService::new(
        connection.map_request(|req: http::Request<Incoming>| req.map(axum::body::Body::new)),
    );
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .max_header_size(limits.max_header_size)
        // Responses to pipelined requests are written together.
        .pipeline_flush(true);
    let io = Counted {
        io: stream,
        activity: activity.clone(),
    };
    let mut conn = pin!(
        builder
            .serve_connection(TokioIo::new(io), service)
            .with_upgrades()
    );
    // The timeouts are checked here, a few times a period, rather than by hyper's header
    // timer, which arms a timer for every request (a tenth of a plaintext request's
    // instructions). A connection with no request in flight that writes nothing (its last
    // response sent, or none yet) is closed once it has waited the header timeout (for its
    // first request) or the keep-alive timeout (for the next ones), give or take a quarter:
    // an idle client, or one that sends its headers too slowly, is dropped.
    let tick = (limits.header_timeout.min(limits.keepalive_timeout) / 4)
        .max(std::time::Duration::from_millis(10));
    let mut last_seen = activity.snapshot();
    let mut waiting_since = std::time::Instant::now();
    // Since when a streamed body has had a piece ready that the client does not take.
    let mut stalled_since: Option<std::time::Instant> = None;
    let mut closing = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!("connection from {peer} ended: {e}");
                }
                break;
            }
            _ = stopping.changed(), if !closing => {
                conn.as_mut().graceful_shutdown();
                closing = true;
            }
            () = tokio::time::sleep(tick) => {
                let now = activity.snapshot();
                if now.started != now.finished
                    && now.written < activity.unsent_until.load(Ordering::Relaxed)
                    && now.written == last_seen.written
                {
                    // A streamed response has a piece ready and the client took nothing
                    // since the last look: a client that stopped reading holds no
                    // connection, task or buffer for longer than the write timeout.
                    let since = *stalled_since.get_or_insert_with(std::time::Instant::now);
                    if since.elapsed() >= limits.write_timeout {
                        tracing::debug!(
                            "closing the connection from {peer}: it took nothing for {:?} (SERVER_WRITE_TIMEOUT)",
                            limits.write_timeout
                        );
                        break;
                    }
                } else {
                    stalled_since = None;
                }
                if closing && now.started == now.finished && now == last_seen {
                    // Shutting down, and nothing in flight or written for a tick: a client
                    // halfway through a head would otherwise hold the shutdown for
                    // SERVER_SHUTDOWN_TIMEOUT (hyper waits for the rest of it).
                    break;
                }
                if now.started != now.finished || now != last_seen {
                    // Busy, or a request came and went since the last look.
                    waiting_since = std::time::Instant::now();
                    last_seen = now;
                } else {
                    let limit = if now.finished == 0 {
                        limits.header_timeout
                    } else {
                        limits.keepalive_timeout
                    };
                    if waiting_since.elapsed() >= limit {
                        // Nothing in flight, nothing written for the whole limit: closing
                        // the socket loses no answer (hyper's graceful shutdown would wait
                        // for the rest of a head that may never come).
                        tracing::debug!("closing the connection from {peer}: no request for {limit:?}");
                        break;
                    }
                }
            }
        }
    }
}

/// Requests started and answered on one connection, and bytes written to it, for the
/// idle check.
#[derive(Debug, Default)]
struct Activity {
    started: AtomicU64,
    finished: AtomicU64,
    written: AtomicU64,
    /// What `written` must reach for the streamed body's bytes handed to hyper to be out
    /// (0 without one): below it, the connection is waiting for the client to take them.
    unsent_until: AtomicU64,
    /// A streamed body waiting for the socket to take what it handed over.
    writer_waker: futures_util::task::AtomicWaker,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    started: u64,
    finished: u64,
    written: u64,
}

impl Activity {
    fn wrote(&self, n: usize) {
        self.written.fetch_add(n as u64, Ordering::Relaxed);
        if n > 0 {
            self.writer_waker.wake();
        }
    }

    fn snapshot(&self) -> Counts {
        Counts {
            started: self.started.load(Ordering::Relaxed),
            finished: self.finished.load(Ordering::Relaxed),
            written: self.written.load(Ordering::Relaxed),
        }
    }
}

/// The connection's socket, counting the bytes written: a response body still going out
/// (a download, a stream) keeps the connection from counting as idle.
struct Counted {
    io: TcpStream,
    activity: Arc<Activity>,
}

impl tokio::io::AsyncRead for Counted {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Counted {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let polled = std::pin::Pin::new(&mut self.io).poll_write(cx, buf);
        if let std::task::Poll::Ready(Ok(n)) = &polled {
            self.activity.wrote(*n);
        }
        polled
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let polled = std::pin::Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if let std::task::Poll::Ready(Ok(n)) = &polled {
            self.activity.wrote(*n);
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

impl App {
    /// Whether the server logs one line per request: `ACCESS_LOG` in the config, on by
    /// default in debug mode (a production server usually sits behind a proxy that logs).
    fn access_log(&self) -> bool {
        self.config()
            .get::<bool>("ACCESS_LOG")
            .ok()
            .flatten()
            .unwrap_or_else(|| self.debug())
    }
}

/// The app as one connection sees it: the peer's address at hand for `ctx.remote_addr()`
/// without a per-request extension map (axum's `into_make_service_with_connect_info` puts
/// it into every request's extensions, which allocates the map: about 400 instructions).
/// Tower layers the app has get axum's `ConnectInfo<SocketAddr>` as before.
#[derive(Clone)]
struct Connection {
    app: App,
    peer: SocketAddr,
    /// One line per request (target `flask::access`, level info): method, path, status and
    /// duration, as Werkzeug's development server logs.
    access_log: bool,
    activity: Arc<Activity>,
}

impl tower::Service<axum::extract::Request> for Connection {
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = crate::hooks::BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(
        &mut self,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: axum::extract::Request) -> Self::Future {
        let app = self.app.inner.clone();
        let peer = Some(self.peer);
        let activity = self.activity.clone();
        activity.started.fetch_add(1, Ordering::Relaxed);
        if !self.access_log {
            return Box::pin(async move {
                let Ok(resp) = crate::app::respond(app, req, peer).await;
                Ok(finish_when_sent(resp, activity))
            });
        }
        Box::pin(async move {
            let start = std::time::Instant::now();
            let method = req.method().clone();
            let path = req
                .uri()
                .path_and_query()
                .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
            let Ok(resp) = crate::app::respond(app, req, peer).await;
            tracing::info!(target: "flask::access", "{}", access_line(&method, &path, resp.status(), start.elapsed()));
            Ok(finish_when_sent(resp, activity))
        })
    }
}

/// Counts the request as answered: at once for a body of known length (hyper writes it in
/// one go), else when the body has been sent or dropped, so a stream that pauses longer
/// than the keep-alive timeout (server-sent events, a download to a slow client) is not
/// taken for an idle connection.
fn finish_when_sent(
    resp: axum::response::Response,
    activity: Arc<Activity>,
) -> axum::response::Response {
    use http_body::Body as _;
    if resp.body().size_hint().exact().is_some() {
        activity.finished.fetch_add(1, Ordering::Relaxed);
        return resp;
    }
    let start_written = activity.written.load(Ordering::Relaxed);
    resp.map(|body| {
        axum::body::Body::new(Sent {
            body,
            finish: Finish(activity),
            start_written,
            handed: 0,
        })
    })
}

/// Counts its request as answered when dropped.
struct Finish(Arc<Activity>);

impl Drop for Finish {
    fn drop(&mut self) {
        self.0.unsent_until.store(0, Ordering::Relaxed);
        self.0.finished.fetch_add(1, Ordering::Relaxed);
    }
}

/// The bytes of a streamed body handed to hyper and not yet written to the socket, at
/// most: past it the body waits for the client to take them. (hyper's `pipeline_flush`
/// buffers whatever a body hands it, so a body faster than its client would otherwise
/// grow the connection's buffer without bound.)
const MAX_UNSENT: u64 = 256 * 1024;

/// A streamed body, and the count it makes when it ends.
struct Sent {
    body: axum::body::Body,
    finish: Finish,
    /// The connection's bytes written when the response started.
    start_written: u64,
    /// The body's bytes handed to hyper so far.
    handed: u64,
}

impl Sent {
    /// The body's bytes not written yet (an estimate from below: the head and the chunk
    /// sizes are written too).
    fn unsent(&self) -> u64 {
        let written = self.finish.0.written.load(Ordering::Relaxed) - self.start_written;
        self.handed.saturating_sub(written)
    }
}

impl http_body::Body for Sent {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        if self.unsent() > MAX_UNSENT {
            // Woken by the socket's next write; checked again after registering, so a
            // write in between is not missed.
            self.finish.0.writer_waker.register(cx.waker());
            if self.unsent() > MAX_UNSENT {
                return std::task::Poll::Pending;
            }
        }
        let polled = std::pin::Pin::new(&mut self.body).poll_frame(cx);
        if let std::task::Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            self.handed += bytes::Buf::remaining(data) as u64;
            self.finish
                .0
                .unsent_until
                .store(self.start_written + self.handed, Ordering::Relaxed);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// `GET /post/1 200 0.4ms`.
pub(crate) fn access_line(
    method: &http::Method,
    path: &str,
    status: http::StatusCode,
    took: std::time::Duration,
) -> String {
    format!(
        "{method} {path} {} {:.1}ms",
        status.as_u16(),
        took.as_secs_f64() * 1000.0
    )
}

/// Logs to stderr (errors with their causes, startup messages), filtered by `RUST_LOG`
/// (default `info`). Does nothing if the program already installed a subscriber.
pub(crate) fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    // Not `println!`: with standard output closed (a pipe whose reader went away) it would
    // panic, and the shutdown would end in a crash instead of finishing the requests.
    let _ = writeln!(
        std::io::stdout(),
        " * Shutting down: finishing requests in flight"
    );
}
