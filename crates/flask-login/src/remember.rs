//! The remember-me cookie: a signed user id, set at a remembered login, read when the
//! session has no user, cleared at logout. Written in Flask-Login's format by default
//! (`id|hex(HMAC-SHA512(SECRET_KEY, id))`), so a Python Flask-Login app with the same key
//! reads it and the other way round; `REMEMBER_COOKIE_FORMAT = "timed"` signs the expiry
//! in too, at the cost of that.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::response::Response;
use flask::SetCookie;
use flask::{Config, ConfigError, RequestContext};
use http::{HeaderMap, header};

use crate::UserMixin;
use crate::manager::Settings;
use crate::state::{REMEMBER_SECONDS, RememberOp, RequestLogin, USER_ID};

/// Flask-Login's `REMEMBER_COOKIE_*` settings.
pub(crate) struct CookieSettings {
    name: String,
    duration: Duration,
    domain: Option<String>,
    path: String,
    secure: bool,
    http_only: bool,
    same_site: Option<&'static str>,
    refresh_each_request: bool,
    format: Format,
    /// `SECRET_KEY` and then `SECRET_KEY_FALLBACKS`, as Flask-Login's HMAC keys.
    keys: Vec<Vec<u8>>,
}

/// `REMEMBER_COOKIE_FORMAT`: how the cookie's value is written (both are read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// Flask-Login's own: `id|hex(HMAC-SHA512(SECRET_KEY, id))`. A copy of the cookie works
    /// until the key changes (or, with an alternative id, until the id changes).
    FlaskLogin,
    /// `id|expiry`, signed with flask's `Signer`: a copy stops working when it expires,
    /// even if a browser keeps it; a Python app cannot read it.
    Timed,
}

/// Flask-Login's `_secret_key()`: the key's text as Latin-1 bytes (UTF-8 for a key with
/// characters beyond it, which Flask-Login itself cannot encode).
fn key_bytes(secret: &str) -> Vec<u8> {
    secret
        .chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect::<Option<Vec<u8>>>()
        .unwrap_or_else(|| secret.as_bytes().to_vec())
}

