//! LoginManager end to end, through the test client: logging in and out, remember-me,
//! tampered cookies, inactive users, session protection, freshness, 401 versus redirect,
//! `next`, the request loader, templates, hooks and events.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flask::routing::get;
use flask::signing::Signer;
use flask::{
    Blueprint, Error, Flask, Form, HeaderMap, Html, Redirect, Session, redirect,
    render_template_string, testing::TestClient,
};
use flask_login::testing::LoginClient;
use flask_login::{
    CurrentUser, FreshLoginRequired, LoginEvent, LoginManager, LoginOptions, LoginRequired, Next,
    SessionProtection, UserMixin,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize)]
struct User {
    id: i64,
    name: String,
    active: bool,
}

impl UserMixin for User {
    fn get_id(&self) -> String {
        self.id.to_string()
    }
    fn is_active(&self) -> bool {
        self.active
    }
}

fn find(id: &str) -> Option<User> {
    match id {
        "1" => Some(User {
            id: 1,
            name: "ada".into(),
            active: true,
        }),
        "2" => Some(User {
            id: 2,
            name: "bob".into(),
            active: false,
        }),
        _ => None,
    }
}

#[derive(Deserialize)]
struct LoginForm {
    id: String,
    #[serde(default)]
    remember: bool,
    #[serde(default)]
    force: bool,
}

#[flask::view]
async fn login(current: CurrentUser<User>, next: Next, Form(f): Form<LoginForm>) -> Redirect {
    let ok = match find(&f.id) {
        Some(user) => current.login_user(
            user,
            LoginOptions::new().remember(f.remember).force(f.force),
        ),
        None => false,
    };
    if ok {
        redirect(next.or("/"))
    } else {
        redirect("/refused")
    }
}

#[flask::view]
async fn login_form(next: Next) -> String {
    format!("login form, then {}", next.or("/"))
}

#[flask::view]
async fn logout(current: CurrentUser<User>) -> Redirect {
    current.logout_user();
    redirect("/")
}

#[flask::view]
async fn index(current: CurrentUser<User>) -> String {
    match current.user() {
        Some(u) => format!("hello {}", u.name),
        None => "hello stranger".to_owned(),
    }
}

#[flask::view]
async fn private(LoginRequired(user): LoginRequired<User>) -> String {
    format!("private for {}", user.name)
}

#[flask::view]
async fn settings(FreshLoginRequired(user): FreshLoginRequired<User>) -> String {
    format!("settings of {}", user.name)
}

#[flask::view]
async fn reauth(current: CurrentUser<User>) -> String {
    current.confirm_login();
    "confirmed".to_owned()
}

#[flask::view]
async fn status(current: CurrentUser<User>) -> String {
    format!(
        "fresh={} remembered={}",
        current.login_fresh(),
        current.login_remembered()
    )
}

#[flask::view]
async fn flashes(session: Session) -> String {
    session
        .get_flashed_messages(&[])
        .into_iter()
        .map(|f| format!("{}: {}", f.category, f.message))
        .collect::<Vec<_>>()
        .join("\n")
}

#[flask::view]
async fn page() -> Result<Html<String>, Error> {
    render_template_string(
        "{% if current_user.is_authenticated %}in as {{ current_user.name }} \
         ({{ current_user.get_id() }}){% else %}anonymous {{ current_user.name }} \
         {{ current_user.is_anonymous }}{% endif %}",
        flask::context! {},
    )
}

fn manager() -> LoginManager<User> {
    LoginManager::<User>::new().user_loader(|id: String| async move { find(&id) })
}

fn app(manager: LoginManager<User>, configure: impl FnOnce(&mut flask::Config)) -> Flask {
    Flask::new("login-tests")
        .configure(|c| {
            c.set("SECRET_KEY", "test secret");
            configure(c);
        })
        .extension(manager)
        .route("/", get(index))
        .route("/login", get(login_form).post(login))
        .route("/logout", get(logout))
        .route("/private", get(private))
        .route("/settings", get(settings))
        .route("/reauth", get(reauth).endpoint("reauth"))
        .route("/status", get(status))
        .route("/flashes", get(flashes))
        .route("/page", get(page))
}

fn client() -> TestClient {
    app(
        manager().login_view("login_form").refresh_view("reauth"),
        |_| {},
    )
    .test_client()
}

/// The app with its sessions in a server-side store (`SESSION_TYPE = "memory"`), where a
/// session is a record behind an id: what the id-cycling tests look at.
fn store_client() -> TestClient {
    app(
        manager().login_view("login_form").refresh_view("reauth"),
        |c| c.set("SESSION_TYPE", "memory"),
    )
    .test_client()
}

async fn log_in(client: &TestClient, id: &str, remember: bool) {
    let remember = if remember { "true" } else { "false" };
    let resp = client
        .post("/login")
        .form(&[("id", id), ("remember", remember)])
        .send()
        .await;
    assert_eq!(resp.header("location"), Some("/"), "login of {id} failed");
}

#[tokio::test]
async fn login_and_logout_round_trip() {
    let client = client();
    assert_eq!(client.get("/").send().await.text(), "hello stranger");
    log_in(&client, "1", false).await;
    assert_eq!(client.get("/").send().await.text(), "hello ada");
    assert_eq!(
        client.get("/private").send().await.text(),
        "private for ada"
    );
    assert_eq!(
        client.get("/status").send().await.text(),
        "fresh=true remembered=false"
    );
    // Without remember, no remember-me cookie.
    assert_eq!(client.cookie("remember_token"), None);

    let resp = client.get("/logout").send().await;
    assert_eq!(resp.status(), 302);
    assert_eq!(client.get("/").send().await.text(), "hello stranger");
    assert_eq!(client.get("/private").send().await.status(), 302);
}

#[flask::view]
async fn cart(session: Session) -> String {
    format!(
        "cart: {}",
        session
            .get::<String>("cart")
            .unwrap_or_else(|| "empty".to_owned())
    )
}

