//! notes, comments and tags
//!
//! Revision m20261130_140436_notes_comments_and_tags, written by flask-migrate.
//! Revises: nothing: it is a first revision
//!
//! What it does:
//!
//! - Detected added table 'note'
//! - Detected added table 'comment'
//! - Detected added table 'tag'
//! - Detected added table 'note_tag'

#![allow(unused_imports)]

use flask_migrate::prelude::*;

/// The revisions this one follows (Alembic's `down_revision`): none for a first revision,
/// two or more for a merge.
pub const DOWN_REVISION: &[&str] = &[];

/// notes, comments and tags
#[derive(Debug)]
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261130_140436_notes_comments_and_tags"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(
            manager,
            vec![
                Op::CreateTable(
                    table("note")
                        .column(column("id", BigInteger).autoincrement())
                        .column(column("title", String(Some(200))))
                        .column(column("body", String(None)))
                        .column(column("views", BigInteger))
                        .column(
                            column("created", DateTimeTz)
                                .nullable()
                                .default("CURRENT_TIMESTAMP"),
                        )
                        .primary_key(&["id"])
                        .index("ix_note_title", &["title"], false),
                ),
                Op::CreateTable(
                    table("comment")
                        .column(column("id", BigInteger).autoincrement())
                        .column(column("note_id", BigInteger))
                        .column(column("body", String(None)))
                        .primary_key(&["id"])
                        .index("ix_comment_note_id", &["note_id"], false)
                        .foreign_key(foreign_key(
                            "fk_comment_note_id_note",
                            &["note_id"],
                            "note",
                            &["id"],
                            None,
                            None,
                        )),
                ),
                Op::CreateTable(
                    table("tag")
                        .column(column("id", BigInteger).autoincrement())
                        .column(column("name", String(Some(40))))
                        .primary_key(&["id"])
                        .index("uq_tag_name", &["name"], true),
                ),
                Op::CreateTable(
                    table("note_tag")
                        .column(column("note_id", BigInteger))
                        .column(column("tag_id", BigInteger))
                        .primary_key(&["note_id", "tag_id"])
                        .foreign_key(foreign_key(
                            "fk_note_tag_note_id_note",
                            &["note_id"],
                            "note",
                            &["id"],
                            None,
                            None,
                        ))
                        .foreign_key(foreign_key(
                            "fk_note_tag_tag_id_tag",
                            &["tag_id"],
                            "tag",
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
                    table("note_tag")
                        .column(column("note_id", BigInteger))
                        .column(column("tag_id", BigInteger))
                        .primary_key(&["note_id", "tag_id"])
                        .foreign_key(foreign_key(
                            "fk_note_tag_note_id_note",
                            &["note_id"],
                            "note",
                            &["id"],
                            None,
                            None,
                        ))
                        .foreign_key(foreign_key(
                            "fk_note_tag_tag_id_tag",
                            &["tag_id"],
                            "tag",
                            &["id"],
                            None,
                            None,
                        )),
                ),
                Op::DropTable(
                    table("tag")
                        .column(column("id", BigInteger).autoincrement())
                        .column(column("name", String(Some(40))))
                        .primary_key(&["id"])
                        .index("uq_tag_name", &["name"], true),
                ),
                Op::DropTable(
                    table("comment")
                        .column(column("id", BigInteger).autoincrement())
                        .column(column("note_id", BigInteger))
                        .column(column("body", String(None)))
                        .primary_key(&["id"])
                        .index("ix_comment_note_id", &["note_id"], false)
                        .foreign_key(foreign_key(
                            "fk_comment_note_id_note",
                            &["note_id"],
                            "note",
                            &["id"],
                            None,
                            None,
                        )),
                ),
                Op::DropTable(
                    table("note")
                        .column(column("id", BigInteger).autoincrement())
                        .column(column("title", String(Some(200))))
                        .column(column("body", String(None)))
                        .column(column("views", BigInteger))
                        .column(
                            column("created", DateTimeTz)
                                .nullable()
                                .default("CURRENT_TIMESTAMP"),
                        )
                        .primary_key(&["id"])
                        .index("ix_note_title", &["title"], false),
                ),
            ],
        )
        .await
    }
}
