//! The debug page's console, Werkzeug's debugger console in Rust terms: a prompt under the
//! traceback that evaluates Jinja expressions against a snapshot of the failing request.
//!
//! Werkzeug's protections, as Werkzeug has them:
//! - it exists only in debug mode (an app built without `DEBUG` has no `/__debugger__/`
//!   path at all);
//! - a PIN printed to the terminal at startup unlocks it; a wrong PIN costs a pause, and
//!   after [`MAX_PIN_FAILURES`] wrong tries it stays locked until the server restarts;
//! - it answers only clients on loopback (or in `DEBUGGER_ALLOWED_CLIENTS`) that name a
//!   local host (or one in `DEBUGGER_TRUSTED_HOSTS`), which keeps out a site that rebinds its
//!   DNS name to 127.0.0.1 and a reverse proxy's public traffic;
//! - each request carries the page's secret, which another site cannot read;
//! - a snapshot lives [`DEFAULT_SNAPSHOT_SECONDS`] (`DEBUGGER_SNAPSHOT_SECONDS`), and
//!   [`MAX_SNAPSHOTS`] at most are kept, the oldest dropped first.

use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::response::{IntoResponse as _, Response};
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use minijinja::Value;
use sha2::{Digest as _, Sha256};

use crate::SetupError;
use crate::app::AppInner;
use crate::config::Config;
use crate::console::{Console, eval_blocking};
use crate::{Error, RequestContext};

/// The paths the console answers on; none exists outside debug mode.
pub(crate) const PREFIX: &str = "/__debugger__/";
/// Wrong PINs after which the console stays locked until the server restarts (Werkzeug's 10).
pub(crate) const MAX_PIN_FAILURES: u32 = 10;
/// How long an unlocked browser stays unlocked (Werkzeug's `PIN_TIME`: a week).
const PIN_SECONDS: u64 = 7 * 24 * 60 * 60;
/// How long a failing request's snapshot can be evaluated against, by default.
pub(crate) const DEFAULT_SNAPSHOT_SECONDS: u64 = 30 * 60;
/// Snapshots kept at most; a new failure drops the oldest.
pub(crate) const MAX_SNAPSHOTS: usize = 16;
/// The largest console request body (a PIN or an expression).
const MAX_BODY: usize = 16 * 1024;
/// The cookie that says this browser typed the PIN.
const AUTH_COOKIE: &str = "__flask_debugger_auth";

/// The console's state: the PIN, the page secret, the failed tries and the snapshots.
pub(crate) struct Debugger {
    /// The PIN's digits, without dashes; `None` when `WERKZEUG_DEBUG_PIN=off`.
    pin: Option<String>,
    /// Put in each page and required with each request: another site cannot read it.
    secret: String,
    failures: AtomicU32,
    snapshot_ttl: Duration,
    allowed_clients: Vec<IpAddr>,
    trusted_hosts: Vec<String>,
    snapshots: Mutex<VecDeque<Snapshot>>,
}

struct Snapshot {
    id: String,
    made: Instant,
    console: Arc<Mutex<Console>>,
}

impl std::fmt::Debug for Debugger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Debugger")
            .field("pin", &self.pin.as_ref().map(|_| "****"))
            .finish_non_exhaustive()
    }
}

