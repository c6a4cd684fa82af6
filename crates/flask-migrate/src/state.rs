//! Operations applied to a schema held in memory: what a table looks like after a
//! migration's changes (SQLite rebuilds tables from it).

use crate::diff::Op;
use crate::schema::{Schema, TableDef};

impl Schema {
    /// Changes this description as `op` changes the database.
    pub fn apply(&mut self, op: &Op) {
        match op {
            Op::CreateTable(t) => {
                self.tables.retain(|x| x.name != t.name);
                self.tables.push(t.clone());
            }
            Op::DropTable(t) => self.tables.retain(|x| x.name != t.name),
            other => {
                if let Some(t) = self.tables.iter_mut().find(|t| t.name == other.table()) {
                    t.apply(other);
                }
            }
        }
    }
}

impl TableDef {
    /// Changes this table as `op` (an operation on it) changes the database.
    pub fn apply(&mut self, op: &Op) {
        match op {
            Op::CreateTable(_) | Op::DropTable(_) => {}
            Op::AddColumn { column, .. } => self.columns.push(column.clone()),
            Op::DropColumn { column, .. } => {
                self.columns.retain(|c| c.name != column.name);
                self.indexes.retain(|i| !i.columns.contains(&column.name));
                self.foreign_keys
                    .retain(|f| !f.columns.contains(&column.name));
            }
            Op::RenameColumn { from, to, .. } => {
                let rename = |c: &mut String| {
                    if c == from {
                        c.clone_from(to);
                    }
                };
                for c in &mut self.columns {
                    rename(&mut c.name);
                }
                self.primary_key.iter_mut().for_each(rename);
                for i in &mut self.indexes {
                    i.columns.iter_mut().for_each(rename);
                }
                for f in &mut self.foreign_keys {
                    f.columns.iter_mut().for_each(rename);
                }
            }
            Op::AlterColumn { to, .. } => {
                if let Some(c) = self.columns.iter_mut().find(|c| c.name == to.name) {
                    *c = to.clone();
                }
            }
            Op::CreateIndex { index, .. } => self.indexes.push(index.clone()),
            Op::DropIndex { index, .. } => self
                .indexes
                .retain(|i| !(i.columns == index.columns && i.unique == index.unique)),
            Op::AddForeignKey { foreign_key, .. } => self.foreign_keys.push(foreign_key.clone()),
            Op::DropForeignKey { foreign_key, .. } => self.foreign_keys.retain(|f| {
                !(f.columns == foreign_key.columns && f.ref_table == foreign_key.ref_table)
            }),
            Op::AddCheck { check, .. } => self.checks.push(check.clone()),
            Op::DropCheck { check, .. } => self.checks.retain(|c| c.name != check.name),
            // What hand-written SQL does to the schema is not known here.
            Op::Execute { .. } => {}
        }
    }
}

impl Op {
    /// The table the operation is on (`""` for hand-written SQL).
    pub fn table(&self) -> &str {
        match self {
            Op::Execute { .. } => "",
            Op::CreateTable(t) | Op::DropTable(t) => &t.name,
            Op::AddColumn { table, .. }
            | Op::DropColumn { table, .. }
            | Op::RenameColumn { table, .. }
            | Op::AlterColumn { table, .. }
            | Op::CreateIndex { table, .. }
            | Op::DropIndex { table, .. }
            | Op::AddForeignKey { table, .. }
            | Op::DropForeignKey { table, .. }
            | Op::AddCheck { table, .. }
            | Op::DropCheck { table, .. } => table,
        }
    }
}
