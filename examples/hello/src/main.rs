//! The `hello` command: `hello run --host 127.0.0.1 --port 5000`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    hello::app().cli().await
}