impl Debugger {
    /// The console of an app in debug mode: its PIN from `WERKZEUG_DEBUG_PIN` (`off`: none;
    /// digits: that PIN) or made from the machine and the app, stable across restarts.
    pub(crate) fn from_config(app_name: &str, config: &Config) -> Result<Self, SetupError> {
        let pin = match std::env::var("WERKZEUG_DEBUG_PIN") {
            Ok(v) if v.trim().eq_ignore_ascii_case("off") => None,
            Ok(v) if is_pin(&v) => Some(digits(&v)),
            _ => Some(machine_pin(app_name)),
        };
        let allowed_clients = config
            .get::<Vec<String>>("DEBUGGER_ALLOWED_CLIENTS")?
            .unwrap_or_default()
            .iter()
            .map(|a| {
                a.parse::<IpAddr>().map_err(|_| {
                    SetupError::Config(crate::ConfigError::WrongType {
                        key: "DEBUGGER_ALLOWED_CLIENTS".into(),
                        expected: "a list of IP addresses such as \"192.168.1.20\"".into(),
                        found: format!("{a:?}"),
                    })
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let trusted_hosts = config
            .get::<Vec<String>>("DEBUGGER_TRUSTED_HOSTS")?
            .unwrap_or_default()
            .into_iter()
            .map(|h| h.to_ascii_lowercase())
            .collect();
        let snapshot_ttl = Duration::from_secs(
            config
                .get::<u64>("DEBUGGER_SNAPSHOT_SECONDS")?
                .unwrap_or(DEFAULT_SNAPSHOT_SECONDS),
        );
        Ok(Debugger {
            pin,
            secret: uuid::Uuid::new_v4().simple().to_string(),
            failures: AtomicU32::new(0),
            snapshot_ttl,
            allowed_clients,
            trusted_hosts,
            snapshots: Mutex::new(VecDeque::new()),
        })
    }

    /// The PIN as printed at startup (`123-456-789`), or `None` when there is none.
    pub(crate) fn pin(&self) -> Option<String> {
        let pin = self.pin.as_ref()?;
        if pin.len() == 9 {
            Some(format!("{}-{}-{}", &pin[..3], &pin[3..6], &pin[6..]))
        } else {
            Some(pin.clone())
        }
    }

    /// Whether the client at `ip` may use the console: loopback, or listed.
    fn allows(&self, ip: IpAddr) -> bool {
        is_loopback(ip) || self.allowed_clients.contains(&ip)
    }

    /// Why a request from `addr` naming `host` may not use the console, if it may not.
    fn refuse(&self, host: Option<&str>, addr: Option<IpAddr>) -> Option<String> {
        let local = addr.is_some_and(|ip| self.allows(ip));
        if !local {
            return Some(format!(
                "the console answers only clients on this machine, and this request came from {}: \
                 add the address to DEBUGGER_ALLOWED_CLIENTS to let it in (anyone who can \
                 reach the console can run queries as the app)",
                addr.map_or("an unknown address".to_owned(), |a| a.to_string())
            ));
        }
        let name = host.map(host_name).unwrap_or_default();
        let trusted = name == "localhost"
            || name.ends_with(".localhost")
            || name.parse::<IpAddr>().is_ok_and(is_loopback)
            || name
                .strip_prefix('[')
                .and_then(|n| n.strip_suffix(']'))
                .and_then(|n| n.parse::<IpAddr>().ok())
                .is_some_and(is_loopback)
            || self
                .trusted_hosts
                .iter()
                .any(|t| t == &name || (t.starts_with('.') && name.ends_with(t.as_str())));
        if !trusted {
            return Some(format!(
                "the console answers only requests for localhost or 127.0.0.1, and this one \
                 names the host {:?}: add it to DEBUGGER_TRUSTED_HOSTS if you mean to reach \
                 the console by that name",
                host.unwrap_or("")
            ));
        }
        None
    }

    /// Whether `headers` carry a valid unlock cookie (always, without a PIN).
    fn unlocked(&self, headers: &HeaderMap) -> bool {
        let Some(pin) = &self.pin else {
            return true;
        };
        let cookies = crate::request::Cookies::parse(
            headers
                .get_all(header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok()),
        );
        let Some((ts, mac)) = cookies.get(AUTH_COOKIE).and_then(|v| v.split_once('|')) else {
            return false;
        };
        let Ok(ts) = ts.parse::<u64>() else {
            return false;
        };
        let fresh = now().saturating_sub(ts) < PIN_SECONDS;
        fresh && constant_time_eq(mac.as_bytes(), auth_mac(pin, ts).as_bytes())
    }

    /// Keeps a snapshot of the failing request for the console; returns its id. The oldest
    /// is dropped beyond [`MAX_SNAPSHOTS`], and expired ones on the way.
    fn keep(&self, console: Console) -> String {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let mut snapshots = self.snapshots.lock().unwrap_or_else(|e| e.into_inner());
        let ttl = self.snapshot_ttl;
        snapshots.retain(|s| s.made.elapsed() < ttl);
        while snapshots.len() >= MAX_SNAPSHOTS {
            snapshots.pop_front();
        }
        snapshots.push_back(Snapshot {
            id: id.clone(),
            made: Instant::now(),
            console: Arc::new(Mutex::new(console)),
        });
        id
    }

    fn snapshot(&self, id: &str) -> Option<Arc<Mutex<Console>>> {
        let snapshots = self.snapshots.lock().unwrap_or_else(|e| e.into_inner());
        snapshots
            .iter()
            .find(|s| s.id == id && s.made.elapsed() < self.snapshot_ttl)
            .map(|s| s.console.clone())
    }
}

/// What the debug page shows of the console for one failing request.
pub(crate) enum PageConsole {
    /// The console, for a trusted client: the snapshot's id, the page secret, whether a
    /// PIN is still to be typed.
    Open {
        snapshot: String,
        secret: String,
        locked: bool,
    },
    /// Why this client gets no console.
    Refused(String),
}

/// Takes a snapshot of the failing request for the page's console: `request` (with its
/// headers, cookies, form and JSON body), `session`, `g`, `view_args`, `error`, what the
/// template context processors give (flask-login's `current_user`) and the shell context
/// (flask-sqlalchemy's `db`).
pub(crate) fn page_console(err: &Error, ctx: &RequestContext) -> Option<PageConsole> {
    let debugger = ctx.app_inner().debugger.as_ref()?;
    let headers = ctx.debug_request().map(|d| &d.headers);
    let host = ctx.host();
    if let Some(why) = debugger.refuse(host, ctx.remote_addr()) {
        return Some(PageConsole::Refused(why));
    }
    let names = request_names(err, ctx);
    let console = Console::with_names(&ctx.app(), names).in_request(ctx.clone());
    let snapshot = debugger.keep(console);
    Some(PageConsole::Open {
        snapshot,
        secret: debugger.secret.clone(),
        locked: !headers.is_some_and(|h| debugger.unlocked(h)),
    })
}

fn request_names(err: &Error, ctx: &RequestContext) -> BTreeMap<String, Value> {
    let mut names = BTreeMap::new();
    let values = crate::templating::request_values(ctx);
    if let Ok(keys) = values.try_iter() {
        for key in keys {
            if let (Some(name), Ok(value)) = (key.as_str(), values.get_item(&key))
                && !value.is_undefined()
            {
                names.insert(name.to_owned(), value);
            }
        }
    }
    // Asked for by name: the template globals make the session only when one is looked up.
    if let Ok(session) = values.get_attr("session")
        && !session.is_undefined()
    {
        names.insert("session".into(), session);
    }
    let request = Value::from_object(super::console_request::ConsoleRequest::new(ctx.clone()));
    if let Ok(view_args) = request.get_attr("view_args") {
        names.insert("view_args".into(), view_args);
    }
    names.insert("request".into(), request);
    names.insert(
        "error".into(),
        Value::from_serialize(serde_json::json!({
            "code": err.code(),
            "name": err.name(),
            "message": err.chain().first().cloned().unwrap_or_else(|| err.to_string()),
            "chain": err.chain(),
        })),
    );
    names
}

/// Answers a request under [`PREFIX`] (debug mode only).
pub(crate) async fn handle(
    app: Arc<AppInner>,
    parts: http::request::Parts,
    body: Body,
    peer: Option<std::net::SocketAddr>,
) -> Response {
    let Some(debugger) = app.debugger.as_ref() else {
        return Error::new(StatusCode::NOT_FOUND).to_response(false);
    };
    let path = &parts.uri.path()[PREFIX.len()..];
    if path == "console.js" && parts.method == Method::GET {
        return (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/javascript; charset=utf-8"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ],
            CONSOLE_JS,
        )
            .into_response();
    }
    if path != "pinauth" && path != "console" {
        return Error::new(StatusCode::NOT_FOUND).to_response(false);
    }
    if parts.method != Method::POST {
        return answer(
            StatusCode::METHOD_NOT_ALLOWED,
            serde_json::json!({"error": "the console takes POST requests"}),
        );
    }
    // Both the connection's peer and the client a trusted proxy names must be allowed: a
    // proxy on this machine forwards strangers' requests from loopback, and without a proxy
    // `X-Forwarded-For` is the client's own word.
    let peer_ip = peer.map(|p| p.ip()).or_else(|| {
        parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip())
    });
    let client = crate::request::client_addr(&app, &parts, peer);
    let addr = match peer_ip {
        Some(p) if !debugger.allows(p) => Some(p),
        _ => client,
    };
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or(parts.uri.authority().map(|a| a.as_str()));
    if let Some(why) = debugger.refuse(host, addr) {
        return answer(StatusCode::FORBIDDEN, serde_json::json!({"error": why}));
    }
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return answer(
            StatusCode::PAYLOAD_TOO_LARGE,
            serde_json::json!({"error": format!("the console takes {MAX_BODY} bytes at most")}),
        );
    };
    let fields: BTreeMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    if fields.get("s").map(String::as_str) != Some(debugger.secret.as_str()) {
        return answer(
            StatusCode::FORBIDDEN,
            serde_json::json!({"error": "the page's secret is missing or wrong: reload the page (the server may have restarted)"}),
        );
    }
    if path == "pinauth" {
        return pin_auth(debugger, fields.get("pin").map_or("", String::as_str)).await;
    }
    if !debugger.unlocked(&parts.headers) {
        return answer(
            StatusCode::FORBIDDEN,
            serde_json::json!({"error": "the console is locked: type the PIN printed where the server was started"}),
        );
    }
    let Some(console) = fields.get("snapshot").and_then(|id| debugger.snapshot(id)) else {
        return answer(
            StatusCode::NOT_FOUND,
            serde_json::json!({"error": format!(
                "this page's snapshot of the request has expired (snapshots last {} minutes, and {MAX_SNAPSHOTS} are kept): send the failing request again",
                debugger.snapshot_ttl.as_secs() / 60
            )}),
        );
    };
    let Some(line) = fields.get("cmd") else {
        return answer(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "no expression: send it as cmd"}),
        );
    };
    match eval_blocking(&console, line.clone(), true).await {
        Ok(output) => {
            let more = console
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .continues();
            answer(
                StatusCode::OK,
                serde_json::json!({"output": output, "more": more}),
            )
        }
        Err(message) => answer(StatusCode::OK, serde_json::json!({"error": message})),
    }
}

