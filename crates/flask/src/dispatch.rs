//! One request, one direction: match the URL, run `before_request` hooks, call the view,
//! turn errors into responses through error handlers, run `after_request` and
//! `teardown_request` hooks.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, Method, StatusCode, header};

use crate::app::AppInner;
use crate::error::{Error, ErrorMarker};
use crate::request::{CURRENT, Matched, RequestContext, host_and_cookie};
use crate::response::strip_body;
use crate::routing::url_map::Match;
use crate::signals::Signal;

/// What the router decided when no view is to be called.
enum Early {
    Error(Error),
    /// A 405 answered by the path's rule (`MethodHandlers::method_not_allowed`).
    NotAllowed(usize, Vec<Method>),
    Redirect(String),
    Options(Vec<Method>),
}

fn allow_header(methods: &[Method]) -> HeaderValue {
    let joined = methods
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    HeaderValue::from_str(&joined).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The router's decision for a request: the rule and its values, or what to answer
/// without calling a view.
fn route(app: &AppInner, parts: &http::request::Parts) -> (Option<Matched>, Option<Early>) {
    // The host only matters with subdomain or host matching: no header lookup otherwise.
    let host = if matches!(
        app.url_map.domain_mode,
        crate::routing::url_map::DomainMode::Off
    ) {
        std::borrow::Cow::Borrowed("")
    } else {
        crate::request::trusted_hosts::request_host(parts)
    };
    match app
        .url_map
        .match_path(&parts.method, &host, parts.uri.path())
    {
        Match::Found { rule, values } => (Some(Matched { rule, values }), None),
        Match::Redirect(path) => {
            let location = match parts.uri.query() {
                Some(q) => format!("{path}?{q}"),
                None => path,
            };
            (None, Some(Early::Redirect(location)))
        }
        Match::MethodNotAllowed(allowed, first) => {
            let handler = app.url_map.rules[first].handler;
            let early = if app.handlers[handler].not_allowed.is_some() {
                Early::NotAllowed(handler, allowed)
            } else {
                Early::Error(
                    Error::new(StatusCode::METHOD_NOT_ALLOWED)
                        .with_header(header::ALLOW, allow_header(&allowed)),
                )
            };
            (None, Some(early))
        }
        Match::Options(allowed) => (None, Some(Early::Options(allowed))),
        Match::NotFound => (None, Some(Early::Error(Error::new(StatusCode::NOT_FOUND)))),
    }
}

/// A request's context without handling the request (`App::test_request_context`): the
/// URL matched, the session read; no hook runs.
pub(crate) async fn context_for(
    app: Arc<AppInner>,
    parts: &http::request::Parts,
) -> RequestContext {
    let (matched, _) = route(&app, parts);
    let (host, cookie) = host_and_cookie(&parts.headers);
    let session = match &app.sessions {
        Some(backend) => backend.load(&parts.headers, cookie).await,
        None => None,
    };
    RequestContext::new(app, parts, host, matched, session, None)
}

/// Handles one request from routing to teardown.
///
/// `peer` is the connection's peer when the server passed it; else `ctx.remote_addr()`
/// reads axum's `ConnectInfo` extension (the test client, an app served by the user's own
/// `axum::serve`, an app with tower layers).
pub(crate) async fn dispatch(
    app: Arc<AppInner>,
    req: Request,
    peer: Option<std::net::SocketAddr>,
) -> Response {
    let (mut parts, body) = req.into_parts();
    // The debug page's console: debug mode only, before the app's own rules.
    if app.debug && parts.uri.path().starts_with(crate::dev::debugger::PREFIX) {
        return Box::pin(crate::dev::debugger::handle(app, parts, body, peer)).await;
    }
    let is_head = parts.method == Method::HEAD;
    let untrusted = match &app.trusted_hosts {
        Some(trusted) => trusted.check(&parts).err(),
        None => None,
    };
    // Before routing: an unknown path on an untrusted host is a 400 too. Nor do the
    // session or the before_request hooks see the request: nothing (a redirect built with
    // `url_for(..).external()`, a login) is made from a host a client made up.
    let trusted = untrusted.is_none();
    let (matched, early) = match untrusted {
        Some(error) => (None, Some(Early::Error(error))),
        None => route(&app, &parts),
    };
    let rule = matched.as_ref().map(|m| &app.url_map.rules[m.rule]);
    let scope = rule.map_or(0, |r| r.scope);
    let handlers = rule.map(|r| &app.handlers[r.handler]);
    let (host, cookie) = host_and_cookie(&parts.headers);
    let session = match &app.sessions {
        Some(backend) if trusted => backend.load(&parts.headers, cookie).await,
        _ => None,
    };
    let ctx = RequestContext::new(app.clone(), &parts, host, matched, session, peer);
    // The context reaches extractors through a task-local rather than the request's
    // extensions: no map to allocate per request (see docs/performance.md).
    let resp = CURRENT
        .scope(ctx.clone(), async {
            let chain = &app.scopes[scope].chain;

            // Signals, url_value_preprocessor and teardown_appcontext functions are rare:
            // one flag skips them all (see docs/performance.md).
            let extras = app.request_extras;
            // url_value_preprocessor, then before_request: the app's first, then each
            // blueprint's, outer to inner.
            let hooks: &[usize] = if trusted { chain } else { &[] };
            if extras {
                app.signals.send(&Signal::RequestStarted);
                ctx.preprocess_url_values(hooks);
            }
            let mut answered = None;
            'hooks: for &s in hooks {
                for hook in &app.scopes[s].hooks.before {
                    if let Some(resp) = catch_unwind(hook.call(&mut parts))
                        .await
                        .unwrap_or_else(|p| Some(panic_response(p)))
                    {
                        answered = Some(resp);
                        break 'hooks;
                    }
                }
            }

            // The Allow header of a 405 the path's rule answers itself (added below, once
            // error handlers have had their say, if the answer is still a 405 without one).
            let mut allow_405 = None;
            let resp = match answered {
                Some(resp) => resp,
                None => match early {
                    Some(Early::Error(e)) => e.into_response(),
                    Some(Early::NotAllowed(handler, allowed)) => {
                        allow_405 = Some(allow_header(&allowed));
                        match &app.handlers[handler].not_allowed {
                            Some(h) => catch_unwind(h.call(Request::from_parts(parts, body)))
                                .await
                                .unwrap_or_else(panic_response),
                            None => Error::new(StatusCode::METHOD_NOT_ALLOWED).into_response(),
                        }
                    }
                    Some(Early::Redirect(location)) => {
                        crate::response::redirect_with(location, 308).into_response()
                    }
                    Some(Early::Options(allowed)) => {
                        let mut resp = Response::new(Body::empty());
                        resp.headers_mut()
                            .insert(header::ALLOW, allow_header(&allowed));
                        resp
                    }
                    None => {
                        let method = parts.method.clone();
                        let handler = handlers.and_then(|h| h.find(&method));
                        match handler {
                            Some(h) => {
                                let fut = h.call(Request::from_parts(parts, body));
                                catch_unwind(fut).await.unwrap_or_else(panic_response)
                            }
                            // The map only matches rules that have a handler for the method.
                            None => Error::new(StatusCode::METHOD_NOT_ALLOWED).into_response(),
                        }
                    }
                },
            };

            // Most responses are no error: skip the error handling's future for them.
            let (mut resp, error) = if resp.extensions().get::<ErrorMarker>().is_some() {
                handle_error(&app, &ctx, chain, resp).await
            } else {
                (resp, None)
            };
            if let Some(allow) = allow_405
                && resp.status() == StatusCode::METHOD_NOT_ALLOWED
                && !resp.headers().contains_key(header::ALLOW)
            {
                resp.headers_mut().insert(header::ALLOW, allow);
            }

            // after_this_request functions, then after_request: inner blueprints first, each
            // scope's hooks in reverse order, app last.
            if let Some(this_after) = ctx.take_this_after() {
                // Boxed: most requests have none, and an inline await would grow every
                // request's future (see docs/performance.md).
                resp = Box::pin(run_this_after(this_after, resp, app.debug)).await;
            }
            for &s in chain.iter().rev() {
                for hook in app.scopes[s].hooks.after.iter().rev() {
                    resp = match catch_unwind(hook(ctx.clone(), resp)).await {
                        Ok(r) => r,
                        Err(p) => p.into_error().to_response(app.debug),
                    };
                }
            }
            // As in Flask, the session is saved after the after_request hooks.
            if let Some(session) = ctx.session_in_use() {
                session.save(&mut resp).await;
            }
            if extras {
                app.signals
                    .send(&Signal::RequestFinished { response: &resp });
            }
            let deferred = ctx.take_deferred_teardown();
            if deferred.is_empty() {
                teardown(&app, &ctx, scope, error).await;
            } else {
                // A body streamed with `stream_with_context`: the teardown waits for its
                // last byte (or for the client to leave).
                let (app, ctx) = (app.clone(), ctx.clone());
                tokio::spawn(async move {
                    for done in deferred {
                        let _ = done.await;
                    }
                    teardown(&app, &ctx, scope, error).await;
                });
            }
            resp
        })
        .await;
    if is_head { strip_body(resp) } else { resp }
}

