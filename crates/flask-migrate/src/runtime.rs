//! What generated migration files call: builders for tables and columns, and [`run`], which
//! carries out operations through sea-orm-migration's `SchemaManager`.

use flask_sqlalchemy::{ColumnType, Dialect, ReferentialAction};
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::{DbErr, SchemaManager};

use crate::diff::Op;
use crate::schema::{CheckDef, ColumnDef, ForeignKeyDef, IndexDef, TableDef};

/// A table to create: `table("user").column(column("id", BigInteger).autoincrement())...`.
pub fn table(name: &str) -> TableDef {
    TableDef {
        name: name.to_owned(),
        columns: Vec::new(),
        primary_key: Vec::new(),
        indexes: Vec::new(),
        foreign_keys: Vec::new(),
        checks: Vec::new(),
    }
}

/// A `NOT NULL` column of type `ty`, without default.
pub fn column(name: &str, ty: ColumnType) -> ColumnDef {
    ColumnDef {
        name: name.to_owned(),
        ty: Some(ty),
        nullable: false,
        default: None,
        autoincrement: false,
    }
}

impl ColumnDef {
    /// Accepts `NULL`.
    #[must_use]
    pub fn nullable(mut self) -> Self {
        self.nullable = true;
        self
    }

    /// Numbered by the database.
    #[must_use]
    pub fn autoincrement(mut self) -> Self {
        self.autoincrement = true;
        self
    }

    /// With this `DEFAULT` (SQL).
    #[must_use]
    pub fn default(mut self, sql: &str) -> Self {
        self.default = Some(sql.to_owned());
        self
    }
}

impl TableDef {
    /// Adds a column.
    #[must_use]
    pub fn column(mut self, column: ColumnDef) -> Self {
        self.columns.push(column);
        self
    }

    /// Sets the primary key.
    #[must_use]
    pub fn primary_key(mut self, columns: &[&str]) -> Self {
        self.primary_key = columns.iter().map(|c| (*c).to_owned()).collect();
        self
    }

    /// Adds an index (`unique` for a unique constraint).
    #[must_use]
    pub fn index(mut self, name: &str, columns: &[&str], unique: bool) -> Self {
        self.indexes.push(index(name, columns, unique));
        self
    }

    /// Adds a foreign key.
    #[must_use]
    pub fn foreign_key(mut self, foreign_key: ForeignKeyDef) -> Self {
        self.foreign_keys.push(foreign_key);
        self
    }

    /// Adds a check constraint.
    #[must_use]
    pub fn check(mut self, name: &str, sql: &str) -> Self {
        self.checks.push(CheckDef {
            name: name.to_owned(),
            sql: sql.to_owned(),
        });
        self
    }
}

/// An index.
pub fn index(name: &str, columns: &[&str], unique: bool) -> IndexDef {
    IndexDef {
        name: name.to_owned(),
        columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        unique,
    }
}

/// A foreign key from `columns` to `ref_table`'s `ref_columns`.
pub fn foreign_key(
    name: &str,
    columns: &[&str],
    ref_table: &str,
    ref_columns: &[&str],
    on_delete: Option<ReferentialAction>,
    on_update: Option<ReferentialAction>,
) -> ForeignKeyDef {
    ForeignKeyDef {
        name: name.to_owned(),
        columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        ref_table: ref_table.to_owned(),
        ref_columns: ref_columns.iter().map(|c| (*c).to_owned()).collect(),
        on_delete,
        on_update,
    }
}

/// SQL written by hand, run as it is on every database (Alembic's `op.execute`):
/// `execute("UPDATE account SET plan = 'free' WHERE plan IS NULL")`. `--sql` prints it.
pub fn execute(sql: &str) -> Op {
    Op::Execute {
        sql: sql.to_owned(),
        dialect: None,
    }
}

/// SQL written by hand for one database family only: skipped on the others.
pub fn execute_on(dialect: Dialect, sql: &str) -> Op {
    Op::Execute {
        sql: sql.to_owned(),
        dialect: Some(dialect),
    }
}

/// A check constraint.
pub fn check(name: &str, sql: &str) -> CheckDef {
    CheckDef {
        name: name.to_owned(),
        sql: sql.to_owned(),
    }
}

