//! Changing rows: bulk `update` / `delete` by query, and saving or deleting one model by
//! its primary key.

use sea_query::{DeleteStatement, Expr, ExprTrait, Query, UpdateStatement};

use std::any::TypeId;
use std::collections::HashSet;

use super::ops::sea_value;
use super::prepared::{self, Op};
use super::relation::{Key, column_of, key, single_key};
use super::{Col, FieldType, Model, RelationKind, Select, Table};
use crate::engine::exec::{Rows, Runner};
use crate::events::ModelEvent;
use crate::{Engine, Error, Value};

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
    fn refuse_join(&self, what: &str) -> Result<(), Error> {
        if self.is_derived() {
            return Err(Error::Bind(format!(
                "{what}() of {} cannot run on a union or a common table expression: filter \
                 the table with a subquery instead, such as {}::id.in_(ids)",
                M::TABLE.name,
                M::TABLE.name
            )));
        }
        if self.has_join() {
            return Err(Error::Bind(format!(
                "{what}() of {} cannot use a join: filter with a subquery instead, such as \
                 {}::id.in_(ids)",
                M::TABLE.name,
                M::TABLE.name
            )));
        }
        Ok(())
    }

    /// Updates every matching row (`update(Post).where(...).values(...)`); returns how many
    /// rows matched or changed, as the database counts. Ordering and limits are ignored.
    pub async fn update(
        self,
        assignments: impl IntoIterator<Item = Assign<M>>,
    ) -> Result<u64, Error> {
        self.check()?;
        self.refuse_join("update")?;
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
        self.refuse_join("delete")?;
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
pub(crate) async fn update<M: Model>(runner: Runner<'_>, model: &mut M) -> Result<u64, Error> {
    let events = runner.engine().events();
    events.fire_mut(ModelEvent::BeforeUpdate, model);
    let n = update_row(runner, model).await?;
    if n > 0 {
        events.fire(ModelEvent::AfterUpdate, model);
    }
    Ok(n)
}

async fn update_row<M: Model>(runner: Runner<'_>, model: &M) -> Result<u64, Error> {
    let table = &M::TABLE;
    let values = model.values();
    // The other columns' values, then the key's: the placeholders' order.
    let (keys, others): (Vec<_>, Vec<_>) = table
        .columns
        .iter()
        .zip(&values)
        .map(|(c, v)| (c, sea_value(v, c.ty)))
        .partition(|(c, _)| c.primary_key);
    if keys.is_empty() {
        return Err(Error::Bind(format!("{} has no primary key", table.name)));
    }
    if others.is_empty() {
        // Every column is in the key: there is nothing to write, but say whether it exists.
        let mut q = super::ops::select_all::<M>();
        for key in by_primary_key(model)? {
            q.and_where(key);
        }
        return Ok(super::ops::fetch_models::<M>(runner, &q).await?.len() as u64);
    }
    let n = others.len();
    let bound: Vec<sea_query::Value> = others.into_iter().chain(keys).map(|(_, v)| v).collect();
    let dialect = runner.dialect();
    let (sql, args) =
        prepared::statement(TypeId::of::<M>(), Op::Update, dialect, bound, |bound| {
            let mut stmt: UpdateStatement = Query::update();
            stmt.table(table.name);
            let (set, by) = bound.split_at(n);
            for (c, v) in table.columns.iter().filter(|c| !c.primary_key).zip(set) {
                stmt.value(c.name, Expr::val(v.clone()));
            }
            for (c, v) in table.primary_key().zip(by) {
                stmt.and_where(Expr::col((table.name, c.name)).eq(v.clone()));
            }
            Ok(super::ops::sql_of(&stmt, dialect))
        })?;
    Ok(runner.execute(sql, args).await?.rows_affected)
}

/// Deletes `model`'s row, found by primary key; returns how many rows went (0 or 1).
/// Related rows of its `cascade = "delete"` relationships go first, and its links in
/// many-to-many association tables, all in one transaction.
pub(crate) async fn delete<M: Model>(runner: Runner<'_>, model: &M) -> Result<u64, Error> {
    let events = runner.engine().events();
    events.fire(ModelEvent::BeforeDelete, model);
    let n = delete_row(runner, model).await?;
    if n > 0 {
        events.fire(ModelEvent::AfterDelete, model);
    }
    Ok(n)
}

async fn delete_row<M: Model>(runner: Runner<'_>, model: &M) -> Result<u64, Error> {
    let table = &M::TABLE;
    if table
        .relationships
        .iter()
        .any(|r| r.cascade_delete || matches!(r.kind, RelationKind::ManyToMany { .. }))
    {
        let key = single_key(table)?;
        let at = table.columns.iter().position(|c| c.name == key.name);
        let pk = at
            .and_then(|i| model.values().into_iter().nth(i))
            .unwrap_or(Value::Null);
        let mut deleted = HashSet::new();
        return match runner {
            Runner::Engine(engine) => {
                let session = engine.session();
                let on = Runner::Session(&session);
                let n = delete_rows(on, table, vec![pk], &mut deleted, 0).await?;
                session.commit().await?;
                Ok(n)
            }
            Runner::Session(_) => delete_rows(runner, table, vec![pk], &mut deleted, 0).await,
        };
    }
    let mut stmt: DeleteStatement = Query::delete();
    stmt.from_table(M::TABLE.name);
    let keys = key_values(model)?;
    let dialect = runner.dialect();
    let (sql, args) = prepared::statement(TypeId::of::<M>(), Op::Delete, dialect, keys, |keys| {
        let mut stmt: DeleteStatement = Query::delete();
        stmt.from_table(M::TABLE.name);
        for (c, v) in M::TABLE.primary_key().zip(keys) {
            stmt.and_where(Expr::col((M::TABLE.name, c.name)).eq(v.clone()));
        }
        Ok(super::ops::sql_of(&stmt, dialect))
    })?;
    Ok(runner.execute(sql, args).await?.rows_affected)
}

/// The primary key's values of `model`, bound as their columns' types.
fn key_values<M: Model>(model: &M) -> Result<Vec<sea_query::Value>, Error> {
    let keys: Vec<sea_query::Value> = M::TABLE
        .columns
        .iter()
        .zip(model.values())
        .filter(|(c, _)| c.primary_key)
        .map(|(c, v)| sea_value(&v, c.ty))
        .collect();
    if keys.is_empty() {
        return Err(Error::Bind(format!("{} has no primary key", M::TABLE.name)));
    }
    Ok(keys)
}

/// How deep cascading deletes may go: deeper, the rows form a cycle.
const MAX_CASCADE_DEPTH: usize = 100;

/// Deletes the rows of `table` whose primary key is in `keys`, after what cascades from
/// them (deepest rows first, so every foreign key holds at every statement, as MySQL
/// checks); returns how many rows of `table` went. `deleted` keeps what is gone.
async fn delete_rows(
    runner: Runner<'_>,
    table: &'static Table,
    keys: Vec<Value>,
    deleted: &mut HashSet<(&'static str, Key)>,
    depth: usize,
) -> Result<u64, Error> {
    let not_deleted = |keys: Vec<Value>, deleted: &HashSet<(&'static str, Key)>| -> Vec<Value> {
        keys.into_iter()
            .filter(|v| key(v).is_some_and(|k| !deleted.contains(&(table.name, k))))
            .collect()
    };
    let keys = not_deleted(keys, deleted);
    if keys.is_empty() {
        return Ok(0);
    }
    if depth > MAX_CASCADE_DEPTH {
        return Err(Error::Bind(format!(
            "deleting from {} cascades more than {MAX_CASCADE_DEPTH} levels deep: the rows \
             reference each other in a cycle; set one of the keys to NULL first",
            table.name
        )));
    }
    let pk = single_key(table)?;
    for rel in table.relationships {
        match rel.kind {
            RelationKind::OneToMany { column } if rel.cascade_delete => {
                let child = (rel.target)();
                let (child_col, child_key) = (column_of(child, column)?, single_key(child)?);
                let mut children = Vec::new();
                for chunk in keys.chunks(500) {
                    let mut q = Query::select();
                    q.column((child.name, child_key.name))
                        .from(child.name)
                        .and_where(
                            Expr::col((child.name, child_col.name))
                                .is_in(chunk.iter().map(|k| sea_value(k, child_col.ty))),
                        );
                    children.extend(first_column(runner.fetch_stmt(&q).await?)?);
                }
                // A row that is its own child would recurse for ever: it goes with this level.
                if child.name == table.name {
                    let same: HashSet<Key> = keys.iter().filter_map(key).collect();
                    let theirs: HashSet<Key> = children.iter().filter_map(key).collect();
                    if theirs.is_subset(&same) && same.is_subset(&theirs) {
                        continue;
                    }
                }
                Box::pin(delete_rows(runner, child, children, deleted, depth + 1)).await?;
            }
            RelationKind::ManyToMany {
                secondary, local, ..
            } => {
                let secondary = secondary();
                let local = column_of(secondary, local)?;
                for chunk in keys.chunks(500) {
                    let mut q = Query::delete();
                    q.from_table(secondary.name).and_where(
                        Expr::col(local.name).is_in(chunk.iter().map(|k| sea_value(k, local.ty))),
                    );
                    runner.execute_stmt(&q).await?;
                }
            }
            _ => {}
        }
    }
    // Rows of this table may have gone deeper down (a self-referential cascade).
    let keys = not_deleted(keys, deleted);
    let mut gone = 0;
    for chunk in keys.chunks(500) {
        let mut q = Query::delete();
        q.from_table(table.name)
            .and_where(Expr::col(pk.name).is_in(chunk.iter().map(|k| sea_value(k, pk.ty))));
        gone += runner.execute_stmt(&q).await?.rows_affected;
    }
    deleted.extend(keys.iter().filter_map(key).map(|k| (table.name, k)));
    Ok(gone)
}

/// The first value of each row.
fn first_column(rows: Rows) -> Result<Vec<Value>, Error> {
    use crate::row::{read_mysql, read_postgres, read_sqlite, value_at};
    match rows {
        Rows::Sqlite(r) => r.iter().map(|r| value_at(r, 0, read_sqlite)).collect(),
        Rows::Postgres(r) => r.iter().map(|r| value_at(r, 0, read_postgres)).collect(),
        Rows::MySql(r) => r.iter().map(|r| value_at(r, 0, read_mysql)).collect(),
    }
}

/// Whether `model`'s row exists, by primary key.
pub(crate) async fn exists<M: Model>(runner: Runner<'_>, model: &M) -> Result<bool, Error> {
    let mut q = Query::select();
    q.expr(Expr::cust("1")).from(M::TABLE.name).limit(1);
    for key in by_primary_key(model)? {
        q.and_where(key);
    }
    let found = match runner.fetch_stmt(&q).await? {
        Rows::Sqlite(r) => !r.is_empty(),
        Rows::Postgres(r) => !r.is_empty(),
        Rows::MySql(r) => !r.is_empty(),
    };
    Ok(found)
}

impl Engine {
    /// Writes every column of `model` to its row, found by primary key; returns how many
    /// rows matched (0: the row is gone). `before_update` listeners may change the model
    /// first, hence `&mut`.
    pub async fn update<M: Model>(&self, model: &mut M) -> Result<u64, Error> {
        update(Runner::Engine(self), model).await
    }

    /// Deletes `model`'s row, found by primary key; returns how many rows went (0 or 1).
    pub async fn delete<M: Model>(&self, model: &M) -> Result<u64, Error> {
        delete(Runner::Engine(self), model).await
    }
}
