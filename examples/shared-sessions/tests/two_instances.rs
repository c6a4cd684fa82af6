//! Two instances of the app sharing the real Redis service: the multi-machine story.

use flask::testing::TestClient;

/// The Redis URL from `cargo xtask test-all`, or `None` to skip (a failure when the run
/// requires services).
fn redis_url() -> Option<String> {
    match std::env::var("FLASK_TEST_REDIS_URL") {
        Ok(url) => Some(url),
        Err(_) if std::env::var("FLASK_TEST_REQUIRE_SERVICES").is_ok() => {
            panic!("FLASK_TEST_REDIS_URL is not set but services are required")
        }
        Err(_) => {
            eprintln!(
                "skipped: FLASK_TEST_REDIS_URL is not set (cargo xtask test-all sets it when Redis answers)"
            );
            None
        }
    }
}

fn instance(url: &str, secret: &str) -> TestClient {
    shared_sessions::app()
        .configure(|c| {
            c.set("SECRET_KEY", secret);
            c.set("SESSION_TYPE", "redis");
            c.set("SESSION_URL", url);
        })
        .test_client()
}

#[tokio::test]
async fn a_login_on_one_instance_is_honoured_by_the_other() {
    let Some(url) = redis_url() else { return };
    let one = instance(&url, "shared-secret");
    let two = instance(&url, "shared-secret");
    let r = one.get("/login/ada").follow_redirects().send().await;
    assert_eq!(r.text(), "Logged in as ada (visit 1)");
    // The browser moves to the other instance with its cookie.
    two.set_cookie("session", &one.cookie("session").unwrap());
    assert_eq!(
        two.get("/").send().await.text(),
        "Logged in as ada (visit 2)"
    );
    assert_eq!(
        one.get("/").send().await.text(),
        "Logged in as ada (visit 3)"
    );
    // Logging out on one ends the session on both.
    two.get("/logout").send().await;
    assert_eq!(one.get("/").send().await.text(), "Not logged in (visit 1)");
}

#[tokio::test]
async fn another_secret_does_not_accept_the_cookie() {
    let Some(url) = redis_url() else { return };
    let one = instance(&url, "shared-secret");
    let stranger = instance(&url, "another-secret");
    one.get("/login/ada").send().await;
    stranger.set_cookie("session", &one.cookie("session").unwrap());
    assert_eq!(
        stranger.get("/").send().await.text(),
        "Not logged in (visit 1)"
    );
}

#[tokio::test]
async fn a_wrong_redis_url_fails_at_startup_with_the_cause() {
    let app = shared_sessions::app()
        .configure(|c| {
            c.set("SECRET_KEY", "k");
            c.set("SESSION_TYPE", "redis");
            c.set("SESSION_URL", "not-a-url");
        })
        .build()
        .unwrap();
    let e = app.startup().await.unwrap_err().to_string();
    assert!(e.contains("startup task of sessions failed"), "{e}");
    assert!(e.contains("not-a-url"), "{e}");
    let e = shared_sessions::app()
        .configure(|c| {
            c.set("SECRET_KEY", "k");
            c.set("SESSION_TYPE", "redis");
        })
        .build()
        .unwrap_err()
        .to_string();
    assert!(e.contains("needs SESSION_URL"), "{e}");
}
