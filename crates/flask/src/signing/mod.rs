//! Signing values with `SECRET_KEY` (itsdangerous' `Signer` and `TimestampSigner`), for
//! tokens that travel through the client and must come back untouched: remember-me
//! cookies, CSRF tokens, password-reset links.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::{Config, ConfigError};

pub mod itsdangerous;

type HmacSha256 = Hmac<Sha256>;

/// Why a signed value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BadSignature {
    /// Not of the form `value.signature` (or `value.timestamp.signature`).
    #[error("the signed value is malformed")]
    Malformed,
    /// No known key made this signature: the value was changed, or signed with another
    /// secret or salt.
    #[error("the signature does not match")]
    Mismatch,
    /// The signature is right but older than allowed.
    #[error("the signature expired: it is {age} seconds old and at most {max_age} are allowed")]
    Expired {
        /// Its age, in seconds.
        age: u64,
        /// The most allowed, in seconds.
        max_age: u64,
    },
}

/// Signs strings with the app's secret so they can be handed to the client and trusted
/// when they come back: the job of itsdangerous' `Signer` / `TimestampSigner`, which
/// Flask's extensions use. The format and key derivation are our own: tokens are not
/// interchangeable with itsdangerous'.
///
/// The signature is an HMAC-SHA256 under a key derived from `SECRET_KEY` and a `salt` that
/// names the purpose ("remember-me", "csrf"), so a value signed for one purpose is refused
/// for another. Keys from `SECRET_KEY_FALLBACKS` still verify, for rotating the secret.
/// Checking is constant-time. The value itself is readable by the client: sign ids and
/// tokens, not secrets.
///
/// ```
/// use std::time::Duration;
/// use flask::signing::{BadSignature, Signer};
///
/// let signer = Signer::new("secret", "remember-me");
/// let token = signer.sign("42");
/// assert_eq!(signer.unsign(&token), Ok("42"));
/// assert_eq!(signer.unsign(&token.replace("42", "43")), Err(BadSignature::Mismatch));
/// assert_eq!(Signer::new("secret", "csrf").unsign(&token), Err(BadSignature::Mismatch));
///
/// let timed = signer.sign_timed("42");
/// assert_eq!(signer.unsign_timed(&timed, Some(Duration::from_secs(60))).unwrap().0, "42");
/// ```
#[derive(Clone)]
pub struct Signer {
    /// The current key first, then the fallbacks.
    keys: Vec<[u8; 32]>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("keys", &self.keys.len())
            .finish()
    }
}

fn derive(secret: &str, salt: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"flask-rs signer\0");
    hasher.update(salt.as_bytes());
    hasher.update(b"\0");
    hasher.update(secret.as_bytes());
    hasher.finalize().into()
}

impl Signer {
    /// A signer for `salt` (the purpose) under `secret`.
    pub fn new(secret: &str, salt: &str) -> Self {
        Signer {
            keys: vec![derive(secret, salt)],
        }
    }

    /// Also accepts signatures made with these older secrets (new ones use the first).
    pub fn with_fallbacks(mut self, fallbacks: &[String], salt: &str) -> Self {
        self.keys.extend(fallbacks.iter().map(|s| derive(s, salt)));
        self
    }

    /// The signer for `salt` under the config's `SECRET_KEY` and `SECRET_KEY_FALLBACKS`;
    /// `None` when no secret key is set.
    pub fn from_config(config: &Config, salt: &str) -> Result<Option<Self>, ConfigError> {
        let Some(secret) = config.get::<String>("SECRET_KEY")? else {
            return Ok(None);
        };
        if secret.is_empty() {
            return Ok(None);
        }
        let fallbacks: Vec<String> = config.get("SECRET_KEY_FALLBACKS")?.unwrap_or_default();
        Ok(Some(
            Signer::new(&secret, salt).with_fallbacks(&fallbacks, salt),
        ))
    }

    fn mac(key: &[u8; 32], payload: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(payload.as_bytes());
        mac
    }