#[flask::view]
async fn add_to_cart(session: Session) -> &'static str {
    session.insert("cart", "1 book");
    "added"
}

#[tokio::test]
async fn login_gives_the_session_a_new_id() {
    let client = app(manager(), |c| c.set("SESSION_TYPE", "memory"))
        .route("/cart", get(cart).post(add_to_cart))
        .test_client();
    // A session that exists before the login, holding something (an attacker may have
    // planted its id).
    client.post("/cart").send().await;
    let before = client.cookie("session").expect("the cart made a session");
    log_in(&client, "1", false).await;
    let after = client.cookie("session").expect("a session after login");
    assert_ne!(before, after);
    // The data moved to the new id with the login.
    assert_eq!(client.get("/").send().await.text(), "hello ada");
    assert_eq!(client.get("/cart").send().await.text(), "cart: 1 book");
    // The old id points to nothing any more: not the login, not even the cart.
    let planted = client.app().test_client();
    planted.set_cookie("session", &before);
    assert_eq!(planted.get("/").send().await.text(), "hello stranger");
    assert_eq!(planted.get("/cart").send().await.text(), "cart: empty");

    // Another login in the same browser (bob, without logging ada out first): the id that
    // held ada's login is worthless after it.
    let resp = client
        .post("/login")
        .form(&[("id", "2"), ("force", "true")])
        .send()
        .await;
    assert_eq!(resp.header("location"), Some("/"));
    assert_eq!(client.get("/").send().await.text(), "hello bob");
    assert_ne!(client.cookie("session").unwrap(), after);
    let old = client.app().test_client();
    old.set_cookie("session", &after);
    assert_eq!(old.get("/").send().await.text(), "hello stranger");
    assert_eq!(old.get("/private").send().await.status(), 401);
}

#[tokio::test]
async fn remember_me_logs_in_a_new_client_with_only_the_cookie() {
    let client = client();
    log_in(&client, "1", true).await;
    let token = client
        .cookie("remember_token")
        .expect("a remember-me cookie");

    // A new browser session: the remember cookie and nothing else.
    let fresh_client = client.app().test_client();
    fresh_client.set_cookie("remember_token", &token);
    assert_eq!(fresh_client.get("/").send().await.text(), "hello ada");
    // Loaded from the cookie: logged in, remembered, but not fresh.
    assert_eq!(
        fresh_client.get("/status").send().await.text(),
        "fresh=false remembered=true"
    );
    assert_eq!(fresh_client.get("/private").send().await.status(), 200);
    let resp = fresh_client.get("/settings").send().await;
    assert_eq!(resp.status(), 302);
    assert_eq!(resp.header("location"), Some("/reauth?next=%2Fsettings"));
    assert_eq!(
        fresh_client.get("/flashes").send().await.text(),
        "message: Please reauthenticate to access this page."
    );
    // Typing the password again makes it fresh.
    fresh_client.get("/reauth").send().await;
    assert_eq!(
        fresh_client.get("/settings").send().await.text(),
        "settings of ada"
    );

    // Logging out removes the cookie too.
    fresh_client.get("/logout").send().await;
    assert_eq!(fresh_client.cookie("remember_token"), None);
    assert_eq!(fresh_client.get("/").send().await.text(), "hello stranger");
}

#[flask::view]
async fn login_stale(current: CurrentUser<User>) -> String {
    let ok = current.login_user(find("1").unwrap(), LoginOptions::new().fresh(false));
    format!("logged in: {ok}, fresh: {}", current.login_fresh())
}

#[tokio::test]
async fn a_login_with_fresh_false_is_not_fresh() {
    let client = app(
        manager().login_view("login_form").refresh_view("reauth"),
        |_| {},
    )
    .route("/login-stale", get(login_stale))
    .test_client();
    assert_eq!(
        client.get("/login-stale").send().await.text(),
        "logged in: true, fresh: false"
    );
    assert_eq!(
        client.get("/status").send().await.text(),
        "fresh=false remembered=false"
    );
    // Logged in for LoginRequired, but FreshLoginRequired asks for the password again.
    assert_eq!(
        client.get("/private").send().await.text(),
        "private for ada"
    );
    let resp = client.get("/settings").send().await;
    assert_eq!(resp.status(), 302);
    assert_eq!(resp.header("location"), Some("/reauth?next=%2Fsettings"));
    assert_eq!(
        client.get("/flashes").send().await.text(),
        "message: Please reauthenticate to access this page."
    );
    client.get("/reauth").send().await;
    assert_eq!(
        client.get("/settings").send().await.text(),
        "settings of ada"
    );

    // Without a refresh view: a 401 (even with a login view).
    let client = app(manager().login_view("login_form"), |_| {})
        .route("/login-stale", get(login_stale))
        .test_client();
    client.get("/login-stale").send().await;
    assert_eq!(
        client.get("/private").send().await.text(),
        "private for ada"
    );
    let resp = client.get("/settings").send().await;
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.header("location"), None);
}

#[tokio::test]
async fn the_remember_cookie_has_the_configured_attributes() {
    let client = client();
    log_in(&client, "1", true).await;
    // Logged in again to see the Set-Cookie header itself.
    let resp = client
        .post("/login")
        .form(&[("id", "1"), ("remember", "true")])
        .send()
        .await;
    let set = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("remember_token="))
        .expect("a remember_token cookie")
        .to_owned();
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Lax"), "{set}");
    assert!(set.contains("Path=/"), "{set}");
    assert!(
        set.contains(&format!("Max-Age={}", 365 * 24 * 3600)),
        "{set}"
    );
    assert!(!set.contains("Secure"), "{set}");

    let custom = app(manager(), |c| {
        c.set("REMEMBER_COOKIE_NAME", "keep");
        c.set("REMEMBER_COOKIE_DURATION", 3600);
        c.set("REMEMBER_COOKIE_SECURE", true);
        c.set("REMEMBER_COOKIE_DOMAIN", "example.org");
        c.set("REMEMBER_COOKIE_PATH", "/app");
        c.set("REMEMBER_COOKIE_SAMESITE", "Strict");
    })
    .test_client();
    let resp = custom
        .post("/login")
        .form(&[("id", "1"), ("remember", "true")])
        .send()
        .await;
    let set = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("keep="))
        .expect("a cookie named keep")
        .to_owned();
    for part in [
        "Max-Age=3600",
        "Secure",
        "Domain=example.org",
        "Path=/app",
        "SameSite=Strict",
    ] {
        assert!(set.contains(part), "{part} missing in {set}");
    }
}

