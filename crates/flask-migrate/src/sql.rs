//! The SQL of each operation on each database: what `upgrade` runs and `upgrade --sql`
//! prints.

use flask_sqlalchemy::ddl::{server_default_sql, set_column_type};
use flask_sqlalchemy::{ColumnType, Dialect, ReferentialAction};
use sea_query::{
    Alias, ColumnDef as SeaColumn, Expr, ForeignKey, ForeignKeyAction, Index, MysqlQueryBuilder,
    PostgresQueryBuilder, SqliteQueryBuilder, Table,
};

use crate::Error;
use crate::diff::Op;
use crate::schema::{ColumnDef, ForeignKeyDef, IndexDef, Schema, TableDef};

/// The statements that carry out `ops` on `dialect`, in order, for operations that need no
/// knowledge of the tables as they are.
///
/// SQLite cannot alter a column, add or drop a constraint, or drop a column in place: those
/// need the table rebuilt from its definition, which [`statements_from`] takes; here they
/// are an error naming the operation.
pub fn statements(ops: &[Op], dialect: Dialect) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    for op in ops {
        out.extend(op_statements(op, dialect)?);
    }
    Ok(out)
}

/// The statements that carry out `ops` on `dialect` when the schema before them is `before`:
/// on SQLite, a table that needs a change SQLite cannot make in place is rebuilt (SQLite's
/// documented procedure, Alembic's batch mode): a new table with the new definition, the
/// rows copied, the old table dropped, the new one renamed, its indexes made again, with
/// foreign key enforcement off meanwhile.
pub fn statements_from(
    ops: &[Op],
    dialect: Dialect,
    before: &Schema,
) -> Result<Vec<String>, Error> {
    if dialect != Dialect::Sqlite {
        return statements(ops, dialect);
    }
    let rebuilt: Vec<&str> = ops
        .iter()
        .filter(|op| sqlite_needs_rebuild(op))
        .map(Op::table)
        .collect();
    let mut state = before.clone();
    let mut out = Vec::new();
    let mut done: Vec<String> = Vec::new();
    for op in ops {
        let table = op.table();
        let whole = matches!(op, Op::CreateTable(_) | Op::DropTable(_));
        if whole || !rebuilt.contains(&table) {
            out.extend(op_statements(op, dialect)?);
            state.apply(op);
            continue;
        }
        if done.iter().any(|t| t == table) {
            continue;
        }
        done.push(table.to_owned());
        let old = state.table(table).cloned().ok_or_else(|| {
            Error::Unsupported(format!(
                "cannot rebuild {table}: the database has no such table ({})",
                op.describe()
            ))
        })?;
        let mut new = old.clone();
        let mut renames: Vec<(String, String)> = Vec::new();
        for o in ops.iter().filter(|o| o.table() == table) {
            if let Op::RenameColumn { from, to, .. } = o {
                renames.push((from.clone(), to.clone()));
            }
            new.apply(o);
        }
        out.extend(rebuild(&old, &new, &renames)?);
        if let Some(t) = state.tables.iter_mut().find(|t| t.name == table) {
            *t = new;
        }
    }
    if !done.is_empty() {
        out.insert(0, "PRAGMA foreign_keys = OFF".to_owned());
        out.push("PRAGMA foreign_keys = ON".to_owned());
    }
    Ok(out)
}

/// Whether SQLite must rebuild the table to carry out `op`.
pub(crate) fn sqlite_needs_rebuild(op: &Op) -> bool {
    match op {
        Op::AlterColumn { .. }
        | Op::AddForeignKey { .. }
        | Op::DropForeignKey { .. }
        | Op::AddCheck { .. }
        | Op::DropCheck { .. }
        | Op::DropColumn { .. } => true,
        Op::DropIndex { index, .. } => index.name.starts_with("sqlite_autoindex"),
        _ => false,
    }
}

/// SQLite's rebuild of `old` as `new` (`renames`: old column name to new).
fn rebuild(
    old: &TableDef,
    new: &TableDef,
    renames: &[(String, String)],
) -> Result<Vec<String>, Error> {
    let d = Dialect::Sqlite;
    let q = |n: &str| d.quote(n);
    let temp = format!("_flask_migrate_new_{}", new.name);
    let mut table = new.clone();
    table.name.clone_from(&temp);
    // Indexes come after the rename, under the table's name; SQLite's own names for unique
    // constraints are reserved, so those get the ORM's.
    table.indexes.clear();
    let mut out = create_table(&table, d)?;
    let source = |column: &str| -> Option<String> {
        let from = renames
            .iter()
            .rev()
            .find(|(_, to)| to == column)
            .map_or(column, |(from, _)| from.as_str());
        old.get_column(from).map(|c| c.name.clone())
    };
    let (into, from): (Vec<String>, Vec<String>) = new
        .columns
        .iter()
        .filter_map(|c| source(&c.name).map(|s| (q(&c.name), q(&s))))
        .unzip();
    out.push(format!(
        "INSERT INTO {} ({}) SELECT {} FROM {}",
        q(&temp),
        into.join(", "),
        from.join(", "),
        q(&old.name)
    ));
    out.push(format!("DROP TABLE {}", q(&old.name)));
    out.push(format!(
        "ALTER TABLE {} RENAME TO {}",
        q(&temp),
        q(&new.name)
    ));
    for index in &new.indexes {
        let mut index = index.clone();
        if index.name.starts_with("sqlite_autoindex") {
            index.name = format!("uq_{}_{}", new.name, index.columns.join("_"));
        }
        out.push(create_index(&new.name, &index, d));
    }
    Ok(out)
}

