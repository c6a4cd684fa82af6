//! `response.set_cookie` and `delete_cookie`, written as Werkzeug's `dump_cookie` writes them.

use std::fmt;
use std::time::{Duration, SystemTime};

use axum::response::{IntoResponseParts, Response, ResponseParts};
use http::{HeaderValue, header};

use crate::Error;

/// A cookie to set on a response: Flask's `response.set_cookie(key, value, ...)`.
///
/// Return it with the body (`(SetCookie::new(..), body)`), or add it to a response with
/// [`ResponseExt::set_cookie`]. The header is Werkzeug's, byte for byte: a value with
/// characters cookies do not allow is quoted with backslash escapes (`"b c\073d"`), a
/// `max_age` also writes `Expires`, the path is `/` unless set.
///
/// ```
/// use flask::SetCookie;
/// use std::time::Duration;
///
/// async fn remember_theme() -> (SetCookie, &'static str) {
///     (SetCookie::new("theme", "dark").max_age(Duration::from_secs(3600)).http_only(true), "ok")
/// }
/// let plain = SetCookie::new("a", "b c;d").to_string();
/// assert_eq!(plain, r#"a="b c\073d"; Path=/"#);
/// assert_eq!(
///     SetCookie::delete("old").to_string(),
///     "old=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "return it with the response or pass it to set_cookie"]
pub struct SetCookie {
    key: String,
    value: String,
    max_age: Option<u64>,
    expires: Option<SystemTime>,
    path: Option<String>,
    domain: Option<String>,
    secure: bool,
    http_only: bool,
    same_site: Option<String>,
    partitioned: bool,
}

impl SetCookie {
    /// The cookie `key` with `value`, for the browser's session (no `max_age`), path `/`.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        SetCookie {
            key: key.into(),
            value: value.into(),
            max_age: None,
            expires: None,
            path: Some("/".to_owned()),
            domain: None,
            secure: false,
            http_only: false,
            same_site: None,
            partitioned: false,
        }
    }

    /// Flask's `delete_cookie(key)`: an empty value that expired in 1970. Give it the same
    /// `path` and `domain` the cookie was set with.
    pub fn delete(key: impl Into<String>) -> Self {
        let mut c = SetCookie::new(key, "");
        c.max_age = Some(0);
        c.expires = Some(SystemTime::UNIX_EPOCH);
        c
    }

    /// `Max-Age`, in whole seconds; also writes the matching `Expires`.
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age.as_secs());
        self
    }

    /// `Expires`: when the browser drops the cookie.
    pub fn expires(mut self, at: SystemTime) -> Self {
        self.expires = Some(at);
        self
    }

    /// `Path` (default `/`); `None` sends none.
    pub fn path(mut self, path: Option<&str>) -> Self {
        self.path = path.map(str::to_owned);
        self
    }

    /// `Domain`, for a cookie the subdomains share: a port and a leading dot are dropped,
    /// an international name is sent in Punycode.
    pub fn domain(mut self, domain: &str) -> Self {
        self.domain = Some(domain.to_owned());
        self
    }

    /// `Secure`: sent over HTTPS only.
    pub fn secure(mut self, on: bool) -> Self {
        self.secure = on;
        self
    }

    /// `HttpOnly`: out of JavaScript's reach.
    pub fn http_only(mut self, on: bool) -> Self {
        self.http_only = on;
        self
    }

    /// `SameSite`: `"Strict"`, `"Lax"` or `"None"` (any case). Another value makes the
    /// response a 500 naming it, as Werkzeug raises a `ValueError`.
    pub fn same_site(mut self, value: &str) -> Self {
        self.same_site = Some(value.to_owned());
        self
    }

    /// `Partitioned` (CHIPS); implies `Secure`.
    pub fn partitioned(mut self, on: bool) -> Self {
        self.partitioned = on;
        self
    }

    /// The value, as given.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The `Set-Cookie` header, or why it cannot be written.
    pub fn header_value(&self) -> Result<HeaderValue, Error> {
        if let Some(s) = &self.same_site
            && title(s).is_none()
        {
            return Err(Error::internal(format!(
                "set_cookie({:?}): SameSite must be 'Strict', 'Lax', or 'None', not {s:?}",
                self.key
            )));
        }
        HeaderValue::from_str(&self.to_string()).map_err(|_| {
            Error::internal(format!(
                "set_cookie({:?}): the key is not a valid header value",
                self.key
            ))
        })
    }
}

/// `SameSite`'s value in title case, if it is one of the three.
fn title(s: &str) -> Option<&'static str> {
    ["Strict", "Lax", "None"]
        .into_iter()
        .find(|t| t.eq_ignore_ascii_case(s))
}

/// Whether Werkzeug sends the value unquoted (`_cookie_no_quote_re`).
fn needs_no_quotes(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_!#$%&'()*+-./:<=>?@[]^`{|}~".contains(&b))
}

