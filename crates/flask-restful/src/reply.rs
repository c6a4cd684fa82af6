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
    /// Why this reply cannot be sent (data that does not serialize, a bad status or
    /// header): the Api answers a 500 and logs it, instead of a panic on the request path.
    pub(crate) fault: Option<String>,
}

/// What a resource method returns.
pub type ApiResult = Result<Reply, ApiError>;

/// `data` with status 200 (`return data`).
///
/// Data that cannot be serialized (a map with non-string keys, say) makes the answer a 500,
/// its cause logged.
pub fn reply(data: impl Serialize) -> Reply {
    let (data, fault) = match serde_json::to_value(data) {
        Ok(data) => (data, None),
        Err(e) => (
            Value::Null,
            Some(format!("the reply's data cannot be serialized: {e}")),
        ),
    };
    Reply {
        data,
        status: http::StatusCode::OK,
        headers: Vec::new(),
        fault,
    }
}

impl Reply {
    /// The status (`return data, 201`). A number that is not a status code (outside
    /// 100-999) makes the answer a 500, its cause logged.
    pub fn status(mut self, code: u16) -> Self {
        match http::StatusCode::from_u16(code) {
            Ok(status) => self.status = status,
            Err(_) => self.fail(format!("{code} is not an HTTP status")),
        }
        self
    }

    /// A header (`return data, 201, {"Location": ...}`). A name or value that is not valid
    /// in a header (a newline in a value taken from the request, say) makes the answer a
    /// 500, its cause logged, instead of sending it.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match checked_header(name, value) {
            Ok(header) => self.headers.push(header),
            Err(cause) => self.fail(cause),
        }
        self
    }

    fn fail(&mut self, cause: String) {
        self.fault.get_or_insert(cause);
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

/// A header for a response, or why it cannot be one.
pub(crate) fn checked_header(
    name: &str,
    value: &str,
) -> Result<(http::HeaderName, http::HeaderValue), String> {
    let name = http::HeaderName::from_bytes(name.as_bytes())
        .map_err(|e| format!("{name:?} is not a header name: {e}"))?;
    let value = http::HeaderValue::from_str(value)
        .map_err(|e| format!("{value:?} is not a valid value for {name}: {e}"))?;
    Ok((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_statuses_headers_and_data_are_faults_not_panics() {
        assert_eq!(reply(1).status(201).header("Location", "/x").fault, None);
        let bad = [
            reply(1).status(1000),
            reply(1).header("Location", "/x\r\nSet-Cookie: a=b"),
            reply(1).header("bad name", "v"),
            reply(std::collections::HashMap::from([((1, 2), 3)])),
        ];
        for r in bad {
            assert!(r.fault.is_some(), "{r:?}");
        }
        // The first cause is kept.
        let r = reply(1).status(1000).header("bad name", "v");
        assert_eq!(r.fault.as_deref(), Some("1000 is not an HTTP status"));
    }
}
