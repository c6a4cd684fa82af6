//! Several app instances behind a load balancer: the CSRF secret lives in the shared
//! session store (Redis here), so a form served by one instance is accepted by another.

use flask::routing::get;
use flask::{Error, Flask, Html, render_template_string, testing::TestClient};
use flask_wtf::CsrfProtect;

#[flask::view]
async fn page() -> Result<Html<String>, Error> {
    render_template_string("{{ csrf_token() }}", flask::context! {})
}

fn instance(redis: &str) -> TestClient {
    Flask::new("instance")
        .configure(|c| {
            c.set("SECRET_KEY", "shared secret");
            c.set("SESSION_TYPE", "redis");
            c.set("SESSION_URL", redis);
        })
        .extension(CsrfProtect::new())
        .route("/", get(page).post(|| async { "saved" }).endpoint("index"))
        .test_client()
}

#[tokio::test]
async fn a_token_from_one_instance_is_accepted_by_another() {
    let redis = match std::env::var("FLASK_TEST_REDIS_URL") {
        Ok(url) => url,
        Err(_) if std::env::var_os("FLASK_TEST_REQUIRE_SERVICES").is_some() => {
            panic!("FLASK_TEST_REDIS_URL is not set but services are required")
        }
        Err(_) => {
            eprintln!("skipped: FLASK_TEST_REDIS_URL is not set");
            return;
        }
    };
    let one = instance(&redis);
    let two = instance(&redis);
    let token = one.get("/").send().await.text();
    // The browser's next request lands on the other instance, with its cookie.
    two.set_cookie("session", &one.cookie("session").expect("a session"));
    let resp = two
        .post("/")
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await;
    assert_eq!(resp.text(), "saved");
    // Another browser's session does not match.
    let stranger = instance(&redis);
    stranger.get("/").send().await;
    let resp = stranger
        .post("/")
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await;
    assert!(
        resp.text().contains("The CSRF tokens do not match."),
        "{}",
        resp.text()
    );
}
