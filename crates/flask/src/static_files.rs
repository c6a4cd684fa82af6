//! Static files: `send_file` and `send_from_directory` with Werkzeug's conditional and range
//! handling, and the `/static/<path:filename>` routes of the app and its blueprints.

use std::io::SeekFrom;
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::Error;

/// How [`send_file`] answers: download name, attachment, caching.
#[derive(Debug, Clone, Default)]
pub struct SendFileOptions {
    /// The file name the browser should use (`Content-Disposition`).
    pub download_name: Option<String>,
    /// Ask the browser to save the file instead of showing it.
    pub as_attachment: bool,
    /// `Cache-Control: public, max-age=N`; `None` means `no-cache` (revalidate with the
    /// ETag each time), Flask's default.
    pub max_age: Option<u64>,
    /// The content type; guessed from the file name when `None`.
    pub mimetype: Option<String>,
}

/// Flask's `send_file`: the file at `path`, with `ETag`, `Last-Modified`, `304 Not
/// Modified` for a matching `If-None-Match` / `If-Modified-Since`, and single byte ranges
/// (`206`, `416`). `headers` are the request's (take them with the `HeaderMap` extractor).
///
/// As in Flask, a relative `path` is taken from the app's root folder (in a request; outside
/// one, from the working directory). A missing file is a 404. Only pass paths you trust;
/// for a name from the URL, use [`send_from_directory`].
pub async fn send_file(
    headers: &HeaderMap,
    path: impl AsRef<Path>,
    options: &SendFileOptions,
) -> Result<Response, Error> {
    let path = &from_root(path.as_ref());
    let file = match tokio::fs::File::open(path).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::new(StatusCode::NOT_FOUND));
        }
        Err(e) => return Err(Error::internal(e)),
    };
    let meta = file.metadata().await.map_err(Error::internal)?;
    if !meta.is_file() {
        return Err(Error::new(StatusCode::NOT_FOUND));
    }
    let size = meta.len();
    let modified = meta.modified().ok();
    let mtime = modified
        .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    let entity = Entity {
        content: Content::File(file),
        size,
        modified,
        etag: Some(format!("\"{mtime:x}-{size:x}\"")),
    };
    respond(headers, entity, path, options).await
}

/// A relative path joined to the app's root, as Flask's `send_file` does with
/// `current_app.root_path`.
fn from_root(path: &Path) -> PathBuf {
    if path.is_relative()
        && let Some(ctx) = crate::RequestContext::try_current()
    {
        return ctx.app().root_path().join(path);
    }
    path.to_path_buf()
}

/// Flask's `send_file(io.BytesIO(data), ...)`: bytes made in the handler (a generated CSV, an
/// image), with the download name, attachment and caching of `options`, and single byte
/// ranges. The content type is `options.mimetype`, or guessed from `download_name`; with
/// neither, a 500 says to set one (Flask raises the same). No `ETag` is sent, as in Flask
/// for a file object.
///
/// ```
/// use flask::{HeaderMap, Response, SendFileOptions, send_bytes};
/// #[flask::view]
/// async fn export(headers: HeaderMap) -> Result<Response, flask::Error> {
///     let csv = "id,title\n1,Hello\n";
///     let options = SendFileOptions {
///         download_name: Some("posts.csv".to_owned()),
///         as_attachment: true,
///         ..Default::default()
///     };
///     send_bytes(&headers, csv, &options).await
/// }
/// ```
pub async fn send_bytes(
    headers: &HeaderMap,
    data: impl Into<bytes::Bytes>,
    options: &SendFileOptions,
) -> Result<Response, Error> {
    let Some(name) = options.download_name.clone() else {
        if options.mimetype.is_none() {
            return Err(Error::internal(
                "Unable to detect the MIME type because a file name is not available. Either set 'download_name' or set 'mimetype' in SendFileOptions.",
            ));
        }
        return respond_now(headers, data.into(), Path::new(""), options).await;
    };
    respond_now(headers, data.into(), Path::new(&name), options).await
}

async fn respond_now(
    headers: &HeaderMap,
    data: bytes::Bytes,
    name: &Path,
    options: &SendFileOptions,
) -> Result<Response, Error> {
    let entity = Entity {
        size: data.len() as u64,
        content: Content::Memory(data),
        modified: None,
        etag: None,
    };
    respond(headers, entity, name, options).await
}

/// What is sent: an open file or bytes in memory (an embedded file).
enum Content {
    File(tokio::fs::File),
    Memory(bytes::Bytes),
}

/// A representation with its validators.
struct Entity {
    content: Content,
    size: u64,
    modified: Option<SystemTime>,
    /// `None` for bytes made in the handler, which have no stable validator.
    etag: Option<String>,
}

