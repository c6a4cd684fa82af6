//! The flask-login cookbook: users register with an email and a password, log in (with
//! "Remember me"), see pages that need a login, and type their password again before the
//! page that needs a *fresh* one. Flask-Login's programming model, on flask-rs.
//!
//! ```text
//! cargo run -p login -- run
//! ```
//!
//! then open <http://127.0.0.1:5000/>. The users are in `examples/login/instance/login.db`
//! (SQLite, its table made at startup); `FLASK_SQLALCHEMY_DATABASE_URI=postgresql://...`
//! or `mysql://...` puts them elsewhere. `cargo run -p login -- routes` lists the pages.
//!
//! Several instances behind a load balancer share the logins when they share the secret
//! key, the database and the session store:
//!
//! ```text
//! FLASK_SECRET_KEY=change-me FLASK_SESSION_TYPE=redis FLASK_SESSION_URL=redis://127.0.0.1:6379 \
//! FLASK_SQLALCHEMY_DATABASE_URI=postgresql://app@127.0.0.1/app \
//!     cargo run -p login -- run --port 5001
//! ```
//!
//! (and the same with `--port 5002`). `tests/two_instances.rs` does that over real HTTP.
//!
//! | Flask-Login | here |
//! |---|---|
//! | `class User(UserMixin, db.Model)` | [`User`], `impl UserMixin for User` |
//! | `login_manager = LoginManager(app)`, `@login_manager.user_loader` | [`login_manager`] |
//! | `login_manager.login_view = "auth.login"` | `.login_view("auth.login")` |
//! | `login_manager.refresh_view = "auth.reauth"` | `.refresh_view("auth.reauth")` |
//! | `login_user(user, remember=form.remember.data)` | [`auth::login`]: `CurrentUser::login_user` with `LoginOptions::new().remember(..)` |
//! | `request.args.get("next")`, checked by hand | the `Next` extractor: a path on this site, or nothing |
//! | `logout_user()` | [`auth::logout`] |
//! | `confirm_login()` | [`auth::reauth`] |
//! | `@login_required` | [`profile`]: the `LoginRequired<User>` extractor |
//! | `@fresh_login_required` | [`settings`], [`change_password`]: `FreshLoginRequired<User>` |
//! | `current_user` in templates | the same, in `templates/` |
//! | `werkzeug.security.generate_password_hash` / `check_password_hash` | `hash_password` / `verify_password` (argon2id, off the async threads) |
//! | `app.test_client_class = FlaskLoginClient` | `flask_login::testing::LoginClient` (`client.login_as(&user)`) in `tests/app.rs` |

pub mod auth;

use flask::routing::get;
use flask::{
    Error, Flask, Form, Html, IntoResponse, RequestContext, Response, Session, context, redirect,
    render_template,
};
use flask_login::{
    CurrentUser, FreshLoginRequired, LoginManager, LoginOptions, LoginRequired, UserMixin,
    hash_password,
};
use flask_sqlalchemy::{Db, DbSession, Model, SQLAlchemy};
use serde::{Deserialize, Serialize};

/// The longest email (the `max_length` of [`User::email`]).
pub const EMAIL_LENGTH: usize = 120;

/// A registered user.
#[derive(Debug, Clone, PartialEq, Serialize, Model)]
#[model(table = "user")]
pub struct User {
    /// Numbered by the database; what the session and the remember-me cookie hold.
    #[model(primary_key)]
    pub id: i64,
    /// Unique, at most [`EMAIL_LENGTH`] characters, stored trimmed and in lower case.
    #[model(max_length = 120, unique)]
    pub email: String,
    /// The password's argon2id hash (PHC string), never the password. Templates never see
    /// it: `current_user` is the user serialized, and this field is skipped.
    #[serde(skip_serializing)]
    pub password: String,
    /// A disabled account (`false`) cannot log in (Flask-Login's `is_active`).
    #[model(default = true)]
    pub active: bool,
    /// Flask-Login's "alternative token": what the session and the remember-me cookie hold
    /// instead of the id. A new one, made at "Log out everywhere" and when the password
    /// changes, turns every copy of the old session and remember-me cookies into nobody's:
    /// with cookie sessions, nothing on the server could be deleted instead.
    #[serde(skip_serializing)]
    #[model(max_length = 64, unique)]
    pub session_token: String,
}

impl User {
    /// A new alternative token (64 random hex digits).
    pub fn new_session_token() -> String {
        flask::sessions::generate_secret_key()
    }
}

