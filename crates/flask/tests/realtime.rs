//! Realtime in the core: server-sent events, WebSocket routes, `stream_with_context`, the
//! hub's rooms, and the limits every stream counts against.

#[path = "common/rooms.rs"]
mod rooms;
use rooms::{publish, room_stream};

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use flask::realtime::Hub;
use flask::routing::{get, post, websocket};
use flask::sse::{Event, EventStream};
use flask::testing::TestMessage;
use flask::ws::{WebSocket, WebSocketUpgrade};
use flask::{
    Blueprint, Error, Flask, Path, RequestContext, Session, StatusCode, stream_with_context,
};
use futures_util::StreamExt as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[flask::view]
async fn countdown(Path(n): Path<u32>) -> EventStream {
    let events = futures_util::stream::iter((1..=n).rev().map(|i| {
        Event::data(format!("{i} left\nkeep going"))
            .id(i.to_string())
            .event("tick")
    }));
    EventStream::new(events).retry(Duration::from_secs(2))
}

#[flask::view]
async fn quiet() -> EventStream {
    EventStream::new(futures_util::stream::pending())
}

fn app() -> Flask {
    Flask::new("realtime")
        .configure(|c| {
            c.set("SECRET_KEY", "realtime tests");
        })
        .route("/countdown/<int:n>", get(countdown))
        .route("/rooms/<room>/events", get(room_stream))
        .route("/rooms/<room>", post(publish))
        .route("/quiet", get(quiet))
}

#[tokio::test]
async fn an_event_stream_sends_ids_names_multiline_data_and_retry() {
    let client = app().test_client();
    let stream = client.get("/countdown/3").stream().await;
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.header("content-type"), Some("text/event-stream"));
    assert_eq!(stream.header("cache-control"), Some("no-cache"));
    let raw = stream.text().await;
    assert!(
        raw.starts_with("retry: 2000\n\nid: 3\nevent: tick\ndata: 3 left\ndata: keep going\n\n"),
        "{raw}"
    );
    let mut events = client.get("/countdown/3").stream().await.events();
    let got = events.take(3).await;
    assert_eq!(
        got.iter().map(|e| e.get_id().unwrap()).collect::<Vec<_>>(),
        ["3", "2", "1"]
    );
    assert_eq!(got[0].get_data(), Some("3 left\nkeep going"));
    assert_eq!(got[0].get_event(), Some("tick"));
    assert!(
        events.next().await.is_none(),
        "the stream ends with its source"
    );
}

#[tokio::test]
async fn a_quiet_stream_sends_keep_alive_comments() {
    let client = app()
        .configure(|c| {
            c.set("SSE_KEEPALIVE", 0.05);
        })
        .test_client();
    let mut stream = client.get("/quiet").stream().await;
    let mut seen = String::new();
    while !seen.contains(":\n\n:\n\n") {
        seen.push_str(&String::from_utf8_lossy(&stream.chunk().await.unwrap()));
    }
    assert_eq!(client.app().open_streams(), 1);
    drop(stream);
    assert_eq!(
        client.app().open_streams(),
        0,
        "a client that left frees its slot"
    );
}

#[tokio::test]
async fn published_messages_reach_subscribers_and_a_reconnect_resumes_after_its_last_id() {
    let client = app().test_client();
    let mut first = client.get("/rooms/news/events").stream().await.events();
    let mut other_room = client.get("/rooms/sport/events").stream().await.events();
    let id1 = client.post("/rooms/news").body("one").send().await.text();
    let id2 = client.post("/rooms/news").body("two").send().await.text();
    client.post("/rooms/sport").body("goal").send().await;
    let e1 = first.next().await.unwrap();
    assert_eq!(
        (e1.get_id(), e1.get_event(), e1.get_data()),
        (Some(id1.as_str()), Some("note"), Some("\"one\""))
    );
    assert_eq!(first.next().await.unwrap().get_id(), Some(id2.as_str()));
    assert_eq!(
        other_room.next().await.unwrap().get_data(),
        Some("\"goal\"")
    );
    drop(first);
    // Published while the browser was away; it comes back with Last-Event-ID.
    let id3 = client.post("/rooms/news").body("three").send().await.text();
    let mut back = client
        .get("/rooms/news/events")
        .header("Last-Event-ID", &id1)
        .stream()
        .await
        .events();
    let replayed = back.take(2).await;
    assert_eq!(replayed[0].get_id(), Some(id2.as_str()));
    assert_eq!(replayed[1].get_id(), Some(id3.as_str()));
    // An id the room no longer keeps (or never had) resumes with new messages only.
    let mut unknown = client
        .get("/rooms/news/events")
        .header("Last-Event-ID", "no-such-id")
        .stream()
        .await
        .events();
    let id4 = client.post("/rooms/news").body("four").send().await.text();
    assert_eq!(unknown.next().await.unwrap().get_id(), Some(id4.as_str()));
}

