//! The one error type handlers return, and Werkzeug's default error pages.

use std::backtrace::Backtrace;
use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};

/// The error type of handlers, hooks and extractors: an HTTP status with an optional
/// description and, for failures that are not HTTP errors, the underlying error.
///
/// `?` converts any `std::error::Error` (and `String` / `&str`) into a 500. Returning it
/// produces Werkzeug's error page for the status, after the app's
/// [error handlers](crate::Flask::errorhandler) had their say. A 500 never shows its cause
/// unless `DEBUG` is on; the cause is logged with `tracing`.
///
/// The same value reaches error handlers as an extractor, so they can read the status,
/// the description or downcast the cause.
///
/// ```
/// use flask::{Error, abort, abort_with};
///
/// fn find(id: i64) -> Result<&'static str, Error> {
///     if id < 0 {
///         return Err(abort_with(400, "ids are positive"));
///     }
///     let n: i64 = "7".parse()?; // a ParseIntError would become a 500
///     if id > n {
///         return Err(abort(404));
///     }
///     Ok("found")
/// }
/// assert_eq!(find(9).unwrap_err().code(), 404);
/// assert_eq!(find(-1).unwrap_err().description(), "ids are positive");
/// ```
#[derive(Clone)]
pub struct Error {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    status: StatusCode,
    description: Option<String>,
    source: Option<Arc<dyn StdError + Send + Sync>>,
    headers: HeaderMap,
    /// Where the failure was turned into an `Error`; captured only in debug mode.
    backtrace: Option<Arc<Backtrace>>,
}

/// Marks a response as made from an [`Error`], so the dispatcher can run error handlers.
#[derive(Clone)]
pub(crate) struct ErrorMarker(pub(crate) Error);

impl Error {
    /// An HTTP error with Werkzeug's description for `status`.
    pub fn new(status: StatusCode) -> Self {
        Error {
            inner: Arc::new(Inner {
                status,
                description: None,
                source: None,
                headers: HeaderMap::new(),
                backtrace: None,
            }),
        }
    }

    /// An HTTP error with its own description (shown in the page, HTML-escaped).
    pub fn with_description(status: StatusCode, description: impl Into<String>) -> Self {
        let mut e = Error::new(status);
        e.inner_mut().description = Some(description.into());
        e
    }

    /// A 500 caused by `source`.
    ///
    /// In a request of an app in debug mode, this also captures a backtrace for the
    /// debug page (see [`Error::backtrace`]).
    pub fn internal(source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        let mut e = Error::new(StatusCode::INTERNAL_SERVER_ERROR);
        let inner = e.inner_mut();
        inner.source = Some(Arc::from(source.into()));
        inner.backtrace = crate::dev::backtrace::capture();
        e
    }

