//! Serving the app: `run` on a host and port, graceful shutdown, and the minimal CLI.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tokio::net::TcpListener;

use crate::Flask;
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
fn init_logging() {
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

/// The app's command line.
#[derive(Debug, Parser)]
#[command(about = "A Flask app", disable_help_subcommand = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a development server.
    Run {
        /// The interface to bind to.
        #[arg(long, default_value = "127.0.0.1", env = "FLASK_RUN_HOST")]
        host: String,
        /// The port to bind to.
        #[arg(long, short = 'p', default_value_t = 5000, env = "FLASK_RUN_PORT")]
        port: u16,
        /// Turn on debug mode (error details in 500 pages).
        #[arg(long)]
        debug: bool,
    },
}

impl Flask {
    /// The app's command line, for `main`: `myapp run --host 127.0.0.1 --port 5000 [--debug]`.
    /// Builds the app (reporting setup errors) and runs the command.
    ///
    /// ```no_run
    /// # fn app() -> flask::Flask { flask::Flask::new("demo") }
    /// #[tokio::main]
    /// async fn main() -> std::process::ExitCode {
    ///     app().cli().await
    /// }
    /// ```
    pub async fn cli(self) -> ExitCode {
        init_logging();
        let cli = match Cli::try_parse() {
            Ok(cli) => cli,
            Err(e) => {
                let _ = e.print();
                return if e.use_stderr() {
                    ExitCode::from(2)
                } else {
                    ExitCode::SUCCESS
                };
            }
        };
        match cli.command {
            Command::Run { host, port, debug } => {
                let flask = if debug {
                    self.configure(|c| c.set("DEBUG", true))
                } else {
                    self
                };
                let app = match flask.build() {
                    Ok(app) => app,
                    Err(e) => {
                        eprintln!("Error: the app could not start: {e}");
                        return ExitCode::FAILURE;
                    }
                };
                match app.run(&host, port).await {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("Error: {e}");
                        ExitCode::FAILURE
                    }
                }
            }
        }
    }
}
