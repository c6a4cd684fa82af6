//! `shared-sessions run`: the app, with sessions in Redis or an SQL database when configured.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    shared_sessions::app().cli().await
}
