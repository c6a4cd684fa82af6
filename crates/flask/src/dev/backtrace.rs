//! Backtraces for the debug page: captured only while a request of an app in debug mode
//! runs (capturing costs microseconds, symbolizing milliseconds), parsed into frames, and
//! the app's own frames read back to their source lines.

use std::backtrace::Backtrace;
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Once};

use crate::request::CURRENT;

/// Whether the request running on this task belongs to an app in debug mode.
fn in_debug_request() -> bool {
    CURRENT
        .try_with(|ctx| ctx.app_inner().debug)
        .unwrap_or(false)
}

/// A backtrace of the caller when a request of an app in debug mode is running; `None`
/// otherwise (production pays nothing).
pub(crate) fn capture() -> Option<Arc<Backtrace>> {
    in_debug_request().then(|| Arc::new(Backtrace::force_capture()))
}

/// Where a handler panicked, with the backtrace at the panic.
#[derive(Debug)]
pub(crate) struct PanicSite {
    pub(crate) location: Option<String>,
    pub(crate) backtrace: Arc<Backtrace>,
}

thread_local! {
    /// Set by the panic hook, taken by the dispatcher's `catch_unwind` on the same thread.
    static LAST_PANIC: RefCell<Option<PanicSite>> = const { RefCell::new(None) };
}

/// Installs (once per process) a panic hook that records where a panic in a debug-mode
/// request happened, then calls the hook that was there before (which prints it).
pub(crate) fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if in_debug_request() {
                let site = PanicSite {
                    location: info
                        .location()
                        .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column())),
                    backtrace: Arc::new(Backtrace::force_capture()),
                };
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(site));
            }
            previous(info);
        }));
    });
}

/// The site of the panic just caught on this thread, if the hook recorded one.
pub(crate) fn take_panic_site() -> Option<PanicSite> {
    LAST_PANIC.with(|p| p.borrow_mut().take())
}

/// One symbol of a backtrace (inlined functions are symbols of the same frame).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Frame {
    pub(crate) function: String,
    pub(crate) file: Option<String>,
    pub(crate) line: Option<u32>,
}

/// Parses std's `Backtrace` text: `  N: symbol` lines, inlined symbols indented without a
/// number, each optionally followed by `at file:line:col`.
pub(crate) fn parse(text: &str) -> Vec<Frame> {
    let mut frames: Vec<Frame> = Vec::new();
    for raw in text.lines() {
        let line = raw.trim_start();
        if line.is_empty() {
            continue;
        }
        if let Some(location) = line.strip_prefix("at ") {
            if let Some(frame) = frames.last_mut() {
                let (file, line) = split_location(location);
                frame.file = Some(file.to_owned());
                frame.line = line;
            }
            continue;
        }
        let function = match line.split_once(": ") {
            Some((n, rest)) if n.chars().all(|c| c.is_ascii_digit()) => rest,
            _ => line,
        };
        frames.push(Frame {
            function: function.to_owned(),
            file: None,
            line: None,
        });
    }
    frames
}

/// `path/to/file.rs:12:5` into the path and line.
fn split_location(location: &str) -> (&str, Option<u32>) {
    let mut parts = location.rsplitn(3, ':');
    let last = parts.next();
    let middle = parts.next();
    let rest = parts.next();
    match (rest, middle, last) {
        (Some(file), Some(line), Some(_col)) => (file, line.parse().ok()),
        (None, Some(file), Some(line)) => (file, line.parse().ok()),
        _ => (location, None),
    }
}

/// Drops the frames above the failure: the capture itself, the panic machinery and the
/// conversion into `flask::Error`, which top every captured backtrace.
pub(crate) fn trim_capture(frames: Vec<Frame>) -> Vec<Frame> {
    // Only the run at the top: further down, the same functions belong to other code
    // (the dispatcher's catch_unwind, for one).
    frames
        .into_iter()
        .skip_while(is_capture_machinery)
        .collect()
}

