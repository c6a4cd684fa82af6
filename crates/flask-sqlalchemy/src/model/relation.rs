//! Relationships between models: many-to-one, one-to-many and many-to-many through an
//! association table, loaded explicitly or eagerly without N+1 queries.

use std::collections::HashMap;
use std::marker::PhantomData;

use sea_query::{Expr, ExprTrait, Order, Query, SelectStatement};

use super::ops::{fetch_models, sea_value};
use super::{Column, Model, Table};
use crate::engine::exec::{Rows, Runner};
use crate::{Engine, Error, Session, Value};

/// Statements run on it: an [`Engine`] (each statement on its own) or a [`Session`] (in
/// its transaction), and in handlers `Db` and `DbSession`.
///
/// Only this crate implements it.
pub trait Executor: Sync {
    /// Where the statements run.
    #[doc(hidden)]
    fn run_on(&self) -> RunOn<'_>;

    /// Where the statements about `table` run (a handler's `Db` follows the table's bind).
    #[doc(hidden)]
    fn run_for(&self, table: &'static Table) -> RunOn<'_> {
        let _ = table;
        self.run_on()
    }
}

/// Where statements run; not part of the API.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct RunOn<'a>(pub(crate) Runner<'a>);

impl Executor for Engine {
    fn run_on(&self) -> RunOn<'_> {
        RunOn(Runner::Engine(self))
    }
}

impl Executor for Session {
    fn run_on(&self) -> RunOn<'_> {
        RunOn(Runner::Session(self))
    }
}

/// How a relationship finds its rows.
#[derive(Debug, Clone, Copy)]
pub enum RelationKind {
    /// This model's `column` holds the related row's primary key (`Post.author`).
    ManyToOne {
        /// The column of this model's table.
        column: &'static str,
    },
    /// The related model's `column` holds this row's primary key (`User.posts`).
    OneToMany {
        /// The column of the related table.
        column: &'static str,
    },
    /// Rows of an association table link the two (`Post.tags` through `post_tag`).
    ManyToMany {
        /// The association table.
        secondary: fn() -> &'static Table,
        /// Its column holding this row's primary key.
        local: &'static str,
        /// Its column holding the related row's primary key.
        remote: &'static str,
    },
}

/// One relationship declared on a model (`#[model(belongs_to(..))]`, `has_many`,
/// `many_to_many`), as data.
#[derive(Debug, Clone, Copy)]
pub struct Relationship {
    /// Its name (`author`, `posts`).
    pub name: &'static str,
    /// The related model's table.
    pub target: fn() -> &'static Table,
    /// How the rows are found.
    pub kind: RelationKind,
    /// Deleting a row through the ORM deletes its related rows first (`cascade = "delete"`,
    /// one-to-many only). Association rows of a many-to-many go with the row anyway.
    pub cascade_delete: bool,
    /// How the related rows are ordered when loaded (`order_by = "created desc, id"`,
    /// SQLAlchemy's `relationship(order_by=..)`): fields of the related model, each with
    /// whether it is descending; then by primary key.
    pub order_by: &'static [(&'static str, bool)],
}

/// Marks a relationship to at most one row (many-to-one): it loads as `Option<R>`.
#[derive(Debug, Clone, Copy)]
pub struct ToOne;

/// Marks a one-to-many relationship: it loads as `Vec<R>`.
#[derive(Debug, Clone, Copy)]
pub struct ToMany;

/// Marks a many-to-many relationship: it loads as `Vec<R>`, and links are added and
/// removed with [`Rel::link`] and [`Rel::unlink`].
#[derive(Debug, Clone, Copy)]
pub struct ManyToMany;

/// What a relationship loads as, for each kind.
pub trait Loads<R> {
    /// `Option<R>` or `Vec<R>`.
    type Output: Send;
    /// The related rows of one parent, from the rows found for its key.
    #[doc(hidden)]
    fn pick(rows: Option<&Vec<R>>) -> Self::Output;
}

impl<R: Clone + Send> Loads<R> for ToOne {
    type Output = Option<R>;
    fn pick(rows: Option<&Vec<R>>) -> Option<R> {
        rows.and_then(|r| r.first().cloned())
    }
}

