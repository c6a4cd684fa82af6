//! The `db` commands on an app's command line, on the three databases, with the migrations
//! of `tests/migrations/`.
#![cfg(feature = "flask")]

mod common;
use common::backends;
use common::models::{v1_models, v2_models};

// As generated (an app's migrations module is public; here it is private to the test).
#[rustfmt::skip]
#[allow(unreachable_pub, dead_code)]
#[path = "migrations/mod.rs"]
mod migrations;

use flask::Flask;
use flask_migrate::{MIGRATIONS_TABLE, Migrate};
use flask_sqlalchemy::{Engine, EngineOptions, SQLAlchemy, text};

/// The tests of this file share their tables on the servers: one runs at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const FIRST: &str = "m20261130_000001_initial";
const SECOND: &str = "m20261130_000002_teams_and_email";

async fn clean(url: &str) {
    let db = Engine::connect(url, std::env::temp_dir().as_ref(), EngineOptions::default())
        .await
        .unwrap();
    db.drop_all(&v2_models()).await.unwrap();
    db.drop_all(&v1_models()).await.unwrap();
    db.execute(text(format!("DROP TABLE IF EXISTS {MIGRATIONS_TABLE}")))
        .await
        .unwrap();
    db.close().await;
}

fn app(url: &str, dir: &std::path::Path) -> Flask {
    let url = url.to_owned();
    let sqlalchemy = SQLAlchemy::new()
        .model::<common::models::v2::User>()
        .model::<common::models::v2::Team>()
        .model::<common::models::v2::Post>();
    Flask::new("migrating")
        .configure(move |c| c.set("SQLALCHEMY_DATABASE_URI", url.as_str()))
        .extension(sqlalchemy)
        .extension(
            Migrate::new()
                .migrator::<migrations::Migrator>()
                .directory(dir),
        )
}

/// A database of this test's own on the server behind `url`.
async fn own_database(url: &str) -> String {
    common::scripts::own_database(url, "flask_migrate_cmd").await
}

