//! The request context: which app, which rule, which values, and `g`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use axum::extract::FromRequestParts;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Method, Uri, header};

use crate::app::AppInner;
use crate::config::Config;
use crate::routing::{PathValue, UrlFor};
use crate::{App, Error};

/// The rule a request matched and the values its converters produced.
#[derive(Debug)]
pub(crate) struct Matched {
    pub(crate) rule: usize,
    pub(crate) values: Vec<PathValue>,
}

/// Flask's request context, as an extractor: the app, the matched rule and endpoint,
/// the view arguments, `g`, and `url_for` relative to the current blueprint.
///
/// Cheap to clone. It is also what `after_request` and `teardown_request` hooks receive.
///
/// ```
/// use flask::{Flask, RequestContext, routing::get};
///
/// #[flask::view]
/// async fn show(ctx: RequestContext) -> String {
///     format!("{} {}", ctx.endpoint().unwrap_or("-"), ctx.url_for("show").value("id", 2).build().unwrap())
/// }
/// let app = Flask::new("demo").route("/show/<int:id>", get(show));
/// # let _ = app;
/// ```
#[derive(Clone)]
pub struct RequestContext {
    inner: Arc<Inner>,
}

/// A function `after_this_request` registered.
pub(crate) type ThisAfter = Box<
    dyn FnOnce(
            axum::response::Response,
        ) -> crate::hooks::BoxFuture<'static, axum::response::Response>
        + Send,
>;

/// A function `teardown_this_request` registered.
pub(crate) type ThisTeardown =
    Box<dyn FnOnce(Option<Error>) -> crate::hooks::BoxFuture<'static, ()> + Send>;

struct Inner {
    app: Arc<AppInner>,
    method: Method,
    uri: Uri,
    host: Option<HeaderValue>,
    remote_addr: Option<std::net::IpAddr>,
    secure: bool,
    matched: Option<Matched>,
    pub(super) g: Mutex<super::g::GMap>,
    /// What few requests use (values set on `g` by name, `teardown_this_request`,
    /// `after_this_request`, values a `url_value_preprocessor` changed), made on first use: a request without any checks
    /// one atomic at its end, and the context stays as small to make as it was without them.
    rare: std::sync::OnceLock<Box<Rare>>,
    /// Made on first use (or when a cookie brought one), so requests that never touch the
    /// session pay nothing for it.
    session: std::sync::OnceLock<crate::sessions::Session>,
    /// What the debug page shows of the request; kept only in debug mode.
    debug: Option<Box<DebugRequest>>,
}

/// Holds a request's teardown while it lives (a streamed body's).
#[derive(Debug)]
pub(crate) struct TeardownGuard {
    _held: tokio::sync::oneshot::Sender<()>,
}

/// What [`Inner::rare`] holds.
#[derive(Default)]
struct Rare {
    /// Values set on `g` by name, which templates see as `g.name`.
    g_named: Mutex<BTreeMap<String, serde_json::Value>>,
    this_teardown: Mutex<Vec<ThisTeardown>>,
    this_after: Mutex<Vec<ThisAfter>>,
    /// Streamed bodies (`stream_with_context`) the teardown waits for.
    deferred: Mutex<Vec<tokio::sync::oneshot::Receiver<()>>>,
    /// The URL's values after `url_value_preprocessor` functions changed them.
    view_args: std::sync::OnceLock<crate::routing::ViewArgs>,
}

/// The parts of a request the debug page shows that the context does not keep otherwise.
#[derive(Debug, Default)]
pub(crate) struct DebugRequest {
    pub(crate) headers: http::HeaderMap,
    /// The urlencoded form, once an extractor read it.
    pub(crate) form: Mutex<Vec<(String, String)>>,
    /// The JSON body, once the `Json` extractor read it.
    pub(crate) json: Mutex<Option<bytes::Bytes>>,
}

impl fmt::Debug for RequestContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestContext")
            .field("method", &self.inner.method)
            .field("uri", &self.inner.uri)
            .field("endpoint", &self.endpoint())
            .field("view_args", &self.view_args())
            .finish()
    }
}