impl<R: Clone + Send> Loads<R> for ToMany {
    type Output = Vec<R>;
    fn pick(rows: Option<&Vec<R>>) -> Vec<R> {
        rows.cloned().unwrap_or_default()
    }
}

impl<R: Clone + Send> Loads<R> for ManyToMany {
    type Output = Vec<R>;
    fn pick(rows: Option<&Vec<R>>) -> Vec<R> {
        rows.cloned().unwrap_or_default()
    }
}

/// A relationship of `M` to `R`, typed: what `Post::author` or `User::posts` is (the derive
/// makes one per declared relationship).
///
/// ```
/// use flask_sqlalchemy::{Engine, EngineOptions, MetaData, Model};
///
/// #[derive(Debug, Clone, Model)]
/// #[model(has_many(posts: Post, key = author_id))]
/// struct User {
///     #[model(primary_key)]
///     id: i64,
///     name: String,
/// }
///
/// #[derive(Debug, Clone, Model)]
/// #[model(belongs_to(author: User, key = author_id))]
/// struct Post {
///     #[model(primary_key)]
///     id: i64,
///     #[model(foreign_key = "user.id")]
///     author_id: i64,
///     title: String,
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), flask_sqlalchemy::Error> {
/// let db = Engine::connect("sqlite://", "".as_ref(), EngineOptions::default()).await?;
/// db.create_all(&MetaData::new().register::<User>().register::<Post>()).await?;
/// let mut ann = User { id: 0, name: "ann".into() };
/// db.insert(&mut ann).await?;
/// for title in ["one", "two"] {
///     db.insert(&mut Post { id: 0, author_id: ann.id, title: title.into() }).await?;
/// }
///
/// // Explicit loading, one parent.
/// let posts = User::posts.load(&db, &ann).await?;
/// assert_eq!(posts.len(), 2);
/// let author = Post::author.load(&db, &posts[0]).await?;
/// assert_eq!(author.map(|u| u.name).as_deref(), Some("ann"));
///
/// // Eager loading: one query for the posts, one for all their authors.
/// let rows = db.select::<Post>().selectinload(Post::author).all().await?;
/// assert!(rows.iter().all(|(_post, author)| author.as_ref().is_some_and(|a| a.name == "ann")));
/// # Ok(()) }
/// ```
pub struct Rel<M, R, K> {
    index: usize,
    _types: PhantomData<Types<M, R, K>>,
}

/// What a [`Rel`] is typed by, without owning any of it.
type Types<M, R, K> = fn() -> (M, R, K);

impl<M, R, K> Clone for Rel<M, R, K> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M, R, K> Copy for Rel<M, R, K> {}

impl<M: Model, R, K> std::fmt::Debug for Rel<M, R, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rel = &M::TABLE.relationships[self.index];
        write!(f, "{}.{}", M::TABLE.name, rel.name)
    }
}

/// The first primary key column of `table`, which relationships need to be its only one.
pub(crate) fn single_key(table: &Table) -> Result<&'static Column, Error> {
    let mut keys = table.columns.iter().filter(|c| c.primary_key);
    match (keys.next(), keys.next()) {
        (Some(key), None) => Ok(key),
        _ => Err(Error::Bind(format!(
            "relationships need a single-column primary key, and {} has {}",
            table.name,
            if table.primary_key().count() == 0 {
                "none"
            } else {
                "a composite one"
            }
        ))),
    }
}

/// The column of `table` for the field (or column) `name` a relationship names.
pub(crate) fn column_of(table: &Table, name: &str) -> Result<&'static Column, Error> {
    let by_field = table.columns.iter().find(|c| c.field == name);
    by_field.or_else(|| table.column(name)).ok_or_else(|| {
        Error::Bind(format!(
            "the relationship names {}.{name}, which is not a column",
            table.name
        ))
    })
}

/// A value as a map key (`None` for `NULL`: it matches nothing).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

