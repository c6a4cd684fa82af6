//! `login run`: the flask-login cookbook on `instance/login.db` (or
//! `FLASK_SQLALCHEMY_DATABASE_URI`); `login routes` lists its pages, `login db create-all`
//! makes the table by hand.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    login::app().cli().await
}
