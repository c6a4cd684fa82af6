//! Signing the session cookie with `SECRET_KEY`, and verifying with its fallbacks.

use cookie::{Cookie, CookieJar, Key};
use sha2::{Digest, Sha512};

/// The signing key and the fallback keys that still verify (Flask's
/// `SECRET_KEY_FALLBACKS`, for rotating the secret).
pub(crate) struct Keys {
    current: Key,
    fallbacks: Vec<Key>,
}

/// A new random secret (64 hex digits, 244 random bits from the OS), like Python's
/// `secrets.token_hex()`: for `SECRET_KEY`, or for a development default that lasts
/// until the process ends.
///
/// ```
/// let key = flask::sessions::generate_secret_key();
/// assert_eq!(key.len(), 64);
/// assert_ne!(key, flask::sessions::generate_secret_key());
/// ```
pub fn generate_secret_key() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// A 64-byte signing key from a secret of any length.
fn derive(secret: &str) -> Key {
    let mut hasher = Sha512::new();
    hasher.update(b"flask-rs session cookie\0");
    hasher.update(secret.as_bytes());
    Key::from(&hasher.finalize())
}

impl Keys {
    pub(crate) fn new(secret: &str, fallbacks: &[String]) -> Self {
        Keys {
            current: derive(secret),
            fallbacks: fallbacks.iter().map(|s| derive(s)).collect(),
        }
    }

    /// `value` with its signature, as the cookie's value.
    pub(crate) fn sign(&self, name: &str, value: &str) -> String {
        let mut jar = CookieJar::new();
        jar.signed_mut(&self.current)
            .add(Cookie::new(name.to_owned(), value.to_owned()));
        jar.get(name)
            .map(|c| c.value().to_owned())
            .unwrap_or_default()
    }

    /// The value of a signed cookie if a known key signed it.
    pub(crate) fn verify(&self, name: &str, raw: &str) -> Option<String> {
        std::iter::once(&self.current)
            .chain(&self.fallbacks)
            .find_map(|key| {
                let mut jar = CookieJar::new();
                jar.add_original(Cookie::new(name.to_owned(), raw.to_owned()));
                jar.signed(key).get(name).map(|c| c.value().to_owned())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::Keys;

    #[test]
    fn signs_verifies_and_rotates() {
        let keys = Keys::new("s3cret", &[]);
        let signed = keys.sign("session", "abc");
        assert_eq!(keys.verify("session", &signed).as_deref(), Some("abc"));
        let mut tampered = signed.clone();
        tampered.pop();
        tampered.push('x');
        assert_eq!(keys.verify("session", &tampered), None);
        assert_eq!(Keys::new("other", &[]).verify("session", &signed), None);
        let rotated = Keys::new("new", &["s3cret".to_owned()]);
        assert_eq!(rotated.verify("session", &signed).as_deref(), Some("abc"));
    }
}
