//! `get(handler)`, `post(handler)`, ...: the handlers of one rule, per method.

use std::any::TypeId;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::Request;
use axum::handler::Handler;
use axum::response::Response;
use http::Method;

use crate::hooks::BoxFuture;

/// A type-erased axum handler.
pub(crate) trait ErasedHandler: Send + Sync {
    fn call(&self, req: Request) -> BoxFuture<'static, Response>;
}

struct HandlerBox<H, T>(H, PhantomData<fn() -> T>);

impl<H: Handler<T, ()>, T: 'static> ErasedHandler for HandlerBox<H, T> {
    fn call(&self, req: Request) -> BoxFuture<'static, Response> {
        Box::pin(self.0.clone().call(req, ()))
    }
}

pub(crate) type BoxedHandler = Arc<dyn ErasedHandler>;

pub(crate) fn boxed<H: Handler<T, ()>, T: 'static>(h: H) -> BoxedHandler {
    Arc::new(HandlerBox(h, PhantomData))
}

/// The handlers of one rule, one per HTTP method, plus its endpoint name.
///
/// Made with [`get`], [`post`], [`route`]... and chained: `get(show).post(update)`. The
/// endpoint name is the first handler's function name (`show`) when it is a
/// [`#[flask::view]`](crate::view) function, as in Flask; any other handler (a plain `async
/// fn`, a closure) carries no name, so its endpoint is the rule itself unless you call
/// [`MethodHandlers::endpoint`].
#[must_use = "pass it to .route(rule, ...)"]
#[derive(Clone)]
pub struct MethodHandlers {
    pub(crate) handlers: Vec<(Method, BoxedHandler)>,
    pub(crate) endpoint: Option<String>,
    /// The endpoint name the first handler carries (a `#[flask::view]` function's).
    pub(crate) view_name: Option<&'static str>,
    pub(crate) handler_id: Option<TypeId>,
    /// Method names given to [`route`] that are not HTTP methods.
    pub(crate) invalid_methods: Vec<String>,
    /// The extension that added the rule, if one did.
    pub(crate) owner: Option<String>,
    /// Answers a request for this rule's path with a method it has no handler for.
    pub(crate) not_allowed: Option<BoxedHandler>,
    /// An axum extractor among the handler's arguments that only axum's `Router` fills,
    /// with the flask one to take instead (reported by `build`).
    pub(crate) unfilled_extractor: Option<&'static str>,
    /// Flask's `subdomain=` (with subdomain matching).
    pub(crate) subdomain: Option<String>,
    /// Flask's `host=` (with host matching).
    pub(crate) host: Option<String>,
}

impl fmt::Debug for MethodHandlers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MethodHandlers")
            .field(
                "methods",
                &self.handlers.iter().map(|(m, _)| m).collect::<Vec<_>>(),
            )
            .field("endpoint", &self.endpoint)
            .field("view_name", &self.view_name)
            .finish()
    }
}

/// axum extractors whose values only axum's `Router` puts in the request, with what to use
/// here. A flask app routes with its own URL map, so these would fail every request; `build`
/// refuses them instead. (Found by the argument types' names: a diagnostic only, nothing is
/// named or routed by it.)
const AXUM_ONLY: [(&str, &str); 4] = [
    (
        "axum::extract::path::Path<",
        "axum::extract::Path, which only axum's Router fills: take flask::Path (the same destructuring: Path(id): Path<i64>)",
    ),
    (
        "axum::extract::path::RawPathParams",
        "axum::extract::RawPathParams, which only axum's Router fills: take flask::RequestContext and its view_args()",
    ),
    (
        "axum::extract::matched_path::MatchedPath",
        "axum::extract::MatchedPath, which only axum's Router fills: take flask::RequestContext and its url_rule() (the rule as written) or endpoint()",
    ),
    (
        "axum::extract::nested_path::NestedPath",
        "axum::extract::NestedPath, which only axum's Router fills: take flask::RequestContext and its blueprint()",
    ),
];

fn axum_only_extractor<T: 'static>() -> Option<&'static str> {
    let args = std::any::type_name::<T>();
    AXUM_ONLY
        .iter()
        .find(|(name, _)| args.contains(name))
        .map(|(_, advice)| *advice)
}

impl MethodHandlers {
    fn empty() -> Self {
        MethodHandlers {
            handlers: Vec::new(),
            endpoint: None,
            view_name: None,
            handler_id: None,
            invalid_methods: Vec::new(),
            owner: None,
            not_allowed: None,
            subdomain: None,
            host: None,
            unfilled_extractor: None,
        }
    }

