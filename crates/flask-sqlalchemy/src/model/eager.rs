//! Eager loading on a query: `selectinload` (a second query for the related rows of all the
//! rows found) and `joinedload` (one query with a `LEFT OUTER JOIN`).

use sea_query::JoinType;

use super::relation::{Loads, Rel, ToOne};
use super::{Model, Select};
use crate::Error;
use crate::engine::exec::Rows;

/// A query that also loads a relationship of each row it finds, in one more query
/// ([`Select::selectinload`]).
#[must_use = "a query does nothing until it is run with all() or first()"]
pub struct SelectIn<'e, M, R, K> {
    select: Select<'e, M>,
    rel: Rel<M, R, K>,
}

/// A query that also loads a many-to-one relationship of each row it finds, in the same
/// query ([`Select::joinedload`]).
#[must_use = "a query does nothing until it is run with all() or first()"]
pub struct Joined<'e, M, R> {
    select: Select<'e, M>,
    rel: Rel<M, R, ToOne>,
}

impl<M: Model, R: Model, K> std::fmt::Debug for SelectIn<'_, M, R, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SelectIn")
            .field("table", &M::TABLE.name)
            .field("rel", &self.rel)
            .finish()
    }
}

impl<M: Model, R: Model> std::fmt::Debug for Joined<'_, M, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Joined")
            .field("table", &M::TABLE.name)
            .field("rel", &self.rel)
            .finish()
    }
}

impl<'e, M: Model> Select<'e, M> {
    /// Loads `rel` of every row found, with one more query for all of them (SQLAlchemy's
    /// `options(selectinload(Post.author))`): each row comes with its related row
    /// (`Option<R>`) or rows (`Vec<R>`).
    pub fn selectinload<R: Model + Clone, K: Loads<R>>(
        self,
        rel: Rel<M, R, K>,
    ) -> SelectIn<'e, M, R, K> {
        SelectIn { select: self, rel }
    }

    /// Loads the many-to-one `rel` of every row found in the same query, with a
    /// `LEFT OUTER JOIN` (SQLAlchemy's `options(joinedload(Post.author))`). The joined
    /// table is aliased (`<table>_1`), so filters on its columns need [`Select::join`].
    pub fn joinedload<R: Model>(self, rel: Rel<M, R, ToOne>) -> Joined<'e, M, R> {
        Joined { select: self, rel }
    }
}

impl<M: Model, R: Model + Clone, K: Loads<R>> SelectIn<'_, M, R, K> {
    /// Every matching row, each with its related rows: two queries (one more per 500
    /// rows).
    pub async fn all(self) -> Result<Vec<(M, K::Output)>, Error> {
        let runner = self.select.runner_copy();
        let rows = self.select.all().await?;
        let related = self.rel.load_many_on(runner, &rows).await?;
        Ok(rows.into_iter().zip(related).collect())
    }

    /// The first matching row, with its related rows.
    pub async fn first(self) -> Result<Option<(M, K::Output)>, Error> {
        let runner = self.select.runner_copy();
        let Some(row) = self.select.first().await? else {
            return Ok(None);
        };
        let related = self
            .rel
            .load_many_on(runner, std::slice::from_ref(&row))
            .await?;
        Ok(related.into_iter().next().map(|r| (row, r)))
    }
}

impl<M: Model, R: Model> Joined<'_, M, R> {
    /// Every matching row, each with its related row (`None` when its key is `NULL` or
    /// points nowhere): one query.
    pub async fn all(self) -> Result<Vec<(M, Option<R>)>, Error> {
        self.run(None).await
    }

    /// The first matching row, with its related row.
    pub async fn first(self) -> Result<Option<(M, Option<R>)>, Error> {
        Ok(self.run(Some(1)).await?.into_iter().next())
    }

    async fn run(self, limit: Option<u64>) -> Result<Vec<(M, Option<R>)>, Error> {
        self.select.check()?;
        let alias = format!("{}_1", R::TABLE.name);
        let mut q = self.select.statement_capped(limit);
        q.columns(R::TABLE.columns.iter().map(|c| (alias.clone(), c.name)));
        self.rel
            .join_into(&mut q, JoinType::LeftJoin, Some(&alias))?;
        let offset = M::TABLE.columns.len();
        let key = super::relation::single_key(&R::TABLE)?;
        let key_at = offset
            + R::TABLE
                .columns
                .iter()
                .position(|c| c.name == key.name)
                .unwrap_or(0);
        let read = |e: sqlx::Error| {
            Error::Decode(format!(
                "cannot read a row of {} joined with {}: {e}",
                M::TABLE.name,
                R::TABLE.name
            ))
        };
        macro_rules! pairs {
            ($rows:expr, $parent:path, $related:path) => {
                $rows
                    .iter()
                    .map(|row| {
                        let parent = $parent(row, 0).map_err(read)?;
                        let related = if is_null(row, key_at)? {
                            None
                        } else {
                            Some($related(row, offset).map_err(read)?)
                        };
                        Ok((parent, related))
                    })
                    .collect()
            };
        }
        match self.select.runner_copy().fetch_stmt(&q).await? {
            Rows::Sqlite(rows) => pairs!(rows, M::from_sqlite, R::from_sqlite),
            Rows::Postgres(rows) => pairs!(rows, M::from_postgres, R::from_postgres),
            Rows::MySql(rows) => pairs!(rows, M::from_mysql, R::from_mysql),
        }
    }
}

fn is_null<Row>(row: &Row, i: usize) -> Result<bool, Error>
where
    Row: sqlx::Row,
    usize: sqlx::ColumnIndex<Row>,
{
    use sqlx::ValueRef;
    row.try_get_raw(i)
        .map(|v| v.is_null())
        .map_err(|e| Error::Decode(format!("cannot read column {i}: {e}")))
}
