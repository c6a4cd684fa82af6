//! Flask-Migrate for flask-rs: migrations on sea-orm-migration, written for you from the
//! difference between the flask-sqlalchemy models and the database (being built: the schema
//! comparison is here, the migration files and the `db` commands come next).

mod diff;
mod schema;
mod sql;

pub use diff::{Op, RenameCandidate, diff, rename_candidates};
pub use schema::{CheckDef, ColumnDef, ForeignKeyDef, IndexDef, Schema, TableDef};
pub use sql::statements;

use flask_sqlalchemy::{Engine, text};

/// Runs `ops` on `engine`'s database, statement by statement (what `upgrade` does with a
/// migration's operations).
pub async fn apply(engine: &Engine, ops: &[Op]) -> Result<(), Error> {
    for sql in statements(ops, engine.dialect())? {
        engine.execute(text(&sql)).await?;
    }
    Ok(())
}

/// The table where sea-orm-migration records the migrations applied.
pub const MIGRATIONS_TABLE: &str = "seaql_migrations";

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
}
