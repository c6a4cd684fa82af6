//! What a resource method returns: data, with a status and headers (Flask-RESTful's
//! `data`, `(data, status)` and `(data, status, headers)`).

use serde::Serialize;
use serde_json::Value;

use crate::ApiError;

/// A resource's answer: data (anything `Serialize`), a status (200 by default) and headers.
/// The Api renders the data in the representation the client accepts (JSON by default).
///
/// ```
/// use flask_restful::{ApiResult, reply};
/// # #[derive(serde::Serialize)] struct Task { task: String }
/// fn created(task: Task) -> ApiResult {
///     Ok(reply(task).status(201).header("Location", "/todos/todo4"))
/// }
/// // Flask-RESTful's tuples work too:
/// fn created_too(task: Task) -> ApiResult {
///     Ok((task, 201).into())
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub(crate) data: Value,
    pub(crate) status: http::StatusCode,
    pub(crate) headers: Vec<(http::HeaderName, http::HeaderValue)>,
}

/// What a resource method returns.
pub type ApiResult = Result<Reply, ApiError>;

/// `data` with status 200 (`return data`).
///
/// # Panics
/// If `data` cannot be serialized (a map with non-string keys, say).
pub fn reply(data: impl Serialize) -> Reply {
    Reply {
        data: serde_json::to_value(data)
            .unwrap_or_else(|e| panic!("the reply's data cannot be serialized: {e}")),
        status: http::StatusCode::OK,
        headers: Vec::new(),
    }
}

impl Reply {
    /// The status (`return data, 201`).
    ///
    /// # Panics
    /// If `code` is not a status code.
    pub fn status(mut self, code: u16) -> Self {
        self.status = http::StatusCode::from_u16(code)
            .unwrap_or_else(|_| panic!("{code} is not an HTTP status"));
        self
    }

    /// A header (`return data, 201, {"Location": ...}`).
    ///
    /// # Panics
    /// If the name or value is not valid in a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = http::HeaderName::from_bytes(name.as_bytes())
            .unwrap_or_else(|e| panic!("bad header name {name:?}: {e}"));
        let value = http::HeaderValue::from_str(value)
            .unwrap_or_else(|e| panic!("bad header value {value:?}: {e}"));
        self.headers.push((name, value));
        self
    }

    /// The data.
    pub fn data(&self) -> &Value {
        &self.data
    }
}

impl<T: Serialize> From<(T, u16)> for Reply {
    fn from((data, status): (T, u16)) -> Self {
        reply(data).status(status)
    }
}

impl<T: Serialize, const N: usize> From<(T, u16, [(&str, &str); N])> for Reply {
    fn from((data, status, headers): (T, u16, [(&str, &str); N])) -> Self {
        headers
            .into_iter()
            .fold(reply(data).status(status), |r, (n, v)| r.header(n, v))
    }
}
