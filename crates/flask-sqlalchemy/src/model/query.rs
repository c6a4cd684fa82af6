//! Typed queries, SQLAlchemy 2.0 style: `db.select::<Post>().filter(Post::title.like("%rust%"))`.

use std::marker::PhantomData;

use sea_query::{
    Asterisk, Expr, ExprTrait, Func, JoinType, LikeExpr, NullOrdering, Order, Query,
    SelectStatement,
};
use sqlx::Row as _;

use super::ops::sea_value;
use super::{Column, FieldType, Model, Rel};
use crate::engine::exec::{Rows, Runner};
use crate::{Engine, Error};

/// A model's column, typed: what `Post::title` is (the derive makes one per field). Its
/// methods build filters and orderings.
pub struct Col<M, T> {
    index: usize,
    _types: PhantomData<fn() -> (M, T)>,
}

impl<M, T> Clone for Col<M, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M, T> Copy for Col<M, T> {}

impl<M: Model, T> std::fmt::Debug for Col<M, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", M::TABLE.name, self.column().name)
    }
}

/// Marks the field types `like` and `ilike` apply to.
pub trait Textual {}
impl Textual for String {}
impl Textual for Option<String> {}

impl<M: Model, T> Col<M, T> {
    /// The column at `index` of `M`'s table (what the derive writes).
    #[doc(hidden)]
    pub const fn new(index: usize) -> Self {
        Col {
            index,
            _types: PhantomData,
        }
    }

    /// The column's metadata.
    pub fn column(&self) -> &'static Column {
        &M::TABLE.columns[self.index]
    }

    pub(crate) fn expr(&self) -> Expr {
        Expr::col((M::TABLE.name, self.column().name))
    }
}

impl<M: Model, T: FieldType> Col<M, T> {
    pub(crate) fn bind(&self, value: impl Into<T>) -> sea_query::Value {
        sea_value(&value.into().to_value(), self.column().ty)
    }

    /// `column = value`.
    pub fn eq(self, value: impl Into<T>) -> Filter {
        Filter(self.expr().eq(self.bind(value)))
    }

    /// `column <> value`.
    pub fn ne(self, value: impl Into<T>) -> Filter {
        Filter(self.expr().ne(self.bind(value)))
    }

    /// `column < value`.
    pub fn lt(self, value: impl Into<T>) -> Filter {
        Filter(self.expr().lt(self.bind(value)))
    }

    /// `column <= value`.
    pub fn le(self, value: impl Into<T>) -> Filter {
        Filter(self.expr().lte(self.bind(value)))
    }

    /// `column > value`.
    pub fn gt(self, value: impl Into<T>) -> Filter {
        Filter(self.expr().gt(self.bind(value)))
    }

    /// `column >= value`.
    pub fn ge(self, value: impl Into<T>) -> Filter {
        Filter(self.expr().gte(self.bind(value)))
    }

    /// `column IN (values)`; an empty list matches nothing.
    pub fn in_<V: Into<T>>(self, values: impl IntoIterator<Item = V>) -> Filter {
        let values: Vec<_> = values.into_iter().map(|v| self.bind(v)).collect();
        Filter(self.expr().is_in(values))
    }

    /// `column NOT IN (values)`; an empty list matches everything.
    pub fn not_in<V: Into<T>>(self, values: impl IntoIterator<Item = V>) -> Filter {
        let values: Vec<_> = values.into_iter().map(|v| self.bind(v)).collect();
        Filter(self.expr().is_not_in(values))
    }

    /// `column BETWEEN low AND high`.
    pub fn between(self, low: impl Into<T>, high: impl Into<T>) -> Filter {
        Filter(self.expr().between(self.bind(low), self.bind(high)))
    }

    /// `column IS NULL`.
    pub fn is_null(self) -> Filter {
        Filter(self.expr().is_null())
    }

    /// `column IS NOT NULL`.
    pub fn is_not_null(self) -> Filter {
        Filter(self.expr().is_not_null())
    }

    /// Ascending order.
    pub fn asc(self) -> OrderBy {
        OrderBy {
            expr: self.expr(),
            order: Order::Asc,
            nulls: None,
            column: Some((M::TABLE.name, self.column())),
        }
    }

