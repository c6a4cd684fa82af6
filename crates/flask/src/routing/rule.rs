//! Parsing a Flask rule (`/post/<int(min=1):id>`) into static text and variables, and
//! compiling it to the regex the URL map matches against.

use std::fmt;

use regex::Regex;

use super::converters::{Arg, Converter, CustomConverters};

/// Why a rule could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RuleError {
    message: String,
}

impl RuleError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        RuleError {
            message: message.into(),
        }
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A piece of a rule.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Part {
    Static(String),
    Var { name: String, conv: Converter },
}

/// A parsed and compiled rule.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    /// The rule as written (with any blueprint prefix).
    pub(crate) text: String,
    pub(crate) parts: Vec<Part>,
    /// For rules with variables; static rules are looked up by their text.
    pub(crate) regex: Option<Regex>,
    /// Static text before the first variable: a cheap filter before the regex.
    pub(crate) prefix: String,
    /// Werkzeug-like order: static segments before converters, lighter converters first.
    pub(crate) sort_key: Vec<(u8, u32, i64)>,
}

impl Rule {
    /// Parses `text` with the built-in converters; `Err` names what is wrong with it.
    #[cfg(test)]
    pub(crate) fn parse(text: &str) -> Result<Rule, RuleError> {
        Rule::parse_with(text, &CustomConverters::new())
    }

    /// Parses `text`, with the app's own converters too.
    pub(crate) fn parse_with(text: &str, custom: &CustomConverters) -> Result<Rule, RuleError> {
        if !text.starts_with('/') {
            return Err(RuleError::new("a rule must start with `/`"));
        }
        Rule::compile(text, custom)
    }

    /// Parses a subdomain (`<user>`, `api`) or host (`<user>.example.com`) pattern, matched
    /// against the lower-cased host.
    pub(crate) fn parse_domain(text: &str, custom: &CustomConverters) -> Result<Rule, RuleError> {
        if text.contains('/') {
            return Err(RuleError::new(format!(
                "the subdomain or host {text:?} must not contain `/`"
            )));
        }
        Rule::compile(&text.to_ascii_lowercase(), custom)
    }

    fn compile(text: &str, custom: &CustomConverters) -> Result<Rule, RuleError> {
        let parts = parse_parts(text, custom)?;
        let mut names: Vec<&str> = Vec::new();
        for p in &parts {
            if let Part::Var { name, .. } = p {
                if names.contains(&name.as_str()) {
                    return Err(RuleError::new(format!("variable `{name}` appears twice")));
                }
                names.push(name);
            }
        }
        let has_vars = !names.is_empty();
        let regex = if has_vars {
            let mut re = String::from("^");
            for p in &parts {
                match p {
                    Part::Static(s) => re.push_str(&regex::escape(&escape_static(s))),
                    Part::Var { conv, .. } => {
                        re.push('(');
                        re.push_str(&conv.regex());
                        re.push(')');
                    }
                }
            }
            re.push('$');
            Some(Regex::new(&re).map_err(|e| RuleError::new(format!("cannot compile: {e}")))?)
        } else {
            None
        };
        let prefix = match parts.first() {
            Some(Part::Static(s)) => escape_static(s),
            _ => String::new(),
        };
        Ok(Rule {
            text: text.to_owned(),
            sort_key: sort_key(&parts),
            parts,
            regex,
            prefix,
        })
    }

    /// Whether the rule has no variables.
    pub(crate) fn is_static(&self) -> bool {
        self.regex.is_none()
    }

    /// The text a static rule matches in a normalized path.
    pub(crate) fn static_key(&self) -> String {
        escape_static(&self.text)
    }

    /// Variable names with their converters, in order.
    pub(crate) fn vars(&self) -> impl Iterator<Item = (&str, &Converter)> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var { name, conv } => Some((name.as_str(), conv)),
            Part::Static(_) => None,
        })
    }
}

/// In a normalized path `%` only appears as `%25`, so static text is matched the same way.
fn escape_static(s: &str) -> String {
    s.replace('%', "%25")
}

fn sort_key(parts: &[Part]) -> Vec<(u8, u32, i64)> {
    // One entry per `/`-separated segment.
    let mut key = Vec::new();
    let mut cur: Option<(u8, u32, i64)> = None;
    let push_static = |cur: &mut Option<(u8, u32, i64)>, s: &str, key: &mut Vec<_>| {
        let mut first = true;
        for piece in s.split('/') {
            if !first {
                key.push(cur.take().unwrap_or((0, 0, 0)));
            }
            first = false;
            if !piece.is_empty() {
                let c = cur.get_or_insert((0, 0, 0));
                c.2 -= piece.len() as i64;
            }
        }
    };
    for p in parts {
        match p {
            Part::Static(s) => push_static(&mut cur, s, &mut key),
            Part::Var { conv, .. } => {
                let c = cur.get_or_insert((0, 0, 0));
                let class = if conv.spans_segments() { 2 } else { 1 };
                c.0 = c.0.max(class);
                c.1 = c.1.max(conv.weight());
            }
        }
    }
    if let Some(c) = cur {
        key.push(c);
    }
    key
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn parse_parts(text: &str, custom: &CustomConverters) -> Result<Vec<Part>, RuleError> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        if start > 0 {
            parts.push(Part::Static(rest[..start].to_owned()));
        }
        let after = &rest[start + 1..];
        let end = find_close(after).ok_or_else(|| {
            RuleError::new(format!(
                "`<` at `{}` is never closed by `>`",
                &rest[start..]
            ))
        })?;
        let inner = &after[..end];
        parts.push(parse_var(inner, custom)?);
        rest = &after[end + 1..];
    }
    if rest.contains('>') {
        return Err(RuleError::new("a `>` without its `<`"));
    }
    if !rest.is_empty() {
        parts.push(Part::Static(rest.to_owned()));
    }
    Ok(parts)
}

