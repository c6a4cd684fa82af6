//! `custom-extension run`: the demo app with the timing extension.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    custom_extension::app().cli().await
}
