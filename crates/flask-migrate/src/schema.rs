//! A database schema as plain data, from two sides: what the models want
//! ([`Schema::from_models`]) and what a database has ([`Schema::inspect`]). Autogenerate
//! compares the two.

use flask_sqlalchemy::{
    Column, ColumnType, Dialect, Engine, MetaData, ReferentialAction, Table, Value, text,
};

use crate::Error;

/// One column.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    /// Its name.
    pub name: String,
    /// Its type, as the ORM names types; `None` when the database's type is not one the ORM
    /// makes (autogenerate then leaves the type alone).
    pub ty: Option<ColumnType>,
    /// Whether it accepts `NULL`.
    pub nullable: bool,
    /// Its `DEFAULT`, as SQL (normalized: no casts, `CURRENT_TIMESTAMP` for now).
    pub default: Option<String>,
    /// Numbered by the database.
    pub autoincrement: bool,
}

/// An index (`unique` ones include unique constraints).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDef {
    /// Its name.
    pub name: String,
    /// Its columns, in order.
    pub columns: Vec<String>,
    /// Whether it is unique.
    pub unique: bool,
}

/// A foreign key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKeyDef {
    /// Its name (`fk_<table>_<column>_<referenced table>` for the ORM's).
    pub name: String,
    /// The referencing columns.
    pub columns: Vec<String>,
    /// The referenced table.
    pub ref_table: String,
    /// The referenced columns.
    pub ref_columns: Vec<String>,
    /// `ON DELETE`.
    pub on_delete: Option<ReferentialAction>,
    /// `ON UPDATE`.
    pub on_update: Option<ReferentialAction>,
}

/// A check constraint, by name (databases rewrite the condition, so only names compare).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckDef {
    /// Its name (`ck_<table>_<n>` for the ORM's).
    pub name: String,
    /// The condition, as the model wrote it (as the database shows it, when inspected).
    pub sql: String,
}

/// One table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDef {
    /// Its name.
    pub name: String,
    /// Its columns, in order.
    pub columns: Vec<ColumnDef>,
    /// Its primary key's columns.
    pub primary_key: Vec<String>,
    /// Its indexes and unique constraints (not the primary key's).
    pub indexes: Vec<IndexDef>,
    /// Its foreign keys.
    pub foreign_keys: Vec<ForeignKeyDef>,
    /// Its check constraints.
    pub checks: Vec<CheckDef>,
}

impl TableDef {
    /// The column named `name`.
    pub fn get_column(&self, name: &str) -> Option<&ColumnDef> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// The tables of one database.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Schema {
    /// The tables, by name.
    pub tables: Vec<TableDef>,
}

impl Schema {
    /// The table named `name`.
    pub fn table(&self, name: &str) -> Option<&TableDef> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// What the models of `metadata` (one bind's) want, as `create_all` would create it on
    /// `dialect`.
    pub fn from_models(metadata: &MetaData, dialect: Dialect) -> Schema {
        Schema {
            tables: metadata
                .sorted_tables()
                .iter()
                .map(|t| table_of_model(t, dialect))
                .collect(),
        }
    }

    /// What the database of `engine` has: every table but the migrations' own bookkeeping
    /// (`seaql_migrations`), Alembic's (`alembic_version`, the history of a database that
    /// Flask-Migrate managed, which autogenerate must never propose to drop) and SQLite's.
    pub async fn inspect(engine: &Engine) -> Result<Schema, Error> {
        let mut tables = match engine.dialect() {
            Dialect::Sqlite => inspect_sqlite(engine).await?,
            Dialect::Postgres => inspect_postgres(engine).await?,
            Dialect::MySql => inspect_mysql(engine).await?,
        };
        tables.retain(|t| {
            t.name != crate::MIGRATIONS_TABLE
                && t.name != crate::ALEMBIC_VERSION_TABLE
                && !t.name.starts_with("sqlite_")
        });
        tables.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Schema { tables })
    }
}

