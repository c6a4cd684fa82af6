//! The `auth` blueprint: register, log in (with "Remember me" and a safe `?next=`), log
//! out, and re-authenticate a stale login.

use flask::routing::{get, route};
use flask::{
    Blueprint, Error, Form, Html, IntoResponse, RequestContext, Response, Session, context,
    redirect, render_template,
};
use flask_login::{
    CurrentUser, LoginOptions, LoginRequired, Next, hash_password, needs_rehash, verify_password,
    verify_password_or_dummy,
};
use flask_sqlalchemy::{Db, DbSession};
use serde::Deserialize;

use crate::{EMAIL_LENGTH, User};

/// `/auth/...`: `register`, `login`, `logout` and `reauth`.
pub fn blueprint() -> Blueprint {
    Blueprint::new("auth")
        .url_prefix("/auth")
        .route(
            "/register",
            get(register_form).post(register).endpoint("register"),
        )
        .route("/login", get(login_form).post(login).endpoint("login"))
        .route("/logout", route(&["GET", "POST"], logout))
        .route(
            "/logout-everywhere",
            flask::routing::post(logout_everywhere).endpoint("logout_everywhere"),
        )
        .route("/reauth", get(reauth_form).post(reauth).endpoint("reauth"))
}

/// The register form's fields.
#[derive(Debug, Deserialize)]
pub struct Registration {
    /// The email to log in with.
    #[serde(default)]
    pub email: String,
    /// The password, in clear (hashed before it is stored).
    #[serde(default)]
    pub password: String,
}

/// The login form's fields.
#[derive(Debug, Deserialize)]
pub struct Credentials {
    /// The email registered.
    #[serde(default)]
    pub email: String,
    /// The password, in clear.
    #[serde(default)]
    pub password: String,
    /// The "Remember me" checkbox: sent (as `on`) only when ticked.
    #[serde(default)]
    pub remember: Option<String>,
}

/// The re-authentication form's field.
#[derive(Debug, Deserialize)]
pub struct Password {
    /// The password, in clear.
    #[serde(default)]
    pub password: String,
}

/// Emails are compared trimmed and in lower case: `Ada@Example.com ` is `ada@example.com`.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// `GET /auth/register`: the form.
#[flask::view]
pub async fn register_form() -> Result<Html<String>, Error> {
    render_template("auth/register.html", context! {})
}

/// `POST /auth/register`: creates the user, flashes "Registered. Log in now." and
/// redirects to the login page. A missing email ("Email is required.") or password
/// ("Password is required."), an email that is taken ("Email {email} is already
/// registered.") or too long shows the form again with the message flashed.
#[flask::view]
pub async fn register(
    ctx: RequestContext,
    session: Session,
    db: DbSession,
    Form(form): Form<Registration>,
) -> Result<Response, Error> {
    let email = normalize_email(&form.email);
    let error = if email.is_empty() {
        "Email is required.".to_owned()
    } else if form.password.is_empty() {
        "Password is required.".to_owned()
    } else if email.chars().count() > EMAIL_LENGTH {
        format!("An email has at most {EMAIL_LENGTH} characters.")
    } else {
        let password = hash_password(&form.password).await?;
        let mut user = User {
            id: 0,
            email,
            password,
            active: true,
            session_token: User::new_session_token(),
        };
        // The unique index decides: no window between a check and the insert.
        match db.add(&mut user).await {
            Ok(()) => {
                db.commit().await?;
                session.flash("Registered. Log in now.", "info");
                return Ok(redirect(ctx.url_for("auth.login").build()?).into_response());
            }
            // The failed transaction is rolled back at the end of the request.
            Err(e) if e.is_unique_violation() => {
                format!("Email {} is already registered.", user.email)
            }
            Err(e) => return Err(e.into()),
        }
    };
    session.flash(error, "error");
    Ok(register_form().await?.into_response())
}

/// `GET /auth/login`: the form. It posts back to the same URL, `?next=` included.
#[flask::view]
pub async fn login_form() -> Result<Html<String>, Error> {
    render_template("auth/login.html", context! {})
}

