//! The Rust types a model field may have, with their column type and how each driver reads
//! them.

use sqlx::Row as _;
use sqlx::mysql::MySqlRow;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

use super::ColumnType;
use crate::Value;

/// A type a model field can have: its column type, how it is bound and how each driver reads
/// it. Implemented for `i16`, `i32`, `i64`, `f32`, `f64`, `bool`, `String`, `Vec<u8>`,
/// `serde_json::Value`, [`Json<T>`](crate::Json), chrono's `NaiveDate`, `NaiveTime`,
/// `NaiveDateTime` and `DateTime<Utc>`, `uuid::Uuid`, `rust_decimal::Decimal`, enums with
/// `#[derive(flask_sqlalchemy::Enum)]`, and `Option` of each.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a model column",
    label = "this field's type has no column type",
    note = "column types: i16, i32, i64, f32, f64, bool, String, Vec<u8>, serde_json::Value, chrono's NaiveDate, NaiveTime, NaiveDateTime and DateTime<Utc>, Uuid, Decimal, #[derive(Enum)] enums, and Option of each; any serde type fits in a JSON column as Json<T>"
)]
pub trait FieldType: Sized + Send {
    /// The column type.
    const TYPE: ColumnType;
    /// Whether the column accepts `NULL`.
    const NULLABLE: bool = false;
    /// The value to bind.
    fn to_value(&self) -> Value;
    /// Reads column `i` of an SQLite row.
    fn from_sqlite(row: &SqliteRow, i: usize) -> Result<Self, sqlx::Error>;
    /// Reads column `i` of a PostgreSQL row.
    fn from_postgres(row: &PgRow, i: usize) -> Result<Self, sqlx::Error>;
    /// Reads column `i` of a MySQL/MariaDB row.
    fn from_mysql(row: &MySqlRow, i: usize) -> Result<Self, sqlx::Error>;
    /// The field's value for a key the database numbered (integers only).
    fn from_autoincrement(_id: i64) -> Option<Self> {
        None
    }
    /// The field's value from a [`Value`] of its own kind, for the types keys are made of
    /// (integers, text, UUIDs, and `Option`s of them): how a session fills a foreign key in
    /// from the related row's key at flush. `None` for other types and other kinds.
    fn from_key_value(_value: &Value) -> Option<Self> {
        None
    }
    /// The values the column may hold, when they are a fixed set (enums): a `CHECK`
    /// constraint keeps others out.
    const CHOICES: &'static [&'static str] = &[];
}

macro_rules! field_type {
    ($t:ty, $col:expr, |$v:ident| $to:expr) => {
        field_type!($t, $col, |$v| $to, |_id| None, |_key| None);
    };
    ($t:ty, $col:expr, |$v:ident| $to:expr, |$id:ident| $auto:expr, |$key:ident| $from_key:expr) => {
        impl FieldType for $t {
            const TYPE: ColumnType = $col;
            fn from_autoincrement($id: i64) -> Option<Self> {
                $auto
            }
            fn from_key_value($key: &Value) -> Option<Self> {
                $from_key
            }
            fn to_value(&self) -> Value {
                let $v = self;
                $to
            }
            fn from_sqlite(row: &SqliteRow, i: usize) -> Result<Self, sqlx::Error> {
                row.try_get(i)
            }
            fn from_postgres(row: &PgRow, i: usize) -> Result<Self, sqlx::Error> {
                row.try_get(i)
            }
            fn from_mysql(row: &MySqlRow, i: usize) -> Result<Self, sqlx::Error> {
                row.try_get(i)
            }
        }
    };
}

