//! a price on items (one branch)
//!
//! Revision m20261201_000002_price, written by hand for the tests: a graph of revisions.
//! Revises: "m20261201_000001_items"

use flask_migrate::prelude::*;

/// The revisions this one follows.
pub const DOWN_REVISION: &[&str] = &["m20261201_000001_items"];

/// a price on items (one branch)
#[derive(Debug)]
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000002_price"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, vec![Op::AddColumn { table: "gr_item".into(), column: column("price", Integer).nullable() }, execute("INSERT INTO gr_item (name, price) VALUES ('sample', 0)")]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, vec![execute("DELETE FROM gr_item WHERE name = 'sample'"), Op::DropColumn { table: "gr_item".into(), column: column("price", Integer).nullable() }]).await
    }
}
