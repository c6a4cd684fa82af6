//! Flask's programming model on axum and tower.
//!
//! Routes with Flask rules, `url_for`, blueprints, request hooks, error handlers, config
//! and a test client, over an ordinary tower service: every axum extractor and tower layer
//! still works.
//!
//! ```
//! use flask::{Flask, Path, routing::get};
//!
//! #[flask::view]
//! async fn hello() -> &'static str { "Hello, World!" }
//! #[flask::view]
//! async fn show_post(Path(post_id): Path<i64>) -> String { format!("Post {post_id}") }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let client = Flask::new("hello")
//!     .route("/", get(hello))
//!     .route("/post/<int:post_id>", get(show_post))
//!     .test_client();
//! assert_eq!(client.get("/").send().await.text(), "Hello, World!");
//! assert_eq!(client.get("/post/7").send().await.text(), "Post 7");
//! assert_eq!(client.get("/post/seven").send().await.status(), 404);
//! # }
//! ```
//!
//! In a binary, `main` hands the app to its command line:
//! `Flask::new(flask::app_root!()).route(..).cli().await` gives `myapp run --port 5000`.
//!
//! [`#[flask::view]`](view) names an endpoint after its function, as Flask does, so
//! `url_for("show_post")` finds the rule above.
//!
//! The main types: [`Flask`] (the builder), [`App`] (the built app), [`Blueprint`],
//! [`RequestContext`] (Flask's request context), [`Error`] (what handlers return),
//! [`Config`] and [`Extension`]; the extractors (Flask's `request`, `session`, `g`) are at the
//! root too. The rest is by area, as Flask's modules are: [`routing`] (rules, `url_for`,
//! converters), [`views`] (class-based views), [`sessions`] (the stores, flash messages),
//! [`signals`], [`signing`], [`testing`] (the test client) and [`cli`].
//!
//! The [`guide`] is here too: the quickstart, the tutorial, a page per area, and the
//! table for readers coming from Flask ([`guide::coming_from_flask`]).

// `#[flask::view]`'s expansion names `::flask`, in this crate's own tests too.
extern crate self as flask;

mod app;
pub mod cli;
mod config;
mod console;
mod dev;
mod dispatch;
pub mod embed;
mod error;
mod extension;
pub mod guide;
mod hooks;
pub mod python_json;
pub mod realtime;
mod registrar;
mod request;
mod response;
pub mod routing;
mod secret_key;
mod server;
pub mod sessions;
pub mod signals;
pub mod signing;
pub mod spa;
mod static_files;
mod templating;
pub mod testing;
mod urls;
pub mod views;

pub use app::{App, AppRoot, BoxError, Flask};
pub use config::{Config, ConfigError, DEFAULT_MAX_CONTENT_LENGTH};
pub use dev::panels::DebugPanel;
pub use error::{Error, abort, abort_with, escape};
pub use extension::{Extension, Setup, SetupError};
pub use hooks::{BeforeRequestHook, HookOutcome};
pub use realtime::{sse, ws};
pub use request::{
    Args, BodyLimits, Cookies, DEFAULT_MAX_JSON_PARTS, Ext, FileStorage, Files, Form, FormData, G,
    Json, MultiDict, Path, Query, RequestContext, State, secure_filename,
};
pub use response::{ContextStream, stream_with_context};
pub use response::{
    FlaskTuple, Redirect, ResponseExt, SetCookie, jsonify, make_response, redirect, redirect_with,
};
pub use routing::Blueprint;
pub use sessions::Session;
pub use static_files::{SendFileOptions, send_bytes, send_file, send_from_directory};
pub use templating::{
    TemplateError, render_template, render_template_string, stream_template, stream_template_string,
};

#[doc(no_inline)]
pub use axum::response::{Html, IntoResponse, Response};
#[doc(no_inline)]
pub use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
#[doc(no_inline)]
pub use minijinja::{self, context};
#[doc(no_inline)]
pub use uuid::Uuid;

/// Makes an `async fn` a view whose endpoint is its name, as Flask names endpoints.
///
/// `#[view] async fn index()` registered with `.route("/", get(index))` is the endpoint
/// `index`, so `url_for("index")` builds its URL; in a blueprint named `auth`, `login` is
/// `auth.login`. A handler without the attribute still works, but carries no name: its
/// endpoint is the rule (`"/"`) unless the rule is named with
/// [`.endpoint("index")`](routing::MethodHandlers::endpoint).
///
/// ```
/// use flask::{Flask, RequestContext, routing::get, view};
///
/// #[view]
/// async fn index(ctx: RequestContext) -> String {
///     let url = ctx.url_for("profile").value("name", "ada").build().unwrap();
///     format!("the profile is at {url}")
/// }
///
/// #[view]
/// async fn profile(flask::Path(name): flask::Path<String>) -> String {
///     format!("{name}'s profile")
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = Flask::new("demo")
///     .route("/", get(index))
///     .route("/user/<name>", get(profile))
///     .test_client();
/// assert_eq!(client.get("/").send().await.text(), "the profile is at /user/ada");
/// // The function is left as written:
/// assert_eq!(profile(flask::Path("bo".to_owned())).await, "bo's profile");
/// # }
/// ```
///
/// Why an attribute: Rust cannot ask a function for its name (`std::any::type_name`'s
/// output is documented as unstable), so the name is taken from the source. The attribute
/// records it with the function's type in a table built before `main` (by the `inventory`
/// crate), where `get`, `post` and `route` look their handler up.
///
/// It takes free, non-generic functions, in a module or inside a function body; a method
/// view is a [`views::MethodView`]. Wrapping the function (`index.layer(..)`) makes a new
/// handler type without a name: name that rule with `.endpoint("index")`.
///
/// On a non-generic struct or enum, the type of a class-based view, it records the type's
/// name ([`routing::view_name`] reads it): flask-restful names a `Resource` after it, as
/// Flask-RESTful names a resource after its class (`#[flask::view] struct Todo` is the
/// endpoint `todo`).
pub use flask_macros::view;

/// What `#[flask::view]`'s expansion calls; not an API.
#[doc(hidden)]
pub use routing::named::private as __private;
