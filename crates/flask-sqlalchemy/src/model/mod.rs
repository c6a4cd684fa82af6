//! Models: Rust structs mapped to tables with `#[derive(Model)]`, and their table metadata
//! as plain data (the migrations crate reads it).

mod columns;
mod compound;
pub(crate) mod ddl;
mod dyn_col;
mod eager;
mod field;
mod keyset;
pub(crate) mod ops;
mod pagination;
mod prepared;
mod query;
mod relation;
pub(crate) mod write;

pub use columns::{ColumnSelect, Columns, IntoExpr, Nullable, SqlExpr, Summable, exists, func};
pub use dyn_col::DynCol;
pub use eager::{Joined, Joined2, Joined3, SelectIn};
pub use field::{FieldType, Json, Scalar};
pub use keyset::KeysetPage;
pub use pagination::Pagination;
pub use query::{Col, Filter, ForUpdate, LIKE_ESCAPE, OrderBy, Select, Textual, escape_like};
pub use relation::{
    Executor, Loads, ManyToMany, Rel, RelationKind, Relationship, RunOn, ToMany, ToOne,
};
pub use write::{Assign, Numeric};

pub(crate) use relation::{Key, column_of, key, single_key};

use sqlx::mysql::MySqlRow;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

use crate::Value;

/// A column's type, portable across the three databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ColumnType {
    /// 16-bit integer (`i16`).
    SmallInteger,
    /// 32-bit integer (`i32`).
    Integer,
    /// 64-bit integer (`i64`).
    BigInteger,
    /// 32-bit float (`f32`).
    Float,
    /// 64-bit float (`f64`).
    Double,
    /// Boolean (`bool`).
    Boolean,
    /// Text with an optional maximum length: `VARCHAR(n)` with one, `TEXT` without
    /// (`String`, `#[model(max_length = n)]`).
    String(Option<u32>),
    /// Bytes (`Vec<u8>`): `BLOB`, `BYTEA`.
    LargeBinary,
    /// JSON (`serde_json::Value`, [`Json<T>`](crate::Json)): `JSONB` on PostgreSQL, `JSON`
    /// on MySQL, text on SQLite.
    Json,
    /// A date (`chrono::NaiveDate`).
    Date,
    /// A time of day (`chrono::NaiveTime`): `TIME(6)` on MySQL, to keep microseconds.
    Time,
    /// A date and time without a zone (`chrono::NaiveDateTime`): `TIMESTAMP` on
    /// PostgreSQL, `DATETIME(6)` on MySQL.
    DateTime,
    /// An instant (`chrono::DateTime<Utc>`, SQLAlchemy's `DateTime(timezone=True)`):
    /// `TIMESTAMPTZ` on PostgreSQL, `DATETIME(6)` in UTC on MySQL.
    DateTimeTz,
    /// A UUID (`uuid::Uuid`): `UUID` on PostgreSQL, `BINARY(16)` on MySQL, a blob on SQLite.
    Uuid,
    /// An exact decimal (`rust_decimal::Decimal`): `NUMERIC(precision, scale)`, text on
    /// SQLite (`#[model(precision = 10, scale = 2)]`; 28 and 10 by default).
    Numeric {
        /// Digits in all.
        precision: u32,
        /// Digits after the point.
        scale: u32,
    },
}

/// What a foreign key does when the row it points to is deleted or its key changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferentialAction {
    /// Delete (or update) the referencing rows too.
    Cascade,
    /// Set the referencing column to `NULL`.
    SetNull,
    /// Set the referencing column to its default.
    SetDefault,
    /// Refuse the change.
    Restrict,
    /// Refuse the change at the end of the statement (the default).
    NoAction,
}

/// A column's foreign key (`#[model(foreign_key = "user.id")]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ForeignKey {
    /// The referenced table.
    pub table: &'static str,
    /// The referenced column.
    pub column: &'static str,
    /// `ON DELETE`, when given.
    pub on_delete: Option<ReferentialAction>,
    /// `ON UPDATE`, when given.
    pub on_update: Option<ReferentialAction>,
}

