//! Sessions: by default Flask's own, the data in a signed cookie in the exact format of
//! Flask's `SecureCookieSessionInterface`; or a signed cookie holding a session id with the
//! data in a store (memory, SQL, Redis, any tower-sessions store) when `SESSION_TYPE` asks.
//! Loaded once per request and saved after it, with Flask's cookie settings; flash messages
//! on top.
//!
//! Why not tower-sessions' own layer: its `Session` is async-only and cannot list its keys,
//! while Flask code and templates read the session synchronously (`session.user_id`,
//! `get_flashed_messages()` in a template). We keep its `SessionStore` trait and stores.

mod cookie_key;
mod flash;
mod memory_store;
mod secure_cookie;
#[cfg(feature = "sql")]
mod sql_store;
pub(crate) mod store;
mod tagged_json;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::FromRequestParts;
use axum::response::Response;
use cookie::time::{Duration, OffsetDateTime};

use crate::response::SetCookie;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, header};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tower_sessions_core::SessionStore;
use tower_sessions_core::session::{Id, Record};

pub use cookie_key::generate_secret_key;
pub use flash::Flash;
pub use memory_store::{DEFAULT_MEMORY_CAPACITY, MemoryStore};
#[cfg(feature = "sql")]
pub use sql_store::SqlStore;

use crate::config::Config;
use crate::request::RequestContext;
use crate::{Error, SetupError};

/// Where the session's data lives.
enum Persistence {
    /// In the cookie itself, as Flask keeps it.
    Cookie(secure_cookie::SecureCookie),
    /// In a store, the cookie holding the signed id of its record.
    Store {
        store: Arc<dyn SessionStore>,
        keys: cookie_key::Keys,
    },
}

/// `SESSION_ANONYMOUS_LIFETIME` unless the config says otherwise: a day. Such a record is
/// written when the session changes, not each time it is read, so it must outlast the
/// forms a visitor keeps open (a CSRF token is good for an hour after its page is made).
const DEFAULT_ANONYMOUS_LIFETIME: i64 = 24 * 3600;

/// Session settings read from the config once, at startup.
pub(crate) struct SessionBackend {
    persistence: Persistence,
    cookie_name: String,
    domain: Option<String>,
    path: String,
    http_only: bool,
    secure: bool,
    same_site: Option<&'static str>,
    partitioned: bool,
    lifetime: Duration,
    refresh_each_request: bool,
    /// Werkzeug's `MAX_COOKIE_SIZE`: a bigger cookie is logged as a warning (0: never).
    max_cookie_size: usize,
    /// `SESSION_ANONYMOUS_LIFETIME`: how long a store keeps the record of a session that
    /// holds nothing but what any visitor gets (a CSRF secret, flashes).
    anonymous_lifetime: Duration,
    /// The keys such a session may hold and still count as anonymous.
    anonymous_keys: Vec<String>,
}

impl fmt::Debug for SessionBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionBackend")
            .field("cookie_name", &self.cookie_name)
            .finish()
    }
}

