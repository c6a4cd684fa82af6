//! Serving the app: `run` on a host and port, and graceful shutdown.

use std::net::SocketAddr;

use tokio::net::TcpListener;

use crate::app::{App, BoxError};

impl App {
    /// Serves the app on `listener` until SIGINT or SIGTERM, then finishes the requests in
    /// flight and runs the shutdown tasks. Startup tasks run before the first accept.
    pub async fn serve(self, listener: TcpListener) -> Result<(), BoxError> {
        self.serve_with_shutdown(listener, shutdown_signal()).await
    }

    /// Like [`App::serve`], but stops when `signal` completes instead of on SIGINT/SIGTERM.
    pub async fn serve_with_shutdown(
        self,
        listener: TcpListener,
        signal: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), BoxError> {
        self.startup().await?;
        let connections = Connections {
            app: self.clone(),
            access_log: self.access_log(),
        };
        axum::serve(listener, connections)
            .with_graceful_shutdown(signal)
            .await?;
        self.shutdown().await;
        Ok(())
    }

    /// Binds `host:port` and serves the app (see [`App::serve`]).
    pub async fn run(self, host: &str, port: u16) -> Result<(), BoxError> {
        let listener = TcpListener::bind((host, port))
            .await
            .map_err(|e| format!("cannot listen on {host}:{port}: {e}"))?;
        let addr: SocketAddr = listener.local_addr()?;
        println!(" * Serving Flask app '{}'", self.name());
        println!(" * Debug mode: {}", if self.debug() { "on" } else { "off" });
        println!(" * Running on http://{addr}");
        println!("Press CTRL+C to quit");
        self.serve(listener).await
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

/// Makes, for each connection the server accepts, the service that answers its requests.
#[derive(Clone)]
struct Connections {
    app: App,
    access_log: bool,
}

impl<'a> tower::Service<axum::serve::IncomingStream<'a, TcpListener>> for Connections {
    type Response = Connection;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Connection, std::convert::Infallible>>;

    fn poll_ready(
        &mut self,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, stream: axum::serve::IncomingStream<'a, TcpListener>) -> Self::Future {
        std::future::ready(Ok(Connection {
            app: self.app.clone(),
            peer: *stream.remote_addr(),
            access_log: self.access_log,
        }))
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
        if !self.access_log {
            return Box::pin(crate::app::respond(app, req, peer));
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
            Ok(resp)
        })
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
    println!(" * Shutting down: finishing requests in flight");
}
