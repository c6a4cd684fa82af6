//! Flask's quickstart (<https://flask.palletsprojects.com/en/stable/quickstart/>), route by
//! route: `cargo run -p hello -- run`, then open <http://127.0.0.1:5000/>.

use std::sync::LazyLock;

use flask::routing::get;
use flask::{
    Error, Flask, Form, Html, IntoResponse, Json, Path, Redirect, RequestContext, Response,
    Session, context, escape, redirect, render_template,
};
use serde::{Deserialize, Serialize};

/// `@app.route("/")`
#[flask::view]
pub async fn hello_world() -> Html<&'static str> {
    Html("Hello, World!")
}

/// `@app.route("/user/<username>")`: the name is escaped, so `<script>` is shown, not run.
#[flask::view]
pub async fn show_user_profile(Path(username): Path<String>) -> Html<String> {
    Html(format!("User {}", escape(&username)))
}

/// `@app.route("/post/<int:post_id>")`: `/post/abc` is a 404.
#[flask::view]
pub async fn show_post(Path(post_id): Path<i64>) -> Html<String> {
    Html(format!("Post {post_id}"))
}

/// `@app.route("/path/<path:subpath>")`: the value may contain slashes.
#[flask::view]
pub async fn show_subpath(Path(subpath): Path<String>) -> Html<String> {
    Html(format!("Subpath {}", escape(&subpath)))
}

/// `@app.route("/projects/")`: `/projects` redirects here.
#[flask::view]
pub async fn projects() -> Html<&'static str> {
    Html("The project page")
}

/// `@app.route("/about")`: `/about/` is a 404.
#[flask::view]
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
#[flask::view]
pub async fn me_api() -> Json<Me> {
    Json(Me {
        username: "flask",
        theme: "dark",
        image: "/static/flask.png",
    })
}

/// The quickstart's "Rendering Templates": `@app.route("/hello/")` and
/// `@app.route("/hello/<name>")` with `templates/hello.html`.
#[flask::view]
pub async fn hello(name: Option<Path<String>>) -> Result<Html<String>, Error> {
    let name = name.map(|Path(n)| n);
    render_template("hello.html", context! { name })
}

/// One row of `/rows`.
#[derive(Debug, Serialize)]
pub struct Row {
    /// Its number.
    pub id: u32,
    /// Text that needs escaping.
    pub message: String,
}

/// The 100 rows `/rows` renders (the same in `benches/axum-baseline`).
pub static ROWS: LazyLock<Vec<Row>> = LazyLock::new(|| {
    (1..=100)
        .map(|id| Row {
            id,
            message: format!("Row {id}: <b> & <i>"),
        })
        .collect()
});

/// `GET /rows`: a template rendering 100 rows with escaping, the bench's template route.
#[flask::view]
pub async fn rows() -> Result<Html<String>, Error> {
    render_template("rows.html", context! { rows => &*ROWS })
}

/// The login form of the quickstart's "Message Flashing".
#[derive(Debug, Deserialize)]
pub struct Login {
    /// Must be `admin`.
    pub username: String,
    /// Must be `secret`.
    pub password: String,
}

/// `@app.route("/login")`, GET: the form.
#[flask::view]
pub async fn login_form() -> Result<Html<String>, Error> {
    render_template("login.html", context! { error => None::<&str> })
}

/// `@app.route("/login")`, POST: the right answer flashes "You were successfully logged
/// in" and redirects to `/hello/`; a wrong one shows the form with "Invalid credentials".
#[flask::view]
pub async fn login(
    ctx: RequestContext,
    session: Session,
    Form(form): Form<Login>,
) -> Result<Response, Error> {
    if form.username == "admin" && form.password == "secret" {
        session.flash("You were successfully logged in", "message");
        let to: Redirect = redirect(&ctx.url_for("hello").build()?);
        return Ok(to.into_response());
    }
    let page = render_template("login.html", context! { error => "Invalid credentials" })?;
    Ok(page.into_response())
}

/// A division that fails for `b = 0`: in debug mode (`run --debug`) the failure shows the
/// debug page, with this function's source line; otherwise a plain 500 page.
#[flask::view]
pub async fn divide(Path((a, b)): Path<(i64, i64)>) -> Result<String, Error> {
    let quotient = a.checked_div(b).ok_or(DivisionByZero { a })?;
    Ok(format!("{a} / {b} = {quotient}"))
}

/// What `/divide/<a>/0` fails with.
#[derive(Debug)]
pub struct DivisionByZero {
    /// The dividend.
    pub a: i64,
}

impl std::fmt::Display for DivisionByZero {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot divide {} by zero", self.a)
    }
}

impl std::error::Error for DivisionByZero {}

/// The `templates/` folder, compiled into release builds so the binary is all there is to
/// deploy (debug builds read the folder, so edits show at once).
#[derive(Debug, flask::embed::Embed)]
#[folder = "templates/"]
#[crate_path = "flask::embed::rust_embed"]
pub struct Templates;

/// The app, for `main` and for the tests.
///
/// Without `FLASK_SECRET_KEY` it makes a key on the first start and keeps it in
/// `instance/secret_key` (so the login's flash works out of the box and sessions survive a
/// restart).
pub fn app() -> Flask {
    Flask::new(flask::app_root!())
        .config_from_prefixed_env("FLASK")
        .secret_key_file("secret_key")
        .embedded_templates::<Templates>()
        .route("/", get(hello_world))
        .route("/user/<username>", get(show_user_profile))
        .route("/post/<int:post_id>", get(show_post))
        .route("/path/<path:subpath>", get(show_subpath))
        .route("/projects/", get(projects))
        .route("/about", get(about))
        .route("/me", get(me_api))
        .route("/hello/", get(hello))
        .route("/hello/<name>", get(hello))
        .route("/rows", get(rows))
        .route("/login", get(login_form).post(login).endpoint("login"))
        .route("/divide/<int:a>/<int:b>", get(divide))
}
