//! The values `url_value_preprocessor` and `url_defaults` functions work on.

use std::fmt::Display;

use super::PathValue;

/// The values taken from the URL, as a `url_value_preprocessor` sees them (Flask's
/// `request.view_args`). A value removed here is no longer in `Path<T>` or
/// `ctx.view_args()`.
///
/// ```
/// use flask::{Flask, G, Path, RequestContext, routing::get};
///
/// #[derive(Clone)]
/// struct Lang(String);
///
/// #[flask::view]
/// async fn index(g: G, Path(page): Path<String>) -> String {
///     format!("{} {page}", g.get::<Lang>().map(|l| l.0).unwrap_or_default())
/// }
/// let app = Flask::new("i18n")
///     .route("/<lang_code>/<page>", get(index))
///     .url_value_preprocessor(|ctx: &RequestContext, values: &mut flask::routing::ViewArgs| {
///         if let Some(code) = values.remove("lang_code") {
///             ctx.g().insert(Lang(code.to_string()));
///         }
///     });
/// # let _ = app;
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ViewArgs {
    pub(crate) values: Vec<(String, PathValue)>,
}

impl ViewArgs {
    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&PathValue> {
        self.values.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Takes `name` out (Flask's `values.pop(name)`).
    pub fn remove(&mut self, name: &str) -> Option<PathValue> {
        let i = self.values.iter().position(|(k, _)| k == name)?;
        Some(self.values.remove(i).1)
    }

    /// Sets `name` (replacing its value if it has one).
    pub fn insert(&mut self, name: &str, value: PathValue) {
        match self.values.iter_mut().find(|(k, _)| k == name) {
            Some((_, v)) => *v = value,
            None => self.values.push((name.to_owned(), value)),
        }
    }

    /// Every value, in the rule's order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &PathValue)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Whether there is no value.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// The values `url_for` was given, as a `url_defaults` function sees them (Flask's
/// `values` dict), to fill in what is missing.
///
/// ```
/// use flask::{Flask, RequestContext, routing::get};
///
/// #[flask::view]
/// async fn index() -> &'static str { "" }
/// let app = Flask::new("i18n")
///     .route("/<lang_code>/", get(index))
///     .url_defaults(|_endpoint: &str, values: &mut flask::routing::UrlValues<'_>| {
///         values.set_default("lang_code", "en");
///     })
///     .build()
///     .unwrap();
/// assert_eq!(app.url_for("index").relative().build().unwrap(), "/en/");
/// ```
#[derive(Debug)]
pub struct UrlValues<'a> {
    pub(crate) values: &'a mut Vec<(String, String)>,
}

impl UrlValues<'_> {
    /// The (first) value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether `name` has a value.
    pub fn contains(&self, name: &str) -> bool {
        self.values.iter().any(|(k, _)| k == name)
    }

    /// Sets `name` unless it has a value (Flask's `values.setdefault(name, value)`).
    pub fn set_default(&mut self, name: &str, value: impl Display) {
        if !self.contains(name) {
            self.values.push((name.to_owned(), value.to_string()));
        }
    }

    /// Sets `name`, replacing any value it had.
    pub fn insert(&mut self, name: &str, value: impl Display) {
        self.values.retain(|(k, _)| k != name);
        self.values.push((name.to_owned(), value.to_string()));
    }

    /// Takes `name` out; its first value if it had any.
    pub fn remove(&mut self, name: &str) -> Option<String> {
        let first = self.get(name).map(str::to_owned);
        self.values.retain(|(k, _)| k != name);
        first
    }
}
