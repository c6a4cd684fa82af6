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
    /// Parses `Cookie` header values; malformed pieces are skipped.
    pub fn parse<'a>(headers: impl IntoIterator<Item = &'a str>) -> Self {
        let mut pairs = Vec::new();
        for h in headers {
            for c in cookie::Cookie::split_parse_encoded(h).flatten() {
                pairs.push((c.name().to_owned(), c.value().to_owned()));
            }
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

    /// All cookies, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Cookies {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Cookies::parse(
            parts
                .headers
                .get_all(header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::Cookies;

    #[test]
    fn parses_and_decodes() {
        let c = Cookies::parse(["a=1; b=x%20y", "broken; c=3"]);
        assert_eq!(c.get("a"), Some("1"));
        assert_eq!(c.get("b"), Some("x y"));
        assert_eq!(c.get("c"), Some("3"));
        assert_eq!(c.get("d"), None);
    }
}
