//! Queries for columns and aggregates instead of whole models, SQLAlchemy's
//! `select(User.name, func.count(Post.id)).group_by(User.name).having(...)`; `exists` and
//! `IN` subqueries.

use std::marker::PhantomData;

use sea_query::{Expr, ExprTrait, Func, SelectStatement};
use sqlx::mysql::MySqlRow;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

use super::{Col, FieldType, Filter, Model, OrderBy, Scalar, Select};
use crate::engine::exec::Rows;
use crate::{Dialect, Error};

/// How an expression's value must be cast to be read as its Rust type on every database
/// (PostgreSQL sums integers as `NUMERIC`, MySQL as `DECIMAL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cast {
    Integer,
    Double,
}

/// A typed SQL expression yielding a `T`: a column, or an aggregate of one
/// ([`func::count`], [`func::sum`], ...). Compare it to a value to make a [`Filter`] (for
/// `having`).
#[derive(Debug, Clone)]
pub struct SqlExpr<T> {
    expr: Expr,
    cast: Option<Cast>,
    _type: PhantomData<fn() -> T>,
}

impl<T> SqlExpr<T> {
    fn new(expr: Expr, cast: Option<Cast>) -> Self {
        SqlExpr {
            expr,
            cast,
            _type: PhantomData,
        }
    }

    /// The expression for a SELECT list on `dialect`, cast so it reads as `T`.
    fn selected(&self, dialect: Dialect) -> Expr {
        let to = match (self.cast, dialect) {
            (None, _) => return self.expr.clone(),
            (Some(Cast::Integer), Dialect::MySql) => "SIGNED",
            (Some(Cast::Integer), _) => "BIGINT",
            (Some(Cast::Double), Dialect::Postgres) => "DOUBLE PRECISION",
            (Some(Cast::Double), Dialect::MySql) => "DOUBLE",
            (Some(Cast::Double), Dialect::Sqlite) => "REAL",
        };
        Func::cast_as(self.expr.clone(), to).into()
    }
}

/// What becomes an [`SqlExpr`]: the expression itself, or a column (`Post::views`).
pub trait IntoExpr {
    /// The Rust type of its value.
    type Type: FieldType;
    /// The expression.
    fn into_expr(self) -> SqlExpr<Self::Type>;
}

impl<T: FieldType> IntoExpr for SqlExpr<T> {
    type Type = T;
    fn into_expr(self) -> SqlExpr<T> {
        self
    }
}

impl<M: Model, T: FieldType> IntoExpr for Col<M, T> {
    type Type = T;
    fn into_expr(self) -> SqlExpr<T> {
        SqlExpr::new(self.expr(), None)
    }
}

/// What an expression is compared with: a value of its type, without `NULL` (compare with
/// `NULL` through `is_null` on a column).
type Plain<T> = <T as Nullable>::Inner;

impl<T: FieldType + Nullable> SqlExpr<T> {
    fn compare(
        &self,
        op: fn(Expr, sea_query::Value) -> Expr,
        value: impl Into<Plain<T>>,
    ) -> Filter {
        let value = super::ops::sea_value(&value.into().to_value(), T::TYPE);
        Filter(op(self.expr.clone(), value))
    }

    /// `expr = value`.
    pub fn eq(self, value: impl Into<Plain<T>>) -> Filter {
        self.compare(|e, v| e.eq(v), value)
    }

    /// `expr <> value`.
    pub fn ne(self, value: impl Into<Plain<T>>) -> Filter {
        self.compare(|e, v| e.ne(v), value)
    }

    /// `expr < value`.
    pub fn lt(self, value: impl Into<Plain<T>>) -> Filter {
        self.compare(|e, v| e.lt(v), value)
    }

    /// `expr <= value`.
    pub fn le(self, value: impl Into<Plain<T>>) -> Filter {
        self.compare(|e, v| e.lte(v), value)
    }

    /// `expr > value`.
    pub fn gt(self, value: impl Into<Plain<T>>) -> Filter {
        self.compare(|e, v| e.gt(v), value)
    }

    /// `expr >= value`.
    pub fn ge(self, value: impl Into<Plain<T>>) -> Filter {
        self.compare(|e, v| e.gte(v), value)
    }

    /// Ascending order (`order_by(func.count(Post.id).desc())`).
    pub fn asc(self) -> OrderBy {
        OrderBy::new(self.expr, sea_query::Order::Asc)
    }

