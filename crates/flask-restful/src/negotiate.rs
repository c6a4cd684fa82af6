//! Content negotiation: the representation the client accepts (JSON by default), or 406.

use std::sync::Arc;

use axum::response::Response;
use serde_json::Value;

/// Renders data as one media type: `(data, status, debug)` to a response body and its
/// `Content-Type`.
pub type RepresentationFn = Arc<dyn Fn(&Value, http::StatusCode, bool) -> Response + Send + Sync>;

/// Flask-RESTful's `output_json`: `json.dumps(data)` and a newline, indented by 4 in debug
/// mode.
///
/// The text is byte for byte what Python writes: `", "` and `": "` between items (`","`
/// before a newline when indented), keys in the order they were inserted, and every
/// character outside printable ASCII escaped as `\uXXXX` (`ensure_ascii`).
pub(crate) fn output_json(data: &Value, status: http::StatusCode, debug: bool) -> Response {
    let mut text = python_dumps(data, debug.then_some(4));
    text.push('\n');
    let mut resp = Response::new(axum::body::Body::from(text));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    resp
}

/// Python's `json.dumps(data, indent=indent)` with its default settings.
pub(crate) fn python_dumps(data: &Value, indent: Option<usize>) -> String {
    let mut out = Vec::new();
    let formatter = PythonFormatter {
        indent,
        level: 0,
        has_value: false,
    };
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    // Writing a `Value` into a `Vec` cannot fail, and the formatter writes only ASCII.
    serde::Serialize::serialize(data, &mut ser).ok();
    String::from_utf8(out).unwrap_or_default()
}

/// Python's `repr` of a float: the shortest digits that read back the same, written out for
/// decimal exponents from -4 to 15 and as `d.ddde+XX` beyond (`1e+16`, `1e-05`, `1.5`).
fn python_float(value: f64) -> String {
    if !value.is_finite() {
        // serde_json turns these into null before they get here; Python writes NaN/Infinity.
        return "null".to_owned();
    }
    // Rust's `{:e}` gives the same shortest round-trip digits: `-1.2345e-7`.
    let sci = format!("{value:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    // Where the decimal point goes, counted from the first digit.
    let point = exponent + 1;
    let len = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    if (-3..=16).contains(&point) {
        if point <= 0 {
            let zeros = "0".repeat(usize::try_from(-point).unwrap_or(0));
            format!("{sign}0.{zeros}{digits}")
        } else if point >= len {
            let zeros = "0".repeat(usize::try_from(point - len).unwrap_or(0));
            format!("{sign}{digits}{zeros}.0")
        } else {
            let (int, frac) = digits.split_at(usize::try_from(point).unwrap_or(0));
            format!("{sign}{int}.{frac}")
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        format!(
            "{sign}{first}{dot}{rest}e{exp_sign}{:02}",
            exponent.unsigned_abs()
        )
    }
}

/// The layout of Python's `json.dumps`: its separators, its indentation, `ensure_ascii`.
struct PythonFormatter {
    indent: Option<usize>,
    level: usize,
    has_value: bool,
}

impl PythonFormatter {
    /// Before an item: the separator from the previous one, then a new line when indented.
    fn item<W: ?Sized + std::io::Write>(&self, w: &mut W, first: bool) -> std::io::Result<()> {
        match self.indent {
            Some(width) => {
                if !first {
                    w.write_all(b",")?;
                }
                w.write_all(b"\n")?;
                write!(w, "{:1$}", "", width * self.level)
            }
            None if first => Ok(()),
            None => w.write_all(b", "),
        }
    }

    /// Before a closing bracket: a new line when indented and the container had items.
    fn close<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.level -= 1;
        if let Some(width) = self.indent
            && self.has_value
        {
            w.write_all(b"\n")?;
            write!(w, "{:1$}", "", width * self.level)?;
        }
        Ok(())
    }
}

impl serde_json::ser::Formatter for PythonFormatter {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w)?;
        w.write_all(b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w)?;
        w.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn write_f64<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        value: f64,
    ) -> std::io::Result<()> {
        w.write_all(python_float(value).as_bytes())
    }

    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if (' '..='~').contains(&c) {
                continue;
            }
            w.write_all(&fragment.as_bytes()[start..i])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(w, "\\u{unit:04x}")?;
            }
            start = i + c.len_utf8();
        }
        w.write_all(&fragment.as_bytes()[start..])
    }
}

