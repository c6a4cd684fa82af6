//! CSRF protection: `CsrfProtect`, the extension that checks every unsafe request, and the
//! tokens it checks.

mod body;
pub(crate) mod token;

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use flask::{BeforeRequestHook, Extension, RequestContext, Setup, SetupError};
use http::header;
use http::request::Parts;

pub(crate) use token::CsrfSettings;
pub use token::{CsrfError, generate_csrf, validate_csrf};

/// In `g` once `CsrfProtect` checked the request: forms need not check it again.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CsrfValid;

/// Flask-WTF's `CSRFProtect`: every request with an unsafe method (`WTF_CSRF_METHODS`: POST,
/// PUT, PATCH, DELETE) must carry the token [`generate_csrf`] made for its session, in the
/// form field `csrf_token` or an `X-CSRFToken` / `X-CSRF-Token` header. A request without a
/// valid one is a 400 whose message says which check failed ([`CsrfError`]). Over HTTPS the
/// request must also come from this site (`Origin` or `Referer`, with `WTF_CSRF_SSL_STRICT`).
///
/// Templates get `csrf_token()`:
/// `<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">`.
///
/// ```
/// use flask::{Flask, routing::post};
/// use flask_wtf::CsrfProtect;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = Flask::new("demo")
///     .configure(|c| c.set("SECRET_KEY", "dev"))
///     .extension(CsrfProtect::new().exempt("webhook"))
///     .route("/post", post(|| async { "posted" }).endpoint("post"))
///     .route("/webhook", post(|| async { "hooked" }).endpoint("webhook"))
///     .test_client();
/// let resp = client.post("/post").form(&[("title", "hi")]).send().await;
/// assert_eq!(resp.status(), 400);
/// assert!(resp.text().contains("The CSRF token is missing."));
/// assert_eq!(client.post("/webhook").send().await.text(), "hooked");
/// # }
/// ```
#[derive(Debug, Default, Clone)]
pub struct CsrfProtect {
    exempt_endpoints: HashSet<String>,
    exempt_blueprints: HashSet<String>,
    skip_bearer: bool,
}

impl CsrfProtect {
    /// Protection for every view.
    pub fn new() -> Self {
        Self::default()
    }

    /// Flask-WTF's `@csrf.exempt` for one view, by endpoint (`"webhook"`, `"api.hook"`):
    /// for requests that cannot carry a token, such as webhooks signed their own way.
    pub fn exempt(mut self, endpoint: impl Into<String>) -> Self {
        self.exempt_endpoints.insert(endpoint.into());
        self
    }

    /// `csrf.exempt(blueprint)`: every view of a blueprint (and of its children), such as
    /// an API authenticated by tokens rather than cookies.
    pub fn exempt_blueprint(mut self, name: impl Into<String>) -> Self {
        self.exempt_blueprints.insert(name.into());
        self
    }

    /// Skips the check for a request that authenticates with `Authorization: Bearer ..`
    /// and carries no session cookie: an API client (a script, a mobile app) has no session
    /// to forge a request with, and a browser cannot be made to send that header to another
    /// site. The same views keep the check for the browser's cookie-authenticated requests,
    /// as a front end sends them with the `X-CSRFToken` header.
    pub fn skip_bearer(mut self) -> Self {
        self.skip_bearer = true;
        self
    }

    /// Whether `parts` is a bearer-token request without the session cookie `cookie`.
    fn is_bearer_only(parts: &Parts, cookie: &str) -> bool {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer "));
        let has_cookie = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .any(|pair| pair.trim().split('=').next() == Some(cookie));
        bearer && !has_cookie
    }

    fn is_exempt(&self, ctx: &RequestContext) -> bool {
        if ctx
            .endpoint()
            .is_some_and(|e| self.exempt_endpoints.contains(e))
        {
            return true;
        }
        let mut name = ctx.blueprint();
        while let Some(n) = name {
            if self.exempt_blueprints.contains(n) {
                return true;
            }
            name = n.rfind('.').map(|i| &n[..i]);
        }
        false
    }
}