/// The app before its migrations module exists: `Migrate` without a migrator.
fn fresh_app(url: &str, dir: &std::path::Path) -> Flask {
    let url = url.to_owned();
    Flask::new("migrating")
        .configure(move |c| c.set("SQLALCHEMY_DATABASE_URI", url.as_str()))
        .extension(
            SQLAlchemy::new()
                .model::<common::models::v2::User>()
                .model::<common::models::v2::Team>()
                .model::<common::models::v2::Post>(),
        )
        .extension(Migrate::new().directory(dir))
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("flask-migrate-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_db_commands() {
    let _serial = SERIAL.lock().await;
    for url in backends() {
        let dir = temp_dir("commands");
        // Two apps share the database below: SQLite on a file, not in memory.
        let url = if url.starts_with("sqlite") {
            let file =
                std::env::temp_dir().join(format!("flask-migrate-{}.db", std::process::id()));
            let _ = std::fs::remove_file(&file);
            format!("sqlite:///{}", file.display())
        } else {
            own_database(&url).await
        };
        clean(&url).await;
        let app = app(&url, &dir).build().unwrap();
        app.startup().await.unwrap();
        let cli = app.test_cli_runner();
        let run = |args: &'static [&'static str]| {
            let cli = &cli;
            async move { cli.invoke(args).await }
        };
        let out = run(&["db", "current"]).await;
        assert_eq!(out.output.trim(), "(base)", "{url}");
        let out = run(&["db", "check"]).await;
        assert_eq!(out.code, 1, "{url}: {}", out.output);
        assert!(
            out.output.contains("New upgrade operations detected")
                && out.output.contains("Detected added table 'mig_user'"),
            "{url}: {}",
            out.output
        );
        let out = run(&["db", "heads"]).await;
        assert_eq!(out.output.trim(), format!("{SECOND} (head)"), "{url}");

        // Up to the first migration by name.
        let out = run(&["db", "upgrade", FIRST]).await;
        assert_eq!(out.code, 0, "{url}: {}", out.output);
        assert_eq!(
            out.output.trim(),
            format!("Running upgrade base -> {FIRST}"),
            "{url}"
        );
        assert_eq!(run(&["db", "current"]).await.output.trim(), FIRST, "{url}");

        {
            let out = run(&["db", "upgrade"]).await;
            assert_eq!(out.code, 0, "{url}: {}", out.output);
            assert_eq!(
                out.output.trim(),
                format!("Running upgrade {FIRST} -> {SECOND}"),
                "{url}"
            );
            assert_eq!(
                run(&["db", "current"]).await.output.trim(),
                format!("{SECOND} (head)"),
                "{url}"
            );
            let out = run(&["db", "check"]).await;
            assert_eq!(out.code, 0, "{url}: {}", out.output);
            assert_eq!(
                out.output.trim(),
                "No new upgrade operations detected.",
                "{url}"
            );
            let history = run(&["db", "history"]).await.output;
            assert_eq!(
                history.trim(),
                format!("{FIRST} -> {SECOND} (head) (current)\n<base> -> {FIRST}"),
                "{url}"
            );
            let out = run(&["db", "downgrade"]).await;
            assert_eq!(
                out.output.trim(),
                format!("Running downgrade {SECOND} -> {FIRST}"),
                "{url}"
            );
        }

        // Autogenerate refuses while migrations wait, as Alembic does.
        let out = run(&["db", "migrate", "-m", "x"]).await;
        assert_eq!(out.code, 1, "{url}: {}", out.output);
        assert!(
            out.output.contains("Target database is not up to date"),
            "{}",
            out.output
        );

        // An app at `db init` time (no migrator yet) writes the files; the models here are
        // version 2 and the database at version 1, so it finds the second migration's
        // changes.
        let fresh = fresh_app(&url, &dir).build().unwrap();
        fresh.startup().await.unwrap();
        let cli = fresh.test_cli_runner();
        let run = |args: &'static [&'static str]| {
            let cli = &cli;
            async move { cli.invoke(args).await }
        };
        let out = run(&["db", "init"]).await;
        assert_eq!(out.code, 0, "{url}: {}", out.output);
        assert!(dir.join("mod.rs").exists());
        let out = run(&["db", "init"]).await;
        assert_eq!(out.code, 1, "{url}: init twice: {}", out.output);
        let out = run(&["db", "migrate", "-m", "Teams and email"]).await;
        assert_eq!(out.code, 0, "{url}: {}", out.output);
        assert!(
            out.output.contains("Detected added table 'mig_team'")
                && out.output.contains(
                    "if it was a rename, run again with --rename mig_post.title:headline"
                ),
            "{url}: {}",
            out.output
        );
        let out = run(&[
            "db",
            "migrate",
            "-m",
            "Teams and email",
            "--rename",
            "mig_post.title:headline",
        ])
        .await;
        assert!(
            out.output
                .contains("Detected renamed column 'mig_post.title' to 'headline'"),
            "{url}: {}",
            out.output
        );
        let files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(
            files.len(),
            3,
            "{url}: mod.rs and two migrations: {files:?}"
        );
        let module = std::fs::read_to_string(dir.join("mod.rs")).unwrap();
        assert!(module.contains("_teams_and_email::Migration"), "{module}");
        assert!(!module.contains("pub mod mod;"), "{module}");
        let out = run(&["db", "revision", "-m", "by hand"]).await;
        assert!(
            out.output.contains("_by_hand.rs ...  done"),
            "{url}: {}",
            out.output
        );

        let out = run(&["db", "upgrade"]).await;
        assert!(
            out.output.contains("needs the app's migrations"),
            "{}",
            out.output
        );

        // Stamp moves the mark without running anything.
        let cli = app.test_cli_runner();
        let run = |args: &'static [&'static str]| {
            let cli = &cli;
            async move { cli.invoke(args).await }
        };
        let out = run(&["db", "stamp", "base"]).await;
        assert_eq!(out.output.trim(), "Stamped base", "{url}");
        assert_eq!(
            run(&["db", "current"]).await.output.trim(),
            "(base)",
            "{url}"
        );
        let out = run(&["db", "stamp", FIRST]).await;
        assert_eq!(out.code, 0, "{url}: {}", out.output);
        let out = run(&["db", "downgrade", "base"]).await;
        assert_eq!(
            out.output.trim(),
            format!("Running downgrade {FIRST} -> base"),
            "{url}"
        );
        let out = run(&["db", "upgrade", "m_nothing"]).await;
        assert_eq!(out.code, 1, "{url}");
        assert!(out.output.contains("no migration named"), "{}", out.output);
        let _ = std::fs::remove_dir_all(&dir);
        clean(&url).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_is_a_function_too() {
    let _serial = SERIAL.lock().await;
    for url in backends() {
        let url = if url.starts_with("sqlite") {
            url
        } else {
            own_database(&url).await
        };
        clean(&url).await;
        let dir = temp_dir("rust");
        let app = app(&url, &dir).build().unwrap();
        app.startup().await.unwrap();
        let migrate = app.extension::<Migrate>().unwrap();
        let sqlalchemy = app.extension::<SQLAlchemy>().unwrap();
        let engine = sqlalchemy.engine().unwrap();
        let models = sqlalchemy.metadata();

        assert_eq!(migrate.migrations().unwrap(), [FIRST, SECOND], "{url}");
        assert_eq!(
            migrate.upgrade(engine, FIRST).await.unwrap(),
            [FIRST],
            "{url}"
        );
        assert_eq!(migrate.applied(engine).await.unwrap(), [FIRST], "{url}");
        let ops = migrate.check(engine, models).await.unwrap();
        assert!(
            ops.iter()
                .any(|op| op.describe() == "Detected added column 'mig_user.email'"),
            "{url}: {ops:#?}"
        );
        assert_eq!(
            migrate.upgrade(engine, "head").await.unwrap(),
            [SECOND],
            "{url}"
        );
        assert!(
            migrate.check(engine, models).await.unwrap().is_empty(),
            "{url}"
        );
        assert_eq!(
            migrate.downgrade(engine, "base").await.unwrap(),
            [SECOND, FIRST],
            "{url}: newest first"
        );
        let err = migrate.upgrade(engine, "m_nothing").await.unwrap_err();
        assert!(
            matches!(err, flask_migrate::Error::Usage(_)),
            "{url}: {err}"
        );
        clean(&url).await;
    }
}

