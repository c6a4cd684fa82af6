//! Test support: log a test client in without going through the login form (Flask-Login's
//! `FlaskLoginClient`).

use flask::testing::TestClient;

use crate::UserMixin;
use crate::state::{FRESH, IDENTIFIER, USER_ID, forget_login};

/// Logging a [`TestClient`] in and out directly.
///
/// ```
/// # #[derive(Clone, serde::Serialize)] struct User { id: i64 }
/// # impl flask_login::UserMixin for User { fn get_id(&self) -> String { self.id.to_string() } }
/// use flask_login::testing::LoginClient;
///
/// # async fn demo(client: flask::testing::TestClient) {
/// client.login_as(&User { id: 1 }).await;
/// // ... requests as user 1 ...
/// client.logout().await;
/// # }
/// ```
pub trait LoginClient {
    /// Logs `user` in, with a fresh login, as `login_user` would (for requests from the test
    /// client's default address and without a User-Agent, as session protection sees them).
    fn login_as<U: UserMixin>(&self, user: &U) -> impl Future<Output = ()> + Send;

    /// Like [`login_as`](Self::login_as), but the login is not fresh (as if restored from
    /// the remember-me cookie): for testing `FreshLoginRequired` views.
    fn login_as_stale<U: UserMixin>(&self, user: &U) -> impl Future<Output = ()> + Send;

    /// Forgets the login (the rest of the session stays).
    fn logout(&self) -> impl Future<Output = ()> + Send;
}

fn login<U: UserMixin>(
    client: &TestClient,
    user: &U,
    fresh: bool,
) -> impl Future<Output = ()> + Send {
    let id = user.get_id();
    let client = client.clone();
    async move {
        // The test client's peer, without a User-Agent.
        let ident = crate::identifier::of(Some(b"127.0.0.1"), None);
        client
            .session_transaction(move |session| {
                session.cycle_id();
                session.insert(USER_ID, id);
                session.insert(FRESH, fresh);
                session.insert(IDENTIFIER, ident);
            })
            .await;
    }
}

impl LoginClient for TestClient {
    fn login_as<U: UserMixin>(&self, user: &U) -> impl Future<Output = ()> + Send {
        login(self, user, true)
    }

    fn login_as_stale<U: UserMixin>(&self, user: &U) -> impl Future<Output = ()> + Send {
        login(self, user, false)
    }

    fn logout(&self) -> impl Future<Output = ()> + Send {
        let client = self.clone();
        async move {
            client.session_transaction(forget_login).await;
        }
    }
}
