//! `db reflect`: `#[derive(Model)]` structs written from a database's tables (SQLAlchemy's
//! `automap` / `sqlacodegen`), so an app can take over a database another app made.

use std::collections::HashMap;
use std::fmt::Write as _;

use flask_sqlalchemy::{ColumnType, Engine, ReferentialAction, text};

use crate::schema::{ColumnDef, IndexDef, Schema, TableDef};

/// Tables `reflect` leaves out: the migration tools' own.
const SKIPPED: [&str; 2] = [crate::MIGRATIONS_TABLE, crate::ALEMBIC_VERSION_TABLE];

/// The Rust source of one `#[derive(Model)]` struct per table of `schema` (the migration
/// tools' tables left out): columns with their types, nullability, keys, lengths, defaults,
/// unique constraints, indexes and foreign keys, and relationships both ways for each
/// foreign key (`belongs_to` and `has_many`; `many_to_many` through a table that is only two
/// foreign keys forming its primary key).
///
/// ```
/// use flask_migrate::{Schema, reflect_models};
/// use flask_sqlalchemy::{Dialect, MetaData, Model};
///
/// #[derive(Debug, Model)]
/// struct Author {
///     #[model(primary_key)]
///     id: i64,
///     #[model(max_length = 80, unique)]
///     name: String,
/// }
///
/// let schema = Schema::from_models(&MetaData::new().register::<Author>(), Dialect::Sqlite);
/// let source = reflect_models(&schema);
/// assert!(source.contains("pub struct Author {"));
/// assert!(source.contains("#[model(max_length = 80, unique)]\n    pub name: String,"));
/// ```
pub fn reflect_models(schema: &Schema) -> String {
    // Sorted so every database gives the same source: tables by name, then (in
    // write_struct) constraints by their columns and foreign keys in column order.
    let mut tables: Vec<&TableDef> = schema
        .tables
        .iter()
        .filter(|t| !SKIPPED.contains(&t.name.as_str()))
        .collect();
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    let names: HashMap<&str, String> = tables
        .iter()
        .map(|t| (t.name.as_str(), struct_name(&t.name)))
        .collect();
    let links: Vec<&TableDef> = tables
        .iter()
        .copied()
        .filter(|t| is_link_table(t))
        .collect();
    let mut out = String::new();
    out.push_str(
        "//! Models reflected from the database by `db reflect`: one struct per table, with\n\
         //! relationships for its foreign keys. Rename and trim them as you like; `db check`\n\
         //! says whether they still match the database.\n\n\
         #![allow(dead_code)]\n\n\
         use flask_sqlalchemy::Model;\n",
    );
    for table in &tables {
        out.push('\n');
        write_struct(&mut out, table, &tables, &links, &names);
    }
    out
}

/// The revisions in Alembic's `alembic_version` table: where a database that Flask-Migrate
/// managed stands (its heads; one row unless its history had branches). Empty when the
/// database has no such table.
pub async fn alembic_heads(engine: &Engine) -> Result<Vec<String>, crate::Error> {
    if !engine.has_table(crate::ALEMBIC_VERSION_TABLE).await? {
        return Ok(Vec::new());
    }
    let rows = engine
        .fetch_all(text(format!(
            "SELECT version_num FROM {} ORDER BY version_num",
            crate::ALEMBIC_VERSION_TABLE
        )))
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            r.get("version_num")
                .and_then(|v| v.as_str().map(str::to_owned))
        })
        .collect())
}

/// A table that only links two others: its primary key is two columns, each a foreign key,
/// and it has no other column.
fn is_link_table(t: &TableDef) -> bool {
    t.columns.len() == 2
        && t.primary_key.len() == 2
        && t.foreign_keys.len() == 2
        && t.foreign_keys.iter().all(|f| f.columns.len() == 1)
}

/// `post_tag` -> `PostTag`, `users` -> `Users`.
fn struct_name(table: &str) -> String {
    let mut out = String::new();
    for part in table
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
    {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "Table");
    }
    out
}

/// A field name for a column: the column's name when it is a plain Rust identifier, else a
/// cleaned one (the column named in `column = ".."`).
fn field_name(column: &str) -> String {
    let mut out: String = column
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if KEYWORDS.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

const KEYWORDS: [&str; 40] = [
    "as", "async", "await", "box", "break", "const", "continue", "crate", "dyn", "else", "enum",
    "extern", "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod",
    "move", "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true",
    "try", "type", "unsafe", "use", "where", "while",
];

/// The Rust type of a column's values.
fn rust_type(ty: Option<ColumnType>) -> &'static str {
    match ty {
        Some(ColumnType::SmallInteger) => "i16",
        Some(ColumnType::Integer) => "i32",
        Some(ColumnType::BigInteger) => "i64",
        Some(ColumnType::Float) => "f32",
        Some(ColumnType::Double) => "f64",
        Some(ColumnType::Boolean) => "bool",
        Some(ColumnType::LargeBinary) => "Vec<u8>",
        Some(ColumnType::Json) => "serde_json::Value",
        Some(ColumnType::Date) => "chrono::NaiveDate",
        Some(ColumnType::Time) => "chrono::NaiveTime",
        Some(ColumnType::DateTime) => "chrono::NaiveDateTime",
        Some(ColumnType::DateTimeTz) => "chrono::DateTime<chrono::Utc>",
        Some(ColumnType::Uuid) => "uuid::Uuid",
        Some(ColumnType::Numeric { .. }) => "rust_decimal::Decimal",
        _ => "String",
    }
}

