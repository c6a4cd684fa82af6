//! CSRF tokens: a random secret in the session, handed to forms signed and timestamped, and
//! checked against the session when they come back (Flask-WTF's `generate_csrf` and
//! `validate_csrf`), in Flask-WTF's own format: the secret in the session under
//! `csrf_token`, the token itsdangerous' `URLSafeTimedSerializer` with the salt
//! `wtf-csrf-token`, so a form rendered by a Python Flask-WTF app posts here and the other
//! way round.

use std::sync::Arc;
use std::time::Duration;

use flask::signing::BadSignature;
use flask::signing::itsdangerous::{KeyDerivation, TimestampSigner, UrlSafeTimedSerializer};
use flask::{Config, Error, Method, RequestContext, SetupError};
use http::HeaderName;
use subtle::ConstantTimeEq;

/// Why a request failed the CSRF check; the message is Flask-WTF's, and the response a 400.
///
/// Render it with an error handler for the type:
/// `app.errorhandler_for::<CsrfError, _, _>(|e: flask::Error| async move { ... })`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsrfError {
    /// No token in the form field or the headers.
    #[error("The CSRF token is missing.")]
    Missing,
    /// The session holds no token (it expired, or the form came from another session).
    #[error("The CSRF session token is missing.")]
    SessionMissing,
    /// The token is older than `WTF_CSRF_TIME_LIMIT`.
    #[error("The CSRF token has expired.")]
    Expired,
    /// The token's signature does not hold (changed, or made with another key).
    #[error("The CSRF token is invalid.")]
    Invalid,
    /// The token was made for another session.
    #[error("The CSRF tokens do not match.")]
    Mismatch,
    /// An HTTPS request without `Origin` or `Referer` (with `WTF_CSRF_SSL_STRICT`).
    #[error("The referrer header is missing.")]
    ReferrerMissing,
    /// An HTTPS request from another origin (with `WTF_CSRF_SSL_STRICT`).
    #[error("The referrer does not match the host.")]
    ReferrerMismatch,
}

impl CsrfError {
    /// The 400 a failed check answers: its description is the reason, and it is caused by
    /// the `CsrfError`, so `errorhandler_for::<CsrfError>` handlers take it. (`?` on a
    /// `CsrfError` would make a 500, as for any error type.)
    pub fn into_http_error(self) -> Error {
        Error::with_description(http::StatusCode::BAD_REQUEST, self.to_string()).with_source(self)
    }
}

/// Flask-WTF's `WTF_CSRF_*` settings, read once.
#[derive(Debug)]
pub(crate) struct CsrfSettings {
    pub(crate) enabled: bool,
    pub(crate) check_default: bool,
    pub(crate) signer: UrlSafeTimedSerializer,
    pub(crate) methods: Vec<Method>,
    pub(crate) field_name: String,
    pub(crate) headers: Vec<HeaderName>,
    pub(crate) time_limit: Option<Duration>,
    pub(crate) ssl_strict: bool,
}

/// The salt of CSRF tokens (Flask-WTF's).
const SALT: &str = "wtf-csrf-token";

impl CsrfSettings {
    pub(crate) fn from_config(config: &Config) -> Result<Self, SetupError> {
        let wtf = |msg: String| SetupError::extension("flask-wtf", msg);
        // Flask-WTF signs with WTF_CSRF_SECRET_KEY, else SECRET_KEY; SECRET_KEY_FALLBACKS
        // also verify here, for rotating the key.
        let secrets: Vec<String> = match config.get::<String>("WTF_CSRF_SECRET_KEY")? {
            Some(secret) if !secret.is_empty() => vec![secret],
            _ => {
                let secret = config
                    .get::<String>("SECRET_KEY")?
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| {
                        wtf("CSRF protection needs a secret key: set SECRET_KEY (or \
                             WTF_CSRF_SECRET_KEY) in the config"
                            .to_owned())
                    })?;
                let fallbacks: Vec<String> =
                    config.get("SECRET_KEY_FALLBACKS")?.unwrap_or_default();
                std::iter::once(secret).chain(fallbacks).collect()
            }
        };
        let signer = UrlSafeTimedSerializer::new(TimestampSigner::new(
            &secrets,
            SALT,
            KeyDerivation::DjangoConcat,
        ))
        // A token is a short JSON string; nothing bigger is read.
        .max_payload(4096);
        let methods: Vec<String> = config.get("WTF_CSRF_METHODS")?.unwrap_or_else(|| {
            ["POST", "PUT", "PATCH", "DELETE"]
                .map(str::to_owned)
                .to_vec()
        });
        let methods = methods
            .iter()
            .map(|m| {
                Method::from_bytes(m.to_ascii_uppercase().as_bytes())
                    .map_err(|_| wtf(format!("WTF_CSRF_METHODS holds {m:?}, not a method")))
            })
            .collect::<Result<_, _>>()?;
        let headers: Vec<String> = config
            .get("WTF_CSRF_HEADERS")?
            .unwrap_or_else(|| vec!["X-CSRFToken".to_owned(), "X-CSRF-Token".to_owned()]);
        let headers = headers
            .iter()
            .map(|h| {
                HeaderName::from_bytes(h.as_bytes())
                    .map_err(|_| wtf(format!("WTF_CSRF_HEADERS holds {h:?}, not a header name")))
            })
            .collect::<Result<_, _>>()?;
        // Null (Flask-WTF's None) or 0: tokens last as long as the session.
        let time_limit = match config.get_value("WTF_CSRF_TIME_LIMIT") {
            Some(serde_json::Value::Null) => None,
            _ => match config.get::<u64>("WTF_CSRF_TIME_LIMIT")?.unwrap_or(3600) {
                0 => None,
                secs => Some(Duration::from_secs(secs)),
            },
        };
        Ok(CsrfSettings {
            enabled: config.get("WTF_CSRF_ENABLED")?.unwrap_or(true),
            check_default: config.get("WTF_CSRF_CHECK_DEFAULT")?.unwrap_or(true),
            signer,
            methods,
            field_name: config
                .get("WTF_CSRF_FIELD_NAME")?
                .unwrap_or_else(|| "csrf_token".to_owned()),
            headers,
            time_limit,
            ssl_strict: config.get("WTF_CSRF_SSL_STRICT")?.unwrap_or(true),
        })
    }
}

