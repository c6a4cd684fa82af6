//! Flask-WTF for flask-rs: typed forms ([`FlaskForm`] over `#[derive(Form)]` structs, with
//! WTForms' field kinds, nested forms, field lists and validators), their rendering in
//! templates, file uploads streamed to disk ([`FileStorage`]), and CSRF protection
//! ([`CsrfProtect`]) with Flask-WTF's config keys and messages. See `FlaskForm` for a form's
//! flow; CSRF first:
//!
//! ```
//! use flask::{Flask, Html, render_template_string, routing::get};
//! use flask_wtf::CsrfProtect;
//!
//! #[flask::view]
//! async fn form() -> Result<Html<String>, flask::Error> {
//!     render_template_string(
//!         r#"<form method="post"><input type="hidden" name="csrf_token" value="{{ csrf_token() }}"></form>"#,
//!         flask::context! {},
//!     )
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let client = Flask::new("demo")
//!     .configure(|c| c.set("SECRET_KEY", "dev"))
//!     .extension(CsrfProtect::new())
//!     .route("/", get(form).post(|| async { "saved" }))
//!     .test_client();
//! let page = client.get("/").send().await.text();
//! let token = page.split("value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
//! let resp = client.post("/").form(&[("csrf_token", token.as_str())]).send().await;
//! assert_eq!(resp.text(), "saved");
//! // AJAX sends it in a header.
//! let resp = client.post("/").header("X-CSRFToken", &token).send().await;
//! assert_eq!(resp.text(), "saved");
//! assert_eq!(client.post("/").send().await.status(), 400);
//! # }
//! ```
//!
//! The whole guide page, from the repository's `docs/forms.md`, is the [`guide`] module.

mod csrf;
mod forms;
pub mod guide;
pub mod testing;

pub use csrf::{CsrfError, CsrfHook, CsrfProtect, generate_csrf, validate_csrf};
/// `#[derive(Form)]`: the [`Form`] trait for a struct, from `#[form(...)]` attributes on
/// its fields (kind, label, validators, choices, default, description, `render_kw`).
pub use flask_wtf_macros::Form;
pub use forms::{
    CustomCheck, FieldKind, FieldRef, FieldSpec, FileStorage, FlaskForm, Form, FormErrors,
    FormSchema, Validator, secure_filename,
};
