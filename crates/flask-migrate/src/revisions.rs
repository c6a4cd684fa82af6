//! An app's migrations with the revisions each follows ([`Revisions`], which the generated
//! `migrations/mod.rs` implements), and running them one by one, recorded in
//! `seaql_migrations` as sea-orm-migration records them.

use std::collections::HashSet;

use sea_orm_migration::sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, ConnectionTrait, DatabaseConnection, DbBackend,
    EntityTrait as _, QueryFilter as _, Schema, Set, TransactionTrait as _,
};
use sea_orm_migration::{DbErr, MigrationTrait, MigratorTrait, SchemaManager, seaql_migrations};

use crate::Error;
use crate::graph::Graph;

/// One migration and the revisions it follows (Alembic's `down_revision`): none for a first
/// migration, one usually, two or more for a merge.
pub struct Revision {
    migration: Box<dyn MigrationTrait>,
    down_revision: Vec<String>,
}

impl std::fmt::Debug for Revision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Revision")
            .field("name", &self.name())
            .field("down_revision", &self.down_revision)
            .finish()
    }
}

impl Revision {
    /// `migration`, following `down_revision` (its file's `DOWN_REVISION`).
    pub fn new<M: MigrationTrait + 'static>(migration: M, down_revision: &[&str]) -> Revision {
        Revision::boxed(
            Box::new(migration),
            down_revision.iter().map(|d| (*d).to_owned()).collect(),
        )
    }

    /// A boxed `migration`, following `down_revision`.
    pub fn boxed(migration: Box<dyn MigrationTrait>, down_revision: Vec<String>) -> Revision {
        Revision {
            migration,
            down_revision,
        }
    }

    /// The migration's name.
    pub fn name(&self) -> &str {
        self.migration.name()
    }

    /// The revisions it follows.
    pub fn down_revision(&self) -> &[String] {
        &self.down_revision
    }

    /// The migration.
    pub fn migration(&self) -> &dyn MigrationTrait {
        self.migration.as_ref()
    }

    /// The migration, for `MigratorTrait::migrations`.
    pub fn into_migration(self) -> Box<dyn MigrationTrait> {
        self.migration
    }
}

/// An app's migrations as a graph: what `db init` writes in `migrations/mod.rs`, listing
/// each migration with its file's `DOWN_REVISION`. The [`Migrate`](crate::Migrate)
/// extension runs them in an order where each comes after those it follows.
///
/// A module written before revisions formed a graph implements only `MigratorTrait`: add
/// `impl flask_migrate::Revisions for Migrator {}` to it, which reads the migrations as one
/// line, oldest first (the next `db migrate` rewrites the module and gives each file its
/// `DOWN_REVISION`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not list its migrations as revisions",
    note = "db init writes `impl Revisions for Migrator`; for a migrations module written \
            before, add `impl flask_migrate::Revisions for Migrator {{}}` (one line, oldest first)"
)]
pub trait Revisions: MigratorTrait + 'static {
    /// Every migration with the revisions it follows. The default: `Self::migrations()` as
    /// one line, each following the one before.
    fn revisions() -> Vec<Revision> {
        let mut previous: Option<String> = None;
        Self::migrations()
            .into_iter()
            .map(|m| {
                let name = m.name().to_owned();
                let down = previous.replace(name).into_iter().collect();
                Revision::boxed(m, down)
            })
            .collect()
    }
}

/// One history: an app's migrations, type-erased, for the extension.
#[derive(Clone, Copy)]
pub(crate) struct History {
    pub(crate) revisions: fn() -> Vec<Revision>,
}

impl History {
    pub(crate) fn of<R: Revisions>() -> History {
        History {
            revisions: R::revisions,
        }
    }

    /// The revisions as a graph (an error when they do not form one).
    pub(crate) fn graph(&self) -> Result<Graph, Error> {
        let revisions: Vec<(String, Vec<String>)> = (self.revisions)()
            .into_iter()
            .map(|r| (r.name().to_owned(), r.down_revision))
            .collect();
        Graph::new(&revisions)
    }

    /// The migration named `name`.
    pub(crate) fn migration(&self, name: &str) -> Result<Box<dyn MigrationTrait>, Error> {
        (self.revisions)()
            .into_iter()
            .find(|r| r.name() == name)
            .map(Revision::into_migration)
            .ok_or_else(|| Error::Usage(format!("no migration named {name:?}")))
    }
}

/// Creates the table of applied migrations when missing (sea-orm-migration's `install`).
pub(crate) async fn install(conn: &DatabaseConnection) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    let mut create = Schema::new(backend).create_table_from_entity(seaql_migrations::Entity);
    create.if_not_exists();
    conn.execute(&create).await?;
    Ok(())
}

/// The migrations the database has applied (creating the table when missing). A name
/// `graph` does not have is an error saying what to do: the file is gone, or this build
/// predates it.
pub(crate) async fn applied(
    conn: &DatabaseConnection,
    graph: &Graph,
) -> Result<HashSet<String>, Error> {
    let applied = applied_names(conn).await?;
    let mut unknown: Vec<&String> = applied.iter().filter(|n| !graph.contains(n)).collect();
    if !unknown.is_empty() {
        unknown.sort();
        return Err(Error::Usage(format!(
            "the database has migrations applied that this app does not have: {}; rebuild \
             the app with their files (after a git checkout, for example), or db stamp the \
             revision the database is at",
            unknown
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(applied)
}

/// The names in the table of applied migrations, whatever they are.
pub(crate) async fn applied_names(conn: &DatabaseConnection) -> Result<HashSet<String>, Error> {
    install(conn).await?;
    Ok(seaql_migrations::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.version)
        .collect())
}

/// Seconds since the epoch, as `seaql_migrations.applied_at` holds them.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

/// Records `name` as applied (`true`) or not (`false`).
pub(crate) async fn record<C: ConnectionTrait>(
    conn: &C,
    name: &str,
    applied: bool,
) -> Result<(), DbErr> {
    if applied {
        seaql_migrations::ActiveModel {
            version: Set(name.to_owned()),
            applied_at: Set(now()),
        }
        .insert(conn)
        .await?;
    } else {
        seaql_migrations::Entity::delete_many()
            .filter(seaql_migrations::Column::Version.eq(name))
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// Runs `migration` up or down and records it, in one transaction where the database has
/// transactional DDL (PostgreSQL), as sea-orm-migration does (`use_transaction` overrides).
pub(crate) async fn run_one(
    conn: &DatabaseConnection,
    migration: &dyn MigrationTrait,
    up: bool,
) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    let in_transaction = migration
        .use_transaction()
        .unwrap_or(backend == DbBackend::Postgres);
    if in_transaction {
        let txn = conn.begin().await?;
        let manager = SchemaManager::new(&txn);
        if up {
            migration.up(&manager).await?;
        } else {
            migration.down(&manager).await?;
        }
        record(&txn, migration.name(), up).await?;
        txn.commit().await
    } else {
        let manager = SchemaManager::new(conn);
        if up {
            migration.up(&manager).await?;
        } else {
            migration.down(&manager).await?;
        }
        record(conn, migration.name(), up).await
    }
}
