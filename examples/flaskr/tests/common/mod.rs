//! What the tests share: the backends, a database of each test's own on each, the app with
//! the tutorial's data (its `conftest.py` and `data.sql`), and logging in (its
//! `AuthActions`).

// Each test file uses a part of this module.
#![allow(dead_code, unused_imports)]

use chrono::{TimeZone, Utc};
use flask::{testing::TestClient, testing::TestResponse};
use flask_sqlalchemy::{Engine, EngineOptions, MetaData, SQLAlchemy};
use flask_wtf::testing::CsrfClient;
use flaskr::{Post, User};
pub(crate) use test_support::databases::backends;
use test_support::databases::own_database;

/// The app on `url`, in the database `name` of its own, with no tables: the app's
/// migrations make them when it starts.
pub(crate) async fn empty_app(url: &str, name: &str) -> TestClient {
    empty_app_with(url, name, |app| app).await
}

/// [`empty_app`], with `more` done to the app first (a route, a config key).
pub(crate) async fn empty_app_with(
    url: &str,
    name: &str,
    more: impl FnOnce(flask::Flask) -> flask::Flask,
) -> TestClient {
    let url = &own_database(url, name).await;
    let engine = Engine::connect(url, std::env::temp_dir().as_ref(), EngineOptions::default())
        .await
        .unwrap();
    // post first: it references user.
    let models = MetaData::new().register::<User>().register::<Post>();
    engine.drop_all(&models).await.unwrap();
    // And the record of applied migrations: the app applies them all at startup.
    engine
        .execute(flask_sqlalchemy::text(format!(
            "DROP TABLE IF EXISTS {}",
            flask_migrate::MIGRATIONS_TABLE
        )))
        .await
        .unwrap();
    engine.close().await;
    let url = url.to_owned();
    let c = more(flaskr::app())
        .configure(move |c| c.set("SQLALCHEMY_DATABASE_URI", url.as_str()))
        .test_client();
    c.app().startup().await.unwrap();
    c
}

/// The app's engine.
pub(crate) fn engine(c: &TestClient) -> Engine {
    let db = c.app().extension::<SQLAlchemy>().unwrap();
    db.engine().unwrap().clone()
}

// ANCHOR: fixture
/// The tutorial's fixture: the app with the users `test` (password `test`) and `other`
/// (password `other`), and one post by `test`, "test title", written on 2018-01-01.
/// Returns the client and the post's id.
pub(crate) async fn app(url: &str, name: &str) -> (TestClient, i64) {
    let c = empty_app(url, name).await;
    let db = engine(&c);
    let mut ids = Vec::new();
    for name in ["test", "other"] {
        let mut user = User {
            id: 0,
            username: name.to_owned(),
            password: flask_login::generate_password_hash(name).unwrap(),
        };
        db.insert(&mut user).await.unwrap();
        ids.push(user.id);
    }
    let mut post = Post {
        id: 0,
        author_id: ids[0],
        created: Some(Utc.with_ymd_and_hms(2018, 1, 1, 0, 0, 0).unwrap()),
        title: "test title".to_owned(),
        body: "test\nbody".to_owned(),
    };
    db.insert(&mut post).await.unwrap();
    (c, post.id)
}
// ANCHOR_END: fixture

// ANCHOR: submit
/// A POST of `fields` to `path` as a browser sends the app's forms: urlencoded, with the
/// session's CSRF token in `csrf_token` (the hidden field of `form.hidden_tag()`).
pub(crate) async fn submit(c: &TestClient, path: &str, fields: &[(&str, &str)]) -> TestResponse {
    let token = c.csrf_token().await;
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    c.post(path).form(&all).send().await
}
// ANCHOR_END: submit

/// `POST /auth/login` with a username and password (the tutorial's `auth.login()`).
pub(crate) async fn login(c: &TestClient, username: &str, password: &str) -> TestResponse {
    submit(
        c,
        "/auth/login",
        &[("username", username), ("password", password)],
    )
    .await
}