#[tokio::test]
async fn a_subscriber_that_falls_behind_is_ended_not_buffered_for() {
    let app = app()
        .configure(|c| {
            c.set("REALTIME_ROOM_BUFFER", 4);
        })
        .build()
        .unwrap();
    let hub = app.hub().clone();
    let mut slow = hub.subscribe("busy").unwrap();
    for i in 0..10 {
        hub.publish("busy", i.to_string()).await.unwrap();
    }
    assert!(
        slow.recv().await.is_none(),
        "ten messages behind a buffer of four: the subscription ends"
    );
    let mut fresh = hub.subscribe("busy").unwrap();
    hub.publish("busy", "next").await.unwrap();
    assert_eq!(fresh.recv().await.unwrap().data, "next");
}

#[tokio::test]
async fn rooms_are_bounded_and_idle_ones_are_forgotten_first() {
    let app = app()
        .configure(|c| {
            c.set("REALTIME_MAX_ROOMS", 2);
        })
        .build()
        .unwrap();
    let hub = app.hub().clone();
    let _a = hub.subscribe("a").unwrap();
    hub.publish("idle", "x").await.unwrap();
    let _b = hub.subscribe("b").unwrap();
    assert_eq!(hub.room_count(), 2, "the idle room made way");
    let err = hub.subscribe("c").unwrap_err();
    assert_eq!(err.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(err.to_string().contains("REALTIME_MAX_ROOMS"), "{err}");
}

#[tokio::test]
async fn streams_are_limited_per_client_and_in_total() {
    let client = app()
        .configure(|c| {
            c.set("REALTIME_MAX_STREAMS_PER_CLIENT", 2);
            c.set("REALTIME_MAX_STREAMS", 3);
        })
        .test_client();
    let a1 = client.get("/quiet").stream().await;
    let _a2 = client.get("/quiet").stream().await;
    let refused = client.get("/quiet").send().await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        refused.text().contains("REALTIME_MAX_STREAMS_PER_CLIENT"),
        "{}",
        refused.text()
    );
    let other: std::net::IpAddr = "10.0.0.9".parse().unwrap();
    let _b1 = client.get("/quiet").remote_addr(other).stream().await;
    let full = client
        .get("/quiet")
        .remote_addr("10.0.0.10".parse().unwrap())
        .send()
        .await;
    assert_eq!(full.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(full.header("retry-after").is_some());
    drop(a1);
    assert_eq!(client.get("/quiet").stream().await.status(), 200);
}

#[tokio::test]
async fn closing_the_streams_sends_a_last_event_and_refuses_new_ones() {
    let client = app().test_client();
    let mut events = client.get("/quiet").stream().await.events();
    client.app().close_streams();
    let last = events.next().await.unwrap();
    assert_eq!(last.get_event(), Some("close"));
    assert!(events.next().await.is_none());
    assert_eq!(client.get("/quiet").send().await.status(), 503);
}

// stream_with_context

#[flask::view]
async fn report(session: Session) -> impl flask::IntoResponse {
    let who: String = session.get("user").unwrap_or_default();
    let rows = futures_util::stream::iter(1..=3).then(move |n| {
        let who = who.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            let ctx = RequestContext::try_current().expect("inside the request");
            format!("{n},{who},{}\n", ctx.url_for("report").build().unwrap())
        }
    });
    (
        [(http::header::CONTENT_TYPE, "text/csv")],
        stream_with_context(rows),
    )
}