impl SessionBackend {
    /// `None` without `SECRET_KEY`: sessions are then unavailable, as in Flask. Without a
    /// `store` the data goes in the cookie.
    pub(crate) fn from_config(
        config: &Config,
        store: Option<Arc<dyn SessionStore>>,
    ) -> Result<Option<Self>, SetupError> {
        let Some(secret) = config.get::<String>("SECRET_KEY")? else {
            return Ok(None);
        };
        if secret.is_empty() {
            return Ok(None);
        }
        let fallbacks: Vec<String> = config.get("SECRET_KEY_FALLBACKS")?.unwrap_or_default();
        let same_site = match config.get::<String>("SESSION_COOKIE_SAMESITE")?.as_deref() {
            None => None,
            Some(s) if s.eq_ignore_ascii_case("lax") => Some("Lax"),
            Some(s) if s.eq_ignore_ascii_case("strict") => Some("Strict"),
            Some(s) if s.eq_ignore_ascii_case("none") => Some("None"),
            Some(other) => {
                return Err(SetupError::extension(
                    "sessions",
                    format!(
                        "SESSION_COOKIE_SAMESITE is {other:?}; use \"Lax\", \"Strict\", \"None\" or null"
                    ),
                ));
            }
        };
        let lifetime_secs: i64 = config
            .get("PERMANENT_SESSION_LIFETIME")?
            .unwrap_or(31 * 24 * 3600);
        let anonymous_secs: i64 = config
            .get("SESSION_ANONYMOUS_LIFETIME")?
            .unwrap_or(DEFAULT_ANONYMOUS_LIFETIME);
        if anonymous_secs <= 0 {
            return Err(SetupError::extension(
                "sessions",
                format!(
                    "SESSION_ANONYMOUS_LIFETIME is {anonymous_secs}: every new session would be \
                     expired at once; give the seconds a store keeps a session holding only a \
                     CSRF secret or flashes ({DEFAULT_ANONYMOUS_LIFETIME} by default)"
                ),
            ));
        }
        let persistence = match store {
            Some(store) => Persistence::Store {
                store,
                keys: cookie_key::Keys::new(&secret, &fallbacks),
            },
            None => Persistence::Cookie(secure_cookie::SecureCookie::new(&secret, &fallbacks)),
        };
        Ok(Some(SessionBackend {
            persistence,
            cookie_name: config
                .get("SESSION_COOKIE_NAME")?
                .unwrap_or_else(|| "session".to_owned()),
            domain: config.get("SESSION_COOKIE_DOMAIN")?,
            path: config
                .get("SESSION_COOKIE_PATH")?
                .or(config.get("APPLICATION_ROOT")?)
                .unwrap_or_else(|| "/".to_owned()),
            http_only: config.get("SESSION_COOKIE_HTTPONLY")?.unwrap_or(true),
            secure: config.get("SESSION_COOKIE_SECURE")?.unwrap_or(false),
            same_site,
            partitioned: config.get("SESSION_COOKIE_PARTITIONED")?.unwrap_or(false),
            lifetime: Duration::seconds(lifetime_secs),
            refresh_each_request: config.get("SESSION_REFRESH_EACH_REQUEST")?.unwrap_or(true),
            max_cookie_size: config.get("MAX_COOKIE_SIZE")?.unwrap_or(4093),
            anonymous_lifetime: Duration::seconds(anonymous_secs.min(lifetime_secs)),
            anonymous_keys: [
                PERMANENT.to_owned(),
                "_flashes".to_owned(),
                // flask-login's USE_SESSION_FOR_NEXT
                "next".to_owned(),
                config
                    .get::<String>("WTF_CSRF_FIELD_NAME")?
                    .unwrap_or_else(|| "csrf_token".to_owned()),
            ]
            .into(),
        }))
    }

