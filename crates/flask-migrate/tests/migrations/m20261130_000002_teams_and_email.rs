//! teams and email
//!
//! Revision m20261130_000002_teams_and_email, written by flask-migrate.
//! Revises: m20261130_000001_initial
//!
//! What it does:
//!
//! - Detected added table 'mig_team'
//! - Detected nullable change on 'mig_user.age'
//! - Detected server default change on 'mig_user.seats'
//! - Detected added column 'mig_user.email'
//! - Detected renamed column 'mig_post.title' to 'headline'
//! - Detected added column 'mig_post.team_id'
//! - Detected added index 'ix_mig_post_headline' on 'mig_post' (headline)
//! - Detected added foreign key (team_id)(id) on 'mig_post' to 'mig_team'

#![allow(unused_imports)]

use flask_migrate::prelude::*;

/// The revisions this one follows (Alembic's `down_revision`): none for a first revision,
/// two or more for a merge.
pub const DOWN_REVISION: &[&str] = &["m20261130_000001_initial"];

/// teams and email
#[derive(Debug)]
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261130_000002_teams_and_email"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(
            manager,
            vec![
                Op::CreateTable(table("mig_team")
                    .column(column("id", BigInteger).autoincrement())
                    .column(column("name", String(Some(50))))
                    .primary_key(&["id"])),
                Op::AlterColumn {
                    table: "mig_user".into(),
                    from: column("age", Integer),
                    to: column("age", Integer).nullable(),
                },
                Op::AlterColumn {
                    table: "mig_user".into(),
                    from: column("seats", Integer).nullable().default("7"),
                    to: column("seats", Integer).nullable(),
                },
                Op::AddColumn { table: "mig_user".into(), column: column("email", String(Some(120))).nullable() },
                Op::RenameColumn { table: "mig_post".into(), from: "title".into(), to: "headline".into() },
                Op::AddColumn { table: "mig_post".into(), column: column("team_id", BigInteger).nullable() },
                Op::CreateIndex { table: "mig_post".into(), index: index("ix_mig_post_headline", &["headline"], false) },
                Op::AddForeignKey {
                    table: "mig_post".into(),
                    foreign_key: foreign_key("fk_mig_post_team_id_mig_team", &["team_id"], "mig_team", &["id"], None, None),
                },
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(
            manager,
            vec![
                Op::DropForeignKey {
                    table: "mig_post".into(),
                    foreign_key: foreign_key("fk_mig_post_team_id_mig_team", &["team_id"], "mig_team", &["id"], None, None),
                },
                Op::DropIndex { table: "mig_post".into(), index: index("ix_mig_post_headline", &["headline"], false) },
                Op::DropColumn { table: "mig_post".into(), column: column("team_id", BigInteger).nullable() },
                Op::RenameColumn { table: "mig_post".into(), from: "headline".into(), to: "title".into() },
                Op::DropColumn { table: "mig_user".into(), column: column("email", String(Some(120))).nullable() },
                Op::AlterColumn {
                    table: "mig_user".into(),
                    from: column("seats", Integer).nullable(),
                    to: column("seats", Integer).nullable().default("7"),
                },
                Op::AlterColumn {
                    table: "mig_user".into(),
                    from: column("age", Integer).nullable(),
                    to: column("age", Integer),
                },
                Op::DropTable(table("mig_team")
                    .column(column("id", BigInteger).autoincrement())
                    .column(column("name", String(Some(50))))
                    .primary_key(&["id"])),
            ],
        )
        .await
    }
}
