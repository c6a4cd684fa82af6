//! The login state of one request: who is logged in, loaded once (from the session, the
//! remember-me cookie or the request loader) and kept in `g`.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use flask::{Error, RequestContext, Session};
use http::request::Parts;

use crate::manager::{LoginEvent, LoginManager, SessionProtection};
use crate::{UserMixin, remember};

/// The session keys flask-login owns (Flask-Login's names).
pub(crate) const USER_ID: &str = "_user_id";
pub(crate) const FRESH: &str = "_fresh";
pub(crate) const IDENTIFIER: &str = "_id";
pub(crate) const REMEMBER_SECONDS: &str = "_remember_seconds";

/// What to do with the remember-me cookie when the response goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RememberOp {
    Set,
    Clear,
}

/// One request's login, in `g` as `Arc<RequestLogin<U>>`.
pub(crate) struct RequestLogin<U: UserMixin> {
    pub(crate) manager: Arc<LoginManager<U>>,
    user: Mutex<Option<U>>,
    /// The client's address and User-Agent, for its session identifier.
    client: crate::identifier::Client,
    /// Flask-Login's session identifier of this client, made when first needed.
    ident: std::sync::OnceLock<String>,
    /// The id in a valid remember-me cookie the request carried.
    pub(crate) remembered_id: Option<String>,
    remember_op: Mutex<Option<RememberOp>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl<U: UserMixin> RequestLogin<U> {
    /// Flask-Login's session identifier of this client (its address and User-Agent, hashed).
    pub(crate) fn ident(&self) -> &str {
        self.ident.get_or_init(|| self.client.identifier())
    }

    pub(crate) fn user(&self) -> Option<U> {
        lock(&self.user).clone()
    }

    pub(crate) fn with_user<R>(&self, f: impl FnOnce(Option<&U>) -> R) -> R {
        f(lock(&self.user).as_ref())
    }

    pub(crate) fn set_user(&self, user: Option<U>) {
        *lock(&self.user) = user;
    }

    pub(crate) fn is_authenticated(&self) -> bool {
        self.with_user(|u| u.is_some_and(UserMixin::is_authenticated))
    }

    pub(crate) fn set_remember(&self, op: RememberOp) {
        *lock(&self.remember_op) = Some(op);
    }

    pub(crate) fn remember_op(&self) -> Option<RememberOp> {
        *lock(&self.remember_op)
    }
}

pub(crate) fn missing_manager<U>() -> Error {
    let user = std::any::type_name::<U>();
    Error::internal(format!(
        "the current user of type {user} was asked for, but no LoginManager<{user}> is \
         registered: add .extension(LoginManager::<{user}>::new().user_loader(...)) to the app"
    ))
}

pub(crate) fn session_of(ctx: &RequestContext) -> Result<Session, Error> {
    ctx.session()
        .ok_or_else(|| Error::internal("flask-login needs sessions: set SECRET_KEY in the config"))
}

/// The request's login, loading the user the first time it is asked for (by the
/// manager's `before_request` hook, an extractor or a guard, whichever runs first).
pub(crate) async fn ensure_loaded<U: UserMixin>(
    parts: &mut Parts,
) -> Result<Arc<RequestLogin<U>>, Response> {
    let ctx = RequestContext::from_request_parts(parts, &())
        .await
        .map_err(IntoResponse::into_response)?;
    let g = ctx.g();
    if let Some(state) = g.get::<Arc<RequestLogin<U>>>() {
        return Ok(state);
    }
    let manager = ctx
        .app()
        .extension::<LoginManager<U>>()
        .ok_or_else(|| missing_manager::<U>().into_response())?;
    let settings = manager.settings();
    let session = session_of(&ctx).map_err(IntoResponse::into_response)?;
    let remembered_id = remember::read_cookie(&parts.headers, settings);
    let state = Arc::new(RequestLogin {
        client: crate::identifier::Client::of_request(&parts.headers, ctx.remote_addr()),
        ident: std::sync::OnceLock::new(),
        remembered_id,
        manager: manager.clone(),
        user: Mutex::new(None),
        remember_op: Mutex::new(None),
    });
    let user = load(&ctx, &session, &state, parts).await?;
    state.set_user(user);
    g.insert(state.clone());
    Ok(state)
}

/// Flask-Login's `_load_user`.
async fn load<U: UserMixin>(
    ctx: &RequestContext,
    session: &Session,
    state: &RequestLogin<U>,
    parts: &mut Parts,
) -> Result<Option<U>, Response> {
    let manager = &state.manager;
    if protection_failed(ctx, session, state) {
        return Ok(None);
    }
    let session_id = session.get::<String>(USER_ID);
    if let (Some(id), Some(loader)) = (&session_id, &manager.user_loader)
        && let Some(user) = loader.load(id.clone(), parts).await?
    {
        return Ok(Some(user));
    }
    if let Some(id) = &state.remembered_id {
        let Some(loader) = &manager.user_loader else {
            return Ok(None);
        };
        // The session's id was just looked up and is gone (a deleted user).
        if session_id.as_ref() == Some(id) {
            state.set_remember(RememberOp::Clear);
            return Ok(None);
        }
        let user = loader.load(id.clone(), parts).await?;
        let Some(user) = user.filter(UserMixin::is_active) else {
            // A deleted or disabled account: its cookie logs nobody in.
            state.set_remember(RememberOp::Clear);
            return Ok(None);
        };
        // Logged in again from the cookie: a new session id (as at any login, against
        // session fixation), and not a fresh login.
        session.cycle_id();
        session.insert(USER_ID, id);
        session.insert(FRESH, false);
        session.insert(IDENTIFIER, state.ident());
        manager.emit(ctx, &LoginEvent::LoadedFromCookie(&user));
        return Ok(Some(user));
    }
    if let Some(loader) = &manager.request_loader {
        let user = loader.load(parts).await?;
        if let Some(user) = &user {
            manager.emit(ctx, &LoginEvent::LoadedFromRequest(user));
        }
        return Ok(user);
    }
    Ok(None)
}

/// Flask-Login's `_session_protection_failed`: `true` when the user was logged out.
fn protection_failed<U: UserMixin>(
    ctx: &RequestContext,
    session: &Session,
    state: &RequestLogin<U>,
) -> bool {
    let mode = state.manager.settings().protection;
    if mode == SessionProtection::Off || !session.contains(USER_ID) {
        return false;
    }
    if session.get::<String>(IDENTIFIER).as_deref() == Some(state.ident()) {
        return false;
    }
    state.manager.emit(ctx, &LoginEvent::SessionProtected);
    if mode == SessionProtection::Basic || session.permanent() {
        if session.get::<bool>(FRESH) != Some(false) {
            session.insert(FRESH, false);
        }
        return false;
    }
    forget_login(session);
    state.set_remember(RememberOp::Clear);
    true
}

/// Removes flask-login's keys from the session.
pub(crate) fn forget_login(session: &Session) {
    for key in [USER_ID, FRESH, IDENTIFIER, REMEMBER_SECONDS] {
        session.remove::<serde_json::Value>(key);
    }
}
