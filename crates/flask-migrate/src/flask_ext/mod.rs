//! The `Migrate` extension: Flask-Migrate's `flask db ...` commands on the app's command
//! line, and upgrading at startup.

mod commands;
mod files;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use flask::cli::{Arg, ArgAction, Command};
use flask::{BoxError, Setup, SetupError};
use flask_sqlalchemy::{Engine, MetaData, SQLAlchemy, text};

use crate::graph::Graph;
use crate::revisions::{self, History, Revisions};
use crate::{Error, MIGRATIONS_TABLE, Op, Schema, diff, migration_source};

/// Flask-Migrate's `Migrate`: register it after `SQLAlchemy`, with the app's migrations.
///
/// ```no_run
/// # mod migrations { use flask_migrate::prelude::*; pub struct Migrator; impl MigratorTrait for Migrator { fn migrations() -> Vec<Box<dyn MigrationTrait>> { vec![] } } impl Revisions for Migrator {} }
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
/// Its commands are in the app's `db` group: `init [--multidb]`, `revision -m MSG`,
/// `migrate -m MSG` (autogenerate), `merge`, `edit`, `upgrade [TARGET]`,
/// `downgrade [TARGET]`, `current`, `history`, `heads`, `branches`, `show REV`,
/// `stamp REV`, `check`, `reflect` and `adopt`. Migrations are Rust files in `directory`
/// (`src/migrations` by default, under the app's root), compiled into the app: after
/// `migrate`, `revision` or `merge`, rebuild before `upgrade`.
#[derive(Debug, Default)]
pub struct Migrate {
    directory: Option<PathBuf>,
    upgrade_on_start: bool,
    ignored: Vec<String>,
    /// The histories: the default database's (`None`) and the binds'.
    histories: Vec<(Option<String>, HistorySlot)>,
}

/// `History` with a `Debug` that says what it is.
#[derive(Clone, Copy)]
struct HistorySlot(History);

impl std::fmt::Debug for HistorySlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Migrator")
    }
}

impl Migrate {
    /// No migrations yet: `db init`, `db revision` and `db migrate` work; give it the
    /// migrator `db init` made with [`migrator`](Migrate::migrator) to run migrations.
    pub fn new() -> Self {
        Migrate::default()
    }

    /// The app's migrations (the `Migrator` of the module `db init` wrote).
    #[must_use]
    pub fn migrator<M: Revisions>(mut self) -> Self {
        self.histories.retain(|(bind, _)| bind.is_some());
        self.histories
            .insert(0, (None, HistorySlot(History::of::<M>())));
        self
    }

    /// The migrations of the database `bind` of `SQLALCHEMY_BINDS`, a history of its own
    /// (`db init --multidb` writes its module, `migrations::<bind>::Migrator`). The `db`
    /// commands go through every history, or the one of `--bind`.
    #[must_use]
    pub fn bind_migrator<M: Revisions>(mut self, bind: &str) -> Self {
        self.histories.retain(|(b, _)| b.as_deref() != Some(bind));
        self.histories
            .push((Some(bind.to_owned()), HistorySlot(History::of::<M>())));
        self
    }

    /// Where migration files go, relative to the app's root (`src/migrations`); a bind's
    /// go in a folder named after it there.
    #[must_use]
    pub fn directory(mut self, path: impl Into<PathBuf>) -> Self {
        self.directory = Some(path.into());
        self
    }

    /// Applies pending migrations (of every head, and every bind) when the app starts,
    /// before it serves (one instance at a time when several start at once: PostgreSQL and
    /// MySQL take a lock). CLI commands (`db upgrade --sql`, `db current`, `routes`) do not
    /// apply them first.
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

    /// The migrations folder of `bind` (`None`: the default database's).
    fn dir(&self, root: &Path, bind: Option<&str>) -> PathBuf {
        let dir = root.join(
            self.directory
                .clone()
                .unwrap_or_else(|| PathBuf::from("src/migrations")),
        );
        match bind {
            Some(bind) => dir.join(bind),
            None => dir,
        }
    }

    /// The history of `bind` (`None`: the default database's).
    fn history(&self, bind: Option<&str>) -> Result<History, Error> {
        self.histories
            .iter()
            .find(|(b, _)| b.as_deref() == bind)
            .map(|(_, h)| h.0)
            .ok_or_else(|| match bind {
                None => Error::Usage(
                    "this needs the app's migrations: register \
                     Migrate::new().migrator::<migrations::Migrator>() (db init writes the \
                     module)"
                        .into(),
                ),
                Some(bind) => Error::Usage(format!(
                    "the database {bind:?} has no migrations registered: add \
                     .bind_migrator::<migrations::{bind}::Migrator>({bind:?}) (db init \
                     --multidb writes the module)"
                )),
            })
    }

