//! The app of the README (`cargo run -p hello --example readme -- run`), compiled with the
//! workspace so the README cannot drift from the API.

// ANCHOR: app
use flask::{Error, Flask, Path, RequestContext, abort, routing::get};

#[flask::view]
async fn index(ctx: RequestContext) -> Result<String, Error> {
    let url = ctx.url_for("show_post").value("post_id", 1).build()?;
    Ok(format!("Hello, World! Read {url}"))
}

#[flask::view]
async fn show_post(Path(post_id): Path<i64>) -> Result<String, Error> {
    if post_id > 100 {
        return Err(abort(404));
    }
    Ok(format!("Post {post_id}"))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    Flask::new(flask::app_root!())
        .route("/", get(index))
        .route("/post/<int:post_id>", get(show_post))
        .cli()
        .await
}
// ANCHOR_END: app
