//! Compile time of `examples/hello` as a user meets it: a clean debug build (every
//! dependency), then the edit-compile loop: `cargo build` and `cargo check` after the app's
//! source changed.
//!
//! The builds use a target directory of their own (`target/bench/compile`), so the clean
//! build is clean and the workspace's own `target/` is left alone. The table goes into
//! `docs/performance.md` too.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use crate::process::{cargo, describe, target_dir, workspace_root};

/// Runs `cargo ARGS` with `target` as the target directory; how long it took.
fn timed(args: &[&str], target: &Path) -> Result<Duration, String> {
    let mut command = cargo(args);
    command.env("CARGO_TARGET_DIR", target);
    println!("bench: {}", describe(&command));
    let started = Instant::now();
    let status = command
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("`cargo {}` failed ({status})", args.join(" ")));
    }
    Ok(started.elapsed())
}

/// Marks `file` as changed (its modification time set to now), as an editor's save does.
fn touch(file: &Path) -> Result<(), String> {
    fs::File::options()
        .append(true)
        .open(file)
        .and_then(|f| f.set_modified(SystemTime::now()))
        .map_err(|e| format!("cannot touch {}: {e}", file.display()))
}

/// The median of three edit-and-rebuild runs of `args`.
fn incremental(args: &[&str], target: &Path, source: &Path) -> Result<Duration, String> {
    let mut runs = Vec::new();
    for _ in 0..3 {
        touch(source)?;
        runs.push(timed(args, target)?);
    }
    runs.sort();
    Ok(runs[1])
}

/// `cargo xtask bench --only compile`: returns its part of the report.
pub(super) fn compile_bench() -> Result<String, String> {
    let target = target_dir().join("bench").join("compile");
    let _ = fs::remove_dir_all(&target);
    let source = workspace_root()
        .join("examples")
        .join("hello")
        .join("src")
        .join("main.rs");
    // Downloads are not compile time: fetch the sources first.
    timed(&["fetch", "--locked"], &target)?;
    let clean = timed(&["build", "-p", "hello"], &target)?;
    let build = incremental(&["build", "-p", "hello"], &target, &source)?;
    let check_clean = timed(&["check", "-p", "hello"], &target)?;
    let check = incremental(&["check", "-p", "hello"], &target, &source)?;
    let release = timed(&["build", "--release", "-p", "hello"], &target)?;
    let size = fs::metadata(target.join("release").join("hello"))
        .map(|m| m.len())
        .unwrap_or(0);
    // Several GiB of build output: not kept.
    let _ = fs::remove_dir_all(&target);

    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let secs = |d: Duration| format!("{:.1} s", d.as_secs_f64());
    let mut out = String::new();
    let _ = writeln!(out, "## Bench: compile time of examples/hello\n");
    let _ = writeln!(
        out,
        "A target directory of its own, {cores} cores. Clean: every dependency built. After \
         an edit: `examples/hello/src/main.rs` saved again, then the command; median of 3.\n"
    );
    let _ = writeln!(out, "| build | time |\n|---|---:|");
    let _ = writeln!(
        out,
        "| `cargo build -p hello`, clean (debug) | {} |",
        secs(clean)
    );
    let _ = writeln!(
        out,
        "| `cargo build -p hello` after an edit | {} |",
        secs(build)
    );
    let _ = writeln!(
        out,
        "| `cargo check -p hello`, first (dependencies' metadata) | {} |",
        secs(check_clean)
    );
    let _ = writeln!(
        out,
        "| `cargo check -p hello` after an edit | {} |",
        secs(check)
    );
    let _ = writeln!(
        out,
        "| `cargo build --release -p hello`, clean | {} |",
        secs(release)
    );
    let _ = writeln!(
        out,
        "| release binary (templates embedded) | {:.1} MiB |",
        size as f64 / 1024.0 / 1024.0
    );
    super::docs_section::write_section(
        "compile",
        "bench",
        &out.replacen("## Bench:", "#### Bench:", 1),
    )?;
    Ok(out)
}
