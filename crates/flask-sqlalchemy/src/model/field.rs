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
/// `serde_json::Value` and `Option` of each.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a model column",
    label = "this field's type has no column type",
    note = "column types: i16, i32, i64, f32, f64, bool, String, Vec<u8>, serde_json::Value, and Option of each"
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
}

macro_rules! field_type {
    ($t:ty, $col:expr, |$v:ident| $to:expr) => {
        field_type!($t, $col, |$v| $to, |_id| None);
    };
    ($t:ty, $col:expr, |$v:ident| $to:expr, |$id:ident| $auto:expr) => {
        impl FieldType for $t {
            const TYPE: ColumnType = $col;
            fn from_autoincrement($id: i64) -> Option<Self> {
                $auto
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
    |id| i16::try_from(id).ok()
);
field_type!(
    i32,
    ColumnType::Integer,
    |v| Value::Int(i64::from(*v)),
    |id| i32::try_from(id).ok()
);
field_type!(i64, ColumnType::BigInteger, |v| Value::Int(*v), |id| Some(
    id
));
field_type!(f32, ColumnType::Float, |v| Value::Float(f64::from(*v)));
field_type!(f64, ColumnType::Double, |v| Value::Float(*v));
field_type!(bool, ColumnType::Boolean, |v| Value::Bool(*v));
field_type!(String, ColumnType::String(None), |v| Value::Text(v.clone()));
field_type!(Vec<u8>, ColumnType::LargeBinary, |v| Value::Bytes(
    v.clone()
));

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
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, T::to_value)
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
