//! `run --reload`: watch the app's sources, rebuild, and restart the server, while this
//! process keeps the listening socket.
//!
//! This process (the supervisor) binds the public address and never lets go of it. The app
//! runs in a child process (the same binary, `run` on a loopback port the kernel picks), and
//! every connection is relayed to it. While a new build starts, connections wait in the
//! supervisor instead of being refused; when a build fails, the supervisor answers every
//! request with the compiler's output (the page refreshes itself until a build succeeds).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, watch};

use crate::app::BoxError;
use crate::error::escape_html;

/// Set in the child's environment, so it serves instead of supervising again.
pub(crate) const CHILD_ENV: &str = "FLASK_RUN_FROM_RELOADER";
/// A shell command that replaces the default `cargo build` (for unusual builds, and tests).
pub(crate) const BUILD_ENV: &str = "FLASK_RUN_BUILD_COMMAND";

/// What the supervisor does with a new connection.
#[derive(Debug, Clone)]
enum Target {
    /// A child is starting: wait.
    Starting,
    /// Relay to the child at this address.
    Ready(std::net::SocketAddr),
    /// The build failed or the app exited: show this.
    Failed(String),
}

/// How to supervise: what to watch, how to build, how to start the child.
#[derive(Debug, Clone)]
pub(crate) struct Reloader {
    /// The app's root (its crate directory): `src/`, `Cargo.toml`, `build.rs` under it.
    pub(crate) root: PathBuf,
    /// More files or folders to watch (`--extra-files`).
    pub(crate) extra: Vec<PathBuf>,
    /// The child's arguments after the program name (`run --port 0 ...`).
    pub(crate) child_args: Vec<String>,
    /// The app's name, for messages.
    pub(crate) name: String,
    /// Whether the app runs in debug mode, for the banner.
    pub(crate) debug: bool,
}

impl Reloader {
    /// Serves on `listener` until SIGINT/SIGTERM, restarting the child after each
    /// successful build.
    pub(crate) async fn run(self, listener: TcpListener) -> Result<(), BoxError> {
        let addr = listener.local_addr()?;
        println!(" * Serving Flask app '{}'", self.name);
        println!(" * Debug mode: {}", if self.debug { "on" } else { "off" });
        println!(" * Running on http://{addr}");
        println!(
            " * Restarting with reloader: watching {}",
            self.root.display()
        );
        println!("Press CTRL+C to quit");
        let (target_tx, target_rx) = watch::channel(Target::Starting);
        let accept = tokio::spawn(accept_loop(listener, target_rx));
        let (_watcher, changes) = watch_files(&self.root, &self.extra)?;
        let result = tokio::select! {
            r = self.supervise(target_tx, changes) => r,
            () = crate::server::shutdown_signal() => Ok(()),
        };
        accept.abort();
        result
    }

    async fn supervise(
        &self,
        target: watch::Sender<Target>,
        mut changes: mpsc::UnboundedReceiver<PathBuf>,
    ) -> Result<(), BoxError> {
        let exe = std::env::current_exe()?;
        let mut child = Some(self.start_child(&exe, &target).await?);
        loop {
            let changed = tokio::select! {
                Some(path) = changes.recv() => path,
                status = wait_child(&mut child) => {
                    // The app stopped by itself (a panic at startup, `exit`): say so in the
                    // browser and wait for the next change.
                    let message = format!("The app exited ({status}). Fix it and save a file to restart.");
                    eprintln!(" * {message}");
                    target.send_replace(Target::Failed(message));
                    child = None;
                    match changes.recv().await {
                        Some(path) => path,
                        None => return Ok(()),
                    }
                }
            };
            // Let a burst of saves settle (editors write several files), then build once.
            tokio::time::sleep(Duration::from_millis(200)).await;
            while changes.try_recv().is_ok() {}
            println!(
                " * Detected change in '{}', rebuilding",
                changed
                    .strip_prefix(&self.root)
                    .unwrap_or(&changed)
                    .display()
            );
            match build(&self.root, &exe).await {
                Ok(()) => {
                    println!(" * Restarting");
                    // The new app starts beside the old one, takes the new connections
                    // once it serves, and the old one finishes its requests and stops.
                    let old = child.take();
                    match self.start_child(&exe, &target).await {
                        Ok(c) => child = Some(c),
                        Err(e) => {
                            target.send_replace(Target::Failed(e.to_string()));
                        }
                    }
                    if let Some(old) = old {
                        tokio::spawn(stop_gracefully(old));
                    }
                }
                Err(output) => {
                    eprintln!(" * The build failed; the browser shows why:\n{output}");
                    target.send_replace(Target::Failed(output));
                    if let Some(old) = child.take() {
                        tokio::spawn(stop_gracefully(old));
                    }
                }
            }
        }
    }

