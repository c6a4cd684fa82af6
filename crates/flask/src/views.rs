//! Class-based views, Flask's `flask.views`: one value serving several methods of a rule.
//!
//! A Flask `MethodView` is a class whose `get`, `post`, ... methods answer those HTTP
//! methods, registered with `as_view(name)`. Here the class is any struct, its methods are
//! async functions taking `Arc<Self>` first and then any extractors, like other handlers:
//!
//! ```
//! use std::sync::Arc;
//! use flask::views::MethodView;
//! use flask::{Flask, Json, Path};
//!
//! struct UserApi {
//!     greeting: String,
//! }
//!
//! impl UserApi {
//!     async fn list(self: Arc<Self>) -> String {
//!         format!("{}, all users", self.greeting)
//!     }
//!     async fn get(self: Arc<Self>, Path(id): Path<i64>) -> String {
//!         format!("{}, user {id}", self.greeting)
//!     }
//!     async fn create(self: Arc<Self>, Json(name): Json<String>) -> String {
//!         format!("created {name}")
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let api = Arc::new(UserApi { greeting: "hello".into() });
//! let client = Flask::new("demo")
//!     .route("/users/", MethodView::shared("users", api.clone()).get(UserApi::list).post(UserApi::create))
//!     .route("/users/<int:id>", MethodView::shared("user", api).get(UserApi::get))
//!     .test_client();
//! assert_eq!(client.get("/users/7").send().await.text(), "hello, user 7");
//! assert_eq!(client.delete("/users/7").send().await.status(), 405);
//! # }
//! ```
//!
//! The endpoint is the name given (Flask's `as_view("users")`), so `url_for("users")`
//! works; the methods are those given, and the others get the router's 405 with `Allow`.
//! Flask makes a new instance per request unless `init_every_request = False`; here the one
//! instance serves every request (keep per-request values in locals, or in `g`).

use std::future::Future;
use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts};
use axum::response::IntoResponse;
use http::Method;

use crate::routing::MethodHandlers;
use crate::routing::method_routing::BoxedHandler;

/// A method of a view: an async function taking `Arc<S>` and then extractors (the last one
/// may read the body), returning a response.
pub trait ViewMethod<S, T>: Clone + Send + Sync + 'static {
    /// The handler for the router, with the view bound.
    fn bind(self, view: Arc<S>) -> Bound;
}

/// A view method bound to its view, as the router calls it (opaque).
#[derive(Clone)]
pub struct Bound(BoxedHandler);

impl std::fmt::Debug for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Bound")
    }
}

macro_rules! impl_view_method {
    ([$($ty:ident),*]) => {
        #[allow(non_snake_case)]
        impl<S, F, Fut, R, $($ty,)*> ViewMethod<S, ((), $($ty,)*)> for F
        where
            S: Send + Sync + 'static,
            F: Fn(Arc<S>, $($ty,)*) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future<Output = R> + Send + 'static,
            R: IntoResponse + 'static,
            $($ty: FromRequestParts<()> + Send + 'static,)*
        {
            fn bind(self, view: Arc<S>) -> Bound {
                Bound(crate::routing::method_routing::boxed(move |$($ty: $ty,)*| {
                    let (f, view) = (self.clone(), view.clone());
                    async move { f(view, $($ty,)*).await }
                }))
            }
        }
    };
    ([$($ty:ident),*], $last:ident) => {
        #[allow(non_snake_case)]
        impl<S, F, Fut, R, M, $($ty,)* $last> ViewMethod<S, (M, $($ty,)* $last,)> for F
        where
            S: Send + Sync + 'static,
            M: 'static,
            F: Fn(Arc<S>, $($ty,)* $last) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future<Output = R> + Send + 'static,
            R: IntoResponse + 'static,
            $($ty: FromRequestParts<()> + Send + 'static,)*
            $last: FromRequest<(), M> + Send + 'static,
        {
            fn bind(self, view: Arc<S>) -> Bound {
                Bound(crate::routing::method_routing::boxed(move |$($ty: $ty,)* $last: $last| {
                    let (f, view) = (self.clone(), view.clone());
                    async move { f(view, $($ty,)* $last).await }
                }))
            }
        }
    };
}

impl_view_method!([]);
impl_view_method!([], T1);
impl_view_method!([T1], T2);
impl_view_method!([T1, T2], T3);
impl_view_method!([T1, T2, T3], T4);
impl_view_method!([T1, T2, T3, T4], T5);
impl_view_method!([T1, T2, T3, T4, T5], T6);
impl_view_method!([T1, T2, T3, T4, T5, T6], T7);

/// Flask's `MethodView.as_view(name)`: a view value and the methods it answers, for
/// `.route(rule, ..)`. See [the module](self).
#[must_use = "pass it to .route(rule, ...)"]
pub struct MethodView<S> {
    view: Arc<S>,
    handlers: MethodHandlers,
}

impl<S: Send + Sync + 'static> MethodView<S> {
    /// The view `view`, with the endpoint `name`.
    pub fn new(name: &str, view: S) -> Self {
        MethodView::shared(name, Arc::new(view))
    }

    /// A view already shared, so that several rules can serve it (a list at `/users/`, an
    /// item at `/users/<int:id>`), each with its endpoint.
    pub fn shared(name: &str, view: Arc<S>) -> Self {
        MethodView {
            view,
            handlers: MethodHandlers::named(name),
        }
    }

    /// Answers `method` with `f`.
    pub fn on<F: ViewMethod<S, T>, T>(mut self, method: Method, f: F) -> Self {
        self.handlers = self.handlers.on_boxed(method, f.bind(self.view.clone()).0);
        self
    }

    /// Answers GET (and HEAD) with `f`.
    pub fn get<F: ViewMethod<S, T>, T>(self, f: F) -> Self {
        self.on(Method::GET, f)
    }

    /// Answers POST with `f`.
    pub fn post<F: ViewMethod<S, T>, T>(self, f: F) -> Self {
        self.on(Method::POST, f)
    }

    /// Answers PUT with `f`.
    pub fn put<F: ViewMethod<S, T>, T>(self, f: F) -> Self {
        self.on(Method::PUT, f)
    }

    /// Answers PATCH with `f`.
    pub fn patch<F: ViewMethod<S, T>, T>(self, f: F) -> Self {
        self.on(Method::PATCH, f)
    }

    /// Answers DELETE with `f`.
    pub fn delete<F: ViewMethod<S, T>, T>(self, f: F) -> Self {
        self.on(Method::DELETE, f)
    }

    /// Flask's `View` with `methods = [...]` and one `dispatch_request`: `f` answers each of
    /// `methods` (names, any case).
    pub fn dispatch_request<F: ViewMethod<S, T>, T>(mut self, methods: &[&str], f: F) -> Self {
        let bound = f.bind(self.view.clone()).0;
        for m in methods {
            self.handlers = match Method::from_bytes(m.to_ascii_uppercase().as_bytes()) {
                Ok(method) => self.handlers.on_boxed(method, bound.clone()),
                Err(_) => self.handlers.invalid_method(m),
            };
        }
        self
    }
}

impl<S> std::fmt::Debug for MethodView<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MethodView")
            .field("view", &std::any::type_name::<S>())
            .field("handlers", &self.handlers)
            .finish()
    }
}

impl<S> From<MethodView<S>> for MethodHandlers {
    fn from(view: MethodView<S>) -> Self {
        view.handlers
    }
}
