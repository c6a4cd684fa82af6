//! `cargo xtask fuzz-api`: schemathesis against `examples/rest-orm`, built in release and
//! served on a free port over a fresh SQLite database; fails when schemathesis finds a
//! request the API answers with a 5xx (or anything else it reports as a failure).

use std::fs::{self, File};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::args::Args;
use crate::process::{cargo, describe, target_dir};

const HELP: &str = "\
cargo xtask fuzz-api [--debug] [--max-examples N] [--workers N] [--seed N] [--keep] [-- SCHEMATHESIS ARGS]

Builds examples/rest-orm in release (in debug with --debug), serves it on 127.0.0.1 (a free port) over a new SQLite
database in target/fuzz-api/, and runs schemathesis (PyPI; installed with
`python3 -m pip install --quiet schemathesis` when missing) against its /openapi.json:

  python3 -m schemathesis.cli run http://127.0.0.1:PORT/openapi.json \\
      --checks not_a_server_error --max-examples N --workers N [--seed N]

Every operation (GET/POST /books, GET/PUT/PATCH/DELETE /books/{id}) is called with
generated arguments and bodies, valid and invalid; any 5xx answer is a failure, and so is
an ERROR line in the server's log (target/fuzz-api/server.log). Prints schemathesis's report
and exits non-zero when it found a failure.

`cargo xtask test-all` runs `fuzz-api --debug --max-examples 25` after the tests, adding
--skip-without-schemathesis unless services are required.

Options:
  --debug            use the debug build (the one the tests built) instead of release
  --skip-without-schemathesis
                     succeed with a notice when schemathesis cannot be installed
  --max-examples N   examples per operation and phase (default 50)
  --workers N        concurrent schemathesis workers (default 1)
  --seed N           schemathesis's random seed, to replay a run
  --keep             keep the database (target/fuzz-api/rest-orm.db) afterwards
  -- ARGS            passed to `schemathesis run` as they are (after the options above)

The inner `cargo build --release` honours CARGO_BUILD_JOBS.";

const HOST: &str = "127.0.0.1";
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

struct Options {
    debug: bool,
    skip_without_schemathesis: bool,
    max_examples: u32,
    workers: u32,
    seed: Option<String>,
    keep: bool,
    extra: Vec<String>,
}

