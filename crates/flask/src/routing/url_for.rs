//! `url_for`: building URLs from endpoint names, as Flask does.

use std::fmt::Display;

use super::url_map::UrlMap;

/// Why `url_for` could not build a URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No rule has this endpoint.
    #[error("Could not build url for endpoint '{endpoint}'.{}{}", suggestion.as_ref().map(|s| format!(" Did you mean '{s}' instead?")).unwrap_or_default(), unnamed_rule.as_ref().map(|r| format!(" The rule '{r}' has no endpoint name, so its endpoint is the rule itself: its view is not a #[flask::view] function. Put #[flask::view] above the view function, or name the rule with .endpoint(\"{endpoint}\").")).unwrap_or_default())]
    UnknownEndpoint {
        /// The endpoint asked for (after resolving `.name`).
        endpoint: String,
        /// The closest existing endpoint, if any is close.
        suggestion: Option<String>,
        /// A rule without an endpoint name (its handler is not a `#[flask::view]`
        /// function) whose path has the name asked for in it: the likely meant one.
        unnamed_rule: Option<String>,
    },
    /// The rule needs values that were not given.
    #[error(
        "Could not build url for endpoint '{endpoint}'. Did you forget to specify values {missing:?}?"
    )]
    MissingValues {
        /// The endpoint.
        endpoint: String,
        /// Names of the rule's variables that had no value.
        missing: Vec<String>,
    },
    /// A value does not fit the variable's converter.
    #[error(
        "Could not build url for endpoint '{endpoint}': the value '{value}' for '{name}' {reason}."
    )]
    BadValue {
        /// The endpoint.
        endpoint: String,
        /// The variable.
        name: String,
        /// The value given.
        value: String,
        /// What the converter requires.
        reason: String,
    },
    /// An external URL was asked for outside a request, without `SERVER_NAME`.
    #[error(
        "Unable to build URLs outside an active request without 'SERVER_NAME' configured. Also configure 'APPLICATION_ROOT' and 'PREFERRED_URL_SCHEME' as needed."
    )]
    NoServerName,
}

/// URL settings read from the config once, at startup.
#[derive(Debug, Clone)]
pub(crate) struct UrlSettings {
    pub(crate) server_name: Option<String>,
    pub(crate) application_root: String,
    pub(crate) preferred_scheme: String,
}

/// A URL being built: set values, then call [`UrlFor::build`].
///
/// Values that are not variables of the rule become the query string. The names
/// `_external`, `_anchor` and `_scheme` given to [`UrlFor::value`] (or the
/// [`url_for!`](crate::url_for!) macro) act as in Flask.
///
/// ```
/// # use flask::{Flask, routing::get};
/// # #[flask::view]
/// # async fn show_post() -> &'static str { "" }
/// let app = Flask::new("blog")
///     .configure(|c| c.set("SERVER_NAME", "example.com"))
///     .route("/post/<int:post_id>", get(show_post))
///     .build()
///     .unwrap();
/// let url = app.url_for("show_post").value("post_id", 42).value("page", 2).build().unwrap();
/// assert_eq!(url, "http://example.com/post/42?page=2");
/// ```
#[derive(Debug)]
#[must_use = "call .build() to get the URL"]
pub struct UrlFor<'a> {
    map: &'a UrlMap,
    settings: &'a UrlSettings,
    blueprint: Option<&'a str>,
    /// `Some` inside a request: the request's host (empty if it sent none).
    host: Option<&'a str>,
    endpoint: String,
    values: Vec<(String, String)>,
    external: Option<bool>,
    anchor: Option<String>,
    scheme: Option<String>,
    /// Inside a request: the request's own scheme (`https` behind a proxy declared with
    /// `PROXY_FIX_X_PROTO` that says so), for external URLs without `_scheme`.
    request_scheme: &'static str,
}

impl<'a> UrlFor<'a> {
    pub(crate) fn new(
        map: &'a UrlMap,
        settings: &'a UrlSettings,
        blueprint: Option<&'a str>,
        host: Option<&'a str>,
        endpoint: &str,
    ) -> Self {
        UrlFor {
            map,
            settings,
            blueprint,
            host,
            endpoint: endpoint.to_owned(),
            values: Vec::new(),
            external: None,
            anchor: None,
            scheme: None,
            request_scheme: "http",
        }
    }

    /// The scheme of the request this URL is built in (Flask's `request.scheme`).
    pub(crate) fn request_scheme(mut self, scheme: &'static str) -> Self {
        self.request_scheme = scheme;
        self
    }

    /// Sets a value: a rule variable, a query argument, or one of `_external`, `_anchor`,
    /// `_scheme`.
    pub fn value(mut self, name: &str, value: impl Display) -> Self {
        let value = value.to_string();
        match name {
            "_external" => self.external = Some(matches!(value.as_str(), "true" | "True" | "1")),
            "_anchor" => self.anchor = Some(value),
            "_scheme" => self.scheme = Some(value),
            _ => {
                self.values.retain(|(k, _)| k != name);
                self.values.push((name.to_owned(), value));
            }
        }
        self
    }

