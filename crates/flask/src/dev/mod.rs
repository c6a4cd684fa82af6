//! Development tools: the debug page, its console, the backtraces it shows, and the
//! reloader.

pub(crate) mod backtrace;
pub(crate) mod console_request;
pub(crate) mod debug_page;
pub(crate) mod debugger;
pub(crate) mod panels;
pub(crate) mod reloader;
