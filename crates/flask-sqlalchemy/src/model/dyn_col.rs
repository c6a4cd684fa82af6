//! Columns chosen at run time, by name: what generic tools (flask-admin's lists, filters and
//! sorting) use where the typed `Post::title` cannot be written.

use std::marker::PhantomData;

use sea_query::{Expr, ExprTrait, Func, LikeExpr, Order};

use super::ops::sea_value;
use super::query::{Filter, LIKE_ESCAPE, OrderBy, escape_like};
use super::{Column, Model};
use crate::Value;

/// A column of `M` picked by name, with the filters and orderings of a typed
/// [`Col`](crate::Col); values are [`Value`]s, bound as the column's type.
///
/// ```
/// use flask_sqlalchemy::{DynCol, Model};
///
/// #[derive(Debug, Model)]
/// struct Post {
///     #[model(primary_key)]
///     id: i64,
///     title: String,
/// }
/// let title = DynCol::<Post>::named("title").unwrap();
/// let _filter = title.icontains("rust").and(title.ne("draft"));
/// assert!(DynCol::<Post>::named("nope").is_none());
/// ```
pub struct DynCol<M> {
    column: &'static Column,
    _model: PhantomData<fn() -> M>,
}

impl<M> Clone for DynCol<M> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M> Copy for DynCol<M> {}

impl<M: Model> std::fmt::Debug for DynCol<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", M::TABLE.name, self.column.name)
    }
}

impl<M: Model> DynCol<M> {
    /// The column of `M`'s table named `name`, if it has one.
    pub fn named(name: &str) -> Option<Self> {
        M::TABLE.column(name).map(|column| DynCol {
            column,
            _model: PhantomData,
        })
    }

    /// The column's metadata.
    pub fn column(&self) -> &'static Column {
        self.column
    }

    fn expr(&self) -> Expr {
        Expr::col((M::TABLE.name, self.column.name))
    }

    fn bind(&self, value: &Value) -> sea_query::Value {
        sea_value(value, self.column.ty)
    }

    /// `column = value` (`IS NULL` for [`Value::Null`]).
    pub fn eq(&self, value: impl Into<Value>) -> Filter {
        let value = value.into();
        if value.is_null() {
            return self.is_null();
        }
        Filter(self.expr().eq(self.bind(&value)))
    }

    /// `column <> value` (`IS NOT NULL` for [`Value::Null`]).
    pub fn ne(&self, value: impl Into<Value>) -> Filter {
        let value = value.into();
        if value.is_null() {
            return self.is_not_null();
        }
        Filter(self.expr().ne(self.bind(&value)))
    }

    /// `column < value`.
    pub fn lt(&self, value: impl Into<Value>) -> Filter {
        let value = value.into();
        Filter(self.expr().lt(self.bind(&value)))
    }

    /// `column <= value`.
    pub fn le(&self, value: impl Into<Value>) -> Filter {
        let value = value.into();
        Filter(self.expr().lte(self.bind(&value)))
    }

    /// `column > value`.
    pub fn gt(&self, value: impl Into<Value>) -> Filter {
        let value = value.into();
        Filter(self.expr().gt(self.bind(&value)))
    }

    /// `column >= value`.
    pub fn ge(&self, value: impl Into<Value>) -> Filter {
        let value = value.into();
        Filter(self.expr().gte(self.bind(&value)))
    }

    /// `column IN (values)`.
    pub fn in_(&self, values: impl IntoIterator<Item = Value>) -> Filter {
        let bound: Vec<sea_query::Value> = values.into_iter().map(|v| self.bind(&v)).collect();
        Filter(self.expr().is_in(bound))
    }

    /// `column IS NULL`.
    pub fn is_null(&self) -> Filter {
        Filter(self.expr().is_null())
    }

    /// `column IS NOT NULL`.
    pub fn is_not_null(&self) -> Filter {
        Filter(self.expr().is_not_null())
    }

    /// The text contains `text`, ignoring case (`LOWER(column) LIKE '%text%'`, with `%`
    /// and `_` in `text` matching themselves).
    pub fn icontains(&self, text: &str) -> Filter {
        let pattern = format!("%{}%", escape_like(text)).to_lowercase();
        Filter(
            Expr::expr(Func::lower(self.expr())).like(LikeExpr::new(pattern).escape(LIKE_ESCAPE)),
        )
    }

    /// Ascending.
    pub fn asc(&self) -> OrderBy {
        self.order(Order::Asc)
    }

    /// Descending.
    pub fn desc(&self) -> OrderBy {
        self.order(Order::Desc)
    }

    fn order(&self, order: Order) -> OrderBy {
        let mut by = OrderBy::new(self.expr(), order);
        by.column = Some((M::TABLE.name, self.column));
        by
    }
}
