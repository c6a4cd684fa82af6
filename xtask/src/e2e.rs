//! `cargo xtask e2e`: the browser tests alone (every `tests/browser.rs` of the workspace),
//! in headless Chromium through chromedriver, then where their screenshots are.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::process::{cargo, describe, target_dir, workspace_root};
use crate::services::Browser;

const HELP: &str = "\
cargo xtask e2e

Runs every browser test of the workspace (the tests/browser.rs of each package: flaskr,
forms, hello) in headless Chromium through chromedriver, with FLASK_TEST_REQUIRE_SERVICES=1
so a missing browser is a failure, not a skip. Screenshots are written to target/tmp/.
Needs Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver).
test-all runs these tests too, with the rest.";

pub(crate) fn run(words: &[String]) -> ExitCode {
    match words.first().map(String::as_str) {
        None => {}
        Some("--help" | "-h") => {
            println!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprintln!("xtask e2e: unknown option `{other}`\n\n{HELP}");
            return ExitCode::from(2);
        }
    }
    let browser = Browser::probe();
    println!("e2e: {}", browser.summary_line());
    if !browser.is_found() {
        eprintln!("e2e: the browser tests need chromium and chromedriver");
        return ExitCode::FAILURE;
    }
    let packages = match browser_test_packages(&workspace_root()) {
        Ok(p) if !p.is_empty() => p,
        Ok(_) => {
            eprintln!("e2e: no package has a tests/browser.rs");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("e2e: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut command = cargo(["test"]);
    for package in &packages {
        command.args(["-p", package]);
    }
    command
        .args(["--test", "browser", "--", "--nocapture"])
        .env("FLASK_TEST_REQUIRE_SERVICES", "1");
    println!("e2e: {}", describe(&command));
    let ok = matches!(command.status(), Ok(s) if s.success());
    let shots = screenshots(&target_dir().join("tmp"));
    if !shots.is_empty() {
        println!("e2e: screenshots");
        for shot in shots {
            println!("  {}", shot.display());
        }
    }
    if ok {
        println!("e2e: ok ({})", packages.join(", "));
        ExitCode::SUCCESS
    } else {
        println!("e2e: FAILED");
        ExitCode::FAILURE
    }
}

/// The names of the packages under `crates/` and `examples/` that have a
/// `tests/browser.rs`, sorted.
fn browser_test_packages(root: &Path) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for group in ["crates", "examples"] {
        let dir = root.join(group);
        let entries =
            std::fs::read_dir(&dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
        for entry in entries.flatten() {
            let package = entry.path();
            if !package.join("tests").join("browser.rs").is_file() {
                continue;
            }
            let manifest = package.join("Cargo.toml");
            let text = std::fs::read_to_string(&manifest)
                .map_err(|e| format!("reading {}: {e}", manifest.display()))?;
            out.push(
                package_name(&text)
                    .ok_or_else(|| format!("{} has no package name", manifest.display()))?,
            );
        }
    }
    out.sort();
    Ok(out)
}

/// The `name = "..."` of a manifest's `[package]` table.
fn package_name(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package && let Some(value) = line.strip_prefix("name") {
            let value = value.trim_start().strip_prefix('=')?.trim();
            return Some(value.trim_matches('"').to_owned());
        }
    }
    None
}

/// The PNG files in `dir`, sorted.
fn screenshots(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::{browser_test_packages, package_name};

    #[test]
    fn reads_the_package_name() {
        let manifest = "[package]\nname = \"flaskr\"\nversion.workspace = true\n\n[dependencies]\nname = \"x\"\n";
        assert_eq!(package_name(manifest).as_deref(), Some("flaskr"));
        assert_eq!(package_name("[dependencies]\nname = \"x\"\n"), None);
    }

    #[test]
    fn finds_the_browser_tests_of_the_workspace() {
        let root = crate::process::workspace_root();
        let packages = browser_test_packages(&root).unwrap();
        for expected in ["flaskr", "forms", "hello"] {
            assert!(packages.iter().any(|p| p == expected), "{packages:?}");
        }
    }
}