/// Answers for `entity` with Werkzeug's headers, conditional requests and ranges. `name`
/// gives the content type and the default download name.
async fn respond(
    headers: &HeaderMap,
    entity: Entity,
    name: &Path,
    options: &SendFileOptions,
) -> Result<Response, Error> {
    let Entity {
        content,
        size,
        modified,
        etag,
    } = entity;
    let path = name;
    let mut resp_headers = HeaderMap::new();
    let mime = options.mimetype.clone().unwrap_or_else(|| {
        let name = options.download_name.as_deref().map_or(path, Path::new);
        let guess = mime_guess::from_path(name).first_or_octet_stream();
        if guess.type_() == mime_guess::mime::TEXT {
            format!("{guess}; charset=utf-8")
        } else {
            guess.to_string()
        }
    });
    insert(&mut resp_headers, header::CONTENT_TYPE, &mime);
    if let Some(etag) = &etag {
        insert(&mut resp_headers, header::ETAG, etag);
    }
    insert(&mut resp_headers, header::ACCEPT_RANGES, "bytes");
    if let Some(m) = modified {
        insert(
            &mut resp_headers,
            header::LAST_MODIFIED,
            &httpdate::fmt_http_date(m),
        );
    }
    let cache = match options.max_age {
        Some(age) => format!("public, max-age={age}"),
        None => "no-cache".to_owned(),
    };
    insert(&mut resp_headers, header::CACHE_CONTROL, &cache);
    if options.as_attachment || options.download_name.is_some() {
        let name = options
            .download_name
            .clone()
            .or_else(|| path.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default();
        let kind = if options.as_attachment {
            "attachment"
        } else {
            "inline"
        };
        let ascii: String = name
            .chars()
            .map(|c| {
                if c.is_ascii() && c != '"' && c != '\\' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let encoded =
            percent_encoding::utf8_percent_encode(&name, percent_encoding::NON_ALPHANUMERIC);
        insert(
            &mut resp_headers,
            header::CONTENT_DISPOSITION,
            &format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
        );
    }

    if not_modified(headers, etag.as_deref(), modified) {
        let mut resp = StatusCode::NOT_MODIFIED.into_response();
        for key in [header::ETAG, header::LAST_MODIFIED, header::CACHE_CONTROL] {
            if let Some(v) = resp_headers.remove(&key) {
                resp.headers_mut().insert(key, v);
            }
        }
        return Ok(resp);
    }

    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .filter(|_| if_range_matches(headers, etag.as_deref()));
    let (status, start, len) = match range.map(|r| parse_range(r, size)) {
        None | Some(RangeRequest::Ignore) => (StatusCode::OK, 0, size),
        Some(RangeRequest::Unsatisfiable) => {
            let mut resp = Error::new(StatusCode::RANGE_NOT_SATISFIABLE).into_response();
            insert(
                resp.headers_mut(),
                header::CONTENT_RANGE,
                &format!("bytes */{size}"),
            );
            return Ok(resp);
        }
        Some(RangeRequest::Bytes(start, end)) => {
            insert(
                &mut resp_headers,
                header::CONTENT_RANGE,
                &format!("bytes {start}-{end}/{size}"),
            );
            (StatusCode::PARTIAL_CONTENT, start, end - start + 1)
        }
    };
    let body = match content {
        Content::File(mut file) => {
            if start > 0 {
                file.seek(SeekFrom::Start(start))
                    .await
                    .map_err(Error::internal)?;
            }
            Body::from_stream(tokio_util::io::ReaderStream::new(file.take(len)))
        }
        Content::Memory(bytes) => {
            let from = usize::try_from(start).map_err(Error::internal)?;
            let to = usize::try_from(start + len).map_err(Error::internal)?;
            Body::from(bytes.slice(from..to))
        }
    };
    resp_headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    *resp.headers_mut() = resp_headers;
    Ok(resp)
}

fn insert(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name, v);
    }
}

/// Whether the client's cached copy is current (`If-None-Match` wins over
/// `If-Modified-Since`, as in RFC 9110).
fn not_modified(headers: &HeaderMap, etag: Option<&str>, modified: Option<SystemTime>) -> bool {
    if let Some(inm) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        return etag.is_some_and(|etag| {
            inm.split(',')
                .map(str::trim)
                .any(|t| t == "*" || t.trim_start_matches("W/") == etag)
        });
    }
    let since = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| httpdate::parse_http_date(s).ok());
    match (since, modified) {
        (Some(since), Some(modified)) => {
            // HTTP dates have whole seconds.
            let secs = |t: SystemTime| {
                t.duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs())
            };
            secs(modified) <= secs(since)
        }
        _ => false,
    }
}

fn if_range_matches(headers: &HeaderMap, etag: Option<&str>) -> bool {
    match headers.get(header::IF_RANGE).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(v) => etag.is_some_and(|etag| v.trim() == etag),
    }
}

#[derive(Debug, PartialEq)]
enum RangeRequest {
    /// A satisfiable single range, inclusive.
    Bytes(u64, u64),
    Unsatisfiable,
    /// Malformed or several ranges: serve the whole file, as Werkzeug may.
    Ignore,
}

