//! The handlers of the `db` commands.

use std::collections::HashSet;
use std::future::Future;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use flask::cli::CliContext;
use flask::{BoxError, Setup};
use flask_sqlalchemy::{Dialect, MetaData, SQLAlchemy};

use super::files::{self, disk_graph, unique_name, write_migration};
use super::{
    Migrate, command_list, downgrade_history, engine_of, stamp_history, stamped, upgrade_history,
};
use crate::graph::Graph;
use crate::revisions::{self, History};
use crate::{MIGRATIONS_TABLE, Schema, diff, migration_source, module_source, rename_candidates};

/// A command's handler.
pub(super) type Handler =
    fn(CliContext) -> Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send>>;

/// Adds the `db` commands to the app: those that need no database run without the app's
/// startup (and `upgrade`/`downgrade` start it unless `--sql`).
pub(super) fn register(app: &mut Setup) {
    for (command, handler, starts_app) in command_list() {
        if starts_app {
            app.group_command("db", command, handler);
        } else {
            app.group_command_without_startup("db", command, handler);
        }
    }
}

fn ext(ctx: &CliContext) -> Result<Arc<Migrate>, BoxError> {
    Ok(ctx
        .app()
        .extension::<Migrate>()
        .ok_or("the Migrate extension is not registered")?)
}

fn sqlalchemy(ctx: &CliContext) -> Result<Arc<SQLAlchemy>, BoxError> {
    Ok(ctx
        .app()
        .extension::<SQLAlchemy>()
        .ok_or("the SQLAlchemy extension is not registered")?)
}

fn arg(ctx: &CliContext, name: &str) -> Option<String> {
    ctx.matches().get_one::<String>(name).cloned()
}

/// `<default>` or the bind key, as Flask-Migrate names databases.
fn label(bind: Option<&str>) -> &str {
    bind.unwrap_or("<default>")
}

/// The databases a command goes through: `--bind`'s, or the default one and each bind with
/// a history (registered, or a folder in the migrations directory).
fn databases(ext: &Migrate, ctx: &CliContext) -> Result<Vec<Option<String>>, BoxError> {
    if let Some(bind) = arg(ctx, "bind") {
        if sqlalchemy(ctx)?.database_uri(Some(&bind)).is_none() {
            return Err(format!("--bind {bind}: SQLALCHEMY_BINDS has no such key").into());
        }
        return Ok(vec![Some(bind)]);
    }
    let mut out = vec![None];
    let root = ctx.app().root_path();
    for key in files::bind_folders(&ext.dir(root, None)) {
        out.push(Some(key));
    }
    for (bind, _) in &ext.histories {
        if bind.is_some() && !out.contains(bind) {
            out.push(bind.clone());
        }
    }
    Ok(out)
}

/// The databases' histories; for a target naming a revision, only those that have it (an
/// error from the default's when none does).
fn histories_for(
    ext: &Migrate,
    ctx: &CliContext,
    targets: &[&str],
) -> Result<Vec<(Option<String>, History)>, BoxError> {
    let mut all = Vec::new();
    for bind in databases(ext, ctx)? {
        let history = ext.history(bind.as_deref())?;
        all.push((bind, history));
    }
    let named: Vec<&str> = targets
        .iter()
        .copied()
        .filter(|t| !matches!(*t, "head" | "heads" | "base") && !t.starts_with(['+', '-']))
        .collect();
    if named.is_empty() || all.len() < 2 {
        return Ok(all);
    }
    // `REV+N` and `REV-N` name REV.
    let named: Vec<&str> = named
        .into_iter()
        .map(|t| match t.rsplit_once(['+', '-']) {
            Some((rev, n)) if !rev.is_empty() && n.parse::<usize>().is_ok() => rev,
            _ => t,
        })
        .collect();
    let mut having = Vec::new();
    for (bind, history) in &all {
        let graph = history.graph()?;
        if named.iter().all(|t| graph.resolve(t).is_ok()) {
            having.push((bind.clone(), *history));
        }
    }
    if having.is_empty() {
        let graph = all[0].1.graph()?;
        for t in named {
            graph.resolve(t)?;
        }
    }
    Ok(having)
}