    /// No handler yet, with the endpoint `name` (a class-based view's).
    pub(crate) fn named(name: &str) -> Self {
        let mut mh = MethodHandlers::empty();
        mh.endpoint = Some(name.to_owned());
        mh
    }

    /// Adds `handler` for `method` (replacing an earlier one for the same method).
    pub fn on<H: Handler<T, ()>, T: 'static>(mut self, method: Method, handler: H) -> Self {
        if self.handler_id.is_none() {
            self.handler_id = Some(TypeId::of::<H>());
            self.view_name = super::named::view_name::<H>();
        }
        if let Some(advice) = axum_only_extractor::<T>() {
            self.unfilled_extractor.get_or_insert(advice);
        }
        self.on_boxed(method, boxed(handler))
    }

    /// Adds a handler already boxed for `method`.
    pub(crate) fn on_boxed(mut self, method: Method, handler: BoxedHandler) -> Self {
        self.handlers.retain(|(m, _)| *m != method);
        self.handlers.push((method, handler));
        self
    }

    /// Records a method name that is not an HTTP method, for `build` to report.
    pub(crate) fn invalid_method(mut self, name: &str) -> Self {
        self.invalid_methods.push(name.to_owned());
        self
    }

    /// Adds a GET handler (HEAD is answered by it too, without the body).
    pub fn get<H: Handler<T, ()>, T: 'static>(self, handler: H) -> Self {
        self.on(Method::GET, handler)
    }
    /// Adds a POST handler.
    pub fn post<H: Handler<T, ()>, T: 'static>(self, handler: H) -> Self {
        self.on(Method::POST, handler)
    }
    /// Adds a PUT handler.
    pub fn put<H: Handler<T, ()>, T: 'static>(self, handler: H) -> Self {
        self.on(Method::PUT, handler)
    }
    /// Adds a DELETE handler.
    pub fn delete<H: Handler<T, ()>, T: 'static>(self, handler: H) -> Self {
        self.on(Method::DELETE, handler)
    }
    /// Adds a PATCH handler.
    pub fn patch<H: Handler<T, ()>, T: 'static>(self, handler: H) -> Self {
        self.on(Method::PATCH, handler)
    }
    /// Adds an OPTIONS handler (replacing the automatic answer).
    pub fn options<H: Handler<T, ()>, T: 'static>(self, handler: H) -> Self {
        self.on(Method::OPTIONS, handler)
    }
    /// Adds a HEAD handler (otherwise HEAD uses the GET handler).
    pub fn head<H: Handler<T, ()>, T: 'static>(self, handler: H) -> Self {
        self.on(Method::HEAD, handler)
    }

    /// Answers a request whose path matches this rule but whose method has no handler
    /// here, instead of the app's 405 page and error handlers.
    ///
    /// A REST API answers its own 405s this way (as JSON, say), so they stay inside its
    /// routes. A 405 answer without an `Allow` header gets the router's. When several rules
    /// match the path, the first one in matching order decides (rules without variables
    /// first, then the others in Werkzeug's order).
    ///
    /// ```
    /// use flask::routing::get;
    /// #[flask::view]
    /// async fn show() -> &'static str { "a thing" }
    /// async fn not_allowed() -> (http::StatusCode, &'static str) {
    ///     (http::StatusCode::METHOD_NOT_ALLOWED, "{\"message\": \"not here\"}")
    /// }
    /// let app = flask::Flask::new("demo")
    ///     .route("/thing", get(show).method_not_allowed(not_allowed));
    /// # app.build().unwrap();
    /// ```
    pub fn method_not_allowed<H: Handler<T, ()>, T: 'static>(mut self, handler: H) -> Self {
        self.not_allowed = Some(boxed(handler));
        self
    }

    /// Flask's `subdomain=`: with [`Flask::subdomain_matching`](crate::Flask::subdomain_matching),
    /// the rule answers requests for this subdomain of `SERVER_NAME` only (`"api"` for
    /// `api.example.com`; `"<user>"` gives the view a `user` value). Without it, a rule
    /// answers the bare `SERVER_NAME`.
    pub fn subdomain(mut self, subdomain: &str) -> Self {
        self.subdomain = Some(subdomain.to_owned());
        self
    }

    /// Flask's `host=`: with [`Flask::host_matching`](crate::Flask::host_matching), the rule
    /// answers requests for this host only (`"example.com"`, `"<user>.example.com"`).
    pub fn host(mut self, host: &str) -> Self {
        self.host = Some(host.to_owned());
        self
    }

    /// Sets the endpoint name (Flask's `endpoint=`), used by `url_for`.
    pub fn endpoint(mut self, name: impl Into<String>) -> Self {
        self.endpoint = Some(name.into());
        self
    }

    pub(crate) fn methods(&self) -> Vec<Method> {
        let mut m: Vec<Method> = self.handlers.iter().map(|(m, _)| m.clone()).collect();
        if m.contains(&Method::GET) && !m.contains(&Method::HEAD) {
            m.push(Method::HEAD);
        }
        m.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        m
    }

    /// The handler for `method`; HEAD falls back to GET.
    pub(crate) fn find(&self, method: &Method) -> Option<&BoxedHandler> {
        let find = |m: &Method| self.handlers.iter().find(|(k, _)| k == m).map(|(_, h)| h);
        find(method).or_else(|| {
            (*method == Method::HEAD)
                .then(|| find(&Method::GET))
                .flatten()
        })
    }
}

