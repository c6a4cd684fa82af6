//! Autogenerate's comparison on the three databases: a schema made from the models reads back
//! as the same, and changed models give the operations a user expects.

mod common;
use common::backends;
use common::models::{v1_models, v2_models};

use flask_migrate::{Op, Schema, diff, rename_candidates};
use flask_sqlalchemy::{Engine, EngineOptions};

/// The tests of this file share their tables on the servers: one runs at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn fresh(url: &str) -> Engine {
    let db = Engine::connect(url, std::env::temp_dir().as_ref(), EngineOptions::default())
        .await
        .unwrap();
    db.drop_all(&v2_models()).await.unwrap();
    db.drop_all(&v1_models()).await.unwrap();
    db
}

/// Only the tables of this test (the servers hold other tests' tables too).
fn ours(mut schema: Schema) -> Schema {
    schema.tables.retain(|t| t.name.starts_with("mig_"));
    schema
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_create_all_made_reads_back_as_the_models() {
    let _serial = SERIAL.lock().await;
    for url in backends() {
        let db = fresh(&url).await;
        db.create_all(&v1_models()).await.unwrap();
        let live = ours(Schema::inspect(&db).await.unwrap());
        let wanted = Schema::from_models(&v1_models(), db.dialect());
        let ops = diff(&wanted, &live, db.dialect(), &[]);
        assert!(ops.is_empty(), "{url}: {ops:#?}\nlive: {live:#?}");
        db.drop_all(&v1_models()).await.unwrap();
        db.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_models_give_the_expected_operations() {
    let _serial = SERIAL.lock().await;
    for url in backends() {
        let db = fresh(&url).await;
        db.create_all(&v1_models()).await.unwrap();
        let live = ours(Schema::inspect(&db).await.unwrap());
        let wanted = Schema::from_models(&v2_models(), db.dialect());

        let candidates = rename_candidates(&wanted, &live, db.dialect());
        assert!(
            candidates
                .iter()
                .any(|c| c.table == "mig_post" && c.from == "title" && c.to == "headline"),
            "{url}: {candidates:?}"
        );
        let renames = [(
            "mig_post".to_owned(),
            "title".to_owned(),
            "headline".to_owned(),
        )];
        let ops = diff(&wanted, &live, db.dialect(), &renames);
        let lines: Vec<String> = ops.iter().map(Op::describe).collect();
        let expected = [
            "Detected added table 'mig_team'",
            "Detected nullable change on 'mig_user.age'",
            "Detected server default change on 'mig_user.seats'",
            "Detected added column 'mig_user.email'",
            "Detected renamed column 'mig_post.title' to 'headline'",
            "Detected added column 'mig_post.team_id'",
            "Detected added index 'ix_mig_post_headline' on 'mig_post' (headline)",
            "Detected added foreign key (team_id)(id) on 'mig_post' to 'mig_team'",
        ];
        for line in expected {
            assert!(
                lines.iter().any(|l| l == line),
                "{url}: missing {line:?} in {lines:#?}"
            );
        }
        assert_eq!(lines.len(), expected.len(), "{url}: {lines:#?}");
        // Without the rename: a drop and an add.
        let plain = diff(&wanted, &live, db.dialect(), &[]);
        let lines: Vec<String> = plain.iter().map(Op::describe).collect();
        assert!(
            lines.contains(&"Detected removed column 'mig_post.title'".to_owned()),
            "{url}"
        );
        assert!(
            lines.contains(&"Detected added column 'mig_post.headline'".to_owned()),
            "{url}"
        );
        // Every operation can be undone.
        for op in &ops {
            assert_eq!(&op.reverse().reverse(), op);
        }
        // Models gone: their tables are dropped, referencing ones first.
        let gone = diff(&Schema::default(), &live, db.dialect(), &[]);
        let order: Vec<String> = gone.iter().map(Op::describe).collect();
        assert_eq!(
            order,
            [
                "Detected removed table 'mig_post'",
                "Detected removed table 'mig_user'"
            ],
            "{url}"
        );
        db.drop_all(&v1_models()).await.unwrap();
        db.close().await;
    }
}

/// The descriptions of `ops`, sorted.
fn described(ops: &[Op]) -> Vec<String> {
    let mut lines: Vec<String> = ops.iter().map(Op::describe).collect();
    lines.sort();
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_and_downgrade_keep_the_rows() {
    use flask_sqlalchemy::{Dialect, text};
    let _serial = SERIAL.lock().await;
    for url in backends() {
        let db = fresh(&url).await;
        let dialect = db.dialect();
        db.create_all(&v1_models()).await.unwrap();
        let insert_user = "INSERT INTO mig_user (name, age, small, ratio, score, active, data, \
             prefs, day, t, local, at, token, price, status) VALUES ('ann', 30, 1, 0.5, 1.5, \
             :yes, :data, :prefs, :day, :t, :local, :at, :token, :price, 'Draft')";
        db.execute(
            text(insert_user)
                .bind("yes", true)
                .bind("data", vec![1_u8, 2])
                .bind("prefs", serde_json::json!({"a": 1}))
                .bind("day", chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap())
                .bind("t", chrono::NaiveTime::from_hms_opt(1, 2, 3).unwrap())
                .bind(
                    "local",
                    chrono::NaiveDate::from_ymd_opt(2026, 1, 2)
                        .unwrap()
                        .and_hms_opt(1, 2, 3)
                        .unwrap(),
                )
                .bind("at", chrono::Utc::now())
                .bind("token", uuid::Uuid::new_v4())
                .bind("price", rust_decimal::Decimal::new(1050, 2)),
        )
        .await
        .unwrap();
        db.execute(text(
            "INSERT INTO mig_post (author_id, title) VALUES (1, 'Hello')",
        ))
        .await
        .unwrap();

        let live = ours(Schema::inspect(&db).await.unwrap());
        let wanted = Schema::from_models(&v2_models(), dialect);
        let renames = [(
            "mig_post".to_owned(),
            "title".to_owned(),
            "headline".to_owned(),
        )];
        let ops = diff(&wanted, &live, dialect, &renames);

        // SQLite cannot alter a column or add a foreign key in place: without the tables'
        // definitions it says so; apply() rebuilds the tables.
        if dialect == Dialect::Sqlite {
            let err = flask_migrate::statements(&ops, dialect)
                .unwrap_err()
                .to_string();
            assert!(err.contains("needs the table rebuilt"), "{err}");
            let planned = flask_migrate::statements_from(&ops, dialect, &live).unwrap();
            assert_eq!(
                planned.first().map(String::as_str),
                Some("PRAGMA foreign_keys = OFF")
            );
            assert!(
                planned
                    .iter()
                    .any(|s| s.starts_with("INSERT INTO \"_flask_migrate_new_mig_user\"")),
                "{planned:#?}"
            );
        }
        flask_migrate::apply(&db, &ops).await.unwrap();
        let upgraded = ours(Schema::inspect(&db).await.unwrap());
        assert_eq!(
            described(&diff(&wanted, &upgraded, dialect, &[])),
            Vec::<String>::new(),
            "{url}: upgraded to the models"
        );
        let headline = db
            .scalar(text("SELECT headline FROM mig_post WHERE id = 1"))
            .await
            .unwrap();
        assert_eq!(
            headline.as_str(),
            Some("Hello"),
            "{url}: the renamed column kept its value"
        );
        let email = db
            .scalar(text("SELECT email FROM mig_user WHERE name = 'ann'"))
            .await
            .unwrap();
        assert!(
            email.is_null(),
            "{url}: the new column is NULL for the old row"
        );

        // Down: every operation undone, last first.
        let down: Vec<Op> = ops.iter().rev().map(Op::reverse).collect();
        flask_migrate::apply(&db, &down).await.unwrap();
        let back = ours(Schema::inspect(&db).await.unwrap());
        let v1 = Schema::from_models(&v1_models(), dialect);
        assert!(
            diff(&v1, &back, dialect, &[]).is_empty(),
            "{url}: back to version 1"
        );
        let title = db
            .scalar(text("SELECT title FROM mig_post WHERE id = 1"))
            .await
            .unwrap();
        assert_eq!(title.as_str(), Some("Hello"), "{url}");
        db.drop_all(&v1_models()).await.unwrap();
        db.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flask_migrate_databases_alembic_version_is_never_proposed_for_dropping() {
    let _serial = SERIAL.lock().await;
    for url in backends() {
        let db = fresh(&url).await;
        db.create_all(&v1_models()).await.unwrap();
        // What Flask-Migrate (Alembic) leaves in a database it managed.
        db.execute(flask_sqlalchemy::text(
            "CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)",
        ))
        .await
        .unwrap();
        let live = Schema::inspect(&db).await.unwrap();
        assert!(
            live.tables.iter().all(|t| t.name != "alembic_version"),
            "{url}: inspect reads Alembic's table"
        );
        let wanted = Schema::from_models(&v1_models(), db.dialect());
        let ops = diff(&wanted, &ours(live), db.dialect(), &[]);
        assert!(ops.is_empty(), "{url}: {ops:#?}");
        db.execute(flask_sqlalchemy::text("DROP TABLE alembic_version"))
            .await
            .unwrap();
        db.drop_all(&v1_models()).await.unwrap();
        db.close().await;
    }
}

/// A model with a unique constraint and an index on two columns each, in two versions.
mod members {
    use flask_sqlalchemy::Model;

    #[derive(Debug, Model)]
    #[model(table = "mig_member", unique(team, person), index(role, team))]
    pub(crate) struct V1 {
        #[model(primary_key)]
        pub(crate) id: i64,
        #[model(max_length = 20)]
        pub(crate) team: String,
        pub(crate) person: i64,
        #[model(max_length = 20)]
        pub(crate) role: String,
    }

    /// The index on (role, team) dropped, one on (person, role) added, and a named unique
    /// constraint on (role, person), its fields given as strings (a field in two `unique`
    /// idents is what clippy's `duplicated_attributes` flags).
    #[derive(Debug, Model)]
    #[model(table = "mig_member", unique(team, person))]
    #[model(index(person, role), unique("role", "person", name = "uq_member_role"))]
    pub(crate) struct V2 {
        #[model(primary_key)]
        pub(crate) id: i64,
        #[model(max_length = 20)]
        pub(crate) team: String,
        pub(crate) person: i64,
        #[model(max_length = 20)]
        pub(crate) role: String,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unique_constraints_and_indexes_on_several_columns() {
    use flask_sqlalchemy::{MetaData, text};
    let _serial = SERIAL.lock().await;
    let v1 = MetaData::new().register::<members::V1>();
    let v2 = MetaData::new().register::<members::V2>();
    for url in backends() {
        let db = fresh(&url).await;
        let dialect = db.dialect();
        db.drop_all(&v1).await.unwrap();
        db.create_all(&v1).await.unwrap();
        let live = ours(Schema::inspect(&db).await.unwrap());
        let member = live.table("mig_member").unwrap();
        assert!(
            member
                .indexes
                .iter()
                .any(|i| i.unique && i.columns == ["team", "person"]),
            "{url}: {member:#?}"
        );
        assert!(
            member
                .indexes
                .iter()
                .any(|i| !i.unique && i.columns == ["role", "team"]),
            "{url}: {member:#?}"
        );
        let ops = diff(&Schema::from_models(&v1, dialect), &live, dialect, &[]);
        assert!(ops.is_empty(), "{url}: {ops:#?}");

        // The unique constraint holds on the pair, not on each column.
        let insert = |team: &str, person: i64| {
            text("INSERT INTO mig_member (team, person, role) VALUES (:t, :p, 'dev')")
                .bind("t", team)
                .bind("p", person)
        };
        db.execute(insert("red", 1)).await.unwrap();
        db.execute(insert("red", 2)).await.unwrap();
        db.execute(insert("blue", 1)).await.unwrap();
        let err = db.execute(insert("red", 1)).await.unwrap_err();
        assert!(err.is_unique_violation(), "{url}: {err}");

        let ops = diff(&Schema::from_models(&v2, dialect), &live, dialect, &[]);
        assert_eq!(
            described(&ops),
            [
                "Detected added index 'ix_mig_member_person_role' on 'mig_member' (person, role)",
                "Detected added unique constraint 'uq_member_role' on 'mig_member' (role, person)",
                "Detected removed index 'ix_mig_member_role_team' on 'mig_member'",
            ],
            "{url}"
        );
        // The (role, person) pairs are taken already: the new constraint refuses them.
        assert!(flask_migrate::apply(&db, &ops).await.is_err(), "{url}");
        db.execute(text("DELETE FROM mig_member WHERE team = 'blue'"))
            .await
            .unwrap();
        db.execute(text("UPDATE mig_member SET role = 'ops' WHERE person = 2"))
            .await
            .unwrap();
        let live = ours(Schema::inspect(&db).await.unwrap());
        let ops = diff(&Schema::from_models(&v2, dialect), &live, dialect, &[]);
        flask_migrate::apply(&db, &ops).await.unwrap();
        let upgraded = ours(Schema::inspect(&db).await.unwrap());
        assert!(
            diff(&Schema::from_models(&v2, dialect), &upgraded, dialect, &[]).is_empty(),
            "{url}: upgraded"
        );
        // Down: the whole upgrade undone (the refused attempt above may have made part of
        // it on a database without transactional DDL).
        let whole = diff(
            &Schema::from_models(&v2, dialect),
            &Schema::from_models(&v1, dialect),
            dialect,
            &[],
        );
        let down: Vec<Op> = whole.iter().rev().map(Op::reverse).collect();
        flask_migrate::apply(&db, &down).await.unwrap();
        let back = ours(Schema::inspect(&db).await.unwrap());
        let left = diff(&Schema::from_models(&v1, dialect), &back, dialect, &[]);
        assert!(
            left.is_empty(),
            "{url}: back to version 1: {left:#?}\n{back:#?}"
        );
        db.drop_all(&v1).await.unwrap();
        db.close().await;
    }
}