    /// Descending order.
    pub fn desc(self) -> OrderBy {
        OrderBy {
            expr: self.expr(),
            order: Order::Desc,
            nulls: None,
            column: Some((M::TABLE.name, self.column())),
        }
    }
}

impl<M: Model, T: FieldType + Textual> Col<M, T> {
    /// `column LIKE pattern` (`%` any run, `_` one character); case-sensitive on PostgreSQL,
    /// as the database's collation decides on MySQL and SQLite (ASCII case-insensitive).
    pub fn like(self, pattern: &str) -> Filter {
        Filter(self.expr().like(pattern))
    }

    /// Case-insensitive `LIKE` on every database (`lower(column) LIKE lower(pattern)`, as
    /// SQLAlchemy renders `ilike` outside PostgreSQL).
    pub fn ilike(self, pattern: &str) -> Filter {
        Filter(Expr::expr(Func::lower(self.expr())).like(pattern.to_lowercase()))
    }

    /// SQLAlchemy's `contains(text, autoescape=True)`: the column holds `text`, where `%`,
    /// `_` and `/` are matched as themselves (`LIKE '%' || escaped || '%' ESCAPE '/'`). Use
    /// it for text a user typed into a search box: with [`like`](Self::like) their `%`
    /// would match anything.
    pub fn contains(self, text: &str) -> Filter {
        self.escaped_like(&format!("%{}%", escape_like(text)), false)
    }

    /// [`contains`](Self::contains), case-insensitive (SQLAlchemy 2's `icontains`).
    pub fn icontains(self, text: &str) -> Filter {
        self.escaped_like(&format!("%{}%", escape_like(text)), true)
    }

    /// SQLAlchemy's `startswith(text, autoescape=True)`.
    pub fn startswith(self, text: &str) -> Filter {
        self.escaped_like(&format!("{}%", escape_like(text)), false)
    }

    /// SQLAlchemy's `endswith(text, autoescape=True)`.
    pub fn endswith(self, text: &str) -> Filter {
        self.escaped_like(&format!("%{}", escape_like(text)), false)
    }

    fn escaped_like(self, pattern: &str, lower: bool) -> Filter {
        if lower {
            let like = LikeExpr::new(pattern.to_lowercase()).escape(LIKE_ESCAPE);
            Filter(Expr::expr(Func::lower(self.expr())).like(like))
        } else {
            Filter(self.expr().like(LikeExpr::new(pattern).escape(LIKE_ESCAPE)))
        }
    }
}

/// The escape character of [`escape_like`] (SQLAlchemy's `autoescape` uses `/` too): not
/// special in any of the three dialects' string literals, unlike `\` in MySQL.
pub const LIKE_ESCAPE: char = '/';

/// `text` with `%`, `_` and `/` escaped by `/`, to put into a `LIKE` pattern with
/// `ESCAPE '/'` so that they match themselves (`Col::contains` and friends do it).
///
/// ```
/// assert_eq!(flask_sqlalchemy::escape_like("100%_a/b"), "100/%/_a//b");
/// ```
pub fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | LIKE_ESCAPE) {
            out.push(LIKE_ESCAPE);
        }
        out.push(c);
    }
    out
}

/// A condition for [`Select::filter`]; combine with [`and`](Filter::and),
/// [`or`](Filter::or) and [`not`](Filter::not).
#[derive(Debug, Clone)]
pub struct Filter(pub(crate) Expr);

impl Filter {
    /// Both.
    pub fn and(self, other: Filter) -> Filter {
        Filter(self.0.and(other.0))
    }

    /// Either.
    pub fn or(self, other: Filter) -> Filter {
        Filter(self.0.or(other.0))
    }

    /// The opposite.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Filter {
        Filter(self.0.not())
    }
}

/// An ordering for [`Select::order_by`]: `Post::id.desc()`, `.nulls_last()`.
#[derive(Debug, Clone)]
pub struct OrderBy {
    expr: Expr,
    order: Order,
    nulls: Option<NullOrdering>,
    /// The model column ordered by, when it is one (keyset pagination needs it).
    pub(crate) column: Option<(&'static str, &'static Column)>,
}

impl OrderBy {
    pub(crate) fn new(expr: Expr, order: Order) -> Self {
        OrderBy {
            expr,
            order,
            nulls: None,
            column: None,
        }
    }

    /// Whether it is descending.
    pub(crate) fn is_desc(&self) -> bool {
        matches!(self.order, Order::Desc)
    }