    /// The session of a request's cookie, read from it or loaded from the store; `None`
    /// when there is no cookie, or it is malformed, tampered, unknown or expired (the
    /// request then gets an empty session, made only if something asks for it).
    ///
    /// `cookie` is the request's first `Cookie` header, found with the `Host` header in one
    /// pass (`host_and_cookie`); the others are read from `headers` when it is there.
    pub(crate) async fn load(
        self: &Arc<Self>,
        headers: &HeaderMap,
        cookie: Option<&HeaderValue>,
    ) -> Option<Session> {
        let values = || {
            headers
                .get_all(header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
        };
        // Most requests of a visitor without a session carry no such cookie: no parsing
        // (and no lookup at all when there is no Cookie header).
        cookie?;
        if !values().any(|v| v.contains(self.cookie_name.as_str())) {
            return None;
        }
        let cookie = crate::Cookies::parse(values());
        let raw = cookie.get(&self.cookie_name)?;
        let (store, keys) = match &self.persistence {
            Persistence::Cookie(secure) => {
                let max_age = std::time::Duration::from_secs(
                    u64::try_from(self.lifetime.whole_seconds()).unwrap_or(0),
                );
                let values = secure.loads(raw, max_age)?;
                return Some(self.session(State {
                    values,
                    ..State::default()
                }));
            }
            Persistence::Store { store, keys } => (store, keys),
        };
        // Cookies written before the ids went out as Werkzeug writes them were
        // percent-encoded (`%3D`); a signed id holds no `%` otherwise.
        let decoded = percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .ok()?;
        let id = keys.verify(&self.cookie_name, &decoded)?;
        let id = id.parse::<Id>().ok()?;
        match store.load(&id).await {
            Ok(Some(record)) if record.expiry_date > OffsetDateTime::now_utc() => {
                Some(self.session(State {
                    id: Some(id),
                    values: record.data.into_iter().collect(),
                    ..State::default()
                }))
            }
            Ok(_) => None,
            Err(e) => {
                tracing::error!("loading session failed, starting an empty one: {e}");
                None
            }
        }
    }

    /// A new, empty session.
    pub(crate) fn empty(self: &Arc<Self>) -> Session {
        self.session(State::default())
    }

    fn session(self: &Arc<Self>, state: State) -> Session {
        Session(Arc::new(Inner {
            backend: self.clone(),
            state: Mutex::new(state),
        }))
    }
}

#[derive(Default)]
struct State {
    id: Option<Id>,
    values: BTreeMap<String, Value>,
    modified: bool,
    accessed: bool,
    /// `cycle_id` was asked for: a new id, the old record deleted.
    cycle: bool,
    /// Flashes popped by `get_flashed_messages` in this request (Flask caches them too).
    flashes: Option<Vec<(String, String)>>,
}

struct Inner {
    backend: Arc<SessionBackend>,
    state: Mutex<State>,
}

/// Flask's `session`: values kept across requests for one browser, behind a signed cookie.
///
/// Available when `SECRET_KEY` is set (a 500 naming the fix otherwise). Reads and writes
/// are synchronous; the data is loaded before the handler runs and saved after it. Values
/// are anything serde can (de)serialize.
///
/// ```
/// use flask::{Flask, Session, routing::get};
///
/// #[flask::view]
/// async fn count(session: Session) -> String {
///     let n: u32 = session.get("visits").unwrap_or(0) + 1;
///     session.insert("visits", n);
///     format!("visit {n}")
/// }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = Flask::new("demo")
///     .configure(|c| c.set("SECRET_KEY", "dev"))
///     .route("/", get(count))
///     .test_client();
/// assert_eq!(client.get("/").send().await.text(), "visit 1");
/// assert_eq!(client.get("/").send().await.text(), "visit 2");
/// # }
/// ```
#[derive(Clone)]
pub struct Session(Arc<Inner>);

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.lock();
        f.debug_struct("Session")
            .field("keys", &s.values.keys().collect::<Vec<_>>())
            .field("modified", &s.modified)
            .finish()
    }
}

const PERMANENT: &str = "_permanent";

