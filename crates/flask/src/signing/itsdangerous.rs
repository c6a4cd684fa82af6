//! itsdangerous' formats, byte for byte: what Python Flask and its extensions sign (the
//! session cookie, Flask-WTF's CSRF tokens), so a value signed by one side is read by the
//! other with the same secret.

use std::io::{Read as _, Write as _};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, Mac};
use sha1::{Digest, Sha1};

use super::BadSignature;

type HmacSha1 = Hmac<Sha1>;

/// itsdangerous' `base64_encode` / `base64_decode`: the URL-safe alphabet, no padding
/// written, padding accepted when read.
const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// How itsdangerous turns a secret key and a salt into the signing key
/// (`Signer(key_derivation=...)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyDerivation {
    /// `"django-concat"`, itsdangerous' default: `sha1(salt + b"signer" + secret)`.
    /// Flask-WTF's CSRF tokens use it.
    DjangoConcat,
    /// `"hmac"`: `hmac_sha1(secret, salt)`. Flask's session cookie uses it.
    Hmac,
}

/// itsdangerous' `TimestampSigner` with SHA-1 HMACs: `value.timestamp.signature`, the
/// timestamp the signing time in seconds (big-endian bytes, base64), signed with the value.
///
/// Several secrets verify (the current one first, then `SECRET_KEY_FALLBACKS`); the
/// current one signs, as Flask 3.1 does. The check is constant-time.
///
/// ```
/// use flask::signing::itsdangerous::{KeyDerivation, TimestampSigner};
///
/// let signer = TimestampSigner::new(&["s3cret"], "cookie-session", KeyDerivation::Hmac);
/// let signed = signer.sign(b"hello");
/// assert_eq!(signer.unsign(&signed, None).unwrap().0, b"hello");
/// ```
#[derive(Clone)]
pub struct TimestampSigner {
    /// Derived keys: the signing one first.
    keys: Vec<[u8; 20]>,
}

impl std::fmt::Debug for TimestampSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimestampSigner")
            .field("keys", &self.keys.len())
            .finish()
    }
}

fn derive(secret: &[u8], salt: &str, derivation: KeyDerivation) -> [u8; 20] {
    match derivation {
        KeyDerivation::DjangoConcat => {
            let mut hasher = Sha1::new();
            hasher.update(salt.as_bytes());
            hasher.update(b"signer");
            hasher.update(secret);
            hasher.finalize().into()
        }
        KeyDerivation::Hmac => {
            let mut mac = hmac_sha1(secret);
            mac.update(salt.as_bytes());
            mac.finalize().into_bytes().into()
        }
    }
}

fn hmac_sha1(key: &[u8]) -> HmacSha1 {
    HmacSha1::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"))
}

impl TimestampSigner {
    /// A signer for `salt` under `secrets`, the signing secret first and then older ones
    /// that still verify.
    pub fn new<S: AsRef<[u8]>>(secrets: &[S], salt: &str, derivation: KeyDerivation) -> Self {
        TimestampSigner {
            keys: secrets
                .iter()
                .map(|s| derive(s.as_ref(), salt, derivation))
                .collect(),
        }
    }

    fn signature(key: &[u8; 20], signed_part: &[u8]) -> HmacSha1 {
        let mut mac = hmac_sha1(key);
        mac.update(signed_part);
        mac
    }

    /// `value.timestamp.signature`, stamped now.
    pub fn sign(&self, value: &[u8]) -> String {
        self.sign_at(value, unix_now())
    }

    /// `value.timestamp.signature`, stamped at `timestamp` (seconds since the epoch).
    pub fn sign_at(&self, value: &[u8], timestamp: u64) -> String {
        let mut out = String::from_utf8_lossy(value).into_owned();
        out.push('.');
        out.push_str(&B64.encode(int_to_bytes(timestamp)));
        let key = self.keys.first().copied().unwrap_or_default();
        let signature = Self::signature(&key, out.as_bytes())
            .finalize()
            .into_bytes();
        out.push('.');
        out.push_str(&B64.encode(signature));
        out
    }