/// The graph of the migration files of `bind`: from the files when the folder is there, or
/// from the migrations compiled in (a deployed binary without its sources).
fn files_graph(ext: &Migrate, ctx: &CliContext, bind: Option<&str>) -> Result<Graph, BoxError> {
    let dir = ext.dir(ctx.app().root_path(), bind);
    if dir.join("mod.rs").exists() {
        return disk_graph(&dir);
    }
    match ext.history(bind) {
        Ok(history) => Ok(history.graph()?),
        Err(_) => Err(format!(
            "{} has no migrations module: run db init first",
            dir.display()
        )
        .into()),
    }
}

/// Alembic's marks of a revision: ` (head)`, ` (branchpoint)`, ` (mergepoint)`.
fn marks(graph: &Graph, name: &str) -> String {
    let mut out = String::new();
    if graph.next(name).is_empty() {
        out.push_str(" (head)");
    }
    if graph.next(name).len() > 1 {
        out.push_str(" (branchpoint)");
    }
    if graph.down_revision(name).len() > 1 {
        out.push_str(" (mergepoint)");
    }
    out
}

/// `a, b`, or `base` for a first revision.
fn follows(down: &[String]) -> String {
    if down.is_empty() {
        "base".to_owned()
    } else {
        down.join(", ")
    }
}

/// The revisions a new one follows for `--head`: the one head, a head, a revision that is not
/// a head with `splice` (a new branch), or none (`base`).
fn new_parents(graph: &Graph, head: &str, splice: bool) -> Result<Vec<String>, BoxError> {
    match head {
        "base" => Ok(Vec::new()),
        "head" => {
            let heads = graph.heads();
            if heads.len() > 1 {
                return Err(format!(
                    "Multiple heads are present ({}): give --head REV for the revision the new \
                     one follows, or db merge them first",
                    heads.join(", ")
                )
                .into());
            }
            Ok(heads.into_iter().map(str::to_owned).collect())
        }
        rev => {
            let name = graph.resolve(rev)?;
            if !splice && !graph.next(name).is_empty() {
                return Err(format!(
                    "{name} is not a head revision: pass --splice to start a new branch from it"
                )
                .into());
            }
            Ok(vec![name.to_owned()])
        }
    }
}

/// Whether `key` can name a Rust module (a bind's migrations folder).
fn is_module_name(key: &str) -> bool {
    key.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

pub(super) async fn init(ctx: CliContext) -> Result<(), BoxError> {
    let ext = ext(&ctx)?;
    let dir = ext.dir(ctx.app().root_path(), None);
    if dir.join("mod.rs").exists() {
        return Err(format!("{} already exists", dir.join("mod.rs").display()).into());
    }
    let binds: Vec<String> = if ctx.matches().get_flag("multidb") {
        let keys: Vec<String> = sqlalchemy(&ctx)?
            .bind_keys()
            .into_iter()
            .map(str::to_owned)
            .collect();
        if keys.is_empty() {
            return Err(
                "--multidb: SQLALCHEMY_BINDS is empty; add the other databases first".into(),
            );
        }
        if let Some(bad) = keys.iter().find(|k| !is_module_name(k)) {
            return Err(format!(
                "--multidb: the bind key {bad:?} cannot name a Rust module (its migrations' \
                 folder): use lowercase letters, digits and _"
            )
            .into());
        }
        keys
    } else {
        Vec::new()
    };
    let write = |dir: &std::path::Path, binds: &[String]| -> Result<(), BoxError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        std::fs::write(dir.join("mod.rs"), module_source(&[], binds))
            .map_err(|e| format!("cannot write {}: {e}", dir.join("mod.rs").display()))?;
        ctx.echo(format!("Creating directory {} ...  done", dir.display()));
        Ok(())
    };
    write(&dir, &binds)?;
    for bind in &binds {
        write(&dir.join(bind), &[])?;
    }
    let mut register = "Migrate::new().migrator::<migrations::Migrator>()".to_owned();
    for bind in &binds {
        register.push_str(&format!(
            ".bind_migrator::<migrations::{bind}::Migrator>({bind:?})"
        ));
    }
    ctx.echo(format!(
        "Add `pub mod migrations;` to the app's crate, register {register}, then run db migrate."
    ));
    Ok(())
}

