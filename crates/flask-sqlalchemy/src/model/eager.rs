//! Eager loading on a query: `selectinload` (a second query for the related rows of all the
//! rows found) and `joinedload` (one query with a `LEFT OUTER JOIN`).

use sea_query::{JoinType, SelectStatement};

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

    /// Loads the to-one `rel` (a `belongs_to` or a `has_one`) of every row found in the
    /// same query, with a `LEFT OUTER JOIN` (SQLAlchemy's `options(joinedload(Post.author))`);
    /// chain [`Joined::joinedload`] for more, up to three. The joined table is aliased
    /// (`<table>_<n>`, `n` its place in the chain), so filters on its columns need
    /// [`Select::join`].
    pub fn joinedload<R: Model>(self, rel: Rel<M, R, ToOne>) -> Joined<'e, M, R> {
        Joined { select: self, rel }
    }
}

impl<M: Model, R: Model + Clone, K: Loads<R>> SelectIn<'_, M, R, K> {
    /// Every matching row, each with its related rows: two queries (one more per 500
    /// rows).
    pub async fn all(self) -> Result<Vec<(M, K::Output)>, Error> {
        let runner = self.select.runner_for(&R::TABLE);
        let rows = self.select.all().await?;
        let related = self.rel.load_many_on(runner, &rows).await?;
        Ok(rows.into_iter().zip(related).collect())
    }

    /// The first matching row, with its related rows.
    pub async fn first(self) -> Result<Option<(M, K::Output)>, Error> {
        let runner = self.select.runner_for(&R::TABLE);
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

/// A query that also loads two to-one relationships of each row it finds, in the same
/// query ([`Joined::joinedload`]).
#[must_use = "a query does nothing until it is run with all() or first()"]
pub struct Joined2<'e, M, R, R2> {
    select: Select<'e, M>,
    rels: (Rel<M, R, ToOne>, Rel<M, R2, ToOne>),
}

/// A query that also loads three to-one relationships of each row it finds, in the same
/// query ([`Joined2::joinedload`]).
#[must_use = "a query does nothing until it is run with all() or first()"]
pub struct Joined3<'e, M, R, R2, R3> {
    select: Select<'e, M>,
    rels: (Rel<M, R, ToOne>, Rel<M, R2, ToOne>),
    third: Rel<M, R3, ToOne>,
}

impl<M: Model, R: Model, R2: Model> std::fmt::Debug for Joined2<'_, M, R, R2> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Joined2")
            .field("table", &M::TABLE.name)
            .field("rels", &self.rels)
            .finish()
    }
}

impl<M: Model, R: Model, R2: Model, R3: Model> std::fmt::Debug for Joined3<'_, M, R, R2, R3> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Joined3")
            .field("table", &M::TABLE.name)
            .field("rels", &self.rels)
            .field("third", &self.third)
            .finish()
    }
}

/// Where a joined model's columns start in a row, and where its primary key is.
#[derive(Debug, Clone, Copy)]
struct Part {
    offset: usize,
    key_at: usize,
}

/// Adds the `LEFT OUTER JOIN` of `rel` (the `n`th joined relationship, aliased
/// `<table>_<n>`) and its columns to `q`, whose rows are `width` columns wide so far;
/// returns where its columns are.
fn join_part<M: Model, R: Model>(
    q: &mut SelectStatement,
    rel: Rel<M, R, ToOne>,
    n: usize,
    width: usize,
) -> Result<Part, Error> {
    if M::TABLE.bind != R::TABLE.bind {
        let at = |bind: Option<&str>| {
            bind.map_or_else(
                || "the default database".to_owned(),
                |b| format!("the bind {b:?}"),
            )
        };
        return Err(Error::Config(format!(
            "joinedload({rel:?}) would join {} (in {}) to {} (in {}) in one query, and a query \
             runs on one database: use selectinload, which runs one query on each",
            R::TABLE.name,
            at(R::TABLE.bind),
            M::TABLE.name,
            at(M::TABLE.bind)
        )));
    }
    let alias = format!("{}_{n}", R::TABLE.name);
    q.columns(R::TABLE.columns.iter().map(|c| (alias.clone(), c.name)));
    rel.join_into(q, JoinType::LeftJoin, Some(&alias))?;
    let key = super::relation::single_key(&R::TABLE)?;
    let key_at = width
        + R::TABLE
            .columns
            .iter()
            .position(|c| c.name == key.name)
            .unwrap_or(0);
    Ok(Part {
        offset: width,
        key_at,
    })
}

/// The joined model at `part` of `row`: `None` when its key is `NULL` (no related row).
fn joined<R: Model, Row>(
    row: &Row,
    part: Part,
    read: fn(&Row, usize) -> Result<R, sqlx::Error>,
) -> Result<Option<R>, Error>
where
    Row: sqlx::Row,
    usize: sqlx::ColumnIndex<Row>,
{
    if is_null(row, part.key_at)? {
        return Ok(None);
    }
    read(row, part.offset).map(Some).map_err(|e| {
        Error::Decode(format!(
            "cannot read a joined row of {}: {e}",
            R::TABLE.name
        ))
    })
}

