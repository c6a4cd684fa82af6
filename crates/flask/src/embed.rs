//! Templates and static files compiled into the binary, for one-file deployment.
//!
//! With the `embed` feature, derive [`Embed`] on a unit struct for a folder and hand it to
//! [`Flask::embedded_templates`](crate::Flask::embedded_templates) or
//! [`Flask::embedded_static`](crate::Flask::embedded_static):
//!
//! ```
//! # #[cfg(feature = "embed")] {
//! use flask::embed::Embed;
//!
//! #[derive(Embed)]
//! #[folder = "tests/fixtures/embed/templates/"]
//! #[crate_path = "flask::embed::rust_embed"]
//! struct Templates;
//!
//! #[derive(Embed)]
//! #[folder = "tests/fixtures/embed/static/"]
//! #[crate_path = "flask::embed::rust_embed"]
//! struct Static;
//!
//! let app = flask::Flask::new("shop")
//!     .embedded_templates::<Templates>()
//!     .embedded_static::<Static>();
//! # let _ = app;
//! # }
//! ```
//!
//! A release build carries the files' bytes; a debug build reads them from the folder each
//! time (rust-embed's behaviour), so edits show without a rebuild. `#[crate_path]` points
//! the derive at flask's re-export, so the app needs no dependency of its own on rust-embed.

use std::borrow::Cow;
use std::sync::Arc;

/// One embedded file, as flask serves it.
#[derive(Debug)]
pub(crate) struct EmbeddedAsset {
    pub(crate) data: Cow<'static, [u8]>,
    /// SHA-256 of the content (rust-embed computes it at build time).
    pub(crate) hash: [u8; 32],
    /// Seconds since the epoch, when the build knew it.
    pub(crate) last_modified: Option<u64>,
}

/// Looks up a file of an embedded folder by its relative path (`css/site.css`).
pub(crate) type EmbeddedSource = Arc<dyn Fn(&str) -> Option<EmbeddedAsset> + Send + Sync>;

#[cfg(feature = "embed")]
pub use rust_embed::{self, Embed, RustEmbed};

/// The lookup of a folder derived with [`Embed`].
#[cfg(feature = "embed")]
pub(crate) fn source<T: RustEmbed>() -> EmbeddedSource {
    Arc::new(|name| {
        T::get(name).map(|f| EmbeddedAsset {
            hash: f.metadata.sha256_hash(),
            last_modified: f.metadata.last_modified(),
            data: f.data,
        })
    })
}
