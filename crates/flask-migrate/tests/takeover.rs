//! Taking over a database that a real Flask-SQLAlchemy + Flask-Migrate app made, on the three
//! databases: the Python app (`tests/takeover/app.py`) runs `flask db init / migrate /
//! upgrade` in a virtualenv, then flask-rs reflects its tables into models, finds nothing to
//! change, adopts its Alembic history and migrates a new column.
//!
//! The virtualenv is made once under `target/` with Python 3 and pip (from PyPI); without
//! them the test is skipped, unless `FLASK_TEST_REQUIRE_SERVICES` is set.

mod common;
use common::backends;

// The models exactly as `db reflect` writes them (`pub`, for an app's models module).
#[allow(unreachable_pub)]
#[path = "takeover/reflected.rs"]
mod reflected;

use std::path::{Path, PathBuf};
use std::process::Command;

use flask_migrate::{Op, Schema, diff, reflect_models};
use flask_sqlalchemy::{Dialect, Engine, EngineOptions, MetaData, text};

/// The Python packages, pinned: the versions the expectations below were made with.
const PACKAGES: [&str; 7] = [
    "flask==3.1.3",
    "flask-sqlalchemy==3.1.1",
    "flask-migrate==4.1.0",
    "sqlalchemy==2.1.9",
    "alembic==1.20.1",
    "psycopg2-binary==2.9.13",
    "pymysql==1.2.4",
];

/// The Python of a virtualenv with the packages, made if need be; `None` when this machine
/// cannot make one.
fn python() -> Option<PathBuf> {
    test_support::python::venv("flask-takeover-venv", &PACKAGES)
}

/// The SQLAlchemy URL of a test database URL.
fn sqlalchemy_url(url: &str, dir: &Path) -> String {
    if url.starts_with("sqlite") {
        format!("sqlite:///{}", dir.join("flask.db").display())
    } else if let Some(rest) = url.strip_prefix("postgres://") {
        format!("postgresql+psycopg2://{rest}")
    } else if let Some(rest) = url.strip_prefix("mysql://") {
        format!("mysql+pymysql://{rest}")
    } else {
        url.to_owned()
    }
}

