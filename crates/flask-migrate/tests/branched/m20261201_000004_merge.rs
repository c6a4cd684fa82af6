//! merge the two branches
//!
//! Revision m20261201_000004_merge, written by hand for the tests: a graph of revisions.
//! Revises: "m20261201_000002_price", "m20261201_000003_tags"

use flask_migrate::prelude::*;

/// The revisions this one follows.
pub const DOWN_REVISION: &[&str] = &["m20261201_000002_price", "m20261201_000003_tags"];

/// merge the two branches
#[derive(Debug)]
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000004_merge"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, vec![execute("INSERT INTO gr_tag (label) VALUES ('merged')"), execute_on(Dialect::Postgres, "COMMENT ON TABLE gr_tag IS 'tags'")]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, vec![execute("DELETE FROM gr_tag WHERE label = 'merged'")]).await
    }
}
