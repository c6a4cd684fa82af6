//! Flaskr, the blog of Flask's tutorial
//! (<https://flask.palletsprojects.com/en/stable/tutorial/>), rebuilt on flask-rs: users
//! register, log in and out, and write, edit and delete their posts; everyone reads them.
//!
//! ```text
//! cargo run -p flaskr -- run
//! ```
//!
//! then open <http://127.0.0.1:5000/>. The data is in `examples/flaskr/instance/flaskr.db`
//! (SQLite); `FLASK_SQLALCHEMY_DATABASE_URI=postgresql://...` or `mysql://...` puts it
//! elsewhere. The tables are created at startup by the migrations in `src/migrations/`.
//!
//! Where the tutorial's pieces went:
//!
//! | Flask's tutorial | here |
//! |---|---|
//! | `flaskr/__init__.py`, `create_app()` | [`app`] |
//! | `schema.sql`, `flask --app flaskr init-db` | the models [`User`] and [`Post`]; `src/migrations/`, written by `flaskr db migrate` and applied when the app starts (`flaskr db upgrade` does it by hand) |
//! | `db.py`, `get_db()` | flask-sqlalchemy's `Db` and `DbSession` extractors |
//! | `auth.py`: the `auth` blueprint, `load_logged_in_user`, `login_required` | [`auth`]: [`auth::blueprint`]; [`auth::login_manager`] (flask-login) loads the user, and views take `LoginRequired<User>` |
//! | `blog.py`: the `blog` blueprint | [`blog`]: [`blog::blueprint`] |
//! | `werkzeug.security.generate_password_hash`, `check_password_hash` | flask-login's `hash_password` and `verify_password` (argon2id, off the async threads; Werkzeug's own hashes verify too) |
//! | `templates/`, `static/style.css` | the same files in `examples/flaskr` |
//! | `tests/test_auth.py`, `tests/test_blog.py` | `tests/auth.rs`, `tests/blog.rs`, on SQLite, PostgreSQL and MariaDB |
//!
//! After changing a model, `cargo run -p flaskr -- db migrate -m "what changed"` writes the
//! next migration (see docs/migrations.md).

pub mod auth;
pub mod blog;
pub mod migrations;

use chrono::{DateTime, Utc};
use flask::Flask;
use flask_sqlalchemy::{Model, SQLAlchemy};
use serde::Serialize;

/// A registered user (the tutorial's `user` table).
#[derive(Debug, Clone, PartialEq, Serialize, Model)]
#[model(table = "user")]
pub struct User {
    /// Numbered by the database.
    #[model(primary_key)]
    pub id: i64,
    /// Unique, at most 80 characters.
    #[model(max_length = 80, unique)]
    pub username: String,
    /// The password's argon2id hash (PHC string), never the password; never shown to
    /// templates either (`current_user` has no `password`).
    #[serde(skip_serializing)]
    pub password: String,
}

/// A blog post (the tutorial's `post` table), written by a [`User`].
#[derive(Debug, Clone, PartialEq, Serialize, Model)]
#[model(table = "post")]
#[model(belongs_to(author: User, key = author_id))]
pub struct Post {
    /// Numbered by the database.
    #[model(primary_key)]
    pub id: i64,
    /// The user who wrote it.
    #[model(foreign_key = "user.id")]
    pub author_id: i64,
    /// When it was written: `None` on insert, so the database's clock fills it in.
    #[model(server_default = "CURRENT_TIMESTAMP")]
    pub created: Option<DateTime<Utc>>,
    /// Required, at most 200 characters.
    #[model(max_length = 200)]
    pub title: String,
    /// Any length; may be empty.
    pub body: String,
}

/// The `date` template filter: `{{ post.created|date }}` shows `2018-01-01T00:00:00Z` as
/// `2018-01-01` (the tutorial's `post['created'].strftime('%Y-%m-%d')`).
///
/// ```
/// assert_eq!(flaskr::format_date("2018-01-01T09:30:00Z"), "2018-01-01");
/// ```
pub fn format_date(value: &str) -> String {
    match DateTime::parse_from_rfc3339(value) {
        Ok(at) => at.with_timezone(&Utc).format("%Y-%m-%d").to_string(),
        Err(_) => value.to_owned(),
    }
}

/// The app (the tutorial's `create_app()`).
///
/// Config: `SQLALCHEMY_DATABASE_URI` defaults to `sqlite:///flaskr.db` (in the instance
/// folder); `FLASK_*` environment variables (and `.env`) override any key. Without
/// `FLASK_SECRET_KEY` a key made up at each start signs the session cookie, so everyone is
/// logged out when the server restarts: set one in production.
pub fn app() -> Flask {
    let db = SQLAlchemy::new().model::<User>().model::<Post>();
    Flask::new(flask::app_root!())
        .configure(|c| c.set("SQLALCHEMY_DATABASE_URI", "sqlite:///flaskr.db"))
        .config_from_prefixed_env("FLASK")
        .configure(|c| c.set_default("SECRET_KEY", flask::generate_secret_key()))
        .extension(db)
        // The schema is the migrations' (src/migrations/, written by `db migrate`), applied
        // when the app starts.
        .extension(
            flask_migrate::Migrate::new()
                .migrator::<migrations::Migrator>()
                .upgrade_on_start(),
        )
        .template_filter("date", format_date)
        // The tutorial's `load_logged_in_user` and `login_required`.
        .extension(auth::login_manager())
        .blueprint(auth::blueprint())
        .blueprint(blog::blueprint())
}
