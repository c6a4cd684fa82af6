//! Revisions as a graph on the three databases: a history that branches and merges
//! (`tests/branched/`, with hand-written SQL), `--sql` without a database, a history per
//! bind (`--multidb`), and the commands that write files: `revision --head`, `merge`,
//! `heads`, `branches`, `show`, `edit`.
#![cfg(feature = "flask")]

mod common;
use common::backends;

#[rustfmt::skip]
#[allow(unreachable_pub, dead_code)]
#[path = "branched/mod.rs"]
mod branched;

#[rustfmt::skip]
#[allow(unreachable_pub, dead_code)]
#[path = "migrations/mod.rs"]
mod migrations;

use flask::Flask;
use flask_migrate::{MIGRATIONS_TABLE, Migrate};
use flask_sqlalchemy::{Engine, EngineOptions, Model, SQLAlchemy, text};

/// A model of the default database, for `db migrate --multidb`.
#[derive(Debug, Clone, Model)]
#[model(table = "gr_note")]
struct Note {
    #[model(primary_key)]
    id: i64,
    #[model(max_length = 200)]
    body: String,
}

/// A model of the `users` database.
#[derive(Debug, Clone, Model)]
#[model(table = "gr_account", bind = "users")]
struct Account {
    #[model(primary_key)]
    id: i64,
    #[model(max_length = 80)]
    name: String,
}

const ITEMS: &str = "m20261201_000001_items";
const PRICE: &str = "m20261201_000002_price";
const TAGS: &str = "m20261201_000003_tags";
const MERGE: &str = "m20261201_000004_merge";
const FIRST: &str = "m20261130_000001_initial";
const SECOND: &str = "m20261130_000002_teams_and_email";

/// The tests of this file share their tables: one runs at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn connect(url: &str) -> Engine {
    Engine::connect(url, std::env::temp_dir().as_ref(), EngineOptions::default())
        .await
        .unwrap()
}

/// Drops what the migrations of both histories make.
async fn clean(url: &str) {
    let db = connect(url).await;
    for table in [
        "gr_tag",
        "gr_item",
        "mig_post",
        "mig_team",
        "mig_user",
        MIGRATIONS_TABLE,
    ] {
        db.execute(text(format!("DROP TABLE IF EXISTS {table}")))
            .await
            .unwrap();
    }
    db.close().await;
}