async fn pin_auth(debugger: &Debugger, pin: &str) -> Response {
    let Some(expected) = &debugger.pin else {
        return answer(StatusCode::OK, serde_json::json!({"auth": true}));
    };
    // Each try takes its place in the count before the PIN is compared, so that tries sent
    // at once cannot get past the limit together.
    let tried = debugger.failures.fetch_add(1, Ordering::AcqRel);
    if tried >= MAX_PIN_FAILURES {
        return exhausted();
    }
    if is_pin(pin) && constant_time_eq(digits(pin).as_bytes(), expected.as_bytes()) {
        debugger.failures.fetch_sub(1, Ordering::AcqRel);
        let ts = now();
        let cookie =
            cookie::Cookie::build((AUTH_COOKIE, format!("{ts}|{}", auth_mac(expected, ts))))
                .path("/")
                .http_only(true)
                .same_site(cookie::SameSite::Strict)
                .max_age(cookie::time::Duration::seconds(PIN_SECONDS as i64))
                .build();
        let mut resp = answer(StatusCode::OK, serde_json::json!({"auth": true}));
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            resp.headers_mut().append(header::SET_COOKIE, value);
        }
        return resp;
    }
    let failed = tried + 1;
    // Werkzeug's pause: half a second, five after the fifth wrong PIN.
    tokio::time::sleep(Duration::from_millis(if failed > 5 { 5000 } else { 500 })).await;
    if failed >= MAX_PIN_FAILURES {
        return exhausted();
    }
    answer(
        StatusCode::FORBIDDEN,
        serde_json::json!({"auth": false, "error": format!(
            "wrong PIN ({} tries left before the console locks until the server restarts)",
            MAX_PIN_FAILURES - failed
        )}),
    )
}

