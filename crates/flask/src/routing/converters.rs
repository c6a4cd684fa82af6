//! Werkzeug's URL converters: the regex each one matches, how a matched string
//! becomes a typed value, and how a value goes back into a URL.

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use uuid::Uuid;

use super::rule::RuleError;

/// A typed value taken from the URL by a converter (`<int:id>` gives `Int`).
#[derive(Debug, Clone, PartialEq)]
pub enum PathValue {
    /// From `string`, `path` and `any`.
    Str(String),
    /// From `int`.
    Int(i64),
    /// From `float`.
    Float(f64),
    /// From `uuid`.
    Uuid(Uuid),
}

impl fmt::Display for PathValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathValue::Str(s) => f.write_str(s),
            PathValue::Int(i) => write!(f, "{i}"),
            PathValue::Float(x) => write!(f, "{x}"),
            PathValue::Uuid(u) => write!(f, "{u}"),
        }
    }
}

/// Characters left as they are in a path segment, as Werkzeug's `to_url` leaves them
/// (`!$&'()*+,:;=@` and the unreserved set). `/` is escaped except for `path`.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b':')
    .remove(b';')
    .remove(b'=')
    .remove(b'@');
const PATH: &AsciiSet = &SEGMENT.remove(b'/');

/// A URL converter of your own, Werkzeug's `BaseConverter`: what a variable matches, the
/// value handlers get, and how `url_for` writes a value back. Register it with
/// [`Flask::converter`](crate::Flask::converter) and use it in rules by name
/// (`<slug:name>`, `<regex("[a-z]{3}"):code>`).
///
/// ```
/// use flask::routing::{ConverterArgs, PathValue, UrlConverter, get};
/// use flask::{Flask, Path};
///
/// /// Matches what the regex given in the rule matches (`<regex("[a-z]{3}"):code>`).
/// struct Regex(String);
///
/// impl UrlConverter for Regex {
///     fn regex(&self) -> String { self.0.clone() }
///     fn to_value(&self, text: &str) -> Option<PathValue> { Some(PathValue::Str(text.to_owned())) }
/// }
///
/// #[flask::view]
/// async fn country(Path(code): Path<String>) -> String { code }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = Flask::new("demo")
///     .converter("regex", |args: &ConverterArgs| {
///         let pattern = args.get(0, "pattern").ok_or("regex needs a pattern")?;
///         Ok(Regex(pattern.to_owned()))
///     })
///     .route("/country/<regex(\"[a-z]{3}\"):code>", get(country))
///     .test_client();
/// assert_eq!(client.get("/country/fra").send().await.text(), "fra");
/// assert_eq!(client.get("/country/france").send().await.status(), 404);
/// # }
/// ```
pub trait UrlConverter: Send + Sync + 'static {
    /// The regex a value matches in the (percent-decoded) path, without capture groups:
    /// Werkzeug's `regex`. Without `/` in it, a value stays within one path segment.
    fn regex(&self) -> String;

    /// Werkzeug's `weight`: where rules with this converter are tried among others that
    /// could match (`int` is 50, `string` 100, `path` 200; lower first).
    fn weight(&self) -> u32 {
        100
    }

    /// Werkzeug's `to_python`: the matched text (decoded) as the value handlers get;
    /// `None` if it does not convert, and the next rule is tried (a 404 when none matches).
    fn to_value(&self, text: &str) -> Option<PathValue>;

    /// Werkzeug's `to_url`: a value given to `url_for` as URL text, or why it does not fit.
    /// The default percent-encodes it as Werkzeug's `BaseConverter` does (`/` kept).
    fn to_url(&self, value: &str) -> Result<String, String> {
        Ok(crate::urls::quote(value, "!$&'()*+,/:;=@"))
    }
}

/// The arguments written after a converter's name in a rule (`<regex("[a-z]+", flags=i):x>`),
/// for the factory given to [`Flask::converter`](crate::Flask::converter). Strings lose their
/// quotes; numbers and `True`/`False`/`None` are given as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConverterArgs {
    positional: Vec<String>,
    keyword: Vec<(String, String)>,
}

impl ConverterArgs {
    /// The positional arguments, in order.
    pub fn positional(&self) -> &[String] {
        &self.positional
    }

