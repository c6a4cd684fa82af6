//! Autogenerate's comparison: the operations that take a database's schema to the models'.

use flask_sqlalchemy::{ColumnType, Dialect, ReferentialAction};

use crate::schema::{CheckDef, ColumnDef, ForeignKeyDef, IndexDef, Schema, TableDef};

/// One change to a schema, with what it needs to be undone.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Op {
    /// A new table, with its indexes, foreign keys and checks.
    CreateTable(TableDef),
    /// A table the models no longer have (kept whole, to create it again on the way down).
    DropTable(TableDef),
    /// A new column.
    AddColumn {
        /// The table.
        table: String,
        /// The column.
        column: ColumnDef,
    },
    /// A column the model no longer has.
    DropColumn {
        /// The table.
        table: String,
        /// The column as it was.
        column: ColumnDef,
    },
    /// A column renamed (autogenerate is told, or asks: a drop and an add look the same).
    RenameColumn {
        /// The table.
        table: String,
        /// The old name.
        from: String,
        /// The new name.
        to: String,
    },
    /// A column whose type, nullability or default changed.
    AlterColumn {
        /// The table.
        table: String,
        /// The column as it is.
        from: ColumnDef,
        /// The column as the model wants it.
        to: ColumnDef,
    },
    /// A new index or unique constraint.
    CreateIndex {
        /// The table.
        table: String,
        /// The index.
        index: IndexDef,
    },
    /// An index or unique constraint the model no longer has.
    DropIndex {
        /// The table.
        table: String,
        /// The index as it was.
        index: IndexDef,
    },
    /// A new foreign key.
    AddForeignKey {
        /// The table.
        table: String,
        /// The foreign key.
        foreign_key: ForeignKeyDef,
    },
    /// A foreign key the model no longer has.
    DropForeignKey {
        /// The table.
        table: String,
        /// The foreign key as it was.
        foreign_key: ForeignKeyDef,
    },
    /// A new check constraint.
    AddCheck {
        /// The table.
        table: String,
        /// The check.
        check: CheckDef,
    },
    /// A check constraint the model no longer has.
    DropCheck {
        /// The table.
        table: String,
        /// The check as it was.
        check: CheckDef,
    },
    /// SQL written by hand (Alembic's `op.execute`), run as it is: on every database, or on
    /// `dialect`'s only. Autogenerate never writes one; `--sql` prints it.
    Execute {
        /// The statement.
        sql: String,
        /// The database family it is for; `None` for all.
        dialect: Option<Dialect>,
    },
}

impl Op {
    /// The operation that undoes this one (a migration's `down`). Hand-written SQL
    /// ([`Op::Execute`]) has no reverse flask-migrate can know: it comes back unchanged, and
    /// the migration's `down` says by hand what undoes it.
    pub fn reverse(&self) -> Op {
        match self.clone() {
            Op::CreateTable(t) => Op::DropTable(t),
            Op::DropTable(t) => Op::CreateTable(t),
            Op::AddColumn { table, column } => Op::DropColumn { table, column },
            Op::DropColumn { table, column } => Op::AddColumn { table, column },
            Op::RenameColumn { table, from, to } => Op::RenameColumn {
                table,
                from: to,
                to: from,
            },
            Op::AlterColumn { table, from, to } => Op::AlterColumn {
                table,
                from: to,
                to: from,
            },
            Op::CreateIndex { table, index } => Op::DropIndex { table, index },
            Op::DropIndex { table, index } => Op::CreateIndex { table, index },
            Op::AddForeignKey { table, foreign_key } => Op::DropForeignKey { table, foreign_key },
            Op::DropForeignKey { table, foreign_key } => Op::AddForeignKey { table, foreign_key },
            Op::AddCheck { table, check } => Op::DropCheck { table, check },
            Op::DropCheck { table, check } => Op::AddCheck { table, check },
            execute @ Op::Execute { .. } => execute,
        }
    }

