//! The app's migrations, oldest first: `db migrate` and `db revision` add to this
//! list.

use flask_migrate::prelude::*;

pub mod m20261130_140436_notes_comments_and_tags;

/// Every migration, in order.
#[derive(Debug)]
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(
            m20261130_140436_notes_comments_and_tags::Migration,
        )]
    }
}
