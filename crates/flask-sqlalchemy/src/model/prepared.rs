//! The SQL of the statements the ORM writes for one model (get by key, insert, update and
//! delete by key), built once per model and database and kept: building it with sea-query
//! costs about as much as SQLite takes to run it.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};

use sea_query::Values;
use sea_query_sqlx::SqlxValues;

use crate::engine::exec::{Args, Sql};
use crate::{Dialect, Error};

/// Which statement of a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Op {
    /// `SELECT <columns> WHERE <key> = ?`.
    Get,
    /// `INSERT`, with or without the autoincrement column (then `RETURNING` it, but on
    /// MySQL).
    Insert { numbered: bool },
    /// `UPDATE <every other column> WHERE <key> = ?`.
    Update,
    /// `DELETE WHERE <key> = ?`.
    Delete,
}

type Key = (TypeId, Op, Dialect);

static CACHE: LazyLock<RwLock<HashMap<Key, Arc<str>>>> = LazyLock::new(Default::default);

/// The statement `op` of model `model` on `dialect`, with `values` bound in placeholder
/// order: the SQL kept from an earlier call, or `build` now (given the values, it returns
/// the SQL; its own values are dropped).
pub(crate) fn statement(
    model: TypeId,
    op: Op,
    dialect: Dialect,
    values: Vec<sea_query::Value>,
    build: impl FnOnce(&[sea_query::Value]) -> Result<String, Error>,
) -> Result<(Sql, Args), Error> {
    let key = (model, op, dialect);
    let kept = CACHE
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(&key)
        .cloned();
    let sql = match kept {
        Some(sql) => sql,
        None => {
            let sql: Sql = Arc::from(build(&values)?);
            CACHE
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key, sql.clone());
            sql
        }
    };
    Ok((sql, Args::Sea(SqlxValues(Values(values)))))
}