#[tokio::test]
async fn tampered_remember_cookies_are_ignored() {
    let client = client();
    log_in(&client, "1", true).await;
    let token = client.cookie("remember_token").unwrap();
    let secret_signer = Signer::new("test secret", "flask-login remember-me");
    let far = 4_000_000_000_u64;
    let attempts = [
        // Another user's id with the old signature.
        token.replacen('1', "2", 1),
        // A signature cut short, or missing.
        token[..token.len() - 2].to_owned(),
        format!("1|{far}"),
        "1".to_owned(),
        String::new(),
        // Signed with another secret, or for another purpose.
        Signer::new("guess", "flask-login remember-me").sign(&format!("1|{far}")),
        Signer::new("test secret", "csrf").sign(&format!("1|{far}")),
        // Signed right, but expired.
        secret_signer.sign("1|1000"),
    ];
    for bad in attempts {
        let other = client.app().test_client();
        other.set_cookie("remember_token", &bad);
        assert_eq!(
            other.get("/").send().await.text(),
            "hello stranger",
            "{bad:?} logged in"
        );
        assert_eq!(other.get("/private").send().await.status(), 302);
    }
    // The genuine one still works.
    let other = client.app().test_client();
    other.set_cookie("remember_token", &token);
    assert_eq!(other.get("/").send().await.text(), "hello ada");
}

#[tokio::test]
async fn tampered_session_cookies_are_ignored() {
    let client = client();
    log_in(&client, "1", false).await;
    let session = client.cookie("session").unwrap();
    let mut tampered = session.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    for bad in [tampered, format!("x{session}"), "garbage".to_owned()] {
        let other = client.app().test_client();
        other.set_cookie("session", &bad);
        assert_eq!(other.get("/").send().await.text(), "hello stranger");
    }
}

#[tokio::test]
async fn inactive_users_are_refused_unless_forced() {
    let client = client();
    let resp = client.post("/login").form(&[("id", "2")]).send().await;
    assert_eq!(resp.header("location"), Some("/refused"));
    assert_eq!(client.get("/").send().await.text(), "hello stranger");
    let resp = client
        .post("/login")
        .form(&[("id", "2"), ("force", "true")])
        .send()
        .await;
    assert_eq!(resp.header("location"), Some("/"));
    assert_eq!(client.get("/").send().await.text(), "hello bob");
}

#[tokio::test]
async fn without_a_login_view_it_is_401() {
    let client = app(manager(), |_| {}).test_client();
    let resp = client.get("/private").send().await;
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.header("location"), None);
    let resp = client.get("/settings").send().await;
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn with_a_login_view_it_flashes_and_redirects_with_next() {
    let client = client();
    let resp = client.get("/private?tab=a%20b&x=1").send().await;
    assert_eq!(resp.status(), 302);
    assert_eq!(
        resp.header("location"),
        Some("/login?next=%2Fprivate%3Ftab%3Da%2520b%26x%3D1")
    );
    assert_eq!(
        client.get("/flashes").send().await.text(),
        "message: Please log in to access this page."
    );
    // The login view reads next back, and the login goes there.
    let resp = client
        .get("/login?next=%2Fprivate%3Ftab%3Da%2520b%26x%3D1")
        .send()
        .await;
    assert_eq!(resp.text(), "login form, then /private?tab=a%20b&x=1");
    let resp = client
        .post("/login?next=%2Fprivate")
        .form(&[("id", "1")])
        .follow_redirects()
        .send()
        .await;
    assert_eq!(resp.text(), "private for ada");
}

#[tokio::test]
async fn login_message_category_and_none() {
    let client = app(
        manager()
            .login_view("/login")
            .login_message(Some("Log in first."))
            .login_message_category("info"),
        |_| {},
    )
    .test_client();
    let resp = client.get("/private").send().await;
    assert_eq!(resp.header("location"), Some("/login?next=%2Fprivate"));
    assert_eq!(
        client.get("/flashes").send().await.text(),
        "info: Log in first."
    );

    let quiet = app(
        manager().login_view("login_form").login_message(None),
        |_| {},
    )
    .test_client();
    quiet.get("/private").send().await;
    assert_eq!(quiet.get("/flashes").send().await.text(), "");
}

#[tokio::test]
async fn next_in_the_session_when_asked() {
    let client = app(manager().login_view("login_form"), |c| {
        c.set("USE_SESSION_FOR_NEXT", true);
    })
    .test_client();
    let resp = client.get("/private").send().await;
    assert_eq!(resp.header("location"), Some("/login"));
    assert_eq!(
        client.get("/login").send().await.text(),
        "login form, then /private"
    );
}

#[tokio::test]
async fn open_redirects_through_next_are_never_followed() {
    let client = client();
    for evil in [
        "//evil.com",
        "https://evil.com",
        "http://evil.com/x",
        "/\\evil.com",
        "%2F%2Fevil.com",
        "/%2Fevil.com",
        "/%5Cevil.com",
        "%5C%5Cevil.com",
        "javascript:alert(1)",
        "/%09/evil.com",
    ] {
        let encoded: String = form_urlencoded::byte_serialize(evil.as_bytes()).collect();
        let resp = client
            .post(&format!("/login?next={encoded}"))
            .form(&[("id", "1")])
            .send()
            .await;
        assert_eq!(resp.header("location"), Some("/"), "{evil} was followed");
        // Also when the raw value is sent unencoded in the query.
        let resp = client
            .get(&format!("/login?next={}", evil.replace('\\', "%5C")))
            .send()
            .await;
        assert_eq!(resp.text(), "login form, then /", "{evil} was followed");
    }
}