/// The migrations folder of `--bind` (the default database's without it) and the graph of
/// its files; an error saying `missing` when it has no module.
fn folder(ctx: &CliContext, missing: &str) -> Result<(PathBuf, Graph), BoxError> {
    let ext = ext(ctx)?;
    let dir = ext.dir(ctx.app().root_path(), arg(ctx, "bind").as_deref());
    if !dir.join("mod.rs").exists() {
        return Err(format!("{} has no mod.rs: {missing}", dir.display()).into());
    }
    let graph = disk_graph(&dir)?;
    Ok((dir, graph))
}

/// The revisions a new one follows, as `--head` and `--splice` say.
fn parents_from_args(ctx: &CliContext, graph: &Graph) -> Result<Vec<String>, BoxError> {
    new_parents(
        graph,
        &arg(ctx, "head").unwrap_or_else(|| "head".into()),
        ctx.matches().get_flag("splice"),
    )
}

/// Writes the revision `message` into `dir`, following `parents`, running `ops`, and says
/// so.
fn write_revision(
    ctx: &CliContext,
    dir: &Path,
    message: &str,
    parents: &[String],
    ops: &[crate::Op],
) -> Result<(), BoxError> {
    let name = unique_name(dir, message);
    let path = write_migration(dir, &name, &migration_source(&name, message, parents, ops))?;
    ctx.echo(format!("Generating {} ...  done", path.display()));
    Ok(())
}

pub(super) async fn revision(ctx: CliContext) -> Result<(), BoxError> {
    let (dir, graph) = folder(&ctx, "run db init first")?;
    let parents = parents_from_args(&ctx, &graph)?;
    let message = arg(&ctx, "message").unwrap_or_default();
    write_revision(&ctx, &dir, &message, &parents, &[])
}

pub(super) async fn merge(ctx: CliContext) -> Result<(), BoxError> {
    let (dir, graph) = folder(&ctx, "run db init first")?;
    let asked: Vec<String> = ctx
        .matches()
        .get_many::<String>("revisions")
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let mut parents: Vec<String> = Vec::new();
    if asked.is_empty() || asked.iter().all(|a| a == "heads") {
        parents.extend(graph.heads().into_iter().map(str::to_owned));
    } else {
        for a in &asked {
            let name = graph.resolve(a)?.to_owned();
            if !parents.contains(&name) {
                parents.push(name);
            }
        }
    }
    if parents.len() < 2 {
        return Err(format!(
            "nothing to merge: a merge follows two revisions or more, and there is {} ({})",
            parents.len(),
            follows(&parents)
        )
        .into());
    }
    let message = arg(&ctx, "message").unwrap_or_default();
    let message = if message.is_empty() {
        format!("merge {}", parents.join(" and "))
    } else {
        message
    };
    write_revision(&ctx, &dir, &message, &parents, &[])
}

