//! Porting a live Python Flask app to Rust one piece at a time.
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

use flask::routing::get;
use flask::{Flask, Json, Path, Session, Uuid};
use serde_json::{Value, json};

/// `GET /rs/session`: what this side reads of the session, typed as a port would read it.
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
pub async fn add_to_cart(session: Session, Path(item): Path<String>) -> String {
    let mut cart: Vec<String> = session.get("cart").unwrap_or_default();
    cart.push(item);
    let n = cart.len();
    session.insert("cart", cart);
    session.flash(format!("{n} items in the cart"), "info");
    format!("{n} items")
}

/// `GET /rs/flashes`: the flashed messages, with their categories.
pub async fn flashes(session: Session) -> Json<Value> {
    let list: Vec<(String, String)> = session
        .get_flashed_messages(&[])
        .into_iter()
        .map(|f| (f.category, f.message))
        .collect();
    Json(json!(list))
}

/// `GET /rs/logout`: ends the session for both apps.
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
}
