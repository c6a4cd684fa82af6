//! Test support: a CSRF token for a test client's session, without scraping it from a page.

use flask::testing::TestClient;

use crate::csrf::CsrfSettings;

/// A valid CSRF token for a [`TestClient`]'s session (Flask-WTF tests usually turn
/// `WTF_CSRF_ENABLED` off; this keeps the check on and passes it).
///
/// ```
/// use flask::{Flask, routing::post};
/// use flask_wtf::{CsrfProtect, testing::CsrfClient};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = Flask::new("demo")
///     .configure(|c| c.set("SECRET_KEY", "dev"))
///     .extension(CsrfProtect::new())
///     .route("/", post(|| async { "saved" }))
///     .test_client();
/// let token = client.csrf_token().await;
/// let resp = client.post("/").form(&[("csrf_token", token.as_str())]).send().await;
/// assert_eq!(resp.text(), "saved");
/// # }
/// ```
pub trait CsrfClient {
    /// The token a form of this client's session carries (the session gets its secret if
    /// it has none yet).
    ///
    /// # Panics
    /// If the app has no secret key.
    fn csrf_token(&self) -> impl Future<Output = String> + Send;
}

impl CsrfClient for TestClient {
    fn csrf_token(&self) -> impl Future<Output = String> + Send {
        let client = self.clone();
        async move {
            let settings = match client.app().state::<CsrfSettings>() {
                Some(s) => s,
                None => std::sync::Arc::new(
                    CsrfSettings::from_config(client.app().config())
                        .unwrap_or_else(|e| panic!("csrf_token: {e}")),
                ),
            };
            let field = settings.field_name.clone();
            let raw = client
                .session_transaction(move |session| {
                    match session.get::<String>(&field).filter(|r| !r.is_empty()) {
                        Some(raw) => raw,
                        None => {
                            let raw = flask::sessions::generate_secret_key();
                            session.insert(&field, &raw);
                            raw
                        }
                    }
                })
                .await;
            crate::csrf::token::sign(&settings, &raw)
        }
    }
}
