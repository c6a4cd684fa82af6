//! Flask's response helpers: `redirect`, `jsonify`, and the HEAD body stripping.

use axum::body::Body;
use axum::response::{IntoResponse, IntoResponseParts, Response};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;

use crate::error::{Error, escape_html};

mod cookie;
mod stream;
pub use cookie::{ResponseExt, SetCookie};
pub use stream::{ContextStream, stream_with_context};

/// A redirect response (302 by default), with Werkzeug's small HTML body.
///
/// As in Flask, the location is sent through Werkzeug's `iri_to_uri`: non-ASCII characters
/// and spaces are percent-encoded, an international host name is sent in Punycode.
///
/// ```
/// use flask::redirect;
/// use axum::response::IntoResponse;
/// let resp = redirect("/login").into_response();
/// assert_eq!(resp.status(), 302);
/// assert_eq!(resp.headers()["location"], "/login");
/// let resp = redirect("/user/Jörg?q=a b").into_response();
/// assert_eq!(resp.headers()["location"], "/user/J%C3%B6rg?q=a%20b");
/// ```
#[derive(Debug, Clone)]
#[must_use = "return the redirect from the handler"]
pub struct Redirect {
    location: String,
    code: u16,
}

/// Redirects to `location` with a 302, like Flask's `redirect(location)`.
pub fn redirect(location: impl Into<String>) -> Redirect {
    Redirect {
        location: location.into(),
        code: 302,
    }
}

/// Redirects with another status, like `redirect(location, code)`: 301, 302, 303, 305, 307
/// and 308 are the redirects; as in Werkzeug any other status is sent as it is given (300
/// included). A number that is no HTTP status is a 500 naming it.
pub fn redirect_with(location: impl Into<String>, code: u16) -> Redirect {
    Redirect {
        location: location.into(),
        code,
    }
}

impl Redirect {
    /// The target, as given.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The status code.
    pub fn code(&self) -> u16 {
        self.code
    }
}

impl IntoResponse for Redirect {
    fn into_response(self) -> Response {
        let status = match status_of(self.code) {
            Ok(s) => s,
            Err(e) => return e.into_response(),
        };
        let Ok(location) = HeaderValue::from_str(&crate::urls::iri_to_uri(&self.location)) else {
            return Error::internal(format!(
                "cannot redirect to {:?}: not a valid header value",
                self.location
            ))
            .into_response();
        };
        let escaped = escape_html(&self.location);
        let body = format!(
            "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n<p>You should be redirected automatically to the target URL: <a href=\"{escaped}\">{escaped}</a>. If not, click the link.\n"
        );
        (
            status,
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

/// Flask's `jsonify`: `value` as the JSON Flask's default provider writes, byte for byte:
/// keys sorted, non-ASCII characters as `\uXXXX` (`ensure_ascii`), floats as Python writes
/// them, compact (`{"a":1}`), or indented by 2 in debug mode, and a final newline; the
/// content type `application/json`.
///
/// A value that cannot be serialized gives a 500 naming the cause. [`Json`](crate::Json)
/// writes the value as serde does instead (struct fields in order, UTF-8, no newline), which
/// is faster; either is valid JSON.
///
/// ```
/// use flask::jsonify;
/// use serde_json::json;
/// let resp = jsonify(json!({"username": "admin", "id": 1, "name": "Jörg"}));
/// assert_eq!(resp.headers()["content-type"], "application/json");
/// // The body is `{"id":1,"name":"J\u00f6rg","username":"admin"}` and a newline.
/// ```
pub fn jsonify<T: Serialize>(value: T) -> Response {
    let value = match serde_json::to_value(value) {
        Ok(v) => v,
        Err(e) => return Error::internal(e).into_response(),
    };
    let debug = crate::RequestContext::try_current().is_some_and(|ctx| ctx.app().debug());
    let options = crate::python_json::DumpOptions {
        indent: debug.then_some(2),
        compact: !debug,
        sort_keys: true,
    };
    let mut text = crate::python_json::dumps(&value, options);
    text.push('\n');
    let mut resp = Response::new(Body::from(text));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// `value` as serde writes it, in an `application/json` response (what [`Json`] sends).
///
/// [`Json`]: crate::Json
pub(crate) fn json_response<T: Serialize>(value: &T) -> Response {
    let mut buf = Vec::with_capacity(128);
    match serde_json::to_writer(&mut buf, value) {
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

/// The tuples Flask views return, in Flask's order: `(body, status)`, `(body, headers)` and
/// `(body, status, headers)`, with the status as a number or a [`StatusCode`] and the
/// headers as an array of pairs or a [`HeaderMap`](http::HeaderMap).
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

impl<B: IntoResponse, K, V, const N: usize> FlaskTuple for (B, [(K, V); N])
where
    [(K, V); N]: IntoResponseParts,
{
    fn into_flask_response(self) -> Response {
        (self.1, self.0).into_response()
    }
}

impl<B: IntoResponse> FlaskTuple for (B, http::HeaderMap) {
    fn into_flask_response(self) -> Response {
        (self.1, self.0).into_response()
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
/// #[flask::view]
/// async fn create() -> Response {
///     make_response(("created", 201, [("Location", "/todos/1")]))
/// }
/// let resp = make_response(("Not here", 404));
/// assert_eq!(resp.status(), 404);
/// let resp = make_response(("body", [("X-A", "1")]));
/// assert_eq!(resp.headers()["x-a"], "1");
/// ```
pub fn make_response(tuple: impl FlaskTuple) -> Response {
    tuple.into_flask_response()
}

/// For HEAD: the GET response's headers, without its body.
///
/// A 304, a 204 and a 1xx have no body whatever the method, so they get no
/// `Content-Length` either (Werkzeug sends none).
pub(crate) fn strip_body(resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bodiless = parts.status == StatusCode::NOT_MODIFIED
        || parts.status == StatusCode::NO_CONTENT
        || parts.status.is_informational();
    if !bodiless
        && !parts.headers.contains_key(header::CONTENT_LENGTH)
        && let Some(n) = http_body::Body::size_hint(&body).exact()
    {
        parts
            .headers
            .insert(header::CONTENT_LENGTH, HeaderValue::from(n));
    }
    Response::from_parts(parts, Body::empty())
}
