//! Request cookies: Flask's `request.cookies`.

use axum::extract::FromRequestParts;
use http::header;
use http::request::Parts;

use crate::Error;

/// The cookies the client sent, by name (Flask's `request.cookies`).
///
/// ```
/// use flask::Cookies;
/// async fn theme(cookies: Cookies) -> String {
///     cookies.get("theme").unwrap_or("light").to_owned()
/// }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cookies {
    pairs: Vec<(String, String)>,
}

impl Cookies {
    /// Parses `Cookie` header values as Werkzeug's `parse_cookie` does: a quoted value
    /// (`"choc chip"`) loses its quotes and backslash escapes (`\"`, `\073`); nothing is
    /// percent-decoded (`a%20b` stays as it is); a malformed piece (`d=x y`) is skipped up to
    /// the next `;`.
    pub fn parse<'a>(headers: impl IntoIterator<Item = &'a str>) -> Self {
        let mut pairs = Vec::new();
        for h in headers {
            parse_header(h, &mut pairs);
        }
        Cookies { pairs }
    }

    /// The value of cookie `name` (the first one if sent twice).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value sent for cookie `name`, in order (Werkzeug's `getlist`).
    pub fn get_all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// All cookies, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// One `Cookie` header, following Werkzeug's `_cookie_re`: optional spaces, a key of
/// anything but spaces, tabs, `=`, `"` and `;`, an optional `= value` (quoted with backslash
/// escapes, or a token without spaces, tabs, `"` and `;`), optional spaces, then `;` or the
/// end.
fn parse_header(h: &str, out: &mut Vec<(String, String)>) {
    let b = h.as_bytes();
    let mut pos = 0;
    while pos < b.len() {
        match cookie_at(b, pos) {
            Some((key, value, end)) => {
                out.push((key, value));
                pos = end;
            }
            None => match h[pos..].find(';') {
                Some(i) => pos += i + 1,
                None => break,
            },
        }
    }
}

fn skip_blanks(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
        i += 1;
    }
    i
}

/// The cookie starting at `pos`: its key, its value and where the next one starts.
fn cookie_at(b: &[u8], pos: usize) -> Option<(String, String, usize)> {
    let start = skip_blanks(b, pos);
    let mut i = start;
    while i < b.len() && !matches!(b[i], b' ' | b'\t' | b'=' | b'"' | b';') {
        i += 1;
    }
    if i == start {
        return None;
    }
    let key = String::from_utf8_lossy(&b[start..i]).into_owned();
    let mut value = String::new();
    let after_key = skip_blanks(b, i);
    if after_key < b.len() && b[after_key] == b'=' {
        let v = skip_blanks(b, after_key + 1);
        if v < b.len() && b[v] == b'"' {
            let mut j = v + 1;
            loop {
                match b.get(j) {
                    Some(b'"') => break,
                    Some(b'\\') if b.get(j + 1).is_some_and(|&c| c != b'\n') => j += 2,
                    Some(b'\\') | None => return None,
                    Some(_) => j += 1,
                }
            }
            value = unslash(&b[v + 1..j]);
            i = j + 1;
        } else {
            let mut j = v;
            while j < b.len() && !matches!(b[j], b' ' | b'\t' | b'"' | b';') {
                j += 1;
            }
            value = String::from_utf8_lossy(&b[v..j]).into_owned();
            i = j;
        }
    }
    let end = skip_blanks(b, i);
    match b.get(end) {
        None => Some((key, value, end)),
        Some(b';') => Some((key, value, end + 1)),
        Some(_) => None,
    }
}

/// Undoes the backslash escapes of a quoted value: `\073` (three octal digits) is that
/// byte, `\x` is `x`; the bytes are read as UTF-8 (invalid ones replaced).
fn unslash(s: &[u8]) -> String {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' && i + 1 < s.len() {
            let octal = s.get(i + 1..i + 4).filter(|d| {
                (b'0'..=b'3').contains(&d[0])
                    && (b'0'..=b'7').contains(&d[1])
                    && (b'0'..=b'7').contains(&d[2])
            });
            if let Some(d) = octal {
                out.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
                i += 4;
            } else {
                out.push(s[i + 1]);
                i += 2;
            }
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl<S: Send + Sync> FromRequestParts<S> for Cookies {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Cookies::parse(
            parts
                .headers
                .get_all(header::COOKIE)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()))
                .collect::<Vec<_>>()
                .iter()
                .map(AsRef::as_ref),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::Cookies;

    #[test]
    fn parses_like_werkzeug() {
        let c = Cookies::parse(["a=1; b=x%20y", "broken; c=3"]);
        assert_eq!(c.get("a"), Some("1"));
        // Werkzeug never percent-decodes.
        assert_eq!(c.get("b"), Some("x%20y"));
        // A key without `=` is a cookie with an empty value.
        assert_eq!(c.get("broken"), Some(""));
        assert_eq!(c.get("c"), Some("3"));
        assert_eq!(c.get("d"), None);
    }

    /// What Werkzeug 3.1's `parse_cookie` gives for the same header.
    #[test]
    fn quoted_values_and_malformed_pieces() {
        let c = Cookies::parse([
            r#"flavor="choc chip"; b=a%20b; c="a\"q\073"; d=x y; e="\303\251"; f = 2 ;g"#,
        ]);
        let all: Vec<_> = c.iter().collect();
        assert_eq!(
            all,
            [
                ("flavor", "choc chip"),
                ("b", "a%20b"),
                ("c", "a\"q;"),
                ("e", "é"),
                ("f", "2"),
                ("g", "")
            ]
        );
        let twice = Cookies::parse(["k=1; k=2"]);
        assert_eq!(twice.get("k"), Some("1"));
        assert_eq!(twice.get_all("k"), ["1", "2"]);
        assert!(Cookies::parse(["\"bad=1"]).iter().next().is_none());
    }
}