    /// Starts the app on a loopback port and waits for its "Running on" line.
    async fn start_child(
        &self,
        exe: &Path,
        target: &watch::Sender<Target>,
    ) -> Result<Child, BoxError> {
        let mut child = Command::new(exe)
            .args(&self.child_args)
            .env(CHILD_ENV, "1")
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
        let stdout = child.stdout.take().ok_or("the child has no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        while let Some(line) = lines.next_line().await? {
            if let Some(addr) = line
                .split_once("Running on http://")
                .and_then(|(_, a)| a.trim().parse().ok())
            {
                target.send_replace(Target::Ready(addr));
                // Keep forwarding what the app prints.
                tokio::spawn(async move {
                    while let Ok(Some(line)) = lines.next_line().await {
                        println!("{line}");
                    }
                });
                return Ok(child);
            }
            // The child's banner repeats ours, but for the debugger's PIN; the rest is the
            // app's own output.
            if line.starts_with(" * Debugger")
                || (!line.starts_with(" * ") && !line.starts_with("Press CTRL+C"))
            {
                println!("{line}");
            }
        }
        let status = child.wait().await?;
        Err(format!("the app exited before serving ({status})").into())
    }
}

/// SIGTERM (the app finishes the requests in flight), then SIGKILL after ten seconds.
async fn stop_gracefully(mut child: Child) {
    if let Some(pid) = child.id() {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await;
    }
    if tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .is_err()
    {
        let _ = child.kill().await;
    }
}

async fn wait_child(child: &mut Option<Child>) -> std::process::ExitStatus {
    match child {
        Some(c) => match c.wait().await {
            Ok(status) => status,
            Err(_) => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}

/// Runs the build: `FLASK_RUN_BUILD_COMMAND` through the shell, or `cargo build` of the
/// running binary (with `--release` when it is a release build). `Err` holds the output.
async fn build(root: &Path, exe: &Path) -> Result<(), String> {
    let mut command = match std::env::var(BUILD_ENV) {
        Ok(script) if !script.trim().is_empty() => {
            let mut c = Command::new("sh");
            c.arg("-c").arg(script);
            c
        }
        _ => {
            let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
            c.arg("build").arg("--color").arg("never");
            c.arg("--manifest-path").arg(root.join("Cargo.toml"));
            if let Some(bin) = exe.file_stem() {
                c.arg("--bin").arg(bin);
            }
            if exe.components().any(|c| c.as_os_str() == "release") {
                c.arg("--release");
            }
            c
        }
    };
    let output = command
        .current_dir(root)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|e| format!("cannot run the build: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stdout));
        Err(format!(
            "The build failed ({}):\n\n{}",
            output.status,
            text.trim_end()
        ))
    }
}

/// Sends the path of every changed source file: `.rs` and `.toml` files under `root` (not
/// under `target/`), and anything under the extra paths.
/// The watcher stops when dropped.
fn watch_files(
    root: &Path,
    extra: &[PathBuf],
) -> Result<(notify::RecommendedWatcher, mpsc::UnboundedReceiver<PathBuf>), BoxError> {
    use notify::{EventKind, RecursiveMode, Watcher};
    let (tx, rx) = mpsc::unbounded_channel();
    let root_owned = root.to_path_buf();
    let extra_owned: Vec<PathBuf> = extra.to_vec();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if matches!(event.kind, EventKind::Access(_) | EventKind::Other) {
            return;
        }
        for path in event.paths {
            let is_extra = extra_owned.iter().any(|e| path.starts_with(e));
            let is_source = path.starts_with(&root_owned)
                && !path
                    .strip_prefix(&root_owned)
                    .is_ok_and(|p| p.starts_with("target") || p.starts_with(".git"))
                && path.extension().is_some_and(|e| e == "rs" || e == "toml");
            if is_extra || is_source {
                let _ = tx.send(path);
            }
        }
    })
    .map_err(|e| format!("cannot watch files: {e}"))?;
    for dir in ["src", "build.rs", "Cargo.toml"] {
        let path = root.join(dir);
        if path.exists() {
            watcher
                .watch(&path, RecursiveMode::Recursive)
                .map_err(|e| format!("cannot watch {}: {e}", path.display()))?;
        }
    }
    for path in extra {
        watcher
            .watch(path, RecursiveMode::Recursive)
            .map_err(|e| format!("cannot watch {}: {e}", path.display()))?;
    }
    Ok((watcher, rx))
}

async fn accept_loop(listener: TcpListener, target: watch::Receiver<Target>) {
    loop {
        let Ok((conn, _)) = listener.accept().await else {
            continue;
        };
        let target = target.clone();
        tokio::spawn(async move {
            let _ = relay(conn, target).await;
        });
    }
}

/// How much of a request the relay keeps to resend it when the child stops before
/// answering (a restart racing the request); larger requests are not resent.
const REPLAY_LIMIT: usize = 1 << 20;