    /// The value of `signed` and when it was signed, if one of the secrets signed it and,
    /// with a `max_age`, it is at most that old and not from the future.
    pub fn unsign<'a>(
        &self,
        signed: &'a str,
        max_age: Option<Duration>,
    ) -> Result<(&'a [u8], SystemTime), BadSignature> {
        let (stamped, signature) = signed.rsplit_once('.').ok_or(BadSignature::Malformed)?;
        let signature = B64.decode(signature).map_err(|_| BadSignature::Mismatch)?;
        let ok = self.keys.iter().any(|key| {
            Self::signature(key, stamped.as_bytes())
                .verify_slice(&signature)
                .is_ok()
        });
        if !ok {
            return Err(BadSignature::Mismatch);
        }
        let (value, stamp) = stamped.rsplit_once('.').ok_or(BadSignature::Malformed)?;
        let stamp = B64
            .decode(stamp)
            .ok()
            .and_then(|bytes| bytes_to_int(&bytes))
            .ok_or(BadSignature::Malformed)?;
        if let Some(max_age) = max_age {
            let now = unix_now();
            // itsdangerous refuses a timestamp from the future as well.
            if stamp > now {
                return Err(BadSignature::Expired {
                    age: 0,
                    max_age: max_age.as_secs(),
                });
            }
            let age = now - stamp;
            if age > max_age.as_secs() {
                return Err(BadSignature::Expired {
                    age,
                    max_age: max_age.as_secs(),
                });
            }
        }
        Ok((value.as_bytes(), UNIX_EPOCH + Duration::from_secs(stamp)))
    }
}

/// itsdangerous' `URLSafeTimedSerializer` over JSON text: the payload zlib-compressed
/// (marked by a leading `.`) when that makes it shorter, base64'd, then signed with a
/// timestamp. The JSON itself is the caller's (Flask's session writes tagged JSON).
#[derive(Debug, Clone)]
pub struct UrlSafeTimedSerializer {
    signer: TimestampSigner,
    max_payload: usize,
}

/// The most a payload may decompress to unless [`UrlSafeTimedSerializer::max_payload`]
/// says otherwise: 1 MiB, far beyond any cookie a browser keeps (4 KiB), so a compressed
/// bomb cannot make a reader allocate more.
pub const DEFAULT_MAX_PAYLOAD: usize = 1 << 20;

impl UrlSafeTimedSerializer {
    /// A serializer signing with `signer`.
    pub fn new(signer: TimestampSigner) -> Self {
        UrlSafeTimedSerializer {
            signer,
            max_payload: DEFAULT_MAX_PAYLOAD,
        }
    }

    /// Refuses payloads longer than `bytes` once decoded and decompressed.
    pub fn max_payload(mut self, bytes: usize) -> Self {
        self.max_payload = bytes;
        self
    }

    /// `json` made URL-safe and signed, stamped now.
    pub fn dumps(&self, json: &[u8]) -> String {
        self.dumps_at(json, unix_now())
    }

    /// `json` made URL-safe and signed, stamped at `timestamp`.
    pub fn dumps_at(&self, json: &[u8], timestamp: u64) -> String {
        let mut encoder =
            flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        let compressed = encoder.write_all(json).and_then(|()| encoder.finish()).ok();
        let payload = match compressed {
            // As itsdangerous: compressed only when that saves more than a byte (the `.`).
            Some(c) if c.len() + 1 < json.len() => format!(".{}", B64.encode(c)),
            _ => B64.encode(json),
        };
        self.signer.sign_at(payload.as_bytes(), timestamp)
    }

    /// The JSON text of `signed` if it is untampered, decodes, and (with `max_age`) is
    /// not too old.
    pub fn loads(&self, signed: &str, max_age: Option<Duration>) -> Result<Vec<u8>, BadSignature> {
        let (payload, _) = self.signer.unsign(signed, max_age)?;
        let (compressed, payload) = match payload.strip_prefix(b".") {
            Some(rest) => (true, rest),
            None => (false, payload),
        };
        let decoded = B64.decode(payload).map_err(|_| BadSignature::Malformed)?;
        if !compressed {
            if decoded.len() > self.max_payload {
                return Err(BadSignature::Malformed);
            }
            return Ok(decoded);
        }
        let mut out = Vec::new();
        let limit = u64::try_from(self.max_payload).unwrap_or(u64::MAX) + 1;
        flate2::read::ZlibDecoder::new(decoded.as_slice())
            .take(limit)
            .read_to_end(&mut out)
            .map_err(|_| BadSignature::Malformed)?;
        if out.len() > self.max_payload {
            return Err(BadSignature::Malformed);
        }
        Ok(out)
    }
}

/// itsdangerous' `int_to_bytes`: big-endian, no leading zero bytes.
fn int_to_bytes(n: u64) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes[first..].to_vec()
}

