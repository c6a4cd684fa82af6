//! The app's command line: `run`, `routes`, `shell`, and custom commands from the app, its
//! blueprints and its extensions; `test_cli_runner` for tests.

mod routes;
mod shell;

use std::fmt::Display;
use std::future::Future;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

pub use clap::{Arg, ArgAction, ArgMatches, Command};

use crate::Flask;
use crate::app::{App, BoxError};
use crate::hooks::BoxFuture;

/// What a custom command's handler gets: the built app, the parsed arguments, and an
/// output that [`CliRunner`] can capture.
#[derive(Debug)]
pub struct CliContext {
    app: App,
    matches: ArgMatches,
    out: Output,
}

impl CliContext {
    /// The app.
    pub fn app(&self) -> &App {
        &self.app
    }

    /// The command's parsed arguments (clap's `ArgMatches`).
    pub fn matches(&self) -> &ArgMatches {
        &self.matches
    }

    /// Runs the app's startup tasks (connecting its databases, ...), once: what runs before
    /// every command but those added with `group_command_without_startup`, which call this
    /// when they need them.
    pub async fn startup(&self) -> Result<(), BoxError> {
        self.app.startup_for_commands().await
    }

    /// Prints a line, like `click.echo` (captured by the test CLI runner).
    pub fn echo(&self, line: impl Display) {
        self.out.line(&line.to_string());
    }
}

/// Where command output goes.
#[derive(Debug, Clone)]
enum Output {
    Stdout,
    Buffer(Arc<Mutex<String>>),
}

impl Output {
    fn line(&self, line: &str) {
        match self {
            // A closed standard output is no reason for a command to panic.
            Output::Stdout => {
                use std::io::Write as _;
                let _ = writeln!(std::io::stdout(), "{line}");
            }
            Output::Buffer(buf) => {
                let mut b = buf.lock().unwrap_or_else(|e| e.into_inner());
                b.push_str(line);
                b.push('\n');
            }
        }
    }
}

/// A custom command's handler, type-erased.
pub(crate) type CommandFn =
    Arc<dyn Fn(CliContext) -> BoxFuture<'static, Result<(), BoxError>> + Send + Sync>;

/// A custom command: its clap definition and handler, and the blueprint group it is in.
#[derive(Clone)]
pub(crate) struct CustomCommand {
    pub(crate) command: Command,
    pub(crate) handler: CommandFn,
    pub(crate) group: Option<String>,
    /// Whether the app's startup tasks run before it.
    pub(crate) starts_app: bool,
}

