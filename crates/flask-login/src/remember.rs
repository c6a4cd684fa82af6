//! The remember-me cookie: a signed user id with its expiry, set at a remembered login,
//! read when the session has no user, cleared at logout.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::response::Response;
use cookie::time::OffsetDateTime;
use flask::{Config, ConfigError, RequestContext};
use http::{HeaderMap, HeaderValue, header};

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
    same_site: Option<cookie::SameSite>,
    refresh_each_request: bool,
}

impl CookieSettings {
    pub(crate) fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let same_site = match config.get::<String>("REMEMBER_COOKIE_SAMESITE")? {
            None => None,
            Some(s) if s.eq_ignore_ascii_case("lax") => Some(cookie::SameSite::Lax),
            Some(s) if s.eq_ignore_ascii_case("strict") => Some(cookie::SameSite::Strict),
            Some(s) if s.eq_ignore_ascii_case("none") => Some(cookie::SameSite::None),
            Some(other) => {
                return Err(ConfigError::WrongType {
                    key: "REMEMBER_COOKIE_SAMESITE".to_owned(),
                    expected: "\"Lax\", \"Strict\", \"None\" or null".to_owned(),
                    found: other,
                });
            }
        };
        Ok(CookieSettings {
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

    fn base(&self, value: String) -> cookie::Cookie<'static> {
        let mut c = cookie::Cookie::new(self.name.clone(), value);
        c.set_path(self.path.clone());
        if let Some(d) = &self.domain {
            c.set_domain(d.clone());
        }
        c.set_http_only(self.http_only);
        c.set_secure(self.secure);
        c.set_same_site(self.same_site);
        c
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The cookie's value: `id|expiry` signed, so a copy stops working when it expires even if
/// the browser keeps it.
pub(crate) fn encode(settings: &Settings, user_id: &str, lifetime: Duration) -> String {
    let expires = unix_now().saturating_add(lifetime.as_secs());
    settings.signer.sign(&format!("{user_id}|{expires}"))
}

/// The user id in a cookie value, if the signature holds and it has not expired.
pub(crate) fn decode(settings: &Settings, value: &str) -> Option<String> {
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

fn append(resp: &mut Response, c: &cookie::Cookie<'static>) {
    if let Ok(v) = HeaderValue::from_str(&c.encoded().to_string()) {
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
            let mut c = cookie.base(String::new());
            c.set_max_age(cookie::time::Duration::ZERO);
            c.set_expires(OffsetDateTime::UNIX_EPOCH);
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
    let lifetime = session
        .get::<u64>(REMEMBER_SECONDS)
        .map_or(cookie.duration, Duration::from_secs);
    let mut c = cookie.base(encode(settings, &user_id, lifetime));
    // Capped at ten years so that no setting overflows the date (browsers keep a cookie at
    // most 400 days anyway).
    let secs = i64::try_from(lifetime.as_secs().min(10 * 365 * 24 * 3600)).unwrap_or(0);
    c.set_max_age(cookie::time::Duration::seconds(secs));
    c.set_expires(OffsetDateTime::now_utc() + cookie::time::Duration::seconds(secs));
    append(&mut resp, &c);
    resp
}
