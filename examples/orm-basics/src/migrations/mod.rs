//! The app's migrations: `db migrate`, `db revision` and `db merge` add to this list.
//! Each file's `DOWN_REVISION` says which revisions it follows.

use flask_migrate::prelude::*;

pub mod m20261130_140436_notes_comments_and_tags;

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
        vec![Revision::new(
            m20261130_140436_notes_comments_and_tags::Migration,
            m20261130_140436_notes_comments_and_tags::DOWN_REVISION,
        )]
    }
}
