//! Flask-RESTful for flask-rs: [`Api`] and [`Resource`], returns as Flask-RESTful's
//! (`data`, `(data, status)`, `(data, status, headers)`), [`abort`] with `{"message": ...}`,
//! an error table, typed request arguments ([`ApiRequest::parse_args`], the successor of
//! `reqparse`) failing with Flask-RESTful's body, output shaping ([`marshal`]), content
//! negotiation by `Accept` (JSON by default, 406 when nothing fits), [`Cors`], [`Page`], and
//! an OpenAPI 3.1 document with a `/docs` page.
//!
//! ```
//! use flask::Flask;
//! use flask_restful::{Api, ApiRequest, ApiResult, Resource, abort, reply};
//!
//! #[flask::view]
//! struct Todo;
//!
//! #[derive(serde::Deserialize)]
//! struct TaskArgs { task: String }
//!
//! impl Resource for Todo {
//!     const METHODS: &'static [&'static str] = &["GET", "PUT"];
//!
//!     async fn get(&self, req: ApiRequest) -> ApiResult {
//!         let id: String = req.path("todo_id")?;
//!         if id != "todo1" {
//!             return Err(abort(404, format!("Todo {id} doesn't exist")));
//!         }
//!         Ok(reply(serde_json::json!({"task": "build an API"})))
//!     }
//!
//!     async fn put(&self, mut req: ApiRequest) -> ApiResult {
//!         let args: TaskArgs = req.args().await?;
//!         Ok((serde_json::json!({"task": args.task}), 201).into())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let client = Flask::new("todo")
//!     .extension(Api::new().add_resource(Todo, &["/todos/<todo_id>"]))
//!     .test_client();
//! assert_eq!(client.get("/todos/todo1").send().await.text(), "{\"task\": \"build an API\"}\n");
//! let missing = client.get("/todos/todo9").send().await;
//! assert_eq!(missing.status(), 404);
//! assert_eq!(missing.text(), "{\"message\": \"Todo todo9 doesn't exist\"}\n");
//! let put = client.put("/todos/todo2").form(&[("task", "profit!")]).send().await;
//! assert_eq!(put.status(), 201);
//! let bad = client.put("/todos/todo2").send().await;
//! assert_eq!(bad.status(), 400);
//! assert!(bad.text().contains("Missing required parameter"));
//! # }
//! ```
//!
//! The whole guide page, from the repository's `docs/rest.md`, is the [`guide`] module.

mod api;
mod coerce;
mod cors;
mod error;
mod fields;
pub mod guide;
mod negotiate;
mod openapi;
mod page;
mod reply;
mod request;
mod resource;

pub use api::Api;
pub use cors::Cors;
pub use error::{ApiError, abort};
pub use fields::{iso8601, marshal, rfc822};
pub use negotiate::RepresentationFn;
pub use openapi::{Describe, Op};
pub use page::Page;
pub use reply::{ApiResult, Reply, reply};
pub use request::{ApiRequest, ArgOptions, MISSING_ARGUMENT};
pub use resource::Resource;
/// `#[derive(JsonSchema)]` and the trait, for argument and answer types in the OpenAPI
/// document (re-exported from `schemars`).
pub use schemars::{self, JsonSchema};
/// The validator crate (0.21) that [`ApiRequest::valid_args`] and
/// [`ApiRequest::parse_valid_args`] run. Its `#[derive(Validate)]` names `::validator`, so an
/// app deriving it lists `validator = { version = "0.21", features = ["derive"] }` too.
pub use validator;
