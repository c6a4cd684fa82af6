//! `text("... :name ...")`: raw SQL with named, bound parameters, SQLAlchemy's escape
//! hatch.

use crate::engine::Dialect;
use crate::{Error, Value};

/// Raw SQL with SQLAlchemy's `:name` parameters; build it with [`text`].
#[derive(Debug, Clone, PartialEq)]
pub struct TextQuery {
    sql: String,
    params: Vec<(String, Value)>,
    /// Where each name is in `params`: binding and compiling stay linear in the number of
    /// parameters (a multi-row INSERT binds thousands).
    index: std::collections::HashMap<String, usize>,
}

/// SQLAlchemy's `text()`: SQL written by hand, whose values are always bound parameters.
///
/// `:name` marks a parameter, given with [`TextQuery::bind`]. A colon inside a quoted string,
/// a quoted name or a comment is left alone, as is PostgreSQL's `::` cast; `\:` is a literal
/// colon. A parameter without a value, or a value for a name the SQL does not have, is an
/// error.
///
/// ```
/// use flask_sqlalchemy::text;
/// let q = text("SELECT id FROM users WHERE name = :name AND note <> ':not a param'")
///     .bind("name", "ada'; DROP TABLE users; --");
/// # let _ = q;
/// ```
pub fn text(sql: impl Into<String>) -> TextQuery {
    TextQuery {
        sql: sql.into(),
        params: Vec::new(),
        index: std::collections::HashMap::new(),
    }
}

impl TextQuery {
    /// Gives parameter `:name` its value (a later value for the same name wins).
    pub fn bind(mut self, name: &str, value: impl Into<Value>) -> Self {
        let value = value.into();
        match self.index.get(name) {
            Some(&i) => self.params[i].1 = value,
            None => {
                self.index.insert(name.to_owned(), self.params.len());
                self.params.push((name.to_owned(), value));
            }
        }
        self
    }

    /// The SQL as written.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The SQL with the dialect's placeholders (`?` or `$1`) and the values in order.
    pub(crate) fn compile(&self, dialect: Dialect) -> Result<(String, Vec<Value>), Error> {
        let mut out = String::with_capacity(self.sql.len());
        let mut values: Vec<Value> = Vec::new();
        // PostgreSQL numbers each name once; `?` dialects repeat the value.
        let mut numbers: Vec<Option<usize>> = vec![None; self.params.len()];
        let mut next_number = 0;
        let mut used = vec![false; self.params.len()];
        let sql = self.sql.as_str();
        let bytes = sql.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            match c {
                b'\'' | b'"' | b'`' => {
                    let end = closing_quote(bytes, i, c, dialect == Dialect::MySql);
                    out.push_str(&sql[i..end]);
                    i = end;
                }
                b'-' if bytes.get(i + 1) == Some(&b'-') => {
                    let end = sql[i..].find('\n').map_or(bytes.len(), |n| i + n);
                    out.push_str(&sql[i..end]);
                    i = end;
                }
                b'/' if bytes.get(i + 1) == Some(&b'*') => {
                    let end = sql[i + 2..]
                        .find("*/")
                        .map_or(bytes.len(), |n| i + 2 + n + 2);
                    out.push_str(&sql[i..end]);
                    i = end;
                }
                b'\\' if bytes.get(i + 1) == Some(&b':') => {
                    out.push(':');
                    i += 2;
                }
                b':' if bytes.get(i + 1) == Some(&b':') => {
                    out.push_str("::");
                    i += 2;
                }
                b':' if bytes.get(i + 1).is_some_and(|b| is_name_start(*b)) => {
                    let start = i + 1;
                    let mut end = start;
                    while end < bytes.len() && is_name_char(bytes[end]) {
                        end += 1;
                    }
                    let name = &sql[start..end];
                    let slot = *self.index.get(name).ok_or_else(|| {
                        Error::Bind(format!(
                            "the SQL has the parameter :{name}, but no value was bound for \
                             it: add .bind(\"{name}\", value)"
                        ))
                    })?;
                    let value = self.params[slot].1.clone();
                    used[slot] = true;
                    match dialect {
                        Dialect::Postgres => {
                            let n = match numbers[slot] {
                                Some(n) => n,
                                None => {
                                    next_number += 1;
                                    numbers[slot] = Some(next_number);
                                    values.push(value);
                                    next_number
                                }
                            };
                            out.push('$');
                            out.push_str(&n.to_string());
                        }
                        Dialect::Sqlite | Dialect::MySql => {
                            values.push(value);
                            out.push('?');
                        }
                    }
                    i = end;
                }
                _ => {
                    let ch = sql[i..].chars().next().unwrap_or(' ');
                    out.push(ch);
                    i += ch.len_utf8();
                }
            }
        }
        if let Some((name, _)) = self
            .params
            .iter()
            .zip(&used)
            .find(|(_, used)| !**used)
            .map(|(p, _)| p)
        {
            return Err(Error::Bind(format!(
                "a value was bound for :{name}, but the SQL has no such parameter"
            )));
        }
        Ok((out, values))
    }
}

