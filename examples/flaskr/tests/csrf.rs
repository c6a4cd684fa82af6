//! CSRF protection (flask-wtf's `CsrfProtect`): every form carries the session's token in
//! a hidden `csrf_token` field, and a POST without it, or with another session's, is a 400
//! that changes nothing.

mod common;

use common::{app, engine, login, submit};
use flask_wtf::testing::CsrfClient;
use flaskr::{Post, User};

/// The value of the hidden `csrf_token` input of `page`, if it has one.
fn hidden_token(page: &str) -> Option<&str> {
    let start = page.find(r#"<input id="csrf_token" name="csrf_token" type="hidden" value=""#)?;
    let rest = &page[start..];
    let value = &rest[rest.find("value=\"")? + 7..];
    Some(&value[..value.find('"')?])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_form_carries_the_token() {
    let (c, id) = app("sqlite://", "flaskr_csrf_forms").await;
    for path in ["/auth/register", "/auth/login"] {
        let page = c.get(path).send().await.text();
        let token = hidden_token(&page).unwrap_or_else(|| panic!("{path}: {page}"));
        assert!(!token.is_empty(), "{path}");
    }
    login(&c, "test", "test").await;
    for path in ["/create".to_owned(), format!("/{id}/update")] {
        let page = c.get(&path).send().await.text();
        assert!(hidden_token(&page).is_some(), "{path}: {page}");
    }
    // The update page's delete form has its own.
    let page = c.get(&format!("/{id}/update")).send().await.text();
    assert_eq!(page.matches(r#"name="csrf_token""#).count(), 2, "{page}");

    // The token of the page works: a post made with the form as a browser sends it.
    let page = c.get("/create").send().await.text();
    let token = hidden_token(&page).unwrap().to_owned();
    let r = c
        .post("/create")
        .form(&[
            ("csrf_token", token.as_str()),
            ("title", "from the page"),
            ("body", ""),
        ])
        .send()
        .await;
    assert_eq!(r.status(), 302);
    assert_eq!(r.header("location"), Some("/"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_without_the_token_is_refused() {
    let (c, id) = app("sqlite://", "flaskr_csrf_refused").await;
    // Not even registering or logging in.
    for path in ["/auth/register", "/auth/login"] {
        let r = c
            .post(path)
            .form(&[("username", "mallory"), ("password", "x")])
            .send()
            .await;
        assert_eq!(r.status(), 400, "{path}");
        assert!(r.text().contains("The CSRF token is missing."), "{path}");
    }
    login(&c, "test", "test").await;
    // The user has a form open (its session holds a CSRF secret).
    c.get("/create").send().await;
    let update = format!("/{id}/update");
    let delete = format!("/{id}/delete");
    for (path, fields) in [
        ("/create", vec![("title", "forged"), ("body", "")]),
        (update.as_str(), vec![("title", "forged"), ("body", "")]),
        (delete.as_str(), vec![]),
    ] {
        let r = c.post(path).form(&fields).send().await;
        assert_eq!(r.status(), 400, "{path}");
        assert!(r.text().contains("The CSRF token is missing."), "{path}");
        // A token that is not this session's.
        let mut forged = vec![("csrf_token", "not-a-token")];
        forged.extend(fields.iter().copied());
        let r = c.post(path).form(&forged).send().await;
        assert_eq!(r.status(), 400, "{path}");
        assert!(r.text().contains("The CSRF token is invalid."), "{path}");
    }
    // Nothing changed: one post, as written by the fixture; no user mallory.
    let db = engine(&c);
    let posts = db.all::<Post>().await.unwrap();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].title, "test title");
    let users = db.all::<User>().await.unwrap();
    assert!(users.iter().all(|u| u.username != "mallory"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_sessions_token_is_refused() {
    let (c, _) = app("sqlite://", "flaskr_csrf_other").await;
    login(&c, "test", "test").await;
    c.get("/create").send().await;
    // A token made for another browser's session (a page an attacker loaded himself).
    let attacker = c.app().test_client();
    let foreign = attacker.csrf_token().await;
    let r = c
        .post("/create")
        .form(&[
            ("csrf_token", foreign.as_str()),
            ("title", "forged"),
            ("body", ""),
        ])
        .send()
        .await;
    assert_eq!(r.status(), 400);
    assert!(
        r.text().contains("The CSRF tokens do not match."),
        "{}",
        r.text()
    );
    // The user's own token goes through.
    let r = submit(&c, "/create", &[("title", "mine"), ("body", "")]).await;
    assert_eq!(r.status(), 302);
}
