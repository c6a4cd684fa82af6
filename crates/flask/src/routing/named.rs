//! Endpoint names from the source: what `#[flask::view]` records and `get(index)` reads.
//!
//! Flask names an endpoint after its view function. Rust cannot ask a function for its name
//! (`std::any::type_name`'s output is documented as unstable), so the [`view`](crate::view)
//! attribute, which sees the source, records the name with the function's type in a table
//! built before `main` (the `inventory` crate); `get` looks its handler's type up there. The
//! function itself is left as written.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::OnceLock;

/// One `#[flask::view]` function: its type, and its name.
#[doc(hidden)]
#[derive(Debug)]
pub struct ViewName {
    type_id: fn() -> TypeId,
    name: &'static str,
}

inventory::collect!(ViewName);

/// The name [`#[flask::view]`](crate::view) recorded for the type `T` (a view function's
/// type, or the struct of a class-based view such as a flask-restful `Resource`), if it did.
///
/// ```
/// #[flask::view]
/// struct TodoList;
/// struct Unnamed;
///
/// assert_eq!(flask::routing::view_name::<TodoList>(), Some("TodoList"));
/// assert_eq!(flask::routing::view_name::<Unnamed>(), None);
/// ```
pub fn view_name<T: 'static>() -> Option<&'static str> {
    static NAMES: OnceLock<HashMap<TypeId, &'static str>> = OnceLock::new();
    NAMES
        .get_or_init(|| {
            inventory::iter::<ViewName>
                .into_iter()
                .map(|v| ((v.type_id)(), v.name))
                .collect()
        })
        .get(&TypeId::of::<T>())
        .copied()
}

/// What `#[flask::view]`'s expansion calls; not an API.
#[doc(hidden)]
pub mod private {
    use std::any::TypeId;

    pub use super::ViewName;
    pub use inventory;

    impl ViewName {
        /// The entry for the function `f` named `name`.
        pub const fn new(type_id: fn() -> TypeId, name: &'static str) -> Self {
            ViewName { type_id, name }
        }
    }

    /// The type of `value` (a function item's, for `ViewName::new`).
    pub fn type_id_of<T: 'static>(_value: &T) -> TypeId {
        TypeId::of::<T>()
    }
}
