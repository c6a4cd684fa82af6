//! tags (the other branch)
//!
//! Revision m20261201_000003_tags, written by hand for the tests: a graph of revisions.
//! Revises: "m20261201_000001_items"

use flask_migrate::prelude::*;

/// The revisions this one follows.
pub const DOWN_REVISION: &[&str] = &["m20261201_000001_items"];

/// tags (the other branch)
#[derive(Debug)]
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000003_tags"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, vec![Op::CreateTable(table("gr_tag").column(column("id", BigInteger).autoincrement()).column(column("label", String(Some(40)))).primary_key(&["id"]))]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, vec![Op::DropTable(table("gr_tag").column(column("id", BigInteger).autoincrement()).column(column("label", String(Some(40)))).primary_key(&["id"]))]).await
    }
}