impl UserMixin for User {
    /// The alternative token, not the id (Flask-Login's `get_id` returning
    /// `alternative_id`): the user loader looks the user up by it.
    fn get_id(&self) -> String {
        self.session_token.clone()
    }

    fn is_active(&self) -> bool {
        self.active
    }
}

/// The app's `LoginManager`: loads the user whose id the session (or the remember-me
/// cookie) holds, sends anonymous visitors of `/profile` to `auth.login` and stale logins
/// of `/settings` to `auth.reauth`, both with `?next=` and a flashed message.
pub fn login_manager() -> LoginManager<User> {
    LoginManager::<User>::new()
        // Flask-Login's `@login_manager.user_loader`; its other arguments are extractors.
        // The session holds the user's alternative token: a token no user has any more
        // (logged out everywhere, password changed, user deleted) is nobody: `Ok(None)`.
        .user_loader(|token: String, db: Db| async move {
            db.select::<User>()
                .filter(User::session_token.eq(token))
                .first()
                .await
        })
        .login_view("auth.login")
        .login_message_category("info")
        .refresh_view("auth.reauth")
        .needs_refresh_message_category("info")
}

/// The app.
///
/// Config: `SQLALCHEMY_DATABASE_URI` defaults to `sqlite:///login.db` (in the instance
/// folder); `FLASK_*` environment variables (and `.env`) override any key. Without
/// `FLASK_SECRET_KEY` a key made on the first start and kept in `instance/secret_key` signs
/// the cookies, so logins (remember-me included) survive a restart; several instances need
/// the same `FLASK_SECRET_KEY`.
pub fn app() -> Flask {
    Flask::new(flask::app_root!())
        .configure(|c| c.set("SQLALCHEMY_DATABASE_URI", "sqlite:///login.db"))
        .config_from_prefixed_env("FLASK")
        .secret_key_file("secret_key")
        // One table: `create_all` makes it at startup when it is missing (an app whose
        // schema changes uses flask-migrate instead, as examples/flaskr does).
        .extension(SQLAlchemy::new().model::<User>().create_all_on_startup())
        .extension(login_manager())
        .route("/", get(index))
        .route("/profile", get(profile))
        .route(
            "/settings",
            get(settings).post(change_password).endpoint("settings"),
        )
        .blueprint(auth::blueprint())
}

/// `GET /`: public; greets `current_user` (in the template) or the anonymous visitor.
#[flask::view]
pub async fn index() -> Result<Html<String>, Error> {
    render_template("index.html", context! {})
}

/// `GET /profile`: needs a login (anyone else goes to `/auth/login?next=%2Fprofile`).
/// Shows the user, and whether the login is fresh (made with the password in this session)
/// and remembered (the request carries a valid remember-me cookie).
#[flask::view]
pub async fn profile(
    LoginRequired(user): LoginRequired<User>,
    current: CurrentUser<User>,
) -> Result<Html<String>, Error> {
    render_template(
        "profile.html",
        context! {
            user => user,
            fresh => current.login_fresh(),
            remembered => current.login_remembered(),
        },
    )
}

/// `GET /settings`: needs a fresh login. A login restored from the remember-me cookie
/// goes to `/auth/reauth?next=%2Fsettings` to type the password first.
#[flask::view]
pub async fn settings(
    FreshLoginRequired(user): FreshLoginRequired<User>,
) -> Result<Html<String>, Error> {
    render_template("settings.html", context! { user => user })
}

/// The settings form: the new password.
#[derive(Debug, Deserialize)]
pub struct NewPassword {
    /// In clear; hashed before it is stored.
    #[serde(default)]
    pub password: String,
}

/// `POST /settings`: changes the password (a fresh login is needed here too), then goes
/// to the profile with "Password changed."; "Password is required." for an empty one.
#[flask::view]
pub async fn change_password(
    FreshLoginRequired(mut user): FreshLoginRequired<User>,
    current: CurrentUser<User>,
    ctx: RequestContext,
    session: Session,
    db: DbSession,
    Form(form): Form<NewPassword>,
) -> Result<Response, Error> {
    if form.password.is_empty() {
        session.flash("Password is required.", "error");
        return Ok(render_template("settings.html", context! { user => user })?.into_response());
    }
    user.password = hash_password(&form.password).await?;
    // Every other session and remember-me cookie of this user ends with the old password;
    // this browser logs in again under the new token (still fresh).
    user.session_token = User::new_session_token();
    db.add(&mut user).await?;
    db.commit().await?;
    current.login_user(
        user,
        LoginOptions::new().remember(current.login_remembered()),
    );
    session.flash("Password changed.", "info");
    Ok(redirect(ctx.url_for("profile").build()?).into_response())
}
