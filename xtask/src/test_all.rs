//! `cargo xtask test-all [--require-services]`: every check CI runs, in the order that fails
//! fastest, stopping at the first failure, then a summary of what ran and what was skipped.

use std::env;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use crate::args::Args;
use crate::process::{cargo, describe};
use crate::services::{Browser, Probe, probe_all};

const HELP: &str = "\
cargo xtask test-all [--require-services]

Runs, stopping at the first failure:
  0. cargo xtask snippets                           (the guide's code is the examples')
  0. cargo xtask guides                             (the crates' guide modules are docs/)
  1. cargo fmt --all -- --check
  2. cargo clippy --workspace --all-targets -- -D warnings
  3. cargo nextest run --workspace --no-fail-fast   (cargo test --workspace without nextest)
  4. cargo test --workspace --doc
  5. cargo doc --workspace --no-deps                 (RUSTDOCFLAGS=-D warnings)
  6. cargo xtask fuzz-api --debug --max-examples 25  (schemathesis against examples/rest-orm;
                                                     skipped when it cannot be installed,
                                                     unless services are required)

PostgreSQL (127.0.0.1:5432), MariaDB/MySQL (127.0.0.1:3306), Redis (127.0.0.1:6379) and
RabbitMQ (127.0.0.1:5672) are probed first; each one that answers is handed to the tests
through FLASK_TEST_POSTGRES_URL, FLASK_TEST_MYSQL_URL, FLASK_TEST_REDIS_URL and
FLASK_TEST_AMQP_URL (a value already set is kept, and its host probed).
Those that do not answer are skipped, and the summary says so.

Options:
  --require-services   a service that does not answer is a failure (CI uses this); also sets
                       FLASK_TEST_REQUIRE_SERVICES=1 so tests refuse to skip";

/// One check, with a hint for when it fails.
struct Step {
    name: &'static str,
    command: Command,
    hint: &'static str,
}

enum Outcome {
    Passed(Duration),
    Failed(Duration),
    NotRun,
}

pub(crate) fn run(words: Vec<String>) -> ExitCode {
    let require_services = match parse(words) {
        Ok(Some(require)) => require,
        Ok(None) => {
            println!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("xtask test-all: {message}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };

    let probes = probe_all();
    let browser = Browser::probe();
    println!("test-all: test backends");
    println!("  sqlite (embedded)");
    for probe in &probes {
        println!("  {}", probe.summary_line());
    }
    println!("  {}", browser.summary_line());

    if require_services {
        let down: Vec<&Probe> = probes.iter().filter(|probe| !probe.is_up()).collect();
        for probe in &down {
            let why = probe.answer.as_ref().err().map_or("", String::as_str);
            eprintln!(
                "test-all --require-services: {} is not answering ({why}): \
                 run ../shared/services.sh or start it yourself",
                probe.service.name
            );
        }
        if !browser.is_found() {
            eprintln!(
                "test-all --require-services: the browser tests need chromium and chromedriver: \
                 apt-get install -y chromium chromium-driver"
            );
        }
        if !down.is_empty() || !browser.is_found() {
            return ExitCode::FAILURE;
        }
    }

    let mut steps = plan(require_services);
    for step in &mut steps {
        for probe in &probes {
            if probe.is_up() {
                step.command.env(probe.service.env_var, &probe.url);
            } else {
                // A URL the user set that does not answer would fail every test using it;
                // skipping it is what the summary reports.
                step.command.env_remove(probe.service.env_var);
            }
        }
        if require_services {
            step.command.env("FLASK_TEST_REQUIRE_SERVICES", "1");
        }
    }

    let mut outcomes = Vec::with_capacity(steps.len());
    let mut failed = None;
    for step in &mut steps {
        if failed.is_some() {
            outcomes.push(Outcome::NotRun);
            continue;
        }
        println!("\ntest-all: [{}] {}", step.name, describe(&step.command));
        let started = Instant::now();
        let status = step.command.status();
        let took = started.elapsed();
        match status {
            Ok(status) if status.success() => outcomes.push(Outcome::Passed(took)),
            Ok(status) => {
                eprintln!(
                    "\ntest-all: step `{}` FAILED ({status}): {}\n  {}",
                    step.name,
                    describe(&step.command),
                    step.hint
                );
                outcomes.push(Outcome::Failed(took));
                failed = Some(step.name);
            }
            Err(err) => {
                eprintln!(
                    "\ntest-all: step `{}` could not start `{}`: {err}",
                    step.name,
                    describe(&step.command)
                );
                outcomes.push(Outcome::Failed(took));
                failed = Some(step.name);
            }
        }
    }

    print_summary(&steps, &outcomes, &probes, &browser, require_services);
    match failed {
        None => {
            println!("test-all: ok");
            ExitCode::SUCCESS
        }
        Some(name) => {
            println!("test-all: FAILED at `{name}`");
            ExitCode::FAILURE
        }
    }
}

/// `Some(require_services)`, or `None` for `--help`.
fn parse(words: Vec<String>) -> Result<Option<bool>, String> {
    let mut args = Args::new(words);
    let mut require_services = false;
    while let Some(option) = args.next_option()? {
        match option.as_str() {
            "--require-services" => require_services = true,
            "--help" | "-h" => return Ok(None),
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    Ok(Some(require_services))
}

fn plan(require_services: bool) -> Vec<Step> {
    let (tests_name, tests) = if has_nextest() {
        (
            "tests (nextest)",
            cargo(["nextest", "run", "--workspace", "--no-fail-fast"]),
        )
    } else {
        ("tests (cargo test)", cargo(["test", "--workspace"]))
    };
    let mut doc = cargo(["doc", "--workspace", "--no-deps"]);
    let rustdocflags = match env::var("RUSTDOCFLAGS") {
        Ok(flags) if !flags.trim().is_empty() => format!("{flags} -D warnings"),
        _ => "-D warnings".to_owned(),
    };
    doc.env("RUSTDOCFLAGS", rustdocflags);
    // This same xtask binary, for the snippet check.
    let mut snippets = Command::new(env::current_exe().unwrap_or_else(|_| "xtask".into()));
    snippets.arg("snippets");
    let mut guides = Command::new(env::current_exe().unwrap_or_else(|_| "xtask".into()));
    guides.arg("guides");
    let mut fuzz = Command::new(env::current_exe().unwrap_or_else(|_| "xtask".into()));
    fuzz.args(["fuzz-api", "--debug", "--max-examples", "25"]);
    if !require_services {
        fuzz.arg("--skip-without-schemathesis");
    }
    vec![
        Step {
            name: "snippets",
            command: snippets,
            hint: "run `cargo xtask snippets --fix` after changing quoted code, and check the prose",
        },
        Step {
            name: "guides",
            command: guides,
            hint: "run `cargo xtask guides --fix` after changing docs/ (the crates include a copy for docs.rs)",
        },
        Step {
            name: "fmt",
            command: cargo(["fmt", "--all", "--", "--check"]),
            hint: "run `cargo fmt --all` to fix the formatting",
        },
        Step {
            name: "clippy",
            command: cargo([
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
            hint: "fix the warnings above: clippy runs with -D warnings",
        },
        Step {
            name: tests_name,
            command: tests,
            hint: "see the failing tests above",
        },
        Step {
            // nextest does not run doc tests, so they run on their own (with cargo test too,
            // harmlessly twice).
            name: "doc tests",
            command: cargo(["test", "--workspace", "--doc"]),
            hint: "see the failing doc tests above",
        },
        Step {
            name: "doc",
            command: doc,
            hint: "fix the rustdoc warnings above (broken links, missing docs, bad HTML)",
        },
        Step {
            name: "fuzz-api",
            command: fuzz,
            hint: "rerun with `cargo xtask fuzz-api --debug --seed N` (the seed is in schemathesis's report)",
        },
    ]
}

fn has_nextest() -> bool {
    cargo(["nextest", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn print_summary(
    steps: &[Step],
    outcomes: &[Outcome],
    probes: &[Probe],
    browser: &Browser,
    require_services: bool,
) {
    let width = steps.iter().map(|step| step.name.len()).max().unwrap_or(0);
    println!("\n==== test-all summary ====");
    for (step, outcome) in steps.iter().zip(outcomes) {
        let (result, took) = match outcome {
            Outcome::Passed(took) => ("ok", format!("{:>7.1}s", took.as_secs_f64())),
            Outcome::Failed(took) => ("FAILED", format!("{:>7.1}s", took.as_secs_f64())),
            Outcome::NotRun => ("not run", String::new()),
        };
        let line = format!("  {:<width$}  {result:<7}  {took}", step.name);
        println!("{}", line.trim_end());
    }
    println!("backends handed to the tests (FLASK_TEST_*_URL):");
    println!("  sqlite (embedded)");
    for probe in probes {
        println!("  {}", probe.summary_line());
    }
    println!("{}", browser.summary_line());
    if require_services {
        println!("services: required (--require-services)");
    }
    println!("==========================");
}