pub(crate) fn command_fn<F, Fut>(f: F) -> CommandFn
where
    F: Fn(CliContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
{
    Arc::new(move |ctx| Box::pin(f(ctx)))
}

fn run_command() -> Command {
    Command::new("run")
        .about("Run a development server.")
        .arg(
            Arg::new("host")
                .long("host")
                .env("FLASK_RUN_HOST")
                .default_value("127.0.0.1")
                .help("The interface to bind to."),
        )
        .arg(
            Arg::new("port")
                .long("port")
                .short('p')
                .env("FLASK_RUN_PORT")
                .default_value("5000")
                .value_parser(clap::value_parser!(u16))
                .help("The port to bind to."),
        )
        .arg(
            Arg::new("debug")
                .long("debug")
                .action(ArgAction::SetTrue)
                .help("Turn on debug mode (the debug page for failures, template reload)."),
        )
        .arg(
            Arg::new("reload")
                .long("reload")
                .action(ArgAction::SetTrue)
                .help(
                    "Rebuild and restart when the app's sources change (src/, Cargo.toml, \
                     build.rs), keeping the port open; a failed build is shown in the browser.",
                ),
        )
        .arg(
            Arg::new("extra-files")
                .long("extra-files")
                .env("FLASK_RUN_EXTRA_FILES")
                .value_delimiter(':')
                .help("More files or folders whose changes restart the app with --reload (':'-separated)."),
        )
        .arg(
            Arg::new("i-know-debug-is-public")
                .long("i-know-debug-is-public")
                .action(ArgAction::SetTrue)
                .help(
                    "Allow debug mode on an address other hosts can reach. The debug page \
                     shows source code, headers and sessions to anyone who causes an error.",
                ),
        )
}

use crate::dev::reloader::CHILD_ENV as RELOADER_CHILD;

/// `run --reload`: this process keeps the port and supervises the app in a child process.
async fn serve_with_reload(
    app: &App,
    host: &str,
    port: u16,
    extra: Vec<std::path::PathBuf>,
) -> Result<(), BoxError> {
    let listener = tokio::net::TcpListener::bind((host, port))
        .await
        .map_err(|e| format!("cannot listen on {host}:{port}: {e}"))?;
    let mut child_args: Vec<String> = ["run", "--host", "127.0.0.1", "--port", "0"]
        .map(str::to_owned)
        .to_vec();
    if app.debug() {
        child_args.push("--debug".to_owned());
    }
    crate::dev::reloader::Reloader {
        root: app.root_path().to_path_buf(),
        extra,
        child_args,
        name: app.name().to_owned(),
        debug: app.debug(),
    }
    .run(listener)
    .await
}

/// Whether `host` only accepts connections from this machine.
fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Production (DEBUG and TESTING off) without `SECRET_KEY` is refused: sessions, flash
/// messages, remember-me and CSRF tokens could not be signed.
fn check_secret_key(app: &App) -> Result<(), String> {
    let config = app.config();
    let key_len = config.get_str("SECRET_KEY").map_or(0, str::len);
    if (1..32).contains(&key_len) {
        eprintln!(
            " * Warning: SECRET_KEY is {key_len} bytes long; anyone who guesses it can sign \
             sessions. Use at least 32 random bytes, for example FLASK_SECRET_KEY={}",
            crate::sessions::generate_secret_key()
        );
    }
    if key_len > 0 || app.debug() || config.testing() {
        return Ok(());
    }
    Err(format!(
        "SECRET_KEY is not set, and the app is not in debug mode: sessions, flash messages \
         and CSRF tokens cannot be signed. Set it in the environment, for example \
         FLASK_SECRET_KEY={} (a fresh random key; keep it secret and stable across restarts), \
         or run with --debug for development.",
        crate::sessions::generate_secret_key()
    ))
}

/// Debug mode on a public address is refused unless the user said they mean it.
fn check_debug_host(debug: bool, host: &str, public_ok: bool) -> Result<(), String> {
    if debug && !is_loopback(host) && !public_ok {
        return Err(format!(
            "refusing to run in debug mode on {host}, which other machines can reach: the \
             debug page shows source code, headers and sessions to anyone who causes an error. \
             Use --host 127.0.0.1, turn DEBUG off, or pass --i-know-debug-is-public."
        ));
    }
    Ok(())
}

fn root_command(app: &App) -> Command {
    let mut root = Command::new(app.name().to_owned())
        .about(format!(
            "The command line of the Flask app '{}'.",
            app.name()
        ))
        .subcommand_required(true)
        .arg_required_else_help(true)
        .disable_help_subcommand(true)
        .subcommand(run_command())
        .subcommand(routes::command())
        .subcommand(shell::command());
    let mut groups: Vec<(String, Vec<Command>)> = Vec::new();
    for c in app.commands() {
        match &c.group {
            None => root = root.subcommand(c.command.clone()),
            Some(group) => match groups.iter_mut().find(|(g, _)| g == group) {
                Some((_, list)) => list.push(c.command.clone()),
                None => groups.push((group.clone(), vec![c.command.clone()])),
            },
        }
    }
    for (group, commands) in groups {
        let blueprint = app
            .inner
            .scopes
            .iter()
            .any(|s| s.name.as_deref() == Some(group.as_str()));
        let about = if blueprint {
            format!("Commands of the blueprint '{group}'.")
        } else {
            format!("The {group} commands of the app's extensions.")
        };
        root = root.subcommand(
            Command::new(group.clone())
                .about(about)
                .subcommand_required(true)
                .subcommands(commands),
        );
    }
    root
}

/// The custom command `matches` chose, with its own arguments.
fn custom_command<'a>(
    app: &'a App,
    matches: &'a ArgMatches,
) -> Option<(&'a CustomCommand, &'a ArgMatches)> {
    let (name, sub) = matches.subcommand()?;
    let (group, name, sub) = match sub.subcommand() {
        Some((inner, inner_matches))
            if app
                .commands()
                .iter()
                .any(|c| c.group.as_deref() == Some(name)) =>
        {
            (Some(name), inner, inner_matches)
        }
        _ => (None, name, sub),
    };
    app.commands()
        .iter()
        .find(|c| c.group.as_deref() == group && c.command.get_name() == name)
        .map(|c| (c, sub))
}

