//! The `Migrate` extension: Flask-Migrate's `flask db ...` commands on the app's command
//! line, and upgrading at startup.

use std::future::Future;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use flask::cli::{Arg, ArgAction, CliContext, Command};
use flask::{BoxError, Setup, SetupError};
use flask_sqlalchemy::{Engine, SQLAlchemy, text};
use sea_orm_migration::sea_orm::DatabaseConnection;
use sea_orm_migration::{DbErr, MigrationTrait, MigratorTrait};

use crate::{
    Error, MIGRATIONS_TABLE, Op, Schema, diff, migration_source, module_source, rename_candidates,
};
use flask_sqlalchemy::MetaData;

type Fut<'a, T> = Pin<Box<dyn Future<Output = Result<T, DbErr>> + Send + 'a>>;

/// The app's migrator (its `migrations::Migrator`), type-erased.
#[derive(Clone, Copy)]
struct Runner {
    names: fn() -> Vec<String>,
    migrations: fn() -> Vec<Box<dyn MigrationTrait>>,
    up: for<'a> fn(&'a DatabaseConnection, Option<u32>) -> Fut<'a, ()>,
    down: for<'a> fn(&'a DatabaseConnection, Option<u32>) -> Fut<'a, ()>,
    applied: for<'a> fn(&'a DatabaseConnection) -> Fut<'a, Vec<String>>,
}

fn names_of<M: MigratorTrait + 'static>() -> Vec<String> {
    M::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect()
}

fn up_of<M: MigratorTrait + 'static>(db: &DatabaseConnection, steps: Option<u32>) -> Fut<'_, ()> {
    Box::pin(M::up(db, steps))
}

fn down_of<M: MigratorTrait + 'static>(db: &DatabaseConnection, steps: Option<u32>) -> Fut<'_, ()> {
    Box::pin(M::down(db, steps))
}

fn applied_of<M: MigratorTrait + 'static>(db: &DatabaseConnection) -> Fut<'_, Vec<String>> {
    Box::pin(async move {
        Ok(M::get_applied_migrations(db)
            .await?
            .iter()
            .map(|m| m.name().to_owned())
            .collect())
    })
}

/// Flask-Migrate's `Migrate`: register it after `SQLAlchemy`, with the app's migrations.
///
/// ```no_run
/// # mod migrations { pub struct Migrator; impl flask_migrate::prelude::MigratorTrait for Migrator { fn migrations() -> Vec<Box<dyn flask_migrate::prelude::MigrationTrait>> { vec![] } } }
/// use flask::Flask;
/// use flask_migrate::Migrate;
/// use flask_sqlalchemy::SQLAlchemy;
///
/// let app = Flask::new(flask::app_root!())
///     .configure(|c| c.set("SQLALCHEMY_DATABASE_URI", "sqlite:///app.db"))
///     .extension(SQLAlchemy::new())
///     .extension(Migrate::new().migrator::<migrations::Migrator>());
/// ```
///
/// Its commands are in the app's `db` group: `init`, `revision -m MSG`, `migrate -m MSG`
/// (autogenerate), `upgrade [TARGET]`, `downgrade [TARGET]`, `current`, `history`,
/// `heads`, `show REV`, `stamp REV` and `check`. Migrations are Rust files in `directory`
/// (`src/migrations` by default, under the app's root), compiled into the app: after
/// `migrate` or `revision`, rebuild before `upgrade`.
#[derive(Debug, Default)]
pub struct Migrate {
    directory: Option<PathBuf>,
    upgrade_on_start: bool,
    ignored: Vec<String>,
    runner: Option<RunnerSlot>,
}

/// `Runner` with a `Debug` that says what it is.
#[derive(Clone, Copy)]
struct RunnerSlot(Runner);

impl std::fmt::Debug for RunnerSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Migrator")
    }
}

impl Migrate {
    /// No migrator yet: `db init`, `db revision` and `db migrate` work; give it the
    /// migrator `db init` made with [`migrator`](Migrate::migrator) to run migrations.
    pub fn new() -> Self {
        Migrate::default()
    }

    /// The app's migrations (the `Migrator` of the module `db init` wrote).
    #[must_use]
    pub fn migrator<M: MigratorTrait + 'static>(mut self) -> Self {
        self.runner = Some(RunnerSlot(Runner {
            names: names_of::<M>,
            migrations: M::migrations,
            up: up_of::<M>,
            down: down_of::<M>,
            applied: applied_of::<M>,
        }));
        self
    }

    /// Where migration files go, relative to the app's root (`src/migrations`).
    #[must_use]
    pub fn directory(mut self, path: impl Into<PathBuf>) -> Self {
        self.directory = Some(path.into());
        self
    }

    /// Applies pending migrations when the app starts, before it serves (one instance at a
    /// time when several start at once: PostgreSQL and MySQL take a lock). CLI commands
    /// (`db upgrade --sql`, `db current`, `routes`) do not apply them first.
    #[must_use]
    pub fn upgrade_on_start(mut self) -> Self {
        self.upgrade_on_start = true;
        self
    }

    /// A table autogenerate leaves alone (a table of another tool in the same database,
    /// such as the SQL session store's).
    #[must_use]
    pub fn ignore_table(mut self, name: &str) -> Self {
        self.ignored.push(name.to_owned());
        self
    }

    fn dir(&self, root: &Path) -> PathBuf {
        root.join(
            self.directory
                .clone()
                .unwrap_or_else(|| PathBuf::from("src/migrations")),
        )
    }
}

