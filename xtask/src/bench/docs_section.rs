//! Results written into `docs/performance.md` between a pair of markers, so a re-run
//! replaces its own part of the page and leaves the prose around it alone.

use std::fs;
use std::path::PathBuf;

use crate::process::workspace_root;

/// `docs/performance.md`.
pub(super) fn performance_page() -> PathBuf {
    workspace_root().join("docs").join("performance.md")
}

/// The markers of the section `name`, written by `cargo xtask {command}`.
fn markers(name: &str, command: &str) -> (String, String) {
    (
        format!("<!-- {name}-results:begin (written by cargo xtask {command}) -->"),
        format!("<!-- {name}-results:end -->"),
    )
}

/// `page` with `body` between the markers of `name`; appended at the end when the page has
/// no such markers yet.
fn replaced(page: &str, name: &str, command: &str, body: &str) -> String {
    let (begin, end) = markers(name, command);
    let section = format!("{begin}\n\n{}\n\n{end}", body.trim_end());
    match (page.find(&begin), page.find(&end)) {
        (Some(b), Some(e)) if b < e => {
            format!("{}{section}{}", &page[..b], &page[e + end.len()..])
        }
        _ => format!("{}\n\n{section}\n", page.trim_end()),
    }
}

/// Writes `body` into `docs/performance.md` between the markers of `name`.
pub(super) fn write_section(name: &str, command: &str, body: &str) -> Result<(), String> {
    let page = performance_page();
    let text =
        fs::read_to_string(&page).map_err(|e| format!("cannot read {}: {e}", page.display()))?;
    fs::write(&page, replaced(&text, name, command, body))
        .map_err(|e| format!("cannot write {}: {e}", page.display()))?;
    println!("{command}: {name} results written to {}", page.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rerun_replaces_only_its_own_section() {
        let page = "# Page\n\nprose\n";
        let once = replaced(page, "soak", "soak", "| a |\n");
        assert_eq!(
            once,
            "# Page\n\nprose\n\n<!-- soak-results:begin (written by cargo xtask soak) -->\n\n\
             | a |\n\n<!-- soak-results:end -->\n"
        );
        let with_more = format!("{once}\nafter\n");
        let twice = replaced(&with_more, "soak", "soak", "| b |");
        assert!(
            twice.contains("| b |") && !twice.contains("| a |"),
            "{twice}"
        );
        assert!(twice.starts_with("# Page\n\nprose\n") && twice.ends_with("\nafter\n"));
        let other = replaced(&twice, "compile", "bench", "| c |");
        assert!(
            other.contains("| b |") && other.contains("| c |"),
            "{other}"
        );
    }
}
