//! The app's migrations, oldest first: `db migrate` and `db revision` add to this
//! list.

use flask_migrate::prelude::*;

pub mod m20261130_141936_users_and_posts;

/// Every migration, in order.
#[derive(Debug)]
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m20261130_141936_users_and_posts::Migration)]
    }
}