pub(super) async fn edit(ctx: CliContext) -> Result<(), BoxError> {
    let (dir, graph) = folder(&ctx, "there is nothing to edit")?;
    let target = arg(&ctx, "revision").unwrap_or_else(|| "head".into());
    let name = match new_parents(&graph, &target, true)?.pop() {
        Some(name) => name,
        None => return Err("there is no migration yet: db revision writes one".into()),
    };
    let path = dir.join(format!("{name}.rs"));
    let editor = ["VISUAL", "EDITOR"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|e| !e.trim().is_empty()))
        .ok_or("set EDITOR (or VISUAL) to the editor to open migrations with")?;
    let mut words = editor.split_whitespace();
    let program = words.next().unwrap_or_default().to_owned();
    let args: Vec<String> = words.map(str::to_owned).collect();
    let status = tokio::process::Command::new(&program)
        .args(&args)
        .arg(&path)
        .status()
        .await
        .map_err(|e| format!("cannot run the editor {program:?}: {e}"))?;
    if !status.success() {
        return Err(format!("the editor {program:?} failed ({status})").into());
    }
    // A DOWN_REVISION edited by hand must still make a graph.
    disk_graph(&dir).map_err(|e| format!("after the edit, {e}"))?;
    Ok(())
}

pub(super) async fn upgrade(ctx: CliContext) -> Result<(), BoxError> {
    move_to(ctx, true).await
}

pub(super) async fn downgrade(ctx: CliContext) -> Result<(), BoxError> {
    move_to(ctx, false).await
}

/// `db upgrade` (`up`) and `db downgrade`, online or (`--sql`) offline.
async fn move_to(ctx: CliContext, up: bool) -> Result<(), BoxError> {
    let ext = ext(&ctx)?;
    let target = arg(&ctx, "target").unwrap_or_else(|| if up { "head" } else { "-1" }.into());
    let sql = ctx.matches().get_flag("sql");
    let sides: Vec<&str> = target.split(':').collect();
    let chosen = histories_for(&ext, &ctx, &sides)?;
    let several = chosen.len() > 1;
    if sql {
        return offline(&ctx, &chosen, &target, up).await;
    }
    if sides.len() > 1 {
        return Err(format!(
            "{target}: FROM:TO is for --sql; online, the database says where it is"
        )
        .into());
    }
    ctx.startup().await?;
    for (bind, history) in chosen {
        if several {
            ctx.echo(format!("Migrating database {}", label(bind.as_deref())));
        }
        let engine = engine_of(ctx.app(), bind.as_deref())?;
        if up {
            upgrade_history(history, &engine, &target, |name, down| {
                ctx.echo(format!("Running upgrade {} -> {name}", follows(down)));
            })
            .await?;
        } else {
            downgrade_history(history, &engine, &target, |name, down| {
                ctx.echo(format!("Running downgrade {name} -> {}", follows(down)));
            })
            .await?;
        }
    }
    Ok(())
}

/// `--sql`: the SQL of the range, from the revisions alone, without a database: what each
/// migration runs, with the bookkeeping of the migrations table, as a script for the
/// database's client.
async fn offline(
    ctx: &CliContext,
    chosen: &[(Option<String>, History)],
    target: &str,
    up: bool,
) -> Result<(), BoxError> {
    let (from, to) = match target.split_once(':') {
        Some((from, to)) => (Some(from), to),
        None => (None, target),
    };
    if !up && from.is_none() {
        return Err(format!(
            "downgrade --sql needs FROM:TO (head:base, head:-1, ...): offline there is no \
             database to say where it is, not {target:?}"
        )
        .into());
    }
    let sqlalchemy = sqlalchemy(ctx)?;
    for (bind, history) in chosen {
        let dialect = sqlalchemy
            .database_uri(bind.as_deref())
            .ok_or("the database URI is not configured")?
            .dialect();
        let graph = history.graph()?;
        let start: HashSet<String> = match from {
            None | Some("base" | "") => HashSet::new(),
            Some(from) => stamped(&graph, &[from.to_owned()])?,
        };
        let plan = if up {
            graph.upgrade_plan(&start, to)?
        } else {
            graph.downgrade_plan(&start, to)?
        };
        // The schema at the start, from the migrations that lead there (SQLite rebuilds
        // tables from it).
        let mut state = Schema::default();
        for name in graph.names().filter(|n| start.contains(*n)) {
            let migration = history.migration(name)?;
            for op in crate::runtime::captured(migration.as_ref(), true).await? {
                state.apply(&op);
            }
        }
        if chosen.len() > 1 {
            ctx.echo(format!("-- Database {}", label(bind.as_deref())));
        }
        print_sql(ctx, dialect, *history, &graph, &mut state, &plan, up).await?;
    }
    Ok(())
}