    /// Descending order.
    pub fn desc(self) -> OrderBy {
        OrderBy::new(self.expr, sea_query::Order::Desc)
    }
}

/// The column types [`func::sum`] and [`func::avg`] apply to, and what their sum is.
///
/// (`CAST` says how the sum is read alike everywhere: 0 as an integer, 1 as a float, 2 as
/// it comes.)
pub trait Summable {
    /// `i64` for integers, `f64` for floats.
    type Sum: FieldType;
    #[doc(hidden)]
    const CAST: u8;
}

macro_rules! summable {
    ($($t:ty => $sum:ty, $cast:expr;)*) => {$(
        impl Summable for $t {
            type Sum = $sum;
            const CAST: u8 = $cast;
        }
        impl Summable for Option<$t> {
            type Sum = $sum;
            const CAST: u8 = $cast;
        }
    )*};
}

summable! {
    i16 => i64, 0;
    i32 => i64, 0;
    i64 => i64, 0;
    f32 => f64, 1;
    f64 => f64, 1;
    rust_decimal::Decimal => rust_decimal::Decimal, 2;
}

/// The type a column holds without its `NULL` (`Option<T>` -> `T`), for [`func::min`] and
/// [`func::max`].
pub trait Nullable {
    /// The type without `NULL`.
    type Inner: FieldType;
}

impl<T: Scalar> Nullable for T {
    type Inner = T;
}

impl<T: Scalar> Nullable for Option<T> {
    type Inner = T;
}

/// SQL functions, SQLAlchemy's `func`: aggregates for [`Select::columns`] and
/// [`Select::having`].
pub mod func {
    use super::{Cast, IntoExpr, Nullable, SqlExpr, Summable};
    use sea_query::{Asterisk, Expr, Func};

    /// `COUNT(*)`: the rows of each group.
    pub fn count_all() -> SqlExpr<i64> {
        SqlExpr::new(Func::count(Expr::col(Asterisk)).into(), Some(Cast::Integer))
    }

    /// `COUNT(expr)`: the non-`NULL` values.
    pub fn count<E: IntoExpr>(expr: E) -> SqlExpr<i64> {
        SqlExpr::new(
            Func::count(expr.into_expr().expr).into(),
            Some(Cast::Integer),
        )
    }

    /// `COUNT(DISTINCT expr)`.
    pub fn count_distinct<E: IntoExpr>(expr: E) -> SqlExpr<i64> {
        SqlExpr::new(
            Func::count_distinct(expr.into_expr().expr).into(),
            Some(Cast::Integer),
        )
    }

    /// `SUM(expr)`: an `i64` for integers, an `f64` for floats, a `Decimal` for decimals;
    /// `None` over no rows.
    pub fn sum<E: IntoExpr>(expr: E) -> SqlExpr<Option<<E::Type as Summable>::Sum>>
    where
        E::Type: Summable,
    {
        let cast = match <E::Type as Summable>::CAST {
            0 => Some(Cast::Integer),
            1 => Some(Cast::Double),
            _ => None,
        };
        SqlExpr::new(Func::sum(expr.into_expr().expr).into(), cast)
    }

    /// `AVG(expr)` as an `f64`; `None` over no rows.
    pub fn avg<E: IntoExpr>(expr: E) -> SqlExpr<Option<f64>>
    where
        E::Type: Summable,
    {
        SqlExpr::new(Func::avg(expr.into_expr().expr).into(), Some(Cast::Double))
    }

    /// `MIN(expr)`; `None` over no rows.
    pub fn min<E: IntoExpr>(expr: E) -> SqlExpr<Option<<E::Type as Nullable>::Inner>>
    where
        E::Type: Nullable,
    {
        SqlExpr::new(Func::min(expr.into_expr().expr).into(), None)
    }

    /// `MAX(expr)`; `None` over no rows.
    pub fn max<E: IntoExpr>(expr: E) -> SqlExpr<Option<<E::Type as Nullable>::Inner>>
    where
        E::Type: Nullable,
    {
        SqlExpr::new(Func::max(expr.into_expr().expr).into(), None)
    }
}

/// What [`Select::columns`] selects: a tuple of columns and expressions, read as a tuple of
/// their types.
pub trait Columns {
    /// The tuple each row is read as.
    type Output: Send;
    /// The expressions, for a SELECT list on `dialect`.
    #[doc(hidden)]
    fn exprs(self, dialect: Dialect) -> Vec<Expr>;
    #[doc(hidden)]
    fn from_sqlite(row: &SqliteRow) -> Result<Self::Output, sqlx::Error>;
    #[doc(hidden)]
    fn from_postgres(row: &PgRow) -> Result<Self::Output, sqlx::Error>;
    #[doc(hidden)]
    fn from_mysql(row: &MySqlRow) -> Result<Self::Output, sqlx::Error>;
}