/// Whether the app's startup tasks run before the command `matches` chose.
fn starts_app(app: &App, matches: &ArgMatches) -> bool {
    custom_command(app, matches).is_none_or(|(c, _)| c.starts_app)
}

/// Runs a parsed command (not `run`) on a built app.
async fn dispatch(app: App, matches: ArgMatches, out: Output) -> Result<(), BoxError> {
    let Some((name, sub)) = matches.subcommand() else {
        return Err("no command given".into());
    };
    if name == "routes" {
        routes::print(&app, sub, &out);
        return Ok(());
    }
    if name == "shell" {
        return app.app_context(shell::run(&app, sub, &out)).await;
    }
    let (handler, sub) = custom_command(&app, &matches)
        .map(|(c, sub)| (c.handler.clone(), sub.clone()))
        .ok_or_else(|| format!("unknown command {name}"))?;
    // Flask runs commands in an app context: `teardown_appcontext` functions run after.
    app.app_context(handler(CliContext {
        app: app.clone(),
        matches: sub,
        out,
    }))
    .await
}

impl Flask {
    /// The app's command line, for `main`: `myapp run --host 127.0.0.1 --port 5000 [--debug]`,
    /// `myapp routes`, and the custom commands of the app, its blueprints and extensions.
    /// Builds the app (reporting setup errors) and runs the command.
    ///
    /// ```no_run
    /// # fn app() -> flask::Flask { flask::Flask::new("demo") }
    /// #[tokio::main]
    /// async fn main() -> std::process::ExitCode {
    ///     app().cli().await
    /// }
    /// ```
    pub async fn cli(self) -> ExitCode {
        crate::server::init_logging();
        let args: Vec<String> = std::env::args().collect();
        // `run --debug` changes the config, so it is parsed before the app is built.
        if args.get(1).map(String::as_str) == Some("run") {
            let parsed = Command::new(self.name.clone())
                .subcommand(run_command())
                .try_get_matches_from(&args);
            let matches = match parsed {
                Ok(m) => m,
                Err(e) => return clap_exit(&e),
            };
            let Some(("run", run)) = matches.subcommand() else {
                return ExitCode::FAILURE;
            };
            let host = run.get_one::<String>("host").cloned().unwrap_or_default();
            let port = run.get_one::<u16>("port").copied().unwrap_or(5000);
            let flask = if run.get_flag("debug") {
                self.configure(|c| c.set("DEBUG", true))
            } else {
                self
            };
            let app = match flask.build() {
                Ok(app) => app,
                Err(e) => {
                    eprintln!("Error: the app could not start: {e}");
                    return ExitCode::FAILURE;
                }
            };
            if let Err(e) = check_secret_key(&app).and_then(|()| {
                check_debug_host(app.debug(), &host, run.get_flag("i-know-debug-is-public"))
            }) {
                eprintln!("Error: {e}");
                return ExitCode::FAILURE;
            }
            let reload = run.get_flag("reload") && std::env::var_os(RELOADER_CHILD).is_none();
            if reload {
                let extra = run
                    .get_many::<String>("extra-files")
                    .into_iter()
                    .flatten()
                    .filter(|s| !s.is_empty())
                    .map(std::path::PathBuf::from)
                    .collect();
                return match serve_with_reload(&app, &host, port, extra).await {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("Error: {e}");
                        ExitCode::FAILURE
                    }
                };
            }
            return match app.run(&host, port).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("Error: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        let app = match self.build() {
            Ok(app) => app,
            Err(e) => {
                eprintln!("Error: the app could not start: {e}");
                return ExitCode::FAILURE;
            }
        };
        let matches = match root_command(&app).try_get_matches_from(&args) {
            Ok(m) => m,
            Err(e) => return clap_exit(&e),
        };
        if starts_app(&app, &matches)
            && let Err(e) = app.startup_for_commands().await
        {
            eprintln!("Error: {e}");
            return ExitCode::FAILURE;
        }
        match dispatch(app, matches, Output::Stdout).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("Error: {e}");
                ExitCode::FAILURE
            }
        }
    }
}