fn build<T: sea_query::SchemaStatementBuilder>(stmt: &T, dialect: Dialect) -> String {
    match dialect {
        Dialect::Sqlite => stmt.to_string(SqliteQueryBuilder),
        Dialect::Postgres => stmt.to_string(PostgresQueryBuilder),
        Dialect::MySql => stmt.to_string(MysqlQueryBuilder),
    }
}

fn action(a: ReferentialAction) -> ForeignKeyAction {
    match a {
        ReferentialAction::Cascade => ForeignKeyAction::Cascade,
        ReferentialAction::SetNull => ForeignKeyAction::SetNull,
        ReferentialAction::SetDefault => ForeignKeyAction::SetDefault,
        ReferentialAction::Restrict => ForeignKeyAction::Restrict,
        ReferentialAction::NoAction => ForeignKeyAction::NoAction,
    }
}

/// A column's definition; `single_pk` makes it the primary key inline.
fn column(c: &ColumnDef, single_pk: bool, dialect: Dialect) -> Result<SeaColumn, Error> {
    let ty = c.ty.ok_or_else(|| {
        Error::Unsupported(format!(
            "the column {} has a type the ORM does not make; write this change by hand",
            c.name
        ))
    })?;
    let mut def = SeaColumn::new(Alias::new(c.name.as_str()));
    set_column_type(&mut def, ty, dialect);
    if c.nullable && !single_pk {
        def.null();
    } else {
        def.not_null();
    }
    if single_pk {
        def.primary_key();
    }
    if c.autoincrement {
        def.auto_increment();
    }
    if let Some(d) = &c.default {
        def.default(Expr::cust(server_default_sql(d, ty, dialect)));
    }
    Ok(def)
}

fn foreign_key(table: &str, fk: &ForeignKeyDef) -> sea_query::ForeignKeyCreateStatement {
    let mut key = ForeignKey::create();
    key.name(fk.name.as_str())
        .from_tbl(Alias::new(table))
        .to_tbl(Alias::new(fk.ref_table.as_str()));
    for c in &fk.columns {
        key.from_col(Alias::new(c.as_str()));
    }
    for c in &fk.ref_columns {
        key.to_col(Alias::new(c.as_str()));
    }
    if let Some(a) = fk.on_delete {
        key.on_delete(action(a));
    }
    if let Some(a) = fk.on_update {
        key.on_update(action(a));
    }
    key.to_owned()
}

fn create_index(table: &str, index: &IndexDef, dialect: Dialect) -> String {
    let mut stmt = Index::create();
    stmt.name(index.name.as_str()).table(Alias::new(table));
    for c in &index.columns {
        stmt.col(Alias::new(c.as_str()));
    }
    if index.unique {
        stmt.unique();
    }
    build(&stmt, dialect)
}

fn create_table(t: &TableDef, dialect: Dialect) -> Result<Vec<String>, Error> {
    let mut stmt = Table::create();
    stmt.table(Alias::new(t.name.as_str()));
    let single = t.primary_key.len() == 1;
    for c in &t.columns {
        let pk = single && t.primary_key.first() == Some(&c.name);
        stmt.col(column(c, pk, dialect)?);
    }
    if !single && !t.primary_key.is_empty() {
        let mut pk = Index::create();
        for c in &t.primary_key {
            pk.col(Alias::new(c.as_str()));
        }
        stmt.primary_key(&mut pk);
    }
    for fk in &t.foreign_keys {
        stmt.foreign_key(&mut foreign_key(&t.name, fk));
    }
    for check in &t.checks {
        stmt.check(sea_query::Check::named(
            check.name.clone(),
            Expr::cust(check.sql.clone()),
        ));
    }
    let mut out = vec![build(&stmt, dialect)];
    for index in &t.indexes {
        out.push(create_index(&t.name, index, dialect));
    }
    Ok(out)
}

fn rebuild_needed(op: &Op) -> Error {
    Error::Unsupported(format!(
        "SQLite cannot do this in place ({}): it needs the table rebuilt from its definition; \
         plan it with statements_from (migrations do, through flask_migrate::run)",
        op.describe()
    ))
}

