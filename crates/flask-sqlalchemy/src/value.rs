//! Values sent as bound parameters and read back from raw rows.

/// A value bound to a statement or read from a row of [`text`](crate::text) queries.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// SQL `NULL`.
    Null,
    /// A boolean (MySQL stores it as `TINYINT(1)`, SQLite as an integer).
    Bool(bool),
    /// Any integer column.
    Int(i64),
    /// A floating-point column.
    Float(f64),
    /// Text.
    Text(String),
    /// Bytes (`BLOB`, `BYTEA`, `VARBINARY`).
    Bytes(Vec<u8>),
    /// JSON (`JSON`, `JSONB`); SQLite keeps it as text.
    Json(serde_json::Value),
    /// A date (`DATE`).
    Date(chrono::NaiveDate),
    /// A time of day (`TIME`).
    Time(chrono::NaiveTime),
    /// A date and time without a zone (`TIMESTAMP`, `DATETIME`).
    DateTime(chrono::NaiveDateTime),
    /// An instant in UTC (`TIMESTAMPTZ`; MySQL and SQLite store it in UTC).
    DateTimeUtc(chrono::DateTime<chrono::Utc>),
    /// A UUID (`UUID` on PostgreSQL, 16 bytes elsewhere).
    Uuid(uuid::Uuid),
    /// An exact decimal number (`NUMERIC`, `DECIMAL`; text on SQLite).
    Decimal(rust_decimal::Decimal),
}

impl Value {
    /// The integer, if this is one (a `Bool` counts as 0 or 1).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    /// The text, if this is text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this is `NULL`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self {
                Value::Int(i64::from(v))
            }
        }
    )*};
}
from_int!(i8, i16, i32, i64, u8, u16, u32);

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<f32> for Value {
    fn from(v: f32) -> Self {
        Value::Float(f64::from(v))
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v)
    }
}

impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Self {
        Value::Json(v)
    }
}

macro_rules! from_variant {
    ($($t:ty => $v:ident),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self {
                Value::$v(v)
            }
        }
    )*};
}
from_variant!(
    chrono::NaiveDate => Date,
    chrono::NaiveTime => Time,
    chrono::NaiveDateTime => DateTime,
    chrono::DateTime<chrono::Utc> => DateTimeUtc,
    uuid::Uuid => Uuid,
    rust_decimal::Decimal => Decimal
);

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}
