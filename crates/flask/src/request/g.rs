//! `g`: storage for the length of one request.

use std::any::{Any, TypeId};

use axum::extract::FromRequestParts;
use http::request::Parts;

use super::RequestContext;
use crate::Error;

/// Flask's `g`: a typed store that lives as long as the request, shared by its hooks,
/// its handler and its error handlers. One value per type.
///
/// ```
/// use flask::{Flask, G, routing::get};
///
/// #[derive(Clone)]
/// struct User(String);
///
/// #[flask::view]
/// async fn index(g: G) -> String {
///     g.get::<User>().map(|u| u.0).unwrap_or_default()
/// }
/// let app = Flask::new("demo")
///     .before_request(|g: G| async move { g.insert(User("ada".into())); })
///     .route("/", get(index));
/// # let _ = app;
/// ```
#[derive(Clone, Debug)]
pub struct G(RequestContext);

/// What `g` stores, by type. Keys are `TypeId`s, already hashes: FxHash costs a multiply
/// where std's SipHash costs about a hundred instructions per lookup (and a `RandomState`
/// per request).
pub(crate) type GMap = rustc_hash::FxHashMap<TypeId, Box<dyn Any + Send + Sync>>;

impl G {
    /// Stores `value`, returning the one of the same type it replaces.
    pub fn insert<T: Send + Sync + 'static>(&self, value: T) -> Option<T> {
        self.lock()
            .insert(TypeId::of::<T>(), Box::new(value))
            .and_then(|old| old.downcast::<T>().ok().map(|b| *b))
    }

    /// A copy of the stored `T`.
    pub fn get<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.with(|v: &T| v.clone())
    }

    /// Runs `f` on the stored `T` without copying it.
    pub fn with<T: Send + Sync + 'static, R>(&self, f: impl FnOnce(&T) -> R) -> Option<R> {
        self.lock()
            .get(&TypeId::of::<T>())
            .and_then(|b| b.downcast_ref::<T>())
            .map(f)
    }

    /// Whether a `T` is stored.
    pub fn contains<T: Send + Sync + 'static>(&self) -> bool {
        self.lock().contains_key(&TypeId::of::<T>())
    }

    /// Takes the stored `T` out.
    pub fn remove<T: Send + Sync + 'static>(&self) -> Option<T> {
        self.lock()
            .remove(&TypeId::of::<T>())
            .and_then(|old| old.downcast::<T>().ok().map(|b| *b))
    }

    /// Sets a value by name, for templates: `g.set("user", &user)` shows as `{{ g.user }}`.
    /// A value that cannot be serialized is stored as null.
    pub fn set<T: serde::Serialize + ?Sized>(&self, name: &str, value: &T) {
        let value = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
        self.0
            .g_named()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_owned(), value);
    }

    /// A value set by name with [`G::set`].
    pub fn value(&self, name: &str) -> Option<serde_json::Value> {
        self.0
            .g_named()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }

    /// Every value set by name, for templates.
    pub(crate) fn template_values(&self) -> std::collections::BTreeMap<String, serde_json::Value> {
        self.0
            .g_named()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GMap> {
        // A panic while holding the lock leaves plain data behind; keep serving.
        self.0.g_map().lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl RequestContext {
    /// This request's [`G`].
    pub fn g(&self) -> G {
        G(self.clone())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for G {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestContext::from_request_parts(parts, state).await?.g())
    }
}