/// The database family of a sea-orm backend.
pub(crate) fn dialect_of(backend: DbBackend) -> Dialect {
    match backend {
        DbBackend::Postgres => Dialect::Postgres,
        DbBackend::MySql => Dialect::MySql,
        _ => Dialect::Sqlite,
    }
}

/// Carries out `ops` through a migration's `manager`, statement by statement (in its
/// transaction on PostgreSQL). On SQLite a table that needs a change SQLite cannot make in
/// place is rebuilt, from its definition read from the database.
pub async fn run(manager: &SchemaManager<'_>, ops: Vec<Op>) -> Result<(), DbErr> {
    // `upgrade --sql`: the operations are collected, not run.
    if CAPTURED
        .try_with(|c| {
            c.lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(ops.iter().cloned())
        })
        .is_ok()
    {
        return Ok(());
    }
    execute_ops(manager.get_connection(), &ops).await
}

tokio::task_local! {
    /// Where `run` puts the operations instead of running them, for `--sql`.
    static CAPTURED: std::sync::Mutex<Vec<Op>>;
}

/// The operations `migration` runs (`up` or `down`), collected without running them, on a
/// connection that cannot run anything: a migration that runs SQL of its own instead of
/// going through [`run`] is an error saying so.
pub(crate) async fn captured(
    migration: &dyn sea_orm_migration::MigrationTrait,
    up: bool,
) -> Result<Vec<Op>, DbErr> {
    CAPTURED
        .scope(std::sync::Mutex::new(Vec::new()), async {
            let conn = sea_orm_migration::sea_orm::DatabaseConnection::default();
            let manager = SchemaManager::new(&conn);
            let result = if up {
                migration.up(&manager).await
            } else {
                migration.down(&manager).await
            };
            result.map_err(|e| {
                DbErr::Migration(format!(
                    "{} runs SQL of its own (not through flask_migrate::run), which --sql \
                     cannot show: give it to run as execute(\"..\") instead ({e})",
                    migration.name()
                ))
            })?;
            Ok(
                CAPTURED
                    .with(|c| std::mem::take(&mut *c.lock().unwrap_or_else(|e| e.into_inner()))),
            )
        })
        .await
}

/// Carries out `ops` on `conn`.
pub(crate) async fn execute_ops<C: ConnectionTrait + Sync>(
    conn: &C,
    ops: &[Op],
) -> Result<(), DbErr> {
    let dialect = dialect_of(conn.get_database_backend());
    let statements =
        if dialect == Dialect::Sqlite && ops.iter().any(crate::sql::sqlite_needs_rebuild) {
            let before = crate::schema::inspect_sqlite_with(&SeaRows(conn))
                .await
                .map_err(|e| DbErr::Migration(e.to_string()))?;
            let before = crate::Schema { tables: before };
            crate::sql::statements_from(ops, dialect, &before)
        } else {
            crate::sql::statements(ops, dialect)
        }
        .map_err(|e| DbErr::Migration(e.to_string()))?;
    for sql in statements {
        conn.execute_unprepared(&sql).await?;
    }
    Ok(())
}

/// A sea-orm connection, for reading SQLite's schema.
struct SeaRows<'c, C>(&'c C);

impl<C: ConnectionTrait + Sync> crate::schema::TextRows for SeaRows<'_, C> {
    fn text_rows<'a>(
        &'a self,
        sql: &'a str,
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<Vec<crate::schema::TextRow>, crate::Error>>
                + Send
                + 'a,
        >,
    > {
        Box::pin(async move {
            let rows = self
                .0
                .query_all_raw(sea_orm_migration::sea_orm::Statement::from_string(
                    DbBackend::Sqlite,
                    sql.to_owned(),
                ))
                .await
                .map_err(|e| crate::Error::Unsupported(format!("cannot read the schema: {e}")))?;
            Ok(rows
                .iter()
                .map(|r| {
                    r.column_names()
                        .into_iter()
                        .map(|c| {
                            let v = r.try_get::<Option<String>>("", &c).ok().flatten();
                            (c, v)
                        })
                        .collect()
                })
                .collect())
        })
    }
}