fn parent<M: Model, Row>(
    row: &Row,
    read: fn(&Row, usize) -> Result<M, sqlx::Error>,
) -> Result<M, Error> {
    read(row, 0).map_err(|e| Error::Decode(format!("cannot read a row of {}: {e}", M::TABLE.name)))
}

/// Reads each row of `$rows` (of any driver) with `$each`, given the driver's readers.
macro_rules! by_driver {
    ($rows:expr, |$row:ident, $from:ident| $each:expr) => {
        match $rows {
            Rows::Sqlite(rows) => rows
                .iter()
                .map(|$row| {
                    macro_rules! $from {
                        ($t:ty) => {
                            <$t>::from_sqlite
                        };
                    }
                    $each
                })
                .collect(),
            Rows::Postgres(rows) => rows
                .iter()
                .map(|$row| {
                    macro_rules! $from {
                        ($t:ty) => {
                            <$t>::from_postgres
                        };
                    }
                    $each
                })
                .collect(),
            Rows::MySql(rows) => rows
                .iter()
                .map(|$row| {
                    macro_rules! $from {
                        ($t:ty) => {
                            <$t>::from_mysql
                        };
                    }
                    $each
                })
                .collect(),
        }
    };
}

impl<'e, M: Model, R: Model> Joined<'e, M, R> {
    /// Loads another to-one relationship in the same query (SQLAlchemy's
    /// `options(joinedload(Post.author), joinedload(Post.editor))`); aliased `<table>_2`.
    pub fn joinedload<R2: Model>(self, rel: Rel<M, R2, ToOne>) -> Joined2<'e, M, R, R2> {
        Joined2 {
            select: self.select,
            rels: (self.rel, rel),
        }
    }

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
        let mut q = self.select.statement_capped(limit);
        let a = join_part(&mut q, self.rel, 1, M::TABLE.columns.len())?;
        let rows = self.select.runner_copy().fetch_stmt(&q).await?;
        by_driver!(rows, |row, from| Ok((
            parent(row, from!(M))?,
            joined(row, a, from!(R))?
        )))
    }
}

impl<'e, M: Model, R: Model, R2: Model> Joined2<'e, M, R, R2> {
    /// Loads a third to-one relationship in the same query; aliased `<table>_3`.
    pub fn joinedload<R3: Model>(self, rel: Rel<M, R3, ToOne>) -> Joined3<'e, M, R, R2, R3> {
        Joined3 {
            select: self.select,
            rels: self.rels,
            third: rel,
        }
    }

    /// Every matching row, each with its two related rows: one query.
    pub async fn all(self) -> Result<Vec<(M, Option<R>, Option<R2>)>, Error> {
        self.run(None).await
    }

    /// The first matching row, with its two related rows.
    pub async fn first(self) -> Result<Option<(M, Option<R>, Option<R2>)>, Error> {
        Ok(self.run(Some(1)).await?.into_iter().next())
    }

    async fn run(self, limit: Option<u64>) -> Result<Vec<(M, Option<R>, Option<R2>)>, Error> {
        self.select.check()?;
        let mut q = self.select.statement_capped(limit);
        let width = M::TABLE.columns.len();
        let a = join_part(&mut q, self.rels.0, 1, width)?;
        let b = join_part(&mut q, self.rels.1, 2, width + R::TABLE.columns.len())?;
        let rows = self.select.runner_copy().fetch_stmt(&q).await?;
        by_driver!(rows, |row, from| Ok((
            parent(row, from!(M))?,
            joined(row, a, from!(R))?,
            joined(row, b, from!(R2))?
        )))
    }
}

impl<M: Model, R: Model, R2: Model, R3: Model> Joined3<'_, M, R, R2, R3> {
    /// Every matching row, each with its three related rows: one query.
    pub async fn all(self) -> Result<Vec<(M, Option<R>, Option<R2>, Option<R3>)>, Error> {
        self.run(None).await
    }

    /// The first matching row, with its three related rows.
    pub async fn first(self) -> Result<Option<(M, Option<R>, Option<R2>, Option<R3>)>, Error> {
        Ok(self.run(Some(1)).await?.into_iter().next())
    }

    async fn run(
        self,
        limit: Option<u64>,
    ) -> Result<Vec<(M, Option<R>, Option<R2>, Option<R3>)>, Error> {
        self.select.check()?;
        let mut q = self.select.statement_capped(limit);
        let width = M::TABLE.columns.len();
        let a = join_part(&mut q, self.rels.0, 1, width)?;
        let width = width + R::TABLE.columns.len();
        let b = join_part(&mut q, self.rels.1, 2, width)?;
        let c = join_part(&mut q, self.third, 3, width + R2::TABLE.columns.len())?;
        let rows = self.select.runner_copy().fetch_stmt(&q).await?;
        by_driver!(rows, |row, from| Ok((
            parent(row, from!(M))?,
            joined(row, a, from!(R))?,
            joined(row, b, from!(R2))?,
            joined(row, c, from!(R3))?
        )))
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