/// Where the quoted section starting at `start` ends (after its closing quote; a doubled
/// quote is an escaped one, and so is `\'` in MySQL strings).
fn closing_quote(bytes: &[u8], start: usize, quote: u8, backslash_escapes: bool) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        if backslash_escapes && bytes[i] == b'\\' && quote == b'\'' {
            i += 2;
            continue;
        }
        i += 1;
    }
    bytes.len()
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_per_dialect() {
        let q = text("SELECT * FROM t WHERE a = :a AND b = :b OR a2 = :a")
            .bind("a", 1)
            .bind("b", "x");
        let (sql, values) = q.compile(Dialect::Postgres).unwrap();
        assert_eq!(sql, "SELECT * FROM t WHERE a = $1 AND b = $2 OR a2 = $1");
        assert_eq!(values, [Value::Int(1), Value::Text("x".into())]);
        let (sql, values) = q.compile(Dialect::MySql).unwrap();
        assert_eq!(sql, "SELECT * FROM t WHERE a = ? AND b = ? OR a2 = ?");
        assert_eq!(values.len(), 3);
    }

    #[test]
    fn colons_that_are_not_parameters() {
        let q = text(
            "SELECT ':x', \"col:y\", `z:w`, n::text, 'it''s :q' -- :c\n/* :d */ FROM t WHERE a = :real AND t = '10\\:00'",
        )
        .bind("real", 1);
        let (sql, values) = q.compile(Dialect::Postgres).unwrap();
        assert_eq!(
            sql,
            "SELECT ':x', \"col:y\", `z:w`, n::text, 'it''s :q' -- :c\n/* :d */ FROM t WHERE a = $1 AND t = '10\\:00'"
        );
        // MySQL escapes quotes with a backslash too; PostgreSQL does not.
        let q = text(r"SELECT '\':no' FROM t WHERE a = :a").bind("a", 1);
        let (sql, _) = q.compile(Dialect::MySql).unwrap();
        assert_eq!(sql, r"SELECT '\':no' FROM t WHERE a = ?");
        assert_eq!(values, [Value::Int(1)]);
        let (sql, _) = text(r"SELECT 10\:00").compile(Dialect::Sqlite).unwrap();
        assert_eq!(sql, "SELECT 10:00");
    }

    #[test]
    fn missing_and_unknown_parameters_are_errors() {
        let err = text("SELECT :a").compile(Dialect::Sqlite).unwrap_err();
        assert!(err.to_string().contains(".bind(\"a\", value)"), "{err}");
        let err = text("SELECT 1")
            .bind("b", 2)
            .compile(Dialect::Sqlite)
            .unwrap_err();
        assert!(err.to_string().contains(":b"), "{err}");
    }
}
