//! The command line: `routes`, custom commands of the app, blueprints and extensions,
//! through `test_cli_runner`.

use flask::cli::{Arg, CliContext, Command};
use flask::routing::{get, post};
use flask::{Blueprint, Extension, Flask, Setup, SetupError};

#[flask::view]
async fn index() -> &'static str {
    ""
}
#[flask::view]
async fn login() -> &'static str {
    ""
}

async fn greet(ctx: CliContext) -> Result<(), flask::BoxError> {
    let name = ctx
        .matches()
        .get_one::<String>("name")
        .cloned()
        .unwrap_or_default();
    ctx.echo(format!("Hello {name} from {}", ctx.app().name()));
    Ok(())
}

struct Db;

impl Extension for Db {
    fn name(&self) -> &'static str {
        "db"
    }
    fn init_app(&self, setup: &mut Setup<'_>) -> Result<(), SetupError> {
        setup.command(
            Command::new("db")
                .about("Database commands")
                .subcommand_required(true)
                .subcommand(Command::new("upgrade")),
            |ctx: CliContext| async move {
                match ctx.matches().subcommand_name() {
                    Some("upgrade") => ctx.echo("upgraded"),
                    other => return Err(format!("unexpected {other:?}").into()),
                }
                Ok(())
            },
        );
        Ok(())
    }
}

fn app() -> flask::App {
    Flask::new("cliapp")
        .static_folder(None, "")
        .route("/", get(index))
        .command(
            Command::new("greet")
                .about("Greet someone")
                .arg(Arg::new("name").required(true)),
            greet,
        )
        .command(Command::new("fail"), |_ctx: CliContext| async move {
            Err("it broke".into())
        })
        .blueprint(
            Blueprint::new("auth")
                .url_prefix("/auth")
                .route("/login", get(login).post(login))
                .command(Command::new("create-user"), |ctx: CliContext| async move {
                    ctx.echo("created");
                    Ok(())
                }),
        )
        .extension(Db)
        .build()
        .unwrap()
}

#[tokio::test]
async fn routes_lists_endpoints_methods_rules_and_owners() {
    let r = app().test_cli_runner().invoke(&["routes"]).await;
    assert_eq!(r.code, 0);
    assert_eq!(
        r.output,
        "Endpoint    Methods    Rule         Owner\n\
         ----------  ---------  -----------  -----\n\
         auth.login  GET, POST  /auth/login  auth\n\
         index       GET        /            app\n"
    );
    let r = app()
        .test_cli_runner()
        .invoke(&["routes", "--sort", "rule", "--all-methods"])
        .await;
    let lines: Vec<&str> = r.output.lines().collect();
    assert!(
        lines[2].starts_with("index       GET, HEAD, OPTIONS"),
        "{}",
        r.output
    );
    assert!(lines[3].starts_with("auth.login"), "{}", r.output);
}

#[tokio::test]
async fn custom_commands_of_app_blueprints_and_extensions() {
    let runner = app().test_cli_runner();
    let r = runner.invoke(&["greet", "Ada"]).await;
    assert_eq!((r.code, r.output.as_str()), (0, "Hello Ada from cliapp\n"));
    let r = runner.invoke(&["auth", "create-user"]).await;
    assert_eq!((r.code, r.output.as_str()), (0, "created\n"));
    let r = runner.invoke(&["db", "upgrade"]).await;
    assert_eq!((r.code, r.output.as_str()), (0, "upgraded\n"));
}

#[tokio::test]
async fn failures_and_bad_arguments() {
    let runner = app().test_cli_runner();
    let r = runner.invoke(&["fail"]).await;
    assert_eq!((r.code, r.output.as_str()), (1, "Error: it broke\n"));
    let r = runner.invoke(&["greet"]).await;
    assert_eq!(r.code, 2);
    assert!(r.output.contains("<name>"), "{}", r.output);
    let r = runner.invoke(&["nope"]).await;
    assert_eq!(r.code, 2);
    let r = runner.invoke(&["--help"]).await;
    assert_eq!(r.code, 0);
    for name in ["run", "routes", "greet", "auth", "db"] {
        assert!(
            r.output.contains(name),
            "{name} missing from help: {}",
            r.output
        );
    }
}