#[tokio::test]
async fn session_protection_basic_marks_the_login_stale() {
    let client = client();
    log_in(&client, "1", false).await;
    assert_eq!(
        client.get("/settings").send().await.text(),
        "settings of ada"
    );
    // The same session from another browser.
    let resp = client
        .get("/settings")
        .header("user-agent", "another browser")
        .send()
        .await;
    assert_eq!(resp.status(), 302);
    assert_eq!(resp.header("location"), Some("/reauth?next=%2Fsettings"));
    // Still logged in, but no longer fresh, even from the first browser.
    assert_eq!(
        client.get("/private").send().await.text(),
        "private for ada"
    );
    assert_eq!(client.get("/settings").send().await.status(), 302);
    // A different address counts as another client too.
    let client = self::client();
    log_in(&client, "1", false).await;
    let resp = client
        .get("/settings")
        .remote_addr("10.0.0.7".parse().unwrap())
        .send()
        .await;
    assert_eq!(resp.status(), 302);
}

#[tokio::test]
async fn x_forwarded_for_counts_only_from_trusted_proxies() {
    let client = app(
        manager().session_protection(SessionProtection::Strong),
        |_| {},
    )
    .test_client();
    log_in(&client, "1", false).await;
    // A forged header changes nothing: no proxy is trusted by default.
    let resp = client
        .get("/")
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await;
    assert_eq!(resp.text(), "hello ada");
    // Behind one proxy, the address it reports is the client's.
    let client = app(
        manager().session_protection(SessionProtection::Strong),
        |c| c.set("PROXY_FIX_X_FOR", 1),
    )
    .test_client();
    let resp = client
        .post("/login")
        .header("x-forwarded-for", "198.51.100.1")
        .form(&[("id", "1")])
        .send()
        .await;
    assert_eq!(resp.header("location"), Some("/"));
    let resp = client
        .get("/")
        .header("x-forwarded-for", "198.51.100.1")
        .send()
        .await;
    assert_eq!(resp.text(), "hello ada");
    let resp = client
        .get("/")
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await;
    assert_eq!(resp.text(), "hello stranger");
}

#[tokio::test]
async fn session_protection_strong_logs_out() {
    let client = app(
        manager()
            .login_view("login_form")
            .session_protection(SessionProtection::Strong),
        |_| {},
    )
    .test_client();
    log_in(&client, "1", true).await;
    assert!(client.cookie("remember_token").is_some());
    let resp = client
        .get("/")
        .remote_addr("203.0.113.9".parse().unwrap())
        .send()
        .await;
    assert_eq!(resp.text(), "hello stranger");
    // The remember cookie went with the session, so the user stays out.
    assert_eq!(client.cookie("remember_token"), None);
    assert_eq!(client.get("/").send().await.text(), "hello stranger");
}

/// Logs ada in, remembered, with the session made permanent first when `?permanent=1`.
#[flask::view]
async fn login_maybe_permanent(
    current: CurrentUser<User>,
    session: Session,
    flask::Query(q): flask::Query<std::collections::HashMap<String, String>>,
) -> &'static str {
    if q.get("permanent").map(String::as_str) == Some("1") {
        session.set_permanent(true);
    }
    current.login_user(find("1").unwrap(), LoginOptions::new().remember(true));
    "in"
}

#[tokio::test]
async fn strong_protection_treats_a_permanent_session_as_basic() {
    let build = || {
        app(
            manager()
                .login_view("login_form")
                .refresh_view("reauth")
                .session_protection(SessionProtection::Strong),
            |_| {},
        )
        .route("/login-maybe-permanent", get(login_maybe_permanent))
        .test_client()
    };
    // A permanent session from another client: still logged in, but no longer fresh.
    let client = build();
    client
        .get("/login-maybe-permanent?permanent=1")
        .send()
        .await;
    assert_eq!(
        client.get("/settings").send().await.text(),
        "settings of ada"
    );
    let resp = client
        .get("/")
        .header("user-agent", "elsewhere")
        .send()
        .await;
    assert_eq!(resp.text(), "hello ada");
    let resp = client
        .get("/settings")
        .header("user-agent", "elsewhere")
        .send()
        .await;
    assert_eq!(resp.header("location"), Some("/reauth?next=%2Fsettings"));
    assert_eq!(
        client.get("/status").send().await.text(),
        "fresh=false remembered=true"
    );
    assert!(client.cookie("remember_token").is_some());

    // The same login in a browser session (not permanent) is logged out, cookie and all.
    let client = build();
    client.get("/login-maybe-permanent").send().await;
    let resp = client
        .get("/")
        .header("user-agent", "elsewhere")
        .send()
        .await;
    assert_eq!(resp.text(), "hello stranger");
    assert_eq!(client.cookie("remember_token"), None);
}

#[tokio::test]
async fn session_protection_from_config_and_off() {
    let client = app(manager().login_view("login_form"), |c| {
        c.set("SESSION_PROTECTION", "strong");
    })
    .test_client();
    log_in(&client, "1", false).await;
    let resp = client.get("/").header("user-agent", "x").send().await;
    assert_eq!(resp.text(), "hello stranger");

    let client = app(manager().session_protection(SessionProtection::Off), |_| {}).test_client();
    log_in(&client, "1", false).await;
    let resp = client
        .get("/settings")
        .header("user-agent", "x")
        .send()
        .await;
    assert_eq!(resp.text(), "settings of ada");

    let bad = app(manager(), |c| c.set("SESSION_PROTECTION", "paranoid")).build();
    let err = bad.unwrap_err().to_string();
    assert!(err.contains("SESSION_PROTECTION"), "{err}");
}