/// Echoes the SQL of `plan`, up or down, from `state`.
async fn print_sql(
    ctx: &CliContext,
    dialect: Dialect,
    history: History,
    graph: &Graph,
    state: &mut Schema,
    plan: &[String],
    up: bool,
) -> Result<(), BoxError> {
    let pg = dialect == Dialect::Postgres;
    let now = revisions::now();
    if up {
        // What the runner makes on first use, so the script stands alone.
        let ty = if dialect == Dialect::MySql {
            "varchar(255)"
        } else {
            "varchar"
        };
        ctx.echo(format!(
            "CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (version {ty} NOT NULL PRIMARY KEY, applied_at bigint NOT NULL);"
        ));
    }
    for name in plan {
        let migration = history.migration(name)?;
        let ops = crate::runtime::captured(migration.as_ref(), up).await?;
        let down = follows(graph.down_revision(name));
        if up {
            ctx.echo(format!("\n-- Running upgrade {down} -> {name}"));
        } else {
            ctx.echo(format!("\n-- Running downgrade {name} -> {down}"));
        }
        if pg {
            ctx.echo("BEGIN;");
        }
        for sql in crate::statements_from(&ops, dialect, state)? {
            ctx.echo(format!("{sql};"));
        }
        for op in &ops {
            state.apply(op);
        }
        let quoted = name.replace('\'', "''");
        if up {
            ctx.echo(format!(
                "INSERT INTO {MIGRATIONS_TABLE} (version, applied_at) VALUES ('{quoted}', {now});"
            ));
        } else {
            ctx.echo(format!(
                "DELETE FROM {MIGRATIONS_TABLE} WHERE version = '{quoted}';"
            ));
        }
        if pg {
            ctx.echo("COMMIT;");
        }
    }
    Ok(())
}

pub(super) async fn current(ctx: CliContext) -> Result<(), BoxError> {
    let ext = ext(&ctx)?;
    let chosen = histories_for(&ext, &ctx, &[])?;
    for (bind, history) in &chosen {
        if chosen.len() > 1 {
            ctx.echo(format!("Database {}:", label(bind.as_deref())));
        }
        let engine = engine_of(ctx.app(), bind.as_deref())?;
        let graph = history.graph()?;
        let applied = revisions::applied(&crate::sea_connection(&engine), &graph).await?;
        let current = graph.current(&applied);
        if current.is_empty() {
            ctx.echo("(base)");
        }
        for c in current {
            ctx.echo(format!("{c}{}", marks(&graph, c)));
        }
    }
    Ok(())
}

pub(super) async fn history(ctx: CliContext) -> Result<(), BoxError> {
    let ext = ext(&ctx)?;
    let chosen = histories_for(&ext, &ctx, &[])?;
    for (bind, history) in &chosen {
        if chosen.len() > 1 {
            ctx.echo(format!("Database {}:", label(bind.as_deref())));
        }
        let engine = engine_of(ctx.app(), bind.as_deref())?;
        let graph = history.graph()?;
        let applied = revisions::applied(&crate::sea_connection(&engine), &graph).await?;
        let current = graph.current(&applied);
        // Newest first, as Alembic lists them.
        for name in graph.names().rev() {
            let down = graph.down_revision(name);
            let mut marks = marks(&graph, name);
            if current.contains(&name) {
                marks.push_str(" (current)");
            }
            let from = if down.is_empty() {
                "<base>".to_owned()
            } else {
                down.join(", ")
            };
            ctx.echo(format!("{from} -> {name}{marks}"));
        }
    }
    Ok(())
}