fn exhausted() -> Response {
    answer(
        StatusCode::FORBIDDEN,
        serde_json::json!({"auth": false, "exhausted": true, "error": format!(
            "{MAX_PIN_FAILURES} wrong PINs: the console is locked until the server restarts"
        )}),
    )
}

fn answer(status: StatusCode, body: serde_json::Value) -> Response {
    let mut resp = (status, axum::Json(body)).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The unlock cookie's proof of the PIN, for the time it was typed.
fn auth_mac(pin: &str, ts: u64) -> String {
    let digest = Sha256::digest(format!("flask debugger|{pin}|{ts}").as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether `v` reads as a PIN: digits, maybe grouped with dashes.
fn is_pin(v: &str) -> bool {
    let d = digits(v);
    !d.is_empty()
        && d.chars().all(|c| c.is_ascii_digit())
        && v.trim().chars().all(|c| c.is_ascii_digit() || c == '-')
}

fn digits(v: &str) -> String {
    v.trim().chars().filter(|c| *c != '-').collect()
}

/// Werkzeug's scheme: a PIN made from what identifies this machine, this user and this
/// program, so it stays the same across restarts and differs between apps and machines.
fn machine_pin(app_name: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [
        std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_default(),
        app_name.to_owned(),
        std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        std::fs::read_to_string("/etc/machine-id")
            .or_else(|_| std::fs::read_to_string("/var/lib/dbus/machine-id"))
            .or_else(|_| std::fs::read_to_string("/proc/sys/kernel/random/boot_id"))
            .unwrap_or_default()
            .trim()
            .to_owned(),
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .or_else(|_| std::env::var("COMPUTERNAME"))
            .or_else(|_| std::env::var("HOSTNAME"))
            .unwrap_or_default()
            .trim()
            .to_owned(),
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher.update(b"flask debugger pin");
    let digest = hasher.finalize();
    let n = u64::from_be_bytes(digest[..8].try_into().unwrap_or([0; 8]));
    format!("{:09}", n % 1_000_000_000)
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// A `Host` value's name, lower-cased, without its port.
fn host_name(host: &str) -> String {
    let host = host.trim().to_ascii_lowercase();
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) => host[..=end].to_owned(),
            None => host,
        };
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name.to_owned(),
        _ => host,
    }
}

/// The console's script, served as a file (a Content-Security-Policy without
/// `'unsafe-inline'` still runs it).
const CONSOLE_JS: &str = include_str!("console.js");

#[cfg(test)]
mod tests {
    use super::*;

    fn debugger(allowed: &[&str], hosts: &[&str]) -> Debugger {
        let mut config = Config::new();
        config.set("DEBUGGER_ALLOWED_CLIENTS", allowed.to_vec());
        config.set("DEBUGGER_TRUSTED_HOSTS", hosts.to_vec());
        Debugger::from_config("demo", &config).unwrap()
    }

    #[test]
    fn only_local_clients_naming_a_local_host_are_answered() {
        let d = debugger(&[], &[]);
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        let lan: IpAddr = "192.168.1.9".parse().unwrap();
        assert!(d.refuse(Some("localhost:5000"), Some(local)).is_none());
        assert!(d.refuse(Some("127.0.0.1:5000"), Some(local)).is_none());
        assert!(
            d.refuse(Some("[::1]:5000"), Some("::1".parse().unwrap()))
                .is_none()
        );
        assert!(d.refuse(Some("app.localhost"), Some(local)).is_none());
        let why = d.refuse(Some("localhost"), Some(lan)).unwrap();
        assert!(
            why.contains("192.168.1.9") && why.contains("DEBUGGER_ALLOWED_CLIENTS"),
            "{why}"
        );
        // A site rebinding its name to 127.0.0.1 names itself in Host.
        let why = d.refuse(Some("evil.example:5000"), Some(local)).unwrap();
        assert!(
            why.contains("evil.example") && why.contains("DEBUGGER_TRUSTED_HOSTS"),
            "{why}"
        );
        assert!(d.refuse(None, Some(local)).is_some());
        assert!(d.refuse(Some("localhost"), None).is_some());

        let d = debugger(&["192.168.1.9"], &["devbox.lan", "192.168.1.20"]);
        assert!(d.refuse(Some("devbox.lan:5000"), Some(lan)).is_none());
        assert!(d.refuse(Some("192.168.1.20:5000"), Some(lan)).is_none());
        assert!(d.refuse(Some("192.168.1.21:5000"), Some(lan)).is_some());
        assert!(d.refuse(Some("evil.example"), Some(lan)).is_some());
    }

    #[test]
    fn a_bad_allowed_client_stops_the_build() {
        let mut config = Config::new();
        config.set("DEBUGGER_ALLOWED_CLIENTS", vec!["not-an-ip"]);
        let err = Debugger::from_config("demo", &config)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not-an-ip"), "{err}");
    }

    #[test]
    fn the_pin_is_nine_digits_stable_per_app() {
        let a = machine_pin("one");
        assert_eq!(a.len(), 9);
        assert!(a.chars().all(|c| c.is_ascii_digit()));
        assert_eq!(a, machine_pin("one"));
        assert_ne!(a, machine_pin("two"));
        assert!(is_pin("123-456-789") && is_pin("1234"));
        assert!(!is_pin("off") && !is_pin("") && !is_pin("12a"));
    }

    #[test]
    fn the_unlock_cookie_proves_the_pin() {
        let d = debugger(&[], &[]);
        let pin = d.pin.clone().unwrap();
        let ts = now();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("{AUTH_COOKIE}={ts}|{}", auth_mac(&pin, ts))).unwrap(),
        );
        assert!(d.unlocked(&headers));
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("{AUTH_COOKIE}={ts}|{}", auth_mac("000000000", ts)))
                .unwrap(),
        );
        assert!(!d.unlocked(&headers));
        let old = ts - PIN_SECONDS - 1;
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("{AUTH_COOKIE}={old}|{}", auth_mac(&pin, old))).unwrap(),
        );
        assert!(!d.unlocked(&headers));
        assert!(!d.unlocked(&HeaderMap::new()));
    }

    #[test]
    fn hosts_lose_their_port() {
        assert_eq!(host_name("LocalHost:5000"), "localhost");
        assert_eq!(host_name("[::1]:80"), "[::1]");
        assert_eq!(host_name("example.com"), "example.com");
    }
}
