//! Content negotiation: the representation the client accepts (JSON by default), or 406.

use std::sync::Arc;

use axum::response::Response;
use serde_json::Value;

/// Renders data as one media type: `(data, status, debug)` to a response body and its
/// `Content-Type`.
pub type RepresentationFn = Arc<dyn Fn(&Value, http::StatusCode, bool) -> Response + Send + Sync>;

/// Flask-RESTful's `output_json`: `json.dumps(data)` and a newline, indented by 4 in debug
/// mode.
///
/// The text is byte for byte what Python writes: `", "` and `": "` between items (`","`
/// before a newline when indented), keys in the order they were inserted, and every
/// character outside printable ASCII escaped as `\uXXXX` (`ensure_ascii`).
pub(crate) fn output_json(data: &Value, status: http::StatusCode, debug: bool) -> Response {
    let mut text = flask::python_json::dumps(
        data,
        flask::python_json::DumpOptions {
            indent: debug.then_some(4),
            ..Default::default()
        },
    );
    text.push('\n');
    let mut resp = Response::new(axum::body::Body::from(text));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    resp
}

/// The media types of an `Accept` header, best first (by `q`, then as written).
fn accepted(accept: &str) -> Vec<(String, f32)> {
    let mut out: Vec<(String, f32)> = accept
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.split(';');
            let media = pieces.next()?.trim().to_ascii_lowercase();
            if media.is_empty() {
                return None;
            }
            let q = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            Some((media, q))
        })
        .filter(|(_, q)| *q > 0.0)
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

/// The media type to answer with, among `available` (the default first): the first the
/// `Accept` header allows, the default without one; `None` when nothing fits (a 406).
pub(crate) fn choose<'a>(accept: Option<&str>, available: &'a [String]) -> Option<&'a str> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return available.first().map(String::as_str);
    };
    for (media, _) in accepted(accept) {
        if media == "*/*" {
            return available.first().map(String::as_str);
        }
        if let Some(prefix) = media.strip_suffix("/*") {
            if let Some(found) = available
                .iter()
                .find(|a| a.split('/').next() == Some(prefix))
            {
                return Some(found);
            }
            continue;
        }
        if let Some(found) = available.iter().find(|a| **a == media) {
            return Some(found);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::choose;

    #[test]
    fn picks_by_accept() {
        let available = vec!["application/json".to_owned(), "text/csv".to_owned()];
        assert_eq!(choose(None, &available), Some("application/json"));
        assert_eq!(choose(Some("text/csv"), &available), Some("text/csv"));
        assert_eq!(
            choose(Some("text/html;q=0.9, text/csv;q=0.5"), &available),
            Some("text/csv")
        );
        assert_eq!(
            choose(Some("text/csv;q=0.4, application/json"), &available),
            Some("application/json")
        );
        assert_eq!(choose(Some("text/*"), &available), Some("text/csv"));
        assert_eq!(choose(Some("*/*"), &available), Some("application/json"));
        assert_eq!(choose(Some("application/xml"), &available), None);
        assert_eq!(choose(Some("text/csv;q=0"), &available), None);
    }
}