/// The end of a request: `teardown_this_request` functions, `teardown_request` hooks
/// (inner blueprints first, latest first), the signal and the app context's teardown.
async fn teardown(app: &Arc<AppInner>, ctx: &RequestContext, scope: usize, error: Option<Error>) {
    let extras = app.request_extras;
    for f in ctx.take_this_teardown() {
        if let Err(p) = catch_unwind(f(error.clone())).await {
            tracing::error!("a teardown_this_request function panicked: {p}");
        }
    }
    for &s in app.scopes[scope].chain.iter().rev() {
        for hook in app.scopes[s].hooks.teardown.iter().rev() {
            if let Err(p) = catch_unwind(hook(ctx.clone(), error.clone())).await {
                tracing::error!("teardown_request hook panicked: {p}");
            }
        }
    }
    if extras {
        app.signals.send(&Signal::RequestTearingDown {
            error: error.as_ref(),
        });
        let app = ctx.app();
        Box::pin(async move { app.teardown_appcontext(error.as_ref()).await }).await;
    }
}

/// The request's `after_this_request` functions, in registration order.
async fn run_this_after(
    functions: Vec<crate::request::ThisAfter>,
    mut resp: Response,
    debug: bool,
) -> Response {
    for f in functions {
        resp = match catch_unwind(f(resp)).await {
            Ok(r) => r,
            Err(p) => p.into_error().to_response(debug),
        };
    }
    resp
}