#[tokio::test]
async fn request_loader_reads_api_keys() {
    let client = app(
        manager().request_loader(|headers: HeaderMap| async move {
            let key = headers.get("x-api-key")?.to_str().ok()?;
            (key == "ada-key").then(|| find("1")).flatten()
        }),
        |_| {},
    )
    .test_client();
    let resp = client
        .get("/private")
        .header("x-api-key", "ada-key")
        .send()
        .await;
    assert_eq!(resp.text(), "private for ada");
    // Not kept in the session: the next request without the key is anonymous.
    assert_eq!(client.get("/private").send().await.status(), 401);
    let resp = client
        .get("/private")
        .header("x-api-key", "nope")
        .send()
        .await;
    assert_eq!(resp.status(), 401);
}

/// A request loader for `Authorization: Bearer <token>`.
async fn bearer_loader(headers: HeaderMap) -> Option<User> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?;
    (token == "ada-token").then(|| find("1")).flatten()
}

#[tokio::test]
async fn request_loader_reads_bearer_tokens() {
    let client = app(manager().request_loader(bearer_loader), |_| {}).test_client();
    let resp = client
        .get("/private")
        .header("authorization", "Bearer ada-token")
        .send()
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text(), "private for ada");
    // Not kept in the session.
    assert_eq!(client.get("/private").send().await.status(), 401);
    assert_eq!(client.cookie("session"), None);
    for wrong in [
        "Bearer wrong-token",
        "Bearer ada-token2",
        "Bearer ",
        "ada-token",
        "Basic ada-token",
    ] {
        let resp = client
            .get("/private")
            .header("authorization", wrong)
            .send()
            .await;
        assert_eq!(resp.status(), 401, "{wrong:?} was let in");
        let resp = client.get("/").header("authorization", wrong).send().await;
        assert_eq!(resp.text(), "hello stranger", "{wrong:?}");
    }
}

/// Standard base64 (with padding), as a request loader would decode Basic credentials.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if text.is_empty() || !text.len().is_multiple_of(4) {
        return None;
    }
    let body = text.trim_end_matches('=');
    if text.len() - body.len() > 2 {
        return None;
    }
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0_u32, 0);
    for c in body.bytes() {
        let sextet = ALPHABET.iter().position(|&a| a == c)?;
        acc = (acc << 6) | u32::try_from(sextet).ok()?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

/// A request loader for HTTP Basic auth, decoding the header itself (Flask-Login's
/// `load_user_from_request` example): ada's password is "open sesame".
async fn basic_loader(headers: HeaderMap) -> Option<User> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(decode_base64(encoded)?).ok()?;
    let (name, password) = decoded.split_once(':')?;
    (name == "ada" && password == "open sesame")
        .then(|| find("1"))
        .flatten()
}

#[tokio::test]
async fn request_loader_reads_basic_auth() {
    assert_eq!(
        decode_base64("YWRhOm9wZW4gc2VzYW1l").as_deref(),
        Some(&b"ada:open sesame"[..])
    );
    let client = app(manager().request_loader(basic_loader), |_| {}).test_client();
    // base64("ada:open sesame")
    let resp = client
        .get("/private")
        .header("authorization", "Basic YWRhOm9wZW4gc2VzYW1l")
        .send()
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text(), "private for ada");
    assert_eq!(client.get("/private").send().await.status(), 401);
    for (wrong, what) in [
        ("Basic YWRhOndyb25n", "ada:wrong"),
        ("Basic Ym9iOm9wZW4gc2VzYW1l", "bob:open sesame"),
        ("Basic YWRhOm9wZW4gc2VzYW1", "truncated base64"),
        ("Basic not base64!", "not base64"),
        ("Bearer YWRhOm9wZW4gc2VzYW1l", "another scheme"),
        ("YWRhOm9wZW4gc2VzYW1l", "no scheme"),
    ] {
        let resp = client
            .get("/private")
            .header("authorization", wrong)
            .send()
            .await;
        assert_eq!(resp.status(), 401, "{what} was let in");
    }
}

#[tokio::test]
async fn loader_errors_are_the_requests_error() {
    let client = Flask::new("loader-errors")
        .configure(|c| c.set("SECRET_KEY", "k"))
        .extension(
            LoginManager::<User>::new().user_loader(|id: String| async move {
                if id == "1" {
                    Err(Error::internal("the user table is gone"))
                } else {
                    Ok(None)
                }
            }),
        )
        .route("/", get(index))
        .test_client();
    client
        .login_as(&User {
            id: 1,
            name: "ada".into(),
            active: true,
        })
        .await;
    assert_eq!(client.get("/").send().await.status(), 500);
}

#[tokio::test]
async fn templates_see_current_user() {
    let client = app(
        manager().anonymous_user(serde_json::json!({"name": "Guest"})),
        |_| {},
    )
    .test_client();
    assert_eq!(
        client.get("/page").send().await.text(),
        "anonymous Guest True"
    );
    log_in(&client, "1", false).await;
    assert_eq!(client.get("/page").send().await.text(), "in as ada (1)");
}

#[flask::view]
async fn admin_home() -> &'static str {
    "admin home"
}

