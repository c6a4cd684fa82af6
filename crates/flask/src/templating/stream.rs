//! Flask's `stream_template`: the page is sent in pieces while it renders, so a long page
//! never sits whole in memory and the browser starts on its `<head>` early.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderValue, header};
use http_body::Frame;
use minijinja::value::{Value, merge_maps};
use serde::Serialize;
use tokio::sync::mpsc;

use super::{request_values, template_error};
use crate::Error;
use crate::request::{CURRENT, RequestContext};

/// The size of the pieces sent while a template renders.
const CHUNK: usize = 8 * 1024;

/// How long a piece may wait for a client that does not read before rendering stops: a
/// stalled client must not hold a blocking thread for ever.
const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Flask's `stream_template`: renders `name` while the response is sent, in pieces of
/// about 8 KiB, with the same globals as [`render_template`](crate::render_template)
/// (`request`, `session`, `g`, `url_for`, context processors).
///
/// A missing template or a syntax error is a 500 before anything is sent. An error
/// while rendering is logged and cuts the response short: the status line has gone out
/// already. As in Flask, the session is saved before the body: a change a streamed
/// template makes to it (`get_flashed_messages` taking the messages) is not kept. Unlike
/// Flask's `stream_with_context`, `teardown_request` hooks run when the response starts,
/// not when the page is done: pass the template what it needs, rather than something a
/// teardown closes. A client that reads nothing for 60 seconds stops the rendering.
/// Extensions prepare what their template globals put into the session before the first
/// piece (flask-wtf's `csrf_token()` works in a streamed form).
///
/// ```
/// use flask::{Flask, stream_template_string, context, routing::get};
/// #[flask::view]
/// async fn rows() -> Result<flask::Response, flask::Error> {
///     let rows: Vec<u32> = (1..=3).collect();
///     stream_template_string("{% for r in rows %}<p>{{ r }}</p>{% endfor %}", context! { rows })
/// }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = Flask::new("demo").route("/", get(rows)).test_client();
/// assert_eq!(client.get("/").send().await.text(), "<p>1</p><p>2</p><p>3</p>");
/// # }
/// ```
pub fn stream_template(name: &str, context: impl Serialize) -> Result<Response, Error> {
    stream(Source::Name(name.to_owned()), context)
}

/// Flask's `stream_template_string`: streams `source` (escaped like an `.html` template).
pub fn stream_template_string(source: &str, context: impl Serialize) -> Result<Response, Error> {
    stream(Source::Text(source.to_owned()), context)
}

enum Source {
    Name(String),
    Text(String),
}

fn stream(source: Source, context: impl Serialize) -> Result<Response, Error> {
    let ctx = CURRENT.try_with(RequestContext::clone).map_err(|_| {
        Error::internal(
            "stream_template was called outside a request; use App::render_template there",
        )
    })?;
    let app = ctx.app_inner().clone();
    // A template that cannot load is an ordinary 500, before the response starts. The
    // render works on a copy of the environment: the reloader's lock is not held while a
    // slow client reads (every other render of the app would wait for it).
    let env = {
        let guard = app.templates.env()?;
        match &source {
            Source::Name(name) => guard.get_template(name).map(drop),
            Source::Text(text) => guard.template_from_str(text).map(drop),
        }
        .map_err(template_error)?;
        (*guard).clone()
    };
    for hook in &app.templates.before_stream {
        hook(&ctx)?;
    }
    let mut resp = if ctx.method() == http::Method::HEAD {
        // A HEAD gets the headers only: nothing to render.
        Response::new(Body::empty())
    } else {
        let values = merge_maps([request_values(&ctx), Value::from_serialize(&context)]);
        let (tx, rx) = mpsc::channel(2);
        let runtime = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let mut out = Pieces {
                tx,
                buf: Vec::with_capacity(CHUNK),
                runtime,
                stalled: false,
            };
            let rendered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                CURRENT.sync_scope(ctx, || {
                    let template = match &source {
                        Source::Name(name) => env.get_template(name)?,
                        Source::Text(text) => env.template_from_str(text)?,
                    };
                    template.render_captured_to(values, &mut out).map(drop)
                })
            }));
            match rendered {
                Ok(Ok(())) => out.finish(),
                // The client left or stopped reading: nobody to tell.
                Ok(Err(_)) if out.tx.is_closed() || out.stalled => {}
                Ok(Err(e)) => {
                    tracing::error!("streaming a template failed: {}", template_error(e));
                    out.fail("the template failed while streaming");
                }
                Err(_) => {
                    tracing::error!("a template global or filter panicked while streaming");
                    out.fail("the template panicked while streaming");
                }
            }
        });
        Response::new(Body::new(Streamed(rx)))
    };
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Ok(resp)
}

/// What the renderer writes, sent to the response body in pieces.
struct Pieces {
    tx: mpsc::Sender<Result<Bytes, io::Error>>,
    buf: Vec<u8>,
    runtime: tokio::runtime::Handle,
    /// The client stopped reading: rendering stopped, and nothing more is sent.
    stalled: bool,
}

impl Pieces {
    fn send(&mut self) -> io::Result<()> {
        let piece = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        let sent = self
            .runtime
            .block_on(tokio::time::timeout(SEND_TIMEOUT, self.tx.send(Ok(piece))));
        match sent {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the client went away",
            )),
            Err(_) => {
                self.stalled = true;
                tracing::warn!("a streamed template stopped: the client read nothing for 60 s");
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the client stopped reading",
                ))
            }
        }
    }

    fn finish(mut self) {
        if !self.buf.is_empty() {
            // A client that left needs no last piece.
            let _ = self.send();
        }
    }

    /// Ends the body with an error, so the client sees a cut response, not a whole page.
    fn fail(self, message: &'static str) {
        let error = Err(io::Error::other(message));
        let _ = self
            .runtime
            .block_on(tokio::time::timeout(SEND_TIMEOUT, self.tx.send(error)));
    }
}

impl io::Write for Pieces {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The response body: the pieces as the renderer sends them.
struct Streamed(mpsc::Receiver<Result<Bytes, io::Error>>);

impl http_body::Body for Streamed {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        self.0
            .poll_recv(cx)
            .map(|piece| piece.map(|r| r.map(Frame::data)))
    }
}
