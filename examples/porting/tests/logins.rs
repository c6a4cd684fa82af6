//! Flask-Login's logins and Flask-WTF's CSRF tokens crossing between real Python Flask
//! (python/legacy.py: Flask 3.1, Flask-Login 0.6, Flask-WTF 1.3) and the Rust half, over
//! real sockets: a login on one side is a login on the other (fresh, so the session
//! identifiers agree), a remember-me cookie from one logs in on the other, a logout on
//! either ends it, and a form rendered by one side posts to the other.

use std::collections::BTreeMap;
use std::path::PathBuf;

use test_support::http::{Response, send, serve};
use test_support::python::{PythonApp, flask_python};

const SECRET: &str = "porting-test-secret-of-32-bytes!";
const AGENT: &str = "porting-test/1.0 (X11)";

/// Both halves; `None` without a Python that has Flask (skipped unless services are
/// required).
async fn both() -> Option<(PythonApp, String)> {
    let python = flask_python()?;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/legacy.py");
    let py = PythonApp::start(&python, &script, &[("FLASK_SECRET_KEY", SECRET)]).await;
    let rust = porting::app()
        .configure(|c| c.set("SECRET_KEY", SECRET))
        .build()
        .expect("the app builds");
    Some((py, serve(rust).await))
}

/// A browser: its cookies (the last value a response set for each name) and User-Agent.
#[derive(Default)]
struct Browser {
    cookies: BTreeMap<String, String>,
}

impl Browser {
    async fn request(&mut self, base: &str, method: &str, path: &str, form: &str) -> Response {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut headers = vec![("User-Agent", AGENT)];
        if !cookie.is_empty() {
            headers.push(("Cookie", cookie.as_str()));
        }
        if !form.is_empty() {
            headers.push(("Content-Type", "application/x-www-form-urlencoded"));
        }
        let resp = send(base, method, path, &headers, form.as_bytes())
            .await
            .unwrap_or_else(|e| panic!("{method} {base}{path}: {e}"));
        for (name, value) in &resp.headers {
            if name != "set-cookie" {
                continue;
            }
            let pair = value.split(';').next().unwrap_or_default();
            if let Some((k, v)) = pair.split_once('=') {
                if v.is_empty() {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        resp
    }

    async fn get(&mut self, base: &str, path: &str) -> String {
        let resp = self.request(base, "GET", path, "").await;
        assert_eq!(resp.status, 200, "GET {base}{path}: {}", resp.body);
        resp.body
    }

    /// A login through the side's form, with that side's CSRF token.
    async fn log_in(&mut self, base: &str, side: &str, remember: bool) {
        let token = self.get(base, &format!("/{side}/csrf")).await;
        let remember = if remember { "&remember=yes" } else { "" };
        let form = format!("name=ada&password=ada-password{remember}&csrf_token={token}");
        let resp = self
            .request(base, "POST", &format!("/{side}/login"), &form)
            .await;
        assert_eq!(
            (resp.status, resp.body.as_str()),
            (200, "logged in"),
            "{side}"
        );
    }
}

#[tokio::test]
async fn a_login_on_either_side_is_a_fresh_login_on_the_other_and_a_logout_ends_both() {
    let Some((py, rust)) = both().await else {
        return;
    };
    for (first, first_side, second, second_side) in
        [(&py.base, "py", &rust, "rs"), (&rust, "rs", &py.base, "py")]
    {
        let mut browser = Browser::default();
        browser.log_in(first, first_side, false).await;
        // Fresh on the other side too: the session identifier (`_id`) each side computes
        // for this browser is the same, so session protection does not mark it stale.
        assert_eq!(
            browser.get(second, &format!("/{second_side}/whoami")).await,
            "ada fresh=True",
            "logged in on {first_side}"
        );
        browser
            .get(second, &format!("/{second_side}/logout-user"))
            .await;
        assert_eq!(
            browser.get(first, &format!("/{first_side}/whoami")).await,
            "anonymous",
            "logged out on {second_side}"
        );
    }
    py.stop().await;
}

#[tokio::test]
async fn a_remember_me_cookie_from_either_side_logs_in_on_the_other() {
    let Some((py, rust)) = both().await else {
        return;
    };
    for (first, first_side, second, second_side) in
        [(&py.base, "py", &rust, "rs"), (&rust, "rs", &py.base, "py")]
    {
        let mut browser = Browser::default();
        browser.log_in(first, first_side, true).await;
        let token = browser
            .cookies
            .get("remember_token")
            .cloned()
            .unwrap_or_else(|| panic!("{first_side} set no remember_token"));
        // The browser was closed: only the remember-me cookie is left.
        let mut reopened = Browser::default();
        reopened
            .cookies
            .insert("remember_token".to_owned(), token.clone());
        assert_eq!(
            reopened
                .get(second, &format!("/{second_side}/whoami"))
                .await,
            "ada fresh=False",
            "remembered by {first_side}"
        );
        // A forged cookie (another user's id with ada's digest) logs nobody in.
        let mut forged = Browser::default();
        let (_, digest) = token.rsplit_once('|').unwrap();
        forged
            .cookies
            .insert("remember_token".to_owned(), format!("2|{digest}"));
        assert_eq!(
            forged.get(second, &format!("/{second_side}/whoami")).await,
            "anonymous"
        );
    }
    py.stop().await;
}

#[tokio::test]
async fn a_form_rendered_by_either_side_posts_to_the_other() {
    let Some((py, rust)) = both().await else {
        return;
    };
    for (render, render_side, post, post_side) in
        [(&py.base, "py", &rust, "rs"), (&rust, "rs", &py.base, "py")]
    {
        let mut browser = Browser::default();
        let token = browser.get(render, &format!("/{render_side}/csrf")).await;
        let resp = browser
            .request(
                post,
                "POST",
                &format!("/{post_side}/form"),
                &format!("csrf_token={token}"),
            )
            .await;
        assert_eq!(
            (resp.status, resp.body.as_str()),
            (200, "posted"),
            "rendered by {render_side}"
        );
        // A changed token, or none, is refused with Flask-WTF's message on the other side.
        let resp = browser
            .request(
                post,
                "POST",
                &format!("/{post_side}/form"),
                &format!("csrf_token=x{token}"),
            )
            .await;
        assert_eq!(resp.status, 400);
        assert!(
            resp.body.contains("The CSRF token is invalid."),
            "{}",
            resp.body
        );
        let resp = browser
            .request(post, "POST", &format!("/{post_side}/form"), "a=1")
            .await;
        assert_eq!(resp.status, 400);
        assert!(
            resp.body.contains("The CSRF token is missing."),
            "{}",
            resp.body
        );
    }
    py.stop().await;
}
