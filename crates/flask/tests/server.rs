//! A real server on a loopback port: requests in flight finish on shutdown.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use flask::Flask;
use flask::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_millis(300)).await;
    "finished"
}

#[tokio::test]
async fn graceful_shutdown_finishes_requests_in_flight() {
    let shut_down = Arc::new(AtomicBool::new(false));
    let flag = shut_down.clone();
    let app = Flask::new("server")
        .route("/slow", get(slow))
        .on_shutdown(move |_| async move { flag.store(true, Ordering::SeqCst) })
        .build()
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.serve_with_shutdown(listener, async {
        let _ = rx.await;
    }));

    let mut conn = TcpStream::connect(addr).await.unwrap();
    conn.write_all(b"GET /slow HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    tx.send(()).unwrap();

    let mut out = String::new();
    conn.read_to_string(&mut out).await.unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(out.ends_with("finished"), "{out}");
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(shut_down.load(Ordering::SeqCst));
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the port is closed after shutdown"
    );
}

/// Collects what the fmt subscriber writes.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn request(addr: std::net::SocketAddr, path: &str) -> String {
    let mut conn = TcpStream::connect(addr).await.unwrap();
    conn.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut out = String::new();
    conn.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn debug_servers_log_one_line_per_request() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    async fn ok() -> &'static str {
        "ok"
    }
    for (debug, expect_lines) in [(true, true), (false, false)] {
        captured.0.lock().unwrap().clear();
        let app = Flask::new("log")
            .configure(|c| c.set("DEBUG", debug))
            .route("/ok", get(ok))
            .build()
            .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.serve_with_shutdown(listener, async {
            let _ = rx.await;
        }));
        assert!(request(addr, "/ok?x=1").await.ends_with("ok"));
        assert!(request(addr, "/missing").await.starts_with("HTTP/1.1 404"));
        tx.send(()).unwrap();
        server.await.unwrap().unwrap();
        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert_eq!(log.contains("GET /ok?x=1 200 "), expect_lines, "{log}");
        assert_eq!(log.contains("GET /missing 404 "), expect_lines, "{log}");
    }
}

async fn remote(ctx: flask::RequestContext) -> String {
    ctx.remote_addr().map(|a| a.to_string()).unwrap_or_default()
}

/// Serves `app` on a loopback port until the test ends; its address.
async fn serve(app: flask::App) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(app.serve_with_shutdown(listener, std::future::pending()));
    addr
}

#[tokio::test]
async fn remote_addr_is_the_connections_peer_and_layers_get_connect_info() {
    // Without tower layers the peer reaches the request context directly.
    let plain = Flask::new("peer").route("/", get(remote)).build().unwrap();
    let out = request(serve(plain).await, "/").await;
    assert!(out.ends_with("\r\n\r\n127.0.0.1"), "{out}");

    // An app's tower layers see the peer as axum serves it: ConnectInfo<SocketAddr>.
    let layered = Flask::new("peer-layered")
        .route("/", get(remote))
        .layer(axum::middleware::from_fn(
            |req: axum::extract::Request, next: axum::middleware::Next| async move {
                let peer = req
                    .extensions()
                    .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                    .map(|c| c.0.ip().to_string())
                    .unwrap_or_else(|| "none".to_owned());
                let mut resp = next.run(req).await;
                resp.headers_mut()
                    .insert("x-layer-peer", peer.parse().unwrap());
                resp
            },
        ))
        .build()
        .unwrap();
    let out = request(serve(layered).await, "/").await;
    assert!(out.contains("x-layer-peer: 127.0.0.1\r\n"), "{out}");
    assert!(out.ends_with("\r\n\r\n127.0.0.1"), "{out}");
}