pub(crate) fn run(words: Vec<String>) -> ExitCode {
    let options = match parse(words) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("xtask fuzz-api: {message}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    match fuzz(&options) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("xtask fuzz-api: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `Some(options)`, or `None` for `--help`.
fn parse(mut words: Vec<String>) -> Result<Option<Options>, String> {
    let extra = match words.iter().position(|w| w == "--") {
        Some(at) => {
            let extra = words.split_off(at + 1);
            words.pop();
            extra
        }
        None => Vec::new(),
    };
    let mut options = Options {
        debug: false,
        skip_without_schemathesis: false,
        max_examples: 50,
        workers: 1,
        seed: None,
        keep: false,
        extra,
    };
    let mut args = Args::new(words);
    while let Some(option) = args.next_option()? {
        match option.as_str() {
            "--max-examples" => options.max_examples = args.positive(&option)?,
            "--workers" => options.workers = args.positive(&option)?,
            "--seed" => {
                let seed = args.value(&option)?;
                if seed.parse::<u128>().is_err() {
                    return Err(format!("--seed: expected a whole number, got `{seed}`"));
                }
                options.seed = Some(seed);
            }
            "--keep" => options.keep = true,
            "--debug" => options.debug = true,
            "--skip-without-schemathesis" => options.skip_without_schemathesis = true,
            "--help" | "-h" => return Ok(None),
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    Ok(Some(options))
}

/// Builds, serves, fuzzes. `Ok(false)`: schemathesis found failures.
fn fuzz(options: &Options) -> Result<bool, String> {
    let schemathesis = match Schemathesis::find_or_install() {
        Ok(found) => found,
        Err(message) if options.skip_without_schemathesis => {
            println!("fuzz-api: SKIPPED: {message}");
            return Ok(true);
        }
        Err(message) => return Err(message),
    };
    println!("fuzz-api: {}", schemathesis.version);

    let (mut build, profile) = if options.debug {
        (cargo(["build", "-p", "rest-orm"]), "debug")
    } else {
        (cargo(["build", "--release", "-p", "rest-orm"]), "release")
    };
    println!("fuzz-api: {}", describe(&build));
    let status = build
        .status()
        .map_err(|err| format!("cannot run cargo: {err}"))?;
    if !status.success() {
        return Err(format!("the {profile} build of rest-orm failed ({status})"));
    }
    let binary = target_dir().join(profile).join("rest-orm");

    let dir = target_dir().join("fuzz-api");
    fs::create_dir_all(&dir).map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
    let database = dir.join("rest-orm.db");
    for stale in ["rest-orm.db", "rest-orm.db-wal", "rest-orm.db-shm"] {
        let _ = fs::remove_file(dir.join(stale));
    }

    let port = free_port()?;
    let mut server = Server::start(&binary, port, &database, &dir.join("server.log"))?;
    server.wait_ready()?;
    let spec = format!("http://{HOST}:{port}/openapi.json");
    println!(
        "fuzz-api: rest-orm serves {spec} (database {})",
        database.display()
    );

    let mut run = schemathesis.command();
    run.args(["run", &spec, "--checks", "not_a_server_error"])
        .args(["--max-examples", &options.max_examples.to_string()])
        .args(["--workers", &options.workers.to_string()]);
    if let Some(seed) = &options.seed {
        run.args(["--seed", seed]);
    }
    run.args(&options.extra);
    // Hypothesis keeps its example database in the working directory: keep it in target/.
    run.current_dir(&dir);
    println!("fuzz-api: {}", describe(&run));
    let started = Instant::now();
    let status = run
        .status()
        .map_err(|err| format!("cannot run schemathesis: {err}"))?;
    let elapsed = started.elapsed().as_secs();

    let alive = server.check_alive();
    drop(server);
    if !options.keep {
        for file in ["rest-orm.db", "rest-orm.db-wal", "rest-orm.db-shm"] {
            let _ = fs::remove_file(dir.join(file));
        }
    }
    alive?;
    let log = dir.join("server.log");
    let errors = server_errors(&log);
    if !errors.is_empty() {
        println!(
            "fuzz-api: the server logged {} error(s) ({}):",
            errors.len(),
            log.display()
        );
        for line in errors.iter().take(20) {
            println!("  {line}");
        }
    }
    if status.success() && errors.is_empty() {
        println!("fuzz-api: schemathesis found no failure in {elapsed}s");
        Ok(true)
    } else if status.success() {
        println!(
            "fuzz-api: schemathesis found no failure, but the server logged errors (above); \
             its log is {}",
            log.display()
        );
        Ok(false)
    } else {
        println!(
            "fuzz-api: schemathesis reported failures ({status}, after {elapsed}s); the server's log is {}",
            log.display()
        );
        Ok(false)
    }
}

/// The lines of the server's log that report errors (a 500's cause is logged there).
fn server_errors(log: &Path) -> Vec<String> {
    fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        // The level field of tracing's log lines (after the time), not the word anywhere in
        // a message.
        .filter(|line| strip_ansi(line).split_whitespace().nth(1) == Some("ERROR"))
        .map(str::to_owned)
        .collect()
}

/// `line` without its terminal colour codes (`ESC [ ... m`).
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// How to start schemathesis, and its version line.
struct Schemathesis {
    program: PathBuf,
    args: Vec<String>,
    version: String,
}

impl Schemathesis {
    /// The `schemathesis` of `python3`'s environment, installed from PyPI when missing.
    fn find_or_install() -> Result<Self, String> {
        if let Some(found) = Self::find() {
            return Ok(found);
        }
        let mut install = Command::new("python3");
        install.args(["-m", "pip", "install", "--quiet", "schemathesis"]);
        println!(
            "fuzz-api: schemathesis is not installed: {}",
            describe(&install)
        );
        let status = install
            .status()
            .map_err(|err| format!("cannot run python3 (is Python 3 installed?): {err}"))?;
        if !status.success() {
            return Err(format!("installing schemathesis failed ({status})"));
        }
        Self::find().ok_or_else(|| {
            "schemathesis was installed but `python3 -m schemathesis.cli --version` does not run"
                .to_owned()
        })
    }

    /// `python3 -m schemathesis.cli` (what the `schemathesis` script runs; the script may not
    /// be on PATH, in pyenv or a user install) when it answers `--version`.
    fn find() -> Option<Self> {
        let candidate = Schemathesis {
            program: PathBuf::from("python3"),
            args: vec!["-m".to_owned(), "schemathesis.cli".to_owned()],
            version: String::new(),
        };
        let out = candidate
            .command()
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .ok()?;
        if !out.status.success() {
            return None;
        }
        let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        Some(Schemathesis {
            version,
            ..candidate
        })
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args);
        command
    }
}

/// A loopback port nobody listens on right now.
fn free_port() -> Result<u16, String> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|err| format!("cannot find a free port: {err}"))
}

/// The rest-orm server, killed when dropped.
struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Server {
    fn start(binary: &Path, port: u16, database: &Path, log: &Path) -> Result<Self, String> {
        if !binary.is_file() {
            return Err(format!("no binary at {}", binary.display()));
        }
        let out =
            File::create(log).map_err(|err| format!("cannot create {}: {err}", log.display()))?;
        let err = out
            .try_clone()
            .map_err(|err| format!("cannot open {}: {err}", log.display()))?;
        let mut command = Command::new(binary);
        command
            .args(["run", "--host", HOST, "--port", &port.to_string()])
            // An absolute path: `sqlite:///` and then the path's own leading slash.
            .env(
                "FLASK_SQLALCHEMY_DATABASE_URI",
                format!("sqlite:///{}", database.display()),
            )
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        println!("fuzz-api: starting {}", describe(&command));
        let child = command
            .spawn()
            .map_err(|err| format!("cannot start {}: {err}", binary.display()))?;
        Ok(Server {
            child,
            port,
            log: log.to_path_buf(),
        })
    }

    /// Waits until the port accepts connections, or the process dies, or time runs out.
    fn wait_ready(&mut self) -> Result<(), String> {
        let started = Instant::now();
        loop {
            self.check_alive()?;
            if TcpStream::connect((HOST, self.port)).is_ok() {
                return Ok(());
            }
            if started.elapsed() > STARTUP_TIMEOUT {
                return Err(format!(
                    "rest-orm did not accept connections on {HOST}:{} within {}s (log: {})",
                    self.port,
                    STARTUP_TIMEOUT.as_secs(),
                    self.log.display()
                ));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn check_alive(&mut self) -> Result<(), String> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => {
                let log = fs::read_to_string(&self.log).unwrap_or_default();
                Err(format!(
                    "rest-orm exited ({status}); its output ({}):\n{}",
                    self.log.display(),
                    log.trim_end()
                ))
            }
            Err(err) => Err(format!("cannot check on rest-orm: {err}")),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Already gone is fine: kill only fails then.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::strip_ansi;

    #[test]
    fn log_levels_are_read_through_colours() {
        let coloured = "\u{1b}[2m2026-12-01T05:00:00Z\u{1b}[0m \u{1b}[31mERROR\u{1b}[0m \u{1b}[2mflask\u{1b}[0m: boom";
        assert_eq!(
            strip_ansi(coloured),
            "2026-12-01T05:00:00Z ERROR flask: boom"
        );
        assert_eq!(
            strip_ansi(coloured).split_whitespace().nth(1),
            Some("ERROR")
        );
    }
}
