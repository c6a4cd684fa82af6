//! The built app: what it holds, and the tower service that answers each request.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};

use axum::extract::{DefaultBodyLimit, Request};
use axum::response::{IntoResponse, Response};
use http::{Method, StatusCode};
use tower::{Layer, Service, ServiceExt};

use super::{BoxError, Route, ShutdownFn, StartupFn};
use crate::config::Config;
use crate::dispatch::{catch_unwind, dispatch};
use crate::hooks::BoxFuture;
use crate::routing::UrlFor;
use crate::routing::method_routing::MethodHandlers;
use crate::routing::url_for::UrlSettings;
use crate::routing::url_map::UrlMap;
use crate::testing::TestClient;

use super::Scope;

/// Runs the tasks of `list` and empties it, holding it meanwhile: a concurrent caller (a
/// second test client, a CLI runner) waits for them instead of going on before they end.
async fn run_once(list: &tokio::sync::Mutex<Vec<StartupFn>>, app: &App) -> Result<(), BoxError> {
    let mut tasks = list.lock().await;
    for task in std::mem::take(&mut *tasks) {
        task(app.clone()).await?;
    }
    Ok(())
}

/// Everything the built app holds, shared by all requests.
pub(crate) struct AppInner {
    pub(crate) name: String,
    pub(crate) root_path: PathBuf,
    pub(crate) config: Config,
    pub(crate) debug: bool,
    pub(crate) url_map: UrlMap,
    pub(crate) url_settings: UrlSettings,
    pub(crate) handlers: Vec<MethodHandlers>,
    pub(crate) scopes: Vec<Scope>,
    pub(crate) extensions: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
    pub(crate) extension_names: Vec<&'static str>,
    pub(crate) state: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
    pub(crate) body_limit: DefaultBodyLimit,
    /// `PROXY_FIX_X_FOR`: how many proxies in front set `X-Forwarded-For` (Werkzeug's
    /// `ProxyFix(x_for=N)`); 0 trusts none.
    pub(crate) proxy_x_for: usize,
    /// `PROXY_FIX_X_PROTO`: how many proxies in front set `X-Forwarded-Proto`.
    pub(crate) proxy_x_proto: usize,
    /// `TRUSTED_HOSTS`: the hosts a request may name (any when `None`).
    pub(crate) trusted_hosts: Option<crate::request::trusted_hosts::TrustedHosts>,
    pub(crate) templates: crate::templating::Templates,
    pub(crate) sessions: Option<Arc<crate::sessions::SessionBackend>>,
    pub(crate) commands: Vec<crate::cli::CustomCommand>,
    pub(super) layered: Option<Route>,
    /// Held while the tasks run, so a second caller waits for them to finish.
    pub(super) startup: tokio::sync::Mutex<Vec<StartupFn>>,
    /// Run after `startup` before serving, not before CLI commands.
    pub(super) serve: tokio::sync::Mutex<Vec<StartupFn>>,
    pub(super) shutdown: Mutex<Vec<ShutdownFn>>,
    pub(crate) debug_panels: Vec<(&'static str, crate::dev::panels::PanelFn)>,
    pub(crate) signals: crate::signals::Signals,
    pub(crate) appcontext_teardown: Vec<super::AppTeardownFn>,
    pub(crate) shell_context: Vec<super::ShellContextFn>,
    /// The debug page's console (debug mode only).
    pub(crate) debugger: Option<Arc<crate::dev::debugger::Debugger>>,
    /// Open event streams and WebSockets: their limits, and the signal that closes them.
    pub(crate) streams: Arc<crate::realtime::limits::Streams>,
    /// The realtime hub (rooms, in-process or through Redis).
    pub(crate) hub: crate::realtime::Hub,
    /// Whether requests have more to do than most apps need: signal receivers,
    /// `url_value_preprocessor` or `teardown_appcontext` functions.
    pub(crate) request_extras: bool,
}

/// The innermost service under user layers; weak so the app does not own itself.
#[derive(Clone)]
pub(super) struct WeakDispatch {
    pub(super) app: Weak<AppInner>,
    pub(super) body_limit: DefaultBodyLimit,
}

impl Service<Request> for WeakDispatch {
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        match self.app.upgrade() {
            // A request without a body needs no limit (as in `App::handle`).
            Some(app) if http_body::Body::is_end_stream(req.body()) => {
                Box::pin(dispatch_ok(app, req, None))
            }
            Some(app) => {
                let mut svc = self.body_limit.layer(tower::service_fn(move |req| {
                    dispatch_ok(app.clone(), req, None)
                }));
                Box::pin(svc.call(req))
            }
            None => Box::pin(async { Ok(StatusCode::SERVICE_UNAVAILABLE.into_response()) }),
        }
    }
}

async fn dispatch_ok(
    app: Arc<AppInner>,
    req: Request,
    peer: Option<std::net::SocketAddr>,
) -> Result<Response, Infallible> {
    Ok(dispatch(app, req, peer).await)
}

