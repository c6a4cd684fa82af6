//! The extractors: `CurrentUser<U>` (who is logged in, and logging in and out),
//! `LoginRequired<U>`, `FreshLoginRequired<U>`, and `Next` for a login view.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use flask::RequestContext;
use http::request::Parts;

use crate::manager::LoginEvent;
use crate::state::{
    FRESH, IDENTIFIER, REMEMBER_SECONDS, RememberOp, RequestLogin, USER_ID, ensure_loaded,
    session_of,
};
use crate::{UserMixin, guard, safe_next};

/// Flask-Login's `current_user`, as an extractor: the logged-in user if any, and the
/// functions that change who it is (`login_user`, `logout_user`, `confirm_login`).
///
/// ```
/// # #[derive(Clone, serde::Serialize)] struct User { id: i64, name: String }
/// # impl flask_login::UserMixin for User { fn get_id(&self) -> String { self.id.to_string() } }
/// use flask_login::CurrentUser;
///
/// #[flask::view]
/// async fn index(current_user: CurrentUser<User>) -> String {
///     match current_user.user() {
///         Some(user) => format!("Hello, {}!", user.name),
///         None => "Hello, stranger!".to_owned(),
///     }
/// }
/// ```
pub struct CurrentUser<U: UserMixin> {
    state: Arc<RequestLogin<U>>,
    ctx: RequestContext,
}

impl<U: UserMixin> Clone for CurrentUser<U> {
    fn clone(&self) -> Self {
        CurrentUser {
            state: self.state.clone(),
            ctx: self.ctx.clone(),
        }
    }
}

impl<U: UserMixin> std::fmt::Debug for CurrentUser<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CurrentUser")
            .field("id", &self.get_id())
            .finish()
    }
}

/// How [`CurrentUser::login_user`] logs a user in (Flask-Login's keyword arguments).
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct LoginOptions {
    remember: bool,
    duration: Option<Duration>,
    fresh: bool,
    force: bool,
}

impl Default for LoginOptions {
    fn default() -> Self {
        LoginOptions {
            remember: false,
            duration: None,
            fresh: true,
            force: false,
        }
    }
}

impl LoginOptions {
    /// A plain login: not remembered, fresh, refused for an inactive user.
    pub fn new() -> Self {
        Self::default()
    }

    /// `remember=True`: also set the remember-me cookie, which logs the user in again
    /// after the browser session ends. `logout_user` removes it from this browser, but a
    /// copy taken from it stays valid until it expires, unless
    /// [`UserMixin::get_id`](crate::UserMixin::get_id) changes (an "alternative id") or
    /// `SECRET_KEY` does.
    pub fn remember(mut self, remember: bool) -> Self {
        self.remember = remember;
        self
    }

    /// `duration=`: how long the remember-me cookie lasts (`REMEMBER_COOKIE_DURATION`
    /// otherwise).
    pub fn duration(mut self, duration: Duration) -> Self {
        self.duration = Some(duration);
        self
    }

    /// `fresh=False`: the login counts as stale, as if restored from a cookie.
    pub fn fresh(mut self, fresh: bool) -> Self {
        self.fresh = fresh;
        self
    }

    /// `force=True`: log in even an inactive user.
    pub fn force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }
}

impl<U: UserMixin> CurrentUser<U> {
    /// The current user of the request `ctx`, where an extractor cannot be used (an access
    /// check such as flask-admin's `is_accessible`, a context processor): the user the
    /// manager's `before_request` hook loaded. `None` before that hook ran, or without a
    /// `LoginManager<U>`.
    ///
    /// ```
    /// # #[derive(Clone, serde::Serialize)] struct User { id: i64, admin: bool }
    /// # impl flask_login::UserMixin for User { fn get_id(&self) -> String { self.id.to_string() } }
    /// use flask_login::CurrentUser;
    ///
    /// fn is_admin(ctx: &flask::RequestContext) -> bool {
    ///     CurrentUser::<User>::of(ctx).and_then(|c| c.user()).is_some_and(|u| u.admin)
    /// }
    /// # let _ = is_admin;
    /// ```
    pub fn of(ctx: &RequestContext) -> Option<Self> {
        let state = ctx.g().get::<Arc<RequestLogin<U>>>()?;
        Some(CurrentUser {
            state,
            ctx: ctx.clone(),
        })
    }

