//! Reading the CSRF token a form posts, before routing: a tower layer that buffers an
//! urlencoded body (within `MAX_FORM_MEMORY_SIZE`, as the form extractors would), finds the
//! token field, and hands the body on untouched. The check itself runs later, in a
//! `before_request` hook that knows the endpoint (for exemptions).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use flask::Method;
use flask::routing::Route;
use http::header;
use http_body_util::BodyExt;

/// The token found in the request's form body, if any (in the request's extensions), and,
/// when the body was too large to look into, the config key whose limit it passed.
#[derive(Debug, Clone)]
pub(crate) struct BodyToken {
    pub(crate) token: Option<String>,
    pub(crate) too_large: Option<&'static str>,
}

/// The layer: which methods carry a body to look into, the field's name, the size limit.
#[derive(Clone)]
pub(crate) struct TokenFromBody {
    pub(crate) methods: Vec<Method>,
    pub(crate) field_name: String,
    /// `MAX_FORM_MEMORY_SIZE`, else `MAX_CONTENT_LENGTH` (none: no limit).
    pub(crate) limit: Option<usize>,
    /// Which of the two the limit is.
    pub(crate) limit_key: &'static str,
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

fn content_type_is(req: &Request, wanted: &str) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(wanted))
}

/// How much of a multipart body is read looking for the token before giving up: the
/// token field comes first in forms rendered with `hidden_tag()`.
const MULTIPART_PREFIX: usize = 64 * 1024;

/// What was read of a body while looking for the token: its chunks, how many bytes, and
/// the error it ended with, if any (given to the view after the chunks).
#[derive(Default)]
struct Seen {
    chunks: Vec<Bytes>,
    len: usize,
    error: Option<axum::Error>,
}

/// A body whose frames are also kept, for replaying what was read (see [`Replay`]).
struct Recorder {
    inner: Arc<Mutex<Option<Body>>>,
    seen: Arc<Mutex<Seen>>,
    burst: usize,
}

impl http_body::Body for Recorder {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        // A few chunks at a time (multer reads ahead while data is ready), and nothing
        // past the prefix: the rest stays in the body for the view.
        if self.burst >= 16 {
            self.burst = 0;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if lock(&self.seen).len > MULTIPART_PREFIX {
            // The end, as far as the search goes; the rest stays for the view.
            return Poll::Ready(None);
        }
        let mut inner = lock(&self.inner);
        let Some(body) = inner.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = Pin::new(body).poll_frame(cx);
        if let Poll::Ready(Some(Err(_))) = &polled {
            // The view gets the error itself, after what was read.
            inner.take();
            drop(inner);
            if let Poll::Ready(Some(Err(e))) = polled {
                lock(&self.seen).error = Some(e);
            }
            return Poll::Ready(Some(Err(axum::Error::new("the request body failed"))));
        }
        drop(inner);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            let mut seen = lock(&self.seen);
            seen.len += data.len();
            seen.chunks.push(data.clone());
            drop(seen);
            self.burst += 1;
        }
        if polled.is_pending() {
            self.burst = 0;
        }
        polled
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What was read, then the rest of the body (or the error it ended with): the request's
/// body as sent.
struct Replay {
    read: std::collections::VecDeque<Bytes>,
    rest: Option<Body>,
    error: Option<axum::Error>,
}

impl http_body::Body for Replay {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        if let Some(chunk) = self.read.pop_front() {
            return Poll::Ready(Some(Ok(http_body::Frame::data(chunk))));
        }
        if let Some(e) = self.error.take() {
            return Poll::Ready(Some(Err(e)));
        }
        match self.rest.as_mut() {
            Some(body) => Pin::new(body).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.read.is_empty()
            && self
                .rest
                .as_ref()
                .is_none_or(http_body::Body::is_end_stream)
    }
}

/// The token field at the start of a multipart body; the body comes back whole.
async fn token_from_multipart(req: Request, field: &str) -> (Request, Option<String>) {
    let (parts, body) = req.into_parts();
    let inner = Arc::new(Mutex::new(Some(body)));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let boundary = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| multer::parse_boundary(v).ok());
    let mut token = None;
    if let Some(boundary) = boundary {
        let recorder = Recorder {
            inner: inner.clone(),
            seen: seen.clone(),
            burst: 0,
        };
        let stream = http_body_util::BodyExt::into_data_stream(recorder);
        let mut multipart = multer::Multipart::new(stream, boundary);
        while let Ok(Some(f)) = multipart.next_field().await {
            // Files are not read here; the token comes before them.
            if f.file_name().is_some() {
                break;
            }
            let name = f.name().unwrap_or("").to_owned();
            let Ok(value) = f.text().await else { break };
            if !value.is_empty() && (name == field || name.ends_with(field)) {
                token = Some(value);
                if name == field {
                    break;
                }
            }
        }
    }
    let seen = std::mem::take(&mut *lock(&seen));
    let rest = lock(&inner).take();
    let body = Body::new(Replay {
        read: seen.chunks.into(),
        rest,
        error: seen.error,
    });
    (Request::from_parts(parts, body), token)
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
        if !self.config.methods.contains(req.method()) {
            return Box::pin(async move { inner.call(req).await });
        }
        if content_type_is(&req, "multipart/form-data") {
            let field = self.config.field_name.clone();
            return Box::pin(async move {
                let (mut req, token) = token_from_multipart(req, &field).await;
                req.extensions_mut().insert(BodyToken {
                    token,
                    too_large: None,
                });
                inner.call(req).await
            });
        }
        if !content_type_is(&req, "application/x-www-form-urlencoded") {
            return Box::pin(async move { inner.call(req).await });
        }
        let field = self.config.field_name.clone();
        let limit = self.config.limit;
        let limit_key = self.config.limit_key;
        Box::pin(async move {
            let (mut parts, mut body) = req.into_parts();
            // Read within the form limit; a bigger body is passed on as it came, without a
            // token from it (exempt views may take it; the form extractors answer 413).
            let mut read = Vec::new();
            let mut len = 0usize;
            let mut over = false;
            let mut error = None;
            while let Some(frame) = body.frame().await {
                match frame {
                    Ok(frame) => {
                        if let Ok(data) = frame.into_data() {
                            len += data.len();
                            read.push(data);
                            if limit.is_some_and(|limit| len > limit) {
                                over = true;
                                break;
                            }
                        }
                    }
                    Err(e) => {
                        error = Some(e);
                        break;
                    }
                }
            }
            let (token, body) = if over || error.is_some() {
                let rest = if error.is_some() { None } else { Some(body) };
                let replay = Replay {
                    read: read.into(),
                    rest,
                    error,
                };
                (None, Body::new(replay))
            } else {
                let bytes: Bytes = read.concat().into();
                (find_token(&bytes, &field), Body::from(bytes))
            };
            parts.extensions.insert(BodyToken {
                token,
                too_large: over.then_some(limit_key),
            });
            inner.call(Request::from_parts(parts, body)).await
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