macro_rules! columns {
    ($($name:ident $i:tt),+) => {
        impl<$($name: IntoExpr),+> Columns for ($($name,)+) {
            type Output = ($($name::Type,)+);
            fn exprs(self, dialect: Dialect) -> Vec<Expr> {
                vec![$(self.$i.into_expr().selected(dialect)),+]
            }
            fn from_sqlite(row: &SqliteRow) -> Result<Self::Output, sqlx::Error> {
                Ok(($(<$name::Type as FieldType>::from_sqlite(row, $i)?,)+))
            }
            fn from_postgres(row: &PgRow) -> Result<Self::Output, sqlx::Error> {
                Ok(($(<$name::Type as FieldType>::from_postgres(row, $i)?,)+))
            }
            fn from_mysql(row: &MySqlRow) -> Result<Self::Output, sqlx::Error> {
                Ok(($(<$name::Type as FieldType>::from_mysql(row, $i)?,)+))
            }
        }
    };
}

columns!(A 0);
columns!(A 0, B 1);
columns!(A 0, B 1, C 2);
columns!(A 0, B 1, C 2, D 3);
columns!(A 0, B 1, C 2, D 3, E 4);
columns!(A 0, B 1, C 2, D 3, E 4, F 5);

/// A query for columns and aggregates ([`Select::columns`]): its rows are tuples.
#[must_use = "a query does nothing until it is run"]
pub struct ColumnSelect<'e, M, C> {
    select: Select<'e, M>,
    _columns: PhantomData<fn() -> C>,
}

impl<M: Model, C> std::fmt::Debug for ColumnSelect<'_, M, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ColumnSelect")
            .field("table", &M::TABLE.name)
            .finish()
    }
}

impl<'e, M: Model> Select<'e, M> {
    /// Selects these columns and expressions instead of the model's
    /// (`select(User.name, func.count(Post.id))`), a tuple of up to six; its rows are tuples
    /// of their types. The query's filters, joins, groups and orderings stay.
    ///
    /// ```
    /// # use flask_sqlalchemy::{Engine, EngineOptions, MetaData, Model, func};
    /// #[derive(Debug, Model)]
    /// struct Sale {
    ///     #[model(primary_key)]
    ///     id: i64,
    ///     #[model(max_length = 20)]
    ///     region: String,
    ///     amount: i64,
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), flask_sqlalchemy::Error> {
    /// # let db = Engine::connect("sqlite://", "".as_ref(), EngineOptions::default()).await?;
    /// # db.create_all(&MetaData::new().register::<Sale>()).await?;
    /// # for (r, a) in [("north", 10), ("north", 5), ("south", 7)] {
    /// #     db.insert(&mut Sale { id: 0, region: r.into(), amount: a }).await?;
    /// # }
    /// let totals = db
    ///     .select::<Sale>()
    ///     .group_by(Sale::region)
    ///     .having(func::count_all().ge(2))
    ///     .columns((Sale::region, func::sum(Sale::amount)))
    ///     .all()
    ///     .await?;
    /// assert_eq!(totals, [("north".to_owned(), Some(15))]);
    /// # Ok(()) }
    /// ```
    pub fn columns<C: Columns>(mut self, columns: C) -> ColumnSelect<'e, M, C> {
        let exprs = columns.exprs(self.runner_copy().dialect());
        let stmt = self.stmt_mut();
        stmt.clear_selects();
        for e in exprs {
            stmt.expr(e);
        }
        ColumnSelect {
            select: self,
            _columns: PhantomData,
        }
    }

    /// Groups the rows by `expr` (call again for more), for aggregates in
    /// [`columns`](Select::columns).
    #[must_use]
    pub fn group_by<E: IntoExpr>(mut self, expr: E) -> Self {
        self.stmt_mut().add_group_by([expr.into_expr().expr]);
        self
    }

    /// Keeps the groups that match (`HAVING`), usually a condition on an aggregate:
    /// `having(func::count(Post::id).gt(2))`.
    #[must_use]
    pub fn having(mut self, filter: Filter) -> Self {
        self.stmt_mut().and_having(filter.0);
        self
    }

    /// The query as a subquery, for [`exists`] and [`Col::in_query`].
    pub(crate) fn into_statement(self) -> SelectStatement {
        self.statement()
    }
}

