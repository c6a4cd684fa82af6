//! Reading the CSRF token a form posts, before routing: a tower layer that buffers an
//! urlencoded body (within `MAX_FORM_MEMORY_SIZE`, as the form extractors would), finds the
//! token field, and hands the body on untouched. The check itself runs later, in a
//! `before_request` hook that knows the endpoint (for exemptions).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use flask::{Error, Method, Route, StatusCode};
use http::header;
use http_body_util::{BodyExt, Limited};

/// The token found in the request's form body, if any (in the request's extensions).
#[derive(Debug, Clone)]
pub(crate) struct BodyToken(pub(crate) Option<String>);

/// The layer: which methods carry a body to look into, the field's name, the size limit.
#[derive(Clone)]
pub(crate) struct TokenFromBody {
    pub(crate) methods: Vec<Method>,
    pub(crate) field_name: String,
    pub(crate) limit: usize,
}

impl tower::Layer<Route> for TokenFromBody {
    type Service = TokenFromBodyService;

    fn layer(&self, inner: Route) -> Self::Service {
        TokenFromBodyService {
            inner,
            config: self.clone(),
        }
    }
}

/// The layer's service.
#[derive(Clone)]
pub(crate) struct TokenFromBodyService {
    inner: Route,
    config: TokenFromBody,
}

fn is_urlencoded(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// The token field of an urlencoded body: `csrf_token`, else a field whose name ends with it
/// (a form prefixed `login-csrf_token`), as Flask-WTF looks for it.
fn find_token(body: &[u8], field: &str) -> Option<String> {
    let mut suffixed = None;
    for (k, v) in form_urlencoded::parse(body) {
        if v.is_empty() {
            continue;
        }
        if k == field {
            return Some(v.into_owned());
        }
        if suffixed.is_none() && k.ends_with(field) {
            suffixed = Some(v.into_owned());
        }
    }
    suffixed
}

impl tower::Service<Request> for TokenFromBodyService {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let mut inner = self.inner.clone();
        if !self.config.methods.contains(req.method()) || !is_urlencoded(&req) {
            return Box::pin(async move { inner.call(req).await });
        }
        let field = self.config.field_name.clone();
        let limit = self.config.limit;
        Box::pin(async move {
            let (mut parts, body) = req.into_parts();
            let bytes = match Limited::new(body, limit).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(e) => {
                    let too_large = e
                        .downcast_ref::<http_body_util::LengthLimitError>()
                        .is_some();
                    let resp = if too_large {
                        Error::with_description(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "The form data is larger than MAX_FORM_MEMORY_SIZE allows.",
                        )
                    } else {
                        Error::with_description(
                            StatusCode::BAD_REQUEST,
                            format!("The request body could not be read: {e}"),
                        )
                    };
                    return Ok(resp.into_response());
                }
            };
            parts
                .extensions
                .insert(BodyToken(find_token(&bytes, &field)));
            inner
                .call(Request::from_parts(parts, Body::from(bytes)))
                .await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::find_token;

    #[test]
    fn finds_the_field_or_a_prefixed_one() {
        assert_eq!(
            find_token(b"a=1&csrf_token=t%2Bk&b=2", "csrf_token").as_deref(),
            Some("t+k")
        );
        assert_eq!(
            find_token(b"login-csrf_token=p&x=1", "csrf_token").as_deref(),
            Some("p")
        );
        assert_eq!(
            find_token(b"login-csrf_token=p&csrf_token=q", "csrf_token").as_deref(),
            Some("q")
        );
        assert_eq!(find_token(b"csrf_token=&a=1", "csrf_token"), None);
        assert_eq!(find_token(b"", "csrf_token"), None);
    }
}