/// The request's first `Host` and `Cookie` headers, found in one pass over the headers.
///
/// A request carries a handful of headers, and comparing a standard header name is a
/// compare of two small integers, where each `HeaderMap::get` hashes the name: one pass costs
/// about half of the two lookups it replaces (docs/performance.md).
pub(crate) fn host_and_cookie(headers: &HeaderMap) -> (Option<&HeaderValue>, Option<&HeaderValue>) {
    let (mut host, mut cookie) = (None, None);
    for (name, value) in headers {
        if *name == header::HOST {
            host.get_or_insert(value);
        } else if *name == header::COOKIE {
            cookie.get_or_insert(value);
        }
        if host.is_some() && cookie.is_some() {
            break;
        }
    }
    (host, cookie)
}

impl RequestContext {
    /// The context of the request `parts`, whose `Host` header [`host_and_cookie`] found.
    pub(crate) fn new(
        app: Arc<AppInner>,
        parts: &Parts,
        host: Option<&HeaderValue>,
        matched: Option<Matched>,
        session: Option<crate::sessions::Session>,
        peer: Option<std::net::SocketAddr>,
    ) -> Self {
        let host = host.cloned().or_else(|| {
            parts
                .uri
                .authority()
                .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
        });
        RequestContext {
            inner: Arc::new(Inner {
                method: parts.method.clone(),
                uri: parts.uri.clone(),
                host,
                remote_addr: remote_addr(parts, app.proxy_x_for, peer),
                // The server speaks plain HTTP: HTTPS is a TLS proxy's, declared with
                // PROXY_FIX_X_PROTO (a scheme in the request line is the client's to say).
                secure: forwarded(parts, "x-forwarded-proto", app.proxy_x_proto)
                    .is_some_and(|p| p.eq_ignore_ascii_case("https")),
                matched,
                g: Mutex::new(super::g::GMap::default()),
                rare: std::sync::OnceLock::new(),
                debug: app.debug.then(|| {
                    Box::new(DebugRequest {
                        headers: parts.headers.clone(),
                        form: Mutex::new(Vec::new()),
                        json: Mutex::new(None),
                    })
                }),
                session: match session {
                    Some(loaded) => std::sync::OnceLock::from(loaded),
                    None => std::sync::OnceLock::new(),
                },
                app,
            }),
        }
    }

    /// The request's session; `None` when the app has no `SECRET_KEY`.
    pub fn session(&self) -> Option<crate::sessions::Session> {
        let backend = self.inner.app.sessions.as_ref()?;
        Some(self.inner.session.get_or_init(|| backend.empty()).clone())
    }

    /// The session if this request loaded or used one (what must be saved).
    pub(crate) fn session_in_use(&self) -> Option<&crate::sessions::Session> {
        self.inner.session.get()
    }

    /// The request's headers and form for the debug page (debug mode only).
    pub(crate) fn debug_request(&self) -> Option<&DebugRequest> {
        self.inner.debug.as_deref()
    }

    /// Keeps a urlencoded body's fields for the debug page (nothing outside debug mode).
    pub(crate) fn record_form(&self, body: &[u8]) {
        if let Some(debug) = &self.inner.debug {
            let fields = form_urlencoded::parse(body).into_owned().collect();
            *debug.form.lock().unwrap_or_else(|e| e.into_inner()) = fields;
        }
    }

    /// Keeps a JSON body for the debug page's console (nothing outside debug mode).
    pub(crate) fn record_json(&self, body: &bytes::Bytes) {
        if let Some(debug) = &self.inner.debug {
            *debug.json.lock().unwrap_or_else(|e| e.into_inner()) = Some(body.clone());
        }
    }

    pub(crate) fn app_inner(&self) -> &Arc<AppInner> {
        &self.inner.app
    }

