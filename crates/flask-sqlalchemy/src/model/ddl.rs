//! `CREATE TABLE` / `DROP TABLE` for a model's table, through sea-query.

use sea_query::{
    Check, ColumnDef, Expr, ExprTrait, ForeignKey as SeaForeignKey, ForeignKeyAction, Index,
    MysqlQueryBuilder, PostgresQueryBuilder, SchemaBuilder, SqliteQueryBuilder, Table as SeaTable,
};

use super::{Column, ColumnType, ReferentialAction, Table};
use crate::Dialect;

/// The statements that create `table` (the table, then its indexes).
pub(crate) fn create_table(table: &Table, dialect: Dialect) -> Vec<String> {
    match dialect {
        Dialect::Sqlite => create_with(table, dialect, SqliteQueryBuilder),
        Dialect::Postgres => create_with(table, dialect, PostgresQueryBuilder),
        Dialect::MySql => create_with(table, dialect, MysqlQueryBuilder),
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

fn create_with<B: SchemaBuilder + Default>(table: &Table, dialect: Dialect, _: B) -> Vec<String> {
    let mut stmt = SeaTable::create();
    stmt.table(table.name);
    let pk: Vec<&Column> = table.primary_key().collect();
    for column in table.columns {
        let mut def = ColumnDef::new(column.name);
        set_column_type(&mut def, column.ty, dialect);
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
        if let Some(sql) = column.server_default {
            def.default(Expr::cust(server_default_sql(sql, column.ty, dialect)));
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
    let mut checks = 0;
    let mut check = |stmt: &mut sea_query::TableCreateStatement, expr: Expr| {
        checks += 1;
        stmt.check(Check::named(format!("ck_{}_{checks}", table.name), expr));
    };
    for sql in table.checks {
        check(&mut stmt, Expr::cust(*sql));
    }
    for column in table.columns.iter().filter(|c| !c.choices.is_empty()) {
        check(
            &mut stmt,
            Expr::col(column.name).is_in(column.choices.iter().copied()),
        );
    }
    if pk.len() > 1 {
        let mut index = Index::create();
        for column in &pk {
            index.col(column.name);
        }
        stmt.primary_key(&mut index);
    }
    for unique in table.indexes.iter().filter(|i| i.unique) {
        let mut index = Index::create();
        index.name(unique.name).unique();
        for column in unique.columns {
            index.col(*column);
        }
        stmt.index(&mut index);
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
    for plain in table.indexes.iter().filter(|i| !i.unique) {
        let mut index = Index::create();
        index.name(plain.name).table(table.name);
        for column in plain.columns {
            index.col(*column);
        }
        out.push(index.to_string(B::default()));
    }
    out
}

/// Gives `def` the SQL type `create_all` writes for `ty` on `dialect`.
pub fn set_column_type(def: &mut ColumnDef, ty: ColumnType, dialect: Dialect) {
    let mysql = dialect == Dialect::MySql;
    match ty {
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
        ColumnType::Date => def.date(),
        // MySQL keeps whole seconds unless asked for microseconds.
        ColumnType::Time if mysql => def.custom("TIME(6)"),
        ColumnType::Time => def.time(),
        ColumnType::DateTime | ColumnType::DateTimeTz if mysql => def.custom("DATETIME(6)"),
        ColumnType::DateTime => def.date_time(),
        ColumnType::DateTimeTz => def.timestamp_with_time_zone(),
        ColumnType::Uuid => def.uuid(),
        // NUMERIC affinity on SQLite: numbers compare and sort as numbers (stored as
        // REAL, exact to about 15 digits, as SQLAlchemy's Numeric there).
        ColumnType::Numeric { precision, scale } if dialect == Dialect::Sqlite => {
            def.custom(format!("NUMERIC({precision}, {scale})"))
        }
        ColumnType::Numeric { precision, scale } => def.decimal_len(precision, scale),
    };
}

/// A server default as each database takes it: MySQL wants the precision of a `DATETIME(6)`
/// in its `CURRENT_TIMESTAMP`.
pub fn server_default_sql(sql: &str, ty: ColumnType, dialect: Dialect) -> String {
    let now = sql.trim().eq_ignore_ascii_case("CURRENT_TIMESTAMP")
        || sql.trim().eq_ignore_ascii_case("now()");
    match (dialect, ty) {
        (Dialect::MySql, ColumnType::DateTime | ColumnType::DateTimeTz) if now => {
            "CURRENT_TIMESTAMP(6)".to_owned()
        }
        (_, _) if now => "CURRENT_TIMESTAMP".to_owned(),
        _ => sql.to_owned(),
    }
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