    /// Adds a header to the error response (`Allow`, `WWW-Authenticate`, `Retry-After`...).
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.inner_mut().headers.append(name, value);
        self
    }

    /// Attaches a cause, keeping the status.
    pub fn with_source(mut self, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        let inner = self.inner_mut();
        inner.source = Some(Arc::from(source.into()));
        if inner.backtrace.is_none() {
            inner.backtrace = crate::dev::backtrace::capture();
        }
        self
    }

    /// Replaces the captured backtrace (a panic's is taken where it panicked).
    pub(crate) fn set_backtrace(mut self, backtrace: Option<Arc<Backtrace>>) -> Self {
        if backtrace.is_some() {
            self.inner_mut().backtrace = backtrace;
        }
        self
    }

    /// The backtrace of where the failure became an `Error` (or where the handler
    /// panicked). Captured only during requests of an app in debug mode, where the debug
    /// page shows it; `None` otherwise.
    pub fn backtrace(&self) -> Option<&Backtrace> {
        self.inner.backtrace.as_deref()
    }

    fn inner_mut(&mut self) -> &mut Inner {
        Arc::make_mut(&mut self.inner)
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.inner.status
    }

    /// The status as a number, like Werkzeug's `e.code`.
    pub fn code(&self) -> u16 {
        self.inner.status.as_u16()
    }

    /// The status' name, like Werkzeug's `e.name` ("Not Found").
    pub fn name(&self) -> &'static str {
        self.inner
            .status
            .canonical_reason()
            .unwrap_or("Unknown Error")
    }

    /// The description shown in the error page.
    pub fn description(&self) -> &str {
        self.inner
            .description
            .as_deref()
            .unwrap_or_else(|| default_description(self.inner.status))
    }

    /// Extra headers of the error response.
    pub fn headers(&self) -> &HeaderMap {
        &self.inner.headers
    }

    /// The cause, for errors converted with `?`.
    pub fn source(&self) -> Option<&(dyn StdError + Send + Sync + 'static)> {
        self.inner.source.as_deref()
    }

    /// The cause as a concrete type, looking through its `source()` chain.
    pub fn downcast_ref<T: StdError + 'static>(&self) -> Option<&T> {
        let mut cur: Option<&(dyn StdError + 'static)> = match self.source() {
            Some(s) => Some(s),
            None => None,
        };
        while let Some(e) = cur {
            if let Some(t) = e.downcast_ref::<T>() {
                return Some(t);
            }
            cur = e.source();
        }
        None
    }

    /// The cause and its sources, one line each (empty for plain HTTP errors).
    pub fn chain(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut cur: Option<&(dyn StdError + 'static)> = match self.source() {
            Some(s) => Some(s),
            None => None,
        };
        while let Some(e) = cur {
            out.push(e.to_string());
            cur = e.source();
        }
        out
    }

    /// Werkzeug's HTML page for this error (never the cause: that is for the debug page).
    pub(crate) fn page(&self) -> String {
        format!(
            "<!doctype html>\n<html lang=en>\n<title>{code} {name}</title>\n<h1>{name}</h1>\n<p>{desc}</p>\n",
            code = self.code(),
            name = self.name(),
            desc = escape_html(self.description()),
        )
    }

    /// The response for this error: with `details` (debug mode) and a cause, the debug
    /// page; else Werkzeug's page.
    pub(crate) fn to_response(&self, details: bool) -> Response {
        let page = if details && self.source().is_some() {
            let ctx = crate::request::CURRENT.try_with(Clone::clone).ok();
            crate::dev::debug_page::render(self, ctx.as_ref())
        } else {
            self.page()
        };
        let mut resp = (
            self.status(),
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            page,
        )
            .into_response();
        for (k, v) in self.headers() {
            resp.headers_mut().append(k, v.clone());
        }
        resp
    }
}

impl<E> From<E> for Error
where
    E: Into<Box<dyn StdError + Send + Sync + 'static>>,
{
    fn from(e: E) -> Self {
        Error::internal(e)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("status", &self.inner.status);
        if let Some(desc) = &self.inner.description {
            d.field("description", desc);
        }
        if let Some(src) = &self.inner.source {
            d.field("source", src);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.code(), self.name(), self.description())?;
        if let Some(src) = self.source() {
            write!(f, ": {src}")?;
        }
        Ok(())
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let mut resp = self.to_response(false);
        resp.extensions_mut().insert(ErrorMarker(self));
        resp
    }
}

/// Werkzeug's `abort(code)`: an [`Error`] to return (`return Err(abort(404))`).
///
/// A code outside 400-599 gives a 500 whose cause says so.
pub fn abort(code: u16) -> Error {
    match error_status(code) {
        Ok(status) => Error::new(status),
        Err(e) => e,
    }
}

fn error_status(code: u16) -> Result<StatusCode, Error> {
    match StatusCode::from_u16(code) {
        Ok(s) if (400..600).contains(&code) => Ok(s),
        _ => Err(Error::internal(format!(
            "abort() was called with {code}, which is not an error status (400-599)"
        ))),
    }
}