/// Relays one connection to the child, waiting while it starts; answers with the failure
/// page while there is no child to relay to.
///
/// Until the child's first response byte, everything the client sent is kept: if the child
/// stops before answering (an old app shutting down as the new one takes over), the same
/// bytes go to whatever the state is now.
async fn relay(mut conn: TcpStream, mut target: watch::Receiver<Target>) -> std::io::Result<()> {
    let mut sent: Vec<u8> = Vec::new();
    let mut replayable = true;
    loop {
        let current = target
            .wait_for(|t| !matches!(t, Target::Starting))
            .await
            .map_err(std::io::Error::other)?
            .clone();
        let addr = match current {
            Target::Ready(addr) => addr,
            Target::Failed(output) => return failure_page(conn, &output, !sent.is_empty()).await,
            Target::Starting => continue,
        };
        let Ok(mut upstream) = TcpStream::connect(addr).await else {
            // That child stopped between reading the state and connecting: look again once
            // the state moved on (or shortly, if it already had).
            let _ = tokio::time::timeout(Duration::from_millis(100), target.changed()).await;
            continue;
        };
        if upstream.write_all(&sent).await.is_err() {
            continue;
        }
        // Until the first response byte: forward the client's bytes, keeping a copy.
        let mut from_client = [0u8; 16 * 1024];
        let mut first = [0u8; 16 * 1024];
        let answered = loop {
            tokio::select! {
                n = conn.read(&mut from_client) => {
                    let n = n?;
                    if n == 0 {
                        return Ok(());
                    }
                    if replayable {
                        sent.extend_from_slice(&from_client[..n]);
                        replayable = sent.len() <= REPLAY_LIMIT;
                    }
                    if upstream.write_all(&from_client[..n]).await.is_err() {
                        break None;
                    }
                }
                n = upstream.read(&mut first) => match n {
                    Ok(n) if n > 0 => break Some(n),
                    _ => break None,
                },
            }
        };
        match answered {
            Some(n) => {
                conn.write_all(&first[..n]).await?;
                tokio::io::copy_bidirectional(&mut conn, &mut upstream).await?;
                return Ok(());
            }
            None if replayable => {
                let _ = tokio::time::timeout(Duration::from_millis(100), target.changed()).await;
            }
            None => return Ok(()),
        }
    }
}

/// A 500 with the build output; it refreshes itself every two seconds.
async fn failure_page(
    mut conn: TcpStream,
    output: &str,
    request_read: bool,
) -> std::io::Result<()> {
    // Read the request's head first, so the client sees a response, not a reset.
    if !request_read {
        let mut head = Vec::new();
        let mut buf = [0u8; 4096];
        let read_head = async {
            while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
                match conn.read(&mut buf).await {
                    Ok(n) if n > 0 => head.extend_from_slice(&buf[..n]),
                    _ => break,
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(2), read_head).await;
    }
    let body = format!(
        "<!doctype html>\n<html lang=en>\n<head><meta charset=utf-8>\
         <meta http-equiv=refresh content=2>\
         <title>Build failed // Flask reloader</title>\
         <style>body{{font-family:system-ui,sans-serif;margin:1em 2em}}\
         h1{{color:#a00}}pre{{background:#fdecea;padding:1em;overflow-x:auto}}</style></head>\n\
         <body>\n<h1>The app is not running</h1>\n<pre class=build-output>{}</pre>\n\
         <p>This page reloads itself; it shows the app again once a build succeeds.</p>\n\
         </body>\n</html>\n",
        escape_html(output)
    );
    let head = format!(
        "HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/html; charset=utf-8\r\n\
         content-length: {}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await?;
    conn.write_all(body.as_bytes()).await?;
    conn.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One GET through the supervisor at `addr`: the whole response.
    async fn get(addr: std::net::SocketAddr) -> String {
        let mut c = TcpStream::connect(addr).await.unwrap();
        c.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .unwrap();
        let mut out = String::new();
        c.read_to_string(&mut out).await.unwrap();
        out
    }

    #[tokio::test]
    async fn connections_wait_for_the_child_and_see_build_failures() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = watch::channel(Target::Starting);
        let accept = tokio::spawn(accept_loop(listener, rx));

        // An upstream that answers one request.
        let upstream = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let up_addr = upstream.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut c, _) = upstream.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = c.read(&mut buf).await.unwrap();
            c.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                .await
                .unwrap();
        });

        // Connected while "starting": answered once the child is ready, never refused.
        let client = tokio::spawn(get(addr));
        tokio::time::sleep(Duration::from_millis(100)).await;
        tx.send_replace(Target::Ready(up_addr));
        assert!(client.await.unwrap().ends_with("\r\n\r\nok"));

        tx.send_replace(Target::Failed(
            "error[E0425]: cannot find value `x`".to_owned(),
        ));
        let out = get(addr).await;
        assert!(out.starts_with("HTTP/1.1 500"), "{out}");
        assert!(out.contains("error[E0425]: cannot find value `x`"), "{out}");
        accept.abort();
    }
}