/// One column of a model's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Column {
    /// The column's name (the field's name unless `#[model(column = "...")]`).
    pub name: &'static str,
    /// The Rust field it maps to.
    pub field: &'static str,
    /// Its type.
    pub ty: ColumnType,
    /// Whether it accepts `NULL` (an `Option<T>` field).
    pub nullable: bool,
    /// Part of the primary key.
    pub primary_key: bool,
    /// Numbered by the database when inserted with the value 0 (the default for a single
    /// integer primary key, as SQLAlchemy's `autoincrement="auto"`).
    pub autoincrement: bool,
    /// A unique constraint of its own.
    pub unique: bool,
    /// An index of its own.
    pub index: bool,
    /// Its foreign key.
    pub foreign_key: Option<ForeignKey>,
    /// Its `DEFAULT`, SQL the database evaluates (`#[model(server_default = "...")]`): an
    /// insert of `None` leaves the column out, and the value the database chose is read back
    /// into the struct. `CURRENT_TIMESTAMP` works on the three databases.
    pub server_default: Option<&'static str>,
    /// The values it may hold, when they are a fixed set (an enum); a `CHECK` constraint
    /// keeps others out.
    pub choices: &'static [&'static str],
}

/// A unique constraint or index on several columns (`#[model(unique(team, member))]`,
/// `#[model(index(last_name, first_name))]`; SQLAlchemy's `UniqueConstraint` and `Index` in
/// `__table_args__`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TableIndex {
    /// Its name: `uq_<table>_<columns>` or `ix_<table>_<columns>` unless given (`name =
    /// ".."`).
    pub name: &'static str,
    /// Its columns, in order.
    pub columns: &'static [&'static str],
    /// A unique constraint (else a plain index).
    pub unique: bool,
}

/// A model's table: its name and columns, in field order, and the model's relationships.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    /// The table's name (snake_case of the type unless `#[model(table = "...")]`).
    pub name: &'static str,
    /// The columns, in field order.
    pub columns: &'static [Column],
    /// The relationships declared on the model, in declaration order.
    pub relationships: &'static [Relationship],
    /// Its `CHECK` constraints, SQL conditions (`#[model(check = "price >= 0")]`), named
    /// `ck_<table>_<n>` from 1.
    pub checks: &'static [&'static str],
    /// Its unique constraints and indexes on several columns (single-column ones are the
    /// columns' own `unique` and `index`).
    pub indexes: &'static [TableIndex],
    /// The database it lives in, a key of `SQLALCHEMY_BINDS` (`#[model(bind = "users")]`,
    /// Flask-SQLAlchemy's `__bind_key__`); `None` for the default database.
    pub bind: Option<&'static str>,
}

impl Table {
    /// The primary key's columns.
    pub fn primary_key(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().filter(|c| c.primary_key)
    }

    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The column numbered by the database, if there is one.
    pub fn autoincrement(&self) -> Option<&Column> {
        self.columns.iter().find(|c| c.autoincrement)
    }

    /// The tables this one references, without itself.
    pub fn references(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.columns
            .iter()
            .filter_map(|c| c.foreign_key.map(|f| f.table))
            .filter(move |t| *t != self.name)
    }
}

