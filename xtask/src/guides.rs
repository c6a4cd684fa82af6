//! `cargo xtask guides [--fix]`: the guide in `docs/` as each crate's `guide` module.
//!
//! docs.rs shows a crate's documentation, so each crate includes its pages of the guide
//! (`flask::guide::routing`, `flask_login::guide`...), as axum includes its `docs/`. A crate
//! can only include files inside its own folder (`cargo package` leaves the rest out), and
//! the pages' links and code blocks are written for GitHub, so this command writes a copy of
//! each page into `crates/<crate>/guide/`, made for rustdoc:
//!
//! - a link to another page of the same crate becomes an intra-doc link
//!   (`routing.md#endpoints` -> `crate::guide::routing#endpoints`), one to another crate's
//!   page a docs.rs link, and one to any other file of the repository (an example, an image)
//!   a link to the repository;
//! - a block quoted from an example (after `<!-- snippet: .. -->`) is marked `ignore`: the
//!   example compiles and tests it; every other `rust` block stays a doc test;
//! - a fence without a language becomes `text` (rustdoc would compile it as Rust).
//!
//! Without `--fix` the command checks that the copies are up to date (test-all runs it).

use std::path::Path;
use std::process::ExitCode;

use crate::process::workspace_root;

const HELP: &str = "\
cargo xtask guides [--fix]

