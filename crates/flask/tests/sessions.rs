//! Sessions and flash: round trips, cookie settings, tampered and expired cookies, key
//! rotation, clearing, id cycling, flash order and categories.

#[path = "common/logs.rs"]
mod logs;

use flask::routing::{get, post};
use flask::sessions::MemoryStore;
use flask::{AppRoot, Error, Flask, Html, Session, context, render_template, testing::TestClient};

#[flask::view]
async fn set(session: Session, flask::Path(value): flask::Path<String>) -> &'static str {
    session.insert("value", value);
    "set"
}
#[flask::view]
async fn show(session: Session) -> String {
    session
        .get::<String>("value")
        .unwrap_or_else(|| "-".to_owned())
}
#[flask::view]
async fn permanent(session: Session) -> &'static str {
    session.set_permanent(true);
    session.insert("value", "kept");
    "permanent"
}
#[flask::view]
async fn clear(session: Session) -> &'static str {
    session.clear();
    "cleared"
}
#[flask::view]
async fn cycle(session: Session) -> &'static str {
    session.cycle_id();
    "cycled"
}

fn app_with(config: impl FnOnce(&mut flask::Config), store: MemoryStore) -> TestClient {
    Flask::new("sessions")
        .configure(|c| {
            c.set("SECRET_KEY", "s3cret");
            config(c);
        })
        .session_store(store)
        .route("/set/<value>", get(set))
        .route("/show", get(show))
        .route("/permanent", get(permanent))
        .route("/clear", get(clear))
        .route("/cycle", get(cycle))
        .test_client()
}

fn client() -> TestClient {
    app_with(|_| {}, MemoryStore::default())
}

#[tokio::test]
async fn round_trip_with_flask_cookie_settings() {
    let c = client();
    let r = c.get("/set/ada").send().await;
    let cookie = r.header("set-cookie").unwrap().to_owned();
    assert!(cookie.starts_with("session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Max-Age"),
        "a non-permanent session ends with the browser: {cookie}"
    );
    assert_eq!(r.header("vary"), Some("Cookie"));
    assert_eq!(c.get("/show").send().await.text(), "ada");
    // Reading does not rewrite the cookie.
    assert!(c.get("/show").send().await.header("set-cookie").is_none());
    // A new client has its own, empty session.
    let other = Flask::new("x")
        .configure(|c| c.set("SECRET_KEY", "s3cret"))
        .route("/show", get(show))
        .test_client();
    assert_eq!(other.get("/show").send().await.text(), "-");
}

#[tokio::test]
async fn permanent_sessions_and_custom_cookie_settings() {
    let c = app_with(
        |c| {
            c.set("SESSION_COOKIE_NAME", "sid");
            c.set("SESSION_COOKIE_SECURE", true);
            c.set("SESSION_COOKIE_SAMESITE", "Strict");
            c.set("SESSION_COOKIE_PATH", "/app");
            c.set("SESSION_COOKIE_DOMAIN", "example.com");
            c.set("PERMANENT_SESSION_LIFETIME", 3600);
        },
        MemoryStore::default(),
    );
    let cookie = c
        .get("/permanent")
        .send()
        .await
        .header("set-cookie")
        .unwrap()
        .to_owned();
    for part in [
        "sid=",
        "Max-Age=3600",
        "Secure",
        "SameSite=Strict",
        "Path=/app",
        "Domain=example.com",
    ] {
        assert!(cookie.contains(part), "{part} missing in {cookie}");
    }
    // SESSION_REFRESH_EACH_REQUEST: a permanent session's cookie is sent again on each request.
    assert!(c.get("/show").send().await.header("set-cookie").is_some());
}

#[tokio::test]
async fn tampered_and_unknown_cookies_are_empty_sessions() {
    let c = client();
    c.get("/set/ada").send().await;
    let good = c.cookie("session").unwrap();
    let mut bad = good.clone();
    let last = bad.pop().unwrap();
    bad.push(if last == 'A' { 'B' } else { 'A' });
    c.set_cookie("session", &bad);
    let r = c.get("/show").send().await;
    assert_eq!((r.status().as_u16(), r.text().as_str()), (200, "-"));
    c.set_cookie("session", "not-even-signed");
    assert_eq!(c.get("/show").send().await.text(), "-");
    // Signed by another secret: also empty.
    let store = MemoryStore::default();
    let a = app_with(|_| {}, store.clone());
    a.get("/set/ada").send().await;
    let other_key = app_with(|c| c.set("SECRET_KEY", "another"), store);
    other_key.set_cookie("session", &a.cookie("session").unwrap());
    assert_eq!(other_key.get("/show").send().await.text(), "-");
}

