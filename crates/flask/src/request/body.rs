//! Form bodies: Flask's `request.form` (with `request.files` for multipart) and a typed
//! `Form<T>`.

use std::ops::Deref;

use axum::extract::{FromRequest, Request};
use bytes::Bytes;
use http::{StatusCode, header};
use serde::de::DeserializeOwned;

use super::BodyLimits;
use super::multidict::{MultiDict, describe};
use super::multipart::{Files, is_multipart, read_multipart};
use crate::{Error, RequestContext};

/// Reads the whole body within the app's `MAX_CONTENT_LENGTH` (413 beyond it).
pub(crate) async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, Error> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        let status = rejection.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            Error::new(StatusCode::PAYLOAD_TOO_LARGE)
        } else {
            Error::with_description(status, rejection.body_text())
        }
    })
}

fn content_type(req: &Request) -> &str {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn require_form(req: &Request) -> Result<(), Error> {
    let ct = content_type(req);
    let mime = ct.split(';').next().unwrap_or("").trim();
    if mime.eq_ignore_ascii_case("application/x-www-form-urlencoded")
        || mime.eq_ignore_ascii_case("multipart/form-data")
    {
        return Ok(());
    }
    let got = if ct.is_empty() {
        "none".to_owned()
    } else {
        format!("'{ct}'")
    };
    Err(Error::with_description(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        format!(
            "Expected a form body (Content-Type: application/x-www-form-urlencoded or multipart/form-data), got {got}."
        ),
    ))
}

/// Flask's `request.form` (a [`MultiDict`] of the text fields) and, for a multipart body,
/// `request.files` ([`FormData::files`]).
///
/// A urlencoded or `multipart/form-data` body is read; another content type is a 415 naming
/// the ones expected. Text over `MAX_FORM_MEMORY_SIZE` (500 000 bytes), more than
/// `MAX_FORM_PARTS` (1 000) fields, or a body over `MAX_CONTENT_LENGTH` is a 413. Files are
/// streamed to temporary files as they arrive.
///
/// ```
/// use flask::FormData;
/// #[flask::view]
/// async fn profile(form: FormData) -> String {
///     let name = form.get("name").unwrap_or("nobody");
///     let photo = form.files().get("photo").map_or(0, |f| f.len());
///     format!("{name}: {photo} bytes")
/// }
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FormData {
    form: MultiDict,
    files: Files,
}

impl Deref for FormData {
    type Target = MultiDict;
    fn deref(&self) -> &MultiDict {
        &self.form
    }
}

impl FormData {
    /// The text fields (Flask's `request.form`).
    pub fn form(&self) -> &MultiDict {
        &self.form
    }

    /// The uploaded files (Flask's `request.files`); empty unless the body was multipart.
    pub fn files(&self) -> &Files {
        &self.files
    }

    /// The text fields and the files.
    pub fn into_parts(self) -> (MultiDict, Files) {
        (self.form, self.files)
    }

    /// Reads a `multipart/form-data` body within the app's form limits (`MAX_FORM_PARTS`,
    /// `MAX_FORM_MEMORY_SIZE`, `MAX_CONTENT_LENGTH`), keeping the files of the fields
    /// `keep_file` accepts (the others are read past, never stored). For extensions that
    /// read forms themselves, such as flask-wtf, which keeps the files of its file fields.
    pub async fn read_multipart(
        req: Request,
        keep_file: &(dyn Fn(&str) -> bool + Send + Sync),
    ) -> Result<FormData, Error> {
        let limits = RequestContext::current(req.extensions()).map_or_else(
            || BodyLimits::from_config(&crate::Config::new()),
            |ctx| BodyLimits::from_config(ctx.config()),
        );
        let (form, files) = read_multipart(req, &limits, keep_file).await?;
        Ok(FormData { form, files })
    }
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if is_multipart(&req) {
            return FormData::read_multipart(req, &|_| true).await;
        }
        let body = read_form(req, state).await?;
        Ok(FormData {
            form: MultiDict::parse(&body),
            files: Files::default(),
        })
    }
}

/// Reads a urlencoded body within `MAX_FORM_MEMORY_SIZE` and `MAX_FORM_PARTS` (413 beyond,
/// as in Werkzeug).
async fn read_form<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, Error> {
    require_form(&req)?;
    let ctx = RequestContext::current(req.extensions());
    let limits = ctx
        .as_ref()
        .map(|ctx| super::BodyLimits::from_config(ctx.config()));
    let body = read_body(req, state).await?;
    if let Some(limits) = limits {
        limits.check_form(&body)?;
    }
    if let Some(ctx) = ctx {
        ctx.record_form(&body);
    }
    Ok(body)
}

/// A form body (urlencoded or multipart) deserialized into `T`: its text fields, as
/// Flask's `request.form` (files are not stored; take [`FormData`] for them).
///
/// A missing field or a value of the wrong type is a 400 whose description names the
/// field (`Invalid form data: age: invalid digit found in string`); another content type
/// is a 415; a body over `MAX_CONTENT_LENGTH` is a 413.
///
/// ```
/// use flask::Form;
/// use serde::Deserialize;
/// #[derive(Deserialize)]
/// struct NewPost { title: String, body: String }
/// #[flask::view]
/// async fn create(Form(post): Form<NewPost>) -> String { post.title }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Form<T>(pub T);

impl<T> Deref for Form<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Form<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let body = if is_multipart(&req) {
            let form = FormData::read_multipart(req, &|_| false).await?;
            let mut text = form_urlencoded::Serializer::new(String::new());
            text.extend_pairs(form.iter());
            Bytes::from(text.finish())
        } else {
            read_form(req, state).await?
        };
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(&body));
        serde_path_to_error::deserialize(de).map(Form).map_err(|e| {
            Error::with_description(
                StatusCode::BAD_REQUEST,
                format!("Invalid form data: {}", describe(&e)),
            )
        })
    }
}