    /// The app's migrations (of the default database), each after those it follows.
    pub fn migrations(&self) -> Result<Vec<String>, Error> {
        let graph = self.history(None)?.graph()?;
        Ok(graph.names().map(str::to_owned).collect())
    }

    /// The migrations applied to `engine`'s database (the default one's history), each
    /// after those it follows.
    pub async fn applied(&self, engine: &Engine) -> Result<Vec<String>, Error> {
        let graph = self.history(None)?.graph()?;
        let applied = revisions::applied(&crate::sea_connection(engine), &graph).await?;
        Ok(graph
            .names()
            .filter(|n| applied.contains(*n))
            .map(str::to_owned)
            .collect())
    }

    /// Applies the migrations up to `target`, as `db upgrade` does: `head` (all, when there
    /// is one head), `heads` (all), a migration's name or the start of it (with those it
    /// follows), or `+N` for the next N. Returns the names applied, in order.
    pub async fn upgrade(&self, engine: &Engine, target: &str) -> Result<Vec<String>, Error> {
        upgrade_history(self.history(None)?, engine, target, |_, _| {}).await
    }

    /// Reverts to `target`, as `db downgrade` does: `base` for all, `-N` for the last N, or
    /// a migration's name (or the start of it) to revert what follows it. Returns the names
    /// reverted, in the order they were.
    pub async fn downgrade(&self, engine: &Engine, target: &str) -> Result<Vec<String>, Error> {
        downgrade_history(self.history(None)?, engine, target, |_, _| {}).await
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
                "this database has no alembic_version table, so no Flask-Migrate history to \
                 adopt: to start from its tables as they are, run db migrate and then db stamp \
                 head"
                    .into(),
            ));
        }
        // Read as they are: the adoption's migration is not compiled in until the app is
        // rebuilt.
        let mut applied: Vec<String> = revisions::applied_names(&crate::sea_connection(engine))
            .await?
            .into_iter()
            .collect();
        if !applied.is_empty() {
            applied.sort();
            return Err(Error::Usage(format!(
                "this database has migrations of ours applied already ({}): it was adopted",
                applied.join(", ")
            )));
        }
        let differences = self.check(engine, metadata).await?;
        if !differences.is_empty() {
            let lines: Vec<String> = differences.iter().map(Op::describe).collect();
            return Err(Error::Usage(format!(
                "the models do not match the database's tables yet:\n  {}\nrun db reflect to \
                 write models that do, or change yours, then db adopt again",
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
        let name = files::unique_name(dir, &format!("alembic {}", heads.join(" ")));
        // The first revision: it creates every table.
        files::write_migration(dir, &name, &migration_source(&name, &message, &[], &ops))
            .map_err(|e| Error::Usage(e.to_string()))?;
        revisions::record(&crate::sea_connection(engine), &name, true).await?;
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

/// Applies `history`'s plan to `target` on `engine`'s database, telling `step` each
/// revision as it is applied (with the revisions it follows); returns the names applied.
async fn upgrade_history(
    history: History,
    engine: &Engine,
    target: &str,
    mut step: impl FnMut(&str, &[String]),
) -> Result<Vec<String>, Error> {
    let graph = history.graph()?;
    let conn = crate::sea_connection(engine);
    let applied = revisions::applied(&conn, &graph).await?;
    let plan = graph.upgrade_plan(&applied, target)?;
    for name in &plan {
        let migration = history.migration(name)?;
        revisions::run_one(&conn, migration.as_ref(), true).await?;
        step(name, graph.down_revision(name));
    }
    Ok(plan)
}

/// Reverts `history`'s plan to `target` on `engine`'s database, telling `step` each
/// revision as it is reverted; returns the names reverted.
async fn downgrade_history(
    history: History,
    engine: &Engine,
    target: &str,
    mut step: impl FnMut(&str, &[String]),
) -> Result<Vec<String>, Error> {
    let graph = history.graph()?;
    let conn = crate::sea_connection(engine);
    let applied = revisions::applied(&conn, &graph).await?;
    let plan = graph.downgrade_plan(&applied, target)?;
    for name in &plan {
        let migration = history.migration(name)?;
        revisions::run_one(&conn, migration.as_ref(), false).await?;
        step(name, graph.down_revision(name));
    }
    Ok(plan)
}

/// The revisions `graph` marks applied after a stamp to `targets`: every one of them and
/// what they follow (`base`: none, `heads`: all).
fn stamped(graph: &Graph, targets: &[String]) -> Result<HashSet<String>, Error> {
    let mut out = HashSet::new();
    for target in targets {
        match target.as_str() {
            "base" => {}
            "heads" => out.extend(graph.names().map(str::to_owned)),
            "head" => {
                let heads = graph.heads();
                if heads.len() > 1 {
                    return Err(Error::Usage(format!(
                        "there are several heads ({}): stamp one of them, or heads",
                        heads.join(", ")
                    )));
                }
                out.extend(graph.names().map(str::to_owned));
            }
            t => {
                let name = graph.resolve(t)?;
                out.extend(graph.ancestors(name).into_iter().map(str::to_owned));
            }
        }
    }
    Ok(out)
}

/// Marks exactly `applied` as applied on `engine`'s database, running nothing.
async fn stamp_history(engine: &Engine, applied: &HashSet<String>) -> Result<(), Error> {
    // The bookkeeping table, made as the runner makes it.
    revisions::install(&crate::sea_connection(engine)).await?;
    let session = engine.session();
    session
        .execute(text(format!("DELETE FROM {MIGRATIONS_TABLE}")))
        .await?;
    let mut names: Vec<&String> = applied.iter().collect();
    names.sort();
    let now = revisions::now();
    for name in names {
        session
            .execute(
                text(format!(
                    "INSERT INTO {MIGRATIONS_TABLE} (version, applied_at) VALUES (:v, :t)"
                ))
                .bind("v", name.as_str())
                .bind("t", now),
            )
            .await?;
    }
    session.commit().await?;
    Ok(())
}

/// Upgrades every head of `history`, one instance at a time: PostgreSQL's advisory lock or
/// MySQL's named lock is held while it runs.
async fn upgrade_locked(engine: &Engine, history: History) -> Result<(), BoxError> {
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
    let result = upgrade_history(history, engine, "heads", |_, _| {}).await;
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

/// The engine of `bind` (`None`: the default database), once connected.
fn engine_of(app: &flask::App, bind: Option<&str>) -> Result<Engine, BoxError> {
    let sqlalchemy = app
        .extension::<SQLAlchemy>()
        .ok_or("the SQLAlchemy extension is not registered")?;
    let engine = match bind {
        None => sqlalchemy.engine(),
        Some(key) => sqlalchemy.bind(key),
    };
    Ok(engine.cloned().ok_or_else(|| match bind {
        None => "the database is not connected".to_owned(),
        Some(key) => format!("the database {key:?} is not connected"),
    })?)
}

impl flask::Extension for Migrate {
    fn name(&self) -> &'static str {
        "migrate"
    }

    fn init_app(&self, app: &mut Setup) -> Result<(), SetupError> {
        app.require::<SQLAlchemy>()?;
        if self.upgrade_on_start {
            if self.histories.is_empty() {
                return Err(SetupError::extension(
                    "migrate",
                    "upgrade_on_start needs the app's migrations: add .migrator::<migrations::Migrator>()",
                ));
            }
            // Before serving only: `db upgrade --sql`, `db current` and the other commands
            // see the database as it is.
            app.on_serve(|app| async move {
                let ext = app
                    .extension::<Migrate>()
                    .ok_or("the Migrate extension is not registered")?;
                for (bind, history) in &ext.histories {
                    let engine = engine_of(&app, bind.as_deref())?;
                    upgrade_locked(&engine, history.0).await?;
                }
                Ok(())
            });
        }
        commands::register(app);
        Ok(())
    }
}

/// `-m MSG`.
fn message_arg() -> Arg {
    Arg::new("message")
        .short('m')
        .long("message")
        .value_name("MSG")
        .default_value("")
        .help("What the migration does.")
}

/// `--bind KEY`.
fn bind_arg() -> Arg {
    Arg::new("bind")
        .long("bind")
        .value_name("KEY")
        .help("Only the history of this SQLALCHEMY_BINDS key (db init --multidb).")
}

/// `--sql`.
fn sql_arg() -> Arg {
    Arg::new("sql").long("sql").action(ArgAction::SetTrue).help(
        "Print the SQL instead of running it, without a database (offline): from base, \
             or from FROM with FROM:TO.",
    )
}

/// `--head REV`.
fn head_arg() -> Arg {
    Arg::new("head")
        .long("head")
        .value_name("REV")
        .default_value("head")
        .help(
            "The revision the new one follows: head (the one head), another head, a revision \
             with --splice (a new branch), or base (a new root).",
        )
}

/// `--splice`.
fn splice_arg() -> Arg {
    Arg::new("splice")
        .long("splice")
        .action(ArgAction::SetTrue)
        .help("Allow --head to name a revision that is not a head: a new branch from it.")
}

/// The `db` commands, with their handlers.
fn command_list() -> Vec<(Command, commands::Handler, bool)> {
    vec![
        (
            Command::new("init")
                .about("Create the migrations module.")
                .arg(
                    Arg::new("multidb")
                        .long("multidb")
                        .action(ArgAction::SetTrue)
                        .help("A history for each database of SQLALCHEMY_BINDS too."),
                ),
            |c| Box::pin(commands::init(c)),
            false,
        ),
        (
            Command::new("revision")
                .about("Create an empty migration.")
                .arg(message_arg())
                .arg(head_arg())
                .arg(splice_arg())
                .arg(bind_arg()),
            |c| Box::pin(commands::revision(c)),
            false,
        ),
        (
            Command::new("migrate")
                .about("Autogenerate a migration from the models.")
                .arg(message_arg())
                .arg(head_arg())
                .arg(splice_arg())
                .arg(bind_arg())
                .arg(
                    Arg::new("rename")
                        .long("rename")
                        .value_name("TABLE.OLD:NEW")
                        .action(ArgAction::Append)
                        .help("A column that was renamed, not dropped and added."),
                ),
            |c| Box::pin(commands::migrate(c)),
            true,
        ),
        (
            Command::new("merge")
                .about("Merge revisions (the heads by default) into one that follows them all.")
                .arg(message_arg())
                .arg(
                    Arg::new("revisions")
                        .num_args(0..)
                        .value_name("REV")
                        .help("The revisions to merge (default: every head)."),
                )
                .arg(bind_arg()),
            |c| Box::pin(commands::merge(c)),
            false,
        ),
        (
            Command::new("edit")
                .about("Open a migration in $VISUAL or $EDITOR.")
                .arg(Arg::new("revision").default_value("head"))
                .arg(bind_arg()),
            |c| Box::pin(commands::edit(c)),
            false,
        ),
        (
            Command::new("upgrade")
                .about(
                    "Upgrade to a later version: head (the default), heads, a migration (or \
                     the start of its name), or +N.",
                )
                .arg(Arg::new("target").default_value("head"))
                .arg(sql_arg())
                .arg(bind_arg()),
            |c| Box::pin(commands::upgrade(c)),
            false,
        ),
        (
            Command::new("downgrade")
                .about(
                    "Revert to a previous version: -N (-1 by default), a migration (or the \
                     start of its name), or base (all).",
                )
                .arg(Arg::new("target").default_value("-1"))
                .arg(sql_arg())
                .arg(bind_arg()),
            |c| Box::pin(commands::downgrade(c)),
            false,
        ),
        (
            Command::new("current")
                .about("Show the current revision(s).")
                .arg(bind_arg()),
            |c| Box::pin(commands::current(c)),
            true,
        ),
        (
            Command::new("history")
                .about("List the migrations, newest first.")
                .arg(bind_arg()),
            |c| Box::pin(commands::history(c)),
            true,
        ),
        (
            Command::new("heads")
                .about("Show the revisions nothing follows yet.")
                .arg(bind_arg()),
            |c| Box::pin(commands::heads(c)),
            false,
        ),
        (
            Command::new("branches")
                .about("Show the revisions several follow (branch points).")
                .arg(bind_arg()),
            |c| Box::pin(commands::branches(c)),
            false,
        ),
        (
            Command::new("show")
                .about("Show a migration.")
                .arg(Arg::new("revision").required(true))
                .arg(bind_arg()),
            |c| Box::pin(commands::show(c)),
            false,
        ),
        (
            Command::new("stamp")
                .about("Mark the database as at the revision(s), running nothing.")
                .arg(Arg::new("revision").required(true).num_args(1..))
                .arg(bind_arg()),
            |c| Box::pin(commands::stamp(c)),
            true,
        ),
        (
            Command::new("check")
                .about("Fail when the models and the database differ (for CI).")
                .arg(bind_arg()),
            |c| Box::pin(commands::check(c)),
            true,
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
            |c| Box::pin(commands::reflect(c)),
            true,
        ),
        (
            Command::new("adopt").about(
                "Take over a database Flask-Migrate managed: a first migration from its \
                 tables, marked applied; its Alembic history stays.",
            ),
            |c| Box::pin(commands::adopt(c)),
            true,
        ),
    ]
}