/// The settings of the app's `CsrfProtect`, or read from its config for an app without one.
pub(crate) fn settings(ctx: &RequestContext) -> Result<Arc<CsrfSettings>, Error> {
    if let Some(s) = ctx.app().state::<CsrfSettings>() {
        return Ok(s);
    }
    CsrfSettings::from_config(ctx.config())
        .map(Arc::new)
        .map_err(Error::internal)
}

/// This request's token, made once.
#[derive(Clone)]
struct Generated(String);

/// Flask-WTF's `generate_csrf()`: the CSRF token for forms of this request (the same within
/// a request). The first call in a session puts a random secret into the session; the token
/// is that secret, signed and timestamped, valid for `WTF_CSRF_TIME_LIMIT`.
///
/// Templates call it as `{{ csrf_token() }}`; JavaScript sends it back in an `X-CSRFToken`
/// header.
pub fn generate_csrf(ctx: &RequestContext) -> Result<String, Error> {
    let g = ctx.g();
    if let Some(Generated(token)) = g.get::<Generated>() {
        return Ok(token);
    }
    let settings = settings(ctx)?;
    let session = ctx.session().ok_or_else(|| {
        Error::internal("CSRF tokens live in the session, which needs SECRET_KEY in the config")
    })?;
    let raw = match session.get::<String>(&settings.field_name) {
        Some(raw) if !raw.is_empty() => raw,
        _ => {
            let raw = flask::sessions::generate_secret_key();
            session.insert(&settings.field_name, &raw);
            raw
        }
    };
    let token = sign(&settings, &raw);
    g.insert(Generated(token.clone()));
    Ok(token)
}

/// The token for the session's secret `raw`: itsdangerous' `dumps` of it as a JSON string,
/// as Flask-WTF writes it.
pub(crate) fn sign(settings: &CsrfSettings, raw: &str) -> String {
    let json = serde_json::Value::String(raw.to_owned()).to_string();
    settings.signer.dumps(json.as_bytes())
}

/// Flask-WTF's `validate_csrf(data)`: whether `token` was made by [`generate_csrf`] for this
/// session and is younger than `WTF_CSRF_TIME_LIMIT`.
pub fn validate_csrf(ctx: &RequestContext, token: Option<&str>) -> Result<(), CsrfError> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(CsrfError::Missing);
    };
    let settings = settings(ctx).map_err(|_| CsrfError::Invalid)?;
    let Some(raw) = ctx
        .session()
        .and_then(|s| s.get::<String>(&settings.field_name))
    else {
        return Err(CsrfError::SessionMissing);
    };
    let signed: String = match settings.signer.loads(token, settings.time_limit) {
        Ok(json) => serde_json::from_slice(&json).map_err(|_| CsrfError::Invalid)?,
        Err(BadSignature::Expired { .. }) => return Err(CsrfError::Expired),
        Err(_) => return Err(CsrfError::Invalid),
    };
    if bool::from(signed.as_bytes().ct_eq(raw.as_bytes())) {
        Ok(())
    } else {
        Err(CsrfError::Mismatch)
    }
}
