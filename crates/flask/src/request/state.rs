//! Reaching app state and extensions from a handler.

use std::any::type_name;
use std::ops::Deref;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use http::request::Parts;

use super::RequestContext;
use crate::Error;

/// A value the app or an extension stored with `Flask::state` / `Setup::state`, shared by
/// all requests.
///
/// A type that was never stored is a 500 naming it (the fix is to register it).
///
/// ```
/// use flask::{Flask, State, routing::get};
/// struct Greeting { text: &'static str }
/// #[flask::view]
/// async fn index(greeting: State<Greeting>) -> &'static str { greeting.text }
/// let app = Flask::new("demo").state(Greeting { text: "hi" }).route("/", get(index));
/// # let _ = app;
/// ```
#[derive(Debug)]
pub struct State<T>(pub Arc<T>);

impl<T> Clone for State<T> {
    fn clone(&self) -> Self {
        State(self.0.clone())
    }
}

impl<T> Deref for State<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Send + Sync + 'static, S: Send + Sync> FromRequestParts<S> for State<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = RequestContext::from_request_parts(parts, state).await?;
        ctx.app().state::<T>().map(State).ok_or_else(|| {
            Error::internal(format!(
                "no app state of type {} was registered: add it with Flask::state(..)",
                type_name::<T>()
            ))
        })
    }
}

/// A registered [`Extension`](crate::Extension), by type.
///
/// ```
/// use flask::{Ext, Extension, Flask, Setup, SetupError, routing::get};
/// struct Greeter { word: String }
/// impl Extension for Greeter {
///     fn name(&self) -> &'static str { "greeter" }
///     fn init_app(&self, _setup: &mut Setup<'_>) -> Result<(), SetupError> { Ok(()) }
/// }
/// #[flask::view]
/// async fn hi(g: Ext<Greeter>) -> String { g.word.clone() }
/// let app = Flask::new("demo").extension(Greeter { word: "hi".into() }).route("/", get(hi));
/// # let _ = app;
/// ```
#[derive(Debug)]
pub struct Ext<E>(pub Arc<E>);

impl<E> Clone for Ext<E> {
    fn clone(&self) -> Self {
        Ext(self.0.clone())
    }
}

impl<E> Deref for Ext<E> {
    type Target = E;
    fn deref(&self) -> &E {
        &self.0
    }
}

impl<E: Send + Sync + 'static, S: Send + Sync> FromRequestParts<S> for Ext<E> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = RequestContext::from_request_parts(parts, state).await?;
        ctx.app().extension::<E>().map(Ext).ok_or_else(|| {
            Error::internal(format!(
                "the extension {} is not registered: add it with Flask::extension(..)",
                type_name::<E>()
            ))
        })
    }
}
