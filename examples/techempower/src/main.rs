//! `techempower run`: the TechEmpower test types on `FLASK_SQLALCHEMY_DATABASE_URI`
//! (SQLite `instance/hello_world.db` by default); `techempower init-db` makes and fills the
//! `world` and `fortune` tables.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    techempower::app().cli().await
}
