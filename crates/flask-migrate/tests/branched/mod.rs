//! A history that branches and merges, written by hand for the tests:
//! items -> (price, tags) -> merge. The hand-written SQL (`execute`) runs, and `--sql`
//! prints it.

use flask_migrate::prelude::*;

pub mod m20261201_000001_items;
pub mod m20261201_000002_price;
pub mod m20261201_000003_tags;
pub mod m20261201_000004_merge;

/// The four revisions.
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
            Revision::new(m20261201_000001_items::Migration, m20261201_000001_items::DOWN_REVISION),
            Revision::new(m20261201_000002_price::Migration, m20261201_000002_price::DOWN_REVISION),
            Revision::new(m20261201_000003_tags::Migration, m20261201_000003_tags::DOWN_REVISION),
            Revision::new(m20261201_000004_merge::Migration, m20261201_000004_merge::DOWN_REVISION),
        ]
    }
}