/// A server default as each database reports it back: `CURRENT_TIMESTAMP` for the current
/// time, no casts, no parentheses around the whole.
pub(crate) fn normalize_default(sql: &str) -> Option<String> {
    let mut s = sql.trim().to_owned();
    while s.starts_with('(') && s.ends_with(')') && balanced(&s[1..s.len() - 1]) {
        s = s[1..s.len() - 1].trim().to_owned();
    }
    if s.eq_ignore_ascii_case("null") || s.is_empty() {
        return None;
    }
    let lower = s.to_ascii_lowercase();
    if lower.starts_with("current_timestamp") || lower == "now()" {
        return Some("CURRENT_TIMESTAMP".to_owned());
    }
    // PostgreSQL shows `'draft'::character varying`; keep the literal.
    if let Some(at) = s.find("::")
        && !s[..at].contains('(')
    {
        s.truncate(at);
    }
    Some(s)
}

fn balanced(s: &str) -> bool {
    let mut depth = 0_i32;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

/// The table `create_all` makes for a model on `dialect`.
fn table_of_model(table: &Table, dialect: Dialect) -> TableDef {
    let pk: Vec<String> = table.primary_key().map(|c| c.name.to_owned()).collect();
    let mut indexes = Vec::new();
    for c in table.columns {
        if c.unique {
            indexes.push(IndexDef {
                name: format!("uq_{}_{}", table.name, c.name),
                columns: vec![c.name.to_owned()],
                unique: true,
            });
        }
        if c.index {
            indexes.push(IndexDef {
                name: format!("ix_{}_{}", table.name, c.name),
                columns: vec![c.name.to_owned()],
                unique: false,
            });
        }
    }
    for index in table.indexes {
        indexes.push(IndexDef {
            name: index.name.to_owned(),
            columns: index.columns.iter().map(|c| (*c).to_owned()).collect(),
            unique: index.unique,
        });
    }
    let foreign_keys = table
        .columns
        .iter()
        .filter_map(|c| {
            c.foreign_key.map(|fk| ForeignKeyDef {
                name: format!("fk_{}_{}_{}", table.name, c.name, fk.table),
                columns: vec![c.name.to_owned()],
                ref_table: fk.table.to_owned(),
                ref_columns: vec![fk.column.to_owned()],
                on_delete: fk.on_delete,
                on_update: fk.on_update,
            })
        })
        .collect();
    let mut checks: Vec<CheckDef> = table
        .checks
        .iter()
        .map(|sql| (*sql).to_owned())
        .collect::<Vec<_>>()
        .into_iter()
        .enumerate()
        .map(|(i, sql)| CheckDef {
            name: format!("ck_{}_{}", table.name, i + 1),
            sql,
        })
        .collect();
    for c in table.columns.iter().filter(|c| !c.choices.is_empty()) {
        let n = checks.len() + 1;
        let values: Vec<String> = c.choices.iter().map(|v| format!("'{v}'")).collect();
        checks.push(CheckDef {
            name: format!("ck_{}_{n}", table.name),
            sql: format!("{} IN ({})", c.name, values.join(", ")),
        });
    }
    TableDef {
        name: table.name.to_owned(),
        columns: table
            .columns
            .iter()
            .map(|c| column_of_model(c, dialect))
            .collect(),
        primary_key: pk,
        indexes,
        foreign_keys,
        checks,
    }
}

fn column_of_model(c: &Column, _dialect: Dialect) -> ColumnDef {
    ColumnDef {
        name: c.name.to_owned(),
        ty: Some(c.ty),
        nullable: c.nullable,
        default: c.server_default.and_then(normalize_default),
        autoincrement: c.autoincrement,
    }
}

fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Text(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        _ => None,
    }
}

fn int_of(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Int(i) => Some(*i),
        Value::Text(s) => s.parse().ok(),
        _ => None,
    }
}

fn action_of(rule: &str) -> Option<ReferentialAction> {
    match rule.to_ascii_uppercase().as_str() {
        "CASCADE" => Some(ReferentialAction::Cascade),
        "SET NULL" => Some(ReferentialAction::SetNull),
        "SET DEFAULT" => Some(ReferentialAction::SetDefault),
        "RESTRICT" => Some(ReferentialAction::Restrict),
        // The default: what the ORM writes when the model says nothing.
        _ => None,
    }
}

