//! A real server on a loopback port: requests in flight finish on shutdown.

#[path = "common/logs.rs"]
mod logs;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use flask::Flask;
use flask::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[flask::view]
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
    let (captured, _guard) = logs::capture();

    #[flask::view]
    async fn ok() -> &'static str {
        "ok"
    }
    for (debug, expect_lines) in [(true, true), (false, false)] {
        captured.clear();
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
        let log = captured.text();
        assert_eq!(log.contains("GET /ok?x=1 200 "), expect_lines, "{log}");
        assert_eq!(log.contains("GET /missing 404 "), expect_lines, "{log}");
    }
}

#[flask::view]
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

/// Serves `app` with these config values on a loopback port until the test ends.
async fn serve_with(config: &[(&str, serde_json::Value)], app: Flask) -> std::net::SocketAddr {
    let app = app
        .configure(|c| {
            for (key, value) in config {
                c.set(key, value.clone());
            }
        })
        .build()
        .unwrap();
    serve(app).await
}

/// Reads until the server closes the connection; what it sent. Fails the test if it is
/// still open after 10 s.
async fn read_until_closed(conn: &mut TcpStream) -> String {
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut out))
        .await
        .expect("the server closes the connection")
        .ok();
    String::from_utf8_lossy(&out).into_owned()
}

#[flask::view]
async fn ok() -> &'static str {
    "ok"
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let addr = serve_with(
        &[("SERVER_HEADER_TIMEOUT", serde_json::json!(0.3))],
        Flask::new("slowloris").route("/", get(ok)),
    )
    .await;
    let mut stalled = TcpStream::connect(addr).await.unwrap();
    stalled
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: 1\r\n")
        .await
        .unwrap();
    let out = read_until_closed(&mut stalled).await;
    assert!(!out.contains("200 OK"), "{out}");
    // A connection that sends nothing at all is closed too.
    let mut silent = TcpStream::connect(addr).await.unwrap();
    read_until_closed(&mut silent).await;
    // Others are served meanwhile.
    assert!(request(addr, "/").await.ends_with("ok"));
}

#[tokio::test]
async fn a_half_sent_head_does_not_hold_up_a_shutdown() {
    let app = Flask::new("half").route("/", get(ok)).build().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.serve_with_shutdown(listener, async {
        let _ = rx.await;
    }));
    let mut stalled = TcpStream::connect(addr).await.unwrap();
    stalled
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    tx.send(()).unwrap();
    // Well before SERVER_SHUTDOWN_TIMEOUT (30 s): the idle connection is closed.
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server stopped")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_and_a_busy_one_is_not() {
    #[flask::view]
    async fn slow_ok() -> &'static str {
        tokio::time::sleep(Duration::from_millis(800)).await;
        "slow ok"
    }
    let addr = serve_with(
        &[("SERVER_KEEPALIVE_TIMEOUT", serde_json::json!(0.2))],
        Flask::new("idle")
            .route("/", get(ok))
            .route("/slow", get(slow_ok)),
    )
    .await;
    let mut conn = TcpStream::connect(addr).await.unwrap();
    conn.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let out = read_until_closed(&mut conn).await;
    assert!(
        out.starts_with("HTTP/1.1 200") && out.ends_with("ok"),
        "{out}"
    );
    // A request that takes longer than the keep-alive timeout is answered in full.
    let mut conn = TcpStream::connect(addr).await.unwrap();
    conn.write_all(b"GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let out = read_until_closed(&mut conn).await;
    assert!(out.ends_with("slow ok"), "{out}");
}

