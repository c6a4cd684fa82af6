//! Queries built from queries: `UNION` / `UNION ALL`, common table expressions (`WITH`,
//! recursive too, for trees), and typed rows from hand-written SQL (`from_statement`).

use sea_query::{
    Alias, CommonTableExpression, Expr, ExprTrait, JoinType, Query, SelectStatement, UnionType,
    WithClause,
};

use super::{Col, FieldType, Model, Select};
use crate::engine::exec::{Args, Rows, Runner};
use crate::{Engine, Error, Session, TextQuery};

/// `SELECT <M's columns> FROM (<inner>) AS <M's table>`: the rows of `inner` under the
/// model's table name, so filters, orderings and joins written for the model apply to them.
fn rows_of<M: Model>(inner: SelectStatement) -> SelectStatement {
    let table = &M::TABLE;
    let mut q = Query::select();
    q.columns(table.columns.iter().map(|c| (table.name, c.name)))
        .from_subquery(inner, table.name);
    q
}

/// `SELECT <M's columns> FROM <name> AS <M's table>`, with `with` in front.
fn rows_of_cte<M: Model>(name: &str, with: WithClause) -> SelectStatement {
    let table = &M::TABLE;
    let mut q = Query::select();
    q.columns(table.columns.iter().map(|c| (table.name, c.name)))
        .from_as(Alias::new(name), table.name)
        .with_cte(with);
    q
}

impl<'e, M: Model> Select<'e, M> {
    /// The rows of this query and of `other`, each once (SQLAlchemy's `union(a, b)`); what
    /// follows (filters, ordering, limits, joins, `count`) applies to the union:
    ///
    /// ```
    /// # use flask_sqlalchemy::{Engine, EngineOptions, MetaData, Model};
    /// # #[derive(Debug, Model)]
    /// # struct Post { #[model(primary_key)] id: i64, title: String, views: i64 }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), flask_sqlalchemy::Error> {
    /// # let db = Engine::connect("sqlite://", "".as_ref(), EngineOptions::default()).await?;
    /// # db.create_all(&MetaData::new().register::<Post>()).await?;
    /// # for (t, v) in [("a", 1), ("b", 50), ("c", 5)] { db.insert(&mut Post { id: 0, title: t.into(), views: v }).await?; }
    /// let newest = db.select::<Post>().order_by(Post::id.desc()).limit(1);
    /// let popular = db.select::<Post>().filter(Post::views.ge(10));
    /// let front_page = newest.union(popular).order_by(Post::id.asc()).all().await?;
    /// assert_eq!(front_page.iter().map(|p| p.title.as_str()).collect::<Vec<_>>(), ["b", "c"]);
    /// # Ok(()) }
    /// ```
    ///
    /// Each side keeps its own ordering and limit. Bulk `update` and `delete` refuse a
    /// union (filter the table instead).
    #[must_use]
    pub fn union(self, other: Select<'_, M>) -> Self {
        self.compound(other, UnionType::Distinct)
    }

    /// The rows of this query and of `other`, duplicates kept (SQLAlchemy's
    /// `union_all(a, b)`); see [`union`](Select::union).
    #[must_use]
    pub fn union_all(self, other: Select<'_, M>) -> Self {
        self.compound(other, UnionType::All)
    }

    fn compound(self, other: Select<'_, M>, kind: UnionType) -> Self {
        let (second, second_error) = other.into_parts();
        let error = self.error_message().or(second_error);
        let mut union = rows_of::<M>(self.statement());
        union.union(kind, rows_of::<M>(second));
        self.derived(rows_of::<M>(union), error)
    }

    /// This query as a common table expression named `name` (SQLAlchemy's `.cte(name)`),
    /// read as rows of `M`: `WITH name AS (<query>) SELECT .. FROM name`. What follows
    /// applies to the rows of the expression.
    #[must_use]
    pub fn cte(self, name: &str) -> Self {
        let error = self.error_message();
        let mut cte = CommonTableExpression::new();
        cte.query(rows_of::<M>(self.statement()))
            .columns(M::TABLE.columns.iter().map(|c| Alias::new(c.name)))
            .table_name(Alias::new(name));
        let with = WithClause::new().cte(cte).to_owned();
        self.derived(rows_of_cte::<M>(name, with), error)
    }

