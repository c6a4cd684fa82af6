//! Flask-Admin for flask-rs: admin pages generated from flask-sqlalchemy models.
//!
//! ```
//! use flask::Flask;
//! use flask_admin::{Admin, ModelView};
//! use flask_sqlalchemy::{Model, SQLAlchemy};
//!
//! #[derive(Debug, Clone, Model, serde::Serialize, serde::Deserialize)]
//! struct Product {
//!     #[model(primary_key)]
//!     id: i64,
//!     #[model(max_length = 80, unique)]
//!     name: String,
//!     price: f64,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let client = Flask::new("store")
//!     .configure(|c| {
//!         c.set("SQLALCHEMY_DATABASE_URI", "sqlite://");
//!         c.set("SECRET_KEY", "dev");
//!     })
//!     .extension(SQLAlchemy::new().model::<Product>().create_all_on_startup())
//!     .extension(
//!         Admin::new("Store")
//!             .view(ModelView::<Product>::new().column_searchable_list(&["name"]).page_size(50)),
//!     )
//!     .test_client();
//! assert_eq!(client.get("/admin/product/").send().await.status(), 200);
//! # }
//! ```
//!
//! `/admin/` is the index, `/admin/product/` the list (search, sorting by a column's
//! heading, pages), `/admin/product/new/`, `/admin/product/edit/?id=1`,
//! `/admin/product/details/?id=1`, and `/admin/product/delete/` (POST). Every write
//! carries the session's CSRF token (flask-wtf's), so the app needs a `SECRET_KEY`.
//! Templates are `admin/base.html`, `admin/index.html`, `admin/list.html`,
//! `admin/edit.html` and `admin/details.html`: a file of the same name in the app's
//! template folder replaces one.

mod actions;
mod admin;
mod audit;
mod base_view;
mod dashboard;
mod display;
mod export;
mod fields;
mod filters;
pub mod guide;
mod inline;
mod keyset;
mod m2m;
mod model_view;
mod permissions;
mod relations;

pub use admin::{Admin, render};
pub use audit::AdminLogEntry;
pub use base_view::BaseView;
pub use dashboard::Dashboard;
pub use model_view::{DEFAULT_PAGE_SIZE, ModelView};
pub use permissions::{Permission, Roles};
