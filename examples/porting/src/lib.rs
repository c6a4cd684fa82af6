//! Porting a live Python Flask app to Rust one piece at a time: sessions, Flask-Login's
//! logins and remember-me cookies, and Flask-WTF's CSRF tokens cross between the two.
//!
//! `python/legacy.py` is the app as it runs today; this crate serves the paths already
//! ported (`/rs/...`). A reverse proxy in front sends those paths here and the rest to
//! Python (docs/porting.md). Both apps have the same `SECRET_KEY`, and the session is
//! Flask's own signed cookie, so a user moving between the two keeps their session: what
//! Python stored (tuples, bytes, datetimes, UUIDs, `Markup`) reads here, and goes back to
//! Python unchanged when this side does not replace it.
//!
//! ```text
//! FLASK_SECRET_KEY=change-me python examples/porting/python/legacy.py --port 5000
//! FLASK_SECRET_KEY=change-me cargo run -p porting -- run --port 5001
//! ```

use flask::routing::{get, post};
use flask::{Error, Flask, Form, Json, Path, RequestContext, Session, StatusCode, Uuid};
use flask_login::{CurrentUser, LoginManager, LoginOptions, UserMixin};
use flask_wtf::{CsrfProtect, generate_csrf};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A user both halves know (in a real port, a row of the shared database).
#[derive(Debug, Clone, Serialize)]
pub struct User {
    /// The id Flask-Login keeps in the session and the remember-me cookie.
    pub id: String,
    /// The name shown.
    pub name: String,
}

impl UserMixin for User {
    fn get_id(&self) -> String {
        self.id.clone()
    }
}

/// The users of `python/legacy.py`: id, name, password.
const USERS: [(&str, &str, &str); 2] = [("1", "ada", "ada-password"), ("2", "bob", "bob-password")];

fn user(id: &str) -> Option<User> {
    USERS
        .iter()
        .find(|(i, ..)| *i == id)
        .map(|(id, name, _)| User {
            id: (*id).to_owned(),
            name: (*name).to_owned(),
        })
}

/// The login form of either half.
#[derive(Debug, Deserialize)]
pub struct Credentials {
    name: String,
    password: String,
    #[serde(default)]
    remember: Option<String>,
}

/// `POST /rs/login`: logs in as Flask-Login does (after the CSRF check); the session and
/// remember-me cookie it writes log the user in on the Python half too.
#[flask::view]
pub async fn login(
    current: CurrentUser<User>,
    Form(form): Form<Credentials>,
) -> (StatusCode, &'static str) {
    let found = USERS
        .iter()
        .find(|(_, name, password)| *name == form.name && *password == form.password);
    match found.and_then(|(id, ..)| user(id)) {
        Some(user) => {
            let remember = form.remember.as_deref() == Some("yes");
            current.login_user(user, LoginOptions::new().remember(remember));
            (StatusCode::OK, "logged in")
        }
        None => (StatusCode::UNAUTHORIZED, "wrong"),
    }
}

/// `GET /rs/whoami`: who is logged in, and whether the login is fresh.
#[flask::view]
pub async fn whoami(current: CurrentUser<User>) -> String {
    match current.user() {
        Some(user) => format!("{} fresh={}", user.name, python_bool(current.login_fresh())),
        None => "anonymous".to_owned(),
    }
}

fn python_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// `GET /rs/logout-user`: Flask-Login's `logout_user`.
#[flask::view]
pub async fn logout_user(current: CurrentUser<User>) -> &'static str {
    current.logout_user();
    "logged out"
}

/// `GET /rs/csrf`: the CSRF token a form of this side would carry.
#[flask::view]
pub async fn csrf(ctx: RequestContext) -> Result<String, Error> {
    generate_csrf(&ctx)
}

/// `POST /rs/form`: reached only with a valid CSRF token, whichever side made it.
#[flask::view]
pub async fn form() -> &'static str {
    "posted"
}

/// `GET /rs/session`: what this side reads of the session, typed as a port would read it.
#[flask::view]
pub async fn show(session: Session) -> Json<Value> {
    Json(json!({
        "count": session.get::<u32>("count"),
        "pair": session.get::<(u32, String)>("pair"),
        "raw": session.get::<Vec<u8>>("raw"),
        "motto": session.get::<String>("motto"),
        "token": session.get::<Uuid>("token"),
        "since": session.get::<String>("since"),
        "tricky": session.get::<Value>("tricky"),
        "name": session.get::<String>("name"),
        "cart": session.get::<Vec<String>>("cart"),
    }))
}

/// `GET /rs/cart/add/<item>`: the ported piece: adds to the cart Python keeps.
#[flask::view]
pub async fn add_to_cart(session: Session, Path(item): Path<String>) -> String {
    let mut cart: Vec<String> = session.get("cart").unwrap_or_default();
    cart.push(item);
    let n = cart.len();
    session.insert("cart", cart);
    session.flash(format!("{n} items in the cart"), "info");
    format!("{n} items")
}

/// `GET /rs/flashes`: the flashed messages, with their categories.
#[flask::view]
pub async fn flashes(session: Session) -> Json<Value> {
    let list: Vec<(String, String)> = session
        .get_flashed_messages(&[])
        .into_iter()
        .map(|f| (f.category, f.message))
        .collect();
    Json(json!(list))
}

/// `GET /rs/logout`: ends the session for both apps.
#[flask::view]
pub async fn logout(session: Session) -> &'static str {
    session.clear();
    "bye"
}

/// The Rust half; config from `FLASK_*` variables (the same `FLASK_SECRET_KEY` as the
/// Python half).
pub fn app() -> Flask {
    Flask::new(flask::app_root!())
        .config_from_prefixed_env("FLASK")
        .route("/rs/session", get(show))
        .route("/rs/cart/add/<item>", get(add_to_cart))
        .route("/rs/flashes", get(flashes))
        .route("/rs/logout", get(logout))
        .extension(LoginManager::<User>::new().user_loader(|id: String| async move { user(&id) }))
        .extension(CsrfProtect::new())
        .route("/rs/login", post(login))
        .route("/rs/whoami", get(whoami))
        .route("/rs/logout-user", get(logout_user))
        .route("/rs/csrf", get(csrf))
        .route("/rs/form", post(form))
}