impl Session {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn read(&self) -> MutexGuard<'_, State> {
        let mut s = self.lock();
        s.accessed = true;
        s
    }

    /// The value of `key` as a `T`; `None` if missing or of another type. A value a Python
    /// Flask app stored in Flask's tagged JSON reads as its plain form: a tuple as an
    /// array, a datetime as an RFC 3339 string, a UUID as its hyphenated string (see
    /// docs/sessions.md).
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let s = self.read();
        let value = s.values.get(key)?;
        if tagged_json::is_plain(value) {
            serde_json::from_value(value.clone()).ok()
        } else {
            serde_json::from_value(tagged_json::untag(value)).ok()
        }
    }

    /// The value of `key` in Flask's tagged JSON, as the session cookie carries it (a
    /// Python tuple as `{" t": [..]}`, a datetime as `{" d": "<HTTP date>"}`).
    pub fn get_tagged(&self, key: &str) -> Option<Value> {
        self.read().values.get(key).cloned()
    }

    /// Sets `key` to a value already in Flask's tagged JSON, for Python code that reads
    /// the same session and expects one of its own types:
    /// `session.insert_tagged("seen", json!({" d": "Mon, 07 Dec 2026 10:00:00 GMT"}))`
    /// is a `datetime` there.
    pub fn insert_tagged(&self, key: &str, tagged: Value) {
        let mut s = self.read();
        s.values.insert(key.to_owned(), tagged);
        s.modified = true;
    }

    /// Whether `key` is set.
    pub fn contains(&self, key: &str) -> bool {
        self.read().values.contains_key(key)
    }

    /// Sets `key` (a value that cannot be serialized is stored as null).
    pub fn insert(&self, key: &str, value: impl Serialize) {
        let value = tagged_json::escape(serde_json::to_value(value).unwrap_or(Value::Null));
        let mut s = self.read();
        s.values.insert(key.to_owned(), value);
        s.modified = true;
    }

    /// Removes `key`, returning its value.
    pub fn remove<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let mut s = self.read();
        let old = s.values.remove(key)?;
        s.modified = true;
        serde_json::from_value(tagged_json::untag(&old)).ok()
    }

    /// Empties the session (its cookie is removed at the end of the request).
    pub fn clear(&self) {
        let mut s = self.read();
        s.values.clear();
        s.modified = true;
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.read().values.is_empty()
    }

    /// Flask's `session.permanent`: a permanent session's cookie lasts
    /// `PERMANENT_SESSION_LIFETIME`; otherwise it ends with the browser session.
    pub fn permanent(&self) -> bool {
        self.read()
            .values
            .get(PERMANENT)
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// Sets `session.permanent`.
    pub fn set_permanent(&self, permanent: bool) {
        let mut s = self.read();
        s.values
            .insert(PERMANENT.to_owned(), Value::Bool(permanent));
        s.modified = true;
    }

    /// Gives the session a new id at the end of this request and deletes the old record,
    /// keeping the data: do it on login, against session fixation. A cookie session has no
    /// id (its data is the cookie), so this changes nothing there.
    pub fn cycle_id(&self) {
        let mut s = self.lock();
        s.cycle = true;
        s.modified = true;
    }

    /// All values in their plain form, for templates (`session` there).
    pub(crate) fn snapshot(&self) -> BTreeMap<String, Value> {
        self.read()
            .values
            .iter()
            .map(|(k, v)| (k.clone(), tagged_json::untag(v)))
            .collect()
    }

    /// Writes the session to its cookie or its store and sets (or clears) the cookie, as
    /// Flask's `save_session` does.
    pub(crate) async fn save(&self, resp: &mut Response) {
        let backend = &self.0.backend;
        let (store, keys) = match &backend.persistence {
            Persistence::Cookie(secure) => return self.save_to_cookie(secure, resp),
            Persistence::Store { store, keys } => (store, keys),
        };
        match self.plan_save(resp) {
            SaveAction::Nothing => {}
            SaveAction::Delete(id) => {
                if let Err(e) = store.delete(&id).await {
                    tracing::error!("deleting session failed: {e}");
                }
                set_cookie(resp, &backend.removal_cookie());
            }
            SaveAction::Save {
                mut record,
                old_id,
                permanent,
                new,
            } => {
                if let Some(old) = old_id
                    && let Err(e) = store.delete(&old).await
                {
                    tracing::error!("deleting the old session failed: {e}");
                }
                // A new record goes through `create` (stores may pick another id on a
                // collision, and some, like Redis, only update existing keys in `save`).
                let result = if new {
                    store.create(&mut record).await
                } else {
                    store.save(&record).await
                };
                if let Err(e) = result {
                    tracing::error!("saving session failed: {e}");
                    return;
                }
                self.lock().id = Some(record.id);
                let signed = keys.sign(&backend.cookie_name, &record.id.to_string());
                let mut cookie = backend.base_cookie(signed);
                if permanent {
                    cookie = cookie.max_age(backend.lifetime.unsigned_abs());
                }
                set_cookie(resp, &cookie);
            }
        }
    }

    /// Flask's `SecureCookieSessionInterface.save_session`: the data signed into the
    /// cookie when it changed (or on every request for a permanent session with
    /// `SESSION_REFRESH_EACH_REQUEST`), the cookie removed when the session was emptied.
    fn save_to_cookie(&self, secure: &secure_cookie::SecureCookie, resp: &mut Response) {
        let backend = &self.0.backend;
        let mut s = self.lock();
        s.cycle = false;
        let mut vary = s.accessed;
        let cookie = if s.values.is_empty() {
            s.modified.then(|| backend.removal_cookie())
        } else {
            let permanent = s
                .values
                .get(PERMANENT)
                .and_then(Value::as_bool)
                .unwrap_or(false);
            (s.modified || (permanent && backend.refresh_each_request)).then(|| {
                let mut cookie = backend.base_cookie(secure.dumps(&s.values));
                if permanent {
                    // Werkzeug writes Expires alone, as Flask asks.
                    cookie = cookie
                        .expires(std::time::SystemTime::now() + backend.lifetime.unsigned_abs());
                }
                cookie
            })
        };
        drop(s);
        if let Some(cookie) = cookie {
            let header = cookie.to_string();
            backend.warn_if_too_large(&header, cookie.value().len());
            if let Ok(v) = HeaderValue::from_str(&header) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            vary = true;
        }
        if vary {
            resp.headers_mut()
                .append(header::VARY, HeaderValue::from_static("Cookie"));
        }
    }

    /// Decides what `save` does, under the lock (which must not be held across `await`).
    fn plan_save(&self, resp: &mut Response) -> SaveAction {
        let backend = &self.0.backend;
        let mut s = self.lock();
        if s.accessed {
            resp.headers_mut()
                .append(header::VARY, HeaderValue::from_static("Cookie"));
        }
        let permanent = s
            .values
            .get(PERMANENT)
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if s.values.is_empty() || (s.values.len() == 1 && s.values.contains_key(PERMANENT)) {
            return match (s.modified, s.id.take()) {
                (true, Some(id)) => SaveAction::Delete(id),
                _ => SaveAction::Nothing,
            };
        }
        if !(s.modified || (permanent && backend.refresh_each_request)) {
            return SaveAction::Nothing;
        }
        let old_id = if s.cycle { s.id.take() } else { None };
        s.cycle = false;
        let new = s.id.is_none();
        let id = *s.id.get_or_insert_with(Id::default);
        // A session holding only what every visitor of a form gets is kept for a short
        // while (a flood of cookieless visitors cannot fill the store for a month); one
        // that holds more (a login) for the whole lifetime, from its next save on.
        let anonymous = s
            .values
            .keys()
            .all(|k| backend.anonymous_keys.iter().any(|a| a == k));
        let lifetime = if anonymous {
            backend.anonymous_lifetime
        } else {
            backend.lifetime
        };
        SaveAction::Save {
            record: Record {
                id,
                data: s.values.clone().into_iter().collect(),
                expiry_date: OffsetDateTime::now_utc() + lifetime,
            },
            old_id,
            permanent,
            new,
        }
    }
}