Checks that crates/<crate>/guide/*.md, the copies of docs/*.md each crate includes as its
`guide` module for docs.rs, are what docs/ makes of them (links rewritten for rustdoc, quoted
blocks marked `ignore`). --fix writes them. test-all runs the check.";

/// Where the repository is, for links to its other files.
const REPOSITORY: &str = "https://github.com/flask-rs/flask";

/// The pages of the extension crates; every other page is the core's (`flask`).
const EXTENSION_PAGES: [(&str, &str); 8] = [
    ("orm", "flask-sqlalchemy"),
    ("migrations", "flask-migrate"),
    ("login", "flask-login"),
    ("forms", "flask-wtf"),
    ("rest", "flask-restful"),
    ("security-headers", "flask-talisman"),
    ("admin", "flask-admin"),
    ("tasks", "flask-tasks"),
];

/// The crate whose `guide` holds `page` (a file stem of docs/).
pub(crate) fn crate_of(page: &str) -> &'static str {
    EXTENSION_PAGES
        .iter()
        .find(|(p, _)| *p == page)
        .map_or("flask", |(_, c)| c)
}

/// The module path of `page` inside its crate: `guide::routing` (the core's index is `guide`
/// itself, and an extension's one page is its `guide`).
pub(crate) fn module_of(page: &str) -> String {
    if page == "index" || crate_of(page) != "flask" {
        "guide".to_owned()
    } else {
        format!("guide::{}", page.replace('-', "_"))
    }
}

pub(crate) fn run(words: &[String]) -> ExitCode {
    let mut fix = false;
    let parsed = crate::args::parse_options("guides", HELP, words.to_vec(), |_, option| {
        fix |= option == "--fix";
        Ok(option == "--fix")
    });
    if let Err(code) = parsed {
        return code;
    }
    let root = workspace_root();
    let mut pages: Vec<String> = match std::fs::read_dir(root.join("docs")) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
            .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .collect(),
        Err(e) => {
            eprintln!("xtask guides: reading docs/: {e}");
            return ExitCode::FAILURE;
        }
    };
    pages.sort();
    let mut problems = Vec::new();
    let mut files: Vec<(std::path::PathBuf, String)> = modules(&pages)
        .into_iter()
        .map(|(krate, text)| (root.join("crates").join(krate).join("src/guide.rs"), text))
        .collect();
    for page in &pages {
        let source = root.join("docs").join(format!("{page}.md"));
        let target = root
            .join("crates")
            .join(crate_of(page))
            .join("guide")
            .join(format!("{page}.md"));
        let text = match std::fs::read_to_string(&source) {
            Ok(t) => t,
            Err(e) => {
                problems.push(format!("docs/{page}.md: {e}"));
                continue;
            }
        };
        files.push((target, for_rustdoc(page, &text)));
    }
    for (target, wanted) in files {
        let current = std::fs::read_to_string(&target).unwrap_or_default();
        if current == wanted {
            continue;
        }
        let shown = target.strip_prefix(&root).unwrap_or(&target).display();
        if fix {
            let written = target
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::write(&target, &wanted));
            match written {
                Ok(()) => println!("guides: wrote {shown}"),
                Err(e) => problems.push(format!("{shown}: {e}")),
            }
        } else {
            problems.push(format!(
                "{shown} is not what docs/ makes of it (cargo xtask guides --fix writes it)"
            ));
        }
    }
    if problems.is_empty() {
        println!(
            "guides: {} pages are in their crates' guide modules",
            pages.len()
        );
        ExitCode::SUCCESS
    } else {
        for p in &problems {
            eprintln!("guides: {p}");
        }
        ExitCode::FAILURE
    }
}

/// Each crate's `src/guide.rs`: the module that includes its pages.
fn modules(pages: &[String]) -> Vec<(&'static str, String)> {
    const HEADER: &str = "// Written by `cargo xtask guides` from docs/: edit the pages there, then run it with --fix.\n";
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for page in pages {
        let krate = crate_of(page);
        let at = match out.iter().position(|(k, _)| *k == krate) {
            Some(at) => at,
            None => {
                out.push((krate, HEADER.to_owned()));
                out.len() - 1
            }
        };
        let text = &mut out[at].1;
        let module = module_of(page);
        match module.strip_prefix("guide::") {
            None => {
                let doc = format!("#![doc = include_str!(\"../guide/{page}.md\")]\n");
                // The module's own page first, then its children.
                let after_header = HEADER.len();
                text.insert_str(after_header, &doc);
            }
            Some(child) => text.push_str(&format!(
                "\n#[doc = include_str!(\"../guide/{page}.md\")]\npub mod {child} {{}}\n"
            )),
        }
    }
    out
}

/// `text`, the page `page` of docs/, as its crate's rustdoc includes it.
pub(crate) fn for_rustdoc(page: &str, text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 256);
    let mut in_block = false;
    let mut after_snippet = false;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```") {
            let indent = &line[..line.len() - trimmed.len()];
            let info = info.trim_end();
            if in_block {
                in_block = false;
                out.push_str(line);
                continue;
            }
            in_block = true;
            let info = if info.is_empty() {
                "text".to_owned()
            } else if after_snippet && (info == "rust" || info.starts_with("rust,")) {
                format!("{info},ignore")
            } else {
                info.to_owned()
            };
            after_snippet = false;
            out.push_str(indent);
            out.push_str("```");
            out.push_str(&info);
            out.push('\n');
            continue;
        }
        if in_block {
            out.push_str(line);
            continue;
        }
        after_snippet = trimmed.starts_with("<!-- snippet: ");
        out.push_str(&rewrite_links(page, line));
    }
    out.push_str(&format!(
        "\n---\n\n*This page is [`docs/{page}.md`]({REPOSITORY}/blob/main/docs/{page}.md) of the repository.*\n"
    ));
    out
}

/// The line with every markdown link target `](..)` rewritten for rustdoc.
fn rewrite_links(page: &str, line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find("](") {
        let (before, after) = rest.split_at(at + 2);
        out.push_str(before);
        let Some(end) = after.find(')') else {
            rest = after;
            break;
        };
        let target = &after[..end];
        let image = before[..before.len() - 2]
            .rfind('[')
            .is_some_and(|open| before[..open].ends_with('!'));
        out.push_str(&link_for(page, target, image));
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Where a link `target` written in docs/`page`.md points, for rustdoc.
fn link_for(page: &str, target: &str, image: bool) -> String {
    if target.is_empty()
        || target.starts_with('#')
        || target.contains("://")
        || target.starts_with("mailto:")
    {
        return target.to_owned();
    }
    let (path, anchor) = match target.split_once('#') {
        Some((p, a)) => (p, format!("#{a}")),
        None => (target, String::new()),
    };
    // Another page of the guide.
    if let Some(other) = path.strip_suffix(".md").filter(|p| !p.contains('/')) {
        let module = module_of(other);
        if crate_of(other) == crate_of(page) {
            return format!("crate::{module}{anchor}");
        }
        let krate = crate_of(other);
        let ident = krate.replace('-', "_");
        let dir = module.replace("::", "/");
        return format!("https://docs.rs/{krate}/latest/{ident}/{dir}/index.html{anchor}");
    }
    // Any other file of the repository, relative to docs/.
    let joined = normalize(&Path::new("docs").join(path));
    let kind = if image { "raw" } else { "blob" };
    format!("{REPOSITORY}/{kind}/main/{joined}{anchor}")
}

/// `path` with `..` and `.` resolved, as a `/`-separated string.
fn normalize(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                parts.pop();
            }
            std::path::Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_point_where_rustdoc_can_follow_them() {
        let line = "See [routing](routing.md#endpoints), [login](login.md), [the app](../examples/flaskr/src/lib.rs) and ![shot](img/debug.png).\n";
        assert_eq!(
            rewrite_links("quickstart", line),
            "See [routing](crate::guide::routing#endpoints), \
             [login](https://docs.rs/flask-login/latest/flask_login/guide/index.html), \
             [the app](https://github.com/flask-rs/flask/blob/main/examples/flaskr/src/lib.rs) and \
             ![shot](https://github.com/flask-rs/flask/raw/main/docs/img/debug.png).\n"
        );
        // From an extension's page, a core page is on docs.rs and its own page is `crate::guide`.
        assert_eq!(
            rewrite_links("login", "[a](index.md) [b](login.md#passwords)"),
            "[a](https://docs.rs/flask/latest/flask/guide/index.html) [b](crate::guide#passwords)"
        );
        assert_eq!(
            rewrite_links("cli", "[x](#y) [z](https://a.b/c.md)"),
            "[x](#y) [z](https://a.b/c.md)"
        );
    }

    #[test]
    fn quoted_blocks_are_left_to_their_examples() {
        let page = "text\n<!-- snippet: examples/a/src/lib.rs#x -->\n```rust\nfn a() {}\n```\n\n```rust\nfn b() {}\n```\n```\n$ cargo run\n```\n";
        let out = for_rustdoc("tutorial", page);
        assert!(out.starts_with(
            "text\n<!-- snippet: examples/a/src/lib.rs#x -->\n```rust,ignore\nfn a() {}\n```\n\n```rust\nfn b() {}\n```\n```text\n$ cargo run\n```\n"
        ), "{out}");
        // A link inside a block is code, left alone.
        let out = for_rustdoc("cli", "```toml\nx = \"](a.md)\"\n```\n");
        assert!(out.starts_with("```toml\nx = \"](a.md)\"\n```\n"), "{out}");
    }
}