    /// Scope ids from the app down to the matched rule's blueprint (just the app when
    /// nothing matched).
    pub(crate) fn scope_chain(&self) -> &[usize] {
        let scope = self
            .inner
            .matched
            .as_ref()
            .map_or(0, |m| self.inner.app.url_map.rules[m.rule].scope);
        &self.inner.app.scopes[scope].chain
    }

    /// Runs `f` when this request ends, error or not, with the error `teardown_request`
    /// hooks get: a teardown function only this request has (Flask's `after_this_request`,
    /// for teardown). Such functions run in reverse registration order, before the
    /// blueprints' and the app's `teardown_request` hooks.
    ///
    /// Extensions use it for a resource a request opens on demand, so requests that never
    /// open one pay nothing at their end: flask-sqlalchemy rolls back the request's
    /// database session with it. `f` should own what it needs rather than a clone of this
    /// context, which would keep itself alive if the request never reached its end.
    ///
    /// ```
    /// use flask::{Flask, RequestContext, routing::get};
    ///
    /// #[flask::view]
    /// async fn report(ctx: RequestContext) -> &'static str {
    ///     ctx.teardown_this_request(|error| async move {
    ///         tracing::info!("report done, failed: {}", error.is_some());
    ///     });
    ///     "generating"
    /// }
    /// let app = Flask::new("demo").route("/report", get(report));
    /// # let _ = app;
    /// ```
    pub fn teardown_this_request<F, Fut>(&self, f: F)
    where
        F: FnOnce(Option<Error>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        self.inner
            .rare
            .get_or_init(Box::default)
            .this_teardown
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Box::new(move |error| Box::pin(f(error))));
    }

    /// Flask's `after_this_request(f)`: runs `f` on this request's response, before the
    /// `after_request` hooks (functions registered several times run in registration order).
    /// It returns the response, changed or not, as an `after_request` hook does: set a cookie
    /// from a view that returns a template.
    ///
    /// ```
    /// use flask::{Flask, RequestContext, ResponseExt, SetCookie, routing::get};
    ///
    /// #[flask::view]
    /// async fn index(ctx: RequestContext) -> &'static str {
    ///     ctx.after_this_request(|mut resp| async move {
    ///         resp.set_cookie(SetCookie::new("visited", "yes"));
    ///         resp
    ///     });
    ///     "hello"
    /// }
    /// let app = Flask::new("demo").route("/", get(index));
    /// # let _ = app;
    /// ```
    pub fn after_this_request<F, Fut>(&self, f: F)
    where
        F: FnOnce(axum::response::Response) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = axum::response::Response> + Send + 'static,
    {
        self.inner
            .rare
            .get_or_init(Box::default)
            .this_after
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Box::new(move |resp| Box::pin(f(resp))));
    }

    /// Takes what `after_this_request` registered, in registration order.
    #[inline]
    pub(crate) fn take_this_after(&self) -> Option<Vec<ThisAfter>> {
        let rare = self.inner.rare.get()?;
        let list = std::mem::take(&mut *rare.this_after.lock().unwrap_or_else(|e| e.into_inner()));
        (!list.is_empty()).then_some(list)
    }

    /// Takes what `teardown_this_request` registered, latest first.
    pub(crate) fn take_this_teardown(&self) -> Vec<ThisTeardown> {
        let Some(list) = self.inner.rare.get().map(|r| &r.this_teardown) else {
            return Vec::new();
        };
        let mut list = std::mem::take(&mut *list.lock().unwrap_or_else(|e| e.into_inner()));
        list.reverse();
        list
    }

    pub(crate) fn g_named(&self) -> &Mutex<BTreeMap<String, serde_json::Value>> {
        &self.inner.rare.get_or_init(Box::default).g_named
    }

    pub(crate) fn g_map(&self) -> &Mutex<super::g::GMap> {
        &self.inner.g
    }

    /// The app serving this request (Flask's `current_app`).
    pub fn app(&self) -> App {
        App::from_inner(self.inner.app.clone())
    }

    /// The app's config.
    pub fn config(&self) -> &Config {
        &self.inner.app.config
    }

    /// The request method.
    pub fn method(&self) -> &Method {
        &self.inner.method
    }

    /// The request URI as received.
    pub fn uri(&self) -> &Uri {
        &self.inner.uri
    }

    /// The path, still percent-encoded (`/user/J%C3%B6rg`).
    pub fn path(&self) -> &str {
        self.inner.uri.path()
    }

    /// The host the client asked for (`Host` header), if any.
    pub fn host(&self) -> Option<&str> {
        self.inner.host.as_ref().and_then(|h| h.to_str().ok())
    }

    /// The client's address (Werkzeug's `request.remote_addr`): the peer of the connection,
    /// or, with `PROXY_FIX_X_FOR = N` (N proxies in front of the app, Werkzeug's
    /// `ProxyFix(x_for=N)`), the address the outermost of them saw in `X-Forwarded-For`.
    /// `None` when the app is served without a connection address (the test client says
    /// `127.0.0.1`).
    pub fn remote_addr(&self) -> Option<std::net::IpAddr> {
        self.inner.remote_addr
    }

    /// Whether the client reached the app over HTTPS (Werkzeug's `request.is_secure`): with
    /// `PROXY_FIX_X_PROTO = N`, the `X-Forwarded-Proto` the N trusted proxies set says so (the
    /// app itself serves plain HTTP behind a TLS proxy). Without it, `false`.
    pub fn is_secure(&self) -> bool {
        self.inner.secure
    }

    /// The matched rule as written (`/post/<int:post_id>`); `None` when nothing matched.
    pub fn url_rule(&self) -> Option<&str> {
        let m = self.inner.matched.as_ref()?;
        Some(&self.inner.app.url_map.rules[m.rule].rule.text)
    }

    /// The endpoint of the matched rule (`show_post`, `auth.login`).
    pub fn endpoint(&self) -> Option<&str> {
        let m = self.inner.matched.as_ref()?;
        Some(&self.inner.app.url_map.rules[m.rule].endpoint)
    }

    /// The full name of the blueprint the matched rule belongs to (`parent.child`).
    pub fn blueprint(&self) -> Option<&str> {
        let m = self.inner.matched.as_ref()?;
        let scope = self.inner.app.url_map.rules[m.rule].scope;
        self.inner.app.scopes[scope].name.as_deref()
    }

    /// The values taken from the URL, by variable name (Flask's `request.view_args`), less
    /// those a `url_value_preprocessor` took out.
    pub fn view_args(&self) -> Vec<(&str, &PathValue)> {
        if let Some(args) = self.inner.rare.get().and_then(|r| r.view_args.get()) {
            return args.iter().collect();
        }
        match &self.inner.matched {
            None => Vec::new(),
            Some(m) => self.inner.app.url_map.rules[m.rule]
                .vars()
                .map(|(n, _)| n)
                .zip(&m.values)
                .collect(),
        }
    }

    /// Builds a URL for `endpoint`; `.name` is relative to the current blueprint, and the
    /// host of an external URL is this request's.
    pub fn url_for(&self, endpoint: &str) -> UrlFor<'_> {
        UrlFor::new(
            &self.inner.app.url_map,
            &self.inner.app.url_settings,
            self.blueprint(),
            Some(self.host().unwrap_or("")),
            endpoint,
        )
        .request_scheme(if self.is_secure() { "https" } else { "http" })
    }
}