/// A rule answering GET (and HEAD) with `handler`: `.route("/", get(index))`.
pub fn get<H: Handler<T, ()>, T: 'static>(handler: H) -> MethodHandlers {
    MethodHandlers::empty().get(handler)
}
/// A rule answering POST with `handler`.
pub fn post<H: Handler<T, ()>, T: 'static>(handler: H) -> MethodHandlers {
    MethodHandlers::empty().post(handler)
}
/// A rule answering PUT with `handler`.
pub fn put<H: Handler<T, ()>, T: 'static>(handler: H) -> MethodHandlers {
    MethodHandlers::empty().put(handler)
}
/// A rule answering DELETE with `handler`.
pub fn delete<H: Handler<T, ()>, T: 'static>(handler: H) -> MethodHandlers {
    MethodHandlers::empty().delete(handler)
}
/// A rule answering PATCH with `handler`.
pub fn patch<H: Handler<T, ()>, T: 'static>(handler: H) -> MethodHandlers {
    MethodHandlers::empty().patch(handler)
}

/// A WebSocket rule (Flask-Sock's `@sock.route(rule)`): `handler` takes a
/// [`WebSocketUpgrade`](crate::ws::WebSocketUpgrade) and answers with its `on_upgrade`.
///
/// The handshake is a GET like any other, so the rule has an endpoint for `url_for`, can
/// sit in a blueprint, and its `before_request` hooks, session and logged-in user are
/// there at the handshake. A plain GET to it (no `Upgrade: websocket`) is a 400 that says
/// the URL takes WebSockets.
///
/// ```
/// use flask::{Flask, routing::websocket, ws::WebSocketUpgrade};
/// #[flask::view]
/// async fn echo(ws: WebSocketUpgrade) -> flask::Response {
///     ws.on_upgrade(|mut socket| async move {
///         while let Some(msg) = socket.recv().await {
///             if socket.send(msg).await.is_err() { break }
///         }
///     })
/// }
/// let app = Flask::new("demo").route("/echo", websocket(echo)).build().unwrap();
/// assert_eq!(app.url_for("echo").relative().build().unwrap(), "/echo");
/// ```
pub fn websocket<H: Handler<T, ()>, T: 'static>(handler: H) -> MethodHandlers {
    MethodHandlers::empty().get(handler)
}

/// Flask's `@app.route(rule, methods=[...])`: one handler for several methods.
///
/// Method names are case-insensitive; an invalid one is reported when the app is built.
///
/// ```
/// use flask::{Flask, routing::route};
/// #[flask::view]
/// async fn login() -> &'static str { "login" }
/// let app = Flask::new("demo").route("/login", route(&["GET", "POST"], login));
/// # app.build().unwrap();
/// ```
#[allow(clippy::needless_pass_by_value)] // taken by value like get/post, cloned per method
pub fn route<H: Handler<T, ()>, T: 'static>(methods: &[&str], handler: H) -> MethodHandlers {
    let mut mh = MethodHandlers::empty();
    for m in methods {
        match Method::from_bytes(m.to_ascii_uppercase().as_bytes()) {
            Ok(method) => mh = mh.on(method, handler.clone()),
            // Reported by `build`, which knows the rule.
            Err(_) => mh.invalid_methods.push((*m).to_owned()),
        }
    }
    mh
}

#[cfg(test)]
mod tests {
    use super::*;

    #[flask::view]
    async fn show_post() -> &'static str {
        ""
    }

    async fn unnamed() -> &'static str {
        ""
    }

    #[test]
    fn names_come_from_view_functions() {
        assert_eq!(get(show_post).view_name, Some("show_post"));
        assert_eq!(get(unnamed).view_name, None);
        assert_eq!(get(|| async { "" }).view_name, None);
        // The first handler names the rule.
        assert_eq!(get(unnamed).post(show_post).view_name, None);
        assert_eq!(
            get(show_post).post(show_post).methods(),
            [Method::GET, Method::HEAD, Method::POST]
        );
    }
}
