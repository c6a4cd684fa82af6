//! A single-page app's front end (React, Vue, Angular, built with Vite or the like) served
//! by the app: its built files, and `index.html` for every client-side route, so that a
//! reload or a shared link on `/boards/7` opens the app, which routes in the browser.
//!
//! ```
//! use flask::spa::Spa;
//! let app = flask::Flask::new("board")
//!     .route("/api/health", flask::routing::get(|| async { "ok" }))
//!     .spa(Spa::folder("tests/fixtures/spa"));
//! # let _ = app;
//! ```
//!
//! What a request gets, when no other rule of the app matches it:
//!
//! - `GET /assets/index-3f2a.js`: the file, from the built folder. Files under `assets/`
//!   (Vite's output, named by their content) are cached for a year (`immutable`); the rest
//!   revalidate with their `ETag`.
//! - `GET /boards/7` (a path without a file extension, outside the excluded prefixes):
//!   `index.html`, with `Cache-Control: no-cache`, so a new deployment is picked up at once.
//! - `GET /api/nothing` (under an excluded prefix, `/api/` by default), `GET /missing.png` (a
//!   file that is not there), or any method but GET and HEAD: the usual 404, so an API
//!   client or a broken `<img>` never receives the app's HTML.

use std::path::PathBuf;
use std::sync::Arc;

use http::{HeaderMap, HeaderValue, Method, StatusCode, header};

use crate::Error;
use crate::static_files::{SendFileOptions, StaticSource, send_embedded, send_from_directory};
use axum::response::Response;

/// A built front end to serve: [`Flask::spa`](crate::Flask::spa).
#[derive(Clone)]
pub struct Spa {
    source: StaticSource,
    index: String,
    exclude: Vec<String>,
}

impl std::fmt::Debug for Spa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spa")
            .field("index", &self.index)
            .field("exclude", &self.exclude)
            .finish_non_exhaustive()
    }
}

impl Spa {
    /// The built files in `folder` (Vite's `dist`), relative to the app's root.
    pub fn folder(folder: impl Into<PathBuf>) -> Spa {
        Spa {
            source: StaticSource::Folder(folder.into()),
            index: "index.html".to_owned(),
            exclude: vec!["/api/".to_owned()],
        }
    }

    /// The built files compiled into the binary (see [`crate::embed`]): one file to
    /// deploy, front end included.
    #[cfg(feature = "embed")]
    pub fn embedded<T: crate::embed::RustEmbed>() -> Spa {
        Spa {
            source: StaticSource::Embedded(crate::embed::source::<T>()),
            index: "index.html".to_owned(),
            exclude: vec!["/api/".to_owned()],
        }
    }

    /// Also answers 404, not `index.html`, under `prefix` (`/api/` already is).
    #[must_use]
    pub fn exclude(mut self, prefix: &str) -> Spa {
        self.exclude.push(prefix.to_owned());
        self
    }

    /// The page client routes get (`index.html`).
    #[must_use]
    pub fn index(mut self, name: &str) -> Spa {
        self.index = name.to_owned();
        self
    }

    /// What `path` (without its leading `/`) gets.
    pub(crate) async fn answer(
        &self,
        method: &Method,
        headers: &HeaderMap,
        path: &str,
    ) -> Result<Response, Error> {
        let not_found = || Error::new(StatusCode::NOT_FOUND);
        if method != Method::GET && method != Method::HEAD {
            return Err(not_found());
        }
        let url = format!("/{path}");
        if self
            .exclude
            .iter()
            .any(|p| url.starts_with(p.as_str()) || url == p.trim_end_matches('/'))
        {
            return Err(not_found());
        }
        if !path.is_empty() && path != self.index {
            let immutable = path.starts_with("assets/");
            let options = SendFileOptions {
                max_age: immutable.then_some(31_536_000),
                ..SendFileOptions::default()
            };
            match self.send(headers, path, &options).await {
                Ok(mut response) => {
                    if immutable {
                        response.headers_mut().insert(
                            header::CACHE_CONTROL,
                            HeaderValue::from_static("public, max-age=31536000, immutable"),
                        );
                    }
                    return Ok(response);
                }
                Err(e) if e.status() == StatusCode::NOT_FOUND => {}
                Err(e) => return Err(e),
            }
            // A missing file is a 404; only what looks like a page is the app's.
            let last = path.rsplit('/').next().unwrap_or(path);
            if last.contains('.') {
                return Err(not_found());
            }
        }
        let index = self.index.clone();
        let mut response = self
            .send(headers, &index, &SendFileOptions::default())
            .await
            .map_err(|e| {
                if e.status() == StatusCode::NOT_FOUND {
                    Error::internal(format!(
                        "the front end's {index} is missing: build it (npm run build) into the \
                         folder given to Spa"
                    ))
                } else {
                    e
                }
            })?;
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        Ok(response)
    }

    async fn send(
        &self,
        headers: &HeaderMap,
        path: &str,
        options: &SendFileOptions,
    ) -> Result<Response, Error> {
        match &self.source {
            StaticSource::Folder(folder) => {
                send_from_directory(headers, folder, path, options).await
            }
            StaticSource::Embedded(files) => send_embedded(headers, files, path, options).await,
        }
    }
}

/// The rules of `spa`: `/` and `/<path:path>`, every method (the others are 404s).
pub(crate) fn rules(spa: Spa) -> [(&'static str, crate::routing::MethodHandlers); 2] {
    let spa = Arc::new(spa);
    const METHODS: [&str; 6] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];
    let root = {
        let spa = spa.clone();
        crate::routing::route(&METHODS, move |method: Method, headers: HeaderMap| {
            let spa = spa.clone();
            async move { spa.answer(&method, &headers, "").await }
        })
        .endpoint("spa_index")
    };
    let any = crate::routing::route(
        &METHODS,
        move |method: Method, headers: HeaderMap, crate::Path(path): crate::Path<String>| {
            let spa = spa.clone();
            async move { spa.answer(&method, &headers, &path).await }
        },
    )
    .endpoint("spa");
    [("/", root), ("/<path:path>", any)]
}