pub(crate) fn key(value: &Value) -> Option<Key> {
    Some(match value {
        Value::Null => return None,
        Value::Bool(b) => Key::Int(i64::from(*b)),
        Value::Int(i) => Key::Int(*i),
        // A key read back as text (SQLite keeps dates and decimals as text) matches the
        // typed value it was written from: both are compared as text.
        Value::Text(s) => Key::Text(s.clone()),
        Value::Bytes(b) => Key::Bytes(b.clone()),
        Value::Float(f) => Key::Text(f.to_string()),
        Value::Json(j) => Key::Text(j.to_string()),
        Value::Uuid(u) => Key::Bytes(u.as_bytes().to_vec()),
        Value::Date(d) => Key::Text(d.to_string()),
        Value::Time(t) => Key::Text(t.to_string()),
        Value::DateTime(t) => Key::Text(t.to_string()),
        Value::DateTimeUtc(t) => Key::Text(t.to_rfc3339()),
        Value::Decimal(d) => Key::Text(d.normalize().to_string()),
    })
}

/// How many keys go into one `IN (...)` (SQLAlchemy's selectinload batches 500).
const CHUNK: usize = 500;

impl<M: Model, R: Model, K> Rel<M, R, K> {
    /// The relationship at `index` of `M`'s table (what the derive writes).
    #[doc(hidden)]
    pub const fn new(index: usize) -> Self {
        Rel {
            index,
            _types: PhantomData,
        }
    }

    /// The relationship's metadata.
    pub fn relationship(&self) -> &'static Relationship {
        &M::TABLE.relationships[self.index]
    }

    /// The value of `parent` that the related rows are found by: its foreign key
    /// (many-to-one) or its primary key.
    fn parent_key(&self, parent: &M) -> Result<Value, Error> {
        let column = match self.relationship().kind {
            RelationKind::ManyToOne { column } => column_of(&M::TABLE, column)?,
            _ => single_key(&M::TABLE)?,
        };
        let at = M::TABLE
            .columns
            .iter()
            .position(|c| c.name == column.name)
            .unwrap_or(0);
        Ok(parent.values().into_iter().nth(at).unwrap_or(Value::Null))
    }

    /// The related rows of every key in `keys`, grouped by key: one query per 500 keys.
    async fn rows_by_key(
        &self,
        runner: Runner<'_>,
        keys: Vec<Value>,
    ) -> Result<HashMap<Key, Vec<R>>, Error> {
        let mut out: HashMap<Key, Vec<R>> = HashMap::new();
        let rel = self.relationship();
        let target = &R::TABLE;
        let target_key = single_key(target)?;
        for chunk in keys.chunks(CHUNK) {
            let values = |col: &Column| -> Vec<sea_query::Value> {
                chunk.iter().map(|k| sea_value(k, col.ty)).collect()
            };
            match rel.kind {
                RelationKind::ManyToOne { .. } | RelationKind::OneToMany { .. } => {
                    // Found by the target's primary key, or by its foreign key to us.
                    let by = match rel.kind {
                        RelationKind::OneToMany { column } => column_of(target, column)?,
                        _ => target_key,
                    };
                    let mut q = super::ops::select_all::<R>();
                    q.and_where(Expr::col((target.name, by.name)).is_in(values(by)));
                    order_related(&mut q, rel, target)?;
                    q.order_by((target.name, target_key.name), Order::Asc);
                    let at = target.columns.iter().position(|c| c.name == by.name);
                    for row in fetch_models::<R>(runner, &q).await? {
                        let k = at.and_then(|i| row.values().get(i).and_then(key));
                        if let Some(k) = k {
                            out.entry(k).or_default().push(row);
                        }
                    }
                }
                RelationKind::ManyToMany {
                    secondary,
                    local,
                    remote,
                } => {
                    let secondary = secondary();
                    let local = column_of(secondary, local)?;
                    let remote = column_of(secondary, remote)?;
                    let mut q = super::ops::select_all::<R>();
                    q.column((secondary.name, local.name))
                        .inner_join(
                            secondary.name,
                            Expr::col((secondary.name, remote.name))
                                .equals((target.name, target_key.name)),
                        )
                        .and_where(Expr::col((secondary.name, local.name)).is_in(values(local)));
                    order_related(&mut q, rel, target)?;
                    q.order_by((target.name, target_key.name), Order::Asc);
                    for (k, row) in fetch_with_key::<R>(runner, &q).await? {
                        if let Some(k) = key(&k) {
                            out.entry(k).or_default().push(row);
                        }
                    }
                }
            }
        }
        Ok(out)
    }
}

