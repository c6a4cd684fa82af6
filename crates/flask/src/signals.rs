//! Flask's signals: functions told when a request starts and ends, when an error is not
//! handled, when a template renders, when a message is flashed.

use std::sync::Arc;

use axum::response::Response;

use crate::Error;

/// What happened, as Flask's signals (blinker) say it. Receivers registered with
/// [`Flask::connect`](crate::Flask::connect) get each one; inside a request,
/// [`RequestContext::try_current`](crate::RequestContext::try_current) gives its context
/// (Flask's `request`).
///
/// ```
/// use flask::{Flask, routing::get, signals::Signal};
/// use std::sync::{Arc, Mutex};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = seen.clone();
/// let app = Flask::new("demo")
///     .route("/", get(|| async { "hi" }))
///     .connect(move |signal: &Signal<'_>| {
///         if let Signal::RequestFinished { response } = signal {
///             log.lock().unwrap().push(response.status().as_u16());
///         }
///     });
/// # let _ = app;
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Signal<'a> {
    /// `request_started`: the request was matched and its context made, before the
    /// `url_value_preprocessor` and `before_request` functions.
    RequestStarted,
    /// `request_finished`: the response after the `after_request` hooks, with the session
    /// saved, before it is sent.
    RequestFinished {
        /// The response.
        response: &'a Response,
    },
    /// `got_request_exception`: a failure no type handler took (a `?` on another error, a
    /// panic), before the error handlers answer it. Sent in debug mode too.
    GotRequestException {
        /// The error.
        error: &'a Error,
    },
    /// `before_render_template`: a template is about to render (with its whole context:
    /// Flask's globals, context processors, the render call's values).
    BeforeRenderTemplate {
        /// The template's name, or `None` for `render_template_string`.
        template: Option<&'a str>,
        /// The context it renders with.
        context: &'a minijinja::Value,
    },
    /// `template_rendered`: a template rendered without error.
    TemplateRendered {
        /// The template's name, or `None` for `render_template_string`.
        template: Option<&'a str>,
        /// The context it rendered with.
        context: &'a minijinja::Value,
    },
    /// `message_flashed`: `session.flash(message, category)` was called.
    MessageFlashed {
        /// The message.
        message: &'a str,
        /// Its category.
        category: &'a str,
    },
    /// `request_tearing_down`: the request's `teardown_request` functions ran; the failure
    /// they got, if any.
    RequestTearingDown {
        /// The failure the request ended with, as `teardown_request` hooks get it.
        error: Option<&'a Error>,
    },
    /// `appcontext_tearing_down`: the end of a request (after `request_tearing_down` and the
    /// `teardown_appcontext` functions), or of [`App::app_context`](crate::App::app_context).
    AppcontextTearingDown {
        /// The failure it ended with, if any.
        error: Option<&'a Error>,
    },
}

/// A connected receiver.
pub(crate) type Receiver = Arc<dyn Fn(&Signal<'_>) + Send + Sync>;

/// The app's receivers.
#[derive(Clone, Default)]
pub(crate) struct Signals(pub(crate) Vec<Receiver>);

impl Signals {
    /// Tells every receiver, in connection order. A receiver that panics is logged and the
    /// others are still told: a signal never fails the request.
    #[inline]
    pub(crate) fn send(&self, signal: &Signal<'_>) {
        if !self.0.is_empty() {
            self.send_to_all(signal);
        }
    }

    fn send_to_all(&self, signal: &Signal<'_>) {
        for receiver in &self.0 {
            let told = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| receiver(signal)));
            if told.is_err() {
                tracing::error!("a signal receiver panicked on {signal:?}");
            }
        }
    }

    /// Whether any receiver is connected (to skip building what a signal carries).
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Signals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} receivers", self.0.len())
    }
}