/// The ORM's type for SQLite's declared type (what sea-query writes there).
fn sqlite_type(declared: &str) -> Option<ColumnType> {
    let d = declared.trim().to_ascii_lowercase();
    let args = |d: &str| -> Vec<u32> {
        d.split_once('(')
            .map(|(_, rest)| {
                rest.trim_end_matches(')')
                    .split(',')
                    .filter_map(|n| n.trim().parse().ok())
                    .collect()
            })
            .unwrap_or_default()
    };
    Some(match d.split('(').next().unwrap_or("").trim() {
        "integer" | "int" => ColumnType::Integer,
        "bigint" => ColumnType::BigInteger,
        "smallint" => ColumnType::SmallInteger,
        "float" | "real" => ColumnType::Float,
        "double" | "double precision" => ColumnType::Double,
        "boolean" | "bool" => ColumnType::Boolean,
        "varchar" | "character varying" => ColumnType::String(args(&d).first().copied()),
        "text" => ColumnType::String(None),
        "blob" => ColumnType::LargeBinary,
        "jsonb_text" | "json_text" | "json" | "jsonb" => ColumnType::Json,
        "date_text" | "date" => ColumnType::Date,
        "time_text" | "time" => ColumnType::Time,
        "datetime_text" | "datetime" | "timestamp" | "timestamp_text" => ColumnType::DateTime,
        "timestamp_with_timezone_text" => ColumnType::DateTimeTz,
        "uuid_text" | "uuid" => ColumnType::Uuid,
        "numeric" | "decimal" => match args(&d)[..] {
            [precision, scale] => ColumnType::Numeric { precision, scale },
            _ => return None,
        },
        _ => return None,
    })
}

/// A row of text values by column name (SQLite's introspection casts every value to text).
pub(crate) type TextRow = std::collections::HashMap<String, Option<String>>;

/// Runs an SQLite introspection query whose values are all text.
pub(crate) trait TextRows: Sync {
    /// The rows of `sql`.
    fn text_rows<'a>(
        &'a self,
        sql: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<TextRow>, Error>> + Send + 'a>>;
}

impl TextRows for Engine {
    fn text_rows<'a>(
        &'a self,
        sql: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<TextRow>, Error>> + Send + 'a>>
    {
        Box::pin(async move {
            let rows = self.fetch_all(text(sql)).await?;
            Ok(rows
                .into_iter()
                .map(|r| {
                    r.columns()
                        .iter()
                        .cloned()
                        .zip(r.values().iter().map(|v| text_of(Some(v))))
                        .collect()
                })
                .collect())
        })
    }
}

/// An SQL string literal (for the table names SQLite's pragma functions take).
fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn get(row: &TextRow, key: &str) -> Option<String> {
    row.get(key).cloned().flatten()
}

fn get_int(row: &TextRow, key: &str) -> i64 {
    get(row, key).and_then(|v| v.parse().ok()).unwrap_or(0)
}

async fn inspect_sqlite(engine: &Engine) -> Result<Vec<TableDef>, Error> {
    inspect_sqlite_with(engine).await
}

