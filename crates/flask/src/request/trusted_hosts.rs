//! `TRUSTED_HOSTS` (Flask 3.1): a request whose host is not listed is a 400, before
//! routing, so nothing (`url_for(_external=True)`, a password-reset link) is built from a
//! host a client made up.

use http::request::Parts;
use http::{StatusCode, header};

use crate::{Config, ConfigError, Error};

/// The hosts a request may name; `None` when `TRUSTED_HOSTS` is not set (any host).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TrustedHosts(Box<[String]>);

impl TrustedHosts {
    pub(crate) fn from_config(config: &Config) -> Result<Option<Self>, ConfigError> {
        Ok(config
            .get::<Vec<String>>("TRUSTED_HOSTS")?
            .map(|hosts| TrustedHosts(hosts.into_boxed_slice())))
    }

    /// Werkzeug's `host_is_trusted`: the host without its port equals a listed name, or,
    /// for a name with a leading `.`, is that domain or a subdomain of it. Compared as
    /// written, as Werkzeug does (`EXAMPLE.COM` is not `example.com`).
    fn allows(&self, host: &str) -> bool {
        let name = strip_port(host);
        if name.is_empty() {
            return false;
        }
        self.0.iter().any(|trusted| {
            let trusted = strip_port(trusted);
            match trusted.strip_prefix('.') {
                Some(domain) => {
                    name == domain
                        || name
                            .strip_suffix(domain)
                            .is_some_and(|sub| sub.ends_with('.'))
                }
                None => name == trusted,
            }
        })
    }

    /// The request's 400 when its host is not trusted.
    pub(crate) fn check(&self, parts: &Parts) -> Result<(), Error> {
        let host = request_host(parts);
        if self.allows(&host) {
            Ok(())
        } else {
            Err(Error::with_description(
                StatusCode::BAD_REQUEST,
                format!("Host {} is not trusted.", python_repr(&host)),
            ))
        }
    }
}

/// The host the request names: its `Host` header (bytes that are not UTF-8 replaced), or the
/// authority of an absolute request URI; empty with neither.
pub(crate) fn request_host(parts: &Parts) -> std::borrow::Cow<'_, str> {
    match parts.headers.get(header::HOST) {
        Some(h) => String::from_utf8_lossy(h.as_bytes()),
        None => parts
            .uri
            .authority()
            .map_or(std::borrow::Cow::Borrowed(""), |a| {
                std::borrow::Cow::Borrowed(a.as_str())
            }),
    }
}

/// `example.com:8080` -> `example.com`; `[::1]:80` -> `[::1]`; an IPv6 address without
/// brackets (`::1`, as one may write it in the list) is left whole.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) => &host[..=end],
            None => host,
        };
    }
    match host.split_once(':') {
        Some((name, port)) if !port.contains(':') => name,
        _ => host,
    }
}

/// Python's `repr` of a string as Werkzeug's message shows it (`'evil.com'`).
fn python_repr(s: &str) -> String {
    if s.contains('\'') && !s.contains('"') {
        format!("\"{s}\"")
    } else {
        format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_subdomains_and_ports_as_werkzeug() {
        let trusted = TrustedHosts(
            ["example.com", ".example.org", "localhost"]
                .map(str::to_owned)
                .into(),
        );
        // What Flask 3.1.3 answered for each Host header.
        for (host, ok) in [
            ("example.com", true),
            ("example.com:8080", true),
            ("evil.com", false),
            ("sub.example.org", true),
            ("example.org", true),
            ("a.b.example.org", true),
            ("EXAMPLE.COM", false),
            ("localhost:5000", true),
            ("", false),
            ("example.com.evil.com", false),
            ("notexample.org", false),
        ] {
            assert_eq!(trusted.allows(host), ok, "{host:?}");
        }
        assert_eq!(python_repr("evil.com"), "'evil.com'");
        assert_eq!(strip_port("[::1]:80"), "[::1]");
        assert_eq!(strip_port("[::1]"), "[::1]");
        assert_eq!(strip_port("::1"), "::1");
        assert_eq!(strip_port("example.com:80"), "example.com");
        let v6 = TrustedHosts(["[::1]".to_owned()].into());
        assert!(v6.allows("[::1]:8080"));
        assert!(!v6.allows("::5"));
    }
}
