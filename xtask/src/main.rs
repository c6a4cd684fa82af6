//! The workspace's task runner: `cargo xtask <command>` (alias in `.cargo/config.toml`).
//!
//! Plain Rust with std alone, so it builds in seconds and needs nothing installed but cargo.
//! `cargo xtask --help` lists the commands.

mod args;
mod bench;
mod e2e;
mod fuzz_api;
mod guides;
mod process;
mod services;
mod snippets;
mod test_all;

use std::process::ExitCode;

const HELP: &str = "\
cargo xtask <command> [options]

Commands:
  test-all [--require-services]
      fmt check, clippy (-D warnings), tests (nextest if installed, else cargo test),
      doc tests, rustdoc (-D warnings); stops at the first failure. PostgreSQL, MariaDB
      and Redis are used when they answer on 127.0.0.1; --require-services (CI) makes a
      missing one a failure.
  bench [--duration SECS] [--connections N] [--threads N]
      requests/s of examples/hello against the same routes in plain axum
      (benches/axum-baseline), under wrk; writes target/bench/report.md.
  soak [--minutes N] [--workers N] [--db postgres|sqlite]
      examples/flaskr in release under browser-like load (reads, logins, posts with
      CSRF) for N minutes (default 5) on PostgreSQL: no failed request, no lost post,
      flat RSS after warm-up. Not part of test-all.
  attack [--loads N]
      hostile traffic against release builds of flaskr and rest-orm: N cookieless page
      loads (default 50000) leave RSS flat, a connection that never finishes its headers
      is closed, SIGTERM answers the logins in flight, a 16 MiB form of empty fields is a
      413 with peak RSS growth under 100 MiB. Writes docs/performance.md. Not in test-all.
  e2e
      the browser tests alone (flaskr, forms, hello) in headless Chromium through
      chromedriver; screenshots in target/tmp/. test-all runs them too.
  snippets [--fix]
      checks that the code blocks of docs/*.md marked `<!-- snippet: PATH#ANCHOR -->` are
      the lines of the examples' sources they quote; --fix rewrites them. In test-all.
  guides [--fix]
      checks that each crate's `guide` module (crates/*/guide/*.md, src/guide.rs), the
      guide of docs/ as docs.rs shows it, is what docs/ makes; --fix writes it. In test-all.
  fuzz-api [--max-examples N] [--workers N] [--seed N] [--keep] [-- SCHEMATHESIS ARGS]
      schemathesis (installed from PyPI when missing) against examples/rest-orm built in
      release on a new SQLite database: fails on any 5xx answer. Not part of test-all.

Run `cargo xtask <command> --help` for a command's options.";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let command = args.next();
    let rest: Vec<String> = args.collect();
    match command.as_deref() {
        Some("test-all") => test_all::run(rest),
        Some("bench") => bench::run(rest),
        Some("e2e") => e2e::run(&rest),
        Some("snippets") => snippets::run(&rest),
        Some("guides") => guides::run(&rest),
        Some("fuzz-api") => fuzz_api::run(rest),
        Some("soak") => bench::flaskr::soak_run(rest),
        Some("attack") => bench::attack::attack_run(rest),
        None | Some("help" | "--help" | "-h") => {
            println!("{HELP}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("xtask: unknown command `{other}`\n\n{HELP}");
            ExitCode::from(2)
        }
    }
}