impl Extension for CsrfProtect {
    fn name(&self) -> &'static str {
        "flask-wtf csrf"
    }

    fn init_app(&self, setup: &mut Setup<'_>) -> Result<(), SetupError> {
        let config = setup.config_mut();
        config.set_default("WTF_CSRF_ENABLED", true);
        config.set_default("WTF_CSRF_CHECK_DEFAULT", true);
        config.set_default("WTF_CSRF_METHODS", ["POST", "PUT", "PATCH", "DELETE"]);
        config.set_default("WTF_CSRF_FIELD_NAME", "csrf_token");
        config.set_default("WTF_CSRF_HEADERS", ["X-CSRFToken", "X-CSRF-Token"]);
        config.set_default("WTF_CSRF_SSL_STRICT", true);
        let settings = CsrfSettings::from_config(setup.config())?;
        // The layer reads the body before the app's body limit does: MAX_FORM_MEMORY_SIZE,
        // else (null) MAX_CONTENT_LENGTH, so it never buffers more than the app would
        // accept; with both null, no limit.
        let (limit, limit_key) = match setup.config().get("MAX_FORM_MEMORY_SIZE")? {
            Some(limit) => (Some(limit), "MAX_FORM_MEMORY_SIZE"),
            None => (
                setup.config().get("MAX_CONTENT_LENGTH")?,
                "MAX_CONTENT_LENGTH",
            ),
        };
        if settings.enabled && settings.check_default {
            setup.layer(body::TokenFromBody {
                methods: settings.methods.clone(),
                field_name: settings.field_name.clone(),
                limit,
                limit_key,
            });
            setup.before_request(Protect {
                exempt: Arc::new(self.clone()),
            });
        }
        setup.state(settings);
        // A streamed template renders after the session is saved: the secret csrf_token()
        // signs goes into the session before the first piece is sent.
        setup.before_template_stream(|ctx| {
            if ctx.session().is_some() {
                generate_csrf(ctx)?;
            }
            Ok(())
        });
        setup.template_global(
            "csrf_token",
            || -> Result<String, flask::minijinja::Error> {
                let ctx = RequestContext::try_current().ok_or_else(|| {
                    flask::minijinja::Error::new(
                        flask::minijinja::ErrorKind::InvalidOperation,
                        "csrf_token() is only available while a request renders a template",
                    )
                })?;
                generate_csrf(&ctx).map_err(|e| {
                    flask::minijinja::Error::new(
                        flask::minijinja::ErrorKind::InvalidOperation,
                        format!("csrf_token(): {}", e.description()),
                    )
                })
            },
        );
        Ok(())
    }
}

/// The check, as a `before_request` hook (it reads the token the body layer found).
#[derive(Clone)]
struct Protect {
    exempt: Arc<CsrfProtect>,
}

#[doc(hidden)]
#[derive(Debug)]
pub enum CsrfHook {}

impl BeforeRequestHook<CsrfHook> for Protect {
    fn call<'a>(
        &'a self,
        parts: &'a mut Parts,
    ) -> Pin<Box<dyn Future<Output = Option<Response>> + Send + 'a>> {
        Box::pin(async move {
            let ctx = match RequestContext::from_request_parts(parts, &()).await {
                Ok(ctx) => ctx,
                Err(e) => return Some(e.into_response()),
            };
            let Some(settings) = ctx.app().state::<CsrfSettings>() else {
                return Some(
                    flask::Error::internal("CsrfProtect's settings are missing").into_response(),
                );
            };
            if !settings.methods.contains(&parts.method)
                || ctx.endpoint().is_none()
                || self.exempt.is_exempt(&ctx)
            {
                return None;
            }
            if self.exempt.skip_bearer {
                let cookie = ctx
                    .app()
                    .config()
                    .get_str("SESSION_COOKIE_NAME")
                    .unwrap_or("session")
                    .to_owned();
                if CsrfProtect::is_bearer_only(parts, &cookie) {
                    return None;
                }
            }
            match protect(&ctx, &settings, parts) {
                Ok(()) => {
                    ctx.g().insert(CsrfValid);
                    None
                }
                Err(Failure::Csrf(e)) => {
                    tracing::info!("CSRF check failed for {} {}: {e}", parts.method, parts.uri);
                    Some(e.into_http_error().into_response())
                }
                Err(Failure::TooLarge(key)) => Some(
                    flask::Error::with_description(
                        http::StatusCode::PAYLOAD_TOO_LARGE,
                        format!("The form data is larger than {key} allows."),
                    )
                    .into_response(),
                ),
            }
        })
    }
}

/// Why `protect` refused a request.
enum Failure {
    Csrf(CsrfError),
    /// The form was too large to find the token in: the 413 the form would give.
    TooLarge(&'static str),
}

impl From<CsrfError> for Failure {
    fn from(e: CsrfError) -> Self {
        Failure::Csrf(e)
    }
}

/// Flask-WTF's `CSRFProtect.protect()`.
fn protect(ctx: &RequestContext, settings: &CsrfSettings, parts: &Parts) -> Result<(), Failure> {
    let body = parts.extensions.get::<body::BodyToken>();
    let from_body = body.and_then(|t| t.token.as_deref());
    let token = from_body.or_else(|| {
        settings.headers.iter().find_map(|name| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .filter(|v| !v.is_empty())
        })
    });
    if token.is_none()
        && let Some(key) = body.and_then(|b| b.too_large)
    {
        return Err(Failure::TooLarge(key));
    }
    validate_csrf(ctx, token)?;
    if ctx.is_secure() && settings.ssl_strict {
        same_origin(ctx, parts)?;
    }
    Ok(())
}

/// Over HTTPS, the request must come from a page of this site: its `Origin` (or, without
/// one, its `Referer`) has scheme `https` and this request's host and port.
fn same_origin(ctx: &RequestContext, parts: &Parts) -> Result<(), CsrfError> {
    let header_value = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && *v != "null")
    };
    let Some(from) = header_value(header::ORIGIN).or_else(|| header_value(header::REFERER)) else {
        return Err(CsrfError::ReferrerMissing);
    };
    let host = ctx.host().unwrap_or("");
    let good = url::Url::parse(&format!("https://{host}/")).ok();
    let from = url::Url::parse(from).ok();
    let same = match (from, good) {
        (Some(from), Some(good)) => {
            from.scheme() == "https"
                && from.host_str() == good.host_str()
                && from.port_or_known_default() == good.port_or_known_default()
        }
        _ => false,
    };
    if same {
        Ok(())
    } else {
        Err(CsrfError::ReferrerMismatch)
    }
}
