//! Many-to-many relationships in the forms (Flask-Admin's select of several related rows):
//! the related rows offered by label, the rows linked now, and the links written with the
//! row, in its transaction.

use std::collections::HashMap;

use flask_sqlalchemy::{
    Column, ColumnType, Engine, Model, RelationKind, SQLAlchemy, Session, Table, Value, text,
};

/// A many-to-many relationship of the view's model.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ManyToMany {
    /// The relationship's name: the field's name in the form.
    pub(crate) name: &'static str,
    secondary: &'static Table,
    local: &'static str,
    remote: &'static str,
    target: &'static Table,
    target_key: &'static Column,
    label: &'static Column,
}

/// The many-to-many relationships of `M` the forms edit: all but those in `excluded`
/// (`form_excluded_columns` names them too), whose tables the app knows.
pub(crate) fn of<M: Model>(ext: &SQLAlchemy, excluded: &[String]) -> Vec<ManyToMany> {
    let known = ext.metadata().tables();
    M::TABLE
        .relationships
        .iter()
        .filter(|r| !excluded.iter().any(|e| e == r.name))
        .filter_map(|r| {
            let RelationKind::ManyToMany {
                secondary,
                local,
                remote,
            } = r.kind
            else {
                return None;
            };
            let target = (r.target)();
            if !known.iter().any(|t| t.name == target.name) {
                return None;
            }
            let target_key = target.primary_key().next()?;
            let is_text = |c: &&Column| matches!(c.ty, ColumnType::String(_));
            let label = target
                .columns
                .iter()
                .filter(is_text)
                .find(|c| c.unique)
                .or_else(|| target.columns.iter().find(is_text))
                .unwrap_or(target_key);
            Some(ManyToMany {
                name: r.name,
                secondary: secondary(),
                local,
                remote,
                target,
                target_key,
                label,
            })
        })
        .collect()
}

impl ManyToMany {
    /// The label of the relationship: its name title-cased.
    pub(crate) fn label(&self) -> String {
        crate::fields::default_label(self.name)
    }

    /// The related rows as (key, label) by label; `None` past [`MAX_CHOICES`].
    pub(crate) async fn choices(
        &self,
        engine: &Engine,
    ) -> Result<Option<Vec<(String, String)>>, flask_sqlalchemy::Error> {
        crate::relations::labelled_rows(
            engine,
            self.target.name,
            self.target_key.name,
            self.label.name,
        )
        .await
    }

    /// The keys of the rows linked to the row `id` now.
    pub(crate) async fn linked(
        &self,
        engine: &Engine,
        id: &Value,
    ) -> Result<Vec<String>, flask_sqlalchemy::Error> {
        let d = engine.dialect();
        let sql = format!(
            "SELECT {remote} FROM {secondary} WHERE {local} = :id ORDER BY {remote}",
            remote = d.quote(self.remote),
            secondary = d.quote(self.secondary.name),
            local = d.quote(self.local),
        );
        Ok(engine
            .fetch_all(text(sql).bind("id", id.clone()))
            .await?
            .iter()
            .filter_map(|r| r.get_index(0).map(crate::display::text))
            .collect())
    }

    /// Links the row `id` to the rows `keys`, and to no others, in `session`'s transaction.
    pub(crate) async fn set(
        &self,
        session: &Session,
        id: &Value,
        keys: &[Value],
    ) -> Result<(), flask_sqlalchemy::Error> {
        let d = session.dialect();
        session
            .execute(
                text(format!(
                    "DELETE FROM {} WHERE {} = :id",
                    d.quote(self.secondary.name),
                    d.quote(self.local)
                ))
                .bind("id", id.clone()),
            )
            .await?;
        for key in keys {
            session
                .execute(
                    text(format!(
                        "INSERT INTO {} ({}, {}) VALUES (:id, :key)",
                        d.quote(self.secondary.name),
                        d.quote(self.local),
                        d.quote(self.remote)
                    ))
                    .bind("id", id.clone())
                    .bind("key", key.clone()),
                )
                .await?;
        }
        Ok(())
    }

    /// The related key typed as `text` says, for binding.
    pub(crate) fn key(&self, text: &str) -> Value {
        match self.target_key.ty {
            ColumnType::SmallInteger | ColumnType::Integer | ColumnType::BigInteger => text
                .parse::<i64>()
                .map_or_else(|_| Value::Text(text.to_owned()), Value::Int),
            _ => Value::Text(text.to_owned()),
        }
    }
}

/// The values chosen for each relationship in a posted form (a multiple select sends one
/// pair per chosen row).
pub(crate) fn chosen(form: &[(String, String)], name: &str) -> Vec<String> {
    form.iter()
        .filter(|(k, v)| k == name && !v.is_empty())
        .map(|(_, v)| v.clone())
        .collect()
}

/// The keys chosen (or linked) for each many-to-many relationship, by its name.
pub(crate) type Selected = HashMap<&'static str, Vec<String>>;
