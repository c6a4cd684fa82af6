//! `multipart/form-data` bodies: text fields within the form limits, each file streamed to a
//! temporary file as it arrives (a 100 MB upload never sits in memory).

use axum::extract::{FromRequest, Request};
use bytes::Bytes;
use http::StatusCode;

use super::BodyLimits;
use super::multidict::MultiDict;
use super::uploads::{FileStorage, TempUpload};
use crate::Error;

/// The files of a multipart body, by field name, in the order sent: Flask's
/// `request.files`. Each is a [`FileStorage`] in a temporary file, deleted when the request
/// is done with it.
///
/// As an extractor it reads the body (the text fields are dropped; take
/// [`FormData`](crate::FormData) for both). A body that is not `multipart/form-data` has no
/// files, as in Flask.
///
/// ```
/// use flask::{Error, Files};
/// #[flask::view]
/// async fn upload(files: Files) -> Result<String, Error> {
///     let Some(photo) = files.get("photo") else {
///         return Err(flask::abort_with(400, "no photo"));
///     };
///     photo.save(std::env::temp_dir().join(photo.secure_filename())).await.map_err(Error::internal)?;
///     Ok(format!("{} bytes", photo.len()))
/// }
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Files {
    pairs: Vec<(String, FileStorage)>,
}

impl Files {
    /// The first file sent as `name`.
    pub fn get(&self, name: &str) -> Option<&FileStorage> {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, f)| f)
    }

    /// Every file sent as `name` (`getlist`, for `<input type=file multiple>`).
    pub fn get_all(&self, name: &str) -> Vec<&FileStorage> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, f)| f)
            .collect()
    }

    /// Whether a file was sent as `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == name)
    }

    /// All files with their field names, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &FileStorage)> {
        self.pairs.iter().map(|(k, f)| (k.as_str(), f))
    }

    /// How many files.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether no file was sent.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

impl<S: Send + Sync> FromRequest<S> for Files {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let form = crate::FormData::from_request(req, state).await?;
        Ok(form.into_parts().1)
    }
}

/// Whether the request's body is `multipart/form-data`.
pub(crate) fn is_multipart(req: &Request) -> bool {
    req.headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("multipart/form-data"))
}

fn too_large(what: &str) -> Error {
    Error::with_description(StatusCode::PAYLOAD_TOO_LARGE, what.to_owned())
}

/// A multipart error as the client's fault: 413 over `MAX_CONTENT_LENGTH`, else 400.
fn multipart_error(e: &axum::extract::multipart::MultipartError) -> Error {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large("The request body is larger than MAX_CONTENT_LENGTH allows.")
    } else {
        Error::with_description(
            StatusCode::BAD_REQUEST,
            format!("The multipart body is malformed: {}", e.body_text()),
        )
    }
}

/// A body that pauses (yields to the runtime) after every few chunks in a row.
struct Paced {
    inner: axum::body::Body,
    burst: usize,
}

/// Chunks read in a row before a pause.
const BURST: usize = 16;

impl http_body::Body for Paced {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        use std::task::Poll;
        if self.burst >= BURST {
            self.burst = 0;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let polled = std::pin::Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(_)) => self.burst += 1,
            Poll::Pending => self.burst = 0,
            Poll::Ready(None) => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Reads a multipart body: text fields within `MAX_FORM_MEMORY_SIZE` and every part within
/// `MAX_FORM_PARTS` (413 beyond, as in Werkzeug), each file of a field `keep_file` accepts
/// streamed to a temporary file; the other files are read past and not stored.
pub(crate) async fn read_multipart(
    req: Request,
    limits: &BodyLimits,
    keep_file: &(dyn Fn(&str) -> bool + Send + Sync),
) -> Result<(MultiDict, Files), Error> {
    use tokio::io::AsyncWriteExt;

    // multer reads ahead for as long as the body has data ready; paced, it reads a few
    // chunks at a time, so the buffer stays small however fast the client sends.
    let (head, body) = req.into_parts();
    let req = Request::from_parts(
        head,
        axum::body::Body::new(Paced {
            inner: body,
            burst: 0,
        }),
    );
    let mut multipart = axum::extract::Multipart::from_request(req, &())
        .await
        .map_err(|e| Error::with_description(StatusCode::BAD_REQUEST, e.body_text()))?;
    let mut text = Vec::new();
    let mut files = Files::default();
    let (mut parts, mut memory) = (0usize, 0usize);
    let io = |e: std::io::Error| Error::internal(format!("cannot store an upload: {e}"));
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(&e))?
    {
        parts += 1;
        if limits.max_form_parts.is_some_and(|max| parts > max) {
            return Err(too_large(
                "The form has more fields than MAX_FORM_PARTS allows.",
            ));
        }
        let name = field.name().unwrap_or("").to_owned();
        if let Some(filename) = field.file_name().map(str::to_owned) {
            if !keep_file(&name) {
                while field
                    .chunk()
                    .await
                    .map_err(|e| multipart_error(&e))?
                    .is_some()
                {}
                continue;
            }
            let content_type = field.content_type().map(str::to_owned);
            let (id, upload, std_file) = tokio::task::spawn_blocking(TempUpload::create)
                .await
                .map_err(|e| Error::internal(format!("cannot store an upload: {e}")))?
                .map_err(io)?;
            let mut file = tokio::fs::File::from_std(std_file);
            let mut size = 0u64;
            while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(&e))? {
                size += chunk.len() as u64;
                file.write_all(&chunk).await.map_err(io)?;
            }
            file.flush().await.map_err(io)?;
            // A file input left empty sends a part with no name and no bytes.
            if filename.is_empty() && size == 0 {
                continue;
            }
            files.pairs.push((
                name,
                FileStorage::new(id, upload, Some(filename), content_type, size),
            ));
        } else {
            let mut value = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(&e))? {
                memory += chunk.len();
                if limits.max_form_memory_size.is_some_and(|max| memory > max) {
                    return Err(too_large(
                        "The form data is larger than MAX_FORM_MEMORY_SIZE allows.",
                    ));
                }
                value.extend_from_slice(&chunk);
            }
            let value = String::from_utf8(value).map_err(|_| {
                Error::with_description(
                    StatusCode::BAD_REQUEST,
                    format!("The form field {name:?} is not UTF-8 text."),
                )
            })?;
            text.push((name, value));
        }
    }
    Ok((MultiDict::from_pairs(text), files))
}
