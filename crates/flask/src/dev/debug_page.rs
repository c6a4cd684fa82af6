//! The debug page, Werkzeug's debugger in Rust terms: the error chain, the backtrace with
//! the app's own frames expanded to their source lines, the template source around a
//! failing line, and the request. Only ever rendered when `DEBUG` is on.

use std::fmt::Write as _;
use std::path::Path;

use super::backtrace::{self, Frame};
use crate::dispatch::Panic;
use crate::error::escape_html as esc;
use crate::templating::TemplateError;
use crate::{Error, RequestContext};

/// Lines of source shown on each side of a failing line.
const CONTEXT_LINES: u32 = 3;
/// Lines of template source shown on each side of a failing template line.
const TEMPLATE_CONTEXT_LINES: u32 = 5;

const STYLE: &str = "
body { font-family: system-ui, sans-serif; margin: 0; background: #fff; color: #000; }
.debugger { margin: 1em 2em; }
h1 { font-size: 1.6em; margin: 0.4em 0; color: #a00; }
h2 { font-size: 1.25em; margin: 1.2em 0 0.4em; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.05em; margin: 1em 0 0.3em; }
p.errormsg { font-family: monospace; font-size: 1.05em; background: #fdecea; padding: 0.6em; }
ol.chain li { font-family: monospace; white-space: pre-wrap; margin: 0.2em 0; }
div.frame { margin: 0.6em 0; border: 1px solid #ddd; }
div.frame h4 { margin: 0; padding: 0.3em 0.5em; background: #f4f4f4; font-weight: normal;
  font-family: monospace; }
pre.source { margin: 0; padding: 0.3em 0; background: #fbfbfb; overflow-x: auto; }
pre.source span.line { display: block; padding: 0 0.5em; }
pre.source span.current { background: #ffe9a8; font-weight: bold; }
details { margin: 0.4em 0; } details ul { font-family: monospace; font-size: 0.9em; }
table { border-collapse: collapse; font-family: monospace; font-size: 0.95em; }
td, th { border: 1px solid #ddd; padding: 0.2em 0.5em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
.note { color: #555; }
#console pre { background: #222; color: #eee; padding: 0.5em; margin: 0.3em 0; min-height: 1em;
  white-space: pre-wrap; }
#console pre .error { color: #f99; } #console-prompt { font-family: monospace; }
#console-prompt input { font-family: monospace; }
.footer { margin-top: 2em; padding-top: 0.6em; border-top: 1px solid #ddd; color: #555;
  font-size: 0.9em; }
";

/// The debug page for `err`, with the request's details when there is a request.
pub(crate) fn render(err: &Error, ctx: Option<&RequestContext>) -> String {
    let chain = err.chain();
    let headline = match err.downcast_ref::<Panic>() {
        Some(_) => "Panic".to_owned(),
        None => format!("{} {}", err.code(), err.name()),
    };
    let message = chain.first().cloned().unwrap_or_else(|| err.to_string());
    let mut page = String::with_capacity(16 * 1024);
    let _ = write!(
        page,
        "<!doctype html>\n<html lang=en>\n<head>\n<meta charset=utf-8>\n\
         <title>{title} // Flask debugger</title>\n<style>{STYLE}</style>\n</head>\n\
         <body>\n<div class=debugger>\n<h1>{headline}</h1>\n<p class=errormsg>{message}</p>\n",
        title = esc(&message),
        headline = esc(&headline),
        message = esc(&message),
    );
    if let Some(panic) = err.downcast_ref::<Panic>()
        && let Some(location) = panic.location()
    {
        let _ = writeln!(
            page,
            "<p>The handler panicked at <code>{}</code>.</p>",
            esc(location)
        );
    }
    error_chain(&mut page, err);
    if let Some(template) = err.downcast_ref::<TemplateError>() {
        template_section(&mut page, template);
    }
    let root = ctx.map_or_else(
        || std::env::current_dir().unwrap_or_default(),
        |c| c.app_inner().root_path.clone(),
    );
    traceback(&mut page, err, &root);
    if let Some(ctx) = ctx
        && let Some(console) = super::debugger::page_console(err, ctx)
    {
        console_section(&mut page, &console);
    }
    if let Some(ctx) = ctx {
        request_section(&mut page, ctx);
        for (title, panel) in &ctx.app_inner().debug_panels {
            panel_section(&mut page, title, &panel(ctx));
        }
    }
    page.push_str(
        "<div class=footer>This page is shown because <code>DEBUG</code> is on. \
         It shows source code, headers and the session: never turn debug mode on where \
         others can reach the server. With <code>DEBUG</code> off, a 500 shows a plain page \
         and the details go to the log.</div>\n</div>\n</body>\n</html>\n",
    );
    page
}

/// The console under the traceback: the PIN form while locked, then the prompt. The
/// script (`/__debugger__/console.js`) does the talking.
fn console_section(page: &mut String, console: &super::debugger::PageConsole) {
    use super::debugger::PageConsole;
    page.push_str("<h2>Console</h2>\n");
    match console {
        PageConsole::Refused(why) => {
            let _ = writeln!(
                page,
                "<p class=note>No console for this request: {}.</p>",
                esc(why)
            );
        }
        PageConsole::Open {
            snapshot,
            secret,
            locked,
        } => {
            let _ = write!(
                page,
                "<div id=console data-snapshot=\"{snapshot}\" data-secret=\"{secret}\" data-locked=\"{locked}\">\n\
                 <p class=note>Jinja expressions, evaluated against this request as it was when it failed: \
                 <code>request</code>, <code>session</code>, <code>g</code>, <code>view_args</code>, \
                 <code>error</code>, <code>config</code>, <code>url_for</code> and what the app and its \
                 extensions add. <code>set x = ..</code> keeps a value; an open bracket continues on the \
                 next line; up and down recall earlier lines.</p>\n\
                 <form id=console-pin{hidden}><label>This console is locked: type the PIN printed where the \
                 server was started <input name=pin autocomplete=off inputmode=numeric></label> \
                 <button>Unlock</button> <span id=console-pin-message role=status></span></form>\n\
                 <pre id=console-output aria-live=polite></pre>\n\
                 <form id=console-prompt{shown}><label><span id=console-ps1>&gt;&gt;&gt;</span> \
                 <input name=cmd autocomplete=off spellcheck=false size=80 aria-label=Expression></label></form>\n\
                 </div>\n<script src=\"/__debugger__/console.js\"></script>\n",
                snapshot = esc(snapshot),
                secret = esc(secret),
                hidden = if *locked { "" } else { " hidden" },
                shown = if *locked { " hidden" } else { "" },
            );
        }
    }
}

fn error_chain(page: &mut String, err: &Error) {
    page.push_str("<h2>Error chain</h2>\n<ol class=chain>\n");
    let mut cur: Option<&(dyn std::error::Error + 'static)> = match err.source() {
        Some(s) => Some(s),
        None => None,
    };
    while let Some(e) = cur {
        // A template error's own Display carries the whole source; its section shows that.
        let text = match e.downcast_ref::<TemplateError>() {
            Some(t) => format!("template error: {}", t.0),
            None => e.to_string(),
        };
        let _ = writeln!(page, "<li>{}</li>", esc(&text));
        cur = e.source();
    }
    page.push_str("</ol>\n");
}

fn template_section(page: &mut String, template: &TemplateError) {
    let e = &template.0;
    let name = e.name().unwrap_or("<unknown template>");
    let _ = write!(page, "<h2>Template <code>{}</code>", esc(name));
    if let Some(line) = e.line() {
        let _ = write!(page, ", line {line}");
    }
    let _ = writeln!(page, "</h2>\n<p>{}</p>", esc(&e.kind().to_string()));
    if let (Some(source), Some(line)) = (e.template_source(), e.line()) {
        let line = u32::try_from(line).unwrap_or(u32::MAX);
        let lines: Vec<(u32, String)> = source
            .lines()
            .enumerate()
            .filter_map(|(i, l)| {
                let n = u32::try_from(i + 1).ok()?;
                (n + TEMPLATE_CONTEXT_LINES >= line && n <= line + TEMPLATE_CONTEXT_LINES)
                    .then(|| (n, l.to_owned()))
            })
            .collect();
        source_block(page, &lines, line);
    }
}

/// Numbered lines, the failing one highlighted.
fn source_block(page: &mut String, lines: &[(u32, String)], current: u32) {
    page.push_str("<pre class=source>");
    for (n, text) in lines {
        let class = if *n == current {
            "line current"
        } else {
            "line"
        };
        let _ = write!(page, "<span class=\"{class}\">{n:>5}  {}</span>", esc(text));
    }
    page.push_str("</pre>\n");
}

fn traceback(page: &mut String, err: &Error, root: &Path) {
    page.push_str("<h2>Backtrace <small class=note>(most recent call first)</small></h2>\n");
    let Some(bt) = err.backtrace() else {
        page.push_str(
            "<p class=note>No backtrace was captured for this error: it did not come from \
             a request handled in debug mode.</p>\n",
        );
        return;
    };
    let mut frames: Vec<Frame> = backtrace::trim_capture(backtrace::parse(&bt.to_string()));
    // Below the dispatcher are only the server and the runtime.
    if let Some(i) = frames
        .iter()
        .position(|f| f.function.starts_with("flask::dispatch::dispatch"))
    {
        frames.truncate(i + 1);
    }
    let mut others: Vec<&Frame> = Vec::new();
    let mut shown_app_frame = false;
    for frame in &frames {
        match backtrace::app_source(frame, root) {
            Some(path) => {
                flush_others(page, &mut others);
                app_frame(page, frame, &path, root);
                shown_app_frame = true;
            }
            None => others.push(frame),
        }
    }
    flush_others(page, &mut others);
    if !shown_app_frame {
        let _ = writeln!(
            page,
            "<p class=note>No frame is in the app's sources under <code>{}</code>. \
             Frames need debug info (the default for <code>cargo run</code>; in release, \
             set <code>debug = \"line-tables-only\"</code> in the profile).</p>",
            esc(&root.display().to_string())
        );
    }
}

fn app_frame(page: &mut String, frame: &Frame, path: &Path, root: &Path) {
    let shown = root
        .canonicalize()
        .ok()
        .and_then(|r| path.strip_prefix(r).ok().map(|p| p.display().to_string()));
    let shown = shown.unwrap_or_else(|| path.display().to_string());
    let line = frame.line.unwrap_or(0);
    let _ = writeln!(
        page,
        "<div class=\"frame app\">\n<h4>{file}, line {line}, in <b>{function}</b></h4>",
        file = esc(&shown),
        function = esc(&frame.function),
    );
    let lines = backtrace::source_lines(path, line, CONTEXT_LINES);
    if !lines.is_empty() {
        source_block(page, &lines, line);
    }
    page.push_str("</div>\n");
}

fn flush_others(page: &mut String, others: &mut Vec<&Frame>) {
    if others.is_empty() {
        return;
    }
    let _ = writeln!(
        page,
        "<details><summary>{} frame{} in libraries and the runtime</summary>\n<ul>",
        others.len(),
        if others.len() == 1 { "" } else { "s" }
    );
    for frame in others.drain(..) {
        let at = match (&frame.file, frame.line) {
            (Some(f), Some(l)) => format!(" at {f}:{l}"),
            (Some(f), None) => format!(" at {f}"),
            _ => String::new(),
        };
        let _ = writeln!(page, "<li>{}{}</li>", esc(&frame.function), esc(&at));
    }
    page.push_str("</ul></details>\n");
}

fn request_section(page: &mut String, ctx: &RequestContext) {
    page.push_str("<h2>Request</h2>\n<table>\n");
    row(page, "Method", ctx.method().as_str());
    row(page, "URL", &ctx.uri().to_string());
    row(page, "Endpoint", ctx.endpoint().unwrap_or("(none matched)"));
    if let Some(rule) = ctx.url_rule() {
        row(page, "Rule", rule);
    }
    let args = ctx.view_args();
    if !args.is_empty() {
        let text = args
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join(", ");
        row(page, "View arguments", &text);
    }
    page.push_str("</table>\n");
    if let Some(debug) = ctx.debug_request() {
        let headers: Vec<(String, String)> = debug
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        table(page, "Headers", &headers, "No headers.");
        let form = debug.form.lock().unwrap_or_else(|e| e.into_inner()).clone();
        table(
            page,
            "Form",
            &form,
            "No form was read (only urlencoded forms read by an extractor are shown).",
        );
    }
    // Looked at without creating one: the page must not change what the request saves.
    match (ctx.session_in_use(), ctx.app_inner().sessions.is_some()) {
        (Some(session), _) => {
            let values: Vec<(String, String)> = session
                .snapshot()
                .into_iter()
                .map(|(k, v)| (k, v.to_string()))
                .collect();
            table(page, "Session", &values, "The session is empty.");
        }
        (None, true) => table(page, "Session", &[], "The session is empty."),
        (None, false) => page.push_str(
            "<h3>Session</h3>\n<p class=note>No session: the app has no SECRET_KEY.</p>\n",
        ),
    }
    let g: Vec<(String, String)> = ctx
        .g_named()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|(k, v)| (k.clone(), v.to_string()))
        .collect();
    if !g.is_empty() {
        table(page, "g", &g, "");
    }
}

fn panel_section(page: &mut String, title: &str, panel: &super::panels::DebugPanel) {
    let _ = writeln!(page, "<h2>{}</h2>", esc(title));
    if let Some(note) = &panel.note {
        let _ = writeln!(page, "<p class=note>{}</p>", esc(note));
    }
    if panel.rows.is_empty() {
        return;
    }
    page.push_str("<table>\n<tr>");
    for h in &panel.headers {
        let _ = write!(page, "<th>{}</th>", esc(h));
    }
    page.push_str("</tr>\n");
    for r in &panel.rows {
        page.push_str("<tr>");
        for cell in r {
            let _ = write!(page, "<td>{}</td>", esc(cell));
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</table>\n");
}

fn row(page: &mut String, name: &str, value: &str) {
    let _ = writeln!(
        page,
        "<tr><th>{}</th><td>{}</td></tr>",
        esc(name),
        esc(value)
    );
}

fn table(page: &mut String, title: &str, rows: &[(String, String)], empty: &str) {
    let _ = writeln!(page, "<h3>{}</h3>", esc(title));
    if rows.is_empty() {
        let _ = writeln!(page, "<p class=note>{}</p>", esc(empty));
        return;
    }
    page.push_str("<table>\n");
    for (k, v) in rows {
        row(page, k, v);
    }
    page.push_str("</table>\n");
}