pub(super) async fn heads(ctx: CliContext) -> Result<(), BoxError> {
    let ext = ext(&ctx)?;
    let binds = databases(&ext, &ctx)?;
    for bind in &binds {
        if binds.len() > 1 {
            ctx.echo(format!("Database {}:", label(bind.as_deref())));
        }
        let graph = files_graph(&ext, &ctx, bind.as_deref())?;
        for head in graph.heads() {
            ctx.echo(format!("{head} (head)"));
        }
    }
    Ok(())
}

pub(super) async fn branches(ctx: CliContext) -> Result<(), BoxError> {
    let ext = ext(&ctx)?;
    let binds = databases(&ext, &ctx)?;
    for bind in &binds {
        if binds.len() > 1 {
            ctx.echo(format!("Database {}:", label(bind.as_deref())));
        }
        let graph = files_graph(&ext, &ctx, bind.as_deref())?;
        let heads = graph.heads();
        for (point, next) in graph.branch_points() {
            ctx.echo(format!("{point} (branchpoint)"));
            for n in next {
                let head = if heads.contains(&n) { " (head)" } else { "" };
                ctx.echo(format!("   -> {n}{head}"));
            }
        }
    }
    Ok(())
}

pub(super) async fn show(ctx: CliContext) -> Result<(), BoxError> {
    let ext = ext(&ctx)?;
    let bind = arg(&ctx, "bind");
    let graph = files_graph(&ext, &ctx, bind.as_deref())?;
    let target = arg(&ctx, "revision").unwrap_or_default();
    let name = match target.as_str() {
        "head" | "base" => new_parents(&graph, &target, true)?
            .pop()
            .ok_or("there is no migration yet")?,
        t => graph.resolve(t)?.to_owned(),
    };
    ctx.echo(format!("Revision: {name}"));
    ctx.echo(format!("Revises: {}", follows(graph.down_revision(&name))));
    let path: PathBuf = ext
        .dir(ctx.app().root_path(), bind.as_deref())
        .join(format!("{name}.rs"));
    if let Ok(source) = std::fs::read_to_string(&path) {
        ctx.echo(format!("Path: {}", path.display()));
        for line in source.lines().take_while(|l| l.starts_with("//!")) {
            let line = line.trim_start_matches("//!").trim_start();
            if !line.starts_with("Revision ") && !line.starts_with("Revises:") {
                ctx.echo(line);
            }
        }
    }
    Ok(())
}

pub(super) async fn stamp(ctx: CliContext) -> Result<(), BoxError> {
    let ext = ext(&ctx)?;
    let targets: Vec<String> = ctx
        .matches()
        .get_many::<String>("revision")
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let sides: Vec<&str> = targets.iter().map(String::as_str).collect();
    for (bind, history) in histories_for(&ext, &ctx, &sides)? {
        let graph = history.graph()?;
        let applied = stamped(&graph, &targets)?;
        let engine = engine_of(ctx.app(), bind.as_deref())?;
        stamp_history(&engine, &applied).await?;
        let current = graph.current(&applied);
        ctx.echo(format!(
            "Stamped {}",
            if current.is_empty() {
                "base".to_owned()
            } else {
                current.join(", ")
            }
        ));
    }
    Ok(())
}

/// The models of the database `bind`.
fn models(ctx: &CliContext, bind: Option<&str>) -> Result<MetaData, BoxError> {
    Ok(sqlalchemy(ctx)?.metadata().for_bind(bind))
}