fn bytes_to_int(bytes: &[u8]) -> Option<u64> {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    let significant = &bytes[start..];
    if significant.len() > 8 {
        return None;
    }
    Some(significant.iter().fold(0, |n, b| (n << 8) | u64::from(*b)))
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
    fn timestamps_are_minimal_big_endian() {
        assert_eq!(int_to_bytes(0), Vec::<u8>::new());
        assert_eq!(int_to_bytes(1_765_000_000), vec![0x69, 0x33, 0xc3, 0x40]);
        assert_eq!(bytes_to_int(&[0x69, 0x33, 0xc3, 0x40]), Some(1_765_000_000));
        assert_eq!(bytes_to_int(&[1; 9]), None);
    }

    #[test]
    fn writes_what_python_itsdangerous_writes() {
        // Made by itsdangerous 2.2 (Flask 3.1.3's session interface and Flask-WTF 1.3's
        // generate_csrf) with the secret "test-secret", stamped at 1_700_000_000.
        let session = UrlSafeTimedSerializer::new(TimestampSigner::new(
            &["test-secret"],
            "cookie-session",
            KeyDerivation::Hmac,
        ));
        let cookie = "eyJhIjoxfQ.ZVPxAA.3ftwdfMlyfsZOkpgG8Ez0ipJvlg";
        assert_eq!(session.dumps_at(br#"{"a":1}"#, 1_700_000_000), cookie);
        assert_eq!(session.loads(cookie, None).unwrap(), br#"{"a":1}"#);
        // Compressed by Python's zlib: read whatever deflate wrote it.
        let packed = ".eJyrVqpQslKqHCZAqRYAIbRguw.ZVPxAA.jYiJfnfDdVIemSwLyO9DpmD4KsI";
        let json = format!(r#"{{"x":"{}"}}"#, "y".repeat(200));
        assert_eq!(session.loads(packed, None).unwrap(), json.as_bytes());
        let csrf = UrlSafeTimedSerializer::new(TimestampSigner::new(
            &["test-secret"],
            "wtf-csrf-token",
            KeyDerivation::DjangoConcat,
        ));
        let token = "ImU3MzVkYjY0NjdiNWZlZTNmMGQ5OWEzN2VkZjZlODg1NjY0NzRjOTgi.ZVPxAA.XiTm4AWm6qpI8oMb9UWTmMwwVFo";
        let raw = br#""e735db6467b5fee3f0d99a37edf6e88566474c98""#;
        assert_eq!(csrf.dumps_at(raw, 1_700_000_000), token);
        assert_eq!(csrf.loads(token, None).unwrap(), raw);
    }

    #[test]
    fn round_trips_signs_with_the_first_and_rotates() {
        let old = TimestampSigner::new(&["old"], "s", KeyDerivation::Hmac);
        let rotated = TimestampSigner::new(&["new", "old"], "s", KeyDerivation::Hmac);
        let signed = old.sign(b"v.w");
        assert_eq!(rotated.unsign(&signed, None).unwrap().0, b"v.w");
        assert_eq!(
            old.unsign(&rotated.sign(b"v"), None),
            Err(BadSignature::Mismatch)
        );
        // Another salt or derivation is another key.
        for other in [
            TimestampSigner::new(&["old"], "t", KeyDerivation::Hmac),
            TimestampSigner::new(&["old"], "s", KeyDerivation::DjangoConcat),
        ] {
            assert_eq!(other.unsign(&signed, None), Err(BadSignature::Mismatch));
        }
    }

    #[test]
    fn too_old_and_future_stamps_are_refused() {
        let s = TimestampSigner::new(&["k"], "salt", KeyDerivation::Hmac);
        let day = Duration::from_secs(86_400);
        let old = s.sign_at(b"v", unix_now() - 2 * 86_400);
        assert!(matches!(
            s.unsign(&old, Some(day)),
            Err(BadSignature::Expired { .. })
        ));
        assert!(s.unsign(&old, None).is_ok());
        let future = s.sign_at(b"v", unix_now() + 3600);
        assert!(matches!(
            s.unsign(&future, Some(day)),
            Err(BadSignature::Expired { .. })
        ));
    }

    #[test]
    fn payloads_compress_when_shorter_and_bombs_are_refused() {
        let s = UrlSafeTimedSerializer::new(TimestampSigner::new(
            &["k"],
            "cookie-session",
            KeyDerivation::Hmac,
        ));
        let small = s.dumps(br#"{"a":1}"#);
        assert!(small.starts_with("eyJhIjoxfQ."), "{small}");
        let long = format!(r#"{{"a":"{}"}}"#, "x".repeat(500));
        let packed = s.dumps(long.as_bytes());
        assert!(packed.starts_with('.') && packed.len() < 200, "{packed}");
        assert_eq!(s.loads(&packed, None).unwrap(), long.as_bytes());
        let bomb = format!(r#"{{"a":"{}"}}"#, "x".repeat(2 << 20));
        let signed_bomb = s.dumps(bomb.as_bytes());
        assert_eq!(s.loads(&signed_bomb, None), Err(BadSignature::Malformed));
        assert_eq!(
            s.clone()
                .max_payload(4 << 20)
                .loads(&signed_bomb, None)
                .unwrap()
                .len(),
            bomb.len()
        );
    }
}
