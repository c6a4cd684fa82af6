//! Migration files: the Rust source `db migrate` and `db revision` write, and the module
//! that lists them.

use std::fmt::Write as _;

use flask_sqlalchemy::{ColumnType, ReferentialAction};

use crate::diff::Op;
use crate::schema::{CheckDef, ColumnDef, ForeignKeyDef, IndexDef, TableDef};

/// A Rust string literal.
fn lit(s: &str) -> String {
    format!("{s:?}")
}

fn strs(items: &[String]) -> String {
    let parts: Vec<String> = items.iter().map(|s| lit(s)).collect();
    format!("&[{}]", parts.join(", "))
}

fn ty(t: ColumnType) -> String {
    match t {
        ColumnType::SmallInteger => "SmallInteger".into(),
        ColumnType::Integer => "Integer".into(),
        ColumnType::BigInteger => "BigInteger".into(),
        ColumnType::Float => "Float".into(),
        ColumnType::Double => "Double".into(),
        ColumnType::Boolean => "Boolean".into(),
        ColumnType::String(Some(n)) => format!("String(Some({n}))"),
        ColumnType::String(None) => "String(None)".into(),
        ColumnType::LargeBinary => "LargeBinary".into(),
        ColumnType::Json => "Json".into(),
        ColumnType::Date => "Date".into(),
        ColumnType::Time => "Time".into(),
        ColumnType::DateTime => "DateTime".into(),
        ColumnType::DateTimeTz => "DateTimeTz".into(),
        ColumnType::Uuid => "Uuid".into(),
        ColumnType::Numeric { precision, scale } => {
            format!("Numeric {{ precision: {precision}, scale: {scale} }}")
        }
        _ => "String(None)".into(),
    }
}

fn action(a: Option<ReferentialAction>) -> String {
    match a {
        None => "None".into(),
        Some(a) => format!("Some(ReferentialAction::{a:?})"),
    }
}

fn column(c: &ColumnDef) -> String {
    let mut out = format!(
        "column({}, {})",
        lit(&c.name),
        c.ty.map_or_else(|| "String(None)".to_owned(), ty)
    );
    if c.nullable {
        out.push_str(".nullable()");
    }
    if c.autoincrement {
        out.push_str(".autoincrement()");
    }
    if let Some(d) = &c.default {
        let _ = write!(out, ".default({})", lit(d));
    }
    out
}

fn index(i: &IndexDef) -> String {
    format!(
        "index({}, {}, {})",
        lit(&i.name),
        strs(&i.columns),
        i.unique
    )
}

fn foreign_key(f: &ForeignKeyDef) -> String {
    format!(
        "foreign_key({}, {}, {}, {}, {}, {})",
        lit(&f.name),
        strs(&f.columns),
        lit(&f.ref_table),
        strs(&f.ref_columns),
        action(f.on_delete),
        action(f.on_update)
    )
}

fn check(c: &CheckDef) -> String {
    format!("check({}, {})", lit(&c.name), lit(&c.sql))
}

fn table(t: &TableDef, pad: &str) -> String {
    let mut out = format!("table({})", lit(&t.name));
    for c in &t.columns {
        let _ = write!(out, "\n{pad}    .column({})", column(c));
    }
    if !t.primary_key.is_empty() {
        let _ = write!(out, "\n{pad}    .primary_key({})", strs(&t.primary_key));
    }
    for i in &t.indexes {
        let _ = write!(
            out,
            "\n{pad}    .index({}, {}, {})",
            lit(&i.name),
            strs(&i.columns),
            i.unique
        );
    }
    for f in &t.foreign_keys {
        let _ = write!(out, "\n{pad}    .foreign_key({})", foreign_key(f));
    }
    for c in &t.checks {
        let _ = write!(out, "\n{pad}    .check({}, {})", lit(&c.name), lit(&c.sql));
    }
    out
}