impl RequestContext {
    /// Runs the `url_value_preprocessor` functions of the scopes of `chain` (app first) on
    /// the URL's values; what they leave is what `view_args` and `Path<T>` see from then on.
    pub(crate) fn preprocess_url_values(&self, chain: &[usize]) {
        let scopes = &self.inner.app.scopes;
        let mut functions = chain
            .iter()
            .flat_map(|&s| scopes[s].hooks.url_value_preprocessors.iter())
            .peekable();
        if functions.peek().is_none() {
            return;
        }
        let mut args = crate::routing::ViewArgs {
            values: self
                .view_args()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.clone()))
                .collect(),
        };
        for f in functions {
            f(self, &mut args);
        }
        let _ = self
            .inner
            .rare
            .get_or_init(Box::default)
            .view_args
            .set(args);
    }

    /// Runs `f` as if inside this request: `RequestContext::try_current()`,
    /// Holds this request's teardown until the guard is dropped (`stream_with_context`).
    pub(crate) fn defer_teardown(&self) -> TeardownGuard {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.inner
            .rare
            .get_or_init(Box::default)
            .deferred
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(rx);
        TeardownGuard { _held: tx }
    }

    /// What the teardown waits for, if anything.
    pub(crate) fn take_deferred_teardown(&self) -> Vec<tokio::sync::oneshot::Receiver<()>> {
        match self.inner.rare.get() {
            Some(rare) => {
                std::mem::take(&mut *rare.deferred.lock().unwrap_or_else(|e| e.into_inner()))
            }
            None => Vec::new(),
        }
    }

    /// `render_template`, the `Session`... see this context (Flask's
    /// `with app.test_request_context():` block). For a context from
    /// [`App::test_request_context`](crate::App::test_request_context).
    pub async fn scope<F: std::future::Future>(&self, f: F) -> F::Output {
        CURRENT.scope(self.clone(), f).await
    }

    /// The context of the request being handled on this task, if any (Flask's
    /// `has_request_context()` and `request`): for code that runs under a handler without
    /// being handed the context, such as a database layer recording its queries per request.
    /// Tasks a handler spawns are outside the request.
    pub fn try_current() -> Option<RequestContext> {
        CURRENT.try_with(RequestContext::clone).ok()
    }

    /// The context of the request being handled: from `extensions` (error handlers get it
    /// there) or from the dispatching task.
    pub(crate) fn current(extensions: &http::Extensions) -> Option<RequestContext> {
        extensions
            .get::<RequestContext>()
            .cloned()
            .or_else(|| CURRENT.try_with(RequestContext::clone).ok())
    }
}