pub(super) async fn check(ctx: CliContext) -> Result<(), BoxError> {
    let ext = ext(&ctx)?;
    let mut lines = Vec::new();
    for bind in databases(&ext, &ctx)? {
        let engine = engine_of(ctx.app(), bind.as_deref())?;
        for op in ext.check(&engine, &models(&ctx, bind.as_deref())?).await? {
            lines.push(match &bind {
                Some(key) => format!("[{key}] {}", op.describe()),
                None => op.describe(),
            });
        }
    }
    if lines.is_empty() {
        ctx.echo("No new upgrade operations detected.");
        return Ok(());
    }
    Err(format!(
        "New upgrade operations detected:\n  {}\nRun db migrate, then db upgrade.",
        lines.join("\n  ")
    )
    .into())
}

pub(super) async fn reflect(ctx: CliContext) -> Result<(), BoxError> {
    let ext = ext(&ctx)?;
    let engine = engine_of(ctx.app(), None)?;
    let mut live = Schema::inspect(&engine).await?;
    live.tables.retain(|t| !ext.ignored.contains(&t.name));
    let source = crate::reflect_models(&live);
    match arg(&ctx, "output") {
        Some(path) => {
            std::fs::write(&path, &source).map_err(|e| format!("cannot write {path}: {e}"))?;
            ctx.echo(format!("Wrote {} models to {path}", live.tables.len()));
        }
        None => ctx.echo(source.trim_end()),
    }
    Ok(())
}

pub(super) async fn adopt(ctx: CliContext) -> Result<(), BoxError> {
    let ext = ext(&ctx)?;
    let engine = engine_of(ctx.app(), None)?;
    let dir = ext.dir(ctx.app().root_path(), None);
    let name = ext.adopt(&engine, &models(&ctx, None)?, &dir).await?;
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

/// `--rename TABLE.OLD:NEW` options.
fn renames(ctx: &CliContext) -> Result<Vec<(String, String, String)>, BoxError> {
    let mut out = Vec::new();
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
        out.push((t.to_owned(), from.to_owned(), to.to_owned()));
    }
    Ok(out)
}

pub(super) async fn migrate(ctx: CliContext) -> Result<(), BoxError> {
    let ext = ext(&ctx)?;
    let binds = databases(&ext, &ctx)?;
    for bind in &binds {
        if binds.len() > 1 {
            ctx.echo(format!("Database {}:", label(bind.as_deref())));
        }
        migrate_one(&ctx, &ext, bind.as_deref()).await?;
    }
    Ok(())
}

/// `db migrate` for one database.
async fn migrate_one(ctx: &CliContext, ext: &Migrate, bind: Option<&str>) -> Result<(), BoxError> {
    let engine = engine_of(ctx.app(), bind)?;
    let dir = ext.dir(ctx.app().root_path(), bind);
    if let Ok(history) = ext.history(bind) {
        let graph = history.graph()?;
        let applied = revisions::applied(&crate::sea_connection(&engine), &graph).await?;
        let waiting: Vec<&str> = graph.names().filter(|n| !applied.contains(*n)).collect();
        if !waiting.is_empty() {
            return Err(format!(
                "Target database is not up to date: run db upgrade first ({} pending)",
                waiting.join(", ")
            )
            .into());
        }
        let new: Vec<String> = files::files_in(&dir)
            .into_iter()
            .filter(|n| !graph.contains(n))
            .collect();
        if !new.is_empty() {
            return Err(format!(
                "{} has migrations this build of the app does not have ({}): rebuild it and \
                 run db upgrade first",
                dir.display(),
                new.join(", ")
            )
            .into());
        }
    }
    if !dir.join("mod.rs").exists() {
        return Err(format!("{} has no mod.rs: run db init first", dir.display()).into());
    }
    let (wanted, live) = ext.schemas(&engine, &models(ctx, bind)?).await?;
    let mut renames = renames(ctx)?;
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
    let parents = parents_from_args(ctx, &disk_graph(&dir)?)?;
    let message = arg(ctx, "message").unwrap_or_default();
    write_revision(ctx, &dir, &message, &parents, &ops)
}
