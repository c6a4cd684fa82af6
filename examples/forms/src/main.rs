//! `forms run`: the flask-wtf cookbook, a sign-up form on <http://127.0.0.1:5000/>;
//! `forms routes` lists its pages.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    forms::app().cli().await
}
