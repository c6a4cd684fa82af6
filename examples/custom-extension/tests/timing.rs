//! The timing extension, tested like a user would: through the test client.

use custom_extension::{Timing, TimingStats};
use flask::Flask;
use flask::routing::get;

#[flask::view]
async fn hello() -> &'static str {
    "hello"
}

#[tokio::test]
async fn every_response_says_how_long_it_took() {
    let c = custom_extension::app().test_client();
    let resp = c.get("/").send().await;
    let value = resp.header("x-response-time").expect("the header is set");
    let ms: f64 = value.strip_suffix("ms").unwrap().parse().unwrap();
    assert!(ms >= 0.0);
    // Errors are timed too.
    assert!(
        c.get("/missing")
            .send()
            .await
            .header("x-response-time")
            .is_some()
    );
}

#[tokio::test]
async fn the_stats_route_counts_requests() {
    let c = Flask::new("t")
        .extension(Timing::new())
        .route("/", get(hello))
        .test_client();
    for _ in 0..3 {
        c.get("/").send().await;
    }
    let stats: TimingStats = c.get("/_timing").send().await.json();
    assert_eq!(stats.requests, 3);
    let app = c.app();
    assert_eq!(app.extension::<Timing>().unwrap().stats().requests, 4);
    let rule = app
        .rules()
        .into_iter()
        .find(|r| r.rule == "/_timing")
        .unwrap();
    assert_eq!(
        (rule.endpoint.as_str(), rule.owner.as_str()),
        ("timing_stats", "timing")
    );
}

#[tokio::test]
async fn config_keys_rename_or_disable_it() {
    let c = Flask::new("t")
        .configure(|c| c.set("TIMING_HEADER", "Server-Timing-Ms"))
        .extension(Timing::new())
        .route("/", get(hello))
        .test_client();
    let resp = c.get("/").send().await;
    assert!(resp.header("server-timing-ms").is_some());
    assert!(resp.header("x-response-time").is_none());

    let c = Flask::new("t")
        .configure(|c| c.set("TIMING_ENABLED", false))
        .extension(Timing::new())
        .route("/", get(hello))
        .test_client();
    assert!(c.get("/").send().await.header("x-response-time").is_none());
    assert_eq!(
        c.get("/_timing")
            .send()
            .await
            .json::<TimingStats>()
            .requests,
        0
    );
}

#[tokio::test]
async fn a_bad_header_name_is_a_startup_error() {
    let e = Flask::new("t")
        .configure(|c| c.set("TIMING_HEADER", "not a header"))
        .extension(Timing::new())
        .build()
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("TIMING_HEADER \"not a header\" is not a header name"),
        "{e}"
    );
}