    /// The keyword argument `name`.
    pub fn keyword(&self, name: &str) -> Option<&str> {
        self.keyword
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The argument given as `name=` or, failing that, at position `index` (as Python
    /// binds a parameter).
    pub fn get(&self, index: usize, name: &str) -> Option<&str> {
        self.keyword(name)
            .or_else(|| self.positional.get(index).map(String::as_str))
    }
}

/// Makes a converter from a rule's arguments.
pub(crate) type ConverterFactory = std::sync::Arc<
    dyn Fn(&ConverterArgs) -> Result<std::sync::Arc<dyn UrlConverter>, String> + Send + Sync,
>;

/// The app's own converters, by name.
pub(crate) type CustomConverters = std::collections::HashMap<String, ConverterFactory>;

/// A converter of the app's, in a rule.
#[derive(Clone)]
pub(crate) struct Custom {
    name: String,
    conv: std::sync::Arc<dyn UrlConverter>,
}

impl fmt::Debug for Custom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Custom({})", self.name)
    }
}

impl PartialEq for Custom {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.conv, &other.conv)
    }
}

/// A converter with its arguments, as written in a rule (`<int(min=1):id>`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Converter {
    String {
        min: usize,
        max: Option<usize>,
    },
    Int {
        fixed_digits: usize,
        min: Option<i64>,
        max: Option<i64>,
        signed: bool,
    },
    Float {
        min: Option<f64>,
        max: Option<f64>,
        signed: bool,
    },
    Path,
    Uuid,
    Any(Vec<String>),
    Custom(Custom),
}

/// One argument of a converter: `min=1` or a positional `'a'`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    Int(i64),
    Float(f64),
    Bool(bool),
    None,
    Str(String),
}

impl Arg {
    /// The argument as text: a string without its quotes, anything else as written.
    fn text(self) -> String {
        match self {
            Arg::Str(s) => s,
            Arg::Int(i) => i.to_string(),
            Arg::Float(f) => f.to_string(),
            Arg::Bool(b) => if b { "True" } else { "False" }.to_owned(),
            Arg::None => "None".to_owned(),
        }
    }
}

impl Converter {
    /// Builds a converter from its name and parsed arguments; the app's own converters
    /// (which may replace a built-in one, as in Werkzeug) first.
    pub(crate) fn new(
        name: &str,
        args: Vec<(Option<String>, Arg)>,
        custom: &CustomConverters,
    ) -> Result<Self, RuleError> {
        if let Some(factory) = custom.get(name) {
            let mut given = ConverterArgs::default();
            for (k, v) in args {
                let text = v.text();
                match k {
                    Some(k) => given.keyword.push((k, text)),
                    None => given.positional.push(text),
                }
            }
            return factory(&given)
                .map(|conv| {
                    Converter::Custom(Custom {
                        name: name.to_owned(),
                        conv,
                    })
                })
                .map_err(|e| RuleError::new(format!("converter `{name}`: {e}")));
        }
        let mut a = Args::new(name, args);
        let conv = match name {
            "default" | "string" => {
                let minlength = a.usize("minlength", 0)?.unwrap_or(1);
                let maxlength = a.usize("maxlength", 1)?;
                let length = a.usize("length", 2)?;
                match length {
                    Some(n) => Converter::String {
                        min: n,
                        max: Some(n),
                    },
                    None => Converter::String {
                        min: minlength,
                        max: maxlength,
                    },
                }
            }
            "int" => Converter::Int {
                fixed_digits: a.usize("fixed_digits", 0)?.unwrap_or(0),
                min: a.int("min", 1)?,
                max: a.int("max", 2)?,
                signed: a.bool("signed", 3)?.unwrap_or(false),
            },
            "float" => Converter::Float {
                min: a.float("min", 0)?,
                max: a.float("max", 1)?,
                signed: a.bool("signed", 2)?.unwrap_or(false),
            },
            "path" => Converter::Path,
            "uuid" => Converter::Uuid,
            "any" => {
                let items = a.rest_strings()?;
                if items.is_empty() {
                    return Err(RuleError::new(
                        "`any` needs at least one item, as in <any(a, b):name>",
                    ));
                }
                Converter::Any(items)
            }
            other => {
                return Err(RuleError::new(format!(
                    "unknown converter `{other}`; the converters are string, int, float, path, uuid and any"
                )));
            }
        };
        a.finish()?;
        Ok(conv)
    }