#[tokio::test]
async fn a_response_streamed_for_longer_than_the_keep_alive_timeout_is_not_cut() {
    #[flask::view]
    async fn ticks() -> flask::Response {
        let chunks = futures_util::stream::unfold(0u32, |n| async move {
            if n == 4 {
                return None;
            }
            // Pauses longer than the keep-alive timeout (server-sent events' heartbeats).
            tokio::time::sleep(Duration::from_millis(400)).await;
            Some((Ok::<_, std::io::Error>(format!("tick {n}\n")), n + 1))
        });
        flask::Response::new(axum::body::Body::from_stream(chunks))
    }
    let addr = serve_with(
        &[("SERVER_KEEPALIVE_TIMEOUT", serde_json::json!(0.2))],
        Flask::new("stream").route("/ticks", get(ticks)),
    )
    .await;
    let mut conn = TcpStream::connect(addr).await.unwrap();
    conn.write_all(b"GET /ticks HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let out = read_until_closed(&mut conn).await;
    assert!(out.contains("tick 3\n"), "{out}");
}

#[tokio::test]
async fn past_max_connections_the_server_waits_for_one_to_close() {
    let seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = seen.clone();
    let addr = serve_with(
        &[("SERVER_MAX_CONNECTIONS", serde_json::json!(1))],
        Flask::new("capped").route(
            "/",
            get(move || {
                let counter = counter.clone();
                async move {
                    counter.fetch_add(1, Ordering::SeqCst);
                    "ok"
                }
            }),
        ),
    )
    .await;
    // The one connection allowed, kept open after its request.
    let mut first = TcpStream::connect(addr).await.unwrap();
    first
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = first.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).ends_with("ok"));
    // A second one waits in the listen queue: its request does not reach the app...
    let mut second = TcpStream::connect(addr).await.unwrap();
    second
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(seen.load(Ordering::SeqCst), 1);
    // ...until the first closes.
    drop(first);
    let out = read_until_closed(&mut second).await;
    assert!(out.ends_with("ok"), "{out}");
    assert_eq!(seen.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn pipelined_requests_are_all_answered_in_order() {
    let addr = serve_with(&[], Flask::new("pipeline").route("/", get(ok))).await;
    let base = format!("http://{addr}");
    let responses = pipelined(&base, 16).await;
    assert_eq!(responses, 16);
}

/// Writes `n` requests at once on one connection and counts the complete responses.
async fn pipelined(base: &str, n: usize) -> usize {
    let host = base.trim_start_matches("http://");
    let mut conn = TcpStream::connect(host).await.unwrap();
    let one = format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");
    let last = format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    let all = format!("{}{last}", one.repeat(n - 1));
    conn.write_all(all.as_bytes()).await.unwrap();
    let out = read_until_closed(&mut conn).await;
    let answered = out.matches("HTTP/1.1 200 OK").count();
    assert_eq!(out.matches("\r\n\r\nok").count(), answered, "{out}");
    answered
}

#[tokio::test]
async fn a_head_larger_than_the_limit_is_not_read_further() {
    let addr = serve_with(
        &[("SERVER_MAX_HEADER_SIZE", serde_json::json!(16384))],
        Flask::new("big-head").route("/", get(ok)),
    )
    .await;
    let mut conn = TcpStream::connect(addr).await.unwrap();
    let big = "a".repeat(17 * 1024);
    conn.write_all(format!("GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: {big}").as_bytes())
        .await
        .unwrap();
    // hyper 1.12 closes such a connection (its 431 does not reach the client here).
    let out = read_until_closed(&mut conn).await;
    assert!(!out.contains("200 OK"), "{out}");
    // Within the limit it is served.
    let mut conn = TcpStream::connect(addr).await.unwrap();
    let fits = "a".repeat(8 * 1024);
    conn.write_all(
        format!("GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: {fits}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .await
    .unwrap();
    assert!(read_until_closed(&mut conn).await.ends_with("ok"));
}

#[tokio::test]
async fn a_zero_or_too_small_server_limit_is_refused_naming_the_key() {
    for (key, value) in [
        ("SERVER_HEADER_TIMEOUT", serde_json::json!(0)),
        ("SERVER_KEEPALIVE_TIMEOUT", serde_json::json!(-1)),
        ("SERVER_MAX_CONNECTIONS", serde_json::json!(0)),
        ("SERVER_MAX_HEADER_SIZE", serde_json::json!(100)),
    ] {
        let app = Flask::new("bad")
            .configure(|c| c.set(key, value.clone()))
            .build()
            .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let err = app
            .serve_with_shutdown(listener, std::future::pending())
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(key), "{key}: {err}");
    }
}
