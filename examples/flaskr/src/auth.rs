//! The `auth` blueprint (the tutorial's `flaskr/auth.py`): register, log in, log out, and
//! the [`login_manager`] that loads the logged-in user (the tutorial's
//! `load_logged_in_user`) and guards the views that take `LoginRequired<User>` (its
//! `login_required`).

use flask::routing::get;
use flask::{
    Blueprint, Error, IntoResponse, RequestContext, Response, Session, context, redirect,
    render_template,
};
use flask_login::{
    CurrentUser, LoginManager, LoginOptions, UserMixin, hash_password, verify_password_or_dummy,
};
use flask_sqlalchemy::{Db, DbSession};
use flask_wtf::{FlaskForm, Form};
use serde::{Deserialize, Serialize};

use crate::User;

/// The longest username (the `max_length` of [`User::username`]).
pub const USERNAME_LENGTH: usize = 80;

// ANCHOR: blueprint
/// `/auth/...`: `register`, `login` and `logout`.
pub fn blueprint() -> Blueprint {
    Blueprint::new("auth")
        .url_prefix("/auth")
        .route(
            "/register",
            get(register).post(register).endpoint("register"),
        )
        .route("/login", get(login).post(login).endpoint("login"))
        .route("/logout", get(logout))
}
// ANCHOR_END: blueprint

// ANCHOR: register_form
/// The register form: the tutorial's checks, with its messages, as validators.
#[derive(Debug, Clone, Form, Serialize, Deserialize)]
pub struct RegisterForm {
    /// The name to register.
    #[form(validate(
        input_required(message = "Username is required."),
        length(max = 80, message = "A username has at most 80 characters.")
    ))]
    pub username: String,
    /// The password, in clear (hashed before it is stored).
    #[form(
        kind = "password",
        validate(input_required(message = "Password is required."))
    )]
    pub password: String,
}
// ANCHOR_END: register_form

// ANCHOR: login_form
/// The login form. No validators: an empty name is an "Incorrect username.", as in the
/// tutorial.
#[derive(Debug, Clone, Form, Serialize, Deserialize)]
pub struct LoginForm {
    /// The name to log in with.
    pub username: String,
    /// The password, in clear.
    #[form(kind = "password")]
    pub password: String,
}
// ANCHOR_END: login_form

// ANCHOR: flash_first_error
/// Flashes the first error of `form`, in the order of `fields` (the tutorial shows one
/// message at a time). The CSRF check is `CsrfProtect`'s, before the view runs.
pub(crate) fn flash_first_error<T: Form>(session: &Session, form: &FlaskForm<T>, fields: &[&str]) {
    let errors = form.errors();
    let first = fields
        .iter()
        .filter_map(|f| errors.get(*f))
        .chain(errors.values())
        .find_map(|messages| messages.first());
    if let Some(message) = first {
        session.flash(message.clone(), "message");
    }
}
// ANCHOR_END: flash_first_error

// ANCHOR: register
/// `/auth/register`: the form; once submitted and valid, creates the user and redirects to
/// the login page. A missing username ("Username is required.") or password ("Password is
/// required."), a name that is taken ("User {username} is already registered.") or too
/// long shows the form again with the message flashed.
#[flask::view]
pub async fn register(
    ctx: RequestContext,
    session: Session,
    db: DbSession,
    mut form: FlaskForm<RegisterForm>,
) -> Result<Response, Error> {
    if form.validate_on_submit()
        && let Some(RegisterForm { username, password }) = form.data().cloned()
    {
        // argon2id, off the async threads.
        let hash = hash_password(&password).await.map_err(Error::internal)?;
        let mut user = User {
            id: 0,
            username: username.clone(),
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
                form.add_error(
                    "username",
                    format!("User {username} is already registered."),
                );
            }
            Err(e) => return Err(e.into()),
        }
    }
    flash_first_error(&session, &form, &["username", "password"]);
    Ok(render_template("auth/register.html", context! { form })?.into_response())
}
// ANCHOR_END: register

// ANCHOR: login
/// `/auth/login`: the form; once submitted, checks the password, logs the user in (a new
/// session holding the user's id) and redirects to the index. "Incorrect username." or
/// "Incorrect password." shows the form again.
#[flask::view]
pub async fn login(
    ctx: RequestContext,
    session: Session,
    current_user: CurrentUser<User>,
    db: Db,
    mut form: FlaskForm<LoginForm>,
) -> Result<Response, Error> {
    if form.validate_on_submit()
        && let Some(LoginForm { username, password }) = form.data()
    {
        let user = db
            .select::<User>()
            .filter(User::username.eq(username.as_str()))
            .first()
            .await?;
        // An unknown user is checked against a dummy hash too: it takes as long as a wrong
        // password, so the time of the answer does not tell who has an account.
        let hash = user.as_ref().map(|u| u.password.as_str());
        let verified = verify_password_or_dummy(hash, password).await?;
        let error = match user {
            None => "Incorrect username.",
            Some(user) => {
                if verified {
                    // The tutorial's session.clear(); login_user also gives the session a
                    // new id, against session fixation.
                    session.clear();
                    current_user.login_user(user, LoginOptions::new());
                    let to = redirect(ctx.url_for("blog.index").build()?);
                    return Ok(to.into_response());
                }
                "Incorrect password."
            }
        };
        session.flash(error, "message");
    }
    Ok(render_template("auth/login.html", context! { form })?.into_response())
}
// ANCHOR_END: login

// ANCHOR: logout
/// `GET /auth/logout`: forgets the session and redirects to the index.
#[flask::view]
pub async fn logout(
    ctx: RequestContext,
    current_user: CurrentUser<User>,
) -> Result<Response, Error> {
    current_user.logout_user();
    Ok(redirect(ctx.url_for("blog.index").build()?).into_response())
}
// ANCHOR_END: logout

// ANCHOR: user_mixin
impl UserMixin for User {
    fn get_id(&self) -> String {
        self.id.to_string()
    }
}
// ANCHOR_END: user_mixin

// ANCHOR: login_manager
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
// ANCHOR_END: login_manager
