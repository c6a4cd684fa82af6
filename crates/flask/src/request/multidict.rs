//! Query arguments: Flask's `request.args` (a multi-dict) and a typed `Query<T>`.

use std::ops::Deref;
use std::str::FromStr;

use axum::extract::FromRequestParts;
use http::StatusCode;
use http::request::Parts;
use serde::de::DeserializeOwned;

use crate::Error;

/// Werkzeug's `MultiDict`: keys with one or more string values, in the order received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MultiDict {
    pairs: Vec<(String, String)>,
}

impl MultiDict {
    /// Parses `application/x-www-form-urlencoded` text (a query string or a form body).
    pub fn parse(text: &[u8]) -> Self {
        MultiDict {
            pairs: form_urlencoded::parse(text).into_owned().collect(),
        }
    }

    /// Pairs in the order received.
    pub(crate) fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        MultiDict { pairs }
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `key` converted to `T`; `None` if missing or not convertible,
    /// like `request.args.get("page", type=int)`.
    pub fn get_as<T: FromStr>(&self, key: &str) -> Option<T> {
        self.get(key).and_then(|v| v.parse().ok())
    }

    /// Every value of `key` (`getlist`).
    pub fn get_all(&self, key: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Whether `key` was sent.
    pub fn contains(&self, key: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == key)
    }

    /// All pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether nothing was sent.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

/// Flask's `request.args`: the query string as a [`MultiDict`].
///
/// ```
/// use flask::Args;
/// async fn search(args: Args) -> String {
///     let page = args.get_as::<u32>("page").unwrap_or(1);
///     format!("{} page {page}", args.get("q").unwrap_or(""))
/// }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Args(pub MultiDict);

impl Deref for Args {
    type Target = MultiDict;
    fn deref(&self) -> &MultiDict {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Args {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Args(MultiDict::parse(
            parts.uri.query().unwrap_or("").as_bytes(),
        )))
    }
}

/// The query string deserialized into `T`; a missing or malformed field is a 400 that
/// names it.
///
/// ```
/// use flask::Query;
/// use serde::Deserialize;
/// #[derive(Deserialize)]
/// struct Page { page: u32, per_page: Option<u32> }
/// #[flask::view]
/// async fn list(Query(p): Query<Page>) -> String { format!("{} {:?}", p.page, p.per_page) }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Query<T>(pub T);

impl<T> Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(Query)
            .map_err(|e| {
                Error::with_description(
                    StatusCode::BAD_REQUEST,
                    format!("Invalid query string: {}", describe(&e)),
                )
            })
    }
}

/// "`field`: what is wrong", or just what is wrong at the top level.
pub(crate) fn describe<E: std::fmt::Display>(e: &serde_path_to_error::Error<E>) -> String {
    let path = e.path().to_string();
    if path == "." || path.is_empty() {
        e.inner().to_string()
    } else {
        format!("{path}: {}", e.inner())
    }
}
