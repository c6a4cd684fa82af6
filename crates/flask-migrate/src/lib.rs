//! Flask-Migrate for flask-rs: migrations on sea-orm-migration, written for you from the
//! difference between the flask-sqlalchemy models and the database, on SQLite, PostgreSQL
//! and MySQL/MariaDB.
//!
//! ```
//! use flask_migrate::{Schema, diff, migration_source};
//! use flask_sqlalchemy::{Dialect, MetaData, Model};
//!
//! #[derive(Debug, Model)]
//! struct User {
//!     #[model(primary_key)]
//!     id: i64,
//!     #[model(max_length = 80, unique)]
//!     name: String,
//! }
//!
//! // What the models want, against an empty database: the first migration.
//! let wanted = Schema::from_models(&MetaData::new().register::<User>(), Dialect::Sqlite);
//! let ops = diff(&wanted, &Schema::default(), Dialect::Sqlite, &[]);
//! assert_eq!(ops[0].describe(), "Detected added table 'user'");
//! let source = migration_source("m20261130_120000_initial", "initial", &[], &ops);
//! assert!(source.contains("Op::CreateTable(table(\"user\")"));
//! ```
//!
//! In an app, the [`Migrate`] extension (default `flask` feature) puts Flask-Migrate's
//! commands on the command line: `db init`, `db migrate -m ..` (autogenerate), `db upgrade`,
//! `db downgrade`, `db check`, `--sql` and the rest. The guide is `docs/migrations.md`.
//!
//! The whole guide page, from the repository's `docs/migrations.md`, is the [`guide`] module.

mod codegen;
mod diff;
#[cfg(feature = "flask")]
mod flask_ext;
mod graph;
pub mod guide;
mod reflect;
mod revisions;
mod runtime;
mod schema;
mod sql;
mod state;

pub use codegen::{migration_source, module_source};
pub use diff::{Op, RenameCandidate, diff, rename_candidates};
#[cfg(feature = "flask")]
pub use flask_ext::Migrate;
pub use graph::Graph;
pub use reflect::{alembic_heads, reflect_models};
pub use revisions::{Revision, Revisions};
pub use runtime::run;
pub use schema::{CheckDef, ColumnDef, ForeignKeyDef, IndexDef, Schema, TableDef};
pub use sql::{statements, statements_from};

/// What migration files use: `use flask_migrate::prelude::*;`.
pub mod prelude {
    pub use crate::Op;
    pub use crate::revisions::{Revision, Revisions};
    pub use crate::runtime::{check, column, execute, execute_on, foreign_key, index, run, table};
    pub use flask_sqlalchemy::ColumnType::{self, *};
    pub use flask_sqlalchemy::{Dialect, ReferentialAction};
    pub use sea_orm_migration::async_trait;
    pub use sea_orm_migration::sea_orm::ConnectionTrait;
    pub use sea_orm_migration::{
        DbErr, MigrationName, MigrationTrait, MigratorTrait, SchemaManager,
    };
}

use flask_sqlalchemy::{Engine, SqlxPool};
use sea_orm_migration::sea_orm::{
    DatabaseConnection, SqlxMySqlConnector, SqlxPostgresConnector, SqlxSqliteConnector,
};

/// A sea-orm connection on `engine`'s pool, for sea-orm-migration's `MigratorTrait`
/// (`Migrator::up(&sea_connection(&engine), None)`).
pub fn sea_connection(engine: &Engine) -> DatabaseConnection {
    match engine.sqlx_pool() {
        // One connection: a table rebuild turns foreign keys off, which holds per connection.
        SqlxPool::Sqlite(p) => SqlxSqliteConnector::from_sqlx_sqlite_pool(
            sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect_lazy_with((*p.connect_options()).clone()),
        ),
        SqlxPool::Postgres(p) => SqlxPostgresConnector::from_sqlx_postgres_pool(p.clone()),
        SqlxPool::MySql(p) => SqlxMySqlConnector::from_sqlx_mysql_pool(p.clone()),
    }
}

/// Runs `ops` on `engine`'s database, statement by statement (what `upgrade` does with a
/// migration's operations), rebuilding SQLite tables where SQLite needs it.
pub async fn apply(engine: &Engine, ops: &[Op]) -> Result<(), Error> {
    Ok(runtime::execute_ops(&sea_connection(engine), ops).await?)
}

/// The table where sea-orm-migration records the migrations applied.
pub const MIGRATIONS_TABLE: &str = "seaql_migrations";

/// Alembic's version table, which a database that Flask-Migrate managed holds: autogenerate
/// leaves it alone (as Alembic leaves its own), so moving a Flask app over never proposes
/// to drop its history.
pub const ALEMBIC_VERSION_TABLE: &str = "alembic_version";

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database refused a statement or could not be read.
    #[error(transparent)]
    Database(#[from] flask_sqlalchemy::Error),
    /// A change flask-migrate cannot write for this database; the message says what to do.
    #[error("{0}")]
    Unsupported(String),
    /// sea-orm-migration failed to run a migration or to read which ran.
    #[error("migration failed: {0}")]
    Migration(#[from] sea_orm_migration::DbErr),
    /// A command was asked something it cannot do (an unknown revision, no migrator); the
    /// message says what to give instead.
    #[error("{0}")]
    Usage(String),
}