    /// Sets several values for one name: `.value_list("tag", ["a", "b"])` gives
    /// `?tag=a&tag=b`, as Flask's `url_for(.., tag=["a", "b"])`. A rule variable takes the
    /// first.
    pub fn value_list<I>(mut self, name: &str, values: I) -> Self
    where
        I: IntoIterator,
        I::Item: Display,
    {
        self.values.retain(|(k, _)| k != name);
        for v in values {
            self.values.push((name.to_owned(), v.to_string()));
        }
        self
    }

    /// Builds an absolute URL with scheme and host.
    pub fn external(mut self) -> Self {
        self.external = Some(true);
        self
    }

    /// Builds a path without scheme and host, also outside a request (where Flask would
    /// build an external URL).
    pub fn relative(mut self) -> Self {
        self.external = Some(false);
        self
    }

    /// Appends `#anchor` (percent-encoded).
    pub fn anchor(mut self, anchor: impl Display) -> Self {
        self.anchor = Some(anchor.to_string());
        self
    }

    /// The scheme of an external URL (implies external, as in Flask).
    pub fn scheme(mut self, scheme: &str) -> Self {
        self.scheme = Some(scheme.to_owned());
        self
    }

    /// Builds the URL.
    pub fn build(self) -> Result<String, BuildError> {
        let endpoint = match self.endpoint.strip_prefix('.') {
            Some(rel) => match self.blueprint {
                Some(bp) => format!("{bp}.{rel}"),
                None => rel.to_owned(),
            },
            None => self.endpoint,
        };
        let mut values = self.values;
        self.map.inject_defaults(&endpoint, &mut values);
        let (domain, mut path) = self.map.build(&endpoint, &values)?;
        if let Some(anchor) = &self.anchor {
            path.push('#');
            path.extend(percent_encoding::utf8_percent_encode(anchor, ANCHOR));
        }
        let in_request = self.host.is_some();
        // With subdomain or host matching, a rule of another subdomain or host than the
        // request's is reached by an external URL, as Werkzeug builds it.
        let target_host = domain.and_then(|d| {
            // Outside a request, the default subdomain is the current one.
            let current = match self.host {
                Some(h) => self.map.domain_key(h),
                None => Some(std::borrow::Cow::Borrowed("")),
            };
            (current.as_deref() != Some(d.as_str())).then(|| self.map.host_of(&d))
        });
        // Outside a request there is nothing to be relative to: Flask builds external URLs.
        let external =
            self.external.unwrap_or(!in_request) || self.scheme.is_some() || target_host.is_some();
        if !external {
            return Ok(path);
        }
        let scheme = self.scheme.unwrap_or_else(|| {
            if in_request {
                self.request_scheme.to_owned()
            } else {
                self.settings.preferred_scheme.clone()
            }
        });
        let (host, root) = match (target_host, self.host) {
            (Some(host), _) => (host, ""),
            (None, host) => match host {
                Some(h) if !h.is_empty() => (h.to_owned(), ""),
                Some(_) => match &self.settings.server_name {
                    Some(s) => (s.clone(), ""),
                    None => ("localhost".to_owned(), ""),
                },
                None => match &self.settings.server_name {
                    Some(s) => (
                        s.clone(),
                        self.settings.application_root.trim_end_matches('/'),
                    ),
                    None => return Err(BuildError::NoServerName),
                },
            },
        };
        Ok(format!("{scheme}://{host}{root}{path}"))
    }
}

const ANCHOR: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'#')
    .add(b'%')
    .add(b'{')
    .add(b'}');

/// Builds a URL for an endpoint, Flask style:
/// `url_for!(ctx, "show_post", post_id = 42, _anchor = "comments")`.
///
/// The first argument is anything with a `url_for(&str)` method: a
/// [`RequestContext`](crate::RequestContext) inside a request, or an [`App`](crate::App)
/// outside one. Expands to a `Result<String, BuildError>`.
///
/// ```
/// # use flask::{Flask, url_for, routing::get};
/// # #[flask::view]
/// # async fn user() -> &'static str { "" }
/// let app = Flask::new("demo")
///     .configure(|c| c.set("SERVER_NAME", "localhost:5000"))
///     .route("/user/<username>", get(user))
///     .build()
///     .unwrap();
/// let url = url_for!(app, "user", username = "Jörg", _anchor = "top").unwrap();
/// assert_eq!(url, "http://localhost:5000/user/J%C3%B6rg#top");
/// ```
#[macro_export]
macro_rules! url_for {
    ($ctx:expr, $endpoint:expr $(, $key:ident = $value:expr)* $(,)?) => {
        $ctx.url_for($endpoint)$(.value(stringify!($key), $value))*.build()
    };
}