/// A built app: a tower `Service` (hand it to `axum::serve` or mount it in an axum
/// `Router`), a test client factory, and the app-level API (`url_for`, config, state).
///
/// Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub(crate) inner: Arc<AppInner>,
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("name", &self.inner.name)
            .field("rules", &self.inner.url_map.rules.len())
            .field("extensions", &self.inner.extension_names)
            .finish()
    }
}

impl App {
    pub(crate) fn from_inner(inner: Arc<AppInner>) -> Self {
        App { inner }
    }

    /// The app's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The app's root folder.
    pub fn root_path(&self) -> &Path {
        &self.inner.root_path
    }

    /// The instance folder (`<root>/instance`), for files that belong to one deployment.
    pub fn instance_path(&self) -> PathBuf {
        self.inner.root_path.join("instance")
    }

    /// The config, as it was when the app was built.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Whether `DEBUG` is on.
    pub fn debug(&self) -> bool {
        self.inner.debug
    }

    /// The PIN that unlocks the debug page's console, as `run` prints it (`123-456-789`):
    /// print it yourself when you serve the app another way. `None` outside debug mode, or
    /// with `WERKZEUG_DEBUG_PIN=off`. Werkzeug's scheme: made from this machine, user,
    /// program and app, so it stays the same across restarts; `WERKZEUG_DEBUG_PIN=123456`
    /// chooses it.
    pub fn debugger_pin(&self) -> Option<String> {
        self.inner.debugger.as_ref()?.pin()
    }

    /// A value stored with [`Flask::state`](crate::Flask::state).
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.inner
            .state
            .get(&TypeId::of::<T>())?
            .clone()
            .downcast::<T>()
            .ok()
    }

    /// A registered extension, by type.
    pub fn extension<E: Send + Sync + 'static>(&self) -> Option<Arc<E>> {
        self.inner
            .extensions
            .get(&TypeId::of::<E>())?
            .clone()
            .downcast::<E>()
            .ok()
    }

    pub(crate) fn commands(&self) -> &[crate::cli::CustomCommand] {
        &self.inner.commands
    }

    /// Names of the registered extensions, in registration order.
    pub fn extension_names(&self) -> &[&'static str] {
        &self.inner.extension_names
    }

    /// Builds a URL outside a request. As in Flask the URL is external by default, which
    /// needs `SERVER_NAME`; call [`UrlFor::relative`] for a path alone.
    pub fn url_for(&self, endpoint: &str) -> UrlFor<'_> {
        UrlFor::new(
            &self.inner.url_map,
            &self.inner.url_settings,
            None,
            None,
            endpoint,
        )
    }

    /// Every rule: `(rule, endpoint, methods, owner)`, in registration order.
    pub fn rules(&self) -> Vec<RuleInfo> {
        self.inner
            .url_map
            .rules
            .iter()
            .map(|r| RuleInfo {
                rule: r.rule.text.clone(),
                endpoint: r.endpoint.clone(),
                methods: r.methods.clone(),
                owner: r.owner.clone(),
            })
            .collect()
    }

    /// A client that sends requests to the app in-process, with a cookie jar.
    pub fn test_client(&self) -> TestClient {
        TestClient::new(self.clone())
    }

    /// Runs the startup tasks of the app and its extensions, then those that prepare it to
    /// serve ([`Flask::on_serve`](crate::Flask::on_serve)), once; later calls do nothing. The server and the test
    /// client call it; call it yourself before serving the app with your own `axum::serve`.
    pub async fn startup(&self) -> Result<(), BoxError> {
        self.startup_for_commands().await?;
        run_once(&self.inner.serve, self).await
    }

    /// The startup tasks alone (connect pools, check settings), once: what a CLI command
    /// needs, without the tasks that prepare serving (migrations, creating tables).
    pub(crate) async fn startup_for_commands(&self) -> Result<(), BoxError> {
        run_once(&self.inner.startup, self).await
    }

    /// The realtime [`Hub`](crate::realtime::Hub): publish to rooms from outside a request
    /// (a CLI command, a background task), as handlers do with the extractor.
    pub fn hub(&self) -> &crate::realtime::Hub {
        &self.inner.hub
    }

    /// How many event streams and WebSockets are open.
    pub fn open_streams(&self) -> usize {
        self.inner.streams.open_count()
    }

    /// Closes every open event stream (with its last event) and WebSocket (with a
    /// close frame, 1001), and refuses new ones: the first step of a shutdown, which
    /// [`App::serve`] takes on SIGTERM and [`App::shutdown`] takes too.
    pub fn close_streams(&self) {
        self.inner.streams.close_all();
    }

    /// Closes the open streams ([`App::close_streams`]), then runs the shutdown tasks,
    /// once.
    pub async fn shutdown(&self) {
        self.close_streams();
        let tasks = std::mem::take(
            &mut *self
                .inner
                .shutdown
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        for task in tasks {
            task(self.clone()).await;
        }
    }

    /// Runs `f` in an app context (Flask's `with app.app_context():`): when it ends, the
    /// `teardown_appcontext` functions run (closing what a script opened), then the
    /// `appcontext_tearing_down` signal is sent. App methods work without it
    /// (`app.url_for`, `app.config()`); a request has its own. CLI commands run in one.
    pub async fn app_context<F: std::future::Future>(&self, f: F) -> F::Output {
        let out = f.await;
        self.teardown_appcontext(None).await;
        out
    }

    /// The `teardown_appcontext` functions, latest first, then the signal.
    pub(crate) async fn teardown_appcontext(&self, error: Option<&crate::Error>) {
        for f in self.inner.appcontext_teardown.iter().rev() {
            if let Err(p) = catch_unwind(f(self.clone(), error.cloned())).await {
                tracing::error!("a teardown_appcontext function panicked: {p}");
            }
        }
        self.inner
            .signals
            .send(&crate::signals::Signal::AppcontextTearingDown { error });
    }

    /// The context of a request to `uri` (a GET), without handling it: Flask's
    /// `app.test_request_context("/path?x=1")`. The URL is matched (`endpoint()`,
    /// `view_args()`, `url_for(".name")` work) and a session cookie in `headers` is read;
    /// no hook runs. Run code as if in that request with
    /// [`RequestContext::scope`](crate::RequestContext::scope).
    ///
    /// ```
    /// # use flask::{Flask, routing::get};
    /// # #[flask::view]
    /// # async fn show_post() -> &'static str { "" }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = Flask::new("blog").route("/post/<int:id>", get(show_post)).build().unwrap();
    /// let ctx = app.test_request_context("/post/7?page=2").await;
    /// assert_eq!(ctx.endpoint(), Some("show_post"));
    /// assert_eq!(ctx.url_for("show_post").value("id", 8).build().unwrap(), "/post/8");
    /// # }
    /// ```
    pub async fn test_request_context(&self, uri: &str) -> crate::RequestContext {
        let mut req = http::Request::new(());
        match uri.parse() {
            Ok(uri) => *req.uri_mut() = uri,
            Err(e) => tracing::warn!("test_request_context({uri:?}): not a URI ({e}); using /"),
        }
        self.request_context(req).await
    }

    /// The context of `request` (its method, URI and headers), without handling it; see
    /// [`App::test_request_context`].
    pub async fn request_context(&self, request: http::Request<()>) -> crate::RequestContext {
        let (parts, ()) = request.into_parts();
        crate::dispatch::context_for(self.inner.clone(), &parts).await
    }

    /// Handles one request (what the server and the test client call).
    pub async fn handle(&self, req: Request) -> Response {
        let Ok(resp) = respond(self.inner.clone(), req, None).await;
        resp
    }
}