/// Orders a query of a relationship's rows as the relationship says.
fn order_related(
    q: &mut SelectStatement,
    rel: &Relationship,
    target: &'static Table,
) -> Result<(), Error> {
    for (field, desc) in rel.order_by {
        let column = column_of(target, field)?;
        let order = if *desc { Order::Desc } else { Order::Asc };
        q.order_by((target.name, column.name), order);
    }
    Ok(())
}

/// Runs a SELECT of `M`'s columns and one more, and reads each row as `M` and that value.
async fn fetch_with_key<M: Model>(
    runner: Runner<'_>,
    q: &SelectStatement,
) -> Result<Vec<(Value, M)>, Error> {
    let n = M::TABLE.columns.len();
    let read =
        |e: sqlx::Error| Error::Decode(format!("cannot read a row of {}: {e}", M::TABLE.name));
    match runner.fetch_stmt(q).await? {
        Rows::Sqlite(rows) => rows
            .iter()
            .map(|r| {
                let k = crate::row::value_at(r, n, crate::row::read_sqlite)?;
                Ok((k, M::from_sqlite(r, 0).map_err(read)?))
            })
            .collect(),
        Rows::Postgres(rows) => rows
            .iter()
            .map(|r| {
                let k = crate::row::value_at(r, n, crate::row::read_postgres)?;
                Ok((k, M::from_postgres(r, 0).map_err(read)?))
            })
            .collect(),
        Rows::MySql(rows) => rows
            .iter()
            .map(|r| {
                let k = crate::row::value_at(r, n, crate::row::read_mysql)?;
                Ok((k, M::from_mysql(r, 0).map_err(read)?))
            })
            .collect(),
    }
}

impl<M: Model, R: Model + Clone, K: Loads<R>> Rel<M, R, K> {
    /// The related rows of one `parent` (explicit loading, SQLAlchemy's lazy load): an
    /// `Option<R>` for a many-to-one, a `Vec<R>` otherwise. One query.
    pub async fn load(self, db: &impl Executor, parent: &M) -> Result<K::Output, Error> {
        let mut all = self.load_many(db, std::slice::from_ref(parent)).await?;
        Ok(all.pop().unwrap_or_else(|| K::pick(None)))
    }

    /// The related rows of each of `parents`, in the same order (SQLAlchemy's
    /// `selectinload`): one query for every 500 parents, whatever their number, instead of
    /// one per parent.
    pub async fn load_many(
        self,
        db: &impl Executor,
        parents: &[M],
    ) -> Result<Vec<K::Output>, Error> {
        self.load_many_on(db.run_for(&R::TABLE).0, parents).await
    }

    pub(crate) async fn load_many_on(
        self,
        runner: Runner<'_>,
        parents: &[M],
    ) -> Result<Vec<K::Output>, Error> {
        let values: Vec<Value> = parents
            .iter()
            .map(|p| self.parent_key(p))
            .collect::<Result<_, _>>()?;
        let keys: Vec<Option<Key>> = values.iter().map(key).collect();
        let mut seen = std::collections::HashSet::new();
        let wanted: Vec<Value> = values
            .into_iter()
            .zip(&keys)
            .filter(|(_, k)| k.as_ref().is_some_and(|k| seen.insert(k.clone())))
            .map(|(v, _)| v)
            .collect();
        let found = if wanted.is_empty() {
            HashMap::new()
        } else {
            self.rows_by_key(runner, wanted).await?
        };
        Ok(keys
            .iter()
            .map(|k| K::pick(k.as_ref().and_then(|k| found.get(k))))
            .collect())
    }
}

