//! users and posts
//!
//! Revision m20261130_141936_users_and_posts, written by flask-migrate.
//! Revises: nothing: it is a first revision
//!
//! What it does:
//!
//! - Detected added table 'user'
//! - Detected added table 'post'

#![allow(unused_imports)]

use flask_migrate::prelude::*;

/// The revisions this one follows (Alembic's `down_revision`): none for a first revision,
/// two or more for a merge.
pub const DOWN_REVISION: &[&str] = &[];

/// users and posts
#[derive(Debug)]
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261130_141936_users_and_posts"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(
            manager,
            vec![
                Op::CreateTable(
                    table("user")
                        .column(column("id", BigInteger).autoincrement())
                        .column(column("username", String(Some(80))))
                        .column(column("password", String(None)))
                        .primary_key(&["id"])
                        .index("uq_user_username", &["username"], true),
                ),
                Op::CreateTable(
                    table("post")
                        .column(column("id", BigInteger).autoincrement())
                        .column(column("author_id", BigInteger))
                        .column(
                            column("created", DateTimeTz)
                                .nullable()
                                .default("CURRENT_TIMESTAMP"),
                        )
                        .column(column("title", String(Some(200))))
                        .column(column("body", String(None)))
                        .primary_key(&["id"])
                        .foreign_key(foreign_key(
                            "fk_post_author_id_user",
                            &["author_id"],
                            "user",
                            &["id"],
                            None,
                            None,
                        )),
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(
            manager,
            vec![
                Op::DropTable(
                    table("post")
                        .column(column("id", BigInteger).autoincrement())
                        .column(column("author_id", BigInteger))
                        .column(
                            column("created", DateTimeTz)
                                .nullable()
                                .default("CURRENT_TIMESTAMP"),
                        )
                        .column(column("title", String(Some(200))))
                        .column(column("body", String(None)))
                        .primary_key(&["id"])
                        .foreign_key(foreign_key(
                            "fk_post_author_id_user",
                            &["author_id"],
                            "user",
                            &["id"],
                            None,
                            None,
                        )),
                ),
                Op::DropTable(
                    table("user")
                        .column(column("id", BigInteger).autoincrement())
                        .column(column("username", String(Some(80))))
                        .column(column("password", String(None)))
                        .primary_key(&["id"])
                        .index("uq_user_username", &["username"], true),
                ),
            ],
        )
        .await
    }
}
