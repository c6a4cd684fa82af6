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
        let service = axum::ServiceExt::<axum::extract::Request>::into_make_service(self.clone());
        axum::serve(listener, service)
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

async fn shutdown_signal() {
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
