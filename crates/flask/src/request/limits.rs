//! What a request body may turn into once parsed: a body within `MAX_CONTENT_LENGTH` can
//! still be millions of tiny form fields or JSON values, each costing far more memory
//! parsed than sent.

use http::StatusCode;

use crate::{Config, Error};

/// The limits on a parsed body, from the config: Werkzeug's `MAX_FORM_MEMORY_SIZE`
/// (500 000 bytes) and `MAX_FORM_PARTS` (1 000 fields) for urlencoded forms, and
/// `MAX_JSON_PARTS` (10 000 object keys and array items together) for JSON. Past one, the
/// request is a 413 naming the key. The `Form`, `FormData` and `Json` extractors check
/// them; an extension that parses bodies itself (flask-restful) calls the checks.
///
/// ```
/// use flask::{BodyLimits, Config};
///
/// let limits = BodyLimits::from_config(&Config::new());
/// assert!(limits.check_form(b"a=1&b=2").is_ok());
/// assert_eq!(limits.check_form("a&".repeat(1001).as_bytes()).unwrap_err().code(), 413);
/// assert!(limits.check_json(br#"{"a": [1, 2, 3]}"#).is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    /// `MAX_FORM_MEMORY_SIZE`: bytes of a urlencoded form (`None`: no limit).
    pub max_form_memory_size: Option<usize>,
    /// `MAX_FORM_PARTS`: fields of a form (`None`: no limit).
    pub max_form_parts: Option<usize>,
    /// `MAX_JSON_PARTS`: object keys and array items of a JSON body, at every depth
    /// (`None`: no limit).
    pub max_json_parts: Option<usize>,
}

/// `MAX_JSON_PARTS` unless the config says otherwise.
pub const DEFAULT_MAX_JSON_PARTS: usize = 10_000;

impl BodyLimits {
    /// The limits the config sets (a [`Config`] starts with the defaults above; null is no
    /// limit).
    pub fn from_config(config: &Config) -> Self {
        let get = |key: &str| config.get::<usize>(key).ok().flatten();
        BodyLimits {
            max_form_memory_size: get("MAX_FORM_MEMORY_SIZE"),
            max_form_parts: get("MAX_FORM_PARTS"),
            max_json_parts: get("MAX_JSON_PARTS"),
        }
    }

    /// A 413 when a urlencoded body is over `MAX_FORM_MEMORY_SIZE` or has more than
    /// `MAX_FORM_PARTS` fields.
    pub fn check_form(&self, body: &[u8]) -> Result<(), Error> {
        if self.max_form_memory_size.is_some_and(|m| body.len() > m) {
            return Err(Error::with_description(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The form data is larger than MAX_FORM_MEMORY_SIZE allows.",
            ));
        }
        if let Some(max) = self.max_form_parts {
            let parts = body
                .split(|b| *b == b'&')
                .filter(|p| !p.is_empty())
                .take(max + 1)
                .count();
            if parts > max {
                return Err(Error::with_description(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "The form has more fields than MAX_FORM_PARTS allows.",
                ));
            }
        }
        Ok(())
    }

    /// A 413 when a JSON body holds more than `MAX_JSON_PARTS` object keys and array
    /// items, counted before it is parsed; a 400 when it holds an integer beyond 64 bits,
    /// which serde_json would round to a float (Python keeps every digit; here the client
    /// is told instead of the value changing).
    pub fn check_json(&self, body: &[u8]) -> Result<(), Error> {
        if let Some(number) = oversized_integer(body) {
            return Err(Error::with_description(
                StatusCode::BAD_REQUEST,
                format!(
                    "Invalid JSON: the integer {number} does not fit in 64 bits; send it as a string."
                ),
            ));
        }
        match self.max_json_parts {
            Some(max) if json_parts(body, max) > max => Err(Error::with_description(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The JSON body has more keys and items than MAX_JSON_PARTS allows.",
            )),
            _ => Ok(()),
        }
    }
}

/// Where a JSON text's strings are, byte by byte.
#[derive(Default)]
struct Strings {
    inside: bool,
    escaped: bool,
}

impl Strings {
    /// Whether `b`, the next byte, belongs to a string (its quotes included).
    fn inside(&mut self, b: u8) -> bool {
        if self.inside {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.inside = false;
            }
            return true;
        }
        if b == b'"' {
            self.inside = true;
            return true;
        }
        false
    }
}

