//! `cargo run -p spa -- run` serves the task board on http://127.0.0.1:5000; `worker` runs
//! its background jobs (the digest mail).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    spa::app().cli().await
}