impl flask::Extension for Migrate {
    fn name(&self) -> &'static str {
        "migrate"
    }

    fn init_app(&self, app: &mut Setup) -> Result<(), SetupError> {
        app.require::<SQLAlchemy>()?;
        if self.upgrade_on_start {
            if self.runner.is_none() {
                return Err(SetupError::extension(
                    "migrate",
                    "upgrade_on_start needs the app's migrations: add .migrator::<migrations::Migrator>()",
                ));
            }
            // Before serving only: `db upgrade --sql`, `db current` and the other commands
            // see the database as it is.
            app.on_serve(|app| async move {
                let (ext, engine) = parts(&app)?;
                let runner = ext.runner()?;
                upgrade_locked(&engine, runner).await
            });
        }
        let message = || {
            Arg::new("message")
                .short('m')
                .long("message")
                .value_name("MSG")
                .default_value("")
                .help("What the migration does.")
        };
        let commands: [(Command, Handler); 13] = [
            (
                Command::new("init").about("Create the migrations module."),
                |c| Box::pin(init(c)),
            ),
            (
                Command::new("revision")
                    .about("Create an empty migration.")
                    .arg(message()),
                |c| Box::pin(revision(c)),
            ),
            (
                Command::new("migrate")
                    .about("Autogenerate a migration from the models.")
                    .arg(message())
                    .arg(
                        Arg::new("rename")
                            .long("rename")
                            .value_name("TABLE.OLD:NEW")
                            .action(ArgAction::Append)
                            .help("A column that was renamed, not dropped and added."),
                    ),
                |c| Box::pin(migrate(c)),
            ),
            (
                Command::new("upgrade")
                    .about(
                        "Upgrade to a later version: a migration (or the start of its name), \
                         +N, or head (the default).",
                    )
                    .arg(Arg::new("target").default_value("head"))
                    .arg(sql_flag()),
                |c| Box::pin(upgrade(c)),
            ),
            (
                Command::new("downgrade")
                    .about(
                        "Revert to a previous version: a migration (or the start of its name), \
                         -N (-1 by default), or base (all).",
                    )
                    .arg(Arg::new("target").default_value("-1"))
                    .arg(sql_flag()),
                |c| Box::pin(downgrade(c)),
            ),
            (
                Command::new("current").about("Show the current revision."),
                |c| Box::pin(current(c)),
            ),
            (
                Command::new("history").about("List the migrations, oldest first."),
                |c| Box::pin(history(c)),
            ),
            (
                Command::new("heads").about("Show the newest migration."),
                |c| Box::pin(heads(c)),
            ),
            (
                Command::new("show")
                    .about("Show a migration.")
                    .arg(Arg::new("revision").required(true)),
                |c| Box::pin(show(c)),
            ),
            (
                Command::new("stamp")
                    .about("Mark the database as at a revision, running nothing.")
                    .arg(Arg::new("revision").required(true)),
                |c| Box::pin(stamp(c)),
            ),
            (
                Command::new("check")
                    .about("Fail when the models and the database differ (for CI)."),
                |c| Box::pin(check(c)),
            ),
            (
                Command::new("reflect")
                    .about("Write #[derive(Model)] structs for the database's tables.")
                    .arg(
                        Arg::new("output")
                            .short('o')
                            .long("output")
                            .value_name("FILE")
                            .help("Write them to FILE instead of printing them."),
                    ),
                |c| Box::pin(reflect(c)),
            ),
            (
                Command::new("adopt").about(
                    "Take over a database Flask-Migrate managed: a first migration from its \
                     tables, marked applied; its Alembic history stays.",
                ),
                |c| Box::pin(adopt(c)),
            ),
        ];
        for (command, handler) in commands {
            app.group_command("db", command, handler);
        }
        Ok(())
    }
}

/// `--sql`: print the SQL instead of running it.
fn sql_flag() -> Arg {
    Arg::new("sql")
        .long("sql")
        .action(ArgAction::SetTrue)
        .help("Print the SQL instead of running it (from where the database is).")
}

type Handler = fn(CliContext) -> Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send>>;

/// The extension and the default database's engine.
fn parts(app: &flask::App) -> Result<(std::sync::Arc<Migrate>, Engine), BoxError> {
    let ext = app
        .extension::<Migrate>()
        .ok_or("the Migrate extension is not registered")?;
    let engine = app
        .extension::<SQLAlchemy>()
        .and_then(|s| s.engine().cloned())
        .ok_or("the database is not connected")?;
    Ok((ext, engine))
}