/// The media types of an `Accept` header, best first (by `q`, then as written).
fn accepted(accept: &str) -> Vec<(String, f32)> {
    let mut out: Vec<(String, f32)> = accept
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.split(';');
            let media = pieces.next()?.trim().to_ascii_lowercase();
            if media.is_empty() {
                return None;
            }
            let q = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            Some((media, q))
        })
        .filter(|(_, q)| *q > 0.0)
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

/// The media type to answer with, among `available` (the default first): the first the
/// `Accept` header allows, the default without one; `None` when nothing fits (a 406).
pub(crate) fn choose<'a>(accept: Option<&str>, available: &'a [String]) -> Option<&'a str> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return available.first().map(String::as_str);
    };
    for (media, _) in accepted(accept) {
        if media == "*/*" {
            return available.first().map(String::as_str);
        }
        if let Some(prefix) = media.strip_suffix("/*") {
            if let Some(found) = available
                .iter()
                .find(|a| a.split('/').next() == Some(prefix))
            {
                return Some(found);
            }
            continue;
        }
        if let Some(found) = available.iter().find(|a| **a == media) {
            return Some(found);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{choose, python_dumps};
    use serde_json::json;

    #[test]
    fn picks_by_accept() {
        let available = vec!["application/json".to_owned(), "text/csv".to_owned()];
        assert_eq!(choose(None, &available), Some("application/json"));
        assert_eq!(choose(Some("text/csv"), &available), Some("text/csv"));
        assert_eq!(
            choose(Some("text/html;q=0.9, text/csv;q=0.5"), &available),
            Some("text/csv")
        );
        assert_eq!(
            choose(Some("text/csv;q=0.4, application/json"), &available),
            Some("application/json")
        );
        assert_eq!(choose(Some("text/*"), &available), Some("text/csv"));
        assert_eq!(choose(Some("*/*"), &available), Some("application/json"));
        assert_eq!(choose(Some("application/xml"), &available), None);
        assert_eq!(choose(Some("text/csv;q=0"), &available), None);
    }

    #[test]
    fn dumps_like_python() {
        // Expected texts written by Python 3's json.dumps.
        let data =
            json!({"b": [1, {"x": null}], "a": "caf\u{e9} \u{1f600}\u{7f}", "e": [], "o": {}});
        assert_eq!(
            python_dumps(&data, None),
            r#"{"b": [1, {"x": null}], "a": "caf\u00e9 \ud83d\ude00\u007f", "e": [], "o": {}}"#
        );
        assert_eq!(
            python_dumps(&data, Some(4)),
            "{\n    \"b\": [\n        1,\n        {\n            \"x\": null\n        }\n    ],\n    \
             \"a\": \"caf\\u00e9 \\ud83d\\ude00\\u007f\",\n    \"e\": [],\n    \"o\": {}\n}"
        );
        assert_eq!(
            python_dumps(&json!("tab\there \"q\""), None),
            r#""tab\there \"q\"""#
        );
        // Floats as Python's repr writes them.
        let floats = json!([
            1.0,
            -0.0,
            0.5,
            1e16,
            1e15,
            1e-5,
            1e-4,
            1.5e-7,
            123.456,
            1e22,
            -2.5e-10,
            123_456_789_012_345_680.0,
            0.1,
            1e308
        ]);
        assert_eq!(
            python_dumps(&floats, None),
            "[1.0, -0.0, 0.5, 1e+16, 1000000000000000.0, 1e-05, 0.0001, 1.5e-07, 123.456, \
             1e+22, -2.5e-10, 1.2345678901234568e+17, 0.1, 1e+308]"
        );
    }
}
