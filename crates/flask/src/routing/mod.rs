//! Flask's routing: rules with converters, endpoints, `url_for`, blueprints.
//!
#![doc = include_str!("../../docs/routing.md")]

pub(crate) mod blueprint;
pub(crate) mod converters;
pub(crate) mod method_routing;
pub(crate) mod named;
pub(crate) mod rule;
pub(crate) mod url_for;
pub(crate) mod url_map;
mod values;

pub use blueprint::Blueprint;
pub use converters::{ConverterArgs, PathValue, UrlConverter};
pub use method_routing::{MethodHandlers, delete, get, patch, post, put, route, websocket};
pub use named::view_name;
pub use url_for::{BuildError, UrlFor};
pub use values::{UrlValues, ViewArgs};

pub use crate::app::{Route, RuleInfo};