    fn signature(&self, payload: &str) -> String {
        URL_SAFE_NO_PAD.encode(Self::mac(&self.keys[0], payload).finalize().into_bytes())
    }

    /// `value.signature`.
    pub fn sign(&self, value: &str) -> String {
        format!("{value}.{}", self.signature(value))
    }

    /// The value of `signed` if one of the keys signed it.
    pub fn unsign<'a>(&self, signed: &'a str) -> Result<&'a str, BadSignature> {
        let (value, signature) = signed.rsplit_once('.').ok_or(BadSignature::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| BadSignature::Malformed)?;
        let ok = self
            .keys
            .iter()
            .any(|key| Self::mac(key, value).verify_slice(&signature).is_ok());
        if ok {
            Ok(value)
        } else {
            Err(BadSignature::Mismatch)
        }
    }

    /// `value.timestamp.signature`: the signing time is signed too.
    pub fn sign_timed(&self, value: &str) -> String {
        self.sign(&format!("{value}.{}", unix_now()))
    }

    /// The value of `signed` and when it was signed, if one of the keys signed it and, with
    /// a `max_age`, it is not older than that.
    pub fn unsign_timed<'a>(
        &self,
        signed: &'a str,
        max_age: Option<Duration>,
    ) -> Result<(&'a str, SystemTime), BadSignature> {
        let stamped = self.unsign(signed)?;
        let (value, stamp) = stamped.rsplit_once('.').ok_or(BadSignature::Malformed)?;
        let stamp: u64 = stamp.parse().map_err(|_| BadSignature::Malformed)?;
        if let Some(max_age) = max_age {
            let age = unix_now().saturating_sub(stamp);
            if age > max_age.as_secs() {
                return Err(BadSignature::Expired {
                    age,
                    max_age: max_age.as_secs(),
                });
            }
        }
        Ok((value, UNIX_EPOCH + Duration::from_secs(stamp)))
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_with_dots_round_trip() {
        let s = Signer::new("k", "salt");
        assert_eq!(s.unsign(&s.sign("a.b.c")), Ok("a.b.c"));
        assert_eq!(s.unsign(&s.sign("")), Ok(""));
        let timed = s.sign_timed("x.y");
        assert_eq!(s.unsign_timed(&timed, None).unwrap().0, "x.y");
    }

    #[test]
    fn refuses_tampering_and_garbage() {
        let s = Signer::new("k", "salt");
        let signed = s.sign("7");
        assert_eq!(s.unsign("7"), Err(BadSignature::Malformed));
        assert_eq!(s.unsign("7.!!!"), Err(BadSignature::Malformed));
        assert_eq!(
            s.unsign(&format!("8{}", &signed[1..])),
            Err(BadSignature::Mismatch)
        );
        let mut cut = signed.clone();
        cut.pop();
        assert!(s.unsign(&cut).is_err());
        assert_eq!(
            Signer::new("other", "salt").unsign(&signed),
            Err(BadSignature::Mismatch)
        );
        // A plain signature is not a timed one.
        assert_eq!(s.unsign_timed(&signed, None), Err(BadSignature::Malformed));
    }

    #[test]
    fn fallbacks_verify_but_do_not_sign() {
        let old = Signer::new("old", "salt");
        let rotated = Signer::new("new", "salt").with_fallbacks(&["old".to_owned()], "salt");
        let signed = old.sign("7");
        assert_eq!(rotated.unsign(&signed), Ok("7"));
        assert_eq!(old.unsign(&rotated.sign("7")), Err(BadSignature::Mismatch));
    }

    #[test]
    fn timed_values_expire() {
        let s = Signer::new("k", "salt");
        let old = s.sign(&format!("v.{}", unix_now() - 100));
        match s.unsign_timed(&old, Some(Duration::from_secs(10))) {
            Err(BadSignature::Expired { age, max_age: 10 }) => assert!((100..110).contains(&age)),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            s.unsign_timed(&old, Some(Duration::from_secs(1000)))
                .unwrap()
                .0,
            "v"
        );
    }
}