/// One operation as a Rust expression building it.
fn op(o: &Op, pad: &str) -> String {
    let t = |s: &String| lit(s);
    match o {
        Op::CreateTable(tb) => format!("Op::CreateTable({})", table(tb, pad)),
        Op::DropTable(tb) => format!("Op::DropTable({})", table(tb, pad)),
        Op::AddColumn { table, column: c } => format!(
            "Op::AddColumn {{ table: {}.into(), column: {} }}",
            t(table),
            column(c)
        ),
        Op::DropColumn { table, column: c } => format!(
            "Op::DropColumn {{ table: {}.into(), column: {} }}",
            t(table),
            column(c)
        ),
        Op::RenameColumn { table, from, to } => format!(
            "Op::RenameColumn {{ table: {}.into(), from: {}.into(), to: {}.into() }}",
            t(table),
            t(from),
            t(to)
        ),
        Op::AlterColumn { table, from, to } => format!(
            "Op::AlterColumn {{\n{pad}    table: {}.into(),\n{pad}    from: {},\n{pad}    to: {},\n{pad}}}",
            t(table),
            column(from),
            column(to)
        ),
        Op::CreateIndex { table, index: i } => format!(
            "Op::CreateIndex {{ table: {}.into(), index: {} }}",
            t(table),
            index(i)
        ),
        Op::DropIndex { table, index: i } => format!(
            "Op::DropIndex {{ table: {}.into(), index: {} }}",
            t(table),
            index(i)
        ),
        Op::AddForeignKey {
            table,
            foreign_key: f,
        } => format!(
            "Op::AddForeignKey {{\n{pad}    table: {}.into(),\n{pad}    foreign_key: {},\n{pad}}}",
            t(table),
            foreign_key(f)
        ),
        Op::DropForeignKey {
            table,
            foreign_key: f,
        } => format!(
            "Op::DropForeignKey {{\n{pad}    table: {}.into(),\n{pad}    foreign_key: {},\n{pad}}}",
            t(table),
            foreign_key(f)
        ),
        Op::AddCheck { table, check: c } => format!(
            "Op::AddCheck {{ table: {}.into(), check: {} }}",
            t(table),
            check(c)
        ),
        Op::DropCheck { table, check: c } => format!(
            "Op::DropCheck {{ table: {}.into(), check: {} }}",
            t(table),
            check(c)
        ),
        Op::Execute { sql, dialect: None } => format!("execute({})", t(sql)),
        Op::Execute {
            sql,
            dialect: Some(d),
        } => format!("execute_on(Dialect::{d:?}, {})", t(sql)),
    }
}

fn ops_block(ops: &[Op]) -> String {
    if ops.is_empty() {
        return "        run(manager, vec![]).await".to_owned();
    }
    let pad = "            ";
    let mut out = String::from("        run(\n            manager,\n            vec![\n");
    for o in ops {
        let _ = writeln!(out, "{pad}    {},", op(o, &format!("{pad}    ")));
    }
    out.push_str("            ],\n        )\n        .await");
    out
}

/// `DOWN_REVISION`'s value, as rustfmt lays it out.
fn down_revision_value(names: &[String]) -> String {
    let one_line = strs(names);
    // With its `;`, within 100 columns.
    if "pub const DOWN_REVISION: &[&str] = ".len() + one_line.len() < 100 {
        return one_line;
    }
    let mut out = String::from("&[\n");
    for n in names {
        let _ = writeln!(out, "    {},", lit(n));
    }
    out.push(']');
    out
}

/// The source of migration `name` (`m20261130_120000_add_email`), following the revisions
/// `down_revision` (none for the first): `up` runs `ops`, `down` their reverses, last first.
/// `message` is what `-m` said; `describe` lines list what autogenerate found.
pub fn migration_source(name: &str, message: &str, down_revision: &[String], ops: &[Op]) -> String {
    let down: Vec<Op> = ops.iter().rev().map(Op::reverse).collect();
    let mut found = String::new();
    for o in ops {
        let _ = writeln!(found, "//! - {}", o.describe());
    }
    if ops.is_empty() {
        found.push_str("//! - (empty: write the operations by hand)\n");
    }
    let follows = if down_revision.is_empty() {
        "nothing: it is a first revision".to_owned()
    } else {
        down_revision.join(", ")
    };
    format!(
        "//! {message}\n//!\n//! Revision {name}, written by flask-migrate.\n//! Revises: {follows}\n//!\n//! What it does:\n//!\n{found}\n\
#![allow(unused_imports)]\n\n\
use flask_migrate::prelude::*;\n\n\
/// The revisions this one follows (Alembic's `down_revision`): none for a first revision,\n\
/// two or more for a merge.\n\
pub const DOWN_REVISION: &[&str] = {down_revision};\n\n\
/// {message}\n\
#[derive(Debug)]\n\
pub struct Migration;\n\n\
impl MigrationName for Migration {{\n    fn name(&self) -> &str {{\n        {lit_name}\n    }}\n}}\n\n\
#[async_trait::async_trait]\n\
impl MigrationTrait for Migration {{\n    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {{\n{up}\n    }}\n\n    \
async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {{\n{down}\n    }}\n}}\n",
        lit_name = lit(name),
        down_revision = down_revision_value(down_revision),
        up = ops_block(ops),
        down = ops_block(&down),
    )
}

