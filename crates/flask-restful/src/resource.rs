//! `Resource`: a class of Flask-RESTful, as a trait with one async method per HTTP method.

use std::future::Future;

use crate::{ApiError, ApiRequest, ApiResult};

/// Flask-RESTful's `Resource`: the methods it answers, each an async method. `METHODS`
/// lists the ones it implements (Flask-RESTful finds them from the methods a class defines);
/// any other method is a 405 with an `Allow` header, HEAD is answered by `get`, and OPTIONS
/// by the router.
///
/// ```
/// use flask_restful::{ApiRequest, ApiResult, Resource, abort, reply};
///
/// #[flask::view]
/// struct HelloWorld;
///
/// impl Resource for HelloWorld {
///     const METHODS: &'static [&'static str] = &["GET"];
///
///     async fn get(&self, _req: ApiRequest) -> ApiResult {
///         Ok(reply(serde_json::json!({"hello": "world"})))
///     }
/// }
/// ```
pub trait Resource: Send + Sync + 'static {
    /// The methods implemented below (`&["GET", "PUT", "DELETE"]`).
    const METHODS: &'static [&'static str];

    /// What the OpenAPI document says of the methods: summaries, argument and answer types,
    /// errors (nothing but "200 Success" by default). See [`Describe`](crate::Describe).
    fn describe(doc: &mut crate::Describe<'_>) {
        let _ = doc;
    }

    /// Runs before any method of this resource (Flask-RESTful's `method_decorators`):
    /// an error answers the request instead (a 401 for a missing token, say).
    fn before(&self, req: &mut ApiRequest) -> impl Future<Output = Result<(), ApiError>> + Send {
        let _ = req;
        async { Ok(()) }
    }

    /// `GET` (and `HEAD`).
    fn get(&self, req: ApiRequest) -> impl Future<Output = ApiResult> + Send {
        not_implemented(req)
    }

    /// `POST`.
    fn post(&self, req: ApiRequest) -> impl Future<Output = ApiResult> + Send {
        not_implemented(req)
    }

    /// `PUT`.
    fn put(&self, req: ApiRequest) -> impl Future<Output = ApiResult> + Send {
        not_implemented(req)
    }

    /// `PATCH`.
    fn patch(&self, req: ApiRequest) -> impl Future<Output = ApiResult> + Send {
        not_implemented(req)
    }

    /// `DELETE`.
    fn delete(&self, req: ApiRequest) -> impl Future<Output = ApiResult> + Send {
        not_implemented(req)
    }
}

/// A method listed in `METHODS` but not written: a mistake of the resource, a 500 that
/// says so in the log.
async fn not_implemented(req: ApiRequest) -> ApiResult {
    tracing::error!(
        "the resource lists {} in METHODS but does not implement it",
        req.method()
    );
    Err(ApiError::new(500))
}
