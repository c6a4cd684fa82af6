//! `CREATE TABLE` / `DROP TABLE` for a model's table, through sea-query.

use sea_query::{
    ColumnDef, ForeignKey as SeaForeignKey, ForeignKeyAction, Index, MysqlQueryBuilder,
    PostgresQueryBuilder, SchemaBuilder, SqliteQueryBuilder, Table as SeaTable,
};

use super::{Column, ColumnType, ReferentialAction, Table};
use crate::Dialect;

/// The statements that create `table` (the table, then its indexes).
pub(crate) fn create_table(table: &Table, dialect: Dialect) -> Vec<String> {
    match dialect {
        Dialect::Sqlite => create_with(table, SqliteQueryBuilder),
        Dialect::Postgres => create_with(table, PostgresQueryBuilder),
        Dialect::MySql => create_with(table, MysqlQueryBuilder),
    }
}

/// `DROP TABLE IF EXISTS`.
pub(crate) fn drop_table(table: &Table, dialect: Dialect) -> String {
    let stmt = SeaTable::drop().table(table.name).if_exists().to_owned();
    match dialect {
        Dialect::Sqlite => stmt.to_string(SqliteQueryBuilder),
        Dialect::Postgres => stmt.to_string(PostgresQueryBuilder),
        Dialect::MySql => stmt.to_string(MysqlQueryBuilder),
    }
}

fn create_with<B: SchemaBuilder + Default>(table: &Table, _: B) -> Vec<String> {
    let mut stmt = SeaTable::create();
    stmt.table(table.name);
    let pk: Vec<&Column> = table.primary_key().collect();
    for column in table.columns {
        let mut def = ColumnDef::new(column.name);
        match column.ty {
            ColumnType::SmallInteger => def.small_integer(),
            ColumnType::Integer => def.integer(),
            ColumnType::BigInteger => def.big_integer(),
            ColumnType::Float => def.float(),
            ColumnType::Double => def.double(),
            ColumnType::Boolean => def.boolean(),
            ColumnType::String(Some(n)) => def.string_len(n),
            ColumnType::String(None) => def.text(),
            ColumnType::LargeBinary => def.blob(),
            ColumnType::Json => def.json_binary(),
        };
        if column.nullable {
            def.null();
        } else {
            def.not_null();
        }
        if column.primary_key && pk.len() == 1 {
            def.primary_key();
        }
        if column.autoincrement {
            def.auto_increment();
        }
        if column.unique {
            def.unique_key();
        }
        stmt.col(def);
        if let Some(fk) = column.foreign_key {
            let mut key = SeaForeignKey::create();
            key.name(format!("fk_{}_{}_{}", table.name, column.name, fk.table))
                .from(table.name, column.name)
                .to(fk.table, fk.column);
            if let Some(action) = fk.on_delete {
                key.on_delete(action_of(action));
            }
            if let Some(action) = fk.on_update {
                key.on_update(action_of(action));
            }
            stmt.foreign_key(&mut key);
        }
    }
    if pk.len() > 1 {
        let mut index = Index::create();
        for column in &pk {
            index.col(column.name);
        }
        stmt.primary_key(&mut index);
    }
    let mut out = vec![stmt.to_string(B::default())];
    for column in table.columns.iter().filter(|c| c.index) {
        // SQLAlchemy's name for an index=True column.
        let index = Index::create()
            .name(format!("ix_{}_{}", table.name, column.name))
            .table(table.name)
            .col(column.name)
            .to_owned();
        out.push(index.to_string(B::default()));
    }
    out
}

fn action_of(action: ReferentialAction) -> ForeignKeyAction {
    match action {
        ReferentialAction::Cascade => ForeignKeyAction::Cascade,
        ReferentialAction::SetNull => ForeignKeyAction::SetNull,
        ReferentialAction::SetDefault => ForeignKeyAction::SetDefault,
        ReferentialAction::Restrict => ForeignKeyAction::Restrict,
        ReferentialAction::NoAction => ForeignKeyAction::NoAction,
    }
}
