//! Flask-SQLAlchemy for flask-rs, on sqlx: SQLite (bundled), PostgreSQL and MySQL/MariaDB
//! from one `SQLALCHEMY_DATABASE_URI`.
//!
//! Built so far: the engine layer (URIs with Flask-SQLAlchemy's meaning ([`DatabaseUri`]),
//! pools with SQLAlchemy's options ([`EngineOptions`]), raw SQL with named, always-bound
//! parameters ([`text`]), statement echo through `tracing`, recorded queries) and models
//! (`#[derive(Model)]`, table metadata as data, [`Engine::create_all`], [`Engine::insert`],
//! [`Engine::get`], [`Engine::all`], [`Engine::update`], [`Engine::delete`]), typed queries
//! ([`Engine::select`] with `Post::title.like("%x%")`-style filters, bulk update and delete,
//! [`Pagination`]), and, with the default `flask` feature, the `SQLAlchemy` extension with
//! the `Db` extractor. The session (transactions) and relationships come next.
//!
//! ```
//! use flask_sqlalchemy::{Engine, EngineOptions, Value, text};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), flask_sqlalchemy::Error> {
//! let db = Engine::connect("sqlite://", "instance".as_ref(), EngineOptions::default()).await?;
//! db.execute(text("CREATE TABLE user (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")).await?;
//! // A value is always a bound parameter: this name is stored as written.
//! let name = "Robert'); DROP TABLE user; --";
//! db.execute(text("INSERT INTO user (name) VALUES (:name)").bind("name", name)).await?;
//! let count = db.scalar(text("SELECT COUNT(*) FROM user WHERE name = :name").bind("name", name)).await?;
//! assert_eq!(count, Value::Int(1));
//! # Ok(()) }
//! ```
//!
//! The ORM core depends on nothing of the web framework, so it also works in scripts,
//! workers and tests without an app.

mod engine;
mod error;
mod events;
#[cfg(feature = "flask")]
mod flask_ext;
mod model;
mod row;
mod session;
mod text;
mod value;

pub use engine::{DatabaseUri, Dialect, Engine, EngineOptions, RecordedQuery, SqliteLocation};
pub use error::Error;
pub use events::{Change, Events, ModelEvent, Operation};
#[cfg(feature = "flask")]
pub use flask_ext::{Db, DbSession, PageArgs, SQLAlchemy, get_recorded_queries};
pub use flask_sqlalchemy_macros::{Enum, Model};
pub use model::{
    Assign, Col, Column, ColumnSelect, ColumnType, Columns, Executor, FieldType, Filter,
    ForeignKey, IntoExpr, Joined, Json, KeysetPage, Loads, ManyToMany, MetaData, Model, Nullable,
    Numeric, OrderBy, Pagination, ReferentialAction, Rel, RelationKind, Relationship, Scalar,
    Select, SelectIn, SqlExpr, Summable, Table, Textual, ToMany, ToOne, exists, func,
};
pub use row::Row;
pub use session::{Savepoint, Session};
pub use text::{TextQuery, text};
pub use value::Value;

/// What `#[derive(Model)]` refers to; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::model::RunOn;
    pub use sqlx;
}
