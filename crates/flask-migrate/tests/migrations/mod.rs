//! The app's migrations: `db migrate`, `db revision` and `db merge` add to this list.
//! Each file's `DOWN_REVISION` says which revisions it follows.

use flask_migrate::prelude::*;

pub mod m20261130_000001_initial;
pub mod m20261130_000002_teams_and_email;

/// Every migration, oldest first.
#[derive(Debug)]
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        Self::revisions()
            .into_iter()
            .map(Revision::into_migration)
            .collect()
    }
}

impl Revisions for Migrator {
    fn revisions() -> Vec<Revision> {
        vec![
            Revision::new(
                m20261130_000001_initial::Migration,
                m20261130_000001_initial::DOWN_REVISION,
            ),
            Revision::new(
                m20261130_000002_teams_and_email::Migration,
                m20261130_000002_teams_and_email::DOWN_REVISION,
            ),
        ]
    }
}
