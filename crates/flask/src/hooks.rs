//! Request hooks: `before_request` (may answer early), `after_request` and
//! `teardown_request`, app-wide and per blueprint.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::request::Parts;

use crate::Error;
use crate::request::RequestContext;

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a `before_request` hook returns: nothing to go on, or a response to answer with.
///
/// Implemented for `()`, `Option<R>` and `Result<T, E>` where `R` and `E` are responses
/// (`flask::Error` included) and `T` is itself an outcome.
pub trait HookOutcome: Send {
    /// `Some(response)` stops the request there (the view is not called; `after_request`
    /// hooks still run).
    fn into_outcome(self) -> Option<Response>;
}

impl HookOutcome for () {
    fn into_outcome(self) -> Option<Response> {
        None
    }
}

impl<R: IntoResponse + Send> HookOutcome for Option<R> {
    fn into_outcome(self) -> Option<Response> {
        self.map(IntoResponse::into_response)
    }
}

impl<T: HookOutcome, E: IntoResponse + Send> HookOutcome for Result<T, E> {
    fn into_outcome(self) -> Option<Response> {
        match self {
            Ok(t) => t.into_outcome(),
            Err(e) => Some(e.into_response()),
        }
    }
}

/// A `before_request` hook: an async function whose arguments are extractors that read
/// the request's head (not its body): [`RequestContext`], [`G`](crate::G),
/// [`HeaderMap`](http::HeaderMap), [`Args`](crate::Args), [`Cookies`](crate::Cookies)...
///
/// ```
/// use flask::{Flask, G, RequestContext, abort};
///
/// #[derive(Clone)]
/// struct Started(std::time::Instant);
///
/// let app = Flask::new("demo")
///     .before_request(|g: G| async move { g.insert(Started(std::time::Instant::now())); })
///     .before_request(|ctx: RequestContext| async move {
///         if ctx.path().starts_with("/admin") { Err(abort(403)) } else { Ok(()) }
///     });
/// ```
pub trait BeforeRequestHook<T>: Clone + Send + Sync + 'static {
    /// Runs the hook on the request's head.
    fn call<'a>(&'a self, parts: &'a mut Parts) -> BoxFuture<'a, Option<Response>>;
}

macro_rules! impl_before_hook {
    ($($ty:ident),*) => {
        #[allow(non_snake_case, unused_variables, unused_mut)]
        impl<F, Fut, O, $($ty,)*> BeforeRequestHook<($($ty,)*)> for F
        where
            F: Fn($($ty,)*) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future<Output = O> + Send,
            O: HookOutcome,
            $($ty: FromRequestParts<()> + Send,)*
        {
            fn call<'a>(&'a self, parts: &'a mut Parts) -> BoxFuture<'a, Option<Response>> {
                Box::pin(async move {
                    $(
                        let $ty = match $ty::from_request_parts(parts, &()).await {
                            Ok(v) => v,
                            Err(rejection) => return Some(rejection.into_response()),
                        };
                    )*
                    self($($ty,)*).await.into_outcome()
                })
            }
        }
    };
}

impl_before_hook!();
impl_before_hook!(T1);
impl_before_hook!(T1, T2);
impl_before_hook!(T1, T2, T3);
impl_before_hook!(T1, T2, T3, T4);
impl_before_hook!(T1, T2, T3, T4, T5);
impl_before_hook!(T1, T2, T3, T4, T5, T6);

/// A type-erased before hook.
pub(crate) trait ErasedBefore: Send + Sync {
    fn call<'a>(&'a self, parts: &'a mut Parts) -> BoxFuture<'a, Option<Response>>;
}

struct BeforeBox<H, T>(H, PhantomData<fn() -> T>);

impl<H: BeforeRequestHook<T>, T: 'static> ErasedBefore for BeforeBox<H, T> {
    fn call<'a>(&'a self, parts: &'a mut Parts) -> BoxFuture<'a, Option<Response>> {
        self.0.call(parts)
    }
}

pub(crate) type BeforeFn = Arc<dyn ErasedBefore>;
pub(crate) type AfterFn =
    Arc<dyn Fn(RequestContext, Response) -> BoxFuture<'static, Response> + Send + Sync>;
pub(crate) type TeardownFn =
    Arc<dyn Fn(RequestContext, Option<Error>) -> BoxFuture<'static, ()> + Send + Sync>;

pub(crate) fn before<H: BeforeRequestHook<T>, T: 'static>(h: H) -> BeforeFn {
    Arc::new(BeforeBox(h, PhantomData))
}

pub(crate) fn after<F, Fut>(f: F) -> AfterFn
where
    F: Fn(RequestContext, Response) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    Arc::new(move |ctx, resp| Box::pin(f(ctx, resp)))
}

pub(crate) fn teardown<F, Fut>(f: F) -> TeardownFn
where
    F: Fn(RequestContext, Option<Error>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    Arc::new(move |ctx, err| Box::pin(f(ctx, err)))
}