impl CookieSettings {
    pub(crate) fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let same_site = match config.get::<String>("REMEMBER_COOKIE_SAMESITE")? {
            None => None,
            Some(s) if s.eq_ignore_ascii_case("lax") => Some("Lax"),
            Some(s) if s.eq_ignore_ascii_case("strict") => Some("Strict"),
            Some(s) if s.eq_ignore_ascii_case("none") => Some("None"),
            Some(other) => {
                return Err(ConfigError::WrongType {
                    key: "REMEMBER_COOKIE_SAMESITE".to_owned(),
                    expected: "\"Lax\", \"Strict\", \"None\" or null".to_owned(),
                    found: other,
                });
            }
        };
        let format = match config.get::<String>("REMEMBER_COOKIE_FORMAT")?.as_deref() {
            None | Some("flask-login") => Format::FlaskLogin,
            Some("timed") => Format::Timed,
            Some(other) => {
                return Err(ConfigError::WrongType {
                    key: "REMEMBER_COOKIE_FORMAT".to_owned(),
                    expected: "\"flask-login\" (the default) or \"timed\"".to_owned(),
                    found: other.to_owned(),
                });
            }
        };
        let secret: String = config.get("SECRET_KEY")?.unwrap_or_default();
        let fallbacks: Vec<String> = config.get("SECRET_KEY_FALLBACKS")?.unwrap_or_default();
        let keys = std::iter::once(&secret)
            .chain(&fallbacks)
            .map(|k| key_bytes(k))
            .collect();
        Ok(CookieSettings {
            format,
            keys,
            name: config
                .get("REMEMBER_COOKIE_NAME")?
                .unwrap_or_else(|| "remember_token".to_owned()),
            duration: Duration::from_secs(
                config
                    .get("REMEMBER_COOKIE_DURATION")?
                    .unwrap_or(365 * 24 * 3600),
            ),
            domain: config.get("REMEMBER_COOKIE_DOMAIN")?,
            path: config
                .get("REMEMBER_COOKIE_PATH")?
                .unwrap_or_else(|| "/".to_owned()),
            secure: config.get("REMEMBER_COOKIE_SECURE")?.unwrap_or(false),
            http_only: config.get("REMEMBER_COOKIE_HTTPONLY")?.unwrap_or(true),
            same_site,
            refresh_each_request: config
                .get("REMEMBER_COOKIE_REFRESH_EACH_REQUEST")?
                .unwrap_or(false),
        })
    }

    /// The cookie's name (`remember_token` by default).
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The cookie with the `REMEMBER_COOKIE_*` attributes, written as Werkzeug's
    /// `set_cookie` writes it.
    fn base(&self, value: String) -> SetCookie {
        let mut c = SetCookie::new(self.name.clone(), value)
            .path(Some(&self.path))
            .http_only(self.http_only)
            .secure(self.secure);
        if let Some(d) = &self.domain {
            c = c.domain(d);
        }
        if let Some(s) = self.same_site {
            c = c.same_site(s);
        }
        c
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Flask-Login's `_cookie_digest`: `hex(HMAC-SHA512(key, id))`.
fn digest(key: &[u8], user_id: &str) -> String {
    use hmac::Mac as _;
    let mut mac = hmac::Hmac::<sha2::Sha512>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(user_id.as_bytes());
    crate::identifier::lower_hex(&mac.finalize().into_bytes())
}

/// The cookie's value for `user_id`, in the configured format.
pub(crate) fn encode(settings: &Settings, user_id: &str, lifetime: Duration) -> String {
    match settings.cookie.format {
        Format::FlaskLogin => {
            let key = settings.cookie.keys.first().map_or(&[][..], Vec::as_slice);
            format!("{user_id}|{}", digest(key, user_id))
        }
        Format::Timed => {
            let expires = unix_now().saturating_add(lifetime.as_secs());
            settings.signer.sign(&format!("{user_id}|{expires}"))
        }
    }
}

/// The user id in a cookie value of either format, if its signature holds (and, timed, it
/// has not expired).
pub(crate) fn decode(settings: &Settings, value: &str) -> Option<String> {
    if let Some((id, hex)) = value.rsplit_once('|')
        && hex.len() == 128
    {
        let matches = settings.cookie.keys.iter().any(|key| {
            subtle::ConstantTimeEq::ct_eq(digest(key, id).as_bytes(), hex.as_bytes()).into()
        });
        return matches.then(|| id.to_owned());
    }
    let payload = settings.signer.unsign(value).ok()?;
    let (id, expires) = payload.rsplit_once('|')?;
    let expires: u64 = expires.parse().ok()?;
    (unix_now() <= expires).then(|| id.to_owned())
}

/// The user id in the request's remember-me cookie, if it carries a valid one.
pub(crate) fn read_cookie(headers: &HeaderMap, settings: &Settings) -> Option<String> {
    let name = settings.cookie.name();
    let values = || {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
    };
    if !values().any(|v| v.contains(name)) {
        return None;
    }
    let cookies = flask::Cookies::parse(values());
    decode(settings, cookies.get(name)?)
}

fn append(resp: &mut Response, c: &SetCookie) {
    if let Ok(v) = c.header_value() {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// Flask-Login's `_update_remember_cookie`, as the manager's `after_request` hook: sets the
/// cookie after a remembered login (and on each request with
/// `REMEMBER_COOKIE_REFRESH_EACH_REQUEST`), removes it after a logout.
pub(crate) fn after_request<U: UserMixin>(ctx: &RequestContext, mut resp: Response) -> Response {
    let Some(state) = ctx.g().get::<std::sync::Arc<RequestLogin<U>>>() else {
        return resp;
    };
    let settings = state.manager.settings();
    let cookie = &settings.cookie;
    let set = match state.remember_op() {
        Some(RememberOp::Clear) => {
            let c = cookie
                .base(String::new())
                .max_age(Duration::ZERO)
                .expires(UNIX_EPOCH);
            append(&mut resp, &c);
            return resp;
        }
        Some(RememberOp::Set) => true,
        None => cookie.refresh_each_request && state.remembered_id.is_some(),
    };
    let refresh = state.remember_op().is_none();
    if !set {
        return resp;
    }
    let Some(session) = ctx.session() else {
        return resp;
    };
    let Some(user_id) = session.get::<String>(USER_ID) else {
        return resp;
    };
    // Renew only the cookie of the user logged in (another user's stays as it is).
    if refresh && state.remembered_id.as_deref() != Some(user_id.as_str()) {
        return resp;
    }
    // Flask-Login stores it as a float (`timedelta.total_seconds()`).
    let lifetime = session
        .get::<f64>(REMEMBER_SECONDS)
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map_or(cookie.duration, Duration::from_secs_f64);
    // Capped at ten years so that no setting overflows the date (browsers keep a cookie at
    // most 400 days anyway).
    let secs = lifetime.as_secs().min(10 * 365 * 24 * 3600);
    let c = cookie
        .base(encode(settings, &user_id, lifetime))
        .max_age(Duration::from_secs(secs));
    append(&mut resp, &c);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_flask_logins() {
        // Flask-Login 0.6.3's encode_cookie("42") with SECRET_KEY "test-secret".
        assert_eq!(
            format!("42|{}", digest(&key_bytes("test-secret"), "42")),
            "42|dd4d1da6d01498d3105b0d9811c6fdff12537f7a6bec80103bee15b6908003c01aac57fa3a105587a0579ac4065acb94990b95c43d7a9fcaa2223b70accc63d4"
        );
        assert_eq!(key_bytes("caf\u{e9}"), b"caf\xe9");
        assert_eq!(key_bytes("\u{2713}"), "\u{2713}".as_bytes());
    }
}
