//! Request data as extractors: Flask's `request`, `g` and view arguments.

mod body;
mod context;
mod cookies;
mod g;
mod json;
mod limits;
mod multidict;
mod multipart;
mod path;
mod state;
pub(crate) mod trusted_hosts;
mod uploads;

pub use body::{Form, FormData};
pub use context::RequestContext;
pub(crate) use context::{
    CURRENT, Matched, TeardownGuard, ThisAfter, client_addr, host_and_cookie,
};
pub use cookies::Cookies;
pub use g::G;
pub use json::Json;
pub use limits::{BodyLimits, DEFAULT_MAX_JSON_PARTS};
pub use multidict::{Args, MultiDict, Query};
pub use multipart::Files;
pub use path::Path;
pub use state::{Ext, State};
pub use uploads::{FileStorage, secure_filename};
