//! initial
//!
//! Revision m20261130_000001_initial, written by flask-migrate.
//! Revises: nothing: it is a first revision
//!
//! What it does:
//!
//! - Detected added table 'mig_user'
//! - Detected added table 'mig_post'

#![allow(unused_imports)]

use flask_migrate::prelude::*;

/// The revisions this one follows (Alembic's `down_revision`): none for a first revision,
/// two or more for a merge.
pub const DOWN_REVISION: &[&str] = &[];

/// initial
#[derive(Debug)]
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261130_000001_initial"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(
            manager,
            vec![
                Op::CreateTable(table("mig_user")
                    .column(column("id", BigInteger).autoincrement())
                    .column(column("name", String(Some(80))))
                    .column(column("bio", String(None)).nullable())
                    .column(column("age", Integer))
                    .column(column("small", SmallInteger))
                    .column(column("ratio", Float))
                    .column(column("score", Double))
                    .column(column("active", Boolean))
                    .column(column("data", LargeBinary))
                    .column(column("prefs", Json))
                    .column(column("day", Date))
                    .column(column("t", Time))
                    .column(column("local", DateTime))
                    .column(column("at", DateTimeTz))
                    .column(column("token", Uuid))
                    .column(column("price", Numeric { precision: 10, scale: 2 }))
                    .column(column("status", String(Some(9))))
                    .column(column("created", DateTimeTz).nullable().default("CURRENT_TIMESTAMP"))
                    .column(column("seats", Integer).nullable().default("7"))
                    .primary_key(&["id"])
                    .index("uq_mig_user_name", &["name"], true)
                    .index("ix_mig_user_seats", &["seats"], false)
                    .check("ck_mig_user_1", "age >= 0")
                    .check("ck_mig_user_2", "status IN ('Draft', 'Published')")),
                Op::CreateTable(table("mig_post")
                    .column(column("id", Integer).autoincrement())
                    .column(column("author_id", BigInteger))
                    .column(column("title", String(Some(100))))
                    .primary_key(&["id"])
                    .foreign_key(foreign_key("fk_mig_post_author_id_mig_user", &["author_id"], "mig_user", &["id"], Some(ReferentialAction::Cascade), None))),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(
            manager,
            vec![
                Op::DropTable(table("mig_post")
                    .column(column("id", Integer).autoincrement())
                    .column(column("author_id", BigInteger))
                    .column(column("title", String(Some(100))))
                    .primary_key(&["id"])
                    .foreign_key(foreign_key("fk_mig_post_author_id_mig_user", &["author_id"], "mig_user", &["id"], Some(ReferentialAction::Cascade), None))),
                Op::DropTable(table("mig_user")
                    .column(column("id", BigInteger).autoincrement())
                    .column(column("name", String(Some(80))))
                    .column(column("bio", String(None)).nullable())
                    .column(column("age", Integer))
                    .column(column("small", SmallInteger))
                    .column(column("ratio", Float))
                    .column(column("score", Double))
                    .column(column("active", Boolean))
                    .column(column("data", LargeBinary))
                    .column(column("prefs", Json))
                    .column(column("day", Date))
                    .column(column("t", Time))
                    .column(column("local", DateTime))
                    .column(column("at", DateTimeTz))
                    .column(column("token", Uuid))
                    .column(column("price", Numeric { precision: 10, scale: 2 }))
                    .column(column("status", String(Some(9))))
                    .column(column("created", DateTimeTz).nullable().default("CURRENT_TIMESTAMP"))
                    .column(column("seats", Integer).nullable().default("7"))
                    .primary_key(&["id"])
                    .index("uq_mig_user_name", &["name"], true)
                    .index("ix_mig_user_seats", &["seats"], false)
                    .check("ck_mig_user_1", "age >= 0")
                    .check("ck_mig_user_2", "status IN ('Draft', 'Published')")),
            ],
        )
        .await
    }
}
