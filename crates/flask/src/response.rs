//! Flask's response helpers: `redirect`, `jsonify`, and the HEAD body stripping.

use axum::body::Body;
use axum::response::{IntoResponse, IntoResponseParts, Response};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;

use crate::error::{Error, escape_html};

/// A redirect response (302 by default), with Werkzeug's small HTML body.
///
/// ```
/// use flask::redirect;
/// use axum::response::IntoResponse;
/// let resp = redirect("/login").into_response();
/// assert_eq!(resp.status(), 302);
/// assert_eq!(resp.headers()["location"], "/login");
/// ```
#[derive(Debug, Clone)]
#[must_use = "return the redirect from the handler"]
pub struct Redirect {
    location: String,
    status: StatusCode,
}

/// Redirects to `location` with a 302, like Flask's `redirect(location)`.
pub fn redirect(location: impl Into<String>) -> Redirect {
    Redirect {
        location: location.into(),
        status: StatusCode::FOUND,
    }
}

/// Redirects with another status: 301, 302, 303, 307 or 308, like `redirect(location, code)`.
///
/// Any other code gives a 302.
pub fn redirect_with(location: impl Into<String>, code: u16) -> Redirect {
    let status = match code {
        301 | 302 | 303 | 307 | 308 => StatusCode::from_u16(code).unwrap_or(StatusCode::FOUND),
        _ => StatusCode::FOUND,
    };
    Redirect {
        location: location.into(),
        status,
    }
}

impl Redirect {
    /// The target.
    pub fn location(&self) -> &str {
        &self.location
    }
}

impl IntoResponse for Redirect {
    fn into_response(self) -> Response {
        let Ok(location) = HeaderValue::from_str(&self.location) else {
            return Error::internal(format!(
                "cannot redirect to {:?}: not a valid header value (percent-encode it, e.g. with url_for)",
                self.location
            ))
            .into_response();
        };
        let escaped = escape_html(&self.location);
        let body = format!(
            "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n<p>You should be redirected automatically to the target URL: <a href=\"{escaped}\">{escaped}</a>. If not, click the link.\n"
        );
        (
            self.status,
            [
                (header::LOCATION, location),
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                ),
            ],
            body,
        )
            .into_response()
    }
}

/// Serializes `value` to a JSON response (`application/json`), like Flask's `jsonify`.
///
/// A value that cannot be serialized gives a 500 naming the cause.
///
/// ```
/// use flask::jsonify;
/// use serde_json::json;
/// let resp = jsonify(json!({"username": "admin"}));
/// assert_eq!(resp.headers()["content-type"], "application/json");
/// ```
pub fn jsonify<T: Serialize>(value: T) -> Response {
    let mut buf = Vec::with_capacity(128);
    match serde_json::to_writer(&mut buf, &value) {
        Ok(()) => {
            let mut resp = Response::new(Body::from(buf));
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            resp
        }
        Err(e) => Error::internal(e).into_response(),
    }
}

/// The tuples Flask views return, in Flask's order: `(body, status)` and
/// `(body, status, headers)`, with the status as a number or a [`StatusCode`].
///
/// Handlers can return axum's tuples directly, but those put the status first
/// (`(StatusCode::CREATED, body)`); [`make_response`] takes Flask's order.
pub trait FlaskTuple {
    /// Builds the response.
    fn into_flask_response(self) -> Response;
}

fn status_of(code: u16) -> Result<StatusCode, Error> {
    StatusCode::from_u16(code)
        .map_err(|_| Error::internal(format!("{code} is not an HTTP status (100-999)")))
}

impl<B: IntoResponse> FlaskTuple for (B, StatusCode) {
    fn into_flask_response(self) -> Response {
        (self.1, self.0).into_response()
    }
}

impl<B: IntoResponse> FlaskTuple for (B, u16) {
    fn into_flask_response(self) -> Response {
        match status_of(self.1) {
            Ok(status) => (status, self.0).into_response(),
            Err(e) => e.into_response(),
        }
    }
}

impl<B: IntoResponse, H: IntoResponseParts> FlaskTuple for (B, StatusCode, H) {
    fn into_flask_response(self) -> Response {
        (self.1, self.2, self.0).into_response()
    }
}

impl<B: IntoResponse, H: IntoResponseParts> FlaskTuple for (B, u16, H) {
    fn into_flask_response(self) -> Response {
        match status_of(self.1) {
            Ok(status) => (status, self.2, self.0).into_response(),
            Err(e) => e.into_response(),
        }
    }
}

/// Flask's `make_response`: a response from Flask's `(body, status[, headers])` tuple.
///
/// ```
/// use flask::{Response, make_response};
/// async fn create() -> Response {
///     make_response(("created", 201, [("Location", "/todos/1")]))
/// }
/// let resp = make_response(("Not here", 404));
/// assert_eq!(resp.status(), 404);
/// ```
pub fn make_response(tuple: impl FlaskTuple) -> Response {
    tuple.into_flask_response()
}

/// For HEAD: the GET response's headers, without its body.
pub(crate) fn strip_body(resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    if !parts.headers.contains_key(header::CONTENT_LENGTH)
        && let Some(n) = http_body::Body::size_hint(&body).exact()
    {
        parts
            .headers
            .insert(header::CONTENT_LENGTH, HeaderValue::from(n));
    }
    Response::from_parts(parts, Body::empty())
}