/// [`App::handle`], as one future the server boxes once: each wrapping future would be one
/// more copy of the whole state per request. `peer` is the connection's peer when the
/// server passes it (else `ctx.remote_addr()` reads axum's `ConnectInfo` extension).
pub(crate) async fn respond(
    app: Arc<AppInner>,
    mut req: Request,
    peer: Option<std::net::SocketAddr>,
) -> Result<Response, Infallible> {
    let result = if let Some(route) = &app.layered {
        // The app's tower layers may read the peer as axum serves it (rate limits, client IP).
        if let Some(peer) = peer {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
        }
        catch_unwind(route.clone().oneshot(req))
            .await
            .map(|Ok(resp)| resp)
    } else if http_body::Body::is_end_stream(req.body()) {
        // axum's body extractors read the limit from the request; a request without a body
        // needs none.
        catch_unwind(std::pin::pin!(dispatch(app.clone(), req, peer))).await
    } else {
        let inner = app.clone();
        let mut svc = app.body_limit.layer(tower::service_fn(move |req| {
            dispatch_ok(inner.clone(), req, peer)
        }));
        catch_unwind(std::pin::pin!(svc.call(req)))
            .await
            .map(|Ok(resp)| resp)
    };
    Ok(result.unwrap_or_else(|panic| {
        tracing::error!(app = %app.name, "panic outside a handler: {panic}");
        panic.into_error().to_response(app.debug)
    }))
}

/// One rule of the app, for listings such as `flask routes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    /// The rule as written, with its blueprint prefix.
    pub rule: String,
    /// Its endpoint.
    pub endpoint: String,
    /// The methods it answers (HEAD included with GET; OPTIONS is automatic).
    pub methods: Vec<Method>,
    /// "app", the blueprint's name, or the extension that added it.
    pub owner: String,
}

impl<B> Service<http::Request<B>> for App
where
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let req = req.map(axum::body::Body::new);
        Box::pin(respond(self.inner.clone(), req, None))
    }
}
