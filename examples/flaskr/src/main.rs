//! `flaskr run`: the tutorial's blog on `instance/flaskr.db` (or
//! `FLASK_SQLALCHEMY_DATABASE_URI`); `flaskr db upgrade`, `flaskr db check` and the other
//! migration commands.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    flaskr::app().cli().await
}