/// A database of this test's own on the server behind `url`; for SQLite a file (two apps
/// share it).
async fn own_database(url: &str, name: &str) -> String {
    if url.starts_with("sqlite") {
        let file = std::env::temp_dir().join(format!(
            "flask-migrate-graph-{name}-{}.db",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&file);
        return format!("sqlite:///{}", file.display());
    }
    common::scripts::own_database(url, "flask_migrate_graph").await
}

/// Runs `script` with the database's own client on `url`.
fn run_script(url: &str, script: &str) {
    common::scripts::run_script(url, "flask_migrate_graph", script);
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("flask-migrate-graph-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// An app on `url` with the branched history; with `users`, a bind of that URI with the
/// migrations of `tests/migrations/` as its own history.
fn app(url: &str, users: Option<&str>, dir: &std::path::Path) -> flask::App {
    let url = url.to_owned();
    let users = users.map(str::to_owned);
    let mut migrate = Migrate::new()
        .migrator::<branched::Migrator>()
        .directory(dir);
    if users.is_some() {
        migrate = migrate.bind_migrator::<migrations::Migrator>("users");
    }
    Flask::new("graph")
        .configure(move |c| {
            c.set("SQLALCHEMY_DATABASE_URI", url.as_str());
            if let Some(users) = &users {
                c.set("SQLALCHEMY_BINDS", serde_json::json!({ "users": users }));
            }
        })
        .extension(SQLAlchemy::new())
        .extension(migrate)
        .build()
        .unwrap()
}

/// What `args` printed, when it succeeded.
async fn ok(cli: &flask::cli::CliRunner, args: &[&str]) -> String {
    let out = cli.invoke(args).await;
    assert_eq!(out.code, 0, "{args:?}: {}", out.output);
    out.output.trim_end().to_owned()
}

/// What `args` said when it failed.
async fn fails(cli: &flask::cli::CliRunner, args: &[&str]) -> String {
    let out = cli.invoke(args).await;
    assert_eq!(out.code, 1, "{args:?} should fail: {}", out.output);
    out.output
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_history_that_branches_and_merges() {
    let _serial = SERIAL.lock().await;
    for url in backends() {
        let url = own_database(&url, "branches").await;
        clean(&url).await;
        let app = app(&url, None, &temp_dir("none"));
        let cli = app.test_cli_runner();

        assert_eq!(ok(&cli, &["db", "heads"]).await, format!("{MERGE} (head)"));
        assert_eq!(
            ok(&cli, &["db", "branches"]).await,
            format!("{ITEMS} (branchpoint)\n   -> {PRICE}\n   -> {TAGS}")
        );
        assert_eq!(
            ok(&cli, &["db", "upgrade", "+1"]).await,
            format!("Running upgrade base -> {ITEMS}"),
            "{url}"
        );
        let err = fails(&cli, &["db", "upgrade", "+1"]).await;
        assert!(
            err.contains(&format!(
                "+1 is ambiguous: the next revision could be any of {PRICE}, {TAGS}"
            )),
            "{url}: {err}"
        );
        // A revision by the start of its name: it and what it follows.
        assert_eq!(
            ok(&cli, &["db", "upgrade", "20261201_000003"]).await,
            format!("Running upgrade {ITEMS} -> {TAGS}"),
            "{url}"
        );
        assert_eq!(ok(&cli, &["db", "current"]).await, TAGS, "{url}");
        assert_eq!(
            ok(&cli, &["db", "upgrade"]).await,
            format!(
                "Running upgrade {ITEMS} -> {PRICE}\nRunning upgrade {PRICE}, {TAGS} -> {MERGE}"
            ),
            "{url}"
        );
        // The hand-written SQL ran.
        let db = connect(&url).await;
        let label = db.scalar(text("SELECT label FROM gr_tag")).await.unwrap();
        assert_eq!(label.as_str(), Some("merged"), "{url}");
        let name = db.scalar(text("SELECT name FROM gr_item")).await.unwrap();
        assert_eq!(name.as_str(), Some("sample"), "{url}");
        assert_eq!(
            ok(&cli, &["db", "history"]).await,
            format!(
                "{PRICE}, {TAGS} -> {MERGE} (head) (mergepoint) (current)\n{ITEMS} -> {TAGS}\n\
                 {ITEMS} -> {PRICE}\n<base> -> {ITEMS} (branchpoint)"
            ),
            "{url}"
        );

        // Down from the merge, the database is at both branches.
        assert_eq!(
            ok(&cli, &["db", "downgrade"]).await,
            format!("Running downgrade {MERGE} -> {PRICE}, {TAGS}"),
            "{url}"
        );
        assert_eq!(
            ok(&cli, &["db", "current"]).await,
            format!("{PRICE}\n{TAGS}"),
            "{url}"
        );
        let err = fails(&cli, &["db", "downgrade"]).await;
        assert!(
            err.contains(&format!(
                "-1 is ambiguous: the database is at {PRICE}, {TAGS}"
            )),
            "{url}: {err}"
        );
        assert_eq!(
            ok(&cli, &["db", "downgrade", ITEMS]).await,
            format!("Running downgrade {TAGS} -> {ITEMS}\nRunning downgrade {PRICE} -> {ITEMS}"),
            "{url}"
        );
        assert_eq!(
            ok(&cli, &["db", "downgrade", "base"]).await,
            format!("Running downgrade {ITEMS} -> base"),
            "{url}"
        );
        assert!(!db.has_table("gr_item").await.unwrap(), "{url}");

        // Relative to a revision, as Alembic's `ae10+2`.
        assert_eq!(
            ok(&cli, &["db", "upgrade", &format!("{TAGS}+1")]).await,
            format!(
                "Running upgrade base -> {ITEMS}\nRunning upgrade {ITEMS} -> {PRICE}\n\
                 Running upgrade {ITEMS} -> {TAGS}\nRunning upgrade {PRICE}, {TAGS} -> {MERGE}"
            ),
            "{url}"
        );
        let err = fails(&cli, &["db", "downgrade", &format!("{MERGE}-1")]).await;
        assert!(
            err.contains(&format!("from {MERGE} the way goes to {PRICE}, {TAGS}")),
            "{url}: {err}"
        );
        assert_eq!(
            ok(&cli, &["db", "downgrade", "20261201_000002-1"]).await,
            format!(
                "Running downgrade {MERGE} -> {PRICE}, {TAGS}\nRunning downgrade {TAGS} -> {ITEMS}\n\
                 Running downgrade {PRICE} -> {ITEMS}"
            ),
            "{url}"
        );
        ok(&cli, &["db", "downgrade", "base"]).await;

        // Stamping both branches marks them and what they follow, running nothing.
        assert_eq!(
            ok(&cli, &["db", "stamp", PRICE, TAGS]).await,
            format!("Stamped {PRICE}, {TAGS}"),
            "{url}"
        );
        assert_eq!(
            ok(&cli, &["db", "current"]).await,
            format!("{PRICE}\n{TAGS}"),
            "{url}"
        );
        assert!(!db.has_table("gr_item").await.unwrap(), "{url}");

        // A migration this build does not have (a file from another git branch).
        db.execute(text(format!(
            "INSERT INTO {MIGRATIONS_TABLE} (version, applied_at) VALUES ('m20991231_000000_gone', 0)"
        )))
        .await
        .unwrap();
        let err = fails(&cli, &["db", "current"]).await;
        assert!(
            err.contains("migrations applied that this app does not have: m20991231_000000_gone"),
            "{url}: {err}"
        );
        assert_eq!(ok(&cli, &["db", "stamp", "base"]).await, "Stamped base");
        assert_eq!(ok(&cli, &["db", "current"]).await, "(base)");
        db.close().await;
        clean(&url).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_sql_needs_no_database() {
    let _serial = SERIAL.lock().await;
    for url in backends() {
        let url = own_database(&url, "offline").await;
        clean(&url).await;
        // The same database family, on a server that is not there (or a file never made).
        let unreachable = if url.starts_with("postgres") {
            "postgresql://nobody@127.0.0.1:1/nothing".to_owned()
        } else if url.starts_with("mysql") {
            "mysql://nobody@127.0.0.1:1/nothing".to_owned()
        } else {
            let file =
                std::env::temp_dir().join(format!("flask-migrate-never-{}.db", std::process::id()));
            format!("sqlite:///{}", file.display())
        };
        let offline = app(&unreachable, None, &temp_dir("offline"));
        let cli = offline.test_cli_runner();
        let script = ok(&cli, &["db", "upgrade", "--sql"]).await;
        for expected in [
            format!("-- Running upgrade base -> {ITEMS}"),
            format!("-- Running upgrade {PRICE}, {TAGS} -> {MERGE}"),
            "INSERT INTO gr_tag (label) VALUES ('merged');".to_owned(),
            format!("INSERT INTO {MIGRATIONS_TABLE} (version, applied_at) VALUES ('{MERGE}',"),
        ] {
            assert!(script.contains(&expected), "{url}: {expected} in\n{script}");
        }
        assert_eq!(
            script.contains("COMMENT ON TABLE gr_tag"),
            url.starts_with("postgres"),
            "{url}: SQL for one database family only"
        );
        if let Some(file) = unreachable.strip_prefix("sqlite:///") {
            assert!(!std::path::Path::new(file).exists(), "the app connected");
        }
        // A range: from a revision on.
        let part = ok(&cli, &["db", "upgrade", &format!("{PRICE}:heads"), "--sql"]).await;
        assert!(
            !part.contains(&format!("-> {PRICE}")) && part.contains(&format!("-> {TAGS}")),
            "{url}: {part}"
        );
        let err = fails(&cli, &["db", "downgrade", "--sql"]).await;
        assert!(
            err.contains("downgrade --sql needs FROM:TO"),
            "{url}: {err}"
        );
        if !url.starts_with("sqlite") {
            // Without --sql, the app connects first: the server is not there.
            let err = fails(&cli, &["db", "upgrade"]).await;
            assert!(err.contains("127.0.0.1:1"), "{url}: {err}");
        }

        // The scripts run with the database's own client, and the app agrees.
        run_script(&url, &script);
        let online = app(&url, None, &temp_dir("online"));
        let cli_online = online.test_cli_runner();
        assert_eq!(
            ok(&cli_online, &["db", "current"]).await,
            format!("{MERGE} (head) (mergepoint)"),
            "{url}"
        );
        let down = ok(&cli, &["db", "downgrade", "head:base", "--sql"]).await;
        assert!(
            down.contains(&format!("-- Running downgrade {PRICE} -> {ITEMS}")),
            "{url}: {down}"
        );
        run_script(&url, &down);
        assert_eq!(ok(&cli_online, &["db", "current"]).await, "(base)", "{url}");
        let db = connect(&url).await;
        assert!(!db.has_table("gr_item").await.unwrap(), "{url}");
        db.close().await;
        clean(&url).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_bind_has_its_history() {
    let _serial = SERIAL.lock().await;
    for url in backends() {
        let url = own_database(&url, "multidb").await;
        let users = own_database("sqlite://", "users").await;
        clean(&url).await;
        let app = app(&url, Some(&users), &temp_dir("multidb"));
        let cli = app.test_cli_runner();
        let out = ok(&cli, &["db", "upgrade", "heads"]).await;
        assert!(
            out.starts_with("Migrating database <default>\nRunning upgrade base -> m20261201")
                && out.contains(&format!(
                    "Migrating database users\nRunning upgrade base -> {FIRST}\nRunning upgrade {FIRST} -> {SECOND}"
                )),
            "{url}: {out}"
        );
        assert_eq!(
            ok(&cli, &["db", "current"]).await,
            format!(
                "Database <default>:\n{MERGE} (head) (mergepoint)\nDatabase users:\n{SECOND} (head)"
            ),
            "{url}"
        );
        assert_eq!(
            ok(&cli, &["db", "downgrade", "base", "--bind", "users"]).await,
            format!("Running downgrade {SECOND} -> {FIRST}\nRunning downgrade {FIRST} -> base"),
            "{url}"
        );
        // A revision by name moves the history that has it.
        assert_eq!(
            ok(&cli, &["db", "upgrade", "20261130_000001"]).await,
            format!("Running upgrade base -> {FIRST}"),
            "{url}"
        );
        assert_eq!(
            ok(&cli, &["db", "current", "--bind", "users"]).await,
            FIRST,
            "{url}"
        );
        let script = ok(&cli, &["db", "upgrade", "heads", "--sql"]).await;
        assert!(
            script.contains("-- Database <default>") && script.contains("-- Database users"),
            "{url}: {script}"
        );
        let err = fails(&cli, &["db", "current", "--bind", "nope"]).await;
        assert!(err.contains("SQLALCHEMY_BINDS has no such key"), "{err}");
        ok(&cli, &["db", "downgrade", "base"]).await;
        clean(&url).await;
        clean(&users).await;
    }
}

/// The names of the migration files in `dir`, oldest first.
fn files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().into_string().ok())
        .filter(|n| n.starts_with("m2") && n.ends_with(".rs"))
        .map(|n| n.trim_end_matches(".rs").to_owned())
        .collect();
    names.sort();
    names
}

fn find(dir: &std::path::Path, suffix: &str) -> String {
    files(dir)
        .into_iter()
        .find(|n| n.ends_with(suffix))
        .unwrap_or_else(|| panic!("no migration ending {suffix} in {:?}", files(dir)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revisions_branch_and_merge_in_the_files() {
    let _serial = SERIAL.lock().await;
    let dir = temp_dir("files");
    let app = Flask::new("graph")
        .configure(|c| {
            c.set("SQLALCHEMY_DATABASE_URI", "sqlite://");
            c.set(
                "SQLALCHEMY_BINDS",
                serde_json::json!({ "users": "sqlite://" }),
            );
        })
        .extension(SQLAlchemy::new().model::<Note>().model::<Account>())
        .extension(Migrate::new().directory(&dir))
        .build()
        .unwrap();
    let cli = app.test_cli_runner();
    let out = ok(&cli, &["db", "init", "--multidb"]).await;
    assert!(
        out.contains(".bind_migrator::<migrations::users::Migrator>(\"users\")"),
        "{out}"
    );
    assert!(dir.join("users/mod.rs").exists());
    let module = std::fs::read_to_string(dir.join("mod.rs")).unwrap();
    assert!(module.contains("pub mod users;"), "{module}");

    // A file written before revisions formed a graph: it gets its DOWN_REVISION.
    let old = "m20200101_000000_old";
    std::fs::write(
        dir.join(format!("{old}.rs")),
        "//! old\nuse flask_migrate::prelude::*;\npub struct Migration;\n",
    )
    .unwrap();
    ok(&cli, &["db", "revision", "-m", "first"]).await;
    let old_source = std::fs::read_to_string(dir.join(format!("{old}.rs"))).unwrap();
    assert!(
        old_source.ends_with("pub const DOWN_REVISION: &[&str] = &[];\n"),
        "{old_source}"
    );
    let first = find(&dir, "_first");
    let source = std::fs::read_to_string(dir.join(format!("{first}.rs"))).unwrap();
    assert!(
        source.contains(&format!("pub const DOWN_REVISION: &[&str] = &[\"{old}\"];")),
        "{source}"
    );
    ok(&cli, &["db", "revision", "-m", "second"]).await;
    let err = fails(&cli, &["db", "revision", "-m", "side", "--head", &first]).await;
    assert!(
        err.contains(&format!("{first} is not a head revision: pass --splice")),
        "{err}"
    );
    ok(
        &cli,
        &["db", "revision", "-m", "side", "--head", &first, "--splice"],
    )
    .await;
    let (second, side) = (find(&dir, "_second"), find(&dir, "_side"));
    assert_eq!(
        ok(&cli, &["db", "heads", "--bind", "users"]).await,
        "",
        "the bind's history is empty"
    );
    let heads = ok(&cli, &["db", "heads"]).await;
    assert_eq!(
        heads,
        format!("Database <default>:\n{second} (head)\n{side} (head)\nDatabase users:"),
    );
    let err = fails(&cli, &["db", "revision", "-m", "more"]).await;
    assert!(err.contains("Multiple heads are present"), "{err}");
    assert_eq!(ok(&cli, &["db", "branches", "--bind", "users"]).await, "");
    let branches = ok(&cli, &["db", "branches"]).await;
    assert!(
        branches.contains(&format!(
            "{first} (branchpoint)\n   -> {second} (head)\n   -> {side} (head)"
        )),
        "{branches}"
    );

    ok(&cli, &["db", "merge", "-m", "join"]).await;
    let join = find(&dir, "_join");
    let heads = ok(&cli, &["db", "heads"]).await;
    assert!(
        heads.starts_with(&format!("Database <default>:\n{join} (head)\n")),
        "{heads}"
    );
    let shown = ok(&cli, &["db", "show", "head"]).await;
    assert!(
        shown.starts_with(&format!("Revision: {join}\nRevises: {second}, {side}\n")),
        "{shown}"
    );
    let err = fails(&cli, &["db", "merge"]).await;
    assert!(err.contains("nothing to merge"), "{err}");
    ok(
        &cli,
        &["db", "revision", "-m", "accounts", "--bind", "users"],
    )
    .await;
    assert_eq!(files(&dir.join("users")).len(), 1);
    let module = std::fs::read_to_string(dir.join("mod.rs")).unwrap();
    assert!(
        module.contains("pub mod users;") && module.contains(&format!("{join}::DOWN_REVISION")),
        "{module}"
    );

    // edit opens the file in $EDITOR (set for a child process), and checks the graph after.
    let editor = dir.join("editor.sh");
    std::fs::write(&editor, "#!/bin/sh\necho '// edited' >> \"$1\"\n").unwrap();
    let out = edit_in_child(&dir, &side, &editor);
    assert!(out.contains("code=0"), "{out}");
    let source = std::fs::read_to_string(dir.join(format!("{side}.rs"))).unwrap();
    assert!(source.ends_with("// edited\n"), "{source}");
    let cycle = dir.join("cycle.sh");
    std::fs::write(
        &cycle,
        format!("#!/bin/sh\nsed -i 's/&\\[\"{first}\"\\]/\\&[\"{join}\"]/' \"$1\"\n"),
    )
    .unwrap();
    let out = edit_in_child(&dir, &side, &cycle);
    assert!(
        out.contains("code=1") && out.contains("after the edit") && out.contains("circle"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `db edit REV` on `dir` in a child process of this test binary with `EDITOR` set to
/// the script `editor` (made executable); returns what the child printed.
fn edit_in_child(dir: &std::path::Path, rev: &str, editor: &std::path::Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "edit_runs_in_a_child_process", "--nocapture"])
        .env("FLASK_MIGRATE_EDIT_DIR", dir)
        .env("FLASK_MIGRATE_EDIT_REV", rev)
        .env("EDITOR", editor)
        .env_remove("VISUAL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The half of `revisions_branch_and_merge_in_the_files` that runs in a child process,
/// where `EDITOR` is set (the tests cannot set it in their own process): `db edit` on the
/// folder it is given, printing the command's code and output.
#[tokio::test]
async fn edit_runs_in_a_child_process() {
    let (Some(dir), Ok(rev)) = (
        std::env::var_os("FLASK_MIGRATE_EDIT_DIR"),
        std::env::var("FLASK_MIGRATE_EDIT_REV"),
    ) else {
        return; // not started by edit_in_child
    };
    let app = Flask::new("graph")
        .configure(|c| c.set("SQLALCHEMY_DATABASE_URI", "sqlite://"))
        .extension(SQLAlchemy::new())
        .extension(Migrate::new().directory(std::path::PathBuf::from(dir)))
        .build()
        .unwrap();
    let out = app.test_cli_runner().invoke(&["db", "edit", &rev]).await;
    println!("code={}\n{}", out.code, out.output);
}
