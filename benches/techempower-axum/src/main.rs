//! `techempower-axum --database URL [--host H] [--port P] [--pool N]`: the TechEmpower test
//! types in plain axum, on a database `techempower init-db` filled (URL in sqlx's form:
//! `postgres://...`, `sqlite:///abs/path.db`).

use std::process::ExitCode;

const USAGE: &str = "usage: techempower-axum --database URL [--host H] [--port P] [--pool N]";

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut host, mut port, mut database, mut pool) =
        ("127.0.0.1".to_owned(), 5000u16, None, 10u32);
    while let Some(arg) = args.next() {
        let value = args.next();
        match (arg.as_str(), value) {
            ("--host", Some(v)) => host = v,
            ("--port", Some(v)) => match v.parse() {
                Ok(p) => port = p,
                Err(_) => return usage(&format!("--port {v}: not a port")),
            },
            ("--database", Some(v)) => database = Some(v),
            ("--pool", Some(v)) => match v.parse() {
                Ok(p) => pool = p,
                Err(_) => return usage(&format!("--pool {v}: not a number")),
            },
            (other, _) => return usage(&format!("unknown or incomplete option {other}")),
        }
    }
    let Some(database) = database else {
        return usage("--database is required");
    };
    let db = match techempower_axum::Db::connect(&database, pool).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!("techempower-axum: cannot connect to {database}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind((host.as_str(), port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("techempower-axum: cannot listen on {host}:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(addr) => println!(" * Running on http://{addr}"),
        Err(e) => eprintln!("techempower-axum: {e}"),
    }
    if let Err(e) = techempower_axum::serve(listener, db).await {
        eprintln!("techempower-axum: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn usage(message: &str) -> ExitCode {
    eprintln!("techempower-axum: {message}\n{USAGE}");
    ExitCode::from(2)
}