    /// The rows this query finds and, level by level, the rows whose `parent` column holds
    /// the primary key of a row found before: a whole subtree, with a recursive common table
    /// expression (`WITH RECURSIVE`, SQLAlchemy's `cte(recursive=True)` with a `union`):
    ///
    /// ```
    /// # use flask_sqlalchemy::{Engine, EngineOptions, MetaData, Model};
    /// #[derive(Debug, Model)]
    /// struct Category {
    ///     #[model(primary_key)]
    ///     id: i64,
    ///     parent_id: Option<i64>,
    ///     name: String,
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), flask_sqlalchemy::Error> {
    /// # let db = Engine::connect("sqlite://", "".as_ref(), EngineOptions::default()).await?;
    /// # db.create_all(&MetaData::new().register::<Category>()).await?;
    /// # for (p, n) in [(None, "all"), (Some(1), "books"), (Some(2), "novels"), (Some(1), "music")] {
    /// #     db.insert(&mut Category { id: 0, parent_id: p, name: n.into() }).await?;
    /// # }
    /// let books = db
    ///     .select::<Category>()
    ///     .filter(Category::name.eq("books"))
    ///     .descendants(Category::parent_id)
    ///     .order_by(Category::id.asc())
    ///     .all()
    ///     .await?;
    /// assert_eq!(books.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["books", "novels"]);
    /// # Ok(()) }
    /// ```
    ///
    /// Rows are found once each, so a cycle in the data ends the walk instead of looping.
    #[must_use]
    pub fn descendants<T: FieldType>(self, parent: Col<M, T>) -> Self {
        self.walk(parent, true)
    }

    /// The rows this query finds and, level by level, the rows their `parent` column points
    /// at: the path up to the root (see [`descendants`](Select::descendants)).
    #[must_use]
    pub fn ancestors<T: FieldType>(self, parent: Col<M, T>) -> Self {
        self.walk(parent, false)
    }

    fn walk<T: FieldType>(self, parent: Col<M, T>, down: bool) -> Self {
        let table = &M::TABLE;
        let mut error = self.error_message();
        let key = match super::single_key(table) {
            Ok(key) => key.name,
            Err(e) => {
                error.get_or_insert(e.to_string());
                "id"
            }
        };
        let parent = parent.column().name;
        let name = format!("{}_tree", table.name);
        let tree = Alias::new(&name);
        let mut step = Query::select();
        step.columns(table.columns.iter().map(|c| (table.name, c.name)))
            .from(table.name);
        let on = if down {
            Expr::col((table.name, parent)).equals((tree.clone(), key))
        } else {
            Expr::col((table.name, key)).equals((tree.clone(), parent))
        };
        step.join(JoinType::InnerJoin, tree.clone(), on);
        let mut body = rows_of::<M>(self.statement());
        // UNION, not UNION ALL: a row found again adds nothing, so a cycle ends.
        body.union(UnionType::Distinct, step);
        let mut cte = CommonTableExpression::new();
        cte.query(body)
            .columns(table.columns.iter().map(|c| Alias::new(c.name)))
            .table_name(tree);
        let with = WithClause::new().recursive(true).cte(cte).to_owned();
        self.derived(rows_of_cte::<M>(&name, with), error)
    }
}

impl Engine {
    /// Rows of `M` from hand-written SQL (SQLAlchemy's `select(Post).from_statement(text(..))`):
    /// the statement must return `M`'s columns, by name, in the model's order (`SELECT
    /// post.* ...` does); another shape is an error naming the columns it expects.
    pub async fn from_statement<M: Model>(&self, query: TextQuery) -> Result<Vec<M>, Error> {
        from_statement(Runner::Engine(self), query).await
    }
}

impl Session {
    /// [`Engine::from_statement`] in the session's transaction.
    pub async fn from_statement<M: Model>(&self, query: TextQuery) -> Result<Vec<M>, Error> {
        from_statement(Runner::Session(self), query).await
    }
}

async fn from_statement<M: Model>(runner: Runner<'_>, query: TextQuery) -> Result<Vec<M>, Error> {
    use sqlx::{Column as _, Row as _};
    let (sql, values) = query.compile(runner.dialect())?;
    let rows = runner.fetch(sql.into(), Args::Ours(values)).await?;
    let names: Option<Vec<String>> = match &rows {
        Rows::Sqlite(r) => r
            .first()
            .map(|r| r.columns().iter().map(|c| c.name().to_owned()).collect()),
        Rows::Postgres(r) => r
            .first()
            .map(|r| r.columns().iter().map(|c| c.name().to_owned()).collect()),
        Rows::MySql(r) => r
            .first()
            .map(|r| r.columns().iter().map(|c| c.name().to_owned()).collect()),
    };
    let wanted: Vec<&str> = M::TABLE.columns.iter().map(|c| c.name).collect();
    if let Some(names) = names {
        let same = names.len() == wanted.len()
            && names
                .iter()
                .zip(&wanted)
                .all(|(a, b)| a.eq_ignore_ascii_case(b));
        if !same {
            return Err(Error::Decode(format!(
                "from_statement::<{}> reads the columns {} in that order, and the statement \
                 returned {}: select them by name, in that order",
                M::TABLE.name,
                wanted.join(", "),
                names.join(", ")
            )));
        }
    }
    super::ops::read_models::<M>(rows)
}