fn op_statements(op: &Op, dialect: Dialect) -> Result<Vec<String>, Error> {
    let q = |n: &str| dialect.quote(n);
    let sqlite = dialect == Dialect::Sqlite;
    Ok(match op {
        Op::CreateTable(t) => create_table(t, dialect)?,
        Op::DropTable(t) => vec![build(
            Table::drop().table(Alias::new(t.name.as_str())),
            dialect,
        )],
        Op::AddColumn { table, column: c } => {
            if sqlite && !c.nullable && c.default.is_none() {
                return Err(Error::Unsupported(format!(
                    "SQLite adds a NOT NULL column only with a server default ({}): give \
                     {}.{} a server_default, or make it Option first",
                    op.describe(),
                    table,
                    c.name
                )));
            }
            let mut stmt = Table::alter();
            stmt.table(Alias::new(table.as_str()))
                .add_column(column(c, false, dialect)?);
            vec![build(&stmt, dialect)]
        }
        Op::DropColumn { table, column: c } => {
            vec![format!(
                "ALTER TABLE {} DROP COLUMN {}",
                q(table),
                q(&c.name)
            )]
        }
        Op::RenameColumn { table, from, to } => vec![format!(
            "ALTER TABLE {} RENAME COLUMN {} TO {}",
            q(table),
            q(from),
            q(to)
        )],
        Op::AlterColumn { table, from, to } => match dialect {
            Dialect::Sqlite => return Err(rebuild_needed(op)),
            Dialect::MySql => {
                // MySQL restates the whole column.
                let mut stmt = Table::alter();
                stmt.table(Alias::new(table.as_str()))
                    .modify_column(column(to, false, dialect)?);
                vec![build(&stmt, dialect)]
            }
            Dialect::Postgres => {
                let mut out = Vec::new();
                let (t, c) = (q(table), q(&to.name));
                if !crate::diff::same_type(from.ty, to.ty, dialect)
                    && let Some(ty) = to.ty
                {
                    let sql = pg_type(ty);
                    out.push(format!(
                        "ALTER TABLE {t} ALTER COLUMN {c} TYPE {sql} USING {c}::{sql}"
                    ));
                }
                if from.nullable != to.nullable {
                    out.push(format!(
                        "ALTER TABLE {t} ALTER COLUMN {c} {} NOT NULL",
                        if to.nullable { "DROP" } else { "SET" }
                    ));
                }
                if from.default != to.default {
                    out.push(match (&to.default, to.ty) {
                        (Some(d), Some(ty)) => format!(
                            "ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {}",
                            server_default_sql(d, ty, dialect)
                        ),
                        _ => format!("ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT"),
                    });
                }
                out
            }
        },
        Op::CreateIndex { table, index } => vec![create_index(table, index, dialect)],
        Op::DropIndex { table, index } => match dialect {
            Dialect::Sqlite if index.name.starts_with("sqlite_autoindex") => {
                return Err(rebuild_needed(op));
            }
            Dialect::Sqlite => vec![format!("DROP INDEX {}", q(&index.name))],
            // A unique constraint on PostgreSQL is dropped as a constraint.
            Dialect::Postgres if index.unique => vec![
                format!(
                    "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}",
                    q(table),
                    q(&index.name)
                ),
                format!("DROP INDEX IF EXISTS {}", q(&index.name)),
            ],
            Dialect::Postgres => vec![format!("DROP INDEX {}", q(&index.name))],
            Dialect::MySql => vec![format!("DROP INDEX {} ON {}", q(&index.name), q(table))],
        },
        Op::AddForeignKey {
            table,
            foreign_key: fk,
        } => {
            if sqlite {
                return Err(rebuild_needed(op));
            }
            vec![build(&foreign_key(table, fk), dialect)]
        }
        Op::DropForeignKey {
            table,
            foreign_key: fk,
        } => match dialect {
            Dialect::Sqlite => return Err(rebuild_needed(op)),
            Dialect::MySql => vec![format!(
                "ALTER TABLE {} DROP FOREIGN KEY {}",
                q(table),
                q(&fk.name)
            )],
            Dialect::Postgres => vec![format!(
                "ALTER TABLE {} DROP CONSTRAINT {}",
                q(table),
                q(&fk.name)
            )],
        },
        Op::AddCheck { table, check } => {
            if sqlite {
                return Err(rebuild_needed(op));
            }
            vec![format!(
                "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({})",
                q(table),
                q(&check.name),
                check.sql
            )]
        }
        Op::DropCheck { table, check } => match dialect {
            Dialect::Sqlite => return Err(rebuild_needed(op)),
            _ => vec![format!(
                "ALTER TABLE {} DROP CONSTRAINT {}",
                q(table),
                q(&check.name)
            )],
        },
        Op::Execute { sql, dialect: only } => {
            if only.is_some_and(|d| d != dialect) {
                Vec::new()
            } else {
                vec![sql.trim().trim_end_matches(';').to_owned()]
            }
        }
    })
}

/// PostgreSQL's name for a type, for `ALTER COLUMN ... TYPE`.
fn pg_type(ty: ColumnType) -> String {
    let mut def = SeaColumn::new(Alias::new("x"));
    set_column_type(&mut def, ty, Dialect::Postgres);
    let mut stmt = Table::create();
    stmt.table(Alias::new("t")).col(def);
    let sql = stmt.to_string(PostgresQueryBuilder);
    // CREATE TABLE "t" ( "x" <type> )
    sql.split_once("\"x\" ")
        .map(|(_, rest)| rest.trim_end_matches(" )").trim().to_owned())
        .unwrap_or_else(|| "text".to_owned())
}