fn parse_range(value: &str, size: u64) -> RangeRequest {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return RangeRequest::Ignore;
    };
    if spec.contains(',') {
        return RangeRequest::Ignore;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeRequest::Ignore;
    };
    let (a, b) = (a.trim(), b.trim());
    let (start, end) = match (a.parse::<u64>().ok(), b.parse::<u64>().ok()) {
        (Some(start), Some(end)) if start <= end => (start, end.min(size.saturating_sub(1))),
        (Some(start), None) if b.is_empty() => (start, size.saturating_sub(1)),
        (None, Some(suffix)) if a.is_empty() && suffix > 0 => {
            (size.saturating_sub(suffix), size.saturating_sub(1))
        }
        _ => return RangeRequest::Ignore,
    };
    if size == 0 || start >= size {
        return RangeRequest::Unsatisfiable;
    }
    RangeRequest::Bytes(start, end)
}

/// Flask's `send_from_directory`: the file `path` (from the URL) inside `directory`.
/// A path that would leave the directory (`..`, an absolute path, a NUL byte) is a 404,
/// like a missing file.
pub async fn send_from_directory(
    headers: &HeaderMap,
    directory: impl AsRef<Path>,
    path: &str,
    options: &SendFileOptions,
) -> Result<Response, Error> {
    let Some(full) = safe_join(directory.as_ref(), path) else {
        return Err(Error::new(StatusCode::NOT_FOUND));
    };
    send_file(headers, full, options).await
}

/// Joins an untrusted relative path onto `base`, or `None` if it could escape it.
pub(crate) fn safe_join(base: &Path, untrusted: &str) -> Option<PathBuf> {
    if untrusted.is_empty() || untrusted.contains('\0') || untrusted.contains('\\') {
        return None;
    }
    let rel = Path::new(untrusted);
    let mut out = base.to_path_buf();
    for part in rel.components() {
        match part {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// An embedded file (see [`crate::embed`]) with the same headers, conditional requests and
/// ranges as [`send_file`]; `name` is its path in the embedded folder. A name that could
/// leave the folder, or a missing file, is a 404.
pub(crate) async fn send_embedded(
    headers: &HeaderMap,
    source: &crate::embed::EmbeddedSource,
    name: &str,
    options: &SendFileOptions,
) -> Result<Response, Error> {
    if safe_join(Path::new(""), name).is_none() {
        return Err(Error::new(StatusCode::NOT_FOUND));
    }
    let Some(asset) = source(name) else {
        return Err(Error::new(StatusCode::NOT_FOUND));
    };
    let hash: String = asset.hash[..8].iter().map(|b| format!("{b:02x}")).collect();
    let data = match asset.data {
        std::borrow::Cow::Borrowed(b) => bytes::Bytes::from_static(b),
        std::borrow::Cow::Owned(v) => bytes::Bytes::from(v),
    };
    let entity = Entity {
        size: data.len() as u64,
        modified: asset
            .last_modified
            .map(|secs| SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs)),
        etag: Some(format!("\"e-{hash}\"")),
        content: Content::Memory(data),
    };
    respond(headers, entity, Path::new(name), options).await
}

/// Where a static route's files come from.
#[derive(Clone)]
pub(crate) enum StaticSource {
    /// A folder on disk.
    Folder(PathBuf),
    /// A folder compiled into the binary.
    Embedded(crate::embed::EmbeddedSource),
}

/// The handlers of a static route: `/static/<path:filename>` served from `source`.
pub(crate) fn static_route(
    source: StaticSource,
    max_age: Option<u64>,
) -> crate::routing::MethodHandlers {
    let options = std::sync::Arc::new(SendFileOptions {
        max_age,
        ..SendFileOptions::default()
    });
    crate::routing::get(
        move |headers: HeaderMap, crate::Path(filename): crate::Path<String>| {
            let source = source.clone();
            let options = options.clone();
            async move {
                match &source {
                    StaticSource::Folder(folder) => {
                        send_from_directory(&headers, folder, &filename, &options).await
                    }
                    StaticSource::Embedded(files) => {
                        send_embedded(&headers, files, &filename, &options).await
                    }
                }
            }
        },
    )
    .endpoint("static")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), RangeRequest::Bytes(0, 9));
        assert_eq!(parse_range("bytes=90-", 100), RangeRequest::Bytes(90, 99));
        assert_eq!(parse_range("bytes=-10", 100), RangeRequest::Bytes(90, 99));
        assert_eq!(
            parse_range("bytes=50-500", 100),
            RangeRequest::Bytes(50, 99)
        );
        assert_eq!(parse_range("bytes=100-", 100), RangeRequest::Unsatisfiable);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), RangeRequest::Ignore);
        assert_eq!(parse_range("items=0-1", 100), RangeRequest::Ignore);
    }

    #[test]
    fn joins_safely() {
        let base = Path::new("/srv/static");
        assert_eq!(
            safe_join(base, "css/a.css"),
            Some(PathBuf::from("/srv/static/css/a.css"))
        );
        assert_eq!(safe_join(base, "../etc/passwd"), None);
        assert_eq!(safe_join(base, "a/../../x"), None);
        assert_eq!(safe_join(base, "/etc/passwd"), None);
        assert_eq!(safe_join(base, "a\\..\\x"), None);
        assert_eq!(safe_join(base, ""), None);
    }
}
