//! The session cookie as Flask 3.1's `SecureCookieSessionInterface` writes it:
//! itsdangerous' `URLSafeTimedSerializer` with the salt `cookie-session`, an HMAC-derived
//! key and SHA-1, over Flask's tagged JSON.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use super::tagged_json;
use crate::signing::itsdangerous::{KeyDerivation, TimestampSigner, UrlSafeTimedSerializer};

/// Flask's `SecureCookieSessionInterface.salt`.
const SALT: &str = "cookie-session";

/// Reads and writes session cookies with `SECRET_KEY` (and its fallbacks).
pub(crate) struct SecureCookie {
    serializer: UrlSafeTimedSerializer,
}

impl SecureCookie {
    /// Signs with `secret`; cookies signed with a `fallbacks` secret still read.
    pub(crate) fn new(secret: &str, fallbacks: &[String]) -> Self {
        let secrets: Vec<&str> = std::iter::once(secret)
            .chain(fallbacks.iter().map(String::as_str))
            .collect();
        SecureCookie {
            serializer: UrlSafeTimedSerializer::new(TimestampSigner::new(
                &secrets,
                SALT,
                KeyDerivation::Hmac,
            )),
        }
    }

    /// The cookie's value for these (tagged) values.
    pub(crate) fn dumps(&self, values: &BTreeMap<String, Value>) -> String {
        self.serializer.dumps(tagged_json::dumps(values).as_bytes())
    }

    /// The values of a cookie, if it is untampered, not older than `max_age` (Flask checks
    /// `PERMANENT_SESSION_LIFETIME` for every session) and holds a JSON object.
    pub(crate) fn loads(&self, cookie: &str, max_age: Duration) -> Option<BTreeMap<String, Value>> {
        let json = self.serializer.loads(cookie, Some(max_age)).ok()?;
        tagged_json::loads(&json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_cookie_python_flask_wrote() {
        // Flask 3.1.3, SECRET_KEY "test-secret", {"n": "h\u{e9}llo \u{2713}", "z": {"b": 1, "a": 2}}
        // stamped at 1_700_000_000; the text we write for it is Flask's byte for byte.
        let cookie = "eyJuIjoiaFx1MDBlOWxsbyBcdTI3MTMiLCJ6Ijp7ImEiOjIsImIiOjF9fQ.ZVPxAA.Blaud6hOsCv6NcLjTCsVnLdfdcc";
        let ours = SecureCookie::new("test-secret", &[]);
        let values = ours
            .serializer
            .loads(cookie, None)
            .ok()
            .and_then(|j| tagged_json::loads(&j));
        let values = values.expect("the cookie reads");
        assert_eq!(values["n"], "h\u{e9}llo \u{2713}");
        assert_eq!(
            ours.serializer.loads(cookie, None).unwrap(),
            tagged_json::dumps(&values).as_bytes()
        );
        // Too old for a lifetime of a day (it was signed in 2023), and a fallback reads it.
        assert_eq!(ours.loads(cookie, Duration::from_secs(86_400)), None);
        let rotated = SecureCookie::new("new-secret", &["test-secret".to_owned()]);
        assert!(rotated.serializer.loads(cookie, None).is_ok());
        assert!(
            SecureCookie::new("new-secret", &[])
                .serializer
                .loads(cookie, None)
                .is_err()
        );
    }
}
