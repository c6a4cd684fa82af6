//! Sessions in Redis or an SQL database, so several instances of an app serve the same
//! users: a login made on one instance is honoured by the others.
//!
//! ```text
//! FLASK_SECRET_KEY=change-me FLASK_SESSION_TYPE=redis FLASK_SESSION_URL=redis://127.0.0.1:6379 \
//!     cargo run -p shared-sessions -- run --port 5001
//! FLASK_SECRET_KEY=change-me FLASK_SESSION_TYPE=sql FLASK_SESSION_URL=sqlite://sessions.db \
//!     cargo run -p shared-sessions -- run --port 5001
//! ```
//!
//! Run a second one on another port with the same variables; the session cookie of one works
//! on the other (same `SECRET_KEY`, same Redis or database). `SESSION_URL` may also be
//! `postgres://user:password@host/db` or `mysql://user:password@host/db`.

use flask::routing::get;
use flask::{Flask, Path, Redirect, Session, redirect};

/// `GET /`: who is logged in, and how many pages this session has seen.
#[flask::view]
pub async fn index(session: Session) -> String {
    let visits: u64 = session.get("visits").unwrap_or(0) + 1;
    session.insert("visits", visits);
    match session.get::<String>("user") {
        Some(user) => format!("Logged in as {user} (visit {visits})"),
        None => format!("Not logged in (visit {visits})"),
    }
}

/// `GET /login/<name>`: logs `name` in (a new session id, as on any login).
#[flask::view]
pub async fn login(session: Session, Path(name): Path<String>) -> Redirect {
    session.cycle_id();
    session.insert("user", name);
    session.flash("Logged in", "info");
    redirect("/")
}

/// `GET /logout`: ends the session everywhere.
#[flask::view]
pub async fn logout(session: Session) -> Redirect {
    session.clear();
    redirect("/")
}

/// The app; config comes from `FLASK_*` variables (`SECRET_KEY`, `SESSION_TYPE`,
/// `SESSION_URL`). Every instance needs the same `FLASK_SECRET_KEY`: `run` refuses to start
/// without one (unless `--debug`).
pub fn app() -> Flask {
    Flask::new(flask::app_root!())
        .config_from_prefixed_env("FLASK")
        .route("/", get(index))
        .route("/login/<name>", get(login))
        .route("/logout", get(logout))
}
