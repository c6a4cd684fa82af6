//! items
//!
//! Revision m20261201_000001_items, written by hand for the tests: a graph of revisions.
//! Revises: nothing

use flask_migrate::prelude::*;

/// The revisions this one follows.
pub const DOWN_REVISION: &[&str] = &[];

/// items
#[derive(Debug)]
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000001_items"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, vec![Op::CreateTable(table("gr_item").column(column("id", BigInteger).autoincrement()).column(column("name", String(Some(80)))).primary_key(&["id"]))]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, vec![Op::DropTable(table("gr_item").column(column("id", BigInteger).autoincrement()).column(column("name", String(Some(80)))).primary_key(&["id"]))]).await
    }
}