impl<M: Model, R: Model> Rel<M, R, ManyToMany> {
    /// Links `parent` to `target`: a row in the association table (`post.tags.append(tag)`).
    pub async fn link(self, db: &impl Executor, parent: &M, target: &R) -> Result<(), Error> {
        let (secondary, local, remote, lv, rv) = self.link_row(parent, target)?;
        let mut q = Query::insert();
        q.into_table(secondary.name)
            .columns([local.name, remote.name])
            .values([
                Expr::val(sea_value(&lv, local.ty)),
                Expr::val(sea_value(&rv, remote.ty)),
            ])
            .map_err(|e| Error::Bind(format!("cannot link in {}: {e}", secondary.name)))?;
        db.run_for(secondary).0.execute_stmt(&q).await?;
        Ok(())
    }

    /// Removes the link between `parent` and `target`; returns whether there was one.
    pub async fn unlink(self, db: &impl Executor, parent: &M, target: &R) -> Result<bool, Error> {
        let (secondary, local, remote, lv, rv) = self.link_row(parent, target)?;
        let mut q = Query::delete();
        q.from_table(secondary.name)
            .and_where(Expr::col(local.name).eq(sea_value(&lv, local.ty)))
            .and_where(Expr::col(remote.name).eq(sea_value(&rv, remote.ty)));
        Ok(db
            .run_for(secondary)
            .0
            .execute_stmt(&q)
            .await?
            .rows_affected
            > 0)
    }

    #[allow(clippy::type_complexity)]
    fn link_row(
        &self,
        parent: &M,
        target: &R,
    ) -> Result<
        (
            &'static Table,
            &'static Column,
            &'static Column,
            Value,
            Value,
        ),
        Error,
    > {
        let RelationKind::ManyToMany {
            secondary,
            local,
            remote,
        } = self.relationship().kind
        else {
            return Err(Error::Bind(format!(
                "{self:?} is not a many-to-many relationship"
            )));
        };
        let secondary = secondary();
        let pk_of = |table: &Table, values: Vec<Value>| -> Result<Value, Error> {
            let key = single_key(table)?;
            let at = table.columns.iter().position(|c| c.name == key.name);
            Ok(at
                .and_then(|i| values.into_iter().nth(i))
                .unwrap_or(Value::Null))
        };
        Ok((
            secondary,
            column_of(secondary, local)?,
            column_of(secondary, remote)?,
            pk_of(&M::TABLE, parent.values())?,
            pk_of(&R::TABLE, target.values())?,
        ))
    }
}

impl<M: Model, R: Model, K> Rel<M, R, K> {
    /// `JOIN`s the related table to `q` (`INNER` or `LEFT OUTER`), through the association
    /// table for a many-to-many; the related table keeps its own name (filters on its
    /// columns work), or takes `alias`.
    pub(crate) fn join_into(
        &self,
        q: &mut SelectStatement,
        kind: sea_query::JoinType,
        alias: Option<&str>,
    ) -> Result<(), Error> {
        let rel = self.relationship();
        let target = &R::TABLE;
        let target_name = alias.unwrap_or(target.name).to_owned();
        let on_target = |q: &mut SelectStatement, cond: Expr| match alias {
            Some(a) => {
                q.join_as(kind, target.name, a.to_owned(), cond);
            }
            None => {
                q.join(kind, target.name, cond);
            }
        };
        match rel.kind {
            RelationKind::ManyToOne { column } => {
                let column = column_of(&M::TABLE, column)?;
                let key = single_key(target)?;
                on_target(
                    q,
                    Expr::col((target_name.clone(), key.name)).equals((M::TABLE.name, column.name)),
                );
            }
            RelationKind::OneToMany { column } => {
                let column = column_of(target, column)?;
                let key = single_key(&M::TABLE)?;
                on_target(
                    q,
                    Expr::col((target_name.clone(), column.name)).equals((M::TABLE.name, key.name)),
                );
            }
            RelationKind::ManyToMany {
                secondary,
                local,
                remote,
            } => {
                let secondary = secondary();
                let (local, remote) = (column_of(secondary, local)?, column_of(secondary, remote)?);
                let (mine, theirs) = (single_key(&M::TABLE)?, single_key(target)?);
                q.join(
                    kind,
                    secondary.name,
                    Expr::col((secondary.name, local.name)).equals((M::TABLE.name, mine.name)),
                );
                on_target(
                    q,
                    Expr::col((target_name.clone(), theirs.name))
                        .equals((secondary.name, remote.name)),
                );
            }
        }
        Ok(())
    }
}
