//! `rest-orm run`: the books API on http://127.0.0.1:5000 (`--host`, `--port` to change).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    rest_orm::app().cli().await
}