/// A frame of the capture, the panic machinery or the conversion into `flask::Error`.
pub(crate) fn is_capture_machinery(frame: &Frame) -> bool {
    let f = frame.function.as_str();
    f.starts_with("std::backtrace")
        || f.starts_with("core::bool::<impl bool>::then")
        || f.starts_with("<core::result::Result<T,F> as core::ops::try_trait::FromResidual")
        || f.starts_with("std::panicking")
        || f.starts_with("std::sys::backtrace")
        || f.starts_with("std::panic::")
        || f.starts_with("core::panicking")
        || f.starts_with("core::panic::")
        || f.starts_with("__rustc")
        || f.starts_with("rust_begin_unwind")
        || f.starts_with("flask::dev::")
        || f.starts_with("flask::error::")
        || f.starts_with("<flask::error::Error as core::convert::From")
        || f.starts_with("<T as core::convert::Into")
        || f.contains("core::ops::function::Fn")
            && frame.file.as_deref().is_some_and(|p| p.contains("/rustc/"))
}

/// The file of `frame` when it is one of the app's own sources (under `root`, outside
/// cargo's registry and the standard library), resolved against the working directory.
pub(crate) fn app_source(frame: &Frame, root: &Path) -> Option<PathBuf> {
    let file = frame.file.as_deref()?;
    if file.contains("/.cargo/registry/") || file.starts_with("/rustc/") {
        return None;
    }
    if frame.function.starts_with("flask::") || frame.function.starts_with("<flask::") {
        return None;
    }
    let path = Path::new(file);
    let path = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    let path = path.canonicalize().ok()?;
    let root = root.canonicalize().ok()?;
    path.starts_with(&root).then_some(path)
}

/// Lines `line - around ..= line + around` of `path`, numbered from 1.
pub(crate) fn source_lines(path: &Path, line: u32, around: u32) -> Vec<(u32, String)> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let first = line.saturating_sub(around).max(1);
    let last = line.saturating_add(around);
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let n = u32::try_from(i + 1).ok()?;
            (first..=last).contains(&n).then(|| (n, l.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "   0: std::backtrace::Backtrace::force_capture
             at /rustc/abc/library/std/src/backtrace.rs:312:13
   1: flask::dev::backtrace::capture
             at ./crates/flask/src/dev/backtrace.rs:20:5
      hello::divide::{{closure}}
             at ./examples/hello/src/main.rs:41:13
   2: <unknown>
   3: tokio::runtime::task::raw::poll
             at /root/.cargo/registry/src/index.crates.io-1/tokio-1.48.0/src/runtime/task/raw.rs:255:5
";

    #[test]
    fn parses_numbered_and_inlined_symbols() {
        let frames = parse(SAMPLE);
        assert_eq!(frames.len(), 5);
        assert_eq!(frames[2].function, "hello::divide::{{closure}}");
        assert_eq!(
            frames[2].file.as_deref(),
            Some("./examples/hello/src/main.rs")
        );
        assert_eq!(frames[2].line, Some(41));
        assert_eq!(frames[3].function, "<unknown>");
        assert_eq!(frames[3].file, None);
        assert!(is_capture_machinery(&frames[0]));
        assert!(is_capture_machinery(&frames[1]));
        assert!(!is_capture_machinery(&frames[2]));
        let trimmed = trim_capture(frames);
        assert_eq!(trimmed[0].function, "hello::divide::{{closure}}");
    }

    #[test]
    fn only_files_under_the_root_are_the_apps() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let here = Frame {
            function: "demo::view".to_owned(),
            file: Some(concat!(env!("CARGO_MANIFEST_DIR"), "/src/dev/backtrace.rs").to_owned()),
            line: Some(1),
        };
        assert!(app_source(&here, root).is_some());
        let registry = Frame {
            file: Some(
                "/root/.cargo/registry/src/index.crates.io-1/tokio-1.48.0/src/lib.rs".to_owned(),
            ),
            ..here.clone()
        };
        assert!(app_source(&registry, root).is_none());
        let ours = Frame {
            function: "flask::dispatch::dispatch".to_owned(),
            ..here.clone()
        };
        assert!(app_source(&ours, root).is_none());
        let lines = source_lines(app_source(&here, root).as_deref().unwrap(), 2, 1);
        assert_eq!(lines.first().map(|l| l.0), Some(1));
        assert_eq!(lines.len(), 3);
    }
}