#[tokio::test]
async fn blueprint_guards_and_login_views() {
    let build = |configure: fn(&mut flask::Config)| {
        let admin = Blueprint::new("admin")
            .url_prefix("/admin")
            .before_request(flask_login::login_required::<User>())
            .route("/", get(admin_home))
            .route("/login", get(|| async { "admin login" }).endpoint("login"));
        let vault = Blueprint::new("vault")
            .url_prefix("/vault")
            .before_request(flask_login::fresh_login_required::<User>())
            .route("/", get(|| async { "vault" }));
        app(
            manager()
                .login_view("login_form")
                .refresh_view("reauth")
                .blueprint_login_view("admin", "admin.login"),
            configure,
        )
        .blueprint(admin)
        .blueprint(vault)
        .test_client()
    };
    let client = build(|_| {});
    let resp = client.get("/admin/").send().await;
    assert_eq!(
        resp.header("location"),
        Some("/admin/login?next=%2Fadmin%2F")
    );
    // The guard also covers the admin login page itself: a guard is for the whole blueprint.
    // OPTIONS passes.
    let resp = client.options("/admin/").send().await;
    assert_eq!(resp.status(), 200);
    let resp = client.get("/vault/").send().await;
    assert_eq!(resp.header("location"), Some("/login?next=%2Fvault%2F"));

    client.login_as_stale(&find("1").unwrap()).await;
    assert_eq!(client.get("/admin/").send().await.text(), "admin home");
    let resp = client.get("/vault/").send().await;
    assert_eq!(resp.header("location"), Some("/reauth?next=%2Fvault%2F"));
    client.login_as(&find("1").unwrap()).await;
    assert_eq!(client.get("/vault/").send().await.text(), "vault");
    client.logout().await;
    assert_eq!(client.get("/admin/").send().await.status(), 302);

    // LOGIN_DISABLED opens the guarded blueprints (not the LoginRequired views).
    let open = build(|c| c.set("LOGIN_DISABLED", true));
    assert_eq!(open.get("/admin/").send().await.text(), "admin home");
    assert_eq!(open.get("/private").send().await.status(), 302);
}

#[tokio::test]
async fn unauthorized_and_needs_refresh_handlers() {
    let client = app(
        manager()
            .login_view("login_form")
            .unauthorized_handler(|_ctx: &flask::RequestContext| {
                (flask::StatusCode::FORBIDDEN, "go away")
            })
            .needs_refresh_handler(|_ctx: &flask::RequestContext| "type it again"),
        |_| {},
    )
    .test_client();
    let resp = client.get("/private").send().await;
    assert_eq!(resp.status(), 403);
    assert_eq!(resp.text(), "go away");
    client.login_as_stale(&find("1").unwrap()).await;
    assert_eq!(client.get("/settings").send().await.text(), "type it again");
}

#[tokio::test]
async fn events_are_reported() {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    let client = app(
        manager()
            .login_view("login_form")
            .request_loader(bearer_loader)
            .on_event(move |_ctx, event| {
                let line = match event {
                    LoginEvent::LoggedIn(u) => format!("in {}", u.name),
                    LoginEvent::LoggedOut(u) => format!("out {:?}", u.map(|u| &u.name)),
                    LoginEvent::LoadedFromCookie(u) => format!("cookie {}", u.name),
                    LoginEvent::LoadedFromRequest(u) => format!("request {}", u.name),
                    LoginEvent::LoginConfirmed => "confirmed".to_owned(),
                    LoginEvent::Unauthorized => "unauthorized".to_owned(),
                    LoginEvent::NeedsRefresh => "refresh".to_owned(),
                    LoginEvent::SessionProtected => "protected".to_owned(),
                    _ => "other".to_owned(),
                };
                log.lock().unwrap().push(line);
            }),
        |_| {},
    )
    .test_client();
    client.get("/private").send().await;
    log_in(&client, "1", true).await;
    client
        .get("/")
        .header("user-agent", "elsewhere")
        .send()
        .await;
    let token = client.cookie("remember_token").unwrap();
    let other = client.app().test_client();
    other.set_cookie("remember_token", &token);
    other.get("/settings").send().await;
    other.get("/reauth").send().await;
    other.get("/logout").send().await;
    // A client of the API: a wrong token finds nobody, the right one finds ada.
    let api = client.app().test_client();
    let resp = api
        .get("/private")
        .header("authorization", "Bearer wrong-token")
        .send()
        .await;
    assert_eq!(resp.status(), 302);
    let resp = api
        .get("/private")
        .header("authorization", "Bearer ada-token")
        .send()
        .await;
    assert_eq!(resp.text(), "private for ada");
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "unauthorized",
            "in ada",
            "protected",
            "cookie ada",
            "refresh",
            "confirmed",
            "out Some(\"ada\")",
            "unauthorized",
            "request ada"
        ]
    );
}

#[tokio::test]
async fn refresh_each_request_renews_the_remember_cookie() {
    let client = app(manager(), |c| {
        c.set("REMEMBER_COOKIE_REFRESH_EACH_REQUEST", true);
    })
    .test_client();
    log_in(&client, "1", true).await;
    let resp = client.get("/").send().await;
    assert!(
        resp.headers()
            .get_all("set-cookie")
            .iter()
            .any(|v| v.to_str().unwrap().starts_with("remember_token=")),
        "the cookie was not renewed"
    );
    // Not for a user who did not ask to be remembered.
    let client = app(manager(), |c| {
        c.set("REMEMBER_COOKIE_REFRESH_EACH_REQUEST", true);
    })
    .test_client();
    log_in(&client, "1", false).await;
    let resp = client.get("/").send().await;
    assert!(
        !resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .any(|v| v.to_str().unwrap().starts_with("remember_token="))
    );
}

#[tokio::test]
async fn remember_duration_is_per_login() {
    #[flask::view]
    async fn short(current: CurrentUser<User>) -> &'static str {
        current.login_user(
            find("1").unwrap(),
            LoginOptions::new()
                .remember(true)
                .duration(Duration::from_secs(60)),
        );
        "ok"
    }
    let client = app(manager(), |_| {})
        .route("/short", get(short))
        .test_client();
    let resp = client.get("/short").send().await;
    let set = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("remember_token="))
        .unwrap()
        .to_owned();
    assert!(set.contains("Max-Age=60"), "{set}");
}