/// SQLite's tables, read through `db`.
pub(crate) async fn inspect_sqlite_with(db: &impl TextRows) -> Result<Vec<TableDef>, Error> {
    let names = db
        .text_rows(
            "SELECT CAST(name AS TEXT) AS name, CAST(sql AS TEXT) AS sql FROM sqlite_master \
             WHERE type = 'table' ORDER BY name",
        )
        .await?;
    let mut out = Vec::new();
    for row in names {
        let Some(name) = get(&row, "name") else {
            continue;
        };
        let create = get(&row, "sql").unwrap_or_default();
        let t = sql_string(&name);
        let columns = db
            .text_rows(&format!(
                "SELECT CAST(name AS TEXT) AS name, CAST(type AS TEXT) AS type, \
                 CAST(\"notnull\" AS TEXT) AS \"notnull\", CAST(dflt_value AS TEXT) AS dflt_value, \
                 CAST(pk AS TEXT) AS pk FROM pragma_table_info({t}) ORDER BY cid"
            ))
            .await?;
        let mut defs = Vec::new();
        let mut pk: Vec<(i64, String)> = Vec::new();
        for c in &columns {
            let cname = get(c, "name").unwrap_or_default();
            let declared = get(c, "type").unwrap_or_default();
            let pk_at = get_int(c, "pk");
            if pk_at > 0 {
                pk.push((pk_at, cname.clone()));
            }
            defs.push(ColumnDef {
                autoincrement: pk_at > 0 && create.to_ascii_uppercase().contains("AUTOINCREMENT"),
                ty: sqlite_type(&declared),
                nullable: get_int(c, "notnull") == 0 && pk_at == 0,
                default: get(c, "dflt_value").and_then(|d| normalize_default(&d)),
                name: cname,
            });
        }
        pk.sort();
        // A lone INTEGER PRIMARY KEY is the rowid: SQLite numbers it, AUTOINCREMENT or not
        // (SQLAlchemy's tables leave the keyword out).
        if let [(_, only)] = pk.as_slice() {
            let integer = columns.iter().any(|c| {
                get(c, "name").as_deref() == Some(only.as_str())
                    && get(c, "type").is_some_and(|t| t.eq_ignore_ascii_case("INTEGER"))
            });
            if let Some(def) = defs.iter_mut().find(|d| &d.name == only) {
                def.autoincrement |= integer;
            }
        }
        let mut indexes = Vec::new();
        let list = db
            .text_rows(&format!(
                "SELECT CAST(name AS TEXT) AS name, CAST(\"unique\" AS TEXT) AS \"unique\", \
                 CAST(origin AS TEXT) AS origin FROM pragma_index_list({t})"
            ))
            .await?;
        for ix in list {
            let iname = get(&ix, "name").unwrap_or_default();
            if get(&ix, "origin").as_deref() == Some("pk") {
                continue;
            }
            let cols = db
                .text_rows(&format!(
                    "SELECT CAST(name AS TEXT) AS name FROM pragma_index_info({}) ORDER BY seqno",
                    sql_string(&iname)
                ))
                .await?;
            indexes.push(IndexDef {
                name: iname,
                columns: cols.iter().filter_map(|c| get(c, "name")).collect(),
                unique: get_int(&ix, "unique") == 1,
            });
        }
        let fks = db
            .text_rows(&format!(
                "SELECT CAST(id AS TEXT) AS id, CAST(\"table\" AS TEXT) AS \"table\", \
                 CAST(\"from\" AS TEXT) AS \"from\", CAST(\"to\" AS TEXT) AS \"to\", \
                 CAST(on_update AS TEXT) AS on_update, CAST(on_delete AS TEXT) AS on_delete \
                 FROM pragma_foreign_key_list({t}) ORDER BY id, seq"
            ))
            .await?;
        let mut foreign_keys: Vec<(i64, ForeignKeyDef)> = Vec::new();
        for fk in fks {
            let id = get_int(&fk, "id");
            let from = get(&fk, "from").unwrap_or_default();
            let to = get(&fk, "to").unwrap_or_default();
            match foreign_keys.iter_mut().find(|(i, _)| *i == id) {
                Some((_, f)) => {
                    f.columns.push(from);
                    f.ref_columns.push(to);
                }
                None => foreign_keys.push((
                    id,
                    ForeignKeyDef {
                        name: String::new(),
                        columns: vec![from],
                        ref_table: get(&fk, "table").unwrap_or_default(),
                        ref_columns: vec![to],
                        on_delete: action_of(&get(&fk, "on_delete").unwrap_or_default()),
                        on_update: action_of(&get(&fk, "on_update").unwrap_or_default()),
                    },
                )),
            }
        }
        // SQLite keeps no names for foreign keys: name them as the ORM does.
        let foreign_keys = foreign_keys
            .into_iter()
            .map(|(_, mut f)| {
                f.name = format!("fk_{name}_{}_{}", f.columns.join("_"), f.ref_table);
                f
            })
            .collect();
        out.push(TableDef {
            checks: sqlite_checks(&create),
            name,
            columns: defs,
            primary_key: pk.into_iter().map(|(_, c)| c).collect(),
            indexes,
            foreign_keys,
        });
    }
    Ok(out)
}

