//! Rows of raw queries, read into [`Value`]s whatever the driver.

use std::sync::Arc;

use sqlx::{Column, Row as _, TypeInfo, ValueRef};

use crate::{Error, Value};

/// One row of a [`text`](crate::text) query: its values by column name or position.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    columns: Arc<[String]>,
    values: Vec<Value>,
}

impl Row {
    /// The value of column `name` (the first one, if two have the name).
    pub fn get(&self, name: &str) -> Option<&Value> {
        let i = self.columns.iter().position(|c| c == name)?;
        self.values.get(i)
    }

    /// The value at position `index`.
    pub fn get_index(&self, index: usize) -> Option<&Value> {
        self.values.get(index)
    }

    /// The column names, in order.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The values, in column order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// The values, taken out.
    pub fn into_values(self) -> Vec<Value> {
        self.values
    }
}

fn unsupported(column: &str, ty: &str) -> Error {
    Error::Decode(format!(
        "column {column:?} has the type {ty}, which raw queries cannot read yet: cast it in the \
         SQL, for example CAST({column} AS TEXT)"
    ))
}

fn decode_err(column: &str, e: &sqlx::Error) -> Error {
    Error::Decode(format!("cannot read column {column:?}: {e}"))
}

/// Converts driver rows with `read(row, index, type name)` for each non-NULL value.
fn convert<R>(
    rows: &[R],
    read: fn(&R, usize, &str, &str) -> Result<Value, Error>,
) -> Result<Vec<crate::Row>, Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
{
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let columns: Arc<[String]> = first
        .columns()
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    rows.iter()
        .map(|row| {
            let values = (0..row.len())
                .map(|i| {
                    let raw = row
                        .try_get_raw(i)
                        .map_err(|e| decode_err(&columns[i], &e))?;
                    if raw.is_null() {
                        return Ok(Value::Null);
                    }
                    let ty = raw.type_info().name().to_ascii_uppercase();
                    read(row, i, &ty, &columns[i])
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(crate::Row {
                columns: columns.clone(),
                values,
            })
        })
        .collect()
}

pub(crate) fn from_sqlite(rows: &[sqlx::sqlite::SqliteRow]) -> Result<Vec<Row>, Error> {
    convert(rows, read_sqlite)
}

pub(crate) fn from_postgres(rows: &[sqlx::postgres::PgRow]) -> Result<Vec<Row>, Error> {
    convert(rows, read_postgres)
}

pub(crate) fn from_mysql(rows: &[sqlx::mysql::MySqlRow]) -> Result<Vec<Row>, Error> {
    convert(rows, read_mysql)
}

/// The value at column `i` of one driver row, whatever its type (`NULL` included).
pub(crate) fn value_at<R>(
    row: &R,
    i: usize,
    read: fn(&R, usize, &str, &str) -> Result<Value, Error>,
) -> Result<Value, Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
{
    let raw = row.try_get_raw(i).map_err(|e| decode_err("?", &e))?;
    if raw.is_null() {
        return Ok(Value::Null);
    }
    let ty = raw.type_info().name().to_ascii_uppercase();
    let name = row
        .columns()
        .get(i)
        .map(|c| c.name().to_owned())
        .unwrap_or_default();
    read(row, i, &ty, &name)
}

pub(crate) fn read_sqlite(
    row: &sqlx::sqlite::SqliteRow,
    i: usize,
    ty: &str,
    col: &str,
) -> Result<Value, Error> {
    {
        let e = |e: sqlx::Error| decode_err(col, &e);
        Ok(match ty {
            "INTEGER" | "INT" | "BIGINT" => Value::Int(row.try_get_unchecked(i).map_err(e)?),
            "BOOLEAN" => Value::Bool(row.try_get_unchecked(i).map_err(e)?),
            "REAL" | "FLOAT" | "DOUBLE" | "NUMERIC" => {
                Value::Float(row.try_get_unchecked(i).map_err(e)?)
            }
            "BLOB" => Value::Bytes(row.try_get_unchecked(i).map_err(e)?),
            _ => Value::Text(row.try_get_unchecked(i).map_err(e)?),
        })
    }
}

pub(crate) fn read_postgres(
    row: &sqlx::postgres::PgRow,
    i: usize,
    ty: &str,
    col: &str,
) -> Result<Value, Error> {
    {
        let e = |e: sqlx::Error| decode_err(col, &e);
        Ok(match ty {
            "BOOL" => Value::Bool(row.try_get(i).map_err(e)?),
            "INT2" => Value::Int(row.try_get::<i16, _>(i).map_err(e)?.into()),
            "INT4" => Value::Int(row.try_get::<i32, _>(i).map_err(e)?.into()),
            "INT8" => Value::Int(row.try_get(i).map_err(e)?),
            "FLOAT4" => Value::Float(row.try_get::<f32, _>(i).map_err(e)?.into()),
            "FLOAT8" => Value::Float(row.try_get(i).map_err(e)?),
            "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" | "CHAR" | "UNKNOWN" | "CITEXT" => {
                Value::Text(row.try_get_unchecked(i).map_err(e)?)
            }
            "BYTEA" => Value::Bytes(row.try_get(i).map_err(e)?),
            "JSON" | "JSONB" => Value::Json(
                row.try_get::<sqlx::types::Json<serde_json::Value>, _>(i)
                    .map_err(e)?
                    .0,
            ),
            "UUID" => Value::Uuid(row.try_get(i).map_err(e)?),
            "DATE" => Value::Date(row.try_get(i).map_err(e)?),
            "TIME" => Value::Time(row.try_get(i).map_err(e)?),
            "TIMESTAMP" => Value::DateTime(row.try_get(i).map_err(e)?),
            "TIMESTAMPTZ" => Value::DateTimeUtc(row.try_get(i).map_err(e)?),
            "NUMERIC" => Value::Decimal(row.try_get(i).map_err(e)?),
            other => return Err(unsupported(col, other)),
        })
    }
}

pub(crate) fn read_mysql(
    row: &sqlx::mysql::MySqlRow,
    i: usize,
    ty: &str,
    col: &str,
) -> Result<Value, Error> {
    {
        let e = |e: sqlx::Error| decode_err(col, &e);
        Ok(match ty {
            "BOOLEAN" => Value::Bool(row.try_get(i).map_err(e)?),
            "TINYINT" | "SMALLINT" | "MEDIUMINT" | "INT" | "BIGINT" | "YEAR" => {
                Value::Int(row.try_get_unchecked(i).map_err(e)?)
            }
            t if t.ends_with(" UNSIGNED") => {
                let n: u64 = row.try_get_unchecked(i).map_err(e)?;
                Value::Int(i64::try_from(n).map_err(|_| {
                    Error::Decode(format!("column {col:?} holds {n}, beyond a 64-bit integer"))
                })?)
            }
            "FLOAT" => Value::Float(row.try_get::<f32, _>(i).map_err(e)?.into()),
            "DOUBLE" => Value::Float(row.try_get(i).map_err(e)?),
            "CHAR" | "VARCHAR" | "TEXT" | "TINYTEXT" | "MEDIUMTEXT" | "LONGTEXT" | "ENUM"
            | "SET" => Value::Text(row.try_get_unchecked(i).map_err(e)?),
            "DECIMAL" => Value::Decimal(row.try_get(i).map_err(e)?),
            "DATE" => Value::Date(row.try_get(i).map_err(e)?),
            "TIME" => Value::Time(row.try_get(i).map_err(e)?),
            "DATETIME" => Value::DateTime(row.try_get(i).map_err(e)?),
            "TIMESTAMP" => Value::DateTimeUtc(row.try_get(i).map_err(e)?),
            // Text with a `_bin` collation (MariaDB's JSON too) is reported as a blob; only
            // the `binary` collation means bytes.
            "BINARY" | "VARBINARY" | "BLOB" | "TINYBLOB" | "MEDIUMBLOB" | "LONGBLOB" => {
                let raw = row.try_get_raw(i).map_err(e)?;
                if <String as sqlx::Type<sqlx::MySql>>::compatible(&raw.type_info()) {
                    Value::Text(row.try_get_unchecked(i).map_err(e)?)
                } else {
                    Value::Bytes(row.try_get_unchecked(i).map_err(e)?)
                }
            }
            "JSON" => Value::Json(
                row.try_get::<sqlx::types::Json<serde_json::Value>, _>(i)
                    .map_err(e)?
                    .0,
            ),
            other => return Err(unsupported(col, other)),
        })
    }
}
