//! Flask-Login for flask-rs: who is logged in, views that need a login, remember-me, and
//! password hashes.
//!
//! A [`LoginManager<U>`] loads the user of each request from the session (or the
//! remember-me cookie, or a [`request_loader`](LoginManager::request_loader) for API keys);
//! views take [`CurrentUser<U>`], [`LoginRequired<U>`] or [`FreshLoginRequired<U>`]; whole
//! blueprints use the [`login_required`] hook; templates see `current_user`. `U` is any
//! type that implements [`UserMixin`]: the ORM is not required.
//!
//! ```
//! use flask::{Flask, Form, Redirect, redirect, routing::{get, post}};
//! use flask_login::{CurrentUser, LoginManager, LoginOptions, LoginRequired, Next, UserMixin};
//!
//! #[derive(Clone, serde::Serialize)]
//! struct User { id: i64, name: String }
//! impl UserMixin for User {
//!     fn get_id(&self) -> String { self.id.to_string() }
//! }
//! fn find(id: &str) -> Option<User> {
//!     (id == "1").then(|| User { id: 1, name: "ada".into() })
//! }
//!
//! #[derive(serde::Deserialize)]
//! struct Credentials { id: String }
//!
//! #[flask::view]
//! async fn login(current: CurrentUser<User>, next: Next, Form(f): Form<Credentials>) -> Redirect {
//!     // A real view checks a password with check_password_hash / verify_password.
//!     if let Some(user) = find(&f.id) {
//!         current.login_user(user, LoginOptions::new().remember(true));
//!     }
//!     redirect(next.or("/"))
//! }
//! #[flask::view]
//! async fn secret(LoginRequired(user): LoginRequired<User>) -> String {
//!     format!("the secret, for {}", user.name)
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let client = Flask::new("demo")
//!     .configure(|c| c.set("SECRET_KEY", "dev"))
//!     .extension(
//!         LoginManager::<User>::new()
//!             .user_loader(|id: String| async move { find(&id) })
//!             .login_view("login"),
//!     )
//!     .route("/login", post(login))
//!     .route("/secret", get(secret))
//!     .test_client();
//!
//! let resp = client.get("/secret").send().await;
//! assert_eq!(resp.header("location"), Some("/login?next=%2Fsecret"));
//! let resp = client.post("/login?next=%2Fsecret").form(&[("id", "1")]).follow_redirects().send().await;
//! assert_eq!(resp.text(), "the secret, for ada");
//! assert!(client.cookie("remember_token").is_some());
//! # }
//! ```
//!
//! Passwords: [`generate_password_hash`] / [`check_password_hash`] (argon2id, and
//! Werkzeug's hashes verified), or [`hash_password`] / [`verify_password`] off the async
//! threads in a view.
//!
//! ```
//! use flask_login::{check_password_hash, generate_password_hash, needs_rehash};
//!
//! let hash = generate_password_hash("correct horse").unwrap();
//! assert!(hash.starts_with("$argon2id$"));
//! assert!(check_password_hash(&hash, "correct horse"));
//! assert!(!check_password_hash(&hash, "wrong horse"));
//! assert!(!needs_rehash(&hash));
//!
//! // A user moved from a Flask app keeps their Werkzeug hash until the next login.
//! let old = "pbkdf2:sha256:1000$cdCRvVnbqAA8rNtt$63d74b40ae93b426c0f7c7cb36098ff78fbdbbfb28396c6a16871bf136baca31";
//! assert!(check_password_hash(old, "correct horse"));
//! assert!(needs_rehash(old));
//! ```
//!
//! The whole guide page, from the repository's `docs/login.md`, is the [`guide`] module.

mod extract;
mod guard;
pub mod guide;
mod hooks;
mod identifier;
mod loader;
mod manager;
mod next;
mod passwords;
mod remember;
mod state;
mod template;
pub mod testing;
mod user;

pub use extract::{CurrentUser, FreshLoginRequired, LoginOptions, LoginRequired, Next};
pub use hooks::{GuardHook, LoginGuard, fresh_login_required, login_required};
pub use loader::{LoaderOutput, RequestLoader, UserLoader};
pub use manager::{LoginEvent, LoginManager, SessionProtection};
pub use next::safe_next;
pub use passwords::{
    DEFAULT_HASH_QUEUE_LIMIT, HashQueueFull, PasswordError, check_password_hash,
    generate_password_hash, hash_password, needs_rehash, set_hash_queue_limit, verify_password,
    verify_password_or_dummy,
};
pub use user::UserMixin;
