//! Flask's `stream_with_context`: a streamed body that runs inside its request, whose
//! `teardown_request` hooks wait for the last byte.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::Stream;
use http::{HeaderValue, header};

use crate::request::{CURRENT, RequestContext, TeardownGuard};

/// Flask's `stream_with_context(generator)`: `stream` is polled inside the request that
/// made it, so `url_for`, the `Session`, `g` and `render_template` work while the body is
/// sent; and the request's `teardown_request` hooks (closing a database session, say) run
/// after the last item, or when the client goes away, instead of when the response starts.
///
/// Return it as the response (a `text/html` body of the items, as Flask's default
/// mimetype), with headers in a tuple for another type, or hand it to an
/// [`EventStream`](crate::sse::EventStream) when its items are events.
///
/// ```
/// use flask::{Flask, RequestContext, routing::get, stream_with_context};
/// use futures_util::stream;
///
/// #[flask::view]
/// async fn report() -> impl flask::IntoResponse {
///     let rows = stream::iter(1..=3).map(|n| {
///         // Inside the request: url_for works while the body is sent.
///         let ctx = RequestContext::try_current().unwrap();
///         format!("{n},{}\n", ctx.url_for("report").build().unwrap())
///     });
///     ([(http::header::CONTENT_TYPE, "text/csv")], stream_with_context(rows))
/// }
/// # use futures_util::StreamExt as _;
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = Flask::new("demo").route("/report.csv", get(report)).test_client();
/// let resp = client.get("/report.csv").send().await;
/// assert_eq!(resp.text(), "1,/report.csv\n2,/report.csv\n3,/report.csv\n");
/// assert_eq!(resp.header("content-type"), Some("text/csv"));
/// # }
/// ```
///
/// Outside a request it is the stream as it is.
pub fn stream_with_context<S: Stream>(stream: S) -> ContextStream<S> {
    let ctx = RequestContext::try_current();
    let teardown = ctx.as_ref().map(RequestContext::defer_teardown);
    ContextStream {
        stream: Box::pin(stream),
        ctx,
        teardown,
    }
}

/// The stream [`stream_with_context`] makes.
#[must_use = "a stream does nothing unless it is returned or polled"]
pub struct ContextStream<S> {
    stream: Pin<Box<S>>,
    ctx: Option<RequestContext>,
    /// Dropped after the last item: the request's teardown runs then.
    teardown: Option<TeardownGuard>,
}

impl<S> std::fmt::Debug for ContextStream<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContextStream")
            .field("ctx", &self.ctx)
            .finish_non_exhaustive()
    }
}

impl<S: Stream> Stream for ContextStream<S> {
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let this = &mut *self;
        let polled = match &this.ctx {
            Some(ctx) => CURRENT.sync_scope(ctx.clone(), || this.stream.as_mut().poll_next(cx)),
            None => this.stream.as_mut().poll_next(cx),
        };
        if let Poll::Ready(None) = polled {
            // The last byte: the teardown may run now.
            this.teardown = None;
        }
        polled
    }
}

impl<S> IntoResponse for ContextStream<S>
where
    S: Stream + Send + 'static,
    S::Item: Into<Bytes>,
{
    fn into_response(self) -> Response {
        use futures_util::StreamExt as _;
        let body =
            Body::from_stream(self.map(|item| Ok::<_, std::convert::Infallible>(item.into())));
        let mut resp = Response::new(body);
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        resp
    }
}
