//! The `auth` blueprint (the tutorial's `flaskr/auth.py`): register, log in, log out; the
//! hook that loads the logged-in user, and [`LoginRequired`], the `login_required`
//! decorator as an extractor.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use flask::routing::get;
use flask::{
    Blueprint, Error, Form, G, Html, IntoResponse, RequestContext, Response, Session, context,
    redirect, render_template,
};
use flask_login::{hash_password, verify_password};
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

/// `POST /auth/login`: checks the password, starts a new session holding the user's id
/// and redirects to the index; "Incorrect username." or "Incorrect password." shows the
/// form again.
pub async fn login(
    ctx: RequestContext,
    session: Session,
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
                session.clear();
                // A new session id as well, against session fixation.
                session.cycle_id();
                session.insert("user_id", user.id);
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
pub async fn logout(ctx: RequestContext, session: Session) -> Result<Response, Error> {
    session.clear();
    Ok(redirect(ctx.url_for("blog.index").build()?).into_response())
}

/// The app's `before_request` hook (the tutorial's `load_logged_in_user`): the user whose
/// id the session holds, in `g` twice: as a [`User`] for handlers (`g.get::<User>()`) and
/// as `g.user` for templates (`None` when nobody is logged in, or the user is gone).
pub async fn load_logged_in_user(session: Session, db: Db, g: G) -> Result<(), Error> {
    let user = match session.get::<i64>("user_id") {
        Some(id) => db.get::<User>(id).await?,
        None => None,
    };
    g.set("user", &user);
    if let Some(user) = user {
        g.insert(user);
    }
    Ok(())
}

/// The tutorial's `login_required` decorator as an extractor: a handler that takes
/// `LoginRequired(user)` runs only for a logged-in user (loaded by
/// [`load_logged_in_user`]); anyone else is redirected to the login page.
///
/// ```
/// use flask::Error;
/// use flaskr::auth::LoginRequired;
///
/// async fn secret(LoginRequired(user): LoginRequired) -> Result<String, Error> {
///     Ok(format!("hello {}", user.username))
/// }
/// ```
#[derive(Debug, Clone)]
pub struct LoginRequired(pub User);

impl<S: Send + Sync> FromRequestParts<S> for LoginRequired {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = RequestContext::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        if let Some(user) = ctx.g().get::<User>() {
            return Ok(LoginRequired(user));
        }
        match ctx.url_for("auth.login").build() {
            Ok(login) => Err(redirect(login).into_response()),
            Err(e) => Err(Error::internal(e).into_response()),
        }
    }
}