#[tokio::test]
async fn setup_mistakes_are_startup_errors() {
    let no_key = Flask::new("x")
        .extension(manager())
        .build()
        .unwrap_err()
        .to_string();
    assert!(no_key.contains("SECRET_KEY"), "{no_key}");

    let no_loader = Flask::new("x")
        .configure(|c| c.set("SECRET_KEY", "k"))
        .extension(LoginManager::<User>::new())
        .build()
        .unwrap_err()
        .to_string();
    assert!(no_loader.contains("user_loader"), "{no_loader}");

    let bad_view = Flask::new("x")
        .configure(|c| c.set("SECRET_KEY", "k"))
        .extension(manager().login_view("auth.login"))
        .build()
        .unwrap();
    let err = bad_view.startup().await.unwrap_err().to_string();
    assert!(err.contains("\"auth.login\" is not an endpoint"), "{err}");
}

#[tokio::test]
async fn without_the_manager_the_extractor_says_what_to_add() {
    let client = Flask::new("x")
        .configure(|c| {
            c.set("SECRET_KEY", "k");
            c.set("DEBUG", true);
        })
        .route("/", get(index))
        .test_client();
    let resp = client.get("/").send().await;
    assert_eq!(resp.status(), 500);
    assert!(
        resp.text().contains("no LoginManager&lt;"),
        "{}",
        resp.text()
    );
}

#[tokio::test]
async fn cookie_restores_and_reauthentication_give_the_session_a_new_id() {
    let client = store_client();
    log_in(&client, "1", true).await;
    let token = client.cookie("remember_token").unwrap();
    // A browser holding a session planted by somebody else, and the victim's cookie.
    let browser = client.app().test_client();
    browser.get("/private").send().await; // a session exists (the flash)
    let planted = browser.cookie("session").unwrap();
    browser.set_cookie("remember_token", &token);
    assert_eq!(browser.get("/").send().await.text(), "hello ada");
    let restored = browser.cookie("session").unwrap();
    assert_ne!(planted, restored);
    let attacker = client.app().test_client();
    attacker.set_cookie("session", &planted);
    assert_eq!(attacker.get("/").send().await.text(), "hello stranger");
    // confirm_login too.
    browser.get("/reauth").send().await;
    assert_ne!(browser.cookie("session").unwrap(), restored);
    let attacker = client.app().test_client();
    attacker.set_cookie("session", &restored);
    assert_eq!(attacker.get("/").send().await.text(), "hello stranger");
}

#[tokio::test]
async fn the_session_cookie_of_before_a_logout_logs_nobody_in() {
    let client = store_client();
    log_in(&client, "1", false).await;
    let before = client.cookie("session").unwrap();
    client.get("/logout").send().await;
    let old = client.app().test_client();
    old.set_cookie("session", &before);
    assert_eq!(old.get("/").send().await.text(), "hello stranger");
}

#[tokio::test]
async fn with_cookie_sessions_a_copy_from_before_a_logout_still_logs_in_as_in_flask() {
    // The data is in the cookie and nothing is kept on the server, so a logout cannot
    // revoke a copy of the cookie (Flask's own trade-off): a store session, or an
    // alternative id that changes at "log out everywhere", does (docs/sessions.md).
    let client = client();
    log_in(&client, "1", false).await;
    let before = client.cookie("session").unwrap();
    client.get("/logout").send().await;
    assert_eq!(client.get("/").send().await.text(), "hello stranger");
    let copy = client.app().test_client();
    copy.set_cookie("session", &before);
    assert_eq!(copy.get("/").send().await.text(), "hello ada");
}

#[tokio::test]
async fn a_login_restored_from_the_cookie_stays_under_strong_protection() {
    let client = app(
        manager().session_protection(SessionProtection::Strong),
        |_| {},
    )
    .test_client();
    log_in(&client, "1", true).await;
    let token = client.cookie("remember_token").unwrap();
    // Another browser (another User-Agent) with only the cookie.
    let other = client.app().test_client();
    other.set_cookie("remember_token", &token);
    for _ in 0..3 {
        let resp = other.get("/").header("user-agent", "phone").send().await;
        assert_eq!(resp.text(), "hello ada");
    }
}

#[tokio::test]
async fn the_user_loader_runs_once_per_request() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let client = app(
        LoginManager::<User>::new().user_loader(move |id: String| {
            counter.fetch_add(1, Ordering::SeqCst);
            async move { find(&id) }
        }),
        |_| {},
    )
    .route(
        "/both",
        get(
            |a: CurrentUser<User>, b: LoginRequired<User>, _c: FreshLoginRequired<User>| async move {
                format!("{} {}", a.get_id().unwrap_or_default(), b.0.name)
            },
        ),
    )
    .test_client();
    client.login_as(&find("1").unwrap()).await;
    calls.store(0, Ordering::SeqCst);
    assert_eq!(client.get("/both").send().await.text(), "1 ada");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // Static files load nobody.
    calls.store(0, Ordering::SeqCst);
    client.get("/static/nothing.css").send().await;
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[derive(Debug, Clone, Serialize)]
struct Admin {
    id: i64,
}

impl UserMixin for Admin {
    fn get_id(&self) -> String {
        self.id.to_string()
    }
}

#[tokio::test]
async fn an_app_has_one_login_manager() {
    let err = Flask::new("two")
        .configure(|c| c.set("SECRET_KEY", "k"))
        .extension(manager())
        .extension(
            LoginManager::<Admin>::new()
                .user_loader(|id: String| async move { id.parse().ok().map(|id| Admin { id }) }),
        )
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("LoginManager<") && err.contains("one"),
        "{err}"
    );
}