enum SaveAction {
    Nothing,
    Delete(Id),
    Save {
        record: Record,
        old_id: Option<Id>,
        permanent: bool,
        /// No record exists yet: `create` it.
        new: bool,
    },
}

fn set_cookie(resp: &mut Response, cookie: &SetCookie) {
    if let Ok(v) = cookie.header_value() {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

impl SessionBackend {
    /// The session cookie with the `SESSION_COOKIE_*` attributes, written as Flask's
    /// `response.set_cookie` writes it.
    fn base_cookie(&self, value: String) -> SetCookie {
        let mut c = SetCookie::new(self.cookie_name.clone(), value)
            .path(Some(&self.path))
            .http_only(self.http_only)
            .secure(self.secure)
            // A partitioned cookie is Secure too (Werkzeug sets it).
            .partitioned(self.partitioned);
        if let Some(d) = &self.domain {
            c = c.domain(d);
        }
        if let Some(s) = self.same_site {
            c = c.same_site(s);
        }
        c
    }

    /// Werkzeug's warning for a cookie browsers may drop (`MAX_COOKIE_SIZE`).
    fn warn_if_too_large(&self, header: &str, value_size: usize) {
        let size = header.len();
        if self.max_cookie_size > 0 && size > self.max_cookie_size {
            tracing::warn!(
                "The '{}' cookie is too large: the value was {value_size} bytes but the header \
                 required {} extra bytes. The final size was {size} bytes but the limit is {} \
                 bytes. Browsers may silently ignore cookies larger than this.",
                self.cookie_name,
                size - value_size,
                self.max_cookie_size,
            );
        }
    }

    /// Flask's `delete_cookie` for the session cookie.
    fn removal_cookie(&self) -> SetCookie {
        self.base_cookie(String::new())
            .max_age(std::time::Duration::ZERO)
            .expires(std::time::SystemTime::UNIX_EPOCH)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = RequestContext::from_request_parts(parts, state).await?;
        ctx.session().ok_or_else(no_secret_key)
    }
}

pub(crate) fn no_secret_key() -> Error {
    Error::internal(
        "The session is unavailable because no secret key was set. Set SECRET_KEY in the \
         config (for example FLASK_SECRET_KEY in the environment) to something unique and secret.",
    )
}
