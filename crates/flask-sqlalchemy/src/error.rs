//! The ORM's error type.

/// What can go wrong talking to the database.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration (a URI, an engine option) cannot be used; the message says why.
    #[error("{0}")]
    Config(String),
    /// The database could not be reached. `url` has its password hidden.
    #[error("cannot connect to the database at {url}: {source}")]
    Connect {
        /// The URI, its password replaced by `***`.
        url: String,
        /// What the driver said.
        #[source]
        source: sqlx::Error,
    },
    /// A statement failed.
    #[error("the statement failed: {source}\n  SQL: {sql}")]
    Query {
        /// The SQL sent, with placeholders (the values are not shown).
        sql: String,
        /// What the database said.
        #[source]
        source: sqlx::Error,
    },
    /// A `text()` statement and its bound values do not match.
    #[error("{0}")]
    Bind(String),
    /// A keyset page cursor that is not one this query made (tampered with, or of another
    /// query).
    #[error("{0}")]
    BadCursor(String),
    /// A value read from the database cannot be returned as asked.
    #[error("{0}")]
    Decode(String),
    /// A session's transaction or savepoint, or an object it tracks, was used out of turn;
    /// the message says how.
    #[error("{0}")]
    Transaction(String),
    /// A flush found a tracked object's row gone: its `UPDATE` matched no row (deleted or
    /// its key changed by someone else since it was loaded), as SQLAlchemy's
    /// `StaleDataError`.
    #[error(
        "the row of {table} with key {key} was not there to update: it was deleted or its \
         key changed since it was loaded; roll back, and load it again"
    )]
    StaleData {
        /// The model's table.
        table: &'static str,
        /// The key the row was looked for by.
        key: String,
    },
    /// A statement given to [`Engine::fetch_read_only`](crate::Engine::fetch_read_only)
    /// could change the database; the message says what is allowed.
    #[error("{0}")]
    NotReadOnly(String),
    /// `one()` found no row.
    #[error("no row of {table} matched, and one was required")]
    NoResultFound {
        /// The model's table.
        table: &'static str,
    },
    /// `one()` or `one_or_none()` found more than one row.
    #[error("more than one row of {table} matched, and at most one was expected")]
    MultipleResultsFound {
        /// The model's table.
        table: &'static str,
    },
}

impl Error {
    /// Whether the database refused the statement for a `CHECK` constraint (an enum column
    /// given another value, a `#[model(check = ...)]` condition).
    pub fn is_check_violation(&self) -> bool {
        self.database_kind() == Some(sqlx::error::ErrorKind::CheckViolation)
    }

    /// Whether the database refused the statement for a foreign key (a row pointing
    /// nowhere, or a row others still point to).
    pub fn is_foreign_key_violation(&self) -> bool {
        self.database_kind() == Some(sqlx::error::ErrorKind::ForeignKeyViolation)
    }

    /// Whether the database refused the statement for a `NOT NULL` column given `NULL`.
    pub fn is_not_null_violation(&self) -> bool {
        self.database_kind() == Some(sqlx::error::ErrorKind::NotNullViolation)
    }

    fn database_kind(&self) -> Option<sqlx::error::ErrorKind> {
        match self {
            Error::Query { source, .. } => source.as_database_error().map(|e| e.kind()),
            _ => None,
        }
    }

    /// Whether the database refused the statement for a unique constraint (a duplicate key).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            Error::Query { source, .. } => source
                .as_database_error()
                .is_some_and(|e| e.is_unique_violation()),
            _ => false,
        }
    }
}
