//! What happens when a view needs a login it does not have: Flask-Login's `unauthorized`
//! and `needs_refresh` (flash, then redirect to the login view with `?next=`, or a 401).

use axum::response::{IntoResponse, Response};
use flask::{Error, RequestContext, abort, redirect};

use crate::UserMixin;
use crate::manager::{LoginEvent, LoginManager, is_url};
use crate::state::{FRESH, RequestLogin, session_of};

/// The logged-in user, or the response that sends the client to log in (again).
// The response is what the extractors reject with; boxing it would only move the allocation.
#[allow(clippy::result_large_err)]
pub(crate) fn check<U: UserMixin>(
    ctx: &RequestContext,
    state: &RequestLogin<U>,
    fresh: bool,
) -> Result<U, Response> {
    let user = state
        .user()
        .filter(UserMixin::is_authenticated)
        .ok_or_else(|| unauthorized(ctx, &state.manager))?;
    if fresh && !login_fresh(ctx) {
        return Err(needs_refresh(ctx, &state.manager));
    }
    Ok(user)
}

/// Flask-Login's `login_fresh()`: the session's login was made with credentials in this
/// session (not restored from the remember-me cookie, not marked stale).
pub(crate) fn login_fresh(ctx: &RequestContext) -> bool {
    ctx.session()
        .and_then(|s| s.get::<bool>(FRESH))
        .unwrap_or(false)
}

/// Flask-Login's `LoginManager.unauthorized()`.
pub(crate) fn unauthorized<U: UserMixin>(
    ctx: &RequestContext,
    manager: &LoginManager<U>,
) -> Response {
    manager.emit(ctx, &LoginEvent::Unauthorized);
    if let Some(handler) = &manager.unauthorized_handler {
        return handler(ctx);
    }
    let view = blueprint_view(ctx, manager).or(manager.login_view.as_deref());
    send_to(
        ctx,
        manager,
        view,
        manager.login_message.as_deref(),
        &manager.login_message_category,
    )
}

/// Flask-Login's `LoginManager.needs_refresh()`.
pub(crate) fn needs_refresh<U: UserMixin>(
    ctx: &RequestContext,
    manager: &LoginManager<U>,
) -> Response {
    manager.emit(ctx, &LoginEvent::NeedsRefresh);
    if let Some(handler) = &manager.needs_refresh_handler {
        return handler(ctx);
    }
    send_to(
        ctx,
        manager,
        manager.refresh_view.as_deref(),
        manager.needs_refresh_message.as_deref(),
        &manager.needs_refresh_message_category,
    )
}

/// The login view of the request's blueprint, or of the nearest parent blueprint that has one.
fn blueprint_view<'m, U: UserMixin>(
    ctx: &RequestContext,
    manager: &'m LoginManager<U>,
) -> Option<&'m str> {
    let mut name = ctx.blueprint()?;
    loop {
        if let Some(view) = manager.blueprint_login_views.get(name) {
            return Some(view);
        }
        name = &name[..name.rfind('.')?];
    }
}

/// Flashes `message` and redirects to `view` with the current URL as `next`; a 401
/// without a view.
fn send_to<U: UserMixin>(
    ctx: &RequestContext,
    manager: &LoginManager<U>,
    view: Option<&str>,
    message: Option<&str>,
    category: &str,
) -> Response {
    let Some(view) = view else {
        return abort(401).into_response();
    };
    // The login view itself behind the guard (a blueprint's own login page): a redirect
    // would go round in circles.
    if ctx.endpoint() == Some(view) || ctx.path() == view {
        return abort(401).into_response();
    }
    let session = match session_of(ctx) {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let base = if is_url(view) {
        view.to_owned()
    } else {
        match ctx.url_for(view).build() {
            Ok(url) => url,
            Err(e) => return Error::internal(e).into_response(),
        }
    };
    if let Some(message) = message {
        session.flash(message, category);
    }
    let next = ctx
        .uri()
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    let location = if manager.settings().use_session_for_next {
        session.insert("next", &next);
        base
    } else {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("next", &next)
            .finish();
        let sep = if base.contains('?') { '&' } else { '?' };
        format!("{base}{sep}{query}")
    };
    redirect(location).into_response()
}
