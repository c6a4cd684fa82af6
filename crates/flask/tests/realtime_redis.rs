//! Two instances of one app sharing the project's Redis: a message published on one
//! reaches the event streams and WebSockets of both (Flask-SocketIO's `message_queue`).
#![cfg(feature = "redis")]

#[path = "common/rooms.rs"]
mod rooms;
use rooms::{publish, room_stream};

use std::time::Duration;

use flask::realtime::Hub;
use flask::routing::{get, post, websocket};
use flask::testing::TestClient;
use flask::ws::WebSocketUpgrade;
use flask::{Error, Flask, Path};

/// The Redis URL from `cargo xtask test-all`, or `None` to skip (a failure when the run
/// requires services).
fn redis_url() -> Option<String> {
    match std::env::var("FLASK_TEST_REDIS_URL") {
        Ok(url) => Some(url),
        Err(_) if std::env::var("FLASK_TEST_REQUIRE_SERVICES").is_ok() => {
            panic!("FLASK_TEST_REDIS_URL is not set but services are required")
        }
        Err(_) => {
            eprintln!("skipped: FLASK_TEST_REDIS_URL is not set");
            None
        }
    }
}

#[flask::view]
async fn socket(
    ws: WebSocketUpgrade,
    hub: Hub,
    Path(room): Path<String>,
) -> Result<flask::Response, Error> {
    let mut messages = hub.subscribe(&room)?;
    Ok(ws.on_upgrade(move |mut socket| async move {
        loop {
            tokio::select! {
                incoming = socket.recv() => if incoming.is_none() { break },
                Some(m) = messages.recv() => {
                    if socket.send_text(m.data.clone()).await.is_err() { break }
                }
            }
        }
    }))
}

/// One instance; `prefix` keeps this test's channels apart from other tests'.
fn instance(url: &str, prefix: &str) -> TestClient {
    Flask::new("broadcast")
        .configure(|c| {
            c.set("REALTIME_MESSAGE_QUEUE", url);
            c.set("REALTIME_CHANNEL_PREFIX", prefix);
        })
        .route("/rooms/<room>/events", get(room_stream))
        .route("/rooms/<room>/socket", websocket(socket))
        .route("/rooms/<room>", post(publish))
        .test_client()
}

fn prefix(test: &str) -> String {
    format!("flask-test:{test}:{}:", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn a_message_published_on_one_instance_reaches_the_clients_of_both() {
    let Some(url) = redis_url() else { return };
    let prefix = prefix("both");
    let one = instance(&url, &prefix);
    let two = instance(&url, &prefix);
    let mut sse_one = one.get("/rooms/news/events").stream().await.events();
    let mut sse_two = two.get("/rooms/news/events").stream().await.events();
    let mut ws_one = one.get("/rooms/news/socket").websocket().await.unwrap();
    let mut ws_two = two.get("/rooms/news/socket").websocket().await.unwrap();
    // Wait for both subscriptions to be live in Redis before publishing.
    wait_subscribed(&one, &two, "news", 2).await;

    let id = one
        .post("/rooms/news")
        .body("hello from one")
        .send()
        .await
        .text();
    for events in [&mut sse_one, &mut sse_two] {
        let e = events.next().await.unwrap();
        assert_eq!(e.get_id(), Some(id.as_str()));
        assert_eq!(e.get_event(), Some("note"));
        assert_eq!(e.get_data(), Some("\"hello from one\""));
    }
    for ws in [&mut ws_one, &mut ws_two] {
        assert_eq!(ws.recv_text().await.as_deref(), Some("\"hello from one\""));
    }
    // And the other way round.
    two.post("/rooms/news").body("and from two").send().await;
    assert_eq!(
        sse_one.next().await.unwrap().get_data(),
        Some("\"and from two\"")
    );
    assert_eq!(
        ws_one.recv_text().await.as_deref(),
        Some("\"and from two\"")
    );

    // A browser that reconnects to the other instance resumes after its last event:
    // both instances kept the same history, with the same ids.
    let third = two
        .post("/rooms/news")
        .body("while away")
        .send()
        .await
        .text();
    sse_one.next().await.unwrap();
    let mut resumed = two
        .get("/rooms/news/events")
        .header("Last-Event-ID", &id)
        .stream()
        .await
        .events();
    let replayed = resumed.take(2).await;
    assert_eq!(replayed[0].get_data(), Some("\"and from two\""));
    assert_eq!(replayed[1].get_id(), Some(third.as_str()));
}

#[tokio::test]
async fn instances_with_another_prefix_do_not_hear_each_other() {
    let Some(url) = redis_url() else { return };
    let one = instance(&url, &prefix("a"));
    let other = instance(&url, &prefix("b"));
    let mut theirs = other.get("/rooms/news/events").stream().await.events();
    let mut mine = one.get("/rooms/news/events").stream().await.events();
    one.post("/rooms/news").body("mine").send().await;
    assert_eq!(mine.next().await.unwrap().get_data(), Some("\"mine\""));
    other.post("/rooms/news").body("theirs").send().await;
    assert_eq!(
        theirs.next().await.unwrap().get_data(),
        Some("\"theirs\""),
        "the other prefix's message was not first"
    );
}

#[tokio::test]
async fn an_unreachable_queue_fails_at_startup_naming_the_setting() {
    let app = Flask::new("broadcast")
        .configure(|c| {
            c.set("REALTIME_MESSAGE_QUEUE", "redis://127.0.0.1:1");
        })
        .build()
        .unwrap();
    let err = tokio::time::timeout(Duration::from_secs(30), app.startup())
        .await
        .expect("startup gave up")
        .unwrap_err();
    assert!(err.to_string().contains("REALTIME_MESSAGE_QUEUE"), "{err}");
}

async fn wait_subscribed(one: &TestClient, two: &TestClient, room: &str, n: usize) {
    for _ in 0..200 {
        if one.app().hub().subscriber_count(room) == n
            && two.app().hub().subscriber_count(room) == n
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the subscribers did not join {room}");
}