fn action(a: ReferentialAction) -> &'static str {
    match a {
        ReferentialAction::Cascade => "cascade",
        ReferentialAction::SetNull => "set null",
        ReferentialAction::SetDefault => "set default",
        ReferentialAction::Restrict => "restrict",
        ReferentialAction::NoAction => "no action",
    }
}

/// The single-column unique constraint or index on `column`, if there is one.
fn single<'t>(t: &'t TableDef, column: &str, unique: bool) -> Option<&'t IndexDef> {
    t.indexes
        .iter()
        .find(|i| i.unique == unique && i.columns.len() == 1 && i.columns[0] == column)
}

fn write_struct(
    out: &mut String,
    t: &TableDef,
    tables: &[&TableDef],
    links: &[&TableDef],
    names: &HashMap<&str, String>,
) {
    let name = &names[t.name.as_str()];
    let fields: Vec<String> = t.columns.iter().map(|c| field_name(&c.name)).collect();
    let mut attrs = vec![format!("table = {:?}", t.name)];
    let single_pk = t.primary_key.len() == 1;
    let mut indexes: Vec<&IndexDef> = t.indexes.iter().collect();
    indexes.sort_by(|a, b| (a.unique, &a.columns).cmp(&(b.unique, &b.columns)));
    let mut foreign_keys: Vec<&crate::ForeignKeyDef> = t.foreign_keys.iter().collect();
    let at = |name: &str| t.columns.iter().position(|c| c.name == name);
    foreign_keys.sort_by_key(|f| f.columns.first().and_then(|c| at(c)));
    for index in indexes {
        if index.columns.len() < 2 {
            continue;
        }
        let kind = if index.unique { "unique" } else { "index" };
        let cols: Vec<String> = index
            .columns
            .iter()
            .map(|c| format!("{:?}", field_name(c)))
            .collect();
        let default = format!(
            "{}_{}_{}",
            if index.unique { "uq" } else { "ix" },
            t.name,
            index.columns.join("_")
        );
        let named = if index.name == default || named_by_database(&t.name, index) {
            String::new()
        } else {
            format!(", name = {:?}", index.name)
        };
        attrs.push(format!("{kind}({}{named})", cols.join(", ")));
    }
    for check in &t.checks {
        attrs.push(format!("check = {:?}", check.sql));
    }
    let mut taken: Vec<String> = fields.clone();
    let mut rels: Vec<String> = Vec::new();
    // Many-to-one: each single-column foreign key of this table.
    for fk in foreign_keys.iter().filter(|f| f.columns.len() == 1) {
        let Some(target) = names.get(fk.ref_table.as_str()) else {
            continue;
        };
        let column = &fk.columns[0];
        let base = column
            .strip_suffix("_id")
            .filter(|b| !b.is_empty())
            .map_or_else(|| fk.ref_table.clone(), str::to_owned);
        let rel = free_name(&field_name(&base), &mut taken);
        rels.push(format!(
            "belongs_to({rel}: {target}, key = {})",
            field_name(column)
        ));
    }
    // One-to-many and many-to-many: foreign keys of other tables to this one.
    for other in tables {
        if !single_pk {
            break;
        }
        let position = |name: &str| other.columns.iter().position(|c| c.name == name);
        let mut theirs: Vec<&crate::ForeignKeyDef> = other
            .foreign_keys
            .iter()
            .filter(|f| f.ref_table == t.name && f.columns.len() == 1)
            .collect();
        theirs.sort_by_key(|f| position(&f.columns[0]));
        for fk in theirs {
            if links.iter().any(|l| l.name == other.name) {
                // Through the link table: the other foreign key is the far side.
                let Some(far) = other.foreign_keys.iter().find(|f| !std::ptr::eq(*f, fk)) else {
                    continue;
                };
                let Some(target) = names.get(far.ref_table.as_str()) else {
                    continue;
                };
                let rel = free_name(&field_name(&plural(&far.ref_table)), &mut taken);
                rels.push(format!(
                    "many_to_many({rel}: {target}, secondary = {}, local = {}, remote = {})",
                    names[other.name.as_str()],
                    field_name(&fk.columns[0]),
                    field_name(&far.columns[0])
                ));
                continue;
            }
            let many = other
                .foreign_keys
                .iter()
                .filter(|f| f.ref_table == t.name)
                .count()
                > 1;
            let base = if many {
                format!(
                    "{}_by_{}",
                    plural(&other.name),
                    fk.columns[0].trim_end_matches("_id")
                )
            } else {
                plural(&other.name)
            };
            let rel = free_name(&field_name(&base), &mut taken);
            rels.push(format!(
                "has_many({rel}: {}, key = {})",
                names[other.name.as_str()],
                field_name(&fk.columns[0])
            ));
        }
    }
    let _ = writeln!(out, "/// The `{}` table.", t.name);
    let _ = writeln!(out, "#[derive(Debug, Clone, PartialEq, Model)]");
    attribute(out, "", &attrs);
    for rel in &rels {
        attribute(out, "", std::slice::from_ref(rel));
    }
    let _ = writeln!(out, "pub struct {name} {{");
    for (c, field) in t.columns.iter().zip(&fields) {
        write_field(out, t, c, field);
    }
    out.push_str("}\n");
}