    /// `NULL`s before the other values.
    pub fn nulls_first(mut self) -> Self {
        self.nulls = Some(NullOrdering::First);
        self
    }

    /// `NULL`s after the other values.
    pub fn nulls_last(mut self) -> Self {
        self.nulls = Some(NullOrdering::Last);
        self
    }
}

/// How [`Select::with_for_update`] locks: SQLAlchemy's `nowait=` and `skip_locked=`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ForUpdate {
    behavior: Option<sea_query::LockBehavior>,
}

impl ForUpdate {
    /// `FOR UPDATE`: wait for rows another transaction holds.
    pub fn new() -> Self {
        ForUpdate::default()
    }

    /// `FOR UPDATE NOWAIT`: a row another transaction holds is an error at once.
    #[must_use]
    pub fn nowait(mut self) -> Self {
        self.behavior = Some(sea_query::LockBehavior::Nowait);
        self
    }

    /// `FOR UPDATE SKIP LOCKED`: rows another transaction holds are left out.
    #[must_use]
    pub fn skip_locked(mut self) -> Self {
        self.behavior = Some(sea_query::LockBehavior::SkipLocked);
        self
    }
}

/// A query for rows of `M`: build it, then run it with [`all`](Select::all),
/// [`first`](Select::first), [`one`](Select::one), [`one_or_none`](Select::one_or_none) or
/// [`count`](Select::count).
///
/// ```
/// # use flask_sqlalchemy::{Engine, EngineOptions, MetaData, Model};
/// #[derive(Debug, Model)]
/// struct Post {
///     #[model(primary_key)]
///     id: i64,
///     title: String,
///     views: i64,
/// }
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), flask_sqlalchemy::Error> {
/// # let db = Engine::connect("sqlite://", "".as_ref(), EngineOptions::default()).await?;
/// # db.create_all(&MetaData::new().register::<Post>()).await?;
/// # for (t, v) in [("Rust tips", 10), ("rusty nails", 3), ("Go", 7)] {
/// #     db.insert(&mut Post { id: 0, title: t.into(), views: v }).await?;
/// # }
/// let popular: Vec<Post> = db
///     .select::<Post>()
///     .filter(Post::title.ilike("%rust%").and(Post::views.ge(5)))
///     .order_by(Post::views.desc())
///     .limit(10)
///     .all()
///     .await?;
/// assert_eq!(popular.len(), 1);
/// assert_eq!(db.select::<Post>().filter(Post::views.lt(8)).count().await?, 2);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Select<'e, M> {
    runner: Runner<'e>,
    stmt: SelectStatement,
    /// The filters alone, for bulk `update` and `delete`.
    pub(crate) filters: Vec<Expr>,
    limit: Option<u64>,
    offset: Option<u64>,
    /// Whether a table is joined (bulk update and delete refuse then).
    has_join: bool,
    /// Whether rows are distinct (a count must keep the columns then).
    distinct: bool,
    /// A mistake found while building (an unknown `filter_by` column), reported when run.
    error: Option<String>,
    /// Whether the rows come from a union or a common table expression, not the table
    /// (bulk update and delete refuse then).
    derived: bool,
    /// Where the tables of other binds are, when the query came from a handler's `Db` or
    /// `DbSession`: `selectinload` runs its query on the related table's database.
    route: Option<Route<'e>>,
    _model: PhantomData<fn() -> M>,
}

/// A handler's `Db` or `DbSession`, which knows each table's database.
#[derive(Clone, Copy)]
pub(crate) struct Route<'e>(&'e dyn super::relation::Executor);

impl std::fmt::Debug for Route<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Route")
    }
}

impl<M: Model> Clone for Select<'_, M> {
    /// The same query, to run twice (a count and a page) or to build two queries on.
    fn clone(&self) -> Self {
        self.clone_query()
    }
}

impl Engine {
    /// A query for rows of `M` (SQLAlchemy's `select(Post)`), each statement on its own.
    pub fn select<M: Model>(&self) -> Select<'_, M> {
        Select::on(Runner::Engine(self))
    }
}