    /// The logged-in user; `None` for an anonymous visitor.
    pub fn user(&self) -> Option<U> {
        self.state.user()
    }

    /// `current_user.is_authenticated`.
    pub fn is_authenticated(&self) -> bool {
        self.state.is_authenticated()
    }

    /// `current_user.is_anonymous`.
    pub fn is_anonymous(&self) -> bool {
        !self.is_authenticated()
    }

    /// `current_user.get_id()`: `None` for an anonymous visitor.
    pub fn get_id(&self) -> Option<String> {
        self.state.with_user(|u| u.map(UserMixin::get_id))
    }

    /// Flask-Login's `login_user`: logs `user` in for this session and answers `true`; an
    /// inactive user is refused (`false`) unless `force`d. The session gets a new id, so a
    /// session id planted before the login is worthless after it (session fixation); a
    /// remember-me cookie of another user is removed unless this login is remembered too.
    pub fn login_user(&self, user: U, options: LoginOptions) -> bool {
        if !options.force && !user.is_active() {
            return false;
        }
        let Ok(session) = session_of(&self.ctx) else {
            return false;
        };
        let id = user.get_id();
        session.cycle_id();
        // A `next` kept in the session (USE_SESSION_FOR_NEXT) has served its purpose.
        session.remove::<serde_json::Value>("next");
        session.insert(USER_ID, &id);
        session.insert(FRESH, options.fresh);
        session.insert(IDENTIFIER, self.state.ident());
        if !options.remember && self.state.remembered_id.as_ref().is_some_and(|r| *r != id) {
            // Somebody else's remember-me cookie would log them back in after this session.
            self.state.set_remember(RememberOp::Clear);
        }
        if options.remember {
            self.state.set_remember(RememberOp::Set);
            match options.duration {
                // A float, as Flask-Login stores it.
                Some(d) => session.insert(REMEMBER_SECONDS, d.as_secs_f64()),
                None => {
                    session.remove::<u64>(REMEMBER_SECONDS);
                }
            }
        }
        self.state
            .manager
            .emit(&self.ctx, &LoginEvent::LoggedIn(&user));
        self.state.set_user(Some(user));
        true
    }

    /// Flask-Login's `logout_user`: forgets the user, empties the session (under a new
    /// id) and removes the remember-me cookie.
    pub fn logout_user(&self) {
        let user = self.state.user();
        if let Ok(session) = session_of(&self.ctx) {
            session.clear();
            session.cycle_id();
        }
        if self.state.remembered_id.is_some() || self.state.remember_op() == Some(RememberOp::Set) {
            self.state.set_remember(RememberOp::Clear);
        }
        self.state.set_user(None);
        self.state
            .manager
            .emit(&self.ctx, &LoginEvent::LoggedOut(user.as_ref()));
    }

    /// Flask-Login's `confirm_login`: the user proved it is them again (typed the
    /// password): the login is fresh, tied to this client for session protection, and the
    /// session gets a new id (as at login).
    pub fn confirm_login(&self) {
        if let Ok(session) = session_of(&self.ctx) {
            session.cycle_id();
            session.insert(FRESH, true);
            session.insert(IDENTIFIER, self.state.ident());
        }
        self.state
            .manager
            .emit(&self.ctx, &LoginEvent::LoginConfirmed);
    }

    /// Flask-Login's `login_fresh()`: the login was made with credentials in this session.
    pub fn login_fresh(&self) -> bool {
        guard::login_fresh(&self.ctx)
    }

