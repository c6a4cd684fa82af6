//! The baseline `cargo xtask bench` compares against: the routes of `examples/hello` that the
//! bench measures, written in plain axum 0.8 with nothing of ours in between.
//!
//! `axum-baseline [--host 127.0.0.1] [--port 5000]`, then `GET /` and `GET /me`.
//! Keep the handlers as small as the framework's, so the ratio measures the framework alone.

use std::process::ExitCode;

use std::sync::LazyLock;

use axum::http::StatusCode;
use axum::{Json, Router, response::Html, routing::get};
use minijinja::{Environment, context};
use serde::Serialize;

const USAGE: &str = "usage: axum-baseline [--host H] [--port P]   (defaults: 127.0.0.1, 5000)";

/// The user shown by `/me`, as in `examples/hello`.
#[derive(Debug, Serialize)]
struct Me {
    username: &'static str,
    theme: &'static str,
    image: &'static str,
}

async fn hello_world() -> Html<&'static str> {
    Html("Hello, World!")
}

/// One row of `/rows`, as in `examples/hello`.
#[derive(Debug, Serialize)]
struct Row {
    id: u32,
    message: String,
}

static ROWS: LazyLock<Vec<Row>> = LazyLock::new(|| {
    (1..=100)
        .map(|id| Row {
            id,
            message: format!("Row {id}: <b> & <i>"),
        })
        .collect()
});

/// The same template file as `examples/hello`, in minijinja with HTML autoescape.
static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.add_template(
        "rows.html",
        include_str!("../../../examples/hello/templates/rows.html"),
    )
    .expect("the rows template parses");
    env
});

async fn rows() -> Result<Html<String>, (StatusCode, String)> {
    TEMPLATES
        .get_template("rows.html")
        .and_then(|t| t.render(context! { rows => &*ROWS }))
        .map(Html)
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

async fn me_api() -> Json<Me> {
    Json(Me {
        username: "flask",
        theme: "dark",
        image: "/static/flask.png",
    })
}

/// `--host H --port P` (also `--host=H`, `--port=P`), by hand: the baseline carries no CLI crate.
fn parse_args(args: impl IntoIterator<Item = String>) -> Result<(String, u16), String> {
    let mut host = String::from("127.0.0.1");
    let mut port: u16 = 5000;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
            None => (arg, None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match name.as_str() {
            "--host" => host = value("--host")?,
            "--port" | "-p" => {
                let raw = value("--port")?;
                port = raw
                    .parse()
                    .map_err(|_| format!("--port: `{raw}` is not a port number"))?;
            }
            "--help" | "-h" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok((host, port))
}

#[tokio::main]
async fn main() -> ExitCode {
    let (host, port) = match parse_args(std::env::args().skip(1)) {
        Ok(parsed) => parsed,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("axum-baseline: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let app = Router::new()
        .route("/", get(hello_world))
        .route("/me", get(me_api))
        .route("/rows", get(rows));

    let listener = match tokio::net::TcpListener::bind((host.as_str(), port)).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("axum-baseline: cannot listen on {host}:{port}: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!("axum-baseline listening on http://{host}:{port}");
    if let Err(err) = axum::serve(listener, app).await {
        eprintln!("axum-baseline: server error: {err}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
