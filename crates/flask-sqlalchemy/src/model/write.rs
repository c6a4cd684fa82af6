//! Changing rows: bulk `update` / `delete` by query, and saving or deleting one model by
//! its primary key.

use sea_query::{DeleteStatement, Expr, ExprTrait, Query, UpdateStatement};

use super::ops::sea_value;
use super::{Col, FieldType, Model, Select};
use crate::engine::exec::Runner;
use crate::{Engine, Error};

/// One `SET column = ...` of a bulk update: `Post::title.set("x")`, `Post::views.plus(1)`.
#[derive(Debug, Clone)]
pub struct Assign<M> {
    column: &'static str,
    expr: Expr,
    _model: std::marker::PhantomData<fn() -> M>,
}

impl<M: Model, T: FieldType> Col<M, T> {
    /// `SET column = value`.
    pub fn set(self, value: impl Into<T>) -> Assign<M> {
        Assign {
            column: self.column().name,
            expr: Expr::val(self.bind(value)),
            _model: std::marker::PhantomData,
        }
    }
}

/// Marks the field types [`Col::plus`] applies to.
pub trait Numeric {}
impl Numeric for i16 {}
impl Numeric for i32 {}
impl Numeric for i64 {}
impl Numeric for f32 {}
impl Numeric for f64 {}

impl<M: Model, T: FieldType + Numeric> Col<M, T> {
    /// `SET column = column + amount`, computed by the database (no lost updates when two
    /// requests add at once).
    pub fn plus(self, amount: impl Into<T>) -> Assign<M> {
        let column = self.column().name;
        let amount = self.bind(amount);
        Assign {
            column,
            expr: Expr::col(column).add(amount),
            _model: std::marker::PhantomData,
        }
    }
}

impl<M: Model> Select<'_, M> {
    /// Updates every matching row (`update(Post).where(...).values(...)`); returns how many
    /// rows matched or changed, as the database counts. Ordering and limits are ignored.
    pub async fn update(
        self,
        assignments: impl IntoIterator<Item = Assign<M>>,
    ) -> Result<u64, Error> {
        self.check()?;
        let mut stmt: UpdateStatement = Query::update();
        stmt.table(M::TABLE.name);
        let mut any = false;
        for a in assignments {
            stmt.value(a.column, a.expr);
            any = true;
        }
        if !any {
            return Err(Error::Bind(format!(
                "update() of {} was given nothing to set",
                M::TABLE.name
            )));
        }
        for f in &self.filters {
            stmt.and_where(f.clone());
        }
        Ok(self.runner().execute_stmt(&stmt).await?.rows_affected)
    }

    /// Deletes every matching row (`delete(Post).where(...)`); returns how many. Without a
    /// filter it deletes them all, as SQL does.
    pub async fn delete(self) -> Result<u64, Error> {
        self.check()?;
        let mut stmt: DeleteStatement = Query::delete();
        stmt.from_table(M::TABLE.name);
        for f in &self.filters {
            stmt.and_where(f.clone());
        }
        Ok(self.runner().execute_stmt(&stmt).await?.rows_affected)
    }
}

/// `pk1 = v1 AND pk2 = v2` for `model`'s primary key.
fn by_primary_key<M: Model>(model: &M) -> Result<Vec<Expr>, Error> {
    let values = model.values();
    let keys: Vec<Expr> = M::TABLE
        .columns
        .iter()
        .zip(&values)
        .filter(|(c, _)| c.primary_key)
        .map(|(c, v)| Expr::col((M::TABLE.name, c.name)).eq(sea_value(v, c.ty)))
        .collect();
    if keys.is_empty() {
        return Err(Error::Bind(format!("{} has no primary key", M::TABLE.name)));
    }
    Ok(keys)
}

/// Writes every column of `model` to its row, found by primary key; returns how many rows
/// matched (0: the row is gone).
pub(crate) async fn update<M: Model>(runner: Runner<'_>, model: &M) -> Result<u64, Error> {
    let values = model.values();
    let mut stmt: UpdateStatement = Query::update();
    stmt.table(M::TABLE.name);
    let mut any = false;
    for (c, v) in M::TABLE.columns.iter().zip(&values) {
        if !c.primary_key {
            stmt.value(c.name, Expr::val(sea_value(v, c.ty)));
            any = true;
        }
    }
    if !any {
        // Every column is in the key: there is nothing to write, but say whether it exists.
        let mut q = super::ops::select_all::<M>();
        for key in by_primary_key(model)? {
            q.and_where(key);
        }
        return Ok(super::ops::fetch_models::<M>(runner, &q).await?.len() as u64);
    }
    for key in by_primary_key(model)? {
        stmt.and_where(key);
    }
    Ok(runner.execute_stmt(&stmt).await?.rows_affected)
}

/// Deletes `model`'s row, found by primary key; returns how many rows went (0 or 1).
pub(crate) async fn delete<M: Model>(runner: Runner<'_>, model: &M) -> Result<u64, Error> {
    let mut stmt: DeleteStatement = Query::delete();
    stmt.from_table(M::TABLE.name);
    for key in by_primary_key(model)? {
        stmt.and_where(key);
    }
    Ok(runner.execute_stmt(&stmt).await?.rows_affected)
}

impl Engine {
    /// Writes every column of `model` to its row, found by primary key; returns how many
    /// rows matched (0: the row is gone).
    pub async fn update<M: Model>(&self, model: &M) -> Result<u64, Error> {
        update(Runner::Engine(self), model).await
    }

    /// Deletes `model`'s row, found by primary key; returns how many rows went (0 or 1).
    pub async fn delete<M: Model>(&self, model: &M) -> Result<u64, Error> {
        delete(Runner::Engine(self), model).await
    }
}
