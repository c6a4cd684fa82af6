//! `admin run`: the store's admin; `admin init-db --seed` first.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    admin::app().cli().await
}
