//! `todo-api run`: Flask-RESTful's quickstart example on http://127.0.0.1:5000.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    todo_api::app().cli().await
}
