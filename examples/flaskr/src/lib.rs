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
use flask::cli::{CliContext, Command};
use flask_migrate::Migrate;
use flask_sqlalchemy::{Model, SQLAlchemy};
use flask_talisman::Talisman;
use flask_wtf::CsrfProtect;
use serde::Serialize;

// ANCHOR: models
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
// ANCHOR_END: models

// ANCHOR: format_date
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
// ANCHOR_END: format_date

// ANCHOR: embed
/// The templates, compiled into release builds (one file to deploy); debug builds read
/// `templates/` from disk, so edits show at once.
#[derive(Debug, flask::embed::Embed)]
#[folder = "templates/"]
#[crate_path = "flask::embed::rust_embed"]
pub struct Templates;

/// `static/`, compiled into release builds like [`Templates`].
#[derive(Debug, flask::embed::Embed)]
#[folder = "static/"]
#[crate_path = "flask::embed::rust_embed"]
pub struct Static;
// ANCHOR_END: embed

// ANCHOR: init_db
/// `flaskr init-db` (the tutorial's `init_db_command`): clears the existing data and
/// creates new tables, by reverting every migration and applying them again.
pub async fn init_db(ctx: CliContext) -> Result<(), flask::BoxError> {
    let app = ctx.app();
    let migrate = app
        .extension::<Migrate>()
        .ok_or("flask-migrate is not registered")?;
    let db = app
        .extension::<SQLAlchemy>()
        .ok_or("flask-sqlalchemy is not registered")?;
    let engine = db.engine().ok_or("the database is not connected")?;
    migrate.downgrade(engine, "base").await?;
    migrate.upgrade(engine, "head").await?;
    ctx.echo("Initialized the database.");
    Ok(())
}
// ANCHOR_END: init_db

/// The Content-Security-Policy: scripts, styles and images from the app itself only, no
/// framing by other sites, and the one inline script the tutorial has, the Delete button's
/// `onclick="return confirm('Are you sure?');"`, allowed by its hash.
pub const CSP: &str = "default-src 'self'; frame-ancestors 'self'; \
    script-src 'self' 'unsafe-hashes' 'sha256-C9/F8pTP2YiSXtE0pEo6AQcC3rRR5IJB9olGGnyH5HU='";

// ANCHOR: app
/// The app (the tutorial's `create_app()`).
///
/// Config: `SQLALCHEMY_DATABASE_URI` defaults to `sqlite:///flaskr.db` (in the instance
/// folder); `FLASK_*` environment variables (and `.env`) override any key. Without
/// `FLASK_SECRET_KEY` a key made on the first start and kept in `instance/secret_key` signs
/// the session cookie, so users stay logged in across restarts; several instances share one
/// `FLASK_SECRET_KEY` instead.
pub fn app() -> Flask {
    let db = SQLAlchemy::new().model::<User>().model::<Post>();
    Flask::new(flask::app_root!())
        .configure(|c| c.set("SQLALCHEMY_DATABASE_URI", "sqlite:///flaskr.db"))
        .config_from_prefixed_env("FLASK")
        .secret_key_file("secret_key")
        .embedded_templates::<Templates>()
        .embedded_static::<Static>()
        .extension(db)
        // The schema is the migrations' (src/migrations/, written by `db migrate`), applied
        // when the app starts: a fresh machine gets its database on the first `run`.
        .extension(
            Migrate::new()
                .migrator::<migrations::Migrator>()
                .upgrade_on_start(),
        )
        .command(
            Command::new("init-db").about("Clear the existing data and create new tables."),
            init_db,
        )
        // Every POST carries the session's CSRF token (`form.hidden_tag()` in the forms).
        .extension(CsrfProtect::new())
        // Security headers (Flask-Talisman): nosniff, same-origin framing, a referrer policy,
        // and a CSP that allows the app's own files and the Delete button's confirm().
        .extension(Talisman::new().content_security_policy(CSP))
        .template_filter("date", format_date)
        // The tutorial's `load_logged_in_user` and `login_required`.
        .extension(auth::login_manager())
        .blueprint(auth::blueprint())
        .blueprint(blog::blueprint())
}
// ANCHOR_END: app
