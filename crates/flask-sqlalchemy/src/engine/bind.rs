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

/// Binds `$values` to `$q`, with the driver's way of sending `NULL` and JSON.
macro_rules! bind_values {
    ($q:ident, $values:expr, null => $null:expr, json => |$j:ident| $json:expr, decimal => |$d:ident| $dec:expr) => {{
        let mut q = $q;
        for v in $values {
            q = match v {
                Value::Null => q.bind($null),
                Value::Bool(b) => q.bind(*b),
                Value::Int(i) => q.bind(*i),
                Value::Float(f) => q.bind(*f),
                Value::Text(s) => q.bind(s.clone()),
                Value::Bytes(b) => q.bind(b.clone()),
                Value::Json($j) => q.bind($json),
                Value::Date(d) => q.bind(*d),
                Value::Time(t) => q.bind(*t),
                Value::DateTime(t) => q.bind(*t),
                Value::DateTimeUtc(t) => q.bind(*t),
                Value::Uuid(u) => q.bind(*u),
                Value::Decimal($d) => q.bind($dec),
            };
        }
        q
    }};
}

pub(super) fn sqlite<'q>(sql: &str, values: &[Value]) -> Query<'q, Sqlite, SqliteArguments> {
    let q = sqlx::query(AssertSqlSafe(sql.to_owned()));
    // SQLite has no JSON type: JSON is text.
    // SQLite has no decimal type either: exact decimals are text.
    bind_values!(q, values, null => None::<String>, json => |j| j.to_string(), decimal => |d| d.to_string())
}

pub(super) fn postgres<'q>(sql: &str, values: &[Value]) -> Query<'q, Postgres, PgArguments> {
    let q = sqlx::query(AssertSqlSafe(sql.to_owned()));
    bind_values!(q, values, null => PgNull, json => |j| sqlx::types::Json(j.clone()), decimal => |d| *d)
}

pub(super) fn mysql<'q>(sql: &str, values: &[Value]) -> Query<'q, MySql, MySqlArguments> {
    let q = sqlx::query(AssertSqlSafe(sql.to_owned()));
    bind_values!(q, values, null => None::<String>, json => |j| sqlx::types::Json(j.clone()), decimal => |d| *d)
}