impl Migrate {
    fn runner(&self) -> Result<Runner, Error> {
        self.runner.map(|r| r.0).ok_or_else(|| {
            Error::Usage(
                "this needs the app's migrations: register \
                 Migrate::new().migrator::<migrations::Migrator>() (db init writes the module)"
                    .into(),
            )
        })
    }

    /// The app's migrations, oldest first.
    pub fn migrations(&self) -> Result<Vec<String>, Error> {
        Ok((self.runner()?.names)())
    }

    /// The migrations applied to `engine`'s database, oldest first.
    pub async fn applied(&self, engine: &Engine) -> Result<Vec<String>, Error> {
        let runner = self.runner()?;
        Ok((runner.applied)(&crate::sea_connection(engine)).await?)
    }

    /// Applies the migrations up to `target` (a migration's name or the start of it, `head`
    /// for all, or `+N` for the next N), as `db upgrade` does; returns the names applied, in
    /// order.
    pub async fn upgrade(&self, engine: &Engine, target: &str) -> Result<Vec<String>, Error> {
        let runner = self.runner()?;
        let conn = crate::sea_connection(engine);
        let before = (runner.applied)(&conn).await?;
        let steps = steps_to(&(runner.names)(), &before, target)?;
        if steps > 0 {
            (runner.up)(&conn, Some(steps)).await?;
        }
        let after = (runner.applied)(&conn).await?;
        Ok(after.into_iter().filter(|n| !before.contains(n)).collect())
    }

    /// Reverts to `target` (`base` for all, `-N` for N steps, or a migration's name, or the
    /// start of it, to stop after), as `db downgrade` does; returns the names reverted,
    /// newest first.
    pub async fn downgrade(&self, engine: &Engine, target: &str) -> Result<Vec<String>, Error> {
        let runner = self.runner()?;
        let conn = crate::sea_connection(engine);
        let before = (runner.applied)(&conn).await?;
        let steps = downgrade_steps(&before, target)?;
        if steps > 0 {
            (runner.down)(&conn, Some(steps)).await?;
        }
        let after = (runner.applied)(&conn).await?;
        Ok(before
            .into_iter()
            .rev()
            .filter(|n| !after.contains(n))
            .collect())
    }

    /// The operations that would take `engine`'s database to the models of `metadata` (what
    /// `db check` reports and `db migrate` writes); empty when they match.
    pub async fn check(&self, engine: &Engine, metadata: &MetaData) -> Result<Vec<Op>, Error> {
        let (wanted, live) = self.schemas(engine, metadata).await?;
        Ok(diff(&wanted, &live, engine.dialect(), &[]))
    }

    /// Takes over a database that Flask-Migrate managed (`db adopt`): when the models of
    /// `metadata` match its tables, writes a first migration of ours into `dir` that creates
    /// them all (so a new database is built from our migrations alone), named after the
    /// Alembic revision the database is at, and marks it applied here, running nothing.
    /// `alembic_version` stays as it is. Returns the migration's name.
    ///
    /// Refused, with what to do, when the database has no Alembic history, when migrations of
    /// ours were applied already, or when the models differ from the tables (`db reflect`
    /// writes models that match).
    pub async fn adopt(
        &self,
        engine: &Engine,
        metadata: &MetaData,
        dir: &Path,
    ) -> Result<String, Error> {
        let heads = crate::alembic_heads(engine).await?;
        if heads.is_empty() {
            return Err(Error::Usage(
                "this database has no alembic_version table, so no Flask-Migrate history to                  adopt: to start from its tables as they are, run db migrate and then db stamp                  head"
                    .into(),
            ));
        }
        let runner = self.runner()?;
        // Read directly: the migrator checks the names against the migrations compiled in,
        // and an adoption's migration is not compiled in until the app is rebuilt.
        let applied: Vec<String> = if engine.has_table(MIGRATIONS_TABLE).await? {
            engine
                .fetch_all(text(format!(
                    "SELECT version FROM {MIGRATIONS_TABLE} ORDER BY version"
                )))
                .await?
                .iter()
                .filter_map(|r| r.get("version").and_then(|v| v.as_str().map(str::to_owned)))
                .collect()
        } else {
            // Made by the migrator on first use.
            (runner.applied)(&crate::sea_connection(engine)).await?
        };
        if !applied.is_empty() {
            return Err(Error::Usage(format!(
                "this database has migrations of ours applied already ({}): it was adopted",
                applied.join(", ")
            )));
        }
        let differences = self.check(engine, metadata).await?;
        if !differences.is_empty() {
            let lines: Vec<String> = differences.iter().map(Op::describe).collect();
            return Err(Error::Usage(format!(
                "the models do not match the database's tables yet:\n  {}\nrun db reflect to                  write models that do, or change yours, then db adopt again",
                lines.join("\n  ")
            )));
        }
        let ops = diff(
            &Schema::from_models(metadata, engine.dialect()),
            &Schema::default(),
            engine.dialect(),
            &[],
        );
        let message = format!("adopted from Alembic revision {}", heads.join(", "));
        let name = unique_name(dir, &format!("alembic {}", heads.join(" ")));
        write_migration(dir, &name, &migration_source(&name, &message, &ops))
            .map_err(|e| Error::Usage(e.to_string()))?;
        engine.execute(applied_row(&name)).await?;
        Ok(name)
    }

