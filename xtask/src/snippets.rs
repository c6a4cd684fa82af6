//! `cargo xtask snippets [--fix]`: the code shown in the guide is the code of the examples.
//!
//! A fenced block in `README.md` or `docs/*.md` right after a marker line
//!
//! ```text
//! <!-- snippet: examples/flaskr/src/auth.rs#register -->
//! ```
//!
//! must hold the lines between `ANCHOR: register` and `ANCHOR_END: register` in that file
//! (the anchors are comments: `// ANCHOR: x` in Rust, `{# ANCHOR: x #}` in templates; other
//! anchor lines inside the region are left out), or the whole file without `#name`. The
//! check fails on any difference; `--fix` rewrites the blocks from the sources.

use std::process::ExitCode;

use crate::process::workspace_root;

const HELP: &str = "\
cargo xtask snippets [--fix]

Checks that every code block of README.md and docs/*.md marked `<!-- snippet: PATH#ANCHOR -->` holds the
lines between `ANCHOR: ANCHOR` and `ANCHOR_END: ANCHOR` of PATH (or all of PATH), so the
guide cannot drift from the examples. --fix rewrites the blocks from the sources.
test-all runs the check first.";

const MARKER: &str = "<!-- snippet: ";

pub(crate) fn run(words: &[String]) -> ExitCode {
    let mut fix = false;
    let parsed = crate::args::parse_options("snippets", HELP, words.to_vec(), |_, option| {
        fix |= option == "--fix";
        Ok(option == "--fix")
    });
    if let Err(code) = parsed {
        return code;
    }
    let root = workspace_root();
    let docs = root.join("docs");
    let mut pages: Vec<_> = match std::fs::read_dir(&docs) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
            .collect(),
        Err(e) => {
            eprintln!("xtask snippets: reading {}: {e}", docs.display());
            return ExitCode::FAILURE;
        }
    };
    pages.sort();
    pages.insert(0, root.join("README.md"));
    let (mut checked, mut problems) = (0, Vec::new());
    for page in pages {
        let text = match std::fs::read_to_string(&page) {
            Ok(t) => t,
            Err(e) => {
                problems.push(format!("{}: {e}", page.display()));
                continue;
            }
        };
        let name = page
            .strip_prefix(&root)
            .unwrap_or(&page)
            .display()
            .to_string();
        match sync(&text, |path| std::fs::read_to_string(root.join(path))) {
            Ok((fixed, report)) => {
                checked += report.checked;
                if report.stale.is_empty() {
                    continue;
                }
                if fix {
                    if let Err(e) = std::fs::write(&page, fixed) {
                        problems.push(format!("{name}: {e}"));
                    } else {
                        for s in &report.stale {
                            println!("snippets: {name}: rewrote {s}");
                        }
                    }
                } else {
                    for s in report.stale {
                        problems.push(format!(
                            "{name}: the block of `{s}` differs from its source \
                             (cargo xtask snippets --fix rewrites it)"
                        ));
                    }
                }
            }
            Err(e) => problems.push(format!("{name}: {e}")),
        }
    }
    if problems.is_empty() {
        println!("snippets: {checked} blocks match their sources");
        ExitCode::SUCCESS
    } else {
        for p in &problems {
            eprintln!("snippets: {p}");
        }
        ExitCode::FAILURE
    }
}

/// What [`sync`] found.
#[derive(Debug, Default)]
struct Report {
    /// Marked blocks.
    checked: usize,
    /// The markers (`path#anchor`) whose block differed.
    stale: Vec<String>,
}

/// The page with every marked block replaced by its source's lines, and which differed.
fn sync(
    page: &str,
    read: impl Fn(&str) -> std::io::Result<String>,
) -> Result<(String, Report), String> {
    let lines: Vec<&str> = page.split_inclusive('\n').collect();
    let mut out = String::with_capacity(page.len());
    let mut report = Report::default();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        out.push_str(line);
        i += 1;
        let Some(spec) = line
            .trim()
            .strip_prefix(MARKER)
            .and_then(|s| s.strip_suffix("-->"))
            .map(str::trim)
        else {
            continue;
        };
        let at = i;
        let fence = lines
            .get(i)
            .map(|l| l.trim_end())
            .filter(|l| l.starts_with("```"))
            .ok_or_else(|| format!("line {at}: `{spec}` is not followed by a ``` block"))?;
        out.push_str(lines[i]);
        i += 1;
        let start = i;
        while i < lines.len() && lines[i].trim_end() != "```" {
            i += 1;
        }
        if i == lines.len() {
            return Err(format!(
                "line {at}: the block of `{spec}` ({fence}) never ends"
            ));
        }
        let shown: String = lines[start..i].concat();
        let (path, anchor) = match spec.split_once('#') {
            Some((p, a)) => (p, Some(a)),
            None => (spec, None),
        };
        let source = read(path).map_err(|e| format!("line {at}: {path}: {e}"))?;
        let wanted = region(&source, anchor).map_err(|e| format!("line {at}: {path}: {e}"))?;
        report.checked += 1;
        if shown != wanted {
            report.stale.push(spec.to_owned());
        }
        out.push_str(&wanted);
        // The closing fence.
        out.push_str(lines[i]);
        i += 1;
    }
    Ok((out, report))
}

/// Whether `line` is an anchor comment (`ANCHOR: x` or `ANCHOR_END: x`), and its name.
fn anchor_of(line: &str) -> Option<(bool, &str)> {
    let (end, rest) = if let Some((_, rest)) = line.split_once("ANCHOR_END:") {
        (true, rest)
    } else {
        (false, line.split_once("ANCHOR:")?.1)
    };
    let name = rest
        .trim()
        .trim_end_matches("#}")
        .trim_end_matches("-->")
        .trim();
    Some((end, name))
}

/// The lines of `source` between the anchors `name` (all of it without a name), anchor
/// lines left out, with a final newline.
fn region(source: &str, name: Option<&str>) -> Result<String, String> {
    let mut out = String::new();
    let mut inside = name.is_none();
    let mut found = name.is_none();
    for line in source.split_inclusive('\n') {
        match anchor_of(line) {
            Some((false, n)) if Some(n) == name => {
                inside = true;
                found = true;
            }
            Some((true, n)) if Some(n) == name => inside = false,
            Some(_) => {}
            None if inside => out.push_str(line),
            None => {}
        }
    }
    match name {
        Some(n) if !found => Err(format!("no `ANCHOR: {n}`")),
        Some(n) if inside => Err(format!("`ANCHOR: {n}` has no `ANCHOR_END: {n}`")),
        _ => {
            if !out.ends_with('\n') {
                out.push('\n');
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{region, sync};

    const SOURCE: &str = "\
use a;
// ANCHOR: one
fn one() {}
// ANCHOR: inner
fn inner() {}
// ANCHOR_END: inner
// ANCHOR_END: one
{# ANCHOR: tpl #}
<p>{{ x }}</p>
{# ANCHOR_END: tpl #}
";

    #[test]
    fn regions_leave_the_anchor_lines_out() {
        assert_eq!(
            region(SOURCE, Some("one")).unwrap(),
            "fn one() {}\nfn inner() {}\n"
        );
        assert_eq!(region(SOURCE, Some("inner")).unwrap(), "fn inner() {}\n");
        assert_eq!(region(SOURCE, Some("tpl")).unwrap(), "<p>{{ x }}</p>\n");
        assert_eq!(
            region(SOURCE, None).unwrap(),
            "use a;\nfn one() {}\nfn inner() {}\n<p>{{ x }}</p>\n"
        );
        assert!(region(SOURCE, Some("missing")).is_err());
        assert!(region("// ANCHOR: open\nx\n", Some("open")).is_err());
    }

    #[test]
    fn a_stale_block_is_reported_and_fixed() {
        let page = "Text\n<!-- snippet: src/a.rs#inner -->\n```rust\nfn old() {}\n```\nmore\n";
        let (fixed, report) = sync(page, |_| Ok(SOURCE.to_owned())).unwrap();
        assert_eq!(report.checked, 1);
        assert_eq!(report.stale, ["src/a.rs#inner"]);
        assert_eq!(
            fixed,
            "Text\n<!-- snippet: src/a.rs#inner -->\n```rust\nfn inner() {}\n```\nmore\n"
        );
        let (again, report) = sync(&fixed, |_| Ok(SOURCE.to_owned())).unwrap();
        assert!(report.stale.is_empty());
        assert_eq!(again, fixed);
    }

    #[test]
    fn a_marker_without_a_block_is_an_error() {
        let page = "<!-- snippet: src/a.rs#one -->\ntext\n";
        assert!(sync(page, |_| Ok(SOURCE.to_owned())).is_err());
        let page = "<!-- snippet: src/a.rs#one -->\n```rust\nfn x() {}\n";
        assert!(sync(page, |_| Ok(SOURCE.to_owned())).is_err());
    }

    #[test]
    fn the_guide_matches_the_examples() {
        // The same check as `cargo xtask snippets`, on the real pages.
        let root = crate::process::workspace_root();
        let page = std::fs::read_to_string(root.join("docs/tutorial.md")).unwrap();
        let (_, report) = sync(&page, |p| {
            assert!(root.join(p).is_file(), "{p}");
            std::fs::read_to_string(root.join(p))
        })
        .unwrap();
        assert!(report.checked > 10, "{report:?}");
        assert!(report.stale.is_empty(), "stale: {:?}", report.stale);
    }
}