/// If `resp` was made from an [`Error`], lets the error handlers answer it (type handlers
/// first, then status handlers; inner blueprints before the app).
///
/// Also returns the error `teardown_request` hooks get: as in Flask, only a failure that
/// is not an HTTP error and that no type handler took (a 500 handler may still have
/// rendered the page).
async fn handle_error(
    app: &Arc<AppInner>,
    ctx: &RequestContext,
    chain: &[usize],
    mut resp: Response,
) -> (Response, Option<Error>) {
    let Some(ErrorMarker(err)) = resp.extensions_mut().remove::<ErrorMarker>() else {
        return (resp, None);
    };
    if err.status().is_server_error() {
        tracing::error!(
            method = %ctx.method(),
            path = ctx.path(),
            endpoint = ctx.endpoint().unwrap_or("-"),
            "{err}"
        );
    }
    // Flask looks a failure up by its type (the most specific first, so a handler for its
    // type anywhere beats `errorhandler(Exception)`), an HTTP error by its status, then by
    // class: `HTTPException`, then `Exception`, scope by scope from the innermost.
    let by_type = if err.source().is_some() {
        chain
            .iter()
            .rev()
            .find_map(|&s| {
                app.scopes[s]
                    .hooks
                    .err_type
                    .iter()
                    .find(|(matches, _, _)| matches(&err))
                    .map(|(_, _, h)| h)
            })
            .or_else(|| {
                chain
                    .iter()
                    .rev()
                    .find_map(|&s| app.scopes[s].hooks.err_any.as_ref())
            })
    } else {
        None
    };
    let unhandled = (err.source().is_some() && by_type.is_none()).then(|| err.clone());
    if let Some(error) = &unhandled {
        app.signals.send(&Signal::GotRequestException { error });
    }
    // In debug mode a failure no type handler took goes to the debug page, not to a 500
    // handler: Flask propagates it to Werkzeug's debugger the same way.
    if app.debug && unhandled.is_some() {
        return (err.to_response(true), unhandled);
    }
    let handler = by_type
        .or_else(|| {
            chain.iter().rev().find_map(|&s| {
                app.scopes[s]
                    .hooks
                    .err_code
                    .iter()
                    .find(|(code, _)| *code == err.code())
                    .map(|(_, h)| h)
            })
        })
        .or_else(|| {
            chain.iter().rev().find_map(|&s| {
                let scope = &app.scopes[s].hooks;
                scope.err_http.as_ref().or_else(|| {
                    // An HTTP error is an `Exception` too; a failure reaches here as a 500.
                    err.source().is_none().then_some(scope.err_any.as_ref())?
                })
            })
        });
    let Some(handler) = handler else {
        if app.debug && err.source().is_some() {
            resp = err.to_response(true);
        }
        return (resp, unhandled);
    };
    let mut req = Request::new(Body::empty());
    *req.method_mut() = ctx.method().clone();
    *req.uri_mut() = ctx.uri().clone();
    req.extensions_mut().insert(ctx.clone());
    req.extensions_mut().insert(err.clone());
    let mut handled = catch_unwind(handler.call(req))
        .await
        .unwrap_or_else(panic_response);
    // An error handler that fails gets the plain page of its own error, not another round.
    if let Some(ErrorMarker(again)) = handled.extensions_mut().remove::<ErrorMarker>() {
        tracing::error!("the error handler for {} failed: {again}", err.code());
        handled = again.to_response(app.debug);
    }
    // A 405 must say what is allowed (RFC 9110), also when a handler drew the page.
    if handled.status() == StatusCode::METHOD_NOT_ALLOWED
        && !handled.headers().contains_key(header::ALLOW)
        && let Some(allow) = err.headers().get(header::ALLOW)
    {
        handled.headers_mut().insert(header::ALLOW, allow.clone());
    }
    (handled, unhandled)
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Error {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Error>().cloned().ok_or_else(|| {
            Error::internal("flask::Error can only be extracted in an error handler")
        })
    }
}

