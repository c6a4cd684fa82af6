//! What the tests share: the backends, a database of each test's own on each, the app with
//! two users in it, and logging in through the form.

use flask::{testing::TestClient, testing::TestResponse};
use flask_sqlalchemy::{Engine, EngineOptions, MetaData, SQLAlchemy};
use login::User;
pub(crate) use test_support::databases::{backends, own_database};

/// The password of the fixture users (`ada@example.com`, and `bob@example.com` whose
/// account is disabled).
pub(crate) const PASSWORD: &str = "correct horse";

/// Drops the `user` table of the database at `url`, left by an earlier run.
pub(crate) async fn drop_tables(url: &str) {
    let engine = Engine::connect(url, std::env::temp_dir().as_ref(), EngineOptions::default())
        .await
        .unwrap();
    engine
        .drop_all(&MetaData::new().register::<User>())
        .await
        .unwrap();
    engine.close().await;
}

/// The app on `url`, in the database `name` of its own, started (its table created), with
/// no users.
pub(crate) async fn empty_app(url: &str, name: &str) -> TestClient {
    let url = own_database(url, name).await;
    drop_tables(&url).await;
    let c = login::app()
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

/// The app with two users, both with the password [`PASSWORD`]: `ada@example.com`, and
/// `bob@example.com` whose account is disabled. Returns the client and ada.
pub(crate) async fn app(url: &str, name: &str) -> (TestClient, User) {
    let c = empty_app(url, name).await;
    let db = engine(&c);
    let mut users = Vec::new();
    for (email, active) in [("ada@example.com", true), ("bob@example.com", false)] {
        let mut user = User {
            id: 0,
            email: email.to_owned(),
            password: flask_login::generate_password_hash(PASSWORD).unwrap(),
            active,
            session_token: User::new_session_token(),
        };
        db.insert(&mut user).await.unwrap();
        users.push(user);
    }
    (c, users.swap_remove(0))
}

/// `POST /auth/login` (to `path`, which may carry `?next=`) with an email and password,
/// "Remember me" ticked or not.
pub(crate) async fn login_at(
    c: &TestClient,
    path: &str,
    email: &str,
    password: &str,
    remember: bool,
) -> TestResponse {
    let mut form = vec![("email", email), ("password", password)];
    if remember {
        form.push(("remember", "on"));
    }
    c.post(path).form(&form).send().await
}

/// `POST /auth/login` with an email and password, not remembered.
pub(crate) async fn login(c: &TestClient, email: &str, password: &str) -> TestResponse {
    login_at(c, "/auth/login", email, password, false).await
}

/// The flashed message as the base template shows it.
pub(crate) fn flash(category: &str, message: &str) -> String {
    format!("<div class=\"flash {category}\">{message}</div>")
}
