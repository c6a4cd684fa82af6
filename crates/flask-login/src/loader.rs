//! Loaders: how a user is found from the id in the session (`user_loader`) or from the
//! request itself (`request_loader`: API keys, bearer tokens, Basic auth). Both are async
//! functions whose other arguments are extractors, as in a view (`Db`, `HeaderMap`, ...).

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::request::Parts;

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a loader returns: the user, or `None` when there is none (a deleted account, an
/// unknown key); as a `Result` when looking it up can fail (a database error is then the
/// request's error).
pub trait LoaderOutput<U>: Send {
    /// The user, `None`, or the error.
    fn into_user(self) -> Result<Option<U>, flask::Error>;
}

impl<U: Send> LoaderOutput<U> for Option<U> {
    fn into_user(self) -> Result<Option<U>, flask::Error> {
        Ok(self)
    }
}

impl<U: Send, E: Into<flask::Error> + Send> LoaderOutput<U> for Result<Option<U>, E> {
    fn into_user(self) -> Result<Option<U>, flask::Error> {
        self.map_err(Into::into)
    }
}

/// A `user_loader`: `async fn(id: String, extractors...) -> Option<U>` (or
/// `Result<Option<U>, E>`), given the id [`UserMixin::get_id`](crate::UserMixin::get_id)
/// returned at login.
///
/// ```
/// # #[derive(Clone, serde::Serialize)] struct User { id: i64 }
/// # impl flask_login::UserMixin for User { fn get_id(&self) -> String { self.id.to_string() } }
/// use flask::G;
/// use flask_login::LoginManager;
///
/// let manager = LoginManager::<User>::new()
///     .user_loader(|id: String, _g: G| async move { id.parse().ok().map(|id| User { id }) });
/// ```
pub trait UserLoader<U, T>: Send + Sync + 'static {
    /// Loads the user with `id`, running the loader's extractors on `parts`.
    fn load<'a>(
        &'a self,
        id: String,
        parts: &'a mut Parts,
    ) -> BoxFuture<'a, Result<Option<U>, Response>>;
}

/// A `request_loader`: `async fn(extractors...) -> Option<U>` (or `Result<Option<U>, E>`)
/// that finds the user from the request itself, for clients without a session: an API key
/// in a header or the query, a bearer token, Basic auth. It runs when the session holds
/// no user and there is no remember-me cookie; what it finds is not stored in the session.
///
/// ```
/// # #[derive(Clone, serde::Serialize)] struct User { id: i64 }
/// # impl flask_login::UserMixin for User { fn get_id(&self) -> String { self.id.to_string() } }
/// use flask::HeaderMap;
/// use flask_login::LoginManager;
///
/// let manager = LoginManager::<User>::new()
///     .user_loader(|id: String| async move { id.parse().ok().map(|id| User { id }) })
///     .request_loader(|headers: HeaderMap| async move {
///         let key = headers.get("x-api-key")?.to_str().ok()?;
///         (key == "let-me-in").then_some(User { id: 1 })
///     });
/// ```
pub trait RequestLoader<U, T>: Send + Sync + 'static {
    /// Finds the user from the request's head.
    fn load<'a>(&'a self, parts: &'a mut Parts) -> BoxFuture<'a, Result<Option<U>, Response>>;
}

macro_rules! impl_loaders {
    ($($ty:ident),*) => {
        #[allow(non_snake_case, unused_variables, unused_mut)]
        impl<F, Fut, O, U, $($ty,)*> UserLoader<U, ($($ty,)*)> for F
        where
            F: Fn(String, $($ty,)*) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = O> + Send,
            O: LoaderOutput<U>,
            $($ty: FromRequestParts<()> + Send,)*
        {
            fn load<'a>(
                &'a self,
                id: String,
                parts: &'a mut Parts,
            ) -> BoxFuture<'a, Result<Option<U>, Response>> {
                Box::pin(async move {
                    $(
                        let $ty = $ty::from_request_parts(parts, &())
                            .await
                            .map_err(IntoResponse::into_response)?;
                    )*
                    self(id, $($ty,)*).await.into_user().map_err(IntoResponse::into_response)
                })
            }
        }

        #[allow(non_snake_case, unused_variables, unused_mut)]
        impl<F, Fut, O, U, $($ty,)*> RequestLoader<U, ($($ty,)*)> for F
        where
            F: Fn($($ty,)*) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = O> + Send,
            O: LoaderOutput<U>,
            $($ty: FromRequestParts<()> + Send,)*
        {
            fn load<'a>(&'a self, parts: &'a mut Parts) -> BoxFuture<'a, Result<Option<U>, Response>> {
                Box::pin(async move {
                    $(
                        let $ty = $ty::from_request_parts(parts, &())
                            .await
                            .map_err(IntoResponse::into_response)?;
                    )*
                    self($($ty,)*).await.into_user().map_err(IntoResponse::into_response)
                })
            }
        }
    };
}

impl_loaders!();
impl_loaders!(T1);
impl_loaders!(T1, T2);
impl_loaders!(T1, T2, T3);
impl_loaders!(T1, T2, T3, T4);

/// A user loader with its extractor types erased.
pub(crate) trait ErasedUserLoader<U>: Send + Sync {
    fn load<'a>(
        &'a self,
        id: String,
        parts: &'a mut Parts,
    ) -> BoxFuture<'a, Result<Option<U>, Response>>;
}

/// A request loader with its extractor types erased.
pub(crate) trait ErasedRequestLoader<U>: Send + Sync {
    fn load<'a>(&'a self, parts: &'a mut Parts) -> BoxFuture<'a, Result<Option<U>, Response>>;
}

struct Erased<L, T>(L, PhantomData<fn() -> T>);

impl<U, L: UserLoader<U, T>, T: 'static> ErasedUserLoader<U> for Erased<L, T> {
    fn load<'a>(
        &'a self,
        id: String,
        parts: &'a mut Parts,
    ) -> BoxFuture<'a, Result<Option<U>, Response>> {
        self.0.load(id, parts)
    }
}

impl<U, L: RequestLoader<U, T>, T: 'static> ErasedRequestLoader<U> for Erased<L, T> {
    fn load<'a>(&'a self, parts: &'a mut Parts) -> BoxFuture<'a, Result<Option<U>, Response>> {
        self.0.load(parts)
    }
}

pub(crate) fn erase_user_loader<U: 'static, L: UserLoader<U, T>, T: 'static>(
    loader: L,
) -> Arc<dyn ErasedUserLoader<U>> {
    Arc::new(Erased(loader, PhantomData))
}

pub(crate) fn erase_request_loader<U: 'static, L: RequestLoader<U, T>, T: 'static>(
    loader: L,
) -> Arc<dyn ErasedRequestLoader<U>> {
    Arc::new(Erased(loader, PhantomData))
}