#[flask::view]
async fn login(session: Session) -> &'static str {
    session.insert("user", "ada");
    "ok"
}

#[tokio::test]
async fn stream_with_context_runs_in_the_request_and_tears_down_after_the_last_byte() {
    let torn_down = Arc::new(AtomicUsize::new(0));
    let seen = torn_down.clone();
    let client = Flask::new("streams")
        .configure(|c| {
            c.set("SECRET_KEY", "s");
        })
        .route("/report.csv", get(report))
        .route("/login", get(login))
        .teardown_request(move |_ctx, _err| {
            let seen = seen.clone();
            async move {
                seen.fetch_add(1, Ordering::SeqCst);
            }
        })
        .test_client();
    client.get("/login").send().await;
    let before = torn_down.load(Ordering::SeqCst);
    let mut stream = client.get("/report.csv").stream().await;
    assert_eq!(stream.header("content-type"), Some("text/csv"));
    let first = stream.chunk().await.unwrap();
    assert_eq!(&first[..], b"1,ada,/report.csv\n");
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(
        torn_down.load(Ordering::SeqCst),
        before,
        "no teardown while the body is being sent"
    );
    assert_eq!(
        stream.text().await,
        "2,ada,/report.csv\n3,ada,/report.csv\n"
    );
    wait_for(|| torn_down.load(Ordering::SeqCst) == before + 1).await;

    // A client that leaves half way tears the request down too.
    let mut stream = client.get("/report.csv").stream().await;
    stream.chunk().await.unwrap();
    drop(stream);
    wait_for(|| torn_down.load(Ordering::SeqCst) == before + 2).await;
}

async fn wait_for(mut done: impl FnMut() -> bool) {
    for _ in 0..200 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the condition did not hold within 2 s");
}

// WebSockets

#[flask::view]
async fn echo(ws: WebSocketUpgrade, session: Session) -> flask::Response {
    let who: String = session
        .get("user")
        .unwrap_or_else(|| "anonymous".to_owned());
    ws.on_upgrade(move |mut socket: WebSocket| async move {
        if socket.send_text(format!("hello {who}")).await.is_err() {
            return;
        }
        while let Some(msg) = socket.recv().await {
            if socket.send(msg).await.is_err() {
                break;
            }
        }
    })
}

#[flask::view]
async fn chat_room(
    ws: WebSocketUpgrade,
    hub: Hub,
    Path(room): Path<String>,
) -> Result<flask::Response, Error> {
    let mut messages = hub.subscribe(&room)?;
    Ok(ws.on_upgrade(move |mut socket| async move {
        loop {
            tokio::select! {
                incoming = socket.recv_json::<serde_json::Value>() => match incoming {
                    Some(v) => { let _ = hub.emit(&room, "said", &v).await; }
                    None => break,
                },
                Some(m) = messages.recv() => {
                    if socket.send_text(m.data.clone()).await.is_err() { break }
                }
            }
        }
    }))
}

fn ws_app() -> Flask {
    let admin = Blueprint::new("admin")
        .url_prefix("/admin")
        .before_request(|| async { Err::<(), _>(flask::abort_with(403, "admins only")) })
        .route("/feed", websocket(echo));
    app()
        .route("/echo", websocket(echo))
        .route("/login", get(login))
        .route("/chat/<room>", websocket(chat_room))
        .blueprint(admin)
}

