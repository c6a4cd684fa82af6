//! `Config`: the app's settings as a key/value map with Flask's defaults, filled from
//! code, TOML files and `FLASK_*` environment variables.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Why a config source or value could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("config file {path} is not valid TOML: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the parser said, with line and column.
        message: String,
    },
    /// `from_envvar` was given a variable that is not set.
    #[error(
        "the environment variable {name:?} is not set and as such configuration could not be loaded: set it to the path of a TOML config file"
    )]
    EnvVarNotSet {
        /// The variable.
        name: String,
    },
    /// A value has the wrong type for how it is read.
    #[error("config key {key} is {found}, which is not {expected}; fix it in your config")]
    WrongType {
        /// The key.
        key: String,
        /// What the reader expected.
        expected: String,
        /// The value found (as JSON).
        found: String,
    },
}

/// The app's config: a map from upper-case keys to JSON-like values, with Flask's defaults.
///
/// ```
/// use flask::Config;
/// let mut config = Config::new();
/// assert_eq!(config.get_str("SESSION_COOKIE_NAME"), Some("session"));
/// config.set("POSTS_PER_PAGE", 20);
/// assert_eq!(config.get::<u32>("POSTS_PER_PAGE").unwrap(), Some(20));
/// config.from_toml_str("DEBUG = true\n[DATABASE]\nurl = 'sqlite://'", "inline").unwrap();
/// assert!(config.get_bool("DEBUG"));
/// assert_eq!(config.get::<String>("DATABASE.url").unwrap().as_deref(), Some("sqlite://"));
/// ```
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct Config {
    values: BTreeMap<String, Value>,
    /// Values an environment variable set whose text parsed as JSON, with that text: a key
    /// read as a string still gets it (`FLASK_SECRET_KEY=123456` is that text, as the
    /// variable said, though it parsed as a number).
    #[serde(skip)]
    env_text: BTreeMap<String, (String, Value)>,
}

