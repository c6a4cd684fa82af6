//! Errors of an API: Flask-RESTful's `abort(status, message=..., **extra)`, answered as
//! `{"message": "..."}` plus the extra keys, and the error table (`errors=`).

use serde_json::{Map, Value};

/// An API error: a status and a JSON body, `{"message": ...}` plus any extra keys
/// (Flask-RESTful's `abort`). The Api renders it in the negotiated representation.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub(crate) status: http::StatusCode,
    pub(crate) body: Map<String, Value>,
    pub(crate) headers: Vec<(http::HeaderName, http::HeaderValue)>,
    /// The error it came from, for the Api's error table.
    pub(crate) source: Option<flask::Error>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.body.get("message") {
            Some(Value::String(m)) => write!(f, "{} {m}", self.status.as_u16()),
            Some(other) => write!(f, "{} {other}", self.status.as_u16()),
            None => write!(f, "{}", self.status),
        }
    }
}

impl std::error::Error for ApiError {}

/// Werkzeug's description of a status, Flask-RESTful's message when none is given.
pub(crate) fn default_message(status: http::StatusCode) -> String {
    let text = match status.as_u16() {
        400 => "The browser (or proxy) sent a request that this server could not understand.",
        401 => {
            "The server could not verify that you are authorized to access the URL requested. \
             You either supplied the wrong credentials (e.g. a bad password), or your browser \
             doesn't understand how to supply the credentials required."
        }
        403 => {
            "You don't have the permission to access the requested resource. It is either \
             read-protected or not readable by the server."
        }
        404 => {
            "The requested URL was not found on the server. If you entered the URL manually \
             please check your spelling and try again."
        }
        405 => "The method is not allowed for the requested URL.",
        406 => {
            "The resource identified by the request is only capable of generating response \
             entities which have content characteristics not acceptable according to the \
             accept headers sent in the request."
        }
        409 => {
            "A conflict happened while processing the request. The resource might have been \
             modified while the request was being processed."
        }
        413 => "The data value transmitted exceeds the capacity limit.",
        415 => "The server does not support the media type transmitted in the request.",
        422 => "The request was well-formed but was unable to be followed due to semantic errors.",
        500 => {
            "The server encountered an internal error and was unable to complete your request. \
             Either the server is overloaded or there is an error in the application."
        }
        _ => return status.canonical_reason().unwrap_or("Error").to_owned(),
    };
    text.to_owned()
}

/// Flask-RESTful's `abort(status, message=...)`: the error to return (`Err(abort(404,
/// "Todo todo9 doesn't exist"))?`). Add keys with [`ApiError::with`].
///
/// ```
/// let e = flask_restful::abort(404, "Todo todo9 doesn't exist").with("todo_id", "todo9");
/// assert_eq!(e.status().as_u16(), 404);
/// assert_eq!(e.body()["message"], "Todo todo9 doesn't exist");
/// assert_eq!(e.body()["todo_id"], "todo9");
/// ```
pub fn abort(status: u16, message: impl Into<Value>) -> ApiError {
    ApiError::new(status).message(message)
}

impl ApiError {
    /// An error with this status and Werkzeug's description as its message (a status that
    /// is not an error status is a 500).
    pub fn new(status: u16) -> Self {
        let status = http::StatusCode::from_u16(status)
            .ok()
            .filter(|s| s.is_client_error() || s.is_server_error())
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        let mut body = Map::new();
        body.insert("message".to_owned(), Value::String(default_message(status)));
        ApiError {
            status,
            body,
            headers: Vec::new(),
            source: None,
        }
    }

    /// The message (a string, or anything JSON: argument errors give an object).
    pub fn message(mut self, message: impl Into<Value>) -> Self {
        self.body.insert("message".to_owned(), message.into());
        self
    }

    /// Another key of the body (`abort(400, "...").with("field", "task")`).
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.body.insert(key.to_owned(), value.into());
        self
    }

    /// A header of the response (`WWW-Authenticate` on a 401, say). A name or value that
    /// is not valid in a header is left out and logged; the error is still answered.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match crate::reply::checked_header(name, value) {
            Ok(header) => self.headers.push(header),
            Err(cause) => tracing::error!("a header of an API error is left out: {cause}"),
        }
        self
    }

    /// The status.
    pub fn status(&self) -> http::StatusCode {
        self.status
    }

    /// The body: `{"message": ...}` and the extra keys.
    pub fn body(&self) -> &Map<String, Value> {
        &self.body
    }
}

impl From<flask::Error> for ApiError {
    /// A flask error (a `?` on a database call, `abort(404)`) as an API error: its status
    /// and description; a 500's cause is logged, not shown.
    fn from(e: flask::Error) -> Self {
        let mut out = if e.status().is_server_error() {
            ApiError::new(e.code())
        } else {
            let mut out = ApiError::new(e.code()).message(e.description().to_owned());
            for (name, value) in e.headers() {
                out.headers.push((name.clone(), value.clone()));
            }
            out
        };
        out.source = Some(e);
        out
    }
}

impl axum::response::IntoResponse for ApiError {
    /// As JSON (outside an Api's negotiation: in a `before_request` hook, say).
    fn into_response(self) -> axum::response::Response {
        let mut resp = crate::negotiate::output_json(&Value::Object(self.body), self.status, false);
        for (name, value) in self.headers {
            resp.headers_mut().append(name, value);
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::ApiError;

    #[test]
    fn a_bad_header_is_left_out_not_a_panic() {
        let e = ApiError::new(401)
            .header("WWW-Authenticate", "Bearer")
            .header("X-Bad", "line\r\nbreak")
            .header("bad name", "v");
        assert_eq!(e.status().as_u16(), 401);
        let names: Vec<&str> = e.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["www-authenticate"]);
    }
}