impl<'e, M: Model> Select<'e, M> {
    /// What the query runs on, for as long as it can.
    pub(crate) fn runner_copy(&self) -> Runner<'e> {
        self.runner
    }

    /// Where statements about `table` run: its own database when the query knows each
    /// table's (it came from a handler's `Db` or `DbSession`), else where this query runs.
    pub(crate) fn runner_for(&self, table: &'static super::Table) -> Runner<'e> {
        self.route.map_or(self.runner, |r| r.0.run_for(table).0)
    }

    /// The same query, knowing each table's database through `executor`.
    #[cfg_attr(not(feature = "flask"), allow(dead_code))]
    pub(crate) fn routed(mut self, executor: &'e dyn super::relation::Executor) -> Self {
        self.route = Some(Route(executor));
        self
    }

    pub(crate) fn on(runner: Runner<'e>) -> Self {
        Select {
            runner,
            stmt: super::ops::select_all::<M>(),
            filters: Vec::new(),
            limit: None,
            offset: None,
            has_join: false,
            distinct: false,
            error: None,
            derived: false,
            route: None,
            _model: PhantomData,
        }
    }

    /// A query of the rows `stmt` reads (a union, a common table expression), on the same
    /// runner, carrying `error`.
    pub(crate) fn derived(&self, stmt: SelectStatement, error: Option<String>) -> Self {
        Select {
            runner: self.runner,
            stmt,
            filters: Vec::new(),
            limit: None,
            offset: None,
            has_join: false,
            distinct: false,
            error,
            derived: true,
            route: self.route,
            _model: PhantomData,
        }
    }
}