field_type!(
    i16,
    ColumnType::SmallInteger,
    |v| Value::Int(i64::from(*v)),
    |id| i16::try_from(id).ok(),
    |key| match key {
        Value::Int(i) => i16::try_from(*i).ok(),
        _ => None,
    }
);
field_type!(
    i32,
    ColumnType::Integer,
    |v| Value::Int(i64::from(*v)),
    |id| i32::try_from(id).ok(),
    |key| match key {
        Value::Int(i) => i32::try_from(*i).ok(),
        _ => None,
    }
);
field_type!(
    i64,
    ColumnType::BigInteger,
    |v| Value::Int(*v),
    |id| Some(id),
    |key| match key {
        Value::Int(i) => Some(*i),
        _ => None,
    }
);
field_type!(f32, ColumnType::Float, |v| Value::Float(f64::from(*v)));
field_type!(f64, ColumnType::Double, |v| Value::Float(*v));
field_type!(bool, ColumnType::Boolean, |v| Value::Bool(*v));
field_type!(
    String,
    ColumnType::String(None),
    |v| Value::Text(v.clone()),
    |_id| None,
    |key| match key {
        Value::Text(s) => Some(s.clone()),
        _ => None,
    }
);
field_type!(Vec<u8>, ColumnType::LargeBinary, |v| Value::Bytes(
    v.clone()
));

field_type!(chrono::NaiveDate, ColumnType::Date, |v| Value::Date(*v));
field_type!(chrono::NaiveTime, ColumnType::Time, |v| Value::Time(*v));
field_type!(chrono::NaiveDateTime, ColumnType::DateTime, |v| {
    Value::DateTime(*v)
});
field_type!(chrono::DateTime<chrono::Utc>, ColumnType::DateTimeTz, |v| {
    Value::DateTimeUtc(*v)
});
field_type!(
    uuid::Uuid,
    ColumnType::Uuid,
    |v| Value::Uuid(*v),
    |_id| None,
    |key| match key {
        Value::Uuid(u) => Some(*u),
        Value::Text(s) => s.parse().ok(),
        _ => None,
    }
);

/// 28 digits, 10 after the point: what `rust_decimal` holds, with room for money and rates.
const DECIMAL: ColumnType = ColumnType::Numeric {
    precision: 28,
    scale: 10,
};

impl FieldType for rust_decimal::Decimal {
    const TYPE: ColumnType = DECIMAL;
    fn to_value(&self) -> Value {
        Value::Decimal(*self)
    }
    fn from_sqlite(row: &SqliteRow, i: usize) -> Result<Self, sqlx::Error> {
        // NUMERIC affinity: an integer, a real or (beyond what those hold) text.
        let err = |e: String| sqlx::Error::ColumnDecode {
            index: i.to_string(),
            source: e.into(),
        };
        if let Ok(n) = row.try_get::<i64, _>(i) {
            return Ok(Self::from(n));
        }
        if let Ok(f) = row.try_get::<f64, _>(i) {
            // The shortest decimal that reads back as this float: what was stored.
            return f.to_string().parse().map_err(|e| err(format!("{e}")));
        }
        let text: String = row.try_get_unchecked(i)?;
        text.trim()
            .parse()
            .map_err(|e| err(format!("{text:?} is not a decimal: {e}")))
    }
    fn from_postgres(row: &PgRow, i: usize) -> Result<Self, sqlx::Error> {
        row.try_get(i)
    }
    fn from_mysql(row: &MySqlRow, i: usize) -> Result<Self, sqlx::Error> {
        row.try_get(i)
    }
}

/// A JSON column holding any serde type (SQLAlchemy's `JSON` with a Python structure):
/// `settings: Json<Settings>`. Derefs to the value; serializes as it.
///
/// The value must serialize to JSON (maps need string keys).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Json<T>(pub T);

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> std::ops::DerefMut for Json<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: serde::Serialize> serde::Serialize for Json<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Json<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Json)
    }
}

impl<T> Json<T> {
    fn decode(value: serde_json::Value, i: usize) -> Result<Self, sqlx::Error>
    where
        T: serde::de::DeserializeOwned,
    {
        serde_json::from_value(value)
            .map(Json)
            .map_err(|e| sqlx::Error::ColumnDecode {
                index: i.to_string(),
                source: Box::new(e),
            })
    }
}

