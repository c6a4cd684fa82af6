//! `analytics run`: the portal; `analytics init-db --seed` first, `analytics send-events`
//! to watch the live panel move.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    analytics::app().cli().await
}
