//! The cookbook as a user sees it, on SQLite, PostgreSQL and MariaDB: registering, logging
//! in and out, pages that need a (fresh) login, remember-me, re-authentication, `?next=`,
//! and the test client's `login_as`.

mod common;

use common::{PASSWORD, app, backends, empty_app, engine, flash, login, login_at};
use flask::testing::TestClient;
use flask_login::testing::LoginClient;
use login::User;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_login_profile_logout() {
    for url in backends() {
        let c = empty_app(&url, "login_round_trip").await;
        let page = c.get("/").send().await.text();
        assert!(page.contains("Hello, stranger!"), "{url}: {page}");
        assert!(
            page.contains(r#"<a href="/auth/login">Log In</a>"#),
            "{url}: {page}"
        );

        // Register.
        let r = c.get("/auth/register").send().await;
        assert_eq!(r.status(), 200, "{url}");
        assert!(
            r.text().contains("<title>Register - Login</title>"),
            "{url}"
        );
        let r = c
            .post("/auth/register")
            .form(&[("email", " Ada@Example.com"), ("password", "secret")])
            .send()
            .await;
        assert_eq!(r.status(), 302, "{url}: {}", r.text());
        assert_eq!(r.header("location"), Some("/auth/login"), "{url}");
        let page = c.get("/auth/login").send().await.text();
        assert!(
            page.contains(&flash("info", "Registered. Log in now.")),
            "{url}: {page}"
        );
        assert!(
            page.contains(r#"<input type="checkbox" name="remember" id="remember"> Remember me"#),
            "{url}: {page}"
        );
        // Stored trimmed, in lower case, with the password hashed.
        let user = engine(&c)
            .select::<User>()
            .filter(User::email.eq("ada@example.com"))
            .one()
            .await
            .unwrap();
        assert!(user.password.starts_with("$argon2id$"), "{url}");
        assert!(user.active, "{url}");

        // Log in, as typed at registration.
        let r = login(&c, "ADA@example.com", "secret").await;
        assert_eq!(r.status(), 302, "{url}: {}", r.text());
        assert_eq!(r.header("location"), Some("/"), "{url}");
        // No "Remember me": no remember-me cookie.
        assert!(c.cookie("session").is_some(), "{url}");
        assert!(c.cookie("remember_token").is_none(), "{url}");

        let r = c.get("/profile").send().await;
        assert_eq!(r.status(), 200, "{url}");
        let page = r.text();
        assert!(
            page.contains(r#"<dd class="email">ada@example.com</dd>"#),
            "{url}: {page}"
        );
        assert!(
            page.contains(r#"<dd class="fresh">Fresh:"#),
            "{url}: {page}"
        );
        assert!(
            page.contains(r#"<dd class="remembered">Not remembered:"#),
            "{url}: {page}"
        );
        assert!(
            page.contains("<li><span>Logged in as ada@example.com</span>"),
            "{url}: {page}"
        );
        // A fresh login opens the settings right away.
        assert_eq!(c.get("/settings").send().await.status(), 200, "{url}");

        // Log out.
        let r = c.get("/auth/logout").send().await;
        assert_eq!(r.status(), 302, "{url}");
        assert_eq!(r.header("location"), Some("/"), "{url}");
        let page = c.get("/").send().await.text();
        assert!(
            page.contains(&flash("info", "You have been logged out.")),
            "{url}: {page}"
        );
        assert!(page.contains("Hello, stranger!"), "{url}: {page}");
        assert!(!page.contains("Logged in as"), "{url}: {page}");
        let r = c.get("/profile").send().await;
        assert_eq!(
            r.header("location"),
            Some("/auth/login?next=%2Fprofile"),
            "{url}"
        );
        // POST logs out too, and logging out without a login is fine.
        let r = c.post("/auth/logout").send().await;
        assert_eq!(r.status(), 302, "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_validate_input() {
    for url in backends() {
        let (c, _) = app(&url, "login_register_validate").await;
        let long = format!("{}@example.com", "x".repeat(120));
        for (email, password, message) in [
            ("", "", "Email is required."),
            ("   ", "a", "Email is required."),
            ("new@example.com", "", "Password is required."),
            (
                "ada@example.com",
                "a",
                "Email ada@example.com is already registered.",
            ),
            // Taken in another case, too.
            (
                "ADA@example.com",
                "a",
                "Email ada@example.com is already registered.",
            ),
            (long.as_str(), "a", "An email has at most 120 characters."),
        ] {
            let r = c
                .post("/auth/register")
                .form(&[("email", email), ("password", password)])
                .send()
                .await;
            assert_eq!(r.status(), 200, "{url}: {message}");
            let page = r.text();
            assert!(page.contains(&flash("error", message)), "{url}: {page}");
            assert!(page.contains("<h1>Register</h1>"), "{url}: {page}");
        }
        // Nothing was written; ada's password is still hers.
        assert_eq!(engine(&c).all::<User>().await.unwrap().len(), 2, "{url}");
        assert_eq!(login(&c, "ada@example.com", PASSWORD).await.status(), 302);
        // An email that needs escaping is shown escaped.
        let form = [("email", "<b>x</b>@example.com"), ("password", "a")];
        assert_eq!(
            c.post("/auth/register").form(&form).send().await.status(),
            302,
            "{url}"
        );
        let page = c.post("/auth/register").form(&form).send().await.text();
        assert!(!page.contains("<b>x</b>"), "{url}: {page}");
        assert!(
            page.contains("Email &lt;b&gt;x&lt;/b&gt;@example.com is already registered."),
            "{url}: {page}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_or_email() {
    for url in backends() {
        let (c, _) = app(&url, "login_wrong_password").await;
        for (email, password) in [
            ("ada@example.com", "wrong horse"),
            ("nobody@example.com", PASSWORD),
            ("", ""),
        ] {
            let r = login(&c, email, password).await;
            assert_eq!(r.status(), 200, "{url}: {email}");
            let page = r.text();
            assert!(
                page.contains(&flash("error", "Incorrect email or password.")),
                "{url}: {page}"
            );
            assert!(page.contains("<h1>Log In</h1>"), "{url}: {page}");
            // Still nobody.
            assert_eq!(c.get("/profile").send().await.status(), 302, "{url}");
        }
        // A disabled account: the password is right, the login is refused.
        let r = login(&c, "bob@example.com", PASSWORD).await;
        assert_eq!(r.status(), 200, "{url}");
        assert!(
            r.text()
                .contains(&flash("error", "This account is disabled.")),
            "{url}: {}",
            r.text()
        );
        assert_eq!(c.get("/profile").send().await.status(), 302, "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_required_redirects_to_the_login_page_and_back() {
    for url in backends() {
        let (c, _) = app(&url, "login_required").await;
        let r = c.get("/profile").send().await;
        assert_eq!(r.status(), 302, "{url}");
        assert_eq!(
            r.header("location"),
            Some("/auth/login?next=%2Fprofile"),
            "{url}"
        );
        let page = c.get("/auth/login?next=%2Fprofile").send().await.text();
        assert!(
            page.contains(&flash("info", "Please log in to access this page.")),
            "{url}: {page}"
        );
        // The form posts back to the same URL: after logging in, the profile.
        let r = login_at(
            &c,
            "/auth/login?next=%2Fprofile",
            "ada@example.com",
            PASSWORD,
            false,
        )
        .await;
        assert_eq!(r.header("location"), Some("/profile"), "{url}");
        assert_eq!(c.get("/profile").send().await.status(), 200, "{url}");
        // A failed attempt keeps `next` for the next one (the URL does not change).
        c.get("/auth/logout").send().await;
        let r = c
            .get("/settings?tab=password")
            .follow_redirects()
            .send()
            .await;
        assert_eq!(
            r.history(),
            ["/settings?tab=password"],
            "{url}: {:?}",
            r.history()
        );
        let to = "/auth/login?next=%2Fsettings%3Ftab%3Dpassword";
        assert_eq!(
            login_at(&c, to, "ada@example.com", "wrong", false)
                .await
                .status(),
            200
        );
        let r = login_at(&c, to, "ada@example.com", PASSWORD, false).await;
        assert_eq!(
            r.header("location"),
            Some("/settings?tab=password"),
            "{url}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_never_leaves_the_site() {
    for url in backends() {
        let (c, _) = app(&url, "login_open_redirect").await;
        for next in [
            "//evil.com",
            "https://evil.com",
            "https%3A%2F%2Fevil.com",
            "/%5Cevil.com",
            "%2F%2Fevil.com",
            "/%2F%2Fevil.com",
            "%252F%252Fevil.com",
            "javascript:alert(1)",
            "evil.com",
        ] {
            c.get("/auth/logout").send().await;
            let path = format!("/auth/login?next={next}");
            let r = login_at(&c, &path, "ada@example.com", PASSWORD, false).await;
            assert_eq!(r.status(), 302, "{url}: {next}");
            assert_eq!(r.header("location"), Some("/"), "{url}: {next}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remember_me_then_reauthenticate() {
    for url in backends() {
        let (c, _) = app(&url, "login_remember").await;
        let r = login_at(&c, "/auth/login", "ada@example.com", PASSWORD, true).await;
        assert_eq!(r.header("location"), Some("/"), "{url}");
        let token = c.cookie("remember_token").expect("a remember-me cookie");
        let page = c.get("/profile").send().await.text();
        assert!(
            page.contains(r#"<dd class="remembered">Remembered:"#),
            "{url}: {page}"
        );

        // The browser was closed: a new client with the remember-me cookie only.
        let later = c.app().test_client();
        later.set_cookie("remember_token", &token);
        let r = later.get("/profile").send().await;
        assert_eq!(r.status(), 200, "{url}");
        let page = r.text();
        assert!(
            page.contains(r#"<dd class="email">ada@example.com</dd>"#),
            "{url}: {page}"
        );
        assert!(
            page.contains(r#"<dd class="fresh">Not fresh:"#),
            "{url}: {page}"
        );
        assert!(
            page.contains(r#"<dd class="remembered">Remembered:"#),
            "{url}: {page}"
        );
        // ... with a session of its own from now on.
        assert!(later.cookie("session").is_some(), "{url}");

        // The settings want the password first.
        let r = later.get("/settings").send().await;
        assert_eq!(r.status(), 302, "{url}");
        assert_eq!(
            r.header("location"),
            Some("/auth/reauth?next=%2Fsettings"),
            "{url}"
        );
        let r = later.get("/auth/reauth?next=%2Fsettings").send().await;
        assert_eq!(r.status(), 200, "{url}");
        let page = r.text();
        assert!(
            page.contains(&flash("info", "Please reauthenticate to access this page.")),
            "{url}: {page}"
        );
        assert!(
            page.contains("Type the password of ada@example.com"),
            "{url}: {page}"
        );
        // Posting the new password needs a fresh login as well.
        let r = later
            .post("/settings")
            .form(&[("password", "new")])
            .send()
            .await;
        assert_eq!(
            r.header("location"),
            Some("/auth/reauth?next=%2Fsettings"),
            "{url}"
        );

        // A wrong password: asked again.
        let r = later
            .post("/auth/reauth?next=%2Fsettings")
            .form(&[("password", "wrong")])
            .send()
            .await;
        assert_eq!(r.status(), 200, "{url}");
        assert!(
            r.text().contains(&flash("error", "Incorrect password.")),
            "{url}"
        );
        assert_eq!(later.get("/settings").send().await.status(), 302, "{url}");

        // The right one: on to the settings, now fresh.
        let r = later
            .post("/auth/reauth?next=%2Fsettings")
            .form(&[("password", PASSWORD)])
            .send()
            .await;
        assert_eq!(r.status(), 302, "{url}");
        assert_eq!(r.header("location"), Some("/settings"), "{url}");
        let r = later.get("/settings").send().await;
        assert_eq!(r.status(), 200, "{url}");
        assert!(
            r.text().contains("Change the password of ada@example.com."),
            "{url}"
        );
        let page = later.get("/profile").send().await.text();
        assert!(
            page.contains(r#"<dd class="fresh">Fresh:"#),
            "{url}: {page}"
        );

        // And the password changes.
        let r = later
            .post("/settings")
            .form(&[("password", "")])
            .send()
            .await;
        assert_eq!(r.status(), 200, "{url}");
        assert!(
            r.text().contains(&flash("error", "Password is required.")),
            "{url}"
        );
        let r = later
            .post("/settings")
            .form(&[("password", "battery staple")])
            .send()
            .await;
        assert_eq!(r.header("location"), Some("/profile"), "{url}");
        let page = later.get("/profile").send().await.text();
        assert!(
            page.contains(&flash("info", "Password changed.")),
            "{url}: {page}"
        );
        let other = c.app().test_client();
        assert_eq!(
            login(&other, "ada@example.com", PASSWORD).await.status(),
            200,
            "{url}"
        );
        assert_eq!(
            login(&other, "ada@example.com", "battery staple")
                .await
                .status(),
            302,
            "{url}"
        );

        // Logging out removes the remember-me cookie: the next new client is nobody.
        later.get("/auth/logout").send().await;
        assert!(later.cookie("remember_token").is_none(), "{url}");
        assert_eq!(later.get("/profile").send().await.status(), 302, "{url}");

        // A cookie changed to name another user is no login.
        let bob = engine(&c)
            .select::<User>()
            .filter(User::email.eq("bob@example.com"))
            .one()
            .await
            .unwrap();
        let forged = c.app().test_client();
        let (_, digest) = token.rsplit_once('|').unwrap();
        forged.set_cookie("remember_token", &format!("{}|{digest}", bob.session_token));
        assert_eq!(forged.get("/profile").send().await.status(), 302, "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_see_current_user() {
    for url in backends() {
        let (c, ada) = app(&url, "login_templates").await;
        let page = c.get("/").send().await.text();
        assert!(
            page.contains(r#"<p class="greeting">Hello, stranger!</p>"#),
            "{url}: {page}"
        );
        assert!(
            page.contains(r#"<a href="/auth/register">Register</a>"#),
            "{url}: {page}"
        );
        login(&c, "ada@example.com", PASSWORD).await;
        let page = c.get("/").send().await.text();
        assert!(
            page.contains(&format!(
                r#"<p class="greeting">Hello, ada@example.com! You are user {}.</p>"#,
                ada.id
            )),
            "{url}: {page}"
        );
        assert!(
            page.contains("<li><span>Logged in as ada@example.com</span>"),
            "{url}: {page}"
        );
        assert!(
            page.contains(r#"<a href="/auth/logout">Log Out</a>"#),
            "{url}: {page}"
        );
        assert!(!page.contains("Register"), "{url}: {page}");
        // The hash never reaches a page.
        assert!(!page.contains("$argon2id$"), "{url}: {page}");
    }
}

/// `login_as`: a test logged in without the form, and `login_as_stale` for the pages that
/// need a fresh login.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_as_from_the_testing_module() {
    for url in backends() {
        let (c, ada) = app(&url, "login_login_as").await;
        c.login_as(&ada).await;
        let r = c.get("/profile").send().await;
        assert_eq!(r.status(), 200, "{url}");
        assert!(
            r.text().contains(r#"<dd class="fresh">Fresh:"#),
            "{url}: {}",
            r.text()
        );
        assert_eq!(c.get("/settings").send().await.status(), 200, "{url}");
        c.logout().await;
        assert_eq!(c.get("/profile").send().await.status(), 302, "{url}");

        let stale: TestClient = c.app().test_client();
        stale.login_as_stale(&ada).await;
        assert_eq!(stale.get("/profile").send().await.status(), 200, "{url}");
        let r = stale.get("/settings").send().await;
        assert_eq!(
            r.header("location"),
            Some("/auth/reauth?next=%2Fsettings"),
            "{url}"
        );
        // A user deleted since is nobody.
        engine(&c).delete(&ada).await.unwrap();
        assert_eq!(stale.get("/profile").send().await.status(), 302, "{url}");
    }
}

/// With cookie sessions a logout cannot delete anything on the server; the alternative
/// token (what the session and the remember-me cookie hold instead of the id) can change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_out_everywhere_and_a_new_password_end_every_copy_of_the_cookies() {
    for url in backends() {
        let (laptop, ada) = app(&url, "login_everywhere").await;
        // The phone logs in with "Remember me"; a copy of its cookies is taken.
        let phone = laptop.app().test_client();
        login_at(&phone, "/auth/login", "ada@example.com", PASSWORD, true).await;
        let remember = phone.cookie("remember_token").unwrap();
        let session = phone.cookie("session").unwrap();
        assert!(
            !remember.starts_with(&format!("{}|", ada.id)),
            "{url}: the cookie holds the alternative token, not the id: {remember}"
        );
        login(&laptop, "ada@example.com", PASSWORD).await;
        assert_eq!(laptop.get("/profile").send().await.status(), 200, "{url}");

        let r = laptop.post("/auth/logout-everywhere").send().await;
        assert_eq!(r.header("location"), Some("/"), "{url}");
        let page = laptop.get("/").send().await.text();
        assert!(
            page.contains(&flash("info", "You have been logged out everywhere.")),
            "{url}: {page}"
        );
        assert_eq!(laptop.get("/profile").send().await.status(), 302, "{url}");
        // The phone's session, its remember-me cookie, and copies of either: nobody.
        assert_eq!(phone.get("/profile").send().await.status(), 302, "{url}");
        for (name, value) in [("session", &session), ("remember_token", &remember)] {
            let copy = laptop.app().test_client();
            copy.set_cookie(name, value);
            assert_eq!(
                copy.get("/profile").send().await.status(),
                302,
                "{url}: a copy of the {name} cookie"
            );
        }

        // A new password does the same for every other browser, and keeps this one in.
        login(&laptop, "ada@example.com", PASSWORD).await;
        login(&phone, "ada@example.com", PASSWORD).await;
        let r = laptop
            .post("/settings")
            .form(&[("password", "a new one")])
            .send()
            .await;
        assert_eq!(
            r.header("location"),
            Some("/profile"),
            "{url}: {}",
            r.text()
        );
        assert_eq!(laptop.get("/profile").send().await.status(), 200, "{url}");
        assert_eq!(phone.get("/profile").send().await.status(), 302, "{url}");
    }
}