/// Equal when the values are: where a value came from does not matter.
impl PartialEq for Config {
    fn eq(&self, other: &Self) -> bool {
        self.values == other.values
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

/// The default `MAX_CONTENT_LENGTH`: 16 MiB (Flask has no limit; we are secure by default).
pub const DEFAULT_MAX_CONTENT_LENGTH: u64 = 16 * 1024 * 1024;

impl Config {
    /// A config holding Flask's defaults.
    pub fn new() -> Self {
        let mut c = Config {
            values: BTreeMap::new(),
            env_text: BTreeMap::new(),
        };
        let defaults: [(&str, Value); 31] = [
            ("DEBUG", Value::Bool(false)),
            ("TESTING", Value::Bool(false)),
            ("PROPAGATE_EXCEPTIONS", Value::Null),
            ("SECRET_KEY", Value::Null),
            ("SECRET_KEY_FALLBACKS", Value::Null),
            ("PERMANENT_SESSION_LIFETIME", Value::from(31 * 24 * 3600)),
            ("USE_X_SENDFILE", Value::Bool(false)),
            ("TRUSTED_HOSTS", Value::Null),
            ("SERVER_NAME", Value::Null),
            ("APPLICATION_ROOT", Value::from("/")),
            ("SESSION_COOKIE_NAME", Value::from("session")),
            ("SESSION_COOKIE_DOMAIN", Value::Null),
            ("SESSION_COOKIE_PATH", Value::Null),
            ("SESSION_COOKIE_HTTPONLY", Value::Bool(true)),
            ("SESSION_COOKIE_SECURE", Value::Bool(false)),
            ("SESSION_COOKIE_PARTITIONED", Value::Bool(false)),
            ("SESSION_COOKIE_SAMESITE", Value::from("Lax")),
            ("SESSION_REFRESH_EACH_REQUEST", Value::Bool(true)),
            (
                "MAX_CONTENT_LENGTH",
                Value::from(DEFAULT_MAX_CONTENT_LENGTH),
            ),
            ("MAX_FORM_MEMORY_SIZE", Value::from(500_000)),
            ("PROXY_FIX_X_FOR", Value::from(0)),
            ("PROXY_FIX_X_PROTO", Value::from(0)),
            ("MAX_FORM_PARTS", Value::from(1_000)),
            (
                "MAX_JSON_PARTS",
                Value::from(crate::request::DEFAULT_MAX_JSON_PARTS),
            ),
            ("SEND_FILE_MAX_AGE_DEFAULT", Value::Null),
            ("TRAP_BAD_REQUEST_ERRORS", Value::Null),
            ("TRAP_HTTP_EXCEPTIONS", Value::Bool(false)),
            ("EXPLAIN_TEMPLATE_LOADING", Value::Bool(false)),
            ("PREFERRED_URL_SCHEME", Value::from("http")),
            ("TEMPLATES_AUTO_RELOAD", Value::Null),
            ("MAX_COOKIE_SIZE", Value::from(4093)),
        ];
        for (k, v) in defaults {
            c.values.insert(k.to_owned(), v);
        }
        c.values
            .insert("PROVIDE_AUTOMATIC_OPTIONS".to_owned(), Value::Bool(true));
        c
    }

    /// The raw value of `key`; a dotted key (`"DATABASE.url"`) looks into tables.
    pub fn get_value(&self, key: &str) -> Option<&Value> {
        if let Some(v) = self.values.get(key) {
            return Some(v);
        }
        let mut parts = key.split('.');
        let mut cur = self.values.get(parts.next()?)?;
        for p in parts {
            cur = cur.as_object()?.get(p)?;
        }
        Some(cur)
    }

    /// `key` as a duration in seconds above 0, or `default` when unset; another value is
    /// refused naming the key (the server's and the realtime limits).
    pub(crate) fn seconds_or(
        &self,
        key: &str,
        default: std::time::Duration,
    ) -> Result<std::time::Duration, crate::BoxError> {
        match self.get::<f64>(key)? {
            None => Ok(default),
            Some(s) if s.is_finite() && s > 0.0 => Ok(std::time::Duration::from_secs_f64(s)),
            Some(s) => Err(format!("{key} is {s}; give a number of seconds above 0").into()),
        }
    }

    /// `key` as a count of at least `least`, or `default` when unset; a smaller one is
    /// refused naming the key.
    pub(crate) fn count_or(
        &self,
        key: &str,
        default: usize,
        least: usize,
    ) -> Result<usize, crate::BoxError> {
        match self.get::<usize>(key)? {
            None => Ok(default),
            Some(n) if n >= least => Ok(n),
            Some(n) => Err(format!("{key} is {n}; it must be at least {least}").into()),
        }
    }

    /// `key` as a `T`; `Ok(None)` when missing or null, an error naming the key when the
    /// value does not fit `T`.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, ConfigError> {
        match self.get_value(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => {
                if let Ok(value) = serde_json::from_value(v.clone()) {
                    return Ok(Some(value));
                }
                // What a Flask app would still take: the variable's own text for a string,
                // 1/0 and true/yes/on words for a flag.
                for candidate in self.lenient(key, v) {
                    if let Ok(value) = serde_json::from_value(candidate) {
                        return Ok(Some(value));
                    }
                }
                Err(ConfigError::WrongType {
                    key: key.to_owned(),
                    expected: std::any::type_name::<T>().to_owned(),
                    found: v.to_string(),
                })
            }
        }
    }

    /// Other readings of `value` (of `key`) to try when it is not of the type asked for.
    fn lenient(&self, key: &str, value: &Value) -> Vec<Value> {
        let mut out = Vec::new();
        if let Some((text, parsed)) = self.env_text.get(key)
            && parsed == value
        {
            out.push(Value::String(text.clone()));
        }
        let flag = match value {
            Value::Number(n) => match n.as_i64() {
                Some(1) => Some(true),
                Some(0) => Some(false),
                _ => None,
            },
            Value::String(s) => match s.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Some(true),
                "0" | "false" | "no" | "off" => Some(false),
                _ => None,
            },
            _ => None,
        };
        out.extend(flag.map(Value::Bool));
        out
    }

