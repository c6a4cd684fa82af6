//! Flask-Migrate for flask-rs: migrations on sea-orm-migration, written for you from the
//! difference between the flask-sqlalchemy models and the database (being built: the schema
//! comparison is here, the migration files and the `db` commands come next).

mod diff;
mod schema;

pub use diff::{Op, RenameCandidate, diff, rename_candidates};
pub use schema::{CheckDef, ColumnDef, ForeignKeyDef, IndexDef, Schema, TableDef};

/// The table where sea-orm-migration records the migrations applied.
pub const MIGRATIONS_TABLE: &str = "seaql_migrations";

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database refused a statement or could not be read.
    #[error(transparent)]
    Database(#[from] flask_sqlalchemy::Error),
}