#[tokio::test]
async fn another_users_remember_cookie_is_not_renewed_or_kept() {
    let client = app(manager(), |c| {
        c.set("REMEMBER_COOKIE_REFRESH_EACH_REQUEST", true);
    })
    .test_client();
    log_in(&client, "1", true).await;
    let ada_token = client.cookie("remember_token").unwrap();
    // Ada logs out, which removes her cookie; a copy of it comes back (a browser
    // restoring cookies, say), and she is in again from it alone.
    let resp = client.get("/logout").send().await;
    assert_eq!(resp.status(), 302);
    assert_eq!(client.cookie("remember_token"), None);
    assert_eq!(client.get("/").send().await.text(), "hello stranger");
    client.set_cookie("remember_token", &ada_token);
    assert_eq!(client.get("/").send().await.text(), "hello ada");
    assert_eq!(
        client.get("/status").send().await.text(),
        "fresh=false remembered=true"
    );
    // Bob logs in on the same browser without "remember me": ada's cookie goes, though
    // REMEMBER_COOKIE_REFRESH_EACH_REQUEST would renew a cookie of the user logged in.
    let resp = client
        .post("/login")
        .form(&[("id", "2"), ("force", "true")])
        .send()
        .await;
    assert_eq!(resp.header("location"), Some("/"));
    let removal = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("remember_token="))
        .expect("the login answers with a removal of ada's cookie")
        .to_owned();
    assert!(removal.contains("Max-Age=0"), "{removal}");
    assert_eq!(
        client.cookie("remember_token"),
        None,
        "ada's cookie was kept"
    );
    assert_eq!(client.get("/").send().await.text(), "hello bob");
    // Once bob's session ends, nobody is logged in.
    client.session_transaction(|s| s.clear()).await;
    assert_eq!(client.get("/").send().await.text(), "hello stranger");

    // Refresh renews only the cookie of the user logged in.
    let client = app(manager(), |c| {
        c.set("REMEMBER_COOKIE_REFRESH_EACH_REQUEST", true);
    })
    .test_client();
    client.login_as(&find("2").unwrap()).await;
    client.set_cookie("remember_token", &ada_token);
    let resp = client.get("/").send().await;
    assert_eq!(resp.text(), "hello bob");
    assert!(
        !resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .any(|v| v.to_str().unwrap().starts_with("remember_token=")),
        "bob got a remember cookie he did not ask for"
    );
}

#[tokio::test]
async fn remember_cookies_of_deleted_or_disabled_users_log_nobody_in() {
    let signer = Signer::new("test secret", "flask-login remember-me");
    let far = 4_000_000_000_u64;
    for id in ["2", "99"] {
        let client = client();
        client.set_cookie("remember_token", &signer.sign(&format!("{id}|{far}")));
        assert_eq!(
            client.get("/").send().await.text(),
            "hello stranger",
            "{id}"
        );
        assert_eq!(client.cookie("remember_token"), None, "{id}: cookie kept");
    }
}

#[tokio::test]
async fn nested_blueprints_use_their_parents_login_view_and_a_guarded_login_view_is_401() {
    let inner = Blueprint::new("reports")
        .url_prefix("/reports")
        .route("/", get(|| async { "reports" }));
    let admin = Blueprint::new("admin")
        .url_prefix("/admin")
        .before_request(flask_login::login_required::<User>())
        .route("/login", get(|| async { "admin login" }).endpoint("login"))
        .blueprint(inner);
    let client = app(
        manager()
            .login_view("login_form")
            .blueprint_login_view("admin", "admin.login"),
        |_| {},
    )
    .blueprint(admin)
    .test_client();
    let resp = client.get("/admin/reports/").send().await;
    assert_eq!(
        resp.header("location"),
        Some("/admin/login?next=%2Fadmin%2Freports%2F")
    );
    // The login page is behind the guard too: a 401, not a redirect to itself.
    assert_eq!(client.get("/admin/login").send().await.status(), 401);
}

#[tokio::test]
async fn session_protection_false_is_off() {
    let client = app(manager(), |c| {
        c.set("SESSION_PROTECTION", false);
    })
    .test_client();
    log_in(&client, "1", false).await;
    let resp = client
        .get("/settings")
        .header("user-agent", "x")
        .send()
        .await;
    assert_eq!(resp.text(), "settings of ada");
}

#[tokio::test]
async fn with_use_session_for_next_the_login_forgets_next() {
    let client = app(manager().login_view("login_form"), |c| {
        c.set("USE_SESSION_FOR_NEXT", true);
    })
    .test_client();
    client.get("/private").send().await;
    let resp = client.post("/login").form(&[("id", "1")]).send().await;
    assert_eq!(resp.header("location"), Some("/private"));
    client.get("/logout").send().await;
    let resp = client.post("/login").form(&[("id", "1")]).send().await;
    assert_eq!(resp.header("location"), Some("/"));
}

#[tokio::test]
async fn the_apps_401_handler_renders_unauthorized() {
    let client = app(manager(), |_| {})
        .errorhandler(401, || async {
            (flask::StatusCode::UNAUTHORIZED, "who are you?")
        })
        .test_client();
    let resp = client.get("/private").send().await;
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.text(), "who are you?");
}

#[flask::view]
async fn live_feed(
    LoginRequired(user): LoginRequired<User>,
    ws: flask::ws::WebSocketUpgrade,
) -> flask::Response {
    ws.on_upgrade(move |mut socket| async move {
        let _ = socket.send_text(format!("hello {}", user.name)).await;
    })
}

#[tokio::test]
async fn a_websocket_handshake_sees_the_logged_in_user() {
    let client = app(manager().login_view("login_form"), |_| {})
        .route("/feed", flask::routing::websocket(live_feed))
        .test_client();
    // Anonymous: the handshake is answered like any page that needs a login.
    let refused = client.get("/feed").websocket().await.unwrap_err();
    assert_eq!(refused.status(), 302);
    assert_eq!(refused.header("location"), Some("/login?next=%2Ffeed"));
    client.login_as(&find("1").unwrap()).await;
    let mut ws = client.get("/feed").websocket().await.unwrap();
    assert_eq!(ws.recv_text().await.as_deref(), Some("hello ada"));
}