    /// `key` as a string, if it is one.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        match self.get_value(key)? {
            Value::String(s) => Some(s),
            // An environment variable's own text (`FLASK_SECRET_KEY=123456`).
            other => self
                .env_text
                .get(key)
                .filter(|(_, parsed)| parsed == other)
                .map(|(text, _)| text.as_str()),
        }
    }

    /// `key` as a flag: `true`, a non-zero number or one of "1", "true", "yes", "on".
    pub fn get_bool(&self, key: &str) -> bool {
        match self.get_value(key) {
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
            Some(Value::String(s)) => {
                matches!(s.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on")
            }
            _ => false,
        }
    }

    /// Whether `key` is present and not null.
    pub fn contains(&self, key: &str) -> bool {
        !matches!(self.get_value(key), None | Some(Value::Null))
    }

    /// Sets `key` to `value` (anything serde can serialize).
    ///
    /// # Panics
    /// If `value`'s `Serialize` implementation fails (never for plain data).
    pub fn set(&mut self, key: &str, value: impl Serialize) {
        let v = serde_json::to_value(value)
            .unwrap_or_else(|e| panic!("config value for {key} cannot be serialized: {e}"));
        self.values.insert(key.to_owned(), v);
    }

    /// Sets `key` only if it is missing or null: for extensions' defaults.
    pub fn set_default(&mut self, key: &str, value: impl Serialize) {
        if !self.contains(key) {
            self.set(key, value);
        }
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.values.remove(key)
    }

    /// All keys, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// Whether `DEBUG` is on.
    pub fn debug(&self) -> bool {
        self.get_bool("DEBUG")
    }

    /// Whether `TESTING` is on.
    pub fn testing(&self) -> bool {
        self.get_bool("TESTING")
    }

    /// Flask's `from_prefixed_env`: every `PREFIX_KEY` environment variable sets `KEY`.
    /// Values are parsed as JSON when they parse (`42`, `true`, `[1, 2]`), else kept as
    /// strings; `PREFIX_A__B` sets `B` inside the table `A`. Returns how many were set.
    ///
    /// As the `flask` command does with python-dotenv, variables from `.flaskenv` and then
    /// `.env` in the current directory count too; the real environment wins over both.
    /// `FLASK_SKIP_DOTENV=1` turns the files off.
    pub fn from_prefixed_env(&mut self, prefix: &str) -> usize {
        let mut vars: BTreeMap<String, String> = BTreeMap::new();
        let skip = std::env::var("FLASK_SKIP_DOTENV")
            .is_ok_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes"));
        if !skip {
            for file in [".flaskenv", ".env"] {
                if let Ok(text) = std::fs::read_to_string(file) {
                    vars.extend(parse_dotenv(&text));
                }
            }
        }
        vars.extend(std::env::vars());
        self.from_prefixed_iter(prefix, vars)
    }

    /// [`Config::from_prefixed_env`] over given pairs (for tests and custom sources).
    pub fn from_prefixed_iter(
        &mut self,
        prefix: &str,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> usize {
        let prefix = format!("{prefix}_");
        let mut n = 0;
        for (name, raw) in vars {
            let Some(key) = name.strip_prefix(&prefix) else {
                continue;
            };
            if key.is_empty() {
                continue;
            }
            let parsed = serde_json::from_str::<Value>(&raw).ok();
            let mut path = key.split("__");
            let first = path.next().unwrap_or(key);
            let rest: Vec<&str> = path.collect();
            let value = match parsed {
                Some(value) => {
                    if rest.is_empty() && !value.is_string() {
                        self.env_text
                            .insert(first.to_owned(), (raw.clone(), value.clone()));
                    }
                    value
                }
                None => Value::String(raw),
            };
            if rest.is_empty() {
                self.values.insert(first.to_owned(), value);
            } else {
                let mut cur = self
                    .values
                    .entry(first.to_owned())
                    .or_insert_with(|| Value::Object(Default::default()));
                for (i, p) in rest.iter().enumerate() {
                    if !cur.is_object() {
                        *cur = Value::Object(Default::default());
                    }
                    let obj = cur.as_object_mut().expect("made an object above");
                    if i + 1 == rest.len() {
                        obj.insert((*p).to_owned(), value.clone());
                        break;
                    }
                    cur = obj
                        .entry((*p).to_owned())
                        .or_insert_with(|| Value::Object(Default::default()));
                }
            }
            n += 1;
        }
        n
    }

    /// Loads a TOML file: each top-level key sets a config key (Flask's `from_file`).
    pub fn from_file(&mut self, path: impl AsRef<Path>) -> Result<(), ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_owned(),
            source,
        })?;
        self.from_toml_str(&text, path)
    }

    /// Loads the TOML file an environment variable names (Flask's `from_envvar`):
    /// `YOURAPPLICATION_SETTINGS=/etc/app/production.toml`. Unset (or empty), it is
    /// [`ConfigError::EnvVarNotSet`], unless `silent`, which returns `Ok(false)`; `Ok(true)`
    /// when the file was loaded.
    ///
    /// ```
    /// let mut config = flask::Config::new();
    /// assert!(!config.from_envvar("DOCTEST_SETTINGS_UNSET", true).unwrap());
    /// assert!(config.from_envvar("DOCTEST_SETTINGS_UNSET", false).is_err());
    /// ```
    pub fn from_envvar(&mut self, name: &str, silent: bool) -> Result<bool, ConfigError> {
        match std::env::var_os(name) {
            Some(path) if !path.is_empty() => self.from_file(path).map(|()| true),
            _ if silent => Ok(false),
            _ => Err(ConfigError::EnvVarNotSet {
                name: name.to_owned(),
            }),
        }
    }

    /// Loads TOML text; `origin` names it in errors.
    pub fn from_toml_str(
        &mut self,
        text: &str,
        origin: impl AsRef<Path>,
    ) -> Result<(), ConfigError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: origin.as_ref().to_owned(),
            message: e.to_string(),
        })?;
        for (k, v) in table {
            let v = serde_json::to_value(v).map_err(|e| ConfigError::Parse {
                path: origin.as_ref().to_owned(),
                message: e.to_string(),
            })?;
            self.values.insert(k, v);
        }
        Ok(())
    }

    /// Sets every key of a JSON object (Flask's `from_mapping`).
    pub fn from_mapping(&mut self, mapping: serde_json::Map<String, Value>) {
        self.values.extend(mapping);
    }
}