/// The value of a header `trusted` proxies append to (`X-Forwarded-For`,
/// `X-Forwarded-Proto`): the `trusted`-th from the right; values left of it are the
/// client's to forge. `None` with no trusted proxy or too few values.
#[inline]
fn forwarded<'a>(parts: &'a Parts, name: &str, trusted: usize) -> Option<&'a str> {
    if trusted == 0 {
        return None;
    }
    forwarded_by(parts, name, trusted)
}

/// [`forwarded`] with at least one trusted proxy (kept apart: the common case, none, stays
/// small enough to inline).
fn forwarded_by<'a>(parts: &'a Parts, name: &str, trusted: usize) -> Option<&'a str> {
    let values: Vec<&str> = parts
        .headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    values.len().checked_sub(trusted).map(|i| values[i])
}

/// The client's address for `app`, as `ctx.remote_addr()` gives it: the peer's, or the one
/// the `PROXY_FIX_X_FOR` trusted proxies put in `X-Forwarded-For`.
pub(crate) fn client_addr(
    app: &AppInner,
    parts: &Parts,
    peer: Option<std::net::SocketAddr>,
) -> Option<std::net::IpAddr> {
    remote_addr(parts, app.proxy_x_for, peer)
}

/// The peer's address, or the one `x_for` trusted proxies put in `X-Forwarded-For`.
fn remote_addr(
    parts: &Parts,
    x_for: usize,
    peer: Option<std::net::SocketAddr>,
) -> Option<std::net::IpAddr> {
    if let Some(ip) = forwarded(parts, "x-forwarded-for", x_for).and_then(|v| v.parse().ok()) {
        return Some(ip);
    }
    if let Some(peer) = peer {
        return Some(peer.ip());
    }
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
}

tokio::task_local! {
    /// The context of the request being dispatched on this task.
    pub(crate) static CURRENT: RequestContext;
}

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        RequestContext::current(&parts.extensions).ok_or_else(|| {
            Error::internal(
                "RequestContext is only available in requests served by a flask App \
                 (it was extracted in a plain axum router)",
            )
        })
    }
}