/// A struct mapped to a table. Derive it:
///
/// ```
/// use flask_sqlalchemy::Model;
///
/// #[derive(Debug, Model)]
/// struct BlogPost {
///     #[model(primary_key)]
///     id: i64,
///     #[model(max_length = 200, unique)]
///     title: String,
///     body: Option<String>,
/// }
/// assert_eq!(BlogPost::TABLE.name, "blog_post");
/// assert_eq!(BlogPost::TABLE.columns[1].ty, flask_sqlalchemy::ColumnType::String(Some(200)));
/// ```
///
/// Field attributes, all inside `#[model(...)]`: `primary_key`, `autoincrement = false`,
/// `max_length = N`, `unique`, `index`, `column = "name"`, `foreign_key = "table.column"`
/// with `on_delete` / `on_update` = `"cascade"`, `"set null"`, `"set default"`,
/// `"restrict"` or `"no action"`. On the struct: `#[model(table = "name")]`.
///
/// The derive also gives the struct one typed column per field, named like the field, for
/// queries: `BlogPost::title.eq("Hello")` (an associated const of type [`Col`](crate::Col),
/// SQLAlchemy's `BlogPost.title`). A method of the same name on the struct would clash
/// with it.
pub trait Model: Sized + Send + Sync + Unpin + 'static {
    /// The table's metadata.
    const TABLE: Table;

    /// The field values, in column order.
    fn values(&self) -> Vec<Value>;

    /// Sets the column the database numbered (after an insert).
    fn set_autoincrement(&mut self, id: i64);

    /// Sets the field of column `column` (its index in [`Model::TABLE`]) to `value`, when
    /// the field's type takes a value of that kind ([`FieldType::from_key_value`]: integers,
    /// text, UUIDs and their `Option`s); returns whether it did. A session fills foreign
    /// keys in with it at flush.
    fn set_key_value(&mut self, column: usize, value: &Value) -> bool {
        let _ = (column, value);
        false
    }

    /// Reads the model from a row whose columns from `offset` on are in [`Model::TABLE`]
    /// order (SQLite).
    fn from_sqlite(row: &SqliteRow, offset: usize) -> Result<Self, sqlx::Error>;

    /// Reads the model from a row whose columns from `offset` on are in [`Model::TABLE`]
    /// order (PostgreSQL).
    fn from_postgres(row: &PgRow, offset: usize) -> Result<Self, sqlx::Error>;

    /// Reads the model from a row whose columns from `offset` on are in [`Model::TABLE`]
    /// order (MySQL/MariaDB).
    fn from_mysql(row: &MySqlRow, offset: usize) -> Result<Self, sqlx::Error>;
}

/// The models of an app, as Flask-SQLAlchemy's `db.metadata`: what `create_all` creates.
#[derive(Debug, Clone, Default)]
pub struct MetaData {
    tables: Vec<Table>,
}

impl MetaData {
    /// No models yet.
    pub fn new() -> Self {
        MetaData::default()
    }

    /// Adds model `M` (once; adding it again does nothing).
    #[must_use]
    pub fn register<M: Model>(mut self) -> Self {
        if !self.tables.iter().any(|t| t.name == M::TABLE.name) {
            self.tables.push(M::TABLE);
        }
        self
    }

    /// The tables, in registration order.
    pub fn tables(&self) -> &[Table] {
        &self.tables
    }

    /// The models of one database: those with `bind` as their bind key (`None`: the
    /// default database).
    pub fn for_bind(&self, bind: Option<&str>) -> MetaData {
        MetaData {
            tables: self
                .tables
                .iter()
                .filter(|t| t.bind == bind)
                .copied()
                .collect(),
        }
    }

    /// The bind keys the models name, each once, in registration order.
    pub fn bind_keys(&self) -> Vec<&'static str> {
        let mut keys: Vec<&'static str> = Vec::new();
        for key in self.tables.iter().filter_map(|t| t.bind) {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        keys
    }

    /// Metadata of these tables.
    pub(crate) fn of_tables(tables: Vec<Table>) -> MetaData {
        MetaData { tables }
    }

    /// The tables ordered so that each comes after the tables it references (the order
    /// `create_all` creates them in; `drop_all` uses the reverse).
    pub fn sorted_tables(&self) -> Vec<Table> {
        let mut done: Vec<Table> = Vec::with_capacity(self.tables.len());
        let mut left: Vec<Table> = self.tables.clone();
        while !left.is_empty() {
            let ready = left.iter().position(|t| {
                t.references()
                    .all(|r| done.iter().any(|d| d.name == r) || !left.iter().any(|l| l.name == r))
            });
            // A cycle of foreign keys: take the rest in registration order.
            let i = ready.unwrap_or(0);
            done.push(left.remove(i));
        }
        done
    }
}
