//! The `auth` blueprint (the tutorial's `flaskr/auth.py`): register, log in, log out, and
//! the [`login_manager`] that loads the logged-in user (the tutorial's
//! `load_logged_in_user`) and guards the views that take `LoginRequired<User>` (its
//! `login_required`).

use flask::routing::get;
use flask::{
    Blueprint, Error, Form, Html, IntoResponse, RequestContext, Response, Session, context,
    redirect, render_template,
};
use flask_login::{
    CurrentUser, LoginManager, LoginOptions, UserMixin, hash_password, verify_password,
};
use flask_sqlalchemy::{Db, DbSession};
use serde::Deserialize;

use crate::User;

/// The longest username (the `max_length` of [`User::username`]).
pub const USERNAME_LENGTH: usize = 80;

/// `/auth/...`: `register`, `login` and `logout`.
pub fn blueprint() -> Blueprint {
    Blueprint::new("auth")
        .url_prefix("/auth")
        .route(
            "/register",
            get(register_form).post(register).endpoint("register"),
        )
        .route("/login", get(login_form).post(login).endpoint("login"))
        .route("/logout", get(logout))
}

/// The register and login forms' fields.
#[derive(Debug, Deserialize)]
pub struct Credentials {
    /// The name to register or log in with.
    #[serde(default)]
    pub username: String,
    /// The password, in clear (hashed before it is stored).
    #[serde(default)]
    pub password: String,
}

/// The `auth` form `template` with the flashed messages (status 200, as in the tutorial).
fn form_page(template: &str) -> Result<Html<String>, Error> {
    render_template(template, context! {})
}

/// `GET /auth/register`: the form.
pub async fn register_form() -> Result<Html<String>, Error> {
    form_page("auth/register.html")
}

/// `POST /auth/register`: creates the user and redirects to the login page. A missing
/// username ("Username is required.") or password ("Password is required."), a name
/// that is taken ("User {username} is already registered.") or too long shows the form
/// again with the message flashed.
pub async fn register(
    ctx: RequestContext,
    session: Session,
    db: DbSession,
    Form(form): Form<Credentials>,
) -> Result<Response, Error> {
    let Credentials { username, password } = form;
    let error = if username.is_empty() {
        Some("Username is required.".to_owned())
    } else if password.is_empty() {
        Some("Password is required.".to_owned())
    } else if username.chars().count() > USERNAME_LENGTH {
        Some(format!(
            "A username has at most {USERNAME_LENGTH} characters."
        ))
    } else {
        // argon2id, off the async threads.
        let hash = hash_password(&password).await.map_err(Error::internal)?;
        let mut user = User {
            id: 0,
            username,
            password: hash,
        };
        // The unique index decides, as the tutorial's IntegrityError does: no window
        // between a check and the insert.
        match db.add(&mut user).await {
            Ok(()) => {
                db.commit().await?;
                let to = redirect(ctx.url_for("auth.login").build()?);
                return Ok(to.into_response());
            }
            // The failed transaction is rolled back at the end of the request.
            Err(e) if e.is_unique_violation() => {
                Some(format!("User {} is already registered.", user.username))
            }
            Err(e) => return Err(e.into()),
        }
    };
    if let Some(error) = error {
        session.flash(error, "message");
    }
    Ok(form_page("auth/register.html")?.into_response())
}

/// `GET /auth/login`: the form.
pub async fn login_form() -> Result<Html<String>, Error> {
    form_page("auth/login.html")
}

/// `POST /auth/login`: checks the password, logs the user in (a new session holding the
/// user's id) and redirects to the index; "Incorrect username." or "Incorrect password."
/// shows the form again.
pub async fn login(
    ctx: RequestContext,
    session: Session,
    current_user: CurrentUser<User>,
    db: Db,
    Form(form): Form<Credentials>,
) -> Result<Response, Error> {
    let user = db
        .select::<User>()
        .filter(User::username.eq(form.username.as_str()))
        .first()
        .await?;
    let error = match user {
        None => "Incorrect username.",
        Some(user) => {
            if verify_password(&user.password, &form.password).await {
                // The tutorial's session.clear(); login_user also gives the session a new
                // id, against session fixation.
                session.clear();
                current_user.login_user(user, LoginOptions::new());
                let to = redirect(ctx.url_for("blog.index").build()?);
                return Ok(to.into_response());
            }
            "Incorrect password."
        }
    };
    session.flash(error, "message");
    Ok(form_page("auth/login.html")?.into_response())
}

/// `GET /auth/logout`: forgets the session and redirects to the index.
pub async fn logout(
    ctx: RequestContext,
    current_user: CurrentUser<User>,
) -> Result<Response, Error> {
    current_user.logout_user();
    Ok(redirect(ctx.url_for("blog.index").build()?).into_response())
}

impl UserMixin for User {
    fn get_id(&self) -> String {
        self.id.to_string()
    }
}

/// The app's [`LoginManager`]: loads the user whose id the session holds (the tutorial's
/// `load_logged_in_user`; templates see it as `current_user`), and sends anyone who is not
/// logged in from a `LoginRequired<User>` view to the login page, as the tutorial's
/// `login_required` does (no `?next=`, no message).
pub fn login_manager() -> LoginManager<User> {
    LoginManager::<User>::new()
        .user_loader(|id: String, db: Db| async move {
            match id.parse::<i64>() {
                Ok(id) => db.get::<User>(id).await,
                Err(_) => Ok(None),
            }
        })
        .unauthorized_handler(|ctx: &RequestContext| {
            ctx.url_for("auth.login")
                .build()
                .map(redirect)
                .map_err(Error::internal)
        })
}
