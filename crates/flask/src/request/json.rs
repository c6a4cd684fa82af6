//! JSON bodies in, JSON responses out.

use std::ops::Deref;

use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::body::read_body;
use crate::Error;

/// A JSON body deserialized into `T` (Flask's `request.get_json()`), and a JSON response
/// when returned.
///
/// Errors say what was wrong: 415 without a JSON content type, 400 `Failed to decode JSON
/// object: ...` for malformed JSON, 400 `Invalid JSON: field: ...` for a missing field or a
/// wrong type, 413 over `MAX_CONTENT_LENGTH` or with more keys and items than
/// `MAX_JSON_PARTS` (10 000).
///
/// ```
/// use flask::Json;
/// use serde::{Deserialize, Serialize};
/// #[derive(Deserialize, Serialize)]
/// struct Todo { title: String, done: bool }
/// #[flask::view]
/// async fn create(Json(todo): Json<Todo>) -> Json<Todo> { Json(todo) }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T> Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

fn is_json(req: &Request) -> bool {
    let Some(ct) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(&req) {
            return Err(Error::with_description(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Did not attempt to load JSON data because the request Content-Type was not 'application/json'.",
            ));
        }
        let ctx = crate::RequestContext::current(req.extensions());
        let limits = ctx
            .as_ref()
            .map(|ctx| super::BodyLimits::from_config(ctx.config()));
        let body = read_body(req, state).await?;
        if let Some(limits) = limits {
            limits.check_json(&body)?;
        }
        if let Some(ctx) = ctx {
            ctx.record_json(&body);
        }
        let mut de = serde_json::Deserializer::from_slice(&body);
        let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let inner = e.inner();
            let msg = if inner.is_syntax() || inner.is_eof() {
                format!("Failed to decode JSON object: {inner}")
            } else {
                format!("Invalid JSON: {}", super::multidict::describe(&e))
            };
            Error::with_description(StatusCode::BAD_REQUEST, msg)
        })?;
        de.end().map_err(|e| {
            Error::with_description(
                StatusCode::BAD_REQUEST,
                format!("Failed to decode JSON object: {e}"),
            )
        })?;
        Ok(Json(value))
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        crate::response::json_response(&self.0)
    }
}
