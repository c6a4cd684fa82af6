//! Foreign keys as the admin shows them: the related row's label in the list, a select of
//! the related rows in the forms and filters (Flask-Admin's relationship fields).

use std::collections::HashMap;

use flask_sqlalchemy::{Column, ColumnType, Engine, Model, SQLAlchemy, Table, text};

/// The most related rows a select offers; with more, the form takes the key as a number.
pub(crate) const MAX_CHOICES: usize = 1000;

/// A foreign key of the view's model, and how its related rows are labelled.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Relation {
    pub(crate) column: &'static Column,
    table: Table,
    key: &'static Column,
    label: &'static Column,
}

/// The foreign keys of `M` whose tables the app's `SQLAlchemy` knows; `labels` names the
/// column that labels a related row (by the foreign key's name), else the related table's
/// first unique text column, else its first text column, else its key.
pub(crate) fn of<M: Model>(ext: &SQLAlchemy, labels: &HashMap<String, String>) -> Vec<Relation> {
    let tables = ext.metadata().tables();
    M::TABLE
        .columns
        .iter()
        .filter_map(|column| {
            let fk = column.foreign_key?;
            let table = *tables.iter().find(|t| t.name == fk.table)?;
            let key = table.column(fk.column)?;
            let text = |c: &&Column| matches!(c.ty, ColumnType::String(_));
            let label = labels
                .get(column.name)
                .and_then(|l| table.column(l))
                .or_else(|| table.columns.iter().filter(text).find(|c| c.unique))
                .or_else(|| table.columns.iter().find(text))
                .unwrap_or(key);
            Some(Relation {
                column,
                table,
                key,
                label,
            })
        })
        .collect()
}

/// The rows of `table` as (key, label), ordered by label; `None` when there are more
/// than [`MAX_CHOICES`].
pub(crate) async fn labelled_rows(
    engine: &Engine,
    table: &str,
    key: &str,
    label: &str,
) -> Result<Option<Vec<(String, String)>>, flask_sqlalchemy::Error> {
    let d = engine.dialect();
    let sql = format!(
        "SELECT {key} AS k, {label} AS l FROM {table} ORDER BY {label}, {key} LIMIT {limit}",
        key = d.quote(key),
        label = d.quote(label),
        table = d.quote(table),
        limit = MAX_CHOICES + 1,
    );
    let rows = engine.fetch_all(text(sql)).await?;
    if rows.len() > MAX_CHOICES {
        return Ok(None);
    }
    Ok(Some(
        rows.iter()
            .map(|r| {
                let key = r.get_index(0).map(crate::display::text).unwrap_or_default();
                let label = r.get_index(1).map(crate::display::text).unwrap_or_default();
                (key, label)
            })
            .collect(),
    ))
}

impl Relation {
    /// The related rows as (key, label), ordered by label; `None` when there are more than
    /// [`MAX_CHOICES`].
    pub(crate) async fn choices(
        &self,
        engine: &Engine,
    ) -> Result<Option<Vec<(String, String)>>, flask_sqlalchemy::Error> {
        labelled_rows(engine, self.table.name, self.key.name, self.label.name).await
    }

    /// The labels of the related rows with these keys (the list's page of them).
    pub(crate) async fn labels(
        &self,
        engine: &Engine,
        keys: &[flask_sqlalchemy::Value],
    ) -> Result<HashMap<String, String>, flask_sqlalchemy::Error> {
        let keys: Vec<&flask_sqlalchemy::Value> = keys.iter().filter(|k| !k.is_null()).collect();
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let d = engine.dialect();
        let marks: Vec<String> = (0..keys.len()).map(|i| format!(":k{i}")).collect();
        let sql = format!(
            "SELECT {key} AS k, {label} AS l FROM {table} WHERE {key} IN ({marks})",
            key = d.quote(self.key.name),
            label = d.quote(self.label.name),
            table = d.quote(self.table.name),
            marks = marks.join(", "),
        );
        let mut query = text(sql);
        for (i, k) in keys.iter().enumerate() {
            query = query.bind(&format!("k{i}"), (*k).clone());
        }
        Ok(engine
            .fetch_all(query)
            .await?
            .iter()
            .map(|r| {
                (
                    r.get_index(0).map(crate::display::text).unwrap_or_default(),
                    r.get_index(1).map(crate::display::text).unwrap_or_default(),
                )
            })
            .collect())
    }
}