    /// One line for `flask db migrate`'s report, as Alembic prints them.
    pub fn describe(&self) -> String {
        match self {
            Op::CreateTable(t) => format!("Detected added table '{}'", t.name),
            Op::DropTable(t) => format!("Detected removed table '{}'", t.name),
            Op::AddColumn { table, column } => {
                format!("Detected added column '{table}.{}'", column.name)
            }
            Op::DropColumn { table, column } => {
                format!("Detected removed column '{table}.{}'", column.name)
            }
            Op::RenameColumn { table, from, to } => {
                format!("Detected renamed column '{table}.{from}' to '{to}'")
            }
            Op::AlterColumn { table, from, to } => {
                let mut what = Vec::new();
                if from.ty != to.ty {
                    what.push("type");
                }
                if from.nullable != to.nullable {
                    what.push("nullable");
                }
                if from.default != to.default {
                    what.push("server default");
                }
                format!(
                    "Detected {} change on '{table}.{}'",
                    what.join(", "),
                    to.name
                )
            }
            Op::CreateIndex { table, index } => format!(
                "Detected added {} '{}' on '{table}' ({})",
                if index.unique {
                    "unique constraint"
                } else {
                    "index"
                },
                index.name,
                index.columns.join(", ")
            ),
            Op::DropIndex { table, index } => format!(
                "Detected removed {} '{}' on '{table}'",
                if index.unique {
                    "unique constraint"
                } else {
                    "index"
                },
                index.name
            ),
            Op::AddForeignKey { table, foreign_key } => format!(
                "Detected added foreign key ({})({}) on '{table}' to '{}'",
                foreign_key.columns.join(", "),
                foreign_key.ref_columns.join(", "),
                foreign_key.ref_table
            ),
            Op::DropForeignKey { table, foreign_key } => format!(
                "Detected removed foreign key ({}) on '{table}' to '{}'",
                foreign_key.columns.join(", "),
                foreign_key.ref_table
            ),
            Op::AddCheck { table, check } => {
                format!(
                    "Detected added check constraint '{}' on '{table}'",
                    check.name
                )
            }
            Op::DropCheck { table, check } => {
                format!(
                    "Detected removed check constraint '{}' on '{table}'",
                    check.name
                )
            }
            Op::Execute { sql, dialect } => {
                let on = dialect.map_or(String::new(), |d| format!(" on {d:?}"));
                format!("Run SQL{on}: {}", sql.lines().next().unwrap_or(""))
            }
        }
    }
}

/// A column that disappeared where one of the same type appeared: maybe a rename.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenameCandidate {
    /// The table.
    pub table: String,
    /// The column that is gone.
    pub from: String,
    /// The column that is new.
    pub to: String,
}

/// The operations that take `live` (the database) to `wanted` (the models), in an order
/// that works: new tables first (referenced ones before), then column changes, indexes,
/// foreign keys and checks, and removed tables last. `renames` are `(table, old, new)`
/// pairs to treat as renames rather than a drop and an add.
pub fn diff(
    wanted: &Schema,
    live: &Schema,
    dialect: Dialect,
    renames: &[(String, String, String)],
) -> Vec<Op> {
    let mut ops = Vec::new();
    for table in &wanted.tables {
        if live.table(&table.name).is_none() {
            ops.push(Op::CreateTable(table.clone()));
        }
    }
    for table in &wanted.tables {
        if let Some(old) = live.table(&table.name) {
            diff_table(old, table, dialect, renames, &mut ops);
        }
    }
    // Dropped tables, referencing ones first.
    let dropped: Vec<&TableDef> = live
        .tables
        .iter()
        .filter(|t| wanted.table(&t.name).is_none())
        .collect();
    for t in referenced_first(&dropped).into_iter().rev() {
        ops.push(Op::DropTable(t.clone()));
    }
    ops
}

/// `tables` ordered so each comes after the ones it references (a cycle keeps the rest in
/// their order).
fn referenced_first<'a>(tables: &[&'a TableDef]) -> Vec<&'a TableDef> {
    let mut done: Vec<&TableDef> = Vec::with_capacity(tables.len());
    let mut left: Vec<&TableDef> = tables.to_vec();
    while !left.is_empty() {
        let ready = left.iter().position(|t| {
            t.foreign_keys.iter().all(|f| {
                f.ref_table == t.name
                    || done.iter().any(|d| d.name == f.ref_table)
                    || !left.iter().any(|l| l.name == f.ref_table)
            })
        });
        done.push(left.remove(ready.unwrap_or(0)));
    }
    done
}

/// The columns that disappeared where one of the same type appeared in the same table.
pub fn rename_candidates(wanted: &Schema, live: &Schema, dialect: Dialect) -> Vec<RenameCandidate> {
    let mut out = Vec::new();
    for table in &wanted.tables {
        let Some(old) = live.table(&table.name) else {
            continue;
        };
        let gone: Vec<&ColumnDef> = old
            .columns
            .iter()
            .filter(|c| table.get_column(&c.name).is_none())
            .collect();
        let new: Vec<&ColumnDef> = table
            .columns
            .iter()
            .filter(|c| old.get_column(&c.name).is_none())
            .collect();
        for g in &gone {
            for n in &new {
                if same_type(g.ty, n.ty, dialect) {
                    out.push(RenameCandidate {
                        table: table.name.clone(),
                        from: g.name.clone(),
                        to: n.name.clone(),
                    });
                }
            }
        }
    }
    out
}

