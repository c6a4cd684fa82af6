//! The generated migration files (`tests/migrations/`, kept equal to what autogenerate
//! writes by `tests/golden.rs`) run through sea-orm-migration on the three databases: up to
//! the newest, down to base, up again, and the schema is the models' each time.

mod common;
use common::backends;
use common::models::{v1_models, v2_models};

// As generated (an app's migrations module is public; here it is private to the test).
#[rustfmt::skip]
#[allow(unreachable_pub)]
#[path = "migrations/mod.rs"]
mod migrations;

use flask_migrate::{MIGRATIONS_TABLE, Schema, diff, sea_connection};
use flask_sqlalchemy::{Engine, EngineOptions, text};
use migrations::Migrator;
use sea_orm_migration::MigratorTrait;

fn ours(mut schema: Schema) -> Schema {
    schema.tables.retain(|t| t.name.starts_with("mig_"));
    schema
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_migrations_go_up_and_down() {
    for url in backends() {
        let db = Engine::connect(
            &url,
            std::env::temp_dir().as_ref(),
            EngineOptions::default(),
        )
        .await
        .unwrap();
        db.drop_all(&v2_models()).await.unwrap();
        db.drop_all(&v1_models()).await.unwrap();
        db.execute(text(format!("DROP TABLE IF EXISTS {MIGRATIONS_TABLE}")))
            .await
            .unwrap();
        let conn = sea_connection(&db);
        let dialect = db.dialect();

        // The first migration makes version 1.
        Migrator::up(&conn, Some(1)).await.unwrap();
        let live = ours(Schema::inspect(&db).await.unwrap());
        let v1 = Schema::from_models(&v1_models(), dialect);
        assert!(
            diff(&v1, &live, dialect, &[]).is_empty(),
            "{url}: {live:#?}"
        );

        Migrator::up(&conn, None).await.unwrap();
        let live = ours(Schema::inspect(&db).await.unwrap());
        let v2 = Schema::from_models(&v2_models(), dialect);
        assert!(
            diff(&v2, &live, dialect, &[]).is_empty(),
            "{url}: version 2"
        );
        let applied: Vec<String> = Migrator::get_applied_migrations(&conn)
            .await
            .unwrap()
            .iter()
            .map(|m| m.name().to_owned())
            .collect();
        assert_eq!(
            applied,
            [
                "m20261130_000001_initial",
                "m20261130_000002_teams_and_email"
            ],
            "{url}"
        );

        // Down one step: version 1 again; down to base: nothing; and up again.
        Migrator::down(&conn, Some(1)).await.unwrap();
        let live = ours(Schema::inspect(&db).await.unwrap());
        assert!(
            diff(&v1, &live, dialect, &[]).is_empty(),
            "{url}: back to version 1"
        );
        Migrator::down(&conn, None).await.unwrap();
        assert!(
            ours(Schema::inspect(&db).await.unwrap()).tables.is_empty(),
            "{url}"
        );
        Migrator::up(&conn, None).await.unwrap();
        let live = ours(Schema::inspect(&db).await.unwrap());
        assert!(
            diff(&v2, &live, dialect, &[]).is_empty(),
            "{url}: version 2 again"
        );
        Migrator::down(&conn, None).await.unwrap();
        db.close().await;
    }
}
