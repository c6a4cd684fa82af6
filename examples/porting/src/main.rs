//! `porting run`: the Rust half of the app (the Python half is python/legacy.py).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    porting::app().cli().await
}