#[test]
fn post_only_rules_show_their_methods() {
    let app = Flask::new("x")
        .static_folder(None, "")
        .route("/p", post(index))
        .build()
        .unwrap();
    let rules = app.rules();
    assert_eq!(rules[0].methods, [flask::Method::POST]);
}

/// An extension's names for the `shell` prompt, as Flask-SQLAlchemy adds `db` to `flask shell`.
struct Counter;

impl Extension for Counter {
    fn name(&self) -> &'static str {
        "counter"
    }
    fn init_app(&self, setup: &mut Setup<'_>) -> Result<(), SetupError> {
        setup.shell_context_processor(|_| flask::context! { counts => vec![1, 2, 3] });
        Ok(())
    }
}

/// `myapp shell -c ..`: Flask's `flask shell`, each expression evaluated with the app's
/// config, `url_for` and the names of the app's and its extensions' shell context
/// processors, its value printed as Python's repr; a failing expression fails the command.
#[tokio::test]
async fn shell_evaluates_expressions_in_the_app_context() {
    let runner = Flask::new("shelled")
        .configure(|c| {
            c.set("SERVER_NAME", "example.com");
            c.set("SITE_TITLE", "Ada's site");
        })
        .route("/login", get(login))
        .extension(Counter)
        .shell_context_processor(|app| flask::context! { app_name => app.name() })
        .build()
        .unwrap()
        .test_cli_runner();
    let r = runner
        .invoke(&[
            "shell",
            "-c",
            "config.SITE_TITLE",
            "-c",
            "url_for('login', next='/')",
            "-c",
            "set total = counts | sum",
            "-c",
            "[app_name, total, total > 5, none]",
        ])
        .await;
    assert_eq!(r.code, 0, "{}", r.output);
    assert_eq!(
        r.output,
        "\"Ada's site\"\n'http://example.com/login?next=%2F'\n['shelled', 6, True, None]\n"
    );

    let r = runner.invoke(&["shell", "-c", "missing.attribute"]).await;
    assert_eq!(r.code, 1, "{}", r.output);
    assert!(
        r.output.contains("`missing.attribute` is undefined"),
        "{}",
        r.output
    );
    let r = runner.invoke(&["shell", "-c", "1 +"]).await;
    assert_eq!(r.code, 1, "{}", r.output);
    assert!(r.output.contains("syntax error"), "{}", r.output);
}

/// An app whose startup fails, with a command that needs it and one that does not.
fn offline_app() -> flask::App {
    Flask::new("offline")
        .on_startup(|_| async { Err("cannot reach the database".into()) })
        .group_command(
            "db",
            Command::new("current"),
            |ctx: CliContext| async move {
                ctx.echo("connected");
                Ok(())
            },
        )
        .group_command_without_startup(
            "db",
            Command::new("script").arg(
                Arg::new("online")
                    .long("online")
                    .action(flask::cli::ArgAction::SetTrue),
            ),
            |ctx: CliContext| async move {
                if ctx.matches().get_flag("online") {
                    ctx.startup().await?;
                }
                ctx.echo("-- the script");
                Ok(())
            },
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_command_without_startup_starts_the_app_only_when_it_asks() {
    let failed = (
        1,
        "Error: startup task of app failed: cannot reach the database\n",
    );
    let out = offline_app()
        .test_cli_runner()
        .invoke(&["db", "current"])
        .await;
    assert_eq!((out.code, out.output.as_str()), failed);
    let out = offline_app()
        .test_cli_runner()
        .invoke(&["db", "script"])
        .await;
    assert_eq!((out.code, out.output.as_str()), (0, "-- the script\n"));
    let out = offline_app()
        .test_cli_runner()
        .invoke(&["db", "script", "--online"])
        .await;
    assert_eq!((out.code, out.output.as_str()), failed);
}