/// Runs `flask --app app db <args>` in `dir` on `database`.
fn flask_db(python: &Path, dir: &Path, database: &str, args: &[&str]) {
    let out = Command::new(python)
        .args(["-m", "flask", "--app", "app", "db"])
        .args(args)
        .current_dir(dir)
        .env("DATABASE_URL", database)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "flask db {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Only this test's tables (the servers hold other tests' tables too).
fn ours(mut schema: Schema) -> Schema {
    schema.tables.retain(|t| t.name.starts_with("fm_"));
    schema
}

fn models() -> MetaData {
    MetaData::new()
        .register::<reflected::FmUser>()
        .register::<reflected::FmTag>()
        .register::<reflected::FmPost>()
        .register::<reflected::FmPostTag>()
}

async fn clean(db: &Engine) {
    for table in [
        "fm_post_tag",
        "fm_post",
        "fm_tag",
        "fm_user",
        "alembic_version",
    ] {
        db.execute(text(format!("DROP TABLE IF EXISTS {table}")))
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flask_migrate_database_is_reflected_adopted_and_migrated() {
    let Some(python) = python() else { return };
    for url in backends() {
        let dir = std::env::temp_dir().join(format!(
            "flask-takeover-{}-{}",
            url.split(':').next().unwrap_or("db"),
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/takeover/app.py"),
            dir.join("app.py"),
        )
        .unwrap();
        let engine_url = if url.starts_with("sqlite") {
            format!("sqlite:///{}", dir.join("flask.db").display())
        } else {
            url.clone()
        };
        let db = Engine::connect(&engine_url, &dir, EngineOptions::default())
            .await
            .unwrap();
        clean(&db).await;

        // The Flask app makes its database, as its developers did.
        let database = sqlalchemy_url(&url, &dir);
        flask_db(&python, &dir, &database, &["init"]);
        flask_db(&python, &dir, &database, &["migrate", "-m", "initial"]);
        flask_db(&python, &dir, &database, &["upgrade"]);
        let revision = db
            .scalar(text("SELECT version_num FROM alembic_version"))
            .await
            .unwrap();
        let revision = revision.as_str().unwrap_or_default().to_owned();
        assert_eq!(
            revision.len(),
            12,
            "{url}: Alembic's revision id {revision:?}"
        );

        // Reflected, its tables read as the models in tests/takeover/reflected.rs.
        let live = ours(Schema::inspect(&db).await.unwrap());
        let source = reflect_models(&live);
        let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/takeover/reflected.rs");
        if std::env::var_os("FLASK_UPDATE_GOLDEN").is_some() && db.dialect() == Dialect::Sqlite {
            std::fs::write(&golden, &source).unwrap();
        }
        let expected = std::fs::read_to_string(&golden).unwrap();
        assert_eq!(
            source,
            expected,
            "{url}: reflected models differ from {}",
            golden.display()
        );

        // Autogenerate finds nothing to change, and leaves alembic_version alone.
        let everything = Schema::inspect(&db).await.unwrap();
        assert!(everything.table("alembic_version").is_none(), "{url}");
        let ops = diff(
            &Schema::from_models(&models(), db.dialect()),
            &live,
            db.dialect(),
            &[],
        );
        assert!(ops.is_empty(), "{url}: {ops:#?}");

        // db adopt: a first migration of ours from the tables, marked applied; the Alembic
        // revision stays where it was.
        assert_eq!(
            flask_migrate::alembic_heads(&db).await.unwrap(),
            std::slice::from_ref(&revision),
            "{url}"
        );
        let migrations = dir.join("migrations");
        std::fs::create_dir_all(&migrations).unwrap();
        std::fs::write(
            migrations.join("mod.rs"),
            flask_migrate::module_source(&[], &[]),
        )
        .unwrap();
        let mut ext = flask_migrate::Migrate::new().migrator::<NoMigrations>();
        for table in Schema::inspect(&db).await.unwrap().tables {
            if !table.name.starts_with("fm_") {
                ext = ext.ignore_table(&table.name);
            }
        }
        let name = ext.adopt(&db, &models(), &migrations).await.unwrap();
        assert!(
            name.contains(&format!("alembic_{revision}")),
            "{url}: {name}"
        );
        let source = std::fs::read_to_string(migrations.join(format!("{name}.rs"))).unwrap();
        assert!(
            source.contains(&format!("Alembic revision {revision}")),
            "{source}"
        );
        for table in ["fm_user", "fm_tag", "fm_post", "fm_post_tag"] {
            assert!(
                source.contains(&format!("Op::CreateTable(table({table:?})")),
                "{url}: {table} in {source}"
            );
        }
        assert!(
            std::fs::read_to_string(migrations.join("mod.rs"))
                .unwrap()
                .contains(&name)
        );
        let stamped = db
            .scalar(text("SELECT version FROM seaql_migrations"))
            .await
            .unwrap();
        assert_eq!(stamped.as_str(), Some(name.as_str()), "{url}");
        // Once is enough; and a database without Alembic history is not adopted.
        let again = ext.adopt(&db, &models(), &migrations).await.unwrap_err();
        assert!(again.to_string().contains("adopted"), "{again}");
        db.execute(text("DELETE FROM seaql_migrations"))
            .await
            .unwrap();

        // A new column migrates, and the Flask app's rows and history stay.
        db.execute(
            text(
                "INSERT INTO fm_user (email, name, active) VALUES ('ann@example.com', 'ann', :yes)",
            )
            .bind("yes", true),
        )
        .await
        .unwrap();
        let mut wanted = Schema::from_models(&models(), db.dialect());
        let user = wanted
            .tables
            .iter_mut()
            .find(|t| t.name == "fm_user")
            .unwrap();
        user.columns.push(
            flask_migrate::prelude::column(
                "nickname",
                flask_sqlalchemy::ColumnType::String(Some(40)),
            )
            .nullable(),
        );
        let ops = diff(&wanted, &live, db.dialect(), &[]);
        let described: Vec<String> = ops.iter().map(Op::describe).collect();
        assert_eq!(
            described,
            ["Detected added column 'fm_user.nickname'"],
            "{url}"
        );
        flask_migrate::apply(&db, &ops).await.unwrap();
        let after = ours(Schema::inspect(&db).await.unwrap());
        assert!(diff(&wanted, &after, db.dialect(), &[]).is_empty(), "{url}");
        let name = db
            .scalar(text(
                "SELECT name FROM fm_user WHERE email = 'ann@example.com'",
            ))
            .await
            .unwrap();
        assert_eq!(name.as_str(), Some("ann"), "{url}");
        let still = db
            .scalar(text("SELECT version_num FROM alembic_version"))
            .await
            .unwrap();
        assert_eq!(still.as_str(), Some(revision.as_str()), "{url}");
        clean(&db).await;
        let err = ext.adopt(&db, &models(), &migrations).await.unwrap_err();
        assert!(err.to_string().contains("no alembic_version"), "{err}");
        db.execute(text("DROP TABLE IF EXISTS seaql_migrations"))
            .await
            .unwrap();
        db.close().await;
    }
}

/// An app's migrations right after `db init`: none yet.
struct NoMigrations;

impl flask_migrate::prelude::MigratorTrait for NoMigrations {
    fn migrations() -> Vec<Box<dyn flask_migrate::prelude::MigrationTrait>> {
        Vec::new()
    }
}

impl flask_migrate::Revisions for NoMigrations {}
