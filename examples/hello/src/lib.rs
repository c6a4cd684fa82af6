//! Flask's quickstart (<https://flask.palletsprojects.com/en/stable/quickstart/>), route by
//! route: `cargo run -p hello -- run`, then open <http://127.0.0.1:5000/>.

use flask::{Flask, Html, Json, Path, escape, routing::get};
use serde::Serialize;

/// `@app.route("/")`
pub async fn hello_world() -> Html<&'static str> {
    Html("Hello, World!")
}

/// `@app.route("/user/<username>")`: the name is escaped, so `<script>` is shown, not run.
pub async fn show_user_profile(Path(username): Path<String>) -> Html<String> {
    Html(format!("User {}", escape(&username)))
}

/// `@app.route("/post/<int:post_id>")`: `/post/abc` is a 404.
pub async fn show_post(Path(post_id): Path<i64>) -> Html<String> {
    Html(format!("Post {post_id}"))
}

/// `@app.route("/path/<path:subpath>")`: the value may contain slashes.
pub async fn show_subpath(Path(subpath): Path<String>) -> Html<String> {
    Html(format!("Subpath {}", escape(&subpath)))
}

/// `@app.route("/projects/")`: `/projects` redirects here.
pub async fn projects() -> Html<&'static str> {
    Html("The project page")
}

/// `@app.route("/about")`: `/about/` is a 404.
pub async fn about() -> Html<&'static str> {
    Html("The about page")
}

/// The user shown by `/me`.
#[derive(Debug, Serialize)]
pub struct Me {
    /// The name.
    pub username: &'static str,
    /// The preferred theme.
    pub theme: &'static str,
    /// Where the avatar is.
    pub image: &'static str,
}

/// The quickstart's "APIs with JSON": `@app.route("/me")` returning a dict.
pub async fn me_api() -> Json<Me> {
    Json(Me {
        username: "flask",
        theme: "dark",
        image: "/static/flask.png",
    })
}

/// The app, for `main` and for the tests.
pub fn app() -> Flask {
    Flask::new(flask::app_root!())
        .config_from_prefixed_env("FLASK")
        .route("/", get(hello_world))
        .route("/user/<username>", get(show_user_profile))
        .route("/post/<int:post_id>", get(show_post))
        .route("/path/<path:subpath>", get(show_subpath))
        .route("/projects/", get(projects))
        .route("/about", get(about))
        .route("/me", get(me_api))
}
