//! Logging in and out of the admin, with flask-login.

use flask::routing::get;
use flask::{
    Blueprint, Error, IntoResponse, RequestContext, Response, Session, context, redirect,
    render_template,
};
use flask_login::{CurrentUser, LoginManager, LoginOptions, UserMixin, verify_password_or_dummy};
use flask_sqlalchemy::Db;
use flask_wtf::{FlaskForm, Form};
use serde::{Deserialize, Serialize};

use crate::User;

impl UserMixin for User {
    fn get_id(&self) -> String {
        self.id.to_string()
    }
}

/// Loads the user whose id the session holds.
pub fn login_manager() -> LoginManager<User> {
    LoginManager::<User>::new().user_loader(|id: String, db: Db| async move {
        match id.parse::<i64>() {
            Ok(id) => db.get::<User>(id).await,
            Err(_) => Ok(None),
        }
    })
}

/// `/login` and `/logout`, and `/` (to the admin).
pub fn blueprint() -> Blueprint {
    Blueprint::new("auth")
        .route("/", get(index))
        .route("/login", get(login).post(login))
        .route("/logout", get(logout))
}

/// Sends a visitor who is not logged in from the admin to the login page (the admin itself
/// would answer 403).
pub async fn require_login(ctx: RequestContext) -> Option<Response> {
    if !ctx.path().starts_with("/admin") || ctx.path().starts_with("/admin/static/") {
        return None;
    }
    if CurrentUser::<User>::of(&ctx).is_some_and(|c| c.is_authenticated()) {
        return None;
    }
    let login = ctx
        .url_for("auth.login")
        .value("next", ctx.path())
        .build()
        .ok()?;
    Some(redirect(login).into_response())
}

#[flask::view]
async fn index(ctx: RequestContext) -> Result<Response, Error> {
    Ok(redirect(ctx.url_for("admin.index").build()?).into_response())
}

/// The login form.
#[derive(Debug, Clone, Form, Serialize, Deserialize)]
pub struct LoginForm {
    /// The name to log in with.
    pub username: String,
    /// The password, in clear.
    #[form(kind = "password")]
    pub password: String,
}

/// `/login`: the form; the right password logs in and goes on to `?next=` (a local path)
/// or the admin.
#[flask::view]
async fn login(
    ctx: RequestContext,
    args: flask::Args,
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
        let verified =
            verify_password_or_dummy(user.as_ref().map(|u| u.password.as_str()), password).await?;
        match user {
            Some(user) if verified => {
                session.clear();
                current_user.login_user(user, LoginOptions::new());
                let next = match args.get("next").and_then(flask_login::safe_next) {
                    Some(next) => next,
                    None => ctx.url_for("admin.index").build()?,
                };
                return Ok(redirect(next).into_response());
            }
            _ => session.flash("Wrong username or password.", "error"),
        }
    }
    Ok(render_template("login.html", context! { form })?.into_response())
}

#[flask::view]
async fn logout(ctx: RequestContext, current_user: CurrentUser<User>) -> Result<Response, Error> {
    current_user.logout_user();
    Ok(redirect(ctx.url_for("auth.login").build()?).into_response())
}