    /// Flask-Login's `login_remembered()`: the request carries a valid remember-me cookie
    /// (and no logout removed it).
    pub fn login_remembered(&self) -> bool {
        self.state.remembered_id.is_some() && self.state.remember_op() != Some(RememberOp::Clear)
    }

    /// The response `login_required` gives: the unauthorized handler's, a redirect to the
    /// login view, or a 401. For a view that decides for itself.
    pub fn unauthorized(&self) -> Response {
        guard::unauthorized(&self.ctx, &self.state.manager)
    }

    /// The response `fresh_login_required` gives for a stale login.
    pub fn needs_refresh(&self) -> Response {
        guard::needs_refresh(&self.ctx, &self.state.manager)
    }
}

impl<U: UserMixin, S: Send + Sync> FromRequestParts<S> for CurrentUser<U> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let state = ensure_loaded::<U>(parts).await?;
        let ctx = RequestContext::from_request_parts(parts, &())
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(CurrentUser { state, ctx })
    }
}

/// Flask-Login's `@login_required` for one view: the handler runs only for a logged-in
/// user, and gets them. Anyone else is sent to the login view with `?next=` (the login
/// message flashed), or answered 401 without a login view.
///
/// ```
/// # #[derive(Clone, serde::Serialize)] struct User { id: i64, name: String }
/// # impl flask_login::UserMixin for User { fn get_id(&self) -> String { self.id.to_string() } }
/// use flask_login::LoginRequired;
///
/// #[flask::view]
/// async fn settings(LoginRequired(user): LoginRequired<User>) -> String {
///     format!("settings of {}", user.name)
/// }
/// ```
///
/// `LOGIN_DISABLED` does not open these views (there is no user to give them); it opens
/// the [`login_required`](crate::login_required) hooks.
#[derive(Debug, Clone)]
pub struct LoginRequired<U>(pub U);

/// Flask-Login's `@fresh_login_required` for one view: like [`LoginRequired`], and a login
/// that is not fresh (restored from the remember-me cookie, or marked stale by session
/// protection) is sent to the refresh view with the refresh message, or answered 401.
#[derive(Debug, Clone)]
pub struct FreshLoginRequired<U>(pub U);

impl<U: UserMixin, S: Send + Sync> FromRequestParts<S> for LoginRequired<U> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let current = CurrentUser::<U>::from_request_parts(parts, state).await?;
        guard::check(&current.ctx, &current.state, false).map(LoginRequired)
    }
}

impl<U: UserMixin, S: Send + Sync> FromRequestParts<S> for FreshLoginRequired<U> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let current = CurrentUser::<U>::from_request_parts(parts, state).await?;
        guard::check(&current.ctx, &current.state, true).map(FreshLoginRequired)
    }
}

/// Where a login view sends the user once logged in: the `next` the login redirect added
/// (from the query string, or from the session with `USE_SESSION_FOR_NEXT`), if it is a
/// path on this site ([`safe_next`]); `None` otherwise, and for `//evil.com`,
/// `https://evil.example`, `/\evil` and their encoded forms.
///
/// ```
/// use flask::{Redirect, redirect};
/// use flask_login::Next;
///
/// async fn after_login(next: Next) -> Redirect {
///     // ... check the password, login_user ...
///     redirect(next.or("/"))
/// }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Next(pub Option<String>);

impl Next {
    /// The safe `next`, or `fallback`.
    pub fn or(self, fallback: impl Into<String>) -> String {
        self.0.unwrap_or_else(|| fallback.into())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Next {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let ctx = RequestContext::from_request_parts(parts, &())
            .await
            .map_err(IntoResponse::into_response)?;
        let from_query = parts.uri.query().and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "next")
                .map(|(_, v)| v.into_owned())
        });
        let raw = if ctx.config().get_bool("USE_SESSION_FOR_NEXT") {
            ctx.session()
                .and_then(|s| s.get::<String>("next"))
                .or(from_query)
        } else {
            from_query
        };
        Ok(Next(raw.as_deref().and_then(safe_next)))
    }
}