fn write_field(out: &mut String, t: &TableDef, c: &ColumnDef, field: &str) {
    let mut attrs: Vec<String> = Vec::new();
    let pk = t.primary_key.contains(&c.name);
    if pk {
        attrs.push("primary_key".into());
        let integer = matches!(
            c.ty,
            Some(ColumnType::SmallInteger | ColumnType::Integer | ColumnType::BigInteger)
        );
        if t.primary_key.len() == 1 && integer && !c.autoincrement {
            attrs.push("autoincrement = false".into());
        }
    }
    if field != c.name {
        attrs.push(format!("column = {:?}", c.name));
    }
    match c.ty {
        Some(ColumnType::String(Some(n))) => attrs.push(format!("max_length = {n}")),
        Some(ColumnType::Numeric { precision, scale }) => {
            attrs.push(format!("precision = {precision}, scale = {scale}"));
        }
        _ => {}
    }
    if single(t, &c.name, true).is_some() {
        attrs.push("unique".into());
    }
    if single(t, &c.name, false).is_some() {
        attrs.push("index".into());
    }
    if let Some(fk) = t
        .foreign_keys
        .iter()
        .find(|f| f.columns.len() == 1 && f.columns[0] == c.name)
    {
        attrs.push(format!(
            "foreign_key = \"{}.{}\"",
            fk.ref_table, fk.ref_columns[0]
        ));
        if let Some(a) = fk.on_delete {
            attrs.push(format!("on_delete = {:?}", action(a)));
        }
        if let Some(a) = fk.on_update {
            attrs.push(format!("on_update = {:?}", action(a)));
        }
    }
    if let Some(default) = &c.default {
        attrs.push(format!("server_default = {default:?}"));
    }
    if c.ty.is_none() {
        let _ = writeln!(
            out,
            "    // The database's type of `{}` is not one flask-sqlalchemy maps: read as text.",
            c.name
        );
    }
    if !attrs.is_empty() {
        attribute(out, "    ", &attrs);
    }
    let ty = rust_type(c.ty);
    if c.nullable {
        let _ = writeln!(out, "    pub {field}: Option<{ty}>,");
    } else {
        let _ = writeln!(out, "    pub {field}: {ty},");
    }
}

/// Whether the database chose `index`'s name (an unnamed `UniqueConstraint`): SQLite's
/// `sqlite_autoindex_..`, PostgreSQL's `<table>_<columns>_key`, MySQL's first column's name
/// (`<column>_<n>` when taken). Such names are left out of the reflected model.
fn named_by_database(table: &str, index: &IndexDef) -> bool {
    let first = index.columns.first().map_or("", String::as_str);
    let mysql_numbered = index
        .name
        .strip_prefix(first)
        .and_then(|rest| rest.strip_prefix('_'))
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    index.name.starts_with("sqlite_autoindex")
        || index.name == format!("{table}_{}_key", index.columns.join("_"))
        || index.name == first
        || mysql_numbered
}

/// Writes `#[model(items)]` at `indent`, one item per line when the items pass 70
/// characters or the line 100, as rustfmt lays it out (`attr_fn_like_width`, `max_width`),
/// so `cargo fmt` leaves reflected models alone.
fn attribute(out: &mut String, indent: &str, items: &[String]) {
    let args = items.join(", ");
    let line = format!("{indent}#[model({args})]");
    if (args.len() <= 70 && line.len() <= 100) || items.len() < 2 {
        let _ = writeln!(out, "{line}");
        return;
    }
    let _ = writeln!(out, "{indent}#[model(");
    for (i, item) in items.iter().enumerate() {
        let comma = if i + 1 < items.len() { "," } else { "" };
        let _ = writeln!(out, "{indent}    {item}{comma}");
    }
    let _ = writeln!(out, "{indent})]");
}

/// `name`, or `name_2`, `name_3`... if it is taken; marks it taken.
fn free_name(name: &str, taken: &mut Vec<String>) -> String {
    let mut candidate = name.to_owned();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{name}_{n}");
        n += 1;
    }
    taken.push(candidate.clone());
    candidate
}

/// A plural for a relationship's name: `post` -> `posts`, `category` -> `categories`;
/// a name that already ends in `s` is kept.
fn plural(name: &str) -> String {
    if name.ends_with('s') {
        name.to_owned()
    } else if let Some(stem) = name
        .strip_suffix('y')
        .filter(|s| !s.ends_with(['a', 'e', 'o', 'u']))
    {
        format!("{stem}ies")
    } else {
        format!("{name}s")
    }
}
