//! The expression prompt of `myapp shell` and of the debug page's console: minijinja expressions (Jinja's expression
//! language, already the app's template language) evaluated with the app's template globals
//! (`config`, `url_for`...) and the names its `shell_context_processor` functions add.
//!
//! Rust cannot evaluate Rust at run time, so the prompt evaluates what a Jinja template can:
//! values, attribute and item lookups, filters, tests, calls of the functions the app gives
//! templates, arithmetic and comparisons. A result is shown as Python's `repr` shows it.
//! `set name = expression` keeps a value for the following lines of the same prompt.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use std::sync::{Arc, Mutex};

use minijinja::Value;
use minijinja::value::ValueKind;

use crate::App;

/// One prompt: its kept values and the names the app gives it.
pub(crate) struct Console {
    app: App,
    /// The names of the `shell_context_processor` functions (made when the prompt starts).
    base: BTreeMap<String, Value>,
    /// What `set name = ..` kept.
    kept: BTreeMap<String, Value>,
    /// The lines read so far of an expression whose brackets are still open.
    pending: String,
    /// The request the debug page's console evaluates in (`url_for` builds relative to it).
    request: Option<crate::RequestContext>,
}

impl Console {
    /// A prompt for `app`, with the names its shell context processors give.
    pub(crate) fn new(app: &App) -> Self {
        Console::with_names(app, BTreeMap::new())
    }

    /// A prompt for `app` with the names its shell context processors give, then `names`
    /// (which win on a clash): the debug page's console adds the failing request's.
    pub(crate) fn with_names(app: &App, names: BTreeMap<String, Value>) -> Self {
        let mut base = BTreeMap::new();
        for f in &app.inner.shell_context {
            let names = f(app);
            if let Ok(keys) = names.try_iter() {
                for key in keys {
                    if let (Some(name), Ok(value)) = (key.as_str(), names.get_item(&key)) {
                        base.insert(name.to_owned(), value);
                    }
                }
            }
        }
        base.extend(names);
        Console {
            app: app.clone(),
            base,
            kept: BTreeMap::new(),
            pending: String::new(),
            request: None,
        }
    }

    /// Evaluates this prompt's lines in `ctx`, the failing request of a debug page.
    pub(crate) fn in_request(mut self, ctx: crate::RequestContext) -> Self {
        self.request = Some(ctx);
        self
    }

    /// The names the prompt knows besides the template globals, sorted.
    pub(crate) fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .base
            .keys()
            .chain(self.kept.keys())
            .map(String::as_str)
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// Reads one line of a prompt: as [`Console::eval`], except that a line leaving a
    /// bracket open (`[1,`) is kept, and `Ok(None)` returned, until a later line closes it,
    /// as Python's prompt continues a line. An empty line evaluates what is kept.
    pub(crate) fn feed(&mut self, line: &str) -> Result<Option<String>, String> {
        if self.pending.is_empty() {
            if opens_brackets(line) {
                self.pending.push_str(line);
                return Ok(None);
            }
            return self.eval(line);
        }
        if !line.trim().is_empty() {
            self.pending.push('\n');
            self.pending.push_str(line);
            if opens_brackets(&self.pending) {
                return Ok(None);
            }
        }
        let source = std::mem::take(&mut self.pending);
        self.eval(&source)
    }

    /// Drops the lines kept of an unfinished expression (Ctrl-C).
    pub(crate) fn cancel(&mut self) {
        self.pending.clear();
    }

    /// Whether the prompt is in the middle of an expression (its next prompt is `... `).
    pub(crate) fn continues(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Evaluates one line: `Ok(Some(repr))` for an expression, `Ok(None)` for a `set` or an
    /// empty line, `Err(message)` for a line that does not parse or evaluate.
    pub(crate) fn eval(&mut self, line: &str) -> Result<Option<String>, String> {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return Ok(None);
        }
        if let Some((name, expr)) = assignment(line) {
            let value = self.value_of(expr)?;
            self.kept.insert(name.to_owned(), value);
            return Ok(None);
        }
        self.value_of(line).map(|v| Some(repr(&v)))
    }

    fn value_of(&self, expr: &str) -> Result<Value, String> {
        let env = self.app.inner.templates.env().map_err(|e| e.to_string())?;
        let compiled = env.compile_expression(expr).map_err(|e| describe(&e))?;
        let mut context = self.base.clone();
        context.extend(self.kept.iter().map(|(k, v)| (k.clone(), v.clone())));
        let value = compiled.eval(Value::from(context)).map_err(|e| {
            if e.kind() == minijinja::ErrorKind::UndefinedError {
                self.undefined(expr)
            } else {
                describe(&e)
            }
        })?;
        if value.is_undefined() {
            return Err(self.undefined(expr));
        }
        Ok(value)
    }
}

/// Evaluates `line` in `console` on a thread of the runtime's blocking pool: with
/// `continues`, as [`Console::feed`] (a line may leave a bracket open), else as
/// [`Console::eval`]. The functions extensions give the prompt (`db.get(..)`) wait for the
/// database there, which a thread of the runtime itself must not do.
pub(crate) async fn eval_blocking(
    console: &Arc<Mutex<Console>>,
    line: String,
    continues: bool,
) -> Result<Option<String>, String> {
    let console = console.clone();
    tokio::task::spawn_blocking(move || {
        let mut console = console.lock().unwrap_or_else(|e| e.into_inner());
        // A panic in an extension's function is that line's error, not the prompt's end.
        let request = console.request.clone();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut run = || {
                if continues {
                    console.feed(&line)
                } else {
                    console.eval(&line)
                }
            };
            match request {
                Some(ctx) => crate::request::CURRENT.sync_scope(ctx, run),
                None => run(),
            }
        }));
        result.unwrap_or_else(|panic| {
            console.cancel();
            Err(format!(
                "the expression panicked: {}",
                crate::dispatch::panic_message(panic.as_ref())
            ))
        })
    })
    .await
    .unwrap_or_else(|e| Err(format!("the expression could not be evaluated: {e}")))
}