impl<M: Model, C: Columns> ColumnSelect<'_, M, C> {
    async fn fetch(self, limit: Option<u64>) -> Result<Vec<C::Output>, Error> {
        self.select.check()?;
        let runner = self.select.runner_copy();
        let q = self.select.statement_capped(limit);
        let read = |e: sqlx::Error| Error::Decode(format!("cannot read a column: {e}"));
        match runner.fetch_stmt(&q).await? {
            Rows::Sqlite(rows) => rows
                .iter()
                .map(|r| C::from_sqlite(r).map_err(read))
                .collect(),
            Rows::Postgres(rows) => rows
                .iter()
                .map(|r| C::from_postgres(r).map_err(read))
                .collect(),
            Rows::MySql(rows) => rows
                .iter()
                .map(|r| C::from_mysql(r).map_err(read))
                .collect(),
        }
    }

    /// Every row.
    pub async fn all(self) -> Result<Vec<C::Output>, Error> {
        self.fetch(None).await
    }

    /// The first row, if any.
    pub async fn first(self) -> Result<Option<C::Output>, Error> {
        Ok(self.fetch(Some(1)).await?.into_iter().next())
    }

    /// The one row: none is [`Error::NoResultFound`], more [`Error::MultipleResultsFound`].
    pub async fn one(self) -> Result<C::Output, Error> {
        let table = M::TABLE.name;
        let mut rows = self.fetch(Some(2)).await?;
        match rows.len() {
            0 => Err(Error::NoResultFound { table }),
            1 => Ok(rows.remove(0)),
            _ => Err(Error::MultipleResultsFound { table }),
        }
    }
}

impl<M: Model, A: IntoExpr> ColumnSelect<'_, M, (A,)> {
    /// The first column of the first row (SQLAlchemy's `scalar()`): `None` when there is no
    /// row.
    pub async fn scalar(self) -> Result<Option<A::Type>, Error> {
        Ok(self.fetch(Some(1)).await?.into_iter().next().map(|(a,)| a))
    }

    /// The first column of every row (`scalars().all()`).
    pub async fn scalars(self) -> Result<Vec<A::Type>, Error> {
        Ok(self.fetch(None).await?.into_iter().map(|(a,)| a).collect())
    }

    /// The query as a one-column subquery, for [`Col::in_query`].
    fn subquery(self) -> SelectStatement {
        self.select.into_statement()
    }
}

/// `EXISTS (query)`: a filter true when the query finds a row. With a condition on the
/// outer query's columns (`Post::author_id.eq_col(User::id)`) it is a correlated
/// subquery.
///
/// ```
/// # use flask_sqlalchemy::{Engine, Model, exists};
/// # #[derive(Debug, Model)] struct User { #[model(primary_key)] id: i64 }
/// # #[derive(Debug, Model)] struct Post { #[model(primary_key)] id: i64, author_id: i64 }
/// # async fn f(db: &Engine) -> Result<(), flask_sqlalchemy::Error> {
/// let authors = db
///     .select::<User>()
///     .filter(exists(db.select::<Post>().filter(Post::author_id.eq_col(User::id))))
///     .all()
///     .await?;
/// # Ok(()) }
/// ```
pub fn exists<M: Model>(query: Select<'_, M>) -> Filter {
    let mut stmt = query.into_statement();
    stmt.clear_selects();
    stmt.expr(Expr::cust("1"));
    Filter(Expr::exists(stmt))
}

impl<M: Model, T: FieldType> Col<M, T> {
    /// `column = other_column`, another model's or this one's (a join or a correlated
    /// subquery's condition).
    pub fn eq_col<N: Model, U>(self, other: Col<N, U>) -> Filter
    where
        U: Nullable<Inner = <T as Nullable>::Inner>,
        T: Nullable,
    {
        Filter(self.expr().equals((N::TABLE.name, other.column().name)))
    }

    /// `column IN (subquery)`, the subquery selecting one column of the same type:
    /// `User::id.in_query(db.select::<Post>().columns((Post::author_id,)))`.
    pub fn in_query<N: Model, A>(self, query: ColumnSelect<'_, N, (A,)>) -> Filter
    where
        A: IntoExpr,
        A::Type: Nullable<Inner = <T as Nullable>::Inner>,
        T: Nullable,
    {
        Filter(self.expr().in_subquery(query.subquery()))
    }
}