/// `POST /auth/login`: checks the password and logs the user in (remembered when "Remember
/// me" was ticked), then redirects to `?next=` if it is a path on this site, else to the
/// index. "Incorrect email or password." (or "This account is disabled.") shows the form
/// again.
#[flask::view]
pub async fn login(
    ctx: RequestContext,
    current: CurrentUser<User>,
    next: Next,
    session: Session,
    db: Db,
    Form(form): Form<Credentials>,
) -> Result<Response, Error> {
    let user = db
        .select::<User>()
        .filter(User::email.eq(normalize_email(&form.email)))
        .first()
        .await?;
    // An unknown email is checked against a dummy hash, so it takes as long to refuse as a
    // wrong password (nobody learns who is registered by timing the form).
    let hash = user.as_ref().map(|u| u.password.as_str());
    let verified = verify_password_or_dummy(hash, &form.password).await?;
    let error = match user {
        Some(mut user) if verified => {
            // A hash made with older settings (or Werkzeug's, for users moved from a Flask
            // app) is replaced now that the password is known.
            if needs_rehash(&user.password) {
                user.password = hash_password(&form.password).await?;
                db.update(&mut user).await?;
            }
            let remember = form.remember.is_some();
            if current.login_user(user, LoginOptions::new().remember(remember)) {
                let index = ctx.url_for("index").build()?;
                return Ok(redirect(next.or(index)).into_response());
            }
            "This account is disabled."
        }
        _ => "Incorrect email or password.",
    };
    session.flash(error, "error");
    Ok(login_form().await?.into_response())
}

/// `GET` or `POST /auth/logout`: logs out (the remember-me cookie goes too) and redirects
/// to the index.
#[flask::view]
pub async fn logout(
    ctx: RequestContext,
    current: CurrentUser<User>,
    session: Session,
) -> Result<Response, Error> {
    if current.is_authenticated() {
        current.logout_user();
        session.flash("You have been logged out.", "info");
    }
    Ok(redirect(ctx.url_for("index").build()?).into_response())
}

/// `POST /auth/logout-everywhere`: ends every login of this user, in every browser, with
/// every remember-me cookie: the user gets a new alternative token, so what the old
/// session cookies and remember-me cookies hold loads nobody. Then logs this browser out.
#[flask::view]
pub async fn logout_everywhere(
    LoginRequired(mut user): LoginRequired<User>,
    ctx: RequestContext,
    current: CurrentUser<User>,
    session: Session,
    db: DbSession,
) -> Result<Response, Error> {
    user.session_token = User::new_session_token();
    db.add(&mut user).await?;
    db.commit().await?;
    current.logout_user();
    session.flash("You have been logged out everywhere.", "info");
    Ok(redirect(ctx.url_for("index").build()?).into_response())
}

/// `GET /auth/reauth`: asks a logged-in user for the password again (where `settings`
/// sends a login restored from the remember-me cookie).
#[flask::view]
pub async fn reauth_form(LoginRequired(user): LoginRequired<User>) -> Result<Html<String>, Error> {
    render_template("auth/reauth.html", context! { user => user })
}

/// `POST /auth/reauth`: with the right password, the login is fresh again
/// (`confirm_login`) and the user goes on to `?next=` (or the index); "Incorrect
/// password." otherwise.
#[flask::view]
pub async fn reauth(
    LoginRequired(user): LoginRequired<User>,
    ctx: RequestContext,
    current: CurrentUser<User>,
    next: Next,
    session: Session,
    Form(form): Form<Password>,
) -> Result<Response, Error> {
    if verify_password(&user.password, &form.password).await? {
        current.confirm_login();
        let index = ctx.url_for("index").build()?;
        return Ok(redirect(next.or(index)).into_response());
    }
    session.flash("Incorrect password.", "error");
    Ok(render_template("auth/reauth.html", context! { user => user })?.into_response())
}