/// Finds the `>` closing a variable, skipping `>` inside quoted converter arguments.
fn find_close(s: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '>') => return Some(i),
            (None, '<') => return None,
            _ => {}
        }
    }
    None
}

fn parse_var(inner: &str, custom: &CustomConverters) -> Result<Part, RuleError> {
    let (conv_part, name) = match inner.rfind(':') {
        Some(i) if !inner[i..].contains(')') => (Some(&inner[..i]), &inner[i + 1..]),
        _ => (None, inner),
    };
    let name = name.trim();
    if !is_ident(name) {
        return Err(RuleError::new(format!(
            "`<{inner}>`: `{name}` is not a valid variable name (letters, digits and `_`, not starting with a digit)"
        )));
    }
    let conv = match conv_part {
        None => Converter::new("default", Vec::new(), custom),
        Some(c) => {
            let c = c.trim();
            let (cname, args) = match c.find('(') {
                Some(open) => {
                    let Some(args) = c[open + 1..].strip_suffix(')') else {
                        return Err(RuleError::new(format!(
                            "`<{inner}>`: converter arguments need a closing `)`"
                        )));
                    };
                    (
                        c[..open].trim(),
                        parse_args(args)
                            .map_err(|e| RuleError::new(format!("`<{inner}>`: {e}")))?,
                    )
                }
                None => (c, Vec::new()),
            };
            if !is_ident(cname) {
                return Err(RuleError::new(format!(
                    "`<{inner}>`: `{cname}` is not a converter name"
                )));
            }
            Converter::new(cname, args, custom)
        }
    }
    .map_err(|e| RuleError::new(format!("`<{inner}>`: {e}")))?;
    Ok(Part::Var {
        name: name.to_owned(),
        conv,
    })
}

/// Converter arguments, written like Python call arguments: `1, max=10, signed=True, 'a b'`.
fn parse_args(s: &str) -> Result<Vec<(Option<String>, Arg)>, String> {
    let mut items = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                cur.push(c);
            }
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                cur.push(c);
            }
            (None, ',') => items.push(std::mem::take(&mut cur)),
            (None, c) => cur.push(c),
        }
    }
    if quote.is_some() {
        return Err("a quoted argument is never closed".to_owned());
    }
    if !cur.trim().is_empty() || !items.is_empty() {
        items.push(cur);
    }
    items
        .into_iter()
        .map(|item| {
            let item = item.trim();
            if item.is_empty() {
                return Err("an empty argument".to_owned());
            }
            let (key, value) = match item.find('=') {
                Some(i) if is_ident(item[..i].trim()) && !item.starts_with(['\'', '"']) => {
                    (Some(item[..i].trim().to_owned()), item[i + 1..].trim())
                }
                _ => (None, item),
            };
            Ok((key, parse_arg(value)))
        })
        .collect()
}

fn parse_arg(v: &str) -> Arg {
    if v.len() >= 2
        && ((v.starts_with('\'') && v.ends_with('\'')) || (v.starts_with('"') && v.ends_with('"')))
    {
        return Arg::Str(v[1..v.len() - 1].to_owned());
    }
    match v {
        "True" | "true" => return Arg::Bool(true),
        "False" | "false" => return Arg::Bool(false),
        "None" => return Arg::None,
        _ => {}
    }
    if let Ok(i) = v.parse::<i64>() {
        return Arg::Int(i);
    }
    if let Ok(f) = v.parse::<f64>() {
        return Arg::Float(f);
    }
    Arg::Str(v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_variables_and_args() {
        let r = Rule::parse("/post/<int(min=1, max=10):id>/<any(a, 'b c'):kind>.html").unwrap();
        let vars: Vec<_> = r.vars().map(|(n, _)| n.to_owned()).collect();
        assert_eq!(vars, ["id", "kind"]);
        assert!(r.regex.as_ref().unwrap().is_match("/post/3/b c.html"));
        assert!(!r.regex.as_ref().unwrap().is_match("/post/3/d.html"));
        assert_eq!(r.prefix, "/post/");
    }

    #[test]
    fn default_converter_is_string() {
        let r = Rule::parse("/user/<username>").unwrap();
        assert!(
            matches!(r.parts[1], Part::Var { ref conv, .. } if *conv == Converter::String { min: 1, max: None })
        );
    }

    #[test]
    fn errors_name_the_problem() {
        let e = Rule::parse("post").unwrap_err();
        assert!(e.to_string().contains("start with `/`"));
        let e = Rule::parse("/a/<int:id").unwrap_err();
        assert!(e.to_string().contains("never closed"), "{e}");
        let e = Rule::parse("/a/<1x>").unwrap_err();
        assert!(e.to_string().contains("not a valid variable name"), "{e}");
        let e = Rule::parse("/a/<foo:x>").unwrap_err();
        assert!(e.to_string().contains("unknown converter `foo`"), "{e}");
        let e = Rule::parse("/a/<x>/<x>").unwrap_err();
        assert!(e.to_string().contains("appears twice"), "{e}");
        let e = Rule::parse("/a/<int(min=x):id>").unwrap_err();
        assert!(e.to_string().contains("must be an integer"), "{e}");
    }

    #[test]
    fn static_segments_sort_before_variables() {
        let a = Rule::parse("/user/new").unwrap();
        let b = Rule::parse("/user/<name>").unwrap();
        let c = Rule::parse("/user/<int:id>").unwrap();
        let d = Rule::parse("/user/<path:rest>").unwrap();
        assert!(a.sort_key < c.sort_key);
        assert!(c.sort_key < b.sort_key);
        assert!(b.sort_key < d.sort_key);
    }
}