fn clap_exit(e: &clap::Error) -> ExitCode {
    let _ = e.print();
    if e.use_stderr() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

/// Flask's `app.test_cli_runner()`: runs commands in-process and captures their output.
///
/// ```
/// use flask::{Flask, cli::Command};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = Flask::new("demo")
///     .command(Command::new("hello").about("Say hello"), |ctx| async move {
///         ctx.echo("Hello!");
///         Ok(())
///     })
///     .build()
///     .unwrap();
/// let result = app.test_cli_runner().invoke(&["hello"]).await;
/// assert_eq!((result.code, result.output.as_str()), (0, "Hello!\n"));
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct CliRunner {
    app: App,
}

/// What a command invoked by [`CliRunner`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliResult {
    /// 0 on success, 1 when the command failed, 2 for bad arguments.
    pub code: i32,
    /// What it echoed, then its error or clap's message.
    pub output: String,
}

impl CliRunner {
    /// Runs `args` (without the program name) like `myapp <args>`. `run` is not available:
    /// use the test client for requests.
    pub async fn invoke(&self, args: &[&str]) -> CliResult {
        let argv = std::iter::once(self.app.name()).chain(args.iter().copied());
        let matches = match root_command(&self.app).try_get_matches_from(argv) {
            Ok(m) => m,
            Err(e) => {
                return CliResult {
                    code: if e.use_stderr() { 2 } else { 0 },
                    output: e.render().to_string(),
                };
            }
        };
        if matches.subcommand_name() == Some("run") {
            return CliResult {
                code: 2,
                output: "`run` serves forever; use app.test_client() in tests\n".to_owned(),
            };
        }
        let buffer = Arc::new(Mutex::new(String::new()));
        let started = if starts_app(&self.app, &matches) {
            self.app.startup_for_commands().await
        } else {
            Ok(())
        };
        let result = match started {
            Ok(()) => dispatch(self.app.clone(), matches, Output::Buffer(buffer.clone())).await,
            Err(e) => Err(e),
        };
        let mut output = buffer.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let code = match result {
            Ok(()) => 0,
            Err(e) => {
                output.push_str(&format!("Error: {e}\n"));
                1
            }
        };
        CliResult { code, output }
    }
}

impl App {
    /// A runner for the app's commands, for tests.
    pub fn test_cli_runner(&self) -> CliRunner {
        CliRunner { app: self.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_mode_stays_on_loopback_unless_told() {
        for host in ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"] {
            assert!(check_debug_host(true, host, false).is_ok(), "{host}");
        }
        for host in ["0.0.0.0", "::", "192.168.1.10", "example.com"] {
            let err = check_debug_host(true, host, false).unwrap_err();
            assert!(err.contains("--i-know-debug-is-public"), "{err}");
            assert!(check_debug_host(true, host, true).is_ok());
            assert!(check_debug_host(false, host, false).is_ok());
        }
    }
}