/// The first integer literal of a JSON text (outside strings) beyond `i64::MIN..=u64::MAX`,
/// which serde_json would read as a float, losing digits.
fn oversized_integer(text: &[u8]) -> Option<String> {
    let mut strings = Strings::default();
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        if strings.inside(b) {
            i += 1;
            continue;
        }
        if b == b'-' || b.is_ascii_digit() {
            let start = i;
            while i < text.len()
                && matches!(text[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
            {
                i += 1;
            }
            let token = &text[start..i];
            let integer = !token.iter().any(|c| matches!(c, b'.' | b'e' | b'E'));
            // 19 digits may pass i64::MIN (-9223372036854775808); fewer always fit.
            let digits = token.iter().filter(|c| c.is_ascii_digit()).count();
            if integer && digits >= 19 {
                let text = String::from_utf8_lossy(token);
                let fits = match text.strip_prefix('-') {
                    Some(_) => text.parse::<i64>().is_ok(),
                    None => text.parse::<u64>().is_ok(),
                };
                if !fits {
                    return Some(text.into_owned());
                }
            }
            continue;
        }
        i += 1;
    }
    None
}

/// The object keys and array items of a JSON text, counted up to `stop + 1`: a `:` in an
/// object is a key, a `,` in an array one more item, and a non-empty array its first.
/// Malformed text is counted as far as it goes (the parser refuses it afterwards).
fn json_parts(text: &[u8], stop: usize) -> usize {
    // Deeper than serde_json's own recursion limit is refused by the parser anyway.
    const MAX_DEPTH: usize = 256;
    let mut in_array = [false; MAX_DEPTH];
    let mut depth = 0usize;
    let mut parts = 0usize;
    let mut strings = Strings::default();
    // Right after a `[`: the next value, if any, is the array's first item.
    let mut array_opened = false;
    for &b in text {
        if strings.inside(b) {
            if array_opened {
                // A string is the array's first item.
                array_opened = false;
                parts += 1;
            }
            continue;
        }
        if array_opened && !b.is_ascii_whitespace() {
            array_opened = false;
            if b != b']' {
                parts += 1;
            }
        }
        match b {
            b'[' | b'{' => {
                if depth == MAX_DEPTH {
                    break;
                }
                in_array[depth] = b == b'[';
                depth += 1;
                array_opened = b == b'[';
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b':' => parts += 1,
            b',' if depth > 0 && in_array[depth - 1] => parts += 1,
            _ => {}
        }
        if parts > stop {
            break;
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::{json_parts, oversized_integer};

    #[test]
    fn integers_beyond_64_bits_are_found() {
        let big = |t: &str| oversized_integer(t.as_bytes());
        assert_eq!(
            big(r#"{"n": 123456789012345678901234567890}"#).as_deref(),
            Some("123456789012345678901234567890")
        );
        assert_eq!(
            big("[-9223372036854775809]").as_deref(),
            Some("-9223372036854775809")
        );
        assert_eq!(big("[18446744073709551615, -9223372036854775808]"), None);
        assert_eq!(big(r#"{"n": 1.2345678901234567890123, "e": 1e300}"#), None);
        assert_eq!(big(r#"{"s": "123456789012345678901234567890"}"#), None);
        assert_eq!(big(r#"["a\"123456789012345678901234567890"]"#), None);
    }

    #[test]
    fn counts_keys_and_items_outside_strings() {
        let n = |t: &str| json_parts(t.as_bytes(), usize::MAX);
        assert_eq!(n(r#"{}"#), 0);
        assert_eq!(n(r#"[]"#), 0);
        assert_eq!(n(r#"[ ]"#), 0);
        assert_eq!(n(r#"[1]"#), 1);
        assert_eq!(n(r#"[1, 2, 3]"#), 3);
        assert_eq!(n(r#"{"a": 1, "b": [true, false]}"#), 4);
        assert_eq!(n(r#"{"a,b:c": "[1,2]", "q\"x,": {}}"#), 2);
        assert_eq!(n(r#"[[], [[]], {"k": []}]"#), 5);
        assert_eq!(n("1"), 0);
        // Stops counting past the limit.
        assert_eq!(json_parts("[0,0,0,0,0,0]".as_bytes(), 2), 3);
        // Deeper than the parser takes: counted no further.
        assert_eq!(n(&"[".repeat(100_000)), 256);
    }
}
