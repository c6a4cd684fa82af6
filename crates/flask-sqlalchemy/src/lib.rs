//! Flask-SQLAlchemy for flask-rs, on sqlx: SQLite (bundled), PostgreSQL and MySQL/MariaDB
//! from one `SQLALCHEMY_DATABASE_URI`.
//!
//! ```
//! use flask_sqlalchemy::{Engine, EngineOptions, MetaData, Model};
//!
//! #[derive(Debug, Model)]
//! struct User {
//!     #[model(primary_key)]
//!     id: i64,
//!     #[model(max_length = 80, unique)]
//!     name: String,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), flask_sqlalchemy::Error> {
//! let db = Engine::connect("sqlite://", "instance".as_ref(), EngineOptions::default()).await?;
//! db.create_all(&MetaData::new().register::<User>()).await?;
//!
//! let session = db.session();
//! let mut ada = User { id: 0, name: "Ada".into() };
//! session.add(&mut ada).await?; // ada.id is numbered now, in the transaction
//! session.commit().await?;
//!
//! // Every value is a bound parameter: this is matched literally.
//! let found = db.select::<User>().filter(User::name.ilike("ada")).one().await?;
//! assert_eq!(found.id, ada.id);
//! # Ok(()) }
//! ```
//!
//! What it has:
//!
//! - engines from URIs with Flask-SQLAlchemy's meaning ([`DatabaseUri`]), pools with
//!   SQLAlchemy's options ([`EngineOptions`]), raw SQL with named, always-bound parameters
//!   ([`text`]), echo through `tracing`, recorded queries;
//! - models: `#[derive(Model)]` with table metadata as data ([`Model::TABLE`]), column types
//!   from integers to dates, UUIDs, decimals, [`Json<T>`] and `#[derive(Enum)]` enums,
//!   constraints, defaults, [`Engine::create_all`];
//! - the [`Session`]: a unit of work on one transaction, with an identity map of
//!   [`Tracked`] objects, changes found and flushed in dependency order, autoflush, and
//!   savepoints;
//! - typed queries ([`Engine::select`]): filters, joins, aggregates ([`func`]), `exists` and
//!   subqueries, bulk update and delete, [`Pagination`] and keyset pages ([`KeysetPage`]);
//! - relationships ([`Rel`]) loaded explicitly or eagerly without N+1 queries, with cascades;
//! - model [`Events`] and `models_committed`;
//! - with the default `flask` feature, the `SQLAlchemy` extension: config (binds included),
//!   the `Db` and `DbSession` extractors, the `db` commands, the `*_or_404` helpers, and
//!   each request's SQL on the debug page.
//!
//! The guide is `docs/orm.md`.
//!
//! The ORM core depends on nothing of the web framework, so it also works in scripts,
//! workers and tests without an app.
//!
//! The whole guide page, from the repository's `docs/orm.md`, is the [`guide`] module.

mod engine;
mod error;
mod events;
#[cfg(feature = "flask")]
mod flask_ext;
pub mod guide;
mod model;
mod row;
mod session;
mod text;
mod value;

pub use engine::{
    DatabaseUri, Dialect, Engine, EngineOptions, RecordedQuery, SqliteLocation, SqlxPool,
};
pub use error::Error;
pub use events::{Change, Events, ModelEvent, Operation};
#[cfg(feature = "flask")]
pub use flask_ext::{Db, DbSession, PageArgs, SQLAlchemy, get_recorded_queries};
pub use flask_sqlalchemy_macros::{Enum, Model};
pub use model::{
    Assign, Col, Column, ColumnSelect, ColumnType, Columns, DynCol, Executor, FieldType, Filter,
    ForUpdate, ForeignKey, IntoExpr, Joined, Joined2, Joined3, Json, KeysetPage, LIKE_ESCAPE,
    Loads, ManyToMany, MetaData, Model, Nullable, Numeric, OrderBy, Pagination, ReferentialAction,
    Rel, RelationKind, Relationship, Scalar, Select, SelectIn, SqlExpr, Summable, Table,
    TableIndex, Textual, ToMany, ToOne, escape_like, exists, func,
};
pub use row::Row;
pub use session::{ObjectState, Savepoint, Session, Tracked};
pub use text::{TextQuery, text};
pub use value::Value;

/// The DDL `create_all` writes, for the migrations crate: a column's SQL type and server
/// default on each database.
pub mod ddl {
    pub use crate::model::ddl::{server_default_sql, set_column_type};
}

/// What `#[derive(Model)]` refers to; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::model::RunOn;
    pub use sqlx;
}