/// A panic, as an error: its message and, in debug mode, where it happened.
#[derive(Debug)]
pub(crate) struct Panic {
    message: String,
    location: Option<String>,
    backtrace: Option<Arc<std::backtrace::Backtrace>>,
}

impl Panic {
    /// `file:line:column` of the panic (recorded in debug mode only).
    pub(crate) fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }

    /// The 500 for this panic, with the backtrace taken where it panicked.
    pub(crate) fn into_error(mut self) -> Error {
        let backtrace = self.backtrace.take();
        Error::internal(self).set_backtrace(backtrace)
    }
}

impl std::fmt::Display for Panic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the handler panicked: {}", self.message)
    }
}

impl std::error::Error for Panic {}

fn panic_response(p: Panic) -> Response {
    p.into_error().into_response()
}

/// Polls `fut`, turning a panic into an error so one handler cannot kill the server.
///
/// Takes any `Unpin` future: a boxed one, or one pinned on the stack with `pin!`.
pub(crate) fn catch_unwind<F: Future + Unpin>(fut: F) -> CatchUnwind<F> {
    CatchUnwind(fut)
}

pub(crate) struct CatchUnwind<F>(F);

impl<F: Future + Unpin> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Panic>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let fut = Pin::new(&mut self.0);
        match std::panic::catch_unwind(AssertUnwindSafe(|| fut.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(payload) => {
                let site = crate::dev::backtrace::take_panic_site();
                Poll::Ready(Err(Panic {
                    message: panic_message(payload.as_ref()),
                    location: site.as_ref().and_then(|s| s.location.clone()),
                    backtrace: site.map(|s| s.backtrace),
                }))
            }
        }
    }
}

pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a non-string panic payload)".to_owned()
    }
}
