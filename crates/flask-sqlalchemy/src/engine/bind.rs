//! Our values as bound parameters of each driver.

use sqlx::encode::IsNull;
use sqlx::mysql::MySqlArguments;
use sqlx::postgres::{PgArgumentBuffer, PgArguments, PgTypeInfo};
use sqlx::query::Query;
use sqlx::sqlite::SqliteArguments;
use sqlx::{AssertSqlSafe, Encode, MySql, Postgres, Sqlite, Type};

use crate::Value;

/// A `NULL` whose type PostgreSQL infers from where it is used (type oid 0, "unspecified"),
/// so one `NULL` fits an integer, text or JSON column alike.
struct PgNull;

impl Type<Postgres> for PgNull {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(sqlx::postgres::types::Oid(0))
    }
}

impl Encode<'_, Postgres> for PgNull {
    fn encode_by_ref(
        &self,
        _buf: &mut PgArgumentBuffer,
    ) -> Result<IsNull, sqlx::error::BoxDynError> {
        Ok(IsNull::Yes)
    }
}

pub(super) fn sqlite<'q>(sql: &str, values: &[Value]) -> Query<'q, Sqlite, SqliteArguments> {
    let mut q = sqlx::query(AssertSqlSafe(sql.to_owned()));
    for v in values {
        q = match v {
            Value::Null => q.bind(None::<String>),
            Value::Bool(b) => q.bind(*b),
            Value::Int(i) => q.bind(*i),
            Value::Float(f) => q.bind(*f),
            Value::Text(s) => q.bind(s.clone()),
            Value::Bytes(b) => q.bind(b.clone()),
            Value::Json(j) => q.bind(j.to_string()),
        };
    }
    q
}

pub(super) fn postgres<'q>(sql: &str, values: &[Value]) -> Query<'q, Postgres, PgArguments> {
    let mut q = sqlx::query(AssertSqlSafe(sql.to_owned()));
    for v in values {
        q = match v {
            Value::Null => q.bind(PgNull),
            Value::Bool(b) => q.bind(*b),
            Value::Int(i) => q.bind(*i),
            Value::Float(f) => q.bind(*f),
            Value::Text(s) => q.bind(s.clone()),
            Value::Bytes(b) => q.bind(b.clone()),
            Value::Json(j) => q.bind(sqlx::types::Json(j.clone())),
        };
    }
    q
}

pub(super) fn mysql<'q>(sql: &str, values: &[Value]) -> Query<'q, MySql, MySqlArguments> {
    let mut q = sqlx::query(AssertSqlSafe(sql.to_owned()));
    for v in values {
        q = match v {
            Value::Null => q.bind(None::<String>),
            Value::Bool(b) => q.bind(*b),
            Value::Int(i) => q.bind(*i),
            Value::Float(f) => q.bind(*f),
            Value::Text(s) => q.bind(s.clone()),
            Value::Bytes(b) => q.bind(b.clone()),
            Value::Json(j) => q.bind(sqlx::types::Json(j.clone())),
        };
    }
    q
}