impl fmt::Display for SetCookie {
    /// The header text (`dump_cookie`'s order: Domain, Expires, Max-Age, Secure, HttpOnly,
    /// Path, SameSite, Partitioned).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key)?;
        f.write_str("=")?;
        if needs_no_quotes(&self.value) {
            f.write_str(&self.value)?;
        } else {
            f.write_str("\"")?;
            for &b in self.value.as_bytes() {
                match b {
                    b'"' => f.write_str("\\\"")?,
                    b'\\' => f.write_str("\\\\")?,
                    0x00..=0x19 | b',' | b';' | 0x7f..=0xff => write!(f, "\\{b:03o}")?,
                    _ => write!(f, "{}", char::from(b))?,
                }
            }
            f.write_str("\"")?;
        }
        if let Some(domain) = &self.domain {
            let host = domain
                .split(':')
                .next()
                .unwrap_or("")
                .trim_start_matches('.');
            // Python's `idna` codec leaves an ASCII name as it is (case included).
            let ascii = if host.is_ascii() {
                host.to_owned()
            } else {
                url::Host::parse(host).map_or_else(|_| host.to_owned(), |h| h.to_string())
            };
            write!(f, "; Domain={ascii}")?;
        }
        let expires = self.expires.or_else(|| {
            self.max_age
                .map(|age| SystemTime::now() + Duration::from_secs(age))
        });
        if let Some(at) = expires {
            write!(f, "; Expires={}", httpdate::fmt_http_date(at))?;
        }
        if let Some(age) = self.max_age {
            write!(f, "; Max-Age={age}")?;
        }
        if self.secure || self.partitioned {
            f.write_str("; Secure")?;
        }
        if self.http_only {
            f.write_str("; HttpOnly")?;
        }
        if let Some(path) = &self.path {
            write!(f, "; Path={}", crate::urls::quote(path, "%!$&'()*+,/:=@"))?;
        }
        if let Some(s) = self.same_site.as_deref().and_then(title) {
            write!(f, "; SameSite={s}")?;
        }
        if self.partitioned {
            f.write_str("; Partitioned")?;
        }
        Ok(())
    }
}

impl IntoResponseParts for SetCookie {
    type Error = Error;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Error> {
        res.headers_mut()
            .append(header::SET_COOKIE, self.header_value()?);
        Ok(res)
    }
}

/// Flask's response methods that have no axum equivalent, on any [`Response`]:
/// `resp.set_cookie(..)`, `resp.delete_cookie(..)`.
///
/// ```
/// use flask::{IntoResponse, ResponseExt, SetCookie};
/// let mut resp = "hello".into_response();
/// resp.set_cookie(SetCookie::new("visited", "yes"));
/// resp.delete_cookie("old");
/// assert_eq!(resp.headers().get_all("set-cookie").iter().count(), 2);
/// ```
pub trait ResponseExt {
    /// Adds a `Set-Cookie` header. A cookie that cannot be written (a `SameSite` that is not
    /// one of the three) turns the response into a 500 naming the mistake.
    fn set_cookie(&mut self, cookie: SetCookie) -> &mut Self;

    /// Flask's `delete_cookie(key)` with the default path `/` and no domain; for another
    /// path or domain, `set_cookie(SetCookie::delete(key).path(..).domain(..))`.
    fn delete_cookie(&mut self, key: &str) -> &mut Self;
}

impl ResponseExt for Response {
    fn set_cookie(&mut self, cookie: SetCookie) -> &mut Self {
        match cookie.header_value() {
            Ok(v) => {
                self.headers_mut().append(header::SET_COOKIE, v);
            }
            Err(e) => *self = axum::response::IntoResponse::into_response(e),
        }
        self
    }

    fn delete_cookie(&mut self, key: &str) -> &mut Self {
        self.set_cookie(SetCookie::delete(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Werkzeug 3.1's `dump_cookie` writes for the same arguments.
    #[test]
    fn dump_cookie_is_werkzeugs() {
        let c = SetCookie::new("p", "v")
            .secure(true)
            .http_only(true)
            .same_site("lax")
            .path(Some("/x"))
            .domain(".Example.com:5000");
        assert_eq!(
            c.to_string(),
            "p=v; Domain=Example.com; Secure; HttpOnly; Path=/x; SameSite=Lax"
        );
        assert_eq!(
            SetCookie::new("k", "é\"\\").to_string(),
            r#"k="\303\251\"\\"; Path=/"#
        );
        assert_eq!(
            SetCookie::new("k", "a,b").path(None).to_string(),
            r#"k="a\054b""#
        );
        assert_eq!(
            SetCookie::new("k", "[x]").path(Some("/a b")).to_string(),
            "k=[x]; Path=/a%20b"
        );
        let aged = SetCookie::new("k", "v")
            .max_age(Duration::from_secs(10))
            .to_string();
        assert!(
            aged.contains("; Expires=") && aged.ends_with("GMT; Max-Age=10; Path=/"),
            "{aged}"
        );
        assert_eq!(
            SetCookie::new("k", "v").partitioned(true).to_string(),
            "k=v; Secure; Path=/; Partitioned"
        );
        assert!(
            SetCookie::new("k", "v")
                .same_site("sometimes")
                .header_value()
                .is_err()
        );
    }
}