    /// The regex (no groups) that a value of this converter matches in a normalized path.
    pub(crate) fn regex(&self) -> String {
        match self {
            // Lengths are checked on the decoded value (`%2F` is one character).
            Converter::String { min, .. } => {
                if *min == 0 {
                    "[^/]*".to_owned()
                } else {
                    "[^/]+".to_owned()
                }
            }
            Converter::Int {
                fixed_digits,
                signed,
                ..
            } => {
                let digits = if *fixed_digits > 0 {
                    format!("[0-9]{{{fixed_digits}}}")
                } else {
                    "[0-9]+".to_owned()
                };
                if *signed {
                    format!("-?{digits}")
                } else {
                    digits
                }
            }
            Converter::Float { signed, .. } => {
                if *signed {
                    "-?[0-9]+\\.[0-9]+".to_owned()
                } else {
                    "[0-9]+\\.[0-9]+".to_owned()
                }
            }
            Converter::Path => "[^/].*?".to_owned(),
            Converter::Uuid => {
                "[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}"
                    .to_owned()
            }
            Converter::Any(items) => {
                let alts: Vec<String> = items.iter().map(|i| regex::escape(i)).collect();
                format!("(?:{})", alts.join("|"))
            }
            Converter::Custom(c) => format!("(?:{})", c.conv.regex()),
        }
    }

    /// Werkzeug's weight: lower weights are tried first when two rules could match.
    pub(crate) fn weight(&self) -> u32 {
        match self {
            Converter::Int { .. } | Converter::Float { .. } => 50,
            Converter::Path => 200,
            Converter::Custom(c) => c.conv.weight(),
            _ => 100,
        }
    }

    /// Whether this converter can match across `/`.
    pub(crate) fn spans_segments(&self) -> bool {
        match self {
            Converter::Path => true,
            // Werkzeug's `part_isolating`: a regex with a `/` can cross segments.
            Converter::Custom(c) => c.conv.regex().contains('/'),
            _ => false,
        }
    }

    /// Turns a matched (already decoded) string into a typed value; `None` means the
    /// value does not convert, which makes the rule not match (a 404 when no other does).
    pub(crate) fn to_value(&self, s: String) -> Option<PathValue> {
        match self {
            Converter::String { min, max } => {
                let n = s.chars().count();
                (n >= *min && max.is_none_or(|m| n <= m)).then_some(PathValue::Str(s))
            }
            Converter::Path | Converter::Any(_) => Some(PathValue::Str(s)),
            Converter::Int { min, max, .. } => {
                let v: i64 = s.parse().ok()?;
                if min.is_some_and(|m| v < m) || max.is_some_and(|m| v > m) {
                    return None;
                }
                Some(PathValue::Int(v))
            }
            Converter::Float { min, max, .. } => {
                let v: f64 = s.parse().ok()?;
                if min.is_some_and(|m| v < m) || max.is_some_and(|m| v > m) {
                    return None;
                }
                Some(PathValue::Float(v))
            }
            Converter::Uuid => Uuid::parse_str(&s).ok().map(PathValue::Uuid),
            Converter::Custom(c) => c.conv.to_value(&s),
        }
    }