#[tokio::test]
async fn a_websocket_route_echoes_and_sees_the_session_of_its_handshake() {
    let client = ws_app().test_client();
    assert_eq!(
        client.app().url_for("echo").relative().build().unwrap(),
        "/echo"
    );
    let mut ws = client.get("/echo").websocket().await.unwrap();
    assert_eq!(ws.status(), 101);
    assert_eq!(ws.recv_text().await.as_deref(), Some("hello anonymous"));
    ws.send_text("ping?").await;
    assert_eq!(ws.recv_text().await.as_deref(), Some("ping?"));
    ws.send_binary(&[1, 2, 3]).await;
    assert_eq!(ws.recv().await, Some(TestMessage::Binary(vec![1, 2, 3])));
    assert_eq!(client.app().open_streams(), 1);
    ws.close().await;
    wait_for(|| client.app().open_streams() == 0).await;

    client.get("/login").send().await;
    let mut ws = client.get("/echo").websocket().await.unwrap();
    assert_eq!(ws.recv_text().await.as_deref(), Some("hello ada"));
}

#[tokio::test]
async fn handshakes_are_checked_before_the_socket_opens() {
    let client = ws_app().test_client();
    // A plain GET is told what the URL is for.
    let plain = client.get("/echo").send().await;
    assert_eq!(plain.status(), 400);
    assert!(plain.text().contains("WebSocket"), "{}", plain.text());
    // A page on another site cannot open a socket with the visitor's cookies.
    let refused = client
        .get("/echo")
        .header("Origin", "https://evil.example")
        .websocket()
        .await
        .unwrap_err();
    assert_eq!(refused.status(), 403);
    assert!(
        refused.text().contains("WEBSOCKET_ALLOWED_ORIGINS"),
        "{}",
        refused.text()
    );
    // The page's own origin is fine.
    assert!(
        client
            .get("/echo")
            .header("Origin", "http://localhost")
            .websocket()
            .await
            .is_ok()
    );
    // A blueprint's before_request hook answers the handshake.
    let hooked = client.get("/admin/feed").websocket().await.unwrap_err();
    assert_eq!(hooked.status(), 403);
    assert!(hooked.text().contains("admins only"));
    // Allowed origins are listed in the config.
    let client = ws_app()
        .configure(|c| {
            c.set("WEBSOCKET_ALLOWED_ORIGINS", vec!["https://app.example"]);
        })
        .test_client();
    assert!(
        client
            .get("/echo")
            .header("Origin", "https://app.example")
            .websocket()
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn websockets_count_against_the_stream_limits() {
    let client = ws_app()
        .configure(|c| {
            c.set("REALTIME_MAX_STREAMS_PER_CLIENT", 1);
        })
        .test_client();
    let _open = client.get("/echo").websocket().await.unwrap();
    let refused = client.get("/echo").websocket().await.unwrap_err();
    assert_eq!(refused.status(), 429);
}

#[tokio::test]
async fn messages_in_a_room_reach_every_socket_in_it() {
    let client = ws_app().test_client();
    let mut ada = client.get("/chat/lobby").websocket().await.unwrap();
    let mut bob = client.get("/chat/lobby").websocket().await.unwrap();
    ada.send_json(&serde_json::json!({"text": "hi all"})).await;
    let to_bob: serde_json::Value = bob.recv_json().await;
    let to_ada: serde_json::Value = ada.recv_json().await;
    assert_eq!(to_bob["text"], "hi all");
    assert_eq!(to_ada, to_bob);
}

#[tokio::test]
async fn a_silent_websocket_is_pinged_then_closed_and_shutdown_closes_with_1001() {
    let client = ws_app()
        .configure(|c| {
            c.set("WEBSOCKET_PING_INTERVAL", 0.05);
            c.set("WEBSOCKET_IDLE_TIMEOUT", 0.2);
        })
        .test_client();
    let mut ws = client.get("/echo").websocket().await.unwrap();
    ws.recv_text().await;
    // The test socket answers pings only while it reads: here it does not.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        ws.recv().await,
        Some(TestMessage::Close(Some((
            1001,
            "idle for too long".to_owned()
        ))))
    );

    let client = ws_app().test_client();
    let mut ws = client.get("/echo").websocket().await.unwrap();
    ws.recv_text().await;
    client.app().close_streams();
    assert_eq!(
        ws.recv().await,
        Some(TestMessage::Close(Some((
            1001,
            "the server is shutting down".to_owned()
        ))))
    );
}

#[tokio::test]
async fn a_message_over_the_size_limit_closes_the_socket() {
    let client = ws_app()
        .configure(|c| {
            c.set("WEBSOCKET_MAX_MESSAGE_SIZE", 1024);
        })
        .test_client();
    let mut ws = client.get("/echo").websocket().await.unwrap();
    ws.recv_text().await;
    ws.send_text(&"x".repeat(4096)).await;
    match ws.recv().await {
        None | Some(TestMessage::Close(_)) => {}
        other => panic!("expected the socket to close, got {other:?}"),
    }
    wait_for(|| client.app().open_streams() == 0).await;
}

// A real server

async fn read_until(conn: &mut TcpStream, needle: &str) -> String {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains(needle) {
        let n = tokio::time::timeout(Duration::from_secs(10), conn.read(&mut buf))
            .await
            .expect("the server sent nothing for 10 s")
            .unwrap();
        if n == 0 {
            break;
        }
        seen.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&seen).into_owned()
}

/// Serves `app` on a free port until `stop` completes, and opens a connection that has sent
/// `GET path` and read the response's head: the server's task, the connection, the head.
async fn serve_and_get(
    app: &flask::App,
    path: &str,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> (
    tokio::task::JoinHandle<Result<(), flask::BoxError>>,
    TcpStream,
    String,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(app.clone().serve_with_shutdown(listener, stop));
    let mut conn = TcpStream::connect(addr).await.unwrap();
    conn.write_all(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let head = read_until(&mut conn, "\r\n\r\n").await;
    (server, conn, head)
}

#[tokio::test]
async fn a_shutdown_ends_open_event_streams_with_their_last_event_at_once() {
    let app = app().build().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (server, mut conn, head) = serve_and_get(&app, "/quiet", async {
        let _ = rx.await;
    })
    .await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let started = std::time::Instant::now();
    tx.send(()).unwrap();
    let rest = read_until(&mut conn, "the server is shutting down").await;
    assert!(rest.contains("event: close"), "{rest}");
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server stopped")
        .unwrap()
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the stream did not hold the shutdown for SERVER_SHUTDOWN_TIMEOUT"
    );
}

#[flask::view]
async fn firehose() -> EventStream {
    let big = "x".repeat(64 * 1024);
    EventStream::new(futures_util::stream::repeat_with(move || {
        Event::data(big.clone())
    }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_dropped_after_the_write_timeout() {
    let app = app()
        .configure(|c| {
            c.set("SERVER_WRITE_TIMEOUT", 0.5);
            c.set("SERVER_HEADER_TIMEOUT", 0.2);
            c.set("SERVER_KEEPALIVE_TIMEOUT", 0.2);
        })
        .route("/firehose", get(firehose))
        .build()
        .unwrap();
    // Read the head, then nothing: the socket's buffers fill and the server must let go.
    let (_server, _conn, _head) = serve_and_get(&app, "/firehose", std::future::pending()).await;
    wait_until_secs(5, || app.open_streams() == 0).await;
}

async fn wait_until_secs(secs: u64, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "the condition did not hold within {secs} s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_stream_whose_client_reads_is_not_taken_for_a_stalled_one() {
    let app = app()
        .configure(|c| {
            c.set("SERVER_WRITE_TIMEOUT", 0.3);
            c.set("SSE_KEEPALIVE", 30);
        })
        .build()
        .unwrap();
    let (_server, mut conn, _head) =
        serve_and_get(&app, "/rooms/quiet/events", std::future::pending()).await;
    wait_until_secs(5, || app.hub().subscriber_count("quiet") == 1).await;
    app.hub().publish("quiet", "first").await.unwrap();
    read_until(&mut conn, "data: first").await;
    // Everything was taken; nothing more comes for longer than the write timeout.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        app.open_streams(),
        1,
        "the reading client's stream is still open"
    );
    app.hub().publish("quiet", "second").await.unwrap();
    read_until(&mut conn, "data: second").await;
}