/// The named check constraints of SQLite's `CREATE TABLE` text (`CONSTRAINT "x" CHECK (..)`).
fn sqlite_checks(create: &str) -> Vec<CheckDef> {
    let mut out = Vec::new();
    let mut rest = create;
    while let Some(at) = rest.find("CONSTRAINT \"") {
        let after = &rest[at + "CONSTRAINT \"".len()..];
        let Some(end) = after.find('"') else { break };
        let name = after[..end].to_owned();
        let tail = after[end + 1..].trim_start();
        if let Some(cond) = tail.strip_prefix("CHECK") {
            let cond = cond.trim_start();
            let mut depth = 0;
            let mut len = 0;
            for (i, ch) in cond.char_indices() {
                match ch {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            len = i + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let inner = if len >= 2 { &cond[1..len - 1] } else { "" };
            out.push(CheckDef {
                name,
                sql: inner.trim().to_owned(),
            });
        }
        rest = &after[end + 1..];
    }
    out
}

async fn inspect_postgres(engine: &Engine) -> Result<Vec<TableDef>, Error> {
    let names = engine
        .fetch_all(text(
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
        ))
        .await?;
    let mut out = Vec::new();
    for row in names {
        let Some(name) = text_of(row.get("name")) else {
            continue;
        };
        let columns = engine
            .fetch_all(
                text(
                    "SELECT column_name::text AS name, data_type::text AS ty, \
                     character_maximum_length::int8 AS len, numeric_precision::int8 AS p, \
                     numeric_scale::int8 AS s, is_nullable::text AS nullable, \
                     column_default::text AS dflt, is_identity::text AS ident \
                     FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name = :t \
                     ORDER BY ordinal_position",
                )
                .bind("t", name.as_str()),
            )
            .await?;
        let mut defs = Vec::new();
        for c in &columns {
            let ty = text_of(c.get("ty")).unwrap_or_default();
            let len = int_of(c.get("len")).and_then(|n| u32::try_from(n).ok());
            let p = int_of(c.get("p")).and_then(|n| u32::try_from(n).ok());
            let s = int_of(c.get("s")).and_then(|n| u32::try_from(n).ok());
            let dflt = text_of(c.get("dflt"));
            let serial = dflt.as_deref().is_some_and(|d| d.starts_with("nextval("));
            defs.push(ColumnDef {
                name: text_of(c.get("name")).unwrap_or_default(),
                ty: Some(match ty.as_str() {
                    "smallint" => ColumnType::SmallInteger,
                    "integer" => ColumnType::Integer,
                    "bigint" => ColumnType::BigInteger,
                    "real" => ColumnType::Float,
                    "double precision" => ColumnType::Double,
                    "boolean" => ColumnType::Boolean,
                    "character varying" => ColumnType::String(len),
                    "text" => ColumnType::String(None),
                    "bytea" => ColumnType::LargeBinary,
                    "json" | "jsonb" => ColumnType::Json,
                    "date" => ColumnType::Date,
                    "time without time zone" => ColumnType::Time,
                    "timestamp without time zone" => ColumnType::DateTime,
                    "timestamp with time zone" => ColumnType::DateTimeTz,
                    "uuid" => ColumnType::Uuid,
                    "numeric" => match (p, s) {
                        (Some(precision), Some(scale)) => ColumnType::Numeric { precision, scale },
                        _ => {
                            defs.push(unknown_column(c, &dflt));
                            continue;
                        }
                    },
                    _ => {
                        defs.push(unknown_column(c, &dflt));
                        continue;
                    }
                }),
                nullable: text_of(c.get("nullable")).as_deref() == Some("YES"),
                default: if serial {
                    None
                } else {
                    dflt.as_deref().and_then(normalize_default)
                },
                autoincrement: serial || text_of(c.get("ident")).as_deref() == Some("YES"),
            });
        }
        let constraints = engine
            .fetch_all(
                text(
                    "SELECT c.conname::text AS name, c.contype::text AS kind, \
                     pg_get_constraintdef(c.oid) AS def, \
                     ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i) \
                       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n \
                       ORDER BY k.i)::text AS cols, \
                     COALESCE((SELECT r.relname::text FROM pg_class r WHERE r.oid = c.confrelid), '') AS ref_table, \
                     ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, i) \
                       JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n \
                       ORDER BY k.i)::text AS ref_cols, \
                     c.confdeltype::text AS on_delete, c.confupdtype::text AS on_update \
                     FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
                     JOIN pg_namespace ns ON ns.oid = t.relnamespace \
                     WHERE t.relname = :t AND ns.nspname = current_schema()",
                )
                .bind("t", name.as_str()),
            )
            .await?;
        let mut pk = Vec::new();
        let mut indexes = Vec::new();
        let mut foreign_keys = Vec::new();
        let mut checks = Vec::new();
        for k in constraints {
            let cname = text_of(k.get("name")).unwrap_or_default();
            let cols = pg_array(&text_of(k.get("cols")).unwrap_or_default());
            match text_of(k.get("kind")).as_deref() {
                Some("p") => pk = cols,
                Some("u") => indexes.push(IndexDef {
                    name: cname,
                    columns: cols,
                    unique: true,
                }),
                Some("f") => foreign_keys.push(ForeignKeyDef {
                    name: cname,
                    columns: cols,
                    ref_table: text_of(k.get("ref_table")).unwrap_or_default(),
                    ref_columns: pg_array(&text_of(k.get("ref_cols")).unwrap_or_default()),
                    on_delete: pg_action(&text_of(k.get("on_delete")).unwrap_or_default()),
                    on_update: pg_action(&text_of(k.get("on_update")).unwrap_or_default()),
                }),
                Some("c") => checks.push(CheckDef {
                    name: cname,
                    sql: text_of(k.get("def")).unwrap_or_default(),
                }),
                _ => {}
            }
        }
        // Indexes that are not behind a constraint.
        let plain = engine
            .fetch_all(
                text(
                    "SELECT i.relname::text AS name, ix.indisunique AS uniq, \
                     ARRAY(SELECT a.attname::text FROM unnest(ix.indkey) WITH ORDINALITY k(n, o) \
                       JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.n \
                       ORDER BY k.o)::text AS cols \
                     FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid \
                     JOIN pg_class t ON t.oid = ix.indrelid \
                     JOIN pg_namespace ns ON ns.oid = t.relnamespace \
                     WHERE t.relname = :t AND ns.nspname = current_schema() \
                     AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid)",
                )
                .bind("t", name.as_str()),
            )
            .await?;
        for ix in plain {
            indexes.push(IndexDef {
                name: text_of(ix.get("name")).unwrap_or_default(),
                columns: pg_array(&text_of(ix.get("cols")).unwrap_or_default()),
                unique: matches!(ix.get("uniq"), Some(Value::Bool(true))),
            });
        }
        out.push(TableDef {
            name,
            columns: defs,
            primary_key: pk,
            indexes,
            foreign_keys,
            checks,
        });
    }
    Ok(out)
}

/// A column of a type the ORM does not make.
fn unknown_column(c: &flask_sqlalchemy::Row, dflt: &Option<String>) -> ColumnDef {
    ColumnDef {
        name: text_of(c.get("name")).unwrap_or_default(),
        ty: None,
        nullable: text_of(c.get("nullable")).as_deref() == Some("YES"),
        default: dflt.as_deref().and_then(normalize_default),
        autoincrement: false,
    }
}

/// `{a,b}` (an array shown as text) as its items.
fn pg_array(text: &str) -> Vec<String> {
    text.trim_start_matches('{')
        .trim_end_matches('}')
        .split(',')
        .map(|s| s.trim_matches('"').to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

fn pg_action(code: &str) -> Option<ReferentialAction> {
    match code {
        "c" => Some(ReferentialAction::Cascade),
        "n" => Some(ReferentialAction::SetNull),
        "d" => Some(ReferentialAction::SetDefault),
        "r" => Some(ReferentialAction::Restrict),
        _ => None,
    }
}

async fn inspect_mysql(engine: &Engine) -> Result<Vec<TableDef>, Error> {
    let names = engine
        .fetch_all(text(
            "SELECT TABLE_NAME AS name FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'",
        ))
        .await?;
    let mut out = Vec::new();
    for row in names {
        let Some(name) = text_of(row.get("name")) else {
            continue;
        };
        let checks_rows = engine
            .fetch_all(
                text(
                    "SELECT CONSTRAINT_NAME AS name, CHECK_CLAUSE AS clause \
                     FROM information_schema.CHECK_CONSTRAINTS \
                     WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = :t",
                )
                .bind("t", name.as_str()),
            )
            .await?;
        let mut json_columns = Vec::new();
        let mut checks = Vec::new();
        for k in checks_rows {
            let cname = text_of(k.get("name")).unwrap_or_default();
            let sql = text_of(k.get("clause")).unwrap_or_default();
            // MariaDB's JSON is LONGTEXT with a json_valid check named after the column.
            if sql.starts_with("json_valid(") {
                json_columns.push(cname);
            } else {
                checks.push(CheckDef { name: cname, sql });
            }
        }
        let columns = engine
            .fetch_all(
                text(
                    "SELECT COLUMN_NAME AS name, DATA_TYPE AS ty, COLUMN_TYPE AS full_type, \
                     CHARACTER_MAXIMUM_LENGTH AS len, NUMERIC_PRECISION AS p, NUMERIC_SCALE AS s, \
                     IS_NULLABLE AS nullable, COLUMN_DEFAULT AS dflt, EXTRA AS extra \
                     FROM information_schema.COLUMNS \
                     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t ORDER BY ORDINAL_POSITION",
                )
                .bind("t", name.as_str()),
            )
            .await?;
        let mut defs = Vec::new();
        for c in &columns {
            let cname = text_of(c.get("name")).unwrap_or_default();
            let ty = text_of(c.get("ty"))
                .unwrap_or_default()
                .to_ascii_lowercase();
            let full = text_of(c.get("full_type"))
                .unwrap_or_default()
                .to_ascii_lowercase();
            let len = int_of(c.get("len")).and_then(|n| u32::try_from(n).ok());
            let p = int_of(c.get("p")).and_then(|n| u32::try_from(n).ok());
            let s = int_of(c.get("s")).and_then(|n| u32::try_from(n).ok());
            let column_type = match ty.as_str() {
                _ if json_columns.contains(&cname) => Some(ColumnType::Json),
                "json" => Some(ColumnType::Json),
                "tinyint" if full.starts_with("tinyint(1)") => Some(ColumnType::Boolean),
                "smallint" => Some(ColumnType::SmallInteger),
                "int" | "integer" => Some(ColumnType::Integer),
                "bigint" => Some(ColumnType::BigInteger),
                "float" => Some(ColumnType::Float),
                "double" => Some(ColumnType::Double),
                "varchar" => Some(ColumnType::String(len)),
                "text" | "mediumtext" | "longtext" => Some(ColumnType::String(None)),
                "blob" | "mediumblob" | "longblob" => Some(ColumnType::LargeBinary),
                "binary" if len == Some(16) => Some(ColumnType::Uuid),
                "date" => Some(ColumnType::Date),
                "time" => Some(ColumnType::Time),
                "datetime" | "timestamp" => Some(ColumnType::DateTime),
                "decimal" => match (p, s) {
                    (Some(precision), Some(scale)) => {
                        Some(ColumnType::Numeric { precision, scale })
                    }
                    _ => None,
                },
                _ => None,
            };
            defs.push(ColumnDef {
                name: cname,
                ty: column_type,
                nullable: text_of(c.get("nullable")).as_deref() == Some("YES"),
                default: text_of(c.get("dflt")).and_then(|d| normalize_default(&d)),
                autoincrement: text_of(c.get("extra"))
                    .is_some_and(|e| e.to_ascii_lowercase().contains("auto_increment")),
            });
        }
        let stats = engine
            .fetch_all(
                text(
                    "SELECT INDEX_NAME AS name, COLUMN_NAME AS col, NON_UNIQUE AS non_unique \
                     FROM information_schema.STATISTICS \
                     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t \
                     ORDER BY INDEX_NAME, SEQ_IN_INDEX",
                )
                .bind("t", name.as_str()),
            )
            .await?;
        let fks = engine
            .fetch_all(
                text(
                    "SELECT k.CONSTRAINT_NAME AS name, k.COLUMN_NAME AS col, \
                     k.REFERENCED_TABLE_NAME AS ref_table, k.REFERENCED_COLUMN_NAME AS ref_col, \
                     r.DELETE_RULE AS on_delete, r.UPDATE_RULE AS on_update \
                     FROM information_schema.KEY_COLUMN_USAGE k \
                     JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
                       ON r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
                      AND r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA \
                     WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME = :t \
                     ORDER BY k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
                )
                .bind("t", name.as_str()),
            )
            .await?;
        let mut foreign_keys: Vec<ForeignKeyDef> = Vec::new();
        for fk in fks {
            let fname = text_of(fk.get("name")).unwrap_or_default();
            let col = text_of(fk.get("col")).unwrap_or_default();
            let ref_col = text_of(fk.get("ref_col")).unwrap_or_default();
            match foreign_keys.iter_mut().find(|f| f.name == fname) {
                Some(f) => {
                    f.columns.push(col);
                    f.ref_columns.push(ref_col);
                }
                None => foreign_keys.push(ForeignKeyDef {
                    name: fname,
                    columns: vec![col],
                    ref_table: text_of(fk.get("ref_table")).unwrap_or_default(),
                    ref_columns: vec![ref_col],
                    on_delete: action_of(&text_of(fk.get("on_delete")).unwrap_or_default())
                        .filter(|a| *a != ReferentialAction::Restrict),
                    on_update: action_of(&text_of(fk.get("on_update")).unwrap_or_default())
                        .filter(|a| *a != ReferentialAction::Restrict),
                }),
            }
        }
        let mut pk = Vec::new();
        let mut indexes: Vec<IndexDef> = Vec::new();
        for st in stats {
            let iname = text_of(st.get("name")).unwrap_or_default();
            let col = text_of(st.get("col")).unwrap_or_default();
            if iname == "PRIMARY" {
                pk.push(col);
                continue;
            }
            // MySQL indexes each foreign key: that index comes with the key.
            if foreign_keys.iter().any(|f| f.name == iname) {
                continue;
            }
            let unique = int_of(st.get("non_unique")).unwrap_or(1) == 0;
            match indexes.iter_mut().find(|i| i.name == iname) {
                Some(i) => i.columns.push(col),
                None => indexes.push(IndexDef {
                    name: iname,
                    columns: vec![col],
                    unique,
                }),
            }
        }
        // The index MySQL made for an unnamed foreign key is named after its first column.
        indexes.retain(|i| {
            i.unique
                || !foreign_keys
                    .iter()
                    .any(|f| f.columns == i.columns && f.columns.first() == Some(&i.name))
        });
        out.push(TableDef {
            name,
            columns: defs,
            primary_key: pk,
            indexes,
            foreign_keys,
            checks,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_normalize_across_databases() {
        assert_eq!(
            normalize_default("(CURRENT_TIMESTAMP)").as_deref(),
            Some("CURRENT_TIMESTAMP")
        );
        assert_eq!(
            normalize_default("current_timestamp(6)").as_deref(),
            Some("CURRENT_TIMESTAMP")
        );
        assert_eq!(
            normalize_default("now()").as_deref(),
            Some("CURRENT_TIMESTAMP")
        );
        assert_eq!(
            normalize_default("'draft'::character varying").as_deref(),
            Some("'draft'")
        );
        assert_eq!(normalize_default("NULL"), None);
        assert_eq!(normalize_default("(7)").as_deref(), Some("7"));
    }

    #[test]
    fn sqlite_types_and_checks_read_back() {
        assert_eq!(
            sqlite_type("varchar(80)"),
            Some(ColumnType::String(Some(80)))
        );
        assert_eq!(
            sqlite_type("NUMERIC(10, 2)"),
            Some(ColumnType::Numeric {
                precision: 10,
                scale: 2
            })
        );
        assert_eq!(
            sqlite_type("timestamp_with_timezone_text"),
            Some(ColumnType::DateTimeTz)
        );
        assert_eq!(sqlite_type("geometry"), None);
        let checks = sqlite_checks(
            "CREATE TABLE \"t\" ( \"a\" integer, CONSTRAINT \"ck_t_1\" CHECK (a >= (0)), CONSTRAINT \"ck_t_2\" CHECK (\"s\" IN ('x')) )",
        );
        assert_eq!(checks.len(), 2);
        assert_eq!(checks[0].name, "ck_t_1");
        assert_eq!(checks[0].sql, "a >= (0)");
    }
}