    /// Turns a value given to `url_for` into its percent-encoded URL form, checking that
    /// the converter would accept it back.
    pub(crate) fn to_url(&self, raw: &str) -> Result<String, String> {
        match self {
            Converter::String { min, max } => {
                let n = raw.chars().count();
                if n < *min || max.is_some_and(|m| n > m) {
                    return Err(match max {
                        Some(m) if m == min => format!("must be exactly {min} characters long"),
                        Some(m) => format!("must be {min} to {m} characters long"),
                        None => format!("must be at least {min} characters long"),
                    });
                }
                Ok(utf8_percent_encode(raw, SEGMENT).to_string())
            }
            Converter::Path => {
                if raw.is_empty() {
                    return Err("must not be empty".to_owned());
                }
                Ok(utf8_percent_encode(raw, PATH).to_string())
            }
            Converter::Any(items) => {
                if items.iter().any(|i| i == raw) {
                    Ok(utf8_percent_encode(raw, SEGMENT).to_string())
                } else {
                    Err(format!("must be one of {}", items.join(", ")))
                }
            }
            Converter::Int {
                fixed_digits,
                min,
                max,
                signed,
            } => {
                let v: i64 = raw
                    .trim()
                    .parse()
                    .map_err(|_| "must be an integer".to_owned())?;
                if v < 0 && !signed {
                    return Err("must not be negative (the converter is not signed)".to_owned());
                }
                if min.is_some_and(|m| v < m) || max.is_some_and(|m| v > m) {
                    return Err(range_msg(
                        min.map(|m| m.to_string()),
                        max.map(|m| m.to_string()),
                    ));
                }
                let digits = format!("{:0width$}", v.unsigned_abs(), width = *fixed_digits);
                Ok(if v < 0 { format!("-{digits}") } else { digits })
            }
            Converter::Float { min, max, signed } => {
                let v: f64 = raw
                    .trim()
                    .parse()
                    .map_err(|_| "must be a number".to_owned())?;
                if !v.is_finite() {
                    return Err("must be a finite number".to_owned());
                }
                if v < 0.0 && !signed {
                    return Err("must not be negative (the converter is not signed)".to_owned());
                }
                if min.is_some_and(|m| v < m) || max.is_some_and(|m| v > m) {
                    return Err(range_msg(
                        min.map(|m| m.to_string()),
                        max.map(|m| m.to_string()),
                    ));
                }
                // Always with a fraction, so the URL matches `\d+\.\d+` again.
                let mut s = v.to_string();
                if !s.contains('.') {
                    s.push_str(".0");
                }
                Ok(s)
            }
            Converter::Uuid => Uuid::parse_str(raw.trim())
                .map(|u| u.to_string())
                .map_err(|_| "must be a UUID".to_owned()),
            Converter::Custom(c) => c.conv.to_url(raw),
        }
    }
}

fn range_msg(min: Option<String>, max: Option<String>) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!("must be between {a} and {b}"),
        (Some(a), None) => format!("must be at least {a}"),
        (None, Some(b)) => format!("must be at most {b}"),
        (None, None) => String::new(),
    }
}

/// Positional and keyword arguments of one converter, consumed as they are read.
struct Args<'a> {
    conv: &'a str,
    positional: Vec<Option<Arg>>,
    keyword: Vec<(String, Arg)>,
}

impl<'a> Args<'a> {
    fn new(conv: &'a str, args: Vec<(Option<String>, Arg)>) -> Self {
        let mut positional = Vec::new();
        let mut keyword = Vec::new();
        for (k, v) in args {
            match k {
                Some(k) => keyword.push((k, v)),
                None => positional.push(Some(v)),
            }
        }
        Args {
            conv,
            positional,
            keyword,
        }
    }

    fn take(&mut self, name: &str, pos: usize) -> Option<Arg> {
        if let Some(i) = self.keyword.iter().position(|(k, _)| k == name) {
            return Some(self.keyword.remove(i).1);
        }
        self.positional.get_mut(pos).and_then(Option::take)
    }

    fn err(&self, name: &str, want: &str) -> RuleError {
        RuleError::new(format!(
            "argument `{name}` of `{}` must be {want}",
            self.conv
        ))
    }

    fn int(&mut self, name: &str, pos: usize) -> Result<Option<i64>, RuleError> {
        match self.take(name, pos) {
            None | Some(Arg::None) => Ok(None),
            Some(Arg::Int(i)) => Ok(Some(i)),
            Some(_) => Err(self.err(name, "an integer")),
        }
    }

    fn usize(&mut self, name: &str, pos: usize) -> Result<Option<usize>, RuleError> {
        match self.int(name, pos)? {
            None => Ok(None),
            Some(i) => usize::try_from(i)
                .map(Some)
                .map_err(|_| self.err(name, "zero or more")),
        }
    }

    fn float(&mut self, name: &str, pos: usize) -> Result<Option<f64>, RuleError> {
        match self.take(name, pos) {
            None | Some(Arg::None) => Ok(None),
            Some(Arg::Int(i)) => Ok(Some(i as f64)),
            Some(Arg::Float(f)) => Ok(Some(f)),
            Some(_) => Err(self.err(name, "a number")),
        }
    }

