//! The tutorial's `tests/test_auth.py`, on SQLite, PostgreSQL and MariaDB: registering,
//! logging in and out, as a user sees them.

mod common;

use common::{app, backends, engine, login, submit};
use flaskr::User;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register() {
    for url in backends() {
        let (c, _) = app(&url, "flaskr_register").await;
        let r = c.get("/auth/register").send().await;
        assert_eq!(r.status(), 200, "{url}");
        let page = r.text();
        assert!(
            page.contains("<title>Register - Flaskr</title>"),
            "{url}: {page}"
        );
        assert!(page.contains("<h1>Register</h1>"), "{url}: {page}");
        assert!(
            page.contains(r#"<input type="submit" value="Register">"#),
            "{url}: {page}"
        );

        let r = submit(
            &c,
            "/auth/register",
            &[("username", "a"), ("password", "a")],
        )
        .await;
        assert_eq!(r.status(), 302, "{url}");
        assert_eq!(r.header("location"), Some("/auth/login"), "{url}");

        // The user is there, its password hashed (argon2id), never stored as typed.
        let user = engine(&c)
            .select::<User>()
            .filter(User::username.eq("a"))
            .one()
            .await
            .unwrap();
        assert!(user.password.starts_with("$argon2id$"), "{url}");
        assert!(!user.password.contains("$a$"), "{url}");
        // And it can log in.
        let r = login(&c, "a", "a").await;
        assert_eq!(r.header("location"), Some("/"), "{url}");
        let page = c.get("/").send().await.text();
        assert!(page.contains("<li><span>a</span>"), "{url}: {page}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_validate_input() {
    for url in backends() {
        let (c, _) = app(&url, "flaskr_register_validate").await;
        let long = "x".repeat(81);
        for (username, password, message) in [
            ("", "", "Username is required."),
            ("a", "", "Password is required."),
            ("test", "test", "User test is already registered."),
            (long.as_str(), "a", "A username has at most 80 characters."),
        ] {
            let r = submit(
                &c,
                "/auth/register",
                &[("username", username), ("password", password)],
            )
            .await;
            // The form again, with the message flashed on it.
            assert_eq!(r.status(), 200, "{url}: {message}");
            let page = r.text();
            assert!(
                page.contains(&format!("<div class=\"flash\">{message}</div>")),
                "{url}: {page}"
            );
            assert!(page.contains("<h1>Register</h1>"), "{url}: {page}");
        }
        // Shown once: the next page has no message.
        let page = c.get("/auth/register").send().await.text();
        assert!(!page.contains("class=\"flash\""), "{url}: {page}");
        // Nothing was written: `test` is still the only one of that name, with its password.
        let users = engine(&c).all::<User>().await.unwrap();
        let names: Vec<&str> = users.iter().map(|u| u.username.as_str()).collect();
        assert_eq!(names, ["test", "other"], "{url}");
        assert_eq!(login(&c, "test", "test").await.status(), 302, "{url}");
        // A name that needs escaping is shown escaped in the message.
        let r = submit(
            &c,
            "/auth/register",
            &[("username", "<b>x</b>"), ("password", "a")],
        )
        .await;
        assert_eq!(r.status(), 302, "{url}");
        let r = submit(
            &c,
            "/auth/register",
            &[("username", "<b>x</b>"), ("password", "a")],
        )
        .await;
        let page = r.text();
        assert!(
            page.contains("User &lt;b&gt;x&lt;/b&gt; is already registered."),
            "{url}: {page}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_and_session() {
    for url in backends() {
        let (c, _) = app(&url, "flaskr_login").await;
        let r = c.get("/auth/login").send().await;
        assert_eq!(r.status(), 200, "{url}");
        let page = r.text();
        assert!(
            page.contains("<title>Log In - Flaskr</title>"),
            "{url}: {page}"
        );
        assert!(
            page.contains(r#"<input type="submit" value="Log In">"#),
            "{url}: {page}"
        );
        // The form's CSRF token lives in a session, which holds no user yet.
        assert!(
            page.contains(r#"<a href="/auth/login">Log In</a>"#),
            "{url}: {page}"
        );
        let anonymous = c.cookie("session").expect("the CSRF token's session");

        let r = login(&c, "test", "test").await;
        assert_eq!(r.status(), 302, "{url}");
        assert_eq!(r.header("location"), Some("/"), "{url}");
        // The session holds the user: every page now shows who is logged in. It is a new
        // session, not the one from before the login (no session fixation).
        let logged_in = c.cookie("session").expect("a session");
        assert_ne!(logged_in, anonymous, "{url}");
        let page = c.get("/").send().await.text();
        assert!(page.contains("<li><span>test</span>"), "{url}: {page}");
        assert!(
            page.contains(r#"<a href="/auth/logout">Log Out</a>"#),
            "{url}: {page}"
        );
        assert!(!page.contains("Log In"), "{url}: {page}");
        assert!(!page.contains("Register"), "{url}: {page}");
        let page = c.get("/auth/login").send().await.text();
        assert!(page.contains("<li><span>test</span>"), "{url}: {page}");

        // Logging in as someone else replaces the session.
        let r = login(&c, "other", "other").await;
        assert_eq!(r.status(), 302, "{url}");
        let page = c.get("/").send().await.text();
        assert!(page.contains("<li><span>other</span>"), "{url}: {page}");
        assert!(!page.contains("<span>test</span>"), "{url}: {page}");

        // A cookie that was not signed with the app's key is no session.
        c.set_cookie("session", "forged");
        let page = c.get("/").send().await.text();
        assert!(page.contains("Log In"), "{url}: {page}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_validate_input() {
    for url in backends() {
        let (c, _) = app(&url, "flaskr_login_validate").await;
        for (username, password, message) in [
            ("a", "test", "Incorrect username."),
            ("test", "a", "Incorrect password."),
            ("", "", "Incorrect username."),
        ] {
            let r = login(&c, username, password).await;
            assert_eq!(r.status(), 200, "{url}: {username}");
            let page = r.text();
            assert!(
                page.contains(&format!("<div class=\"flash\">{message}</div>")),
                "{url}: {page}"
            );
            assert!(page.contains("<h1>Log In</h1>"), "{url}: {page}");
            // Still logged out.
            let page = c.get("/").send().await.text();
            assert!(page.contains("Log In"), "{url}: {page}");
            assert!(!page.contains("Log Out"), "{url}: {page}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout() {
    for url in backends() {
        let (c, _) = app(&url, "flaskr_logout").await;
        login(&c, "test", "test").await;
        assert!(c.cookie("session").is_some(), "{url}");
        let r = c.get("/auth/logout").send().await;
        assert_eq!(r.status(), 302, "{url}");
        assert_eq!(r.header("location"), Some("/"), "{url}");
        // The session is gone, cookie and all.
        assert!(c.cookie("session").is_none(), "{url}");
        let page = c.get("/").send().await.text();
        assert!(
            page.contains(r#"<a href="/auth/login">Log In</a>"#),
            "{url}: {page}"
        );
        assert!(
            page.contains(r#"<a href="/auth/register">Register</a>"#),
            "{url}: {page}"
        );
        assert!(!page.contains("Log Out"), "{url}: {page}");
        // The blog's forms want a login again.
        let r = c.get("/create").send().await;
        assert_eq!(r.header("location"), Some("/auth/login"), "{url}");
        // Logging out without a session is fine too.
        let r = c.get("/auth/logout").send().await;
        assert_eq!(r.status(), 302, "{url}");
    }
}