/// `abort(code, description)`: an [`Error`] whose page shows `description`.
pub fn abort_with(code: u16, description: impl Into<String>) -> Error {
    match error_status(code) {
        Ok(status) => Error::with_description(status, description),
        Err(e) => e,
    }
}

/// Escapes `& < > " '` for HTML text and attributes, like MarkupSafe's `escape`.
///
/// ```
/// assert_eq!(flask::escape("<script>"), "&lt;script&gt;");
/// ```
pub fn escape(s: &str) -> String {
    escape_html(s)
}

pub(crate) fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Werkzeug's description of each status.
pub(crate) fn default_description(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "The browser (or proxy) sent a request that this server could not understand.",
        401 => {
            "The server could not verify that you are authorized to access the URL requested. You either supplied the wrong credentials (e.g. a bad password), or your browser doesn't understand how to supply the credentials required."
        }
        403 => {
            "You don't have the permission to access the requested resource. It is either read-protected or not readable by the server."
        }
        404 => {
            "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again."
        }
        405 => "The method is not allowed for the requested URL.",
        406 => {
            "The resource identified by the request is only capable of generating response entities which have content characteristics not acceptable according to the accept headers sent in the request."
        }
        408 => {
            "The server closed the network connection because the browser didn't finish the request within the specified time."
        }
        409 => {
            "A conflict happened while processing the request. The resource might have been modified while the request was being processed."
        }
        410 => {
            "The requested URL is no longer available on this server and there is no forwarding address. If you followed a link from a foreign page, please contact the author of this page."
        }
        411 => "A request with this method requires a valid <code>Content-Length</code> header.",
        412 => "The precondition on the request for the URL failed positive evaluation.",
        413 => "The data value transmitted exceeds the capacity limit.",
        414 => {
            "The length of the requested URL exceeds the capacity limit for this server. The request cannot be processed."
        }
        415 => "The server does not support the media type transmitted in the request.",
        416 => "The server cannot provide the requested range.",
        417 => "The server could not meet the requirements of the Expect header",
        418 => "This server is a teapot, not a coffee machine",
        422 => "The request was well-formed but was unable to be followed due to semantic errors.",
        423 => "The resource that is being accessed is locked.",
        424 => {
            "The method could not be performed on the resource because the requested action depended on another action and that action failed."
        }
        428 => {
            "This request is required to be conditional; try using \"If-Match\" or \"If-Unmodified-Since\"."
        }
        429 => "This user has exceeded an allotted request count. Try again later.",
        431 => "One or more header fields exceeds the maximum size.",
        451 => "The server is unable to process your request due to legal reasons.",
        500 => {
            "The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application."
        }
        501 => "The server does not support the action requested by the browser.",
        502 => "The proxy server received an invalid response from an upstream server.",
        503 => {
            "The server is temporarily unable to service your request due to maintenance downtime or capacity problems. Please try again later."
        }
        504 => "The connection to an upstream server timed out.",
        505 => "The server does not support the HTTP protocol version used in the request.",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("disk on fire")]
    struct Fire;

    #[derive(Debug, thiserror::Error)]
    #[error("could not save")]
    struct Save(#[source] Fire);

    #[test]
    fn question_mark_gives_500_with_source() {
        fn f() -> Result<(), Error> {
            Err(Save(Fire))?
        }
        let e = f().unwrap_err();
        assert_eq!(e.code(), 500);
        assert!(e.downcast_ref::<Fire>().is_some());
        assert_eq!(e.chain(), ["could not save", "disk on fire"]);
        assert!(!e.page().contains("disk on fire"));
        assert!(crate::dev::debug_page::render(&e, None).contains("disk on fire"));
    }

    #[test]
    fn descriptions_are_escaped() {
        let e = abort_with(400, "<b>bad</b>");
        assert!(e.page().contains("&lt;b&gt;bad&lt;/b&gt;"));
        assert_eq!(abort(404).name(), "Not Found");
        assert_eq!(abort(999).code(), 500);
    }
}
