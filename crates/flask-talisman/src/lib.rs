//! Flask-Talisman's job for flask-rs: security headers on every response of the app, error
//! pages included.
//!
//! ```
//! use flask::{Flask, routing::get};
//! use flask_talisman::Talisman;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let client = Flask::new("demo")
//!     .extension(Talisman::new().content_security_policy("default-src 'self'"))
//!     .route("/", get(|| async { "hi" }))
//!     .test_client();
//! let resp = client.get("/").send().await;
//! assert_eq!(resp.header("x-content-type-options"), Some("nosniff"));
//! assert_eq!(resp.header("x-frame-options"), Some("SAMEORIGIN"));
//! assert_eq!(resp.header("referrer-policy"), Some("strict-origin-when-cross-origin"));
//! assert_eq!(resp.header("content-security-policy"), Some("default-src 'self'"));
//! # }
//! ```
//!
//! | header | default | builder |
//! |---|---|---|
//! | `X-Content-Type-Options` | `nosniff` | [`Talisman::content_type_nosniff`] |
//! | `X-Frame-Options` | `SAMEORIGIN` | [`Talisman::frame_options`] (`None` for none) |
//! | `Referrer-Policy` | `strict-origin-when-cross-origin` | [`Talisman::referrer_policy`] |
//! | `Content-Security-Policy` | none | [`Talisman::content_security_policy`] |
//! | `Strict-Transport-Security` | none; HTTPS requests only | [`Talisman::strict_transport_security`] |
//! | `Permissions-Policy` | none | [`Talisman::permissions_policy`] |
//!
//! A header the view set itself is left as it is, so one page can loosen or tighten a
//! policy. Differences from Flask-Talisman, on purpose: no HTTPS redirect (`force_https`:
//! the proxy in front does it), and HSTS and CSP are off until asked for, since a policy
//! that does not fit the app breaks it in the browser without a word on the server (HSTS is
//! sent only over HTTPS, which the app knows from `PROXY_FIX_X_PROTO`).
//!
//! The whole guide page, from the repository's `docs/security-headers.md`, is the [`guide`] module.

pub mod guide;

use flask::{Extension, RequestContext, Response, Setup, SetupError};
use http::{HeaderName, HeaderValue, header};

/// The security-headers extension.
#[derive(Debug, Clone)]
pub struct Talisman {
    nosniff: bool,
    frame_options: Option<String>,
    referrer_policy: Option<String>,
    csp: Option<String>,
    hsts: Option<String>,
    permissions_policy: Option<String>,
}

impl Default for Talisman {
    fn default() -> Self {
        Talisman {
            nosniff: true,
            frame_options: Some("SAMEORIGIN".to_owned()),
            referrer_policy: Some("strict-origin-when-cross-origin".to_owned()),
            csp: None,
            hsts: None,
            permissions_policy: None,
        }
    }
}

impl Talisman {
    /// The defaults: `nosniff`, `SAMEORIGIN` framing, `strict-origin-when-cross-origin`.
    pub fn new() -> Self {
        Talisman::default()
    }

    /// Whether to send `X-Content-Type-Options: nosniff` (on by default).
    pub fn content_type_nosniff(mut self, on: bool) -> Self {
        self.nosniff = on;
        self
    }

    /// `X-Frame-Options`: `"SAMEORIGIN"` (the default), `"DENY"`, or `None` for none (with
    /// a CSP `frame-ancestors` instead, say).
    pub fn frame_options(mut self, value: Option<&str>) -> Self {
        self.frame_options = value.map(str::to_owned);
        self
    }

    /// `Referrer-Policy` (`"strict-origin-when-cross-origin"` by default; `None` for none).
    pub fn referrer_policy(mut self, value: Option<&str>) -> Self {
        self.referrer_policy = value.map(str::to_owned);
        self
    }

    /// `Content-Security-Policy`, as written (`"default-src 'self'"`; add
    /// `frame-ancestors 'self'` to say the same as `X-Frame-Options` for newer browsers).
    pub fn content_security_policy(mut self, policy: &str) -> Self {
        self.csp = Some(policy.to_owned());
        self
    }

    /// `Strict-Transport-Security` on HTTPS requests: `max-age` in seconds (Flask-Talisman
    /// uses a year, 31 536 000), and whether it covers subdomains and asks for preloading.
    pub fn strict_transport_security(
        mut self,
        max_age: u64,
        include_subdomains: bool,
        preload: bool,
    ) -> Self {
        let mut value = format!("max-age={max_age}");
        if include_subdomains {
            value.push_str("; includeSubDomains");
        }
        if preload {
            value.push_str("; preload");
        }
        self.hsts = Some(value);
        self
    }

    /// `Permissions-Policy`, as written (`"geolocation=(), camera=()"`).
    pub fn permissions_policy(mut self, policy: &str) -> Self {
        self.permissions_policy = Some(policy.to_owned());
        self
    }

    /// The headers every response gets, checked once.
    fn headers(&self) -> Result<Vec<(HeaderName, HeaderValue)>, SetupError> {
        let mut out = Vec::new();
        let mut add = |name: HeaderName, value: &str| -> Result<(), SetupError> {
            let value = HeaderValue::from_str(value).map_err(|_| {
                SetupError::extension(
                    "flask-talisman",
                    format!(
                        "{value:?} cannot be the value of {name}: it holds a control character"
                    ),
                )
            })?;
            out.push((name, value));
            Ok(())
        };
        if self.nosniff {
            add(header::X_CONTENT_TYPE_OPTIONS, "nosniff")?;
        }
        if let Some(v) = &self.frame_options {
            add(header::X_FRAME_OPTIONS, v)?;
        }
        if let Some(v) = &self.referrer_policy {
            add(header::REFERRER_POLICY, v)?;
        }
        if let Some(v) = &self.csp {
            add(header::CONTENT_SECURITY_POLICY, v)?;
        }
        if let Some(v) = &self.permissions_policy {
            add(HeaderName::from_static("permissions-policy"), v)?;
        }
        Ok(out)
    }
}

impl Extension for Talisman {
    fn name(&self) -> &'static str {
        "flask-talisman"
    }

    fn init_app(&self, setup: &mut Setup<'_>) -> Result<(), SetupError> {
        let always = self.headers()?;
        let hsts = match &self.hsts {
            Some(v) => Some(HeaderValue::from_str(v).map_err(|_| {
                SetupError::extension("flask-talisman", "the HSTS value is not a header value")
            })?),
            None => None,
        };
        setup.after_request(move |ctx: RequestContext, mut resp: Response| {
            let headers = resp.headers_mut();
            for (name, value) in &always {
                if !headers.contains_key(name) {
                    headers.insert(name.clone(), value.clone());
                }
            }
            if let Some(hsts) = &hsts
                && ctx.is_secure()
                && !headers.contains_key(header::STRICT_TRANSPORT_SECURITY)
            {
                headers.insert(header::STRICT_TRANSPORT_SECURITY, hsts.clone());
            }
            std::future::ready(resp)
        });
        Ok(())
    }
}
