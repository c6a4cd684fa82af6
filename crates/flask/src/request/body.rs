//! Form bodies: Flask's `request.form` and a typed `Form<T>`.

use std::ops::Deref;

use axum::extract::{FromRequest, Request};
use bytes::Bytes;
use http::{StatusCode, header};
use serde::de::DeserializeOwned;

use super::multidict::{MultiDict, describe};
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
    if mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
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
            "Expected a form body (Content-Type: application/x-www-form-urlencoded), got {got}."
        ),
    ))
}

/// Flask's `request.form` for urlencoded bodies, as a [`MultiDict`].
///
/// Another content type is a 415 naming the one expected (multipart forms come with
/// the forms extension); a body over `MAX_FORM_MEMORY_SIZE` (500 000 bytes) or with more
/// than `MAX_FORM_PARTS` (1 000) fields is a 413.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormData(pub MultiDict);

impl Deref for FormData {
    type Target = MultiDict;
    fn deref(&self) -> &MultiDict {
        &self.0
    }
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let body = read_form(req, state).await?;
        Ok(FormData(MultiDict::parse(&body)))
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

/// A urlencoded form body deserialized into `T`.
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
        let body = read_form(req, state).await?;
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(&body));
        serde_path_to_error::deserialize(de).map(Form).map_err(|e| {
            Error::with_description(
                StatusCode::BAD_REQUEST,
                format!("Invalid form data: {}", describe(&e)),
            )
        })
    }
}