impl<T: serde::Serialize + serde::de::DeserializeOwned + Send> FieldType for Json<T> {
    const TYPE: ColumnType = ColumnType::Json;
    fn to_value(&self) -> Value {
        // Serializing plain data to a JSON value only fails for maps with non-string keys.
        serde_json::to_value(&self.0).map_or(Value::Null, Value::Json)
    }
    fn from_sqlite(row: &SqliteRow, i: usize) -> Result<Self, sqlx::Error> {
        Self::decode(serde_json::Value::from_sqlite(row, i)?, i)
    }
    fn from_postgres(row: &PgRow, i: usize) -> Result<Self, sqlx::Error> {
        Self::decode(serde_json::Value::from_postgres(row, i)?, i)
    }
    fn from_mysql(row: &MySqlRow, i: usize) -> Result<Self, sqlx::Error> {
        Self::decode(serde_json::Value::from_mysql(row, i)?, i)
    }
}

impl FieldType for serde_json::Value {
    const TYPE: ColumnType = ColumnType::Json;
    fn to_value(&self) -> Value {
        Value::Json(self.clone())
    }
    fn from_sqlite(row: &SqliteRow, i: usize) -> Result<Self, sqlx::Error> {
        row.try_get::<sqlx::types::Json<Self>, _>(i).map(|j| j.0)
    }
    fn from_postgres(row: &PgRow, i: usize) -> Result<Self, sqlx::Error> {
        row.try_get::<sqlx::types::Json<Self>, _>(i).map(|j| j.0)
    }
    fn from_mysql(row: &MySqlRow, i: usize) -> Result<Self, sqlx::Error> {
        // MariaDB's JSON is text with a binary collation, which sqlx reports as a blob.
        match row.try_get::<sqlx::types::Json<Self>, _>(i) {
            Ok(j) => Ok(j.0),
            Err(_) => {
                let text: String = row.try_get_unchecked(i)?;
                serde_json::from_str(&text).map_err(|e| sqlx::Error::ColumnDecode {
                    index: i.to_string(),
                    source: Box::new(e),
                })
            }
        }
    }
}

impl<T: FieldType> FieldType for Option<T> {
    const TYPE: ColumnType = T::TYPE;
    const NULLABLE: bool = true;
    const CHOICES: &'static [&'static str] = T::CHOICES;
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, T::to_value)
    }
    fn from_key_value(value: &Value) -> Option<Self> {
        match value {
            Value::Null => Some(None),
            other => T::from_key_value(other).map(Some),
        }
    }
    fn from_sqlite(row: &SqliteRow, i: usize) -> Result<Self, sqlx::Error> {
        if is_null(row, i)? {
            return Ok(None);
        }
        T::from_sqlite(row, i).map(Some)
    }
    fn from_postgres(row: &PgRow, i: usize) -> Result<Self, sqlx::Error> {
        if is_null(row, i)? {
            return Ok(None);
        }
        T::from_postgres(row, i).map(Some)
    }
    fn from_mysql(row: &MySqlRow, i: usize) -> Result<Self, sqlx::Error> {
        if is_null(row, i)? {
            return Ok(None);
        }
        T::from_mysql(row, i).map(Some)
    }
}

fn is_null<R>(row: &R, i: usize) -> Result<bool, sqlx::Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
{
    use sqlx::ValueRef;
    Ok(row.try_get_raw(i)?.is_null())
}

/// Marks the field types that are not `Option`: what a column holds without its `NULL`
/// (`#[derive(Enum)]` implements it for enums).
pub trait Scalar: FieldType {}

macro_rules! scalar {
    ($($t:ty),*) => {$(impl Scalar for $t {})*};
}

scalar!(
    i16,
    i32,
    i64,
    f32,
    f64,
    bool,
    String,
    Vec<u8>,
    serde_json::Value,
    chrono::NaiveDate,
    chrono::NaiveTime,
    chrono::NaiveDateTime,
    chrono::DateTime<chrono::Utc>,
    uuid::Uuid,
    rust_decimal::Decimal
);

impl<T: serde::Serialize + serde::de::DeserializeOwned + Send> Scalar for Json<T> {}
