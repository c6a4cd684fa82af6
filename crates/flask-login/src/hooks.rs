//! The request hooks: loading the user before each view (so templates see
//! `current_user`), and the guards `login_required` / `fresh_login_required` for whole
//! blueprints.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use flask::{BeforeRequestHook, RequestContext};
use http::Method;
use http::request::Parts;

use crate::UserMixin;
use crate::loader::BoxFuture;
use crate::state::ensure_loaded;

/// The manager's own `before_request` hook: loads the user of every request except static
/// files.
pub(crate) struct LoadUser<U>(PhantomData<fn() -> U>);

impl<U> LoadUser<U> {
    pub(crate) fn new() -> Self {
        LoadUser(PhantomData)
    }
}

impl<U> Clone for LoadUser<U> {
    fn clone(&self) -> Self {
        LoadUser(PhantomData)
    }
}

/// Marks the hook impls of this crate apart from closures' (their extractor tuples).
#[doc(hidden)]
#[derive(Debug)]
pub enum GuardHook {}

impl<U: UserMixin> BeforeRequestHook<GuardHook> for LoadUser<U> {
    fn call<'a>(&'a self, parts: &'a mut Parts) -> BoxFuture<'a, Option<Response>> {
        Box::pin(async move {
            let ctx = match RequestContext::from_request_parts(parts, &()).await {
                Ok(ctx) => ctx,
                Err(e) => return Some(e.into_response()),
            };
            let endpoint = ctx.endpoint().unwrap_or("");
            if endpoint == "static" || endpoint.ends_with(".static") {
                return None;
            }
            ensure_loaded::<U>(parts).await.err()
        })
    }
}

/// Flask-Login's `login_required` and `fresh_login_required` as `before_request` hooks,
/// for every view of a blueprint (or of the app): see [`login_required`].
pub struct LoginGuard<U> {
    fresh: bool,
    user: PhantomData<fn() -> U>,
}

impl<U> Clone for LoginGuard<U> {
    fn clone(&self) -> Self {
        LoginGuard {
            fresh: self.fresh,
            user: PhantomData,
        }
    }
}

impl<U> std::fmt::Debug for LoginGuard<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginGuard")
            .field("fresh", &self.fresh)
            .finish()
    }
}

/// Flask-Login's `@login_required` for every view of a blueprint: a `before_request` hook
/// that sends anyone not logged in to the login view (or answers 401). `OPTIONS` requests
/// pass, and so does everything when `LOGIN_DISABLED` is set.
///
/// ```
/// # #[derive(Clone, serde::Serialize)] struct User { id: i64 }
/// # impl flask_login::UserMixin for User { fn get_id(&self) -> String { self.id.to_string() } }
/// use flask::{Blueprint, routing::get};
///
/// let admin = Blueprint::new("admin")
///     .url_prefix("/admin")
///     .before_request(flask_login::login_required::<User>())
///     .route("/", get(|| async { "the dashboard" }));
/// ```
///
/// For one view, take [`LoginRequired<U>`](crate::LoginRequired) as an argument instead.
pub fn login_required<U: UserMixin>() -> LoginGuard<U> {
    LoginGuard {
        fresh: false,
        user: PhantomData,
    }
}

/// Flask-Login's `@fresh_login_required` for every view of a blueprint: like
/// [`login_required`], and a login restored from the remember-me cookie (or marked stale by
/// session protection) is sent to the refresh view (or answered 401).
pub fn fresh_login_required<U: UserMixin>() -> LoginGuard<U> {
    LoginGuard {
        fresh: true,
        user: PhantomData,
    }
}

impl<U: UserMixin> BeforeRequestHook<GuardHook> for LoginGuard<U> {
    fn call<'a>(&'a self, parts: &'a mut Parts) -> BoxFuture<'a, Option<Response>> {
        Box::pin(async move {
            let state = match ensure_loaded::<U>(parts).await {
                Ok(state) => state,
                Err(resp) => return Some(resp),
            };
            if parts.method == Method::OPTIONS || state.manager.settings().login_disabled {
                return None;
            }
            match RequestContext::from_request_parts(parts, &()).await {
                Ok(ctx) => crate::guard::check(&ctx, &state, self.fresh).err(),
                Err(e) => Some(e.into_response()),
            }
        })
    }
}