    fn bool(&mut self, name: &str, pos: usize) -> Result<Option<bool>, RuleError> {
        match self.take(name, pos) {
            None | Some(Arg::None) => Ok(None),
            Some(Arg::Bool(b)) => Ok(Some(b)),
            Some(_) => Err(self.err(name, "True or False")),
        }
    }

    fn rest_strings(&mut self) -> Result<Vec<String>, RuleError> {
        Ok(self.positional.drain(..).flatten().map(Arg::text).collect())
    }

    fn finish(self) -> Result<(), RuleError> {
        if let Some((k, _)) = self.keyword.first() {
            return Err(RuleError::new(format!(
                "`{}` has no argument `{k}`",
                self.conv
            )));
        }
        if self.positional.iter().any(Option::is_some) {
            return Err(RuleError::new(format!(
                "too many arguments for `{}`",
                self.conv
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(name: &str, args: &[(Option<&str>, Arg)]) -> Converter {
        Converter::new(
            name,
            args.iter()
                .map(|(k, v)| (k.map(str::to_owned), v.clone()))
                .collect(),
            &CustomConverters::new(),
        )
        .unwrap()
    }

    #[test]
    fn string_lengths() {
        let c = conv("string", &[(Some("length"), Arg::Int(2))]);
        assert_eq!(c.regex(), "[^/]+");
        assert!(c.to_url("abc").is_err());
        assert_eq!(c.to_value("a/".into()), Some(PathValue::Str("a/".into())));
        assert_eq!(c.to_value("abc".into()), None);
        assert_eq!(c.to_url("ab").unwrap(), "ab");
        let c = conv(
            "string",
            &[
                (Some("minlength"), Arg::Int(2)),
                (Some("maxlength"), Arg::Int(4)),
            ],
        );
        assert_eq!(c.to_value("a".into()), None);
        assert_eq!(
            c.to_value("abcd".into()),
            Some(PathValue::Str("abcd".into()))
        );
        assert_eq!(c.to_value("abcde".into()), None);
        let c = conv("default", &[]);
        assert_eq!(c.regex(), "[^/]+");
    }

    #[test]
    fn int_range_and_sign() {
        let c = conv(
            "int",
            &[(Some("min"), Arg::Int(1)), (Some("max"), Arg::Int(10))],
        );
        assert_eq!(c.to_value("5".into()), Some(PathValue::Int(5)));
        assert_eq!(c.to_value("0".into()), None);
        assert_eq!(c.to_value("11".into()), None);
        assert_eq!(c.regex(), "[0-9]+");
        let s = conv("int", &[(Some("signed"), Arg::Bool(true))]);
        assert_eq!(s.regex(), "-?[0-9]+");
        assert_eq!(s.to_url("-3").unwrap(), "-3");
        assert!(conv("int", &[]).to_url("-3").is_err());
        let f = conv("int", &[(Some("fixed_digits"), Arg::Int(4))]);
        assert_eq!(f.to_url("42").unwrap(), "0042");
        assert_eq!(f.regex(), "[0-9]{4}");
    }

    #[test]
    fn float_round_trip() {
        let c = conv("float", &[]);
        assert_eq!(c.to_url("2").unwrap(), "2.0");
        assert_eq!(c.to_value("2.5".into()), Some(PathValue::Float(2.5)));
        assert!(c.to_url("-1.5").is_err());
    }

    #[test]
    fn any_and_errors() {
        let c = conv(
            "any",
            &[(None, Arg::Str("a".into())), (None, Arg::Str("b c".into()))],
        );
        assert_eq!(c.to_url("b c").unwrap(), "b%20c");
        assert!(c.to_url("d").is_err());
        assert!(Converter::new("nope", vec![], &CustomConverters::new()).is_err());
        assert!(
            Converter::new(
                "int",
                vec![(Some("bogus".into()), Arg::Int(1))],
                &CustomConverters::new()
            )
            .is_err()
        );
        assert!(Converter::new("any", vec![], &CustomConverters::new()).is_err());
    }

    #[test]
    fn encoding() {
        let s = conv("string", &[]);
        assert_eq!(s.to_url("a b/c?d#e%").unwrap(), "a%20b%2Fc%3Fd%23e%25");
        assert_eq!(conv("path", &[]).to_url("a b/c").unwrap(), "a%20b/c");
        assert_eq!(s.to_url("Jörg").unwrap(), "J%C3%B6rg");
    }
}