/// The source of the migrations module listing `names` (oldest first), each file with its
/// `DOWN_REVISION`, and the modules `binds` (the folders of the binds' histories, `db init
/// --multidb`).
pub fn module_source(names: &[String], binds: &[String]) -> String {
    let mut out = String::from(
        "//! The app's migrations: `db migrate`, `db revision` and `db merge` add to this list.\n\
         //! Each file's `DOWN_REVISION` says which revisions it follows.\n\n\
         use flask_migrate::prelude::*;\n\n",
    );
    // In name order, as rustfmt sorts module declarations.
    let mut modules: Vec<(&String, bool)> = names
        .iter()
        .map(|n| (n, false))
        .chain(binds.iter().map(|n| (n, true)))
        .collect();
    modules.sort();
    for (n, bind) in &modules {
        if *bind {
            let _ = writeln!(
                out,
                "/// The migrations of the database `{n}` of `SQLALCHEMY_BINDS`."
            );
        }
        let _ = writeln!(out, "pub mod {n};");
    }
    if !modules.is_empty() {
        out.push('\n');
    }
    out.push_str(
        "/// Every migration, oldest first.\n#[derive(Debug)]\npub struct Migrator;\n\n\
         impl MigratorTrait for Migrator {\n    fn migrations() -> Vec<Box<dyn MigrationTrait>> {\n        \
         Self::revisions()\n            .into_iter()\n            .map(Revision::into_migration)\n            .collect()\n    }\n}\n\n\
         impl Revisions for Migrator {\n    fn revisions() -> Vec<Revision> {\n",
    );
    // As rustfmt lays it out (at 100 columns), so `cargo fmt` leaves it alone.
    let item = |n: &String| format!("Revision::new({n}::Migration, {n}::DOWN_REVISION)");
    match names {
        [] => out.push_str("        vec![]\n"),
        [n] if 8 + "vec![]".len() + item(n).len() <= 100 => {
            let _ = writeln!(out, "        vec![{}]", item(n));
        }
        [n] => {
            let _ = writeln!(
                out,
                "        vec![Revision::new(\n            {n}::Migration,\n            {n}::DOWN_REVISION,\n        )]"
            );
        }
        names => {
            out.push_str("        vec![\n");
            for n in names {
                if 12 + item(n).len() < 100 {
                    let _ = writeln!(out, "            {},", item(n));
                } else {
                    let _ = writeln!(
                        out,
                        "            Revision::new(\n                {n}::Migration,\n                {n}::DOWN_REVISION,\n            ),"
                    );
                }
            }
            out.push_str("        ]\n");
        }
    }
    out.push_str("    }\n}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::{migration_source, module_source};

    /// Laid out as rustfmt lays them out (checked with rustfmt when this was written), so
    /// `cargo fmt` on an app leaves the generated files alone.
    #[test]
    fn the_files_are_laid_out_as_rustfmt_does() {
        let long = "m20261208_101010_add_phone_numbers_to_accounts".to_owned();
        let other = "m20261208_111111_add_avatars_to_user_profiles".to_owned();
        let module = module_source(
            std::slice::from_ref(&long),
            &["users".to_owned(), "analytics".to_owned()],
        );
        assert!(
            module.contains(&format!(
                "pub mod analytics;\npub mod {long};\n/// The migrations of the database `users` \
                 of `SQLALCHEMY_BINDS`.\npub mod users;\n\n/// Every migration"
            )),
            "{module}"
        );
        assert!(
            module.contains(&format!(
                "        vec![Revision::new(\n            {long}::Migration,\n            \
                 {long}::DOWN_REVISION,\n        )]\n"
            )),
            "{module}"
        );
        let empty = module_source(&[], &[]);
        assert!(
            empty.contains("use flask_migrate::prelude::*;\n\n/// Every migration")
                && empty.contains("        vec![]\n"),
            "{empty}"
        );
        let merge = migration_source("m20261208_121212_merge", "merge", &[long, other], &[]);
        assert!(
            merge.contains(
                "pub const DOWN_REVISION: &[&str] = &[\n    \
                 \"m20261208_101010_add_phone_numbers_to_accounts\",\n    \
                 \"m20261208_111111_add_avatars_to_user_profiles\",\n];\n"
            ),
            "{merge}"
        );
        let first = migration_source("m1", "first", &[], &[]);
        assert!(
            first.contains("pub const DOWN_REVISION: &[&str] = &[];\n"),
            "{first}"
        );
    }
}
