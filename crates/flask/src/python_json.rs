//! Python's `json.dumps`, byte for byte: for what Python code reads back or compares
//! (Flask's session cookie, Flask-RESTful's `output_json`).

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

/// The arguments of `json.dumps` that change its text; the default is `json.dumps(data)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DumpOptions {
    /// `indent=n`: items on lines of their own, indented by `n` spaces a level.
    pub indent: Option<usize>,
    /// `separators=(",", ":")`: no spaces after `,` and `:` (Flask's compact JSON).
    pub compact: bool,
    /// `sort_keys=True`: object keys in code point order, at every level.
    pub sort_keys: bool,
}

/// Python's `json.dumps(data, ...)` with its default `ensure_ascii=True`: every character
/// outside printable ASCII written as `\uXXXX` (surrogate pairs beyond the BMP), floats as
/// Python's `repr` (`1e+16`, `1e-05`, `1.0`), keys in the order the map keeps them unless
/// sorted.
///
/// ```
/// use flask::python_json::{DumpOptions, dumps};
/// use serde_json::json;
///
/// let data = json!({"b": [1, 2.0], "a": "caf\u{e9}"});
/// let compact = DumpOptions { compact: true, sort_keys: true, ..Default::default() };
/// assert_eq!(dumps(&data, compact), r#"{"a":"caf\u00e9","b":[1,2.0]}"#);
/// ```
pub fn dumps(data: &Value, options: DumpOptions) -> String {
    let mut out = Vec::new();
    let formatter = PythonFormatter {
        indent: options.indent,
        compact: options.compact,
        level: 0,
        has_value: false,
    };
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    // Writing a `Value` into a `Vec` cannot fail, and the formatter writes only ASCII.
    let _ = if options.sort_keys {
        Sorted(data).serialize(&mut ser)
    } else {
        data.serialize(&mut ser)
    };
    String::from_utf8(out).unwrap_or_default()
}

/// A value whose objects serialize with their keys sorted, whatever order the map keeps
/// (serde_json's `preserve_order` may be on in the app).
struct Sorted<'a>(&'a Value);

impl Serialize for Sorted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort_unstable();
                let mut out = serializer.serialize_map(Some(keys.len()))?;
                for key in keys {
                    out.serialize_entry(key, &Sorted(&map[key]))?;
                }
                out.end()
            }
            Value::Array(items) => {
                let mut out = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    out.serialize_element(&Sorted(item))?;
                }
                out.end()
            }
            other => other.serialize(serializer),
        }
    }
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
    compact: bool,
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
            None if self.compact => w.write_all(b","),
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
        w.write_all(if self.compact { b":" } else { b": " })
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

#[cfg(test)]
mod tests {
    use super::{DumpOptions, dumps};
    use serde_json::json;

    fn indented(n: usize) -> DumpOptions {
        DumpOptions {
            indent: Some(n),
            ..Default::default()
        }
    }

    #[test]
    fn dumps_like_python() {
        // Expected texts written by Python 3's json.dumps.
        let data =
            json!({"b": [1, {"x": null}], "a": "caf\u{e9} \u{1f600}\u{7f}", "e": [], "o": {}});
        let plain = DumpOptions::default();
        let b = r#""b": [1, {"x": null}]"#;
        let a = r#""a": "caf\u00e9 \ud83d\ude00\u007f""#;
        let text = dumps(&data, plain);
        // The map's own order: insertion order with serde_json's preserve_order, sorted
        // without it; both are what Python writes for a dict of that order.
        assert!(
            text == format!(r#"{{{b}, {a}, "e": [], "o": {{}}}}"#)
                || text == format!(r#"{{{a}, {b}, "e": [], "o": {{}}}}"#),
            "{text}"
        );
        assert_eq!(
            dumps(
                &data,
                DumpOptions {
                    sort_keys: true,
                    ..indented(4)
                }
            ),
            "{\n    \"a\": \"caf\\u00e9 \\ud83d\\ude00\\u007f\",\n    \"b\": [\n        1,\n        {\n            \
             \"x\": null\n        }\n    ],\n    \"e\": [],\n    \"o\": {}\n}"
        );
        assert_eq!(
            dumps(&json!("tab\there \"q\""), plain),
            r#""tab\there \"q\"""#
        );
        // Flask's compact, sorted form, keys sorted at every level.
        assert_eq!(
            dumps(
                &json!({"z": {"b": 1, "a": [true, "\u{2713}"]}, "_fresh": false}),
                DumpOptions {
                    compact: true,
                    sort_keys: true,
                    indent: None
                }
            ),
            r#"{"_fresh":false,"z":{"a":[true,"\u2713"],"b":1}}"#
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
            dumps(&floats, plain),
            "[1.0, -0.0, 0.5, 1e+16, 1000000000000000.0, 1e-05, 0.0001, 1.5e-07, 123.456, \
             1e+22, -2.5e-10, 1.2345678901234568e+17, 0.1, 1e+308]"
        );
    }
}