/// Runs `script` with the database's own client on `url`.
fn run_script(url: &str, script: &str) {
    common::scripts::run_script(url, "flask_migrate_cmd", script);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_sql_is_a_script_the_database_client_runs() {
    let _serial = SERIAL.lock().await;
    for url in backends() {
        let url = if url.starts_with("sqlite") {
            let file =
                std::env::temp_dir().join(format!("flask-migrate-sql-{}.db", std::process::id()));
            let _ = std::fs::remove_file(&file);
            format!("sqlite:///{}", file.display())
        } else {
            own_database(&url).await
        };
        clean(&url).await;
        let dir = temp_dir("sql");
        let app = app(&url, &dir).build().unwrap();
        app.startup().await.unwrap();
        let cli = app.test_cli_runner();

        let out = cli.invoke(&["db", "upgrade", "--sql"]).await;
        assert_eq!(out.code, 0, "{url}: {}", out.output);
        assert!(
            out.output
                .contains(&format!("-- Running upgrade {FIRST} -> {SECOND}"))
        );
        assert_eq!(
            cli.invoke(&["db", "current"]).await.output.trim(),
            "(base)",
            "{url}: nothing ran"
        );
        run_script(&url, &out.output);
        assert_eq!(
            cli.invoke(&["db", "current"]).await.output.trim(),
            format!("{SECOND} (head)"),
            "{url}: the script upgraded"
        );
        let check = cli.invoke(&["db", "check"]).await;
        assert_eq!(check.code, 0, "{url}: {}", check.output);

        let out = cli.invoke(&["db", "downgrade", "head:base", "--sql"]).await;
        assert_eq!(out.code, 0, "{url}: {}", out.output);
        run_script(&url, &out.output);
        assert_eq!(
            cli.invoke(&["db", "current"]).await.output.trim(),
            "(base)",
            "{url}"
        );
        let check = cli.invoke(&["db", "check"]).await;
        assert!(
            check.output.contains("Detected added table 'mig_user'"),
            "{url}: {}",
            check.output
        );
        clean(&url).await;
    }
}

/// An app on `url` with the migrations in `dir`, applied when it starts serving.
fn upgrading_at_start(url: &str, dir: &std::path::Path) -> flask::App {
    let url = url.to_owned();
    Flask::new("migrating")
        .configure(move |c| c.set("SQLALCHEMY_DATABASE_URI", url.as_str()))
        .extension(SQLAlchemy::new())
        .extension(
            Migrate::new()
                .migrator::<migrations::Migrator>()
                .directory(dir)
                .upgrade_on_start(),
        )
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_upgrading_at_startup_apply_each_migration_once() {
    let _serial = SERIAL.lock().await;
    for url in backends() {
        if url.starts_with("sqlite") {
            continue; // an in-memory database is one process's
        }
        clean(&url).await;
        let dir = temp_dir("startup");
        let (a, b) = (
            upgrading_at_start(&url, &dir),
            upgrading_at_start(&url, &dir),
        );
        let (ra, rb) = tokio::join!(a.startup(), b.startup());
        ra.unwrap();
        rb.unwrap();
        let out = a.test_cli_runner().invoke(&["db", "current"]).await;
        assert_eq!(out.output.trim(), format!("{SECOND} (head)"), "{url}");
        clean(&url).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_on_start_waits_for_serving_not_for_commands() {
    let _serial = SERIAL.lock().await;
    for url in backends() {
        let url = if url.starts_with("sqlite") {
            let file = std::env::temp_dir()
                .join(format!("flask-migrate-on-serve-{}.db", std::process::id()));
            let _ = std::fs::remove_file(&file);
            format!("sqlite:///{}", file.display())
        } else {
            own_database(&url).await
        };
        clean(&url).await;
        let dir = temp_dir("on-serve");
        let app = upgrading_at_start(&url, &dir);
        let cli = app.test_cli_runner();
        // Commands see the database as it is: the script to read first, nothing applied.
        let out = cli.invoke(&["db", "upgrade", "--sql"]).await;
        assert_eq!(out.code, 0, "{url}: {}", out.output);
        assert!(
            out.output
                .contains(&format!("-- Running upgrade {FIRST} -> {SECOND}")),
            "{url}: {}",
            out.output
        );
        assert_eq!(
            cli.invoke(&["db", "current"]).await.output.trim(),
            "(base)",
            "{url}: a command applied the migrations"
        );
        // Serving applies them.
        app.startup().await.unwrap();
        assert_eq!(
            cli.invoke(&["db", "current"]).await.output.trim(),
            format!("{SECOND} (head)"),
            "{url}"
        );
        clean(&url).await;
    }
}
