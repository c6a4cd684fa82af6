//! Development tools: the debug page, the backtraces it shows, and the reloader.

pub(crate) mod backtrace;
pub(crate) mod debug_page;
pub(crate) mod panels;
pub(crate) mod reloader;