impl Console {
    /// Why `expr` has no value: it names something the prompt does not know.
    fn undefined(&self, expr: &str) -> String {
        let names = self.names();
        format!(
            "`{expr}` is undefined: it names something the prompt does not know (it knows the template globals, such as config and url_for{})",
            if names.is_empty() {
                String::new()
            } else {
                format!(", and {}", names.join(", "))
            }
        )
    }
}

/// Whether `source` leaves a bracket open, outside its string literals.
fn opens_brackets(source: &str) -> bool {
    let mut depth = 0i32;
    let mut quote = None;
    let mut escaped = false;
    for c in source.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '\'' | '"' => quote = Some(c),
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                _ => {}
            },
        }
    }
    depth > 0
}

/// `set name = expression`: the name and the expression, when the line is one.
fn assignment(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("set ")?;
    let (name, expr) = rest.split_once('=')?;
    let name = name.trim();
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    // `set a == b` is a comparison, not an assignment.
    (valid && !expr.starts_with('=')).then(|| (name, expr.trim()))
}

/// A minijinja error as one line: its kind's message and detail.
fn describe(e: &minijinja::Error) -> String {
    match e.detail() {
        Some(detail) => format!("{}: {detail}", e.kind()),
        None => e.kind().to_string(),
    }
}

/// `value` as Python's `repr` writes the value it stands for: `'text'`, `None`, `True`,
/// `[1, 2]`, `{'a': 1}`.
pub(crate) fn repr(value: &Value) -> String {
    let mut out = String::new();
    write_repr(&mut out, value);
    out
}

fn write_repr(out: &mut String, value: &Value) {
    match value.kind() {
        ValueKind::None | ValueKind::Undefined => out.push_str("None"),
        ValueKind::Bool => out.push_str(if value.is_true() { "True" } else { "False" }),
        ValueKind::String => out.push_str(&str_repr(value.as_str().unwrap_or_default())),
        ValueKind::Bytes => {
            out.push('b');
            let bytes = value.as_bytes().unwrap_or_default();
            out.push_str(&str_repr(
                &bytes.iter().map(|&b| char::from(b)).collect::<String>(),
            ));
        }
        ValueKind::Seq | ValueKind::Iterable => {
            out.push('[');
            if let Ok(items) = value.try_iter() {
                for (i, item) in items.enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_repr(out, &item);
                }
            }
            out.push(']');
        }
        ValueKind::Map => {
            out.push('{');
            if let Ok(keys) = value.try_iter() {
                for (i, key) in keys.enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_repr(out, &key);
                    out.push_str(": ");
                    write_repr(out, &value.get_item(&key).unwrap_or_default());
                }
            }
            out.push('}');
        }
        ValueKind::Number => {
            if let Some(f) = value
                .as_i64()
                .is_none()
                .then(|| f64::try_from(value.clone()).ok())
                .flatten()
            {
                // Python writes a whole float with ".0".
                if f.is_finite() && f.fract() == 0.0 {
                    let _ = write!(out, "{f:.1}");
                } else {
                    let _ = write!(out, "{f}");
                }
            } else {
                let _ = write!(out, "{value}");
            }
        }
        _ => {
            let _ = write!(out, "<{value}>");
        }
    }
}

/// A string as Python's `repr` quotes it: single quotes unless the text has one and no
/// double quote; backslash escapes for the quote, `\`, control characters.
fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_shown_as_python_shows_them() {
        let cases: [(Value, &str); 9] = [
            (Value::from(()), "None"),
            (Value::from(true), "True"),
            (Value::from(3), "3"),
            (Value::from(2.0), "2.0"),
            (Value::from(2.5), "2.5"),
            (Value::from("it's"), "\"it's\""),
            (Value::from("a\n'b\""), "'a\\n\\'b\"'"),
            (
                Value::from(vec![Value::from(1), Value::from("x")]),
                "[1, 'x']",
            ),
            (
                Value::from_serialize(serde_json::json!({"a": 1, "b": [true, null]})),
                "{'a': 1, 'b': [True, None]}",
            ),
        ];
        for (value, shown) in cases {
            assert_eq!(repr(&value), shown, "{value:?}");
        }
    }

    #[test]
    fn open_brackets_continue_the_line() {
        assert!(opens_brackets("[1,"));
        assert!(opens_brackets("{'a': (1"));
        assert!(!opens_brackets("[1, 2]"));
        assert!(!opens_brackets("'[' ~ \"(\""));
        assert!(opens_brackets("('it\\'s', "));
        assert!(!opens_brackets("1 +"));
    }

    #[test]
    fn assignments_are_told_from_comparisons() {
        assert_eq!(assignment("set x = 1 + 2"), Some(("x", "1 + 2")));
        assert_eq!(assignment("set x == 1"), None);
        assert_eq!(assignment("set 2x = 1"), None);
        assert_eq!(assignment("setx = 1"), None);
    }
}