    /// What the models of `metadata` want, and what the database has but the ignored
    /// tables.
    async fn schemas(
        &self,
        engine: &Engine,
        metadata: &MetaData,
    ) -> Result<(Schema, Schema), Error> {
        let wanted = Schema::from_models(metadata, engine.dialect());
        let mut live = Schema::inspect(engine).await?;
        live.tables.retain(|t| !self.ignored.contains(&t.name));
        Ok((wanted, live))
    }
}

/// How many of the `applied` migrations (oldest first) `downgrade` to `target` reverts.
fn downgrade_steps(applied: &[String], target: &str) -> Result<u32, Error> {
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    match target {
        "base" => Ok(count(applied.len())),
        t if t.starts_with('-') => t[1..].parse().map_err(|_| {
            Error::Usage(format!("downgrade takes a revision, base or -N, not {t:?}"))
        }),
        target => {
            let name = resolve(applied, target).map_err(|_| {
                Error::Usage(format!(
                    "{target:?} is not applied: db current shows where the database is"
                ))
            })?;
            let i = applied.iter().position(|n| *n == name).unwrap_or(0);
            Ok(count(applied.len() - i - 1))
        }
    }
}

/// The migration among `names` that `target` means, as Alembic reads a revision: its whole
/// name, or the start of it (`m20261130_12`, or without the `m`, `20261130_12`) when only
/// one name starts so. An unknown or ambiguous start is an error naming the candidates.
fn resolve(names: &[String], target: &str) -> Result<String, Error> {
    if let Some(name) = names.iter().find(|n| *n == target) {
        return Ok(name.clone());
    }
    let matches: Vec<&String> = names
        .iter()
        .filter(|n| !target.is_empty() && (n.starts_with(target) || n[1..].starts_with(target)))
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(Error::Usage(format!(
            "no migration named {target:?}, or starting so: db history lists them"
        ))),
        many => Err(Error::Usage(format!(
            "{target:?} could be any of {}: give more of the name",
            many.iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// The migration names in the directory, oldest first (their names start with the time).
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().into_string().ok())
                // m<date>_<time>_<slug>.rs, not mod.rs.
                .filter(|n| {
                    n.starts_with('m')
                        && n[1..].starts_with(|c: char| c.is_ascii_digit())
                        && n.ends_with(".rs")
                })
                .map(|n| n.trim_end_matches(".rs").to_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// A new migration's name in `dir`: `m20261130_120000_add_email` for "Add email" at this
/// second, with `_2`, `_3`... when that file exists already.
fn unique_name(dir: &Path, message: &str) -> String {
    let base = new_name(message);
    let mut name = base.clone();
    let mut n = 1;
    while dir.join(format!("{name}.rs")).exists() {
        n += 1;
        name = format!("{base}_{n}");
    }
    name
}

/// `m20261130_120000_add_email` for "Add email" at this second.
fn new_name(message: &str) -> String {
    let slug: String = message
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect::<String>()
        .split('_')
        .filter(|s| !s.is_empty())
        .take(6)
        .collect::<Vec<_>>()
        .join("_");
    let stamp = chrono_stamp();
    if slug.is_empty() {
        format!("m{stamp}")
    } else {
        format!("m{stamp}_{slug}")
    }
}

/// `YYYYMMDD_HHMMSS` in UTC.
fn chrono_stamp() -> String {
    chrono::Utc::now().format("%Y%m%d_%H%M%S").to_string()
}

/// Writes the migration `name` and the module listing every migration.
fn write_migration(dir: &Path, name: &str, source: &str) -> Result<PathBuf, BoxError> {
    if !dir.join("mod.rs").exists() {
        return Err(format!("{} has no mod.rs: run db init first", dir.display()).into());
    }
    let path = dir.join(format!("{name}.rs"));
    std::fs::write(&path, source).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let names = files_in(dir);
    std::fs::write(dir.join("mod.rs"), module_source(&names))
        .map_err(|e| format!("cannot write {}: {e}", dir.join("mod.rs").display()))?;
    Ok(path)
}

async fn init(ctx: CliContext) -> Result<(), BoxError> {
    let (ext, _) = parts(ctx.app())?;
    let dir = ext.dir(ctx.app().root_path());
    if dir.join("mod.rs").exists() {
        return Err(format!("{} already exists", dir.join("mod.rs").display()).into());
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    std::fs::write(dir.join("mod.rs"), module_source(&[]))
        .map_err(|e| format!("cannot write {}: {e}", dir.join("mod.rs").display()))?;
    ctx.echo(format!("Creating directory {} ...  done", dir.display()));
    ctx.echo(
        "Add `pub mod migrations;` to the app's crate, register \
         Migrate::new().migrator::<migrations::Migrator>(), then run db migrate.",
    );
    Ok(())
}

async fn revision(ctx: CliContext) -> Result<(), BoxError> {
    let (ext, _) = parts(ctx.app())?;
    let dir = ext.dir(ctx.app().root_path());
    let message = ctx
        .matches()
        .get_one::<String>("message")
        .cloned()
        .unwrap_or_default();
    let name = unique_name(&dir, &message);
    let path = write_migration(&dir, &name, &migration_source(&name, &message, &[]))?;
    ctx.echo(format!("Generating {} ...  done", path.display()));
    Ok(())
}

/// The migrations not applied yet, when the app has its migrator.
async fn pending(ext: &Migrate, engine: &Engine) -> Result<Vec<String>, BoxError> {
    let Some(RunnerSlot(runner)) = ext.runner else {
        return Ok(Vec::new());
    };
    let conn = crate::sea_connection(engine);
    let applied = (runner.applied)(&conn).await?;
    Ok((runner.names)()
        .into_iter()
        .filter(|n| !applied.contains(n))
        .collect())
}

/// What the models want and the database has, without the ignored tables.
/// The models of the app's default database.
fn models(ctx: &CliContext) -> Result<MetaData, BoxError> {
    let sqlalchemy = ctx
        .app()
        .extension::<SQLAlchemy>()
        .ok_or("the SQLAlchemy extension is not registered")?;
    Ok(sqlalchemy.metadata().for_bind(None))
}

async fn migrate(ctx: CliContext) -> Result<(), BoxError> {
    let (ext, engine) = parts(ctx.app())?;
    let waiting = pending(&ext, &engine).await?;
    if !waiting.is_empty() {
        return Err(format!(
            "Target database is not up to date: run db upgrade first ({} pending)",
            waiting.join(", ")
        )
        .into());
    }
    let (wanted, live) = ext.schemas(&engine, &models(&ctx)?).await?;
    let mut renames: Vec<(String, String, String)> = Vec::new();
    for r in ctx
        .matches()
        .get_many::<String>("rename")
        .into_iter()
        .flatten()
    {
        let parsed = r
            .split_once('.')
            .and_then(|(t, rest)| rest.split_once(':').map(|(a, b)| (t, a, b)));
        let Some((t, from, to)) = parsed else {
            return Err(format!("--rename takes TABLE.OLD:NEW, not {r:?}").into());
        };
        renames.push((t.to_owned(), from.to_owned(), to.to_owned()));
    }
    let interactive = std::io::stdin().is_terminal();
    for c in rename_candidates(&wanted, &live, engine.dialect()) {
        if renames
            .iter()
            .any(|(t, f, _)| *t == c.table && *f == c.from)
        {
            continue;
        }
        if interactive {
            eprint!("Was '{}.{}' renamed to '{}'? [y/N] ", c.table, c.from, c.to);
            let mut answer = String::new();
            let _ = std::io::stdin().read_line(&mut answer);
            if answer.trim().eq_ignore_ascii_case("y") {
                renames.push((c.table.clone(), c.from.clone(), c.to.clone()));
            }
        } else {
            ctx.echo(format!(
                "'{}.{}' is gone and '{}' is new, of the same type: if it was a rename, run again \
                 with --rename {}.{}:{}",
                c.table, c.from, c.to, c.table, c.from, c.to
            ));
        }
    }
    let ops = diff(&wanted, &live, engine.dialect(), &renames);
    if ops.is_empty() {
        ctx.echo("No changes in schema detected.");
        return Ok(());
    }
    for op in &ops {
        ctx.echo(op.describe());
    }
    let message = ctx
        .matches()
        .get_one::<String>("message")
        .cloned()
        .unwrap_or_default();
    let dir = ext.dir(ctx.app().root_path());
    let name = unique_name(&dir, &message);
    let path = write_migration(&dir, &name, &migration_source(&name, &message, &ops))?;
    ctx.echo(format!("Generating {} ...  done", path.display()));
    Ok(())
}

/// How many of `names` (oldest first) lie after `applied` and up to `target` (a name, or
/// `head`).
fn steps_to(names: &[String], applied: &[String], target: &str) -> Result<u32, Error> {
    let waiting: Vec<&String> = names.iter().filter(|n| !applied.contains(n)).collect();
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    if target == "head" || target == "heads" {
        return Ok(count(waiting.len()));
    }
    if let Some(n) = target.strip_prefix('+') {
        // Relative: N migrations on from where the database is (Alembic's `upgrade +2`).
        let n: usize = n.parse().map_err(|_| {
            Error::Usage(format!(
                "upgrade takes a revision, head or +N, not {target:?}"
            ))
        })?;
        if n > waiting.len() {
            return Err(Error::Usage(format!(
                "{target} goes past head: {} migration(s) are waiting",
                waiting.len()
            )));
        }
        return Ok(count(n));
    }
    let name = resolve(names, target)?;
    match waiting.iter().position(|n| **n == name) {
        Some(i) => Ok(count(i + 1)),
        None => Ok(0),
    }
}

async fn upgrade(ctx: CliContext) -> Result<(), BoxError> {
    let (ext, engine) = parts(ctx.app())?;
    let runner = ext.runner()?;
    let conn = crate::sea_connection(&engine);
    let before = (runner.applied)(&conn).await?;
    let target = ctx
        .matches()
        .get_one::<String>("target")
        .cloned()
        .unwrap_or_else(|| "head".into());
    let steps = steps_to(&(runner.names)(), &before, &target)?;
    if ctx.matches().get_flag("sql") {
        let names = (runner.names)();
        let chosen: Vec<usize> = names
            .iter()
            .enumerate()
            .filter(|(_, n)| !before.contains(n))
            .take(usize::try_from(steps).unwrap_or(usize::MAX))
            .map(|(i, _)| i)
            .collect();
        let mut previous = before.last().cloned().unwrap_or_else(|| "base".into());
        let steps: Vec<(String, String, usize)> = chosen
            .into_iter()
            .map(|i| {
                let from = std::mem::replace(&mut previous, names[i].clone());
                (from, names[i].clone(), i)
            })
            .collect();
        return print_sql(&ctx, &engine, runner, &steps, true).await;
    }
    let mut previous = before.last().cloned().unwrap_or_else(|| "base".into());
    for name in ext.upgrade(&engine, &target).await? {
        ctx.echo(format!("Running upgrade {previous} -> {name}"));
        previous = name;
    }
    Ok(())
}

async fn downgrade(ctx: CliContext) -> Result<(), BoxError> {
    let (ext, engine) = parts(ctx.app())?;
    let runner = ext.runner()?;
    let before = ext.applied(&engine).await?;
    let target = ctx
        .matches()
        .get_one::<String>("target")
        .cloned()
        .unwrap_or_else(|| "-1".into());
    if ctx.matches().get_flag("sql") {
        let steps = downgrade_steps(&before, &target)?;
        let names = (runner.names)();
        let n = before
            .len()
            .saturating_sub(usize::try_from(steps).unwrap_or(usize::MAX));
        let plan: Vec<(String, String, usize)> = (n..before.len())
            .rev()
            .filter_map(|i| {
                let at = names.iter().position(|x| *x == before[i])?;
                let to = if i == 0 {
                    "base".to_owned()
                } else {
                    before[i - 1].clone()
                };
                Some((before[i].clone(), to, at))
            })
            .collect();
        return print_sql(&ctx, &engine, runner, &plan, false).await;
    }
    for name in ext.downgrade(&engine, &target).await? {
        let at = before.iter().position(|n| *n == name).unwrap_or(0);
        let to = if at == 0 {
            "base".to_owned()
        } else {
            before[at - 1].clone()
        };
        ctx.echo(format!("Running downgrade {name} -> {to}"));
    }
    Ok(())
}

/// `--sql`: echoes the SQL of `steps` (from, to, index of the migration), `up` or down,
/// with the bookkeeping of the migrations table, as a script for the database's client.
async fn print_sql(
    ctx: &CliContext,
    engine: &Engine,
    runner: Runner,
    steps: &[(String, String, usize)],
    up: bool,
) -> Result<(), BoxError> {
    let dialect = engine.dialect();
    let mut state = Schema::inspect(engine).await?;
    let migrations = (runner.migrations)();
    let pg = dialect == flask_sqlalchemy::Dialect::Postgres;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    if up {
        // What sea-orm-migration makes on first use, so the script stands alone.
        let ty = if dialect == flask_sqlalchemy::Dialect::MySql {
            "varchar(255)"
        } else {
            "varchar"
        };
        ctx.echo(format!(
            "CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (version {ty} NOT NULL PRIMARY KEY, applied_at bigint NOT NULL);"
        ));
    }
    for (from, to, at) in steps {
        let migration = migrations
            .get(*at)
            .ok_or("the migrations changed while listing them")?;
        let ops = crate::runtime::captured(migration.as_ref(), up).await?;
        ctx.echo(format!(
            "\n-- Running {} {from} -> {to}",
            if up { "upgrade" } else { "downgrade" }
        ));
        if pg {
            ctx.echo("BEGIN;");
        }
        for sql in crate::statements_from(&ops, dialect, &state)? {
            ctx.echo(format!("{sql};"));
        }
        for op in &ops {
            state.apply(op);
        }
        let name = if up { to } else { from }.replace('\'', "''");
        if up {
            ctx.echo(format!(
                "INSERT INTO {MIGRATIONS_TABLE} (version, applied_at) VALUES ('{name}', {now});"
            ));
        } else {
            ctx.echo(format!(
                "DELETE FROM {MIGRATIONS_TABLE} WHERE version = '{name}';"
            ));
        }
        if pg {
            ctx.echo("COMMIT;");
        }
    }
    Ok(())
}

async fn current(ctx: CliContext) -> Result<(), BoxError> {
    let (ext, engine) = parts(ctx.app())?;
    let runner = ext.runner()?;
    let applied = (runner.applied)(&crate::sea_connection(&engine)).await?;
    let names = (runner.names)();
    match applied.last() {
        Some(last) if names.last() == Some(last) => ctx.echo(format!("{last} (head)")),
        Some(last) => ctx.echo(last),
        None => ctx.echo("(base)"),
    }
    Ok(())
}

async fn history(ctx: CliContext) -> Result<(), BoxError> {
    let (ext, engine) = parts(ctx.app())?;
    let runner = ext.runner()?;
    let applied = (runner.applied)(&crate::sea_connection(&engine)).await?;
    let names = (runner.names)();
    let mut previous = "<base>".to_owned();
    for (i, name) in names.iter().enumerate() {
        let mut marks = Vec::new();
        if i + 1 == names.len() {
            marks.push("head");
        }
        if applied.last() == Some(name) {
            marks.push("current");
        }
        let marks = if marks.is_empty() {
            String::new()
        } else {
            format!(" ({})", marks.join(", "))
        };
        ctx.echo(format!("{previous} -> {name}{marks}"));
        previous = name.clone();
    }
    Ok(())
}

async fn heads(ctx: CliContext) -> Result<(), BoxError> {
    let (ext, _) = parts(ctx.app())?;
    let runner = ext.runner()?;
    if let Some(last) = (runner.names)().last() {
        ctx.echo(format!("{last} (head)"));
    }
    Ok(())
}

async fn show(ctx: CliContext) -> Result<(), BoxError> {
    let (ext, _) = parts(ctx.app())?;
    let target = ctx
        .matches()
        .get_one::<String>("revision")
        .cloned()
        .unwrap_or_default();
    let dir = ext.dir(ctx.app().root_path());
    let name = resolve(&files_in(&dir), &target)?;
    let path = ext.dir(ctx.app().root_path()).join(format!("{name}.rs"));
    let source = std::fs::read_to_string(&path)
        .map_err(|e| format!("no migration {name:?} ({}: {e})", path.display()))?;
    ctx.echo(format!("Revision: {name}\nPath: {}", path.display()));
    for line in source.lines().take_while(|l| l.starts_with("//!")) {
        ctx.echo(line.trim_start_matches("//!").trim_start());
    }
    Ok(())
}

/// The statement recording migration `name` as applied now, as sea-orm-migration records
/// one (`db stamp`, `db adopt`).
fn applied_row(name: &str) -> flask_sqlalchemy::TextQuery {
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    )
    .unwrap_or(0);
    text(format!(
        "INSERT INTO {MIGRATIONS_TABLE} (version, applied_at) VALUES (:v, :t)"
    ))
    .bind("v", name)
    .bind("t", now)
}

async fn stamp(ctx: CliContext) -> Result<(), BoxError> {
    let (ext, engine) = parts(ctx.app())?;
    let runner = ext.runner()?;
    let target = ctx
        .matches()
        .get_one::<String>("revision")
        .cloned()
        .unwrap_or_default();
    let names = (runner.names)();
    let upto = match target.as_str() {
        "base" => 0,
        "head" => names.len(),
        t => {
            let name = resolve(&names, t)?;
            names.iter().position(|n| *n == name).unwrap_or(0) + 1
        }
    };
    // Make sure the bookkeeping table exists (sea-orm-migration creates it on first use).
    let conn = crate::sea_connection(&engine);
    (runner.applied)(&conn).await?;
    let session = engine.session();
    session
        .execute(text(format!("DELETE FROM {MIGRATIONS_TABLE}")))
        .await?;
    for name in &names[..upto] {
        session.execute(applied_row(name)).await?;
    }
    session.commit().await?;
    ctx.echo(format!(
        "Stamped {}",
        names[..upto].last().map_or("base", String::as_str)
    ));
    Ok(())
}

async fn reflect(ctx: CliContext) -> Result<(), BoxError> {
    let (ext, engine) = parts(ctx.app())?;
    let mut live = Schema::inspect(&engine).await?;
    live.tables.retain(|t| !ext.ignored.contains(&t.name));
    let source = crate::reflect_models(&live);
    match ctx.matches().get_one::<String>("output") {
        Some(path) => {
            std::fs::write(path, &source).map_err(|e| format!("cannot write {path}: {e}"))?;
            ctx.echo(format!("Wrote {} models to {path}", live.tables.len()));
        }
        None => ctx.echo(source.trim_end()),
    }
    Ok(())
}

async fn adopt(ctx: CliContext) -> Result<(), BoxError> {
    let (ext, engine) = parts(ctx.app())?;
    let dir = ext.dir(ctx.app().root_path());
    let name = ext.adopt(&engine, &models(&ctx)?, &dir).await?;
    ctx.echo(format!(
        "Generating {} ...  done",
        dir.join(format!("{name}.rs")).display()
    ));
    ctx.echo(format!(
        "Stamped {name}: the database is at it; rebuild the app, and db migrate goes on from \
         there."
    ));
    Ok(())
}

async fn check(ctx: CliContext) -> Result<(), BoxError> {
    let (ext, engine) = parts(ctx.app())?;
    let ops = ext.check(&engine, &models(&ctx)?).await?;
    if ops.is_empty() {
        ctx.echo("No new upgrade operations detected.");
        return Ok(());
    }
    let lines: Vec<String> = ops.iter().map(crate::Op::describe).collect();
    Err(format!(
        "New upgrade operations detected:\n  {}\nRun db migrate, then db upgrade.",
        lines.join("\n  ")
    )
    .into())
}

/// Upgrades to the newest migration, one instance at a time: PostgreSQL's advisory lock or
/// MySQL's named lock is held while it runs.
async fn upgrade_locked(engine: &Engine, runner: Runner) -> Result<(), BoxError> {
    let lock = engine.session();
    match engine.dialect() {
        flask_sqlalchemy::Dialect::Postgres => {
            lock.execute(text("SELECT pg_advisory_xact_lock(7343152983)"))
                .await?;
        }
        flask_sqlalchemy::Dialect::MySql => {
            let got = lock
                .scalar(text("SELECT GET_LOCK('flask_migrate_upgrade', 600)"))
                .await?;
            if got.as_i64() != Some(1) {
                return Err("could not take the migration lock within 10 minutes".into());
            }
        }
        flask_sqlalchemy::Dialect::Sqlite => {}
    }
    let conn = crate::sea_connection(engine);
    let result = (runner.up)(&conn, None).await;
    // The migration's own error comes first; the lock goes with the connection anyway.
    let released = if engine.dialect() == flask_sqlalchemy::Dialect::MySql {
        lock.execute(text("SELECT RELEASE_LOCK('flask_migrate_upgrade')"))
            .await
            .map(|_| ())
    } else {
        Ok(())
    };
    let committed = lock.commit().await;
    result?;
    released?;
    committed?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{downgrade_steps, resolve, steps_to};

    fn names() -> Vec<String> {
        [
            "m20261130_120000_initial",
            "m20261201_090000_email",
            "m20261201_093000_teams",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn revisions_by_a_start_of_their_name() {
        let names = names();
        assert_eq!(
            resolve(&names, "m20261130_120000_initial").unwrap(),
            names[0]
        );
        assert_eq!(resolve(&names, "m20261130").unwrap(), names[0]);
        assert_eq!(resolve(&names, "20261201_0930").unwrap(), names[2]);
        let err = resolve(&names, "20261201").unwrap_err().to_string();
        assert!(
            err.contains("could be any of m20261201_090000_email, m20261201_093000_teams"),
            "{err}"
        );
        let err = resolve(&names, "2027").unwrap_err().to_string();
        assert!(err.contains("no migration named \"2027\""), "{err}");
    }

    #[test]
    fn upgrade_targets() {
        let names = names();
        let applied = vec![names[0].clone()];
        assert_eq!(steps_to(&names, &applied, "head").unwrap(), 2);
        assert_eq!(steps_to(&names, &applied, "+1").unwrap(), 1);
        assert_eq!(steps_to(&names, &applied, "+2").unwrap(), 2);
        let err = steps_to(&names, &applied, "+3").unwrap_err().to_string();
        assert!(
            err.contains("+3 goes past head: 2 migration(s) are waiting"),
            "{err}"
        );
        assert_eq!(steps_to(&names, &applied, "20261201_090").unwrap(), 1);
        assert_eq!(steps_to(&names, &applied, "m20261130").unwrap(), 0);
        assert!(steps_to(&names, &applied, "+x").is_err());
    }

    #[test]
    fn downgrade_targets() {
        let applied = names();
        assert_eq!(downgrade_steps(&applied, "-1").unwrap(), 1);
        assert_eq!(downgrade_steps(&applied, "base").unwrap(), 3);
        assert_eq!(downgrade_steps(&applied, "20261130").unwrap(), 2);
        assert_eq!(downgrade_steps(&applied, "m20261201_090").unwrap(), 1);
        let err = downgrade_steps(&applied[..1], "20261201_090")
            .unwrap_err()
            .to_string();
        assert!(err.contains("is not applied"), "{err}");
    }
}