/// Parses a dotenv file: `KEY=value`, `export KEY=value`, `# comments`, and values in
/// single quotes (literal) or double quotes (with `\n`, `\"` and `\\` escapes).
pub(crate) fn parse_dotenv(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let value = value.trim();
        let value = if let Some(inner) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\''))
        {
            inner.to_owned()
        } else if let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            let mut s = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    match chars.next() {
                        Some('n') => s.push('\n'),
                        Some(other) => s.push(other),
                        None => s.push('\\'),
                    }
                } else {
                    s.push(c);
                }
            }
            s
        } else {
            // An unquoted value ends at ` #` (a trailing comment).
            value.split(" #").next().unwrap_or("").trim().to_owned()
        };
        out.push((key.to_owned(), value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixed_env_parses_json_and_nests() {
        let mut c = Config::new();
        let n = c.from_prefixed_iter(
            "FLASK",
            [
                ("FLASK_SECRET_KEY".to_owned(), "dev".to_owned()),
                ("FLASK_DEBUG".to_owned(), "true".to_owned()),
                ("FLASK_PORT".to_owned(), "8000".to_owned()),
                ("FLASK_ENGINE__pool_size".to_owned(), "5".to_owned()),
                ("OTHER_X".to_owned(), "1".to_owned()),
            ],
        );
        assert_eq!(n, 4);
        assert_eq!(c.get_str("SECRET_KEY"), Some("dev"));
        assert!(c.debug());
        assert_eq!(c.get::<u16>("PORT").unwrap(), Some(8000));
        assert_eq!(c.get::<u32>("ENGINE.pool_size").unwrap(), Some(5));
        assert!(!c.contains("X"));
    }

    #[test]
    fn dotenv_files() {
        let vars = parse_dotenv(
            "# comment\nFLASK_SECRET_KEY=abc # trailing\nexport FLASK_DEBUG=1\nFLASK_MSG=\"two\\nlines\"\nFLASK_RAW='a\\nb'\nnot a line\n",
        );
        assert_eq!(
            vars,
            [
                ("FLASK_SECRET_KEY".to_owned(), "abc".to_owned()),
                ("FLASK_DEBUG".to_owned(), "1".to_owned()),
                ("FLASK_MSG".to_owned(), "two\nlines".to_owned()),
                ("FLASK_RAW".to_owned(), "a\\nb".to_owned()),
            ]
        );
    }

    #[test]
    fn wrong_types_name_the_key() {
        let mut c = Config::new();
        c.set("PAGE", "ten");
        let e = c.get::<u32>("PAGE").unwrap_err();
        assert!(e.to_string().contains("PAGE"), "{e}");
    }

    #[test]
    fn toml_errors_have_a_location() {
        let mut c = Config::new();
        let e = c.from_toml_str("DEBUG = ", "settings.toml").unwrap_err();
        assert!(e.to_string().contains("settings.toml"), "{e}");
        let e = c.from_file("/nonexistent/x.toml").unwrap_err();
        assert!(matches!(e, ConfigError::Io { .. }));
    }

    #[test]
    fn defaults_are_flasks() {
        let c = Config::new();
        assert_eq!(
            c.get::<u64>("PERMANENT_SESSION_LIFETIME").unwrap(),
            Some(2_678_400)
        );
        assert_eq!(c.get_str("PREFERRED_URL_SCHEME"), Some("http"));
        assert!(!c.contains("SECRET_KEY"));
    }
}