impl<M: Model> Select<'_, M> {
    /// Keeps the rows that match (several filters must all match).
    #[must_use]
    pub fn filter(mut self, filter: Filter) -> Self {
        self.stmt.and_where(filter.0.clone());
        self.filters.push(filter.0);
        self
    }

    /// `column = value` by the column's name, like SQLAlchemy's `filter_by(name=value)`. An
    /// unknown name is an error when the query runs, naming the columns there are.
    #[must_use]
    pub fn filter_by(mut self, column: &str, value: impl Into<crate::Value>) -> Self {
        match M::TABLE.columns.iter().find(|c| c.name == column) {
            Some(c) => {
                let expr = Expr::col((M::TABLE.name, c.name)).eq(sea_value(&value.into(), c.ty));
                self.stmt.and_where(expr.clone());
                self.filters.push(expr);
            }
            None => {
                let names: Vec<&str> = M::TABLE.columns.iter().map(|c| c.name).collect();
                self.error.get_or_insert(format!(
                    "filter_by: {} has no column {column:?}; its columns are {}",
                    M::TABLE.name,
                    names.join(", ")
                ));
            }
        }
        self
    }

    /// Orders the rows (call again for a second key).
    #[must_use]
    pub fn order_by(mut self, order: OrderBy) -> Self {
        match order.nulls {
            Some(nulls) => self
                .stmt
                .order_by_expr_with_nulls(order.expr, order.order, nulls),
            None => self.stmt.order_by_expr(order.expr, order.order),
        };
        self
    }

    /// Joins the table of `rel`'s related model (`INNER JOIN`, through the association
    /// table for a many-to-many), so filters and orderings can use its columns:
    /// `select::<Post>().join(Post::author).filter(User::name.eq("ann"))`. The relationship
    /// may start from a model joined before (`.join(Post::author).join(User::team)`).
    /// Joining a to-many relationship repeats a row once per match: add
    /// [`distinct`](Select::distinct).
    #[must_use]
    pub fn join<A: Model, R: Model, K>(self, rel: Rel<A, R, K>) -> Self {
        self.join_kind(rel, JoinType::InnerJoin)
    }

    /// As [`join`](Select::join), with a `LEFT OUTER JOIN`: rows without a related row stay
    /// (their related columns are `NULL`; `filter(User::id.is_null())` finds them).
    #[must_use]
    pub fn outerjoin<A: Model, R: Model, K>(self, rel: Rel<A, R, K>) -> Self {
        self.join_kind(rel, JoinType::LeftJoin)
    }

    fn join_kind<A: Model, R: Model, K>(mut self, rel: Rel<A, R, K>, kind: JoinType) -> Self {
        if let Err(e) = rel.join_into(&mut self.stmt, kind, None) {
            self.error.get_or_insert(e.to_string());
        }
        self.has_join = true;
        self
    }

    /// Each distinct row once (`SELECT DISTINCT`).
    #[must_use]
    pub fn distinct(mut self) -> Self {
        self.stmt.distinct();
        self.distinct = true;
        self
    }

    /// At most `n` rows.
    #[must_use]
    pub fn limit(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self
    }

    /// Skips the first `n` rows.
    #[must_use]
    pub fn offset(mut self, n: u64) -> Self {
        self.offset = Some(n);
        self
    }

    /// SQLAlchemy's `with_for_update()`: `SELECT ... FOR UPDATE`, which locks the rows it
    /// reads until the transaction ends, so run it in a [`Session`](crate::Session). With
    /// [`ForUpdate::nowait`] a row another transaction holds is an error at once instead of
    /// a wait; with [`ForUpdate::skip_locked`] such rows are left out (a job queue's "take
    /// the next free row"). PostgreSQL and MySQL/MariaDB lock; SQLite has no row locks (a
    /// writing transaction holds the whole database) and runs the query without the clause,
    /// as SQLAlchemy does there.
    ///
    /// ```
    /// # use flask_sqlalchemy::{Engine, EngineOptions, ForUpdate, MetaData, Model};
    /// #[derive(Debug, Model)]
    /// struct Job {
    ///     #[model(primary_key)]
    ///     id: i64,
    ///     done: bool,
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), flask_sqlalchemy::Error> {
    /// # let db = Engine::connect("sqlite://", "".as_ref(), EngineOptions::default()).await?;
    /// # db.create_all(&MetaData::new().register::<Job>()).await?;
    /// # db.insert(&mut Job { id: 0, done: false }).await?;
    /// let session = db.session();
    /// let next = session
    ///     .select::<Job>()
    ///     .filter(Job::done.eq(false))
    ///     .order_by(Job::id.asc())
    ///     .limit(1)
    ///     .with_for_update(ForUpdate::new().skip_locked())
    ///     .first()
    ///     .await?;
    /// if let Some(mut job) = next {
    ///     job.done = true;
    ///     session.add(&mut job).await?;
    /// }
    /// session.commit().await?;
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn with_for_update(mut self, lock: ForUpdate) -> Self {
        let kind = sea_query::LockType::Update;
        match lock.behavior {
            Some(b) => self.stmt.lock_with_behavior(kind, b),
            None => self.stmt.lock(kind),
        };
        self
    }

    /// The same query, to run twice (a count and a page).
    pub(crate) fn clone_query(&self) -> Self {
        Select {
            runner: self.runner,
            stmt: self.stmt.clone(),
            filters: self.filters.clone(),
            limit: self.limit,
            offset: self.offset,
            has_join: self.has_join,
            distinct: self.distinct,
            error: self.error.clone(),
            derived: self.derived,
            route: self.route,
            _model: PhantomData,
        }
    }

    /// What the query runs on.
    pub(crate) fn runner(&self) -> Runner<'_> {
        self.runner
    }

    /// The statement being built.
    pub(crate) fn stmt_mut(&mut self) -> &mut SelectStatement {
        &mut self.stmt
    }

    /// Whether a table is joined.
    pub(crate) fn has_join(&self) -> bool {
        self.has_join
    }

    /// The mistake found while building, if any.
    pub(crate) fn error_message(&self) -> Option<String> {
        self.error.clone()
    }

    /// The statement (as [`statement`](Select::statement)) and the mistake found while
    /// building, if any.
    pub(crate) fn into_parts(self) -> (SelectStatement, Option<String>) {
        let stmt = self.statement();
        (stmt, self.error)
    }

    /// Whether the rows come from a union or a common table expression.
    pub(crate) fn is_derived(&self) -> bool {
        self.derived
    }

    pub(crate) fn check(&self) -> Result<(), Error> {
        match &self.error {
            Some(e) => Err(Error::Bind(e.clone())),
            None => Ok(()),
        }
    }

    /// The statement with its limit and offset as bound values, for a subquery or a
    /// statement built on (SQLite and MySQL need a LIMIT for an OFFSET).
    pub(crate) fn statement(&self) -> SelectStatement {
        self.statement_capped(None)
    }

    /// The limit, at most `cap` when there is one.
    fn capped(&self, cap: Option<u64>) -> Option<u64> {
        match (self.limit, cap) {
            (Some(a), Some(b)) => Some(Ord::min(a, b)),
            (a, b) => a.or(b),
        }
    }

    /// [`statement`](Select::statement) returning at most `cap` rows (what `first` and
    /// `one` need), whatever limit the query had.
    pub(crate) fn statement_capped(&self, cap: Option<u64>) -> SelectStatement {
        let mut stmt = self.stmt.clone();
        let limit = self.capped(cap);
        if let Some(n) = limit {
            stmt.limit(n);
        }
        if let Some(n) = self.offset {
            stmt.offset(n);
            if limit.is_none() {
                match self.runner.dialect() {
                    crate::Dialect::Sqlite => {
                        stmt.limit(i64::MAX.unsigned_abs());
                    }
                    crate::Dialect::MySql => {
                        stmt.limit(u64::MAX);
                    }
                    crate::Dialect::Postgres => {}
                }
            }
        }
        stmt
    }

    /// Runs the query for its rows, at most `cap` of them. On SQLite the limit and offset
    /// are written into the SQL as numbers (integers, nothing to inject): SQLite plans a
    /// literal `LIMIT` faster than a bound one. Elsewhere they stay bound, so the statement
    /// is the same for every page and the driver's statement cache keeps it.
    async fn fetch(&self, cap: Option<u64>) -> Result<Vec<M>, Error> {
        self.check()?;
        let dialect = self.runner.dialect();
        if dialect != crate::Dialect::Sqlite {
            return super::ops::fetch_models::<M>(self.runner, &self.statement_capped(cap)).await;
        }
        let (mut sql, values) = crate::engine::exec::build(&self.stmt, dialect);
        let one = self.capped(cap) == Some(1);
        match (self.capped(cap), self.offset) {
            (Some(n), _) => sql.push_str(&format!(" LIMIT {n}")),
            (None, Some(_)) => sql.push_str(" LIMIT -1"),
            (None, None) => {}
        }
        if let Some(n) = self.offset {
            sql.push_str(&format!(" OFFSET {n}"));
        }
        let args = crate::engine::exec::Args::Sea(values);
        let rows = if one {
            self.runner.fetch_first(sql.into(), args).await?
        } else {
            self.runner.fetch(sql.into(), args).await?
        };
        super::ops::read_models::<M>(rows)
    }

    /// Every matching row.
    pub async fn all(self) -> Result<Vec<M>, Error> {
        self.fetch(None).await
    }

    /// The first matching row, if any.
    pub async fn first(self) -> Result<Option<M>, Error> {
        Ok(self.fetch(Some(1)).await?.into_iter().next())
    }

    /// The one matching row: no row is [`Error::NoResultFound`], more than one
    /// [`Error::MultipleResultsFound`] (SQLAlchemy's `one()`).
    pub async fn one(self) -> Result<M, Error> {
        let table = M::TABLE.name;
        self.one_or_none()
            .await?
            .ok_or(Error::NoResultFound { table })
    }

    /// The matching row, or `None`; more than one is [`Error::MultipleResultsFound`].
    pub async fn one_or_none(self) -> Result<Option<M>, Error> {
        let mut rows = self.fetch(Some(2)).await?;
        if rows.len() > 1 {
            return Err(Error::MultipleResultsFound {
                table: M::TABLE.name,
            });
        }
        Ok(rows.pop())
    }

    /// How many rows match (limit and offset included, as SQLAlchemy counts a subquery).
    pub async fn count(self) -> Result<i64, Error> {
        self.check()?;
        let mut inner = self.statement();
        inner.clear_order_by();
        if !self.distinct {
            // One row per row (or per group) is all a count needs, and a grouped query
            // could not select the model's other columns anyway.
            inner.clear_selects();
            inner.expr(Expr::cust("1"));
        }
        let mut q = Query::select();
        q.expr(Func::count(Expr::col(Asterisk)))
            .from_subquery(inner, "anon_1");
        let read = |e: sqlx::Error| Error::Decode(format!("cannot read a count: {e}"));
        match self.runner.fetch_stmt(&q).await? {
            Rows::Sqlite(rows) => rows.first().map(|r| r.try_get::<i64, _>(0)),
            Rows::Postgres(rows) => rows.first().map(|r| r.try_get::<i64, _>(0)),
            Rows::MySql(rows) => rows.first().map(|r| r.try_get::<i64, _>(0)),
        }
        .unwrap_or(Ok(0))
        .map_err(read)
    }
}