#[tokio::test]
async fn secret_key_fallbacks_rotate_the_key() {
    let store = MemoryStore::default();
    let old = app_with(|_| {}, store.clone());
    old.get("/set/ada").send().await;
    let rotated = app_with(
        |c| {
            c.set("SECRET_KEY", "new-secret");
            c.set("SECRET_KEY_FALLBACKS", ["s3cret"]);
        },
        store,
    );
    rotated.set_cookie("session", &old.cookie("session").unwrap());
    assert_eq!(rotated.get("/show").send().await.text(), "ada");
}

#[tokio::test]
async fn expired_sessions_are_empty() {
    let c = app_with(
        |c| c.set("PERMANENT_SESSION_LIFETIME", 1),
        MemoryStore::default(),
    );
    c.get("/set/ada").send().await;
    assert_eq!(c.get("/show").send().await.text(), "ada");
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert_eq!(c.get("/show").send().await.text(), "-");
}

#[tokio::test]
async fn clear_removes_the_cookie_and_cycle_changes_the_id() {
    let c = client();
    c.get("/set/ada").send().await;
    let before = c.cookie("session").unwrap();
    c.get("/cycle").send().await;
    let after = c.cookie("session").unwrap();
    assert_ne!(before, after);
    assert_eq!(
        c.get("/show").send().await.text(),
        "ada",
        "the data survives a new id"
    );
    // The old id is gone from the store.
    let old = client();
    old.set_cookie("session", &before);
    assert_eq!(old.get("/show").send().await.text(), "-");
    let r = c.get("/clear").send().await;
    assert!(r.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(c.cookie("session"), None);
    assert_eq!(c.get("/show").send().await.text(), "-");
}

#[tokio::test]
async fn without_a_secret_key_the_session_is_unavailable() {
    let c = Flask::new("nokey")
        .configure(|c| c.set("DEBUG", true))
        .route("/show", get(show))
        .test_client();
    let r = c.get("/show").send().await;
    assert_eq!(r.status(), 500);
    assert!(r.text().contains("no secret key was set"), "{}", r.text());
}

#[flask::view]
async fn add(
    session: Session,
    flask::Form(f): flask::Form<std::collections::HashMap<String, String>>,
) -> flask::Redirect {
    session.flash(
        f["message"].clone(),
        f.get("category").map_or("message", String::as_str),
    );
    flask::redirect("/messages")
}

#[flask::view]
async fn messages(session: Session) -> String {
    let errors = session.get_flashed_messages(&["error"]);
    let all = session.get_flashed_messages(&[]);
    format!(
        "{} | {}",
        errors
            .iter()
            .map(|f| f.message.as_str())
            .collect::<Vec<_>>()
            .join(","),
        all.iter()
            .map(|f| format!("{}:{}", f.category, f.message))
            .collect::<Vec<_>>()
            .join(",")
    )
}

#[tokio::test]
async fn flash_messages_keep_order_and_categories_and_show_once() {
    let c = Flask::new("flash")
        .configure(|c| c.set("SECRET_KEY", "k"))
        .route("/add", post(add))
        .route("/messages", get(messages))
        .test_client();
    c.post("/add").form(&[("message", "first")]).send().await;
    c.post("/add")
        .form(&[("message", "oops"), ("category", "error")])
        .send()
        .await;
    let r = c
        .post("/add")
        .form(&[("message", "third")])
        .follow_redirects()
        .send()
        .await;
    assert_eq!(r.text(), "oops | message:first,error:oops,message:third");
    assert_eq!(c.get("/messages").send().await.text(), " | ");
}

#[tokio::test]
async fn templates_see_the_session_and_flashes() {
    let dir = std::env::temp_dir().join(format!("flask-sess-tpl-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(
        dir.join("templates/page.html"),
        "{{ session.user }}|{% for c, m in get_flashed_messages(with_categories=true) %}[{{ c }}:{{ m }}]{% endfor %}|{{ get_flashed_messages(category_filter=['info'])|join(',') }}",
    )
    .unwrap();
    #[flask::view]
    async fn login(session: Session) -> flask::Redirect {
        session.insert("user", "ada");
        session.flash("Welcome <back>", "info");
        session.flash("Careful", "warning");
        flask::redirect("/page")
    }
    #[flask::view]
    async fn page() -> Result<Html<String>, Error> {
        render_template("page.html", context! {})
    }
    let c = Flask::new(AppRoot::new("t", &dir))
        .configure(|c| c.set("SECRET_KEY", "k"))
        .route("/login", get(login))
        .route("/page", get(page))
        .test_client();
    let r = c.get("/login").follow_redirects().send().await;
    assert_eq!(
        r.text(),
        "ada|[info:Welcome &lt;back&gt;][warning:Careful]|Welcome &lt;back&gt;"
    );
    assert_eq!(c.get("/page").send().await.text(), "ada||");
}

#[tokio::test]
async fn a_logout_is_not_undone_by_a_request_that_was_running() {
    use std::sync::Arc;
    use tokio::sync::Notify;

    // A request loads the session, waits while another request of the same browser clears
    // it (a logout), then changes it and saves: the cleared session must stay gone.
    let loaded = Arc::new(Notify::new());
    let go_on = Arc::new(Notify::new());
    let slow = {
        let (loaded, go_on) = (loaded.clone(), go_on.clone());
        move |session: Session| {
            let (loaded, go_on) = (loaded.clone(), go_on.clone());
            async move {
                let value = session.get::<String>("value");
                loaded.notify_one();
                go_on.notified().await;
                session.insert("seen", true);
                format!("{value:?}")
            }
        }
    };
    let c = Flask::new("sessions")
        .configure(|c| c.set("SECRET_KEY", "s3cret"))
        .session_store(MemoryStore::default())
        .route("/set/<value>", get(set))
        .route("/show", get(show))
        .route("/clear", get(clear))
        .route("/slow", get(slow))
        .test_client();
    c.get("/set/ada").send().await;
    let cookie = c.cookie("session").unwrap();
    let running = tokio::spawn({
        let c = c.clone();
        async move { c.get("/slow").send().await.text() }
    });
    loaded.notified().await;
    assert_eq!(c.get("/clear").send().await.text(), "cleared");
    go_on.notify_one();
    assert_eq!(running.await.unwrap(), "Some(\"ada\")");
    // Neither the browser nor anyone holding the old cookie finds the session again.
    assert_eq!(c.get("/show").send().await.text(), "-");
    c.set_cookie("session", &cookie);
    assert_eq!(c.get("/show").send().await.text(), "-");
}

#[flask::view]
async fn big(session: Session) -> &'static str {
    // Random hex that zlib cannot shrink below the limit.
    let text: String = (0..320)
        .map(|_| flask::Uuid::new_v4().simple().to_string())
        .collect();
    session.insert("big", text);
    "stored"
}

#[tokio::test]
async fn a_cookie_session_too_large_for_browsers_is_sent_with_werkzeugs_warning() {
    let (captured, _guard) = logs::capture();
    let client = Flask::new("big")
        .configure(|c| c.set("SECRET_KEY", "k"))
        .route("/big", get(big))
        .route("/", get(|| async { "small" }))
        .test_client();
    let resp = client.get("/big").send().await;
    assert_eq!(resp.text(), "stored");
    let cookie = client.cookie("session").expect("still sent");
    let log = captured.text();
    assert!(
        log.contains(&format!(
            "The 'session' cookie is too large: the value was {} bytes but the header required",
            cookie.len()
        )),
        "{log}"
    );
    assert!(
        log.contains(
            "but the limit is 4093 bytes. Browsers may silently ignore cookies larger than this."
        ),
        "{log}"
    );
    // MAX_COOKIE_SIZE = 0 turns it off.
    captured.clear();
    let quiet = Flask::new("big")
        .configure(|c| {
            c.set("SECRET_KEY", "k");
            c.set("MAX_COOKIE_SIZE", 0);
        })
        .route("/big", get(big))
        .test_client();
    quiet.get("/big").send().await;
    let log = captured.text();
    assert!(!log.contains("too large"), "{log}");
}