fn diff_table(
    old: &TableDef,
    new: &TableDef,
    dialect: Dialect,
    renames: &[(String, String, String)],
    ops: &mut Vec<Op>,
) {
    let table = new.name.clone();
    let renamed: Vec<(&str, &str)> = renames
        .iter()
        .filter(|(t, from, to)| {
            *t == table && old.get_column(from).is_some() && new.get_column(to).is_some()
        })
        .map(|(_, from, to)| (from.as_str(), to.as_str()))
        .collect();
    for (from, to) in &renamed {
        ops.push(Op::RenameColumn {
            table: table.clone(),
            from: (*from).to_owned(),
            to: (*to).to_owned(),
        });
    }
    let old_name_of = |name: &str| -> String {
        renamed
            .iter()
            .find(|(_, to)| *to == name)
            .map_or_else(|| name.to_owned(), |(from, _)| (*from).to_owned())
    };
    for column in &new.columns {
        match old.get_column(&old_name_of(&column.name)) {
            None => ops.push(Op::AddColumn {
                table: table.clone(),
                column: column.clone(),
            }),
            Some(was) => {
                let was = ColumnDef {
                    name: column.name.clone(),
                    ..was.clone()
                };
                if column_changed(&was, column, dialect) {
                    ops.push(Op::AlterColumn {
                        table: table.clone(),
                        from: was,
                        to: column.clone(),
                    });
                }
            }
        }
    }
    for column in &old.columns {
        let kept = new.get_column(&column.name).is_some()
            || renamed.iter().any(|(from, _)| *from == column.name);
        if !kept {
            ops.push(Op::DropColumn {
                table: table.clone(),
                column: column.clone(),
            });
        }
    }
    let renamed_cols = |cols: &[String]| -> Vec<String> {
        cols.iter()
            .map(|c| {
                renamed
                    .iter()
                    .find(|(from, _)| from == c)
                    .map_or_else(|| c.clone(), |(_, to)| (*to).to_owned())
            })
            .collect()
    };
    let same_index =
        |a: &IndexDef, b: &IndexDef| a.unique == b.unique && renamed_cols(&a.columns) == b.columns;
    for index in &new.indexes {
        if !old.indexes.iter().any(|o| same_index(o, index)) {
            ops.push(Op::CreateIndex {
                table: table.clone(),
                index: index.clone(),
            });
        }
    }
    for index in &old.indexes {
        if !new.indexes.iter().any(|n| same_index(index, n)) {
            ops.push(Op::DropIndex {
                table: table.clone(),
                index: index.clone(),
            });
        }
    }
    let same_fk = |a: &ForeignKeyDef, b: &ForeignKeyDef| {
        renamed_cols(&a.columns) == b.columns
            && a.ref_table == b.ref_table
            && a.ref_columns == b.ref_columns
            && same_action(a.on_delete, b.on_delete)
            && same_action(a.on_update, b.on_update)
    };
    for fk in &new.foreign_keys {
        if !old.foreign_keys.iter().any(|o| same_fk(o, fk)) {
            ops.push(Op::AddForeignKey {
                table: table.clone(),
                foreign_key: fk.clone(),
            });
        }
    }
    for fk in &old.foreign_keys {
        if !new.foreign_keys.iter().any(|n| same_fk(fk, n)) {
            ops.push(Op::DropForeignKey {
                table: table.clone(),
                foreign_key: fk.clone(),
            });
        }
    }
    for check in &new.checks {
        if !old.checks.iter().any(|o| o.name == check.name) {
            ops.push(Op::AddCheck {
                table: table.clone(),
                check: check.clone(),
            });
        }
    }
    for check in &old.checks {
        if !new.checks.iter().any(|n| n.name == check.name) {
            ops.push(Op::DropCheck {
                table: table.clone(),
                check: check.clone(),
            });
        }
    }
}

/// `RESTRICT`, `NO ACTION` and nothing said refuse alike.
fn same_action(a: Option<ReferentialAction>, b: Option<ReferentialAction>) -> bool {
    let norm = |x: Option<ReferentialAction>| match x {
        None | Some(ReferentialAction::Restrict | ReferentialAction::NoAction) => None,
        other => other,
    };
    norm(a) == norm(b)
}

fn column_changed(was: &ColumnDef, now: &ColumnDef, dialect: Dialect) -> bool {
    let ty = match (was.ty, now.ty) {
        // A type the ORM does not make is left alone.
        (None, _) | (_, None) => false,
        (a, b) => !same_type(a, b, dialect),
    };
    let nullable = was.nullable != now.nullable && !now.autoincrement;
    ty || nullable || was.default != now.default
}

/// Whether two types are stored alike on `dialect`.
pub(crate) fn same_type(a: Option<ColumnType>, b: Option<ColumnType>, dialect: Dialect) -> bool {
    let (Some(a), Some(b)) = (a, b) else {
        return a.is_none() && b.is_none();
    };
    let canon = |t: ColumnType| match (dialect, t) {
        // SQLite stores every integer alike, and every float.
        (Dialect::Sqlite, ColumnType::SmallInteger | ColumnType::Integer) => ColumnType::BigInteger,
        (Dialect::Sqlite, ColumnType::Float) => ColumnType::Double,
        // MySQL keeps both as DATETIME(6).
        (Dialect::MySql, ColumnType::DateTimeTz) => ColumnType::DateTime,
        (_, t) => t,
    };
    canon(a) == canon(b)
}
