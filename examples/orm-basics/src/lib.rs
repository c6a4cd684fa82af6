//! flask-sqlalchemy's tour as a small notes app: a model, `create_all` at startup, insert,
//! `get_or_404`, and typed queries. `cargo run -p orm-basics -- run`, then open
//! <http://127.0.0.1:5000/>.

use flask::routing::{get, post};
use flask::{
    Args, Error, Flask, Form, Html, Json, Path, Query, Redirect, context, redirect, render_template,
};
use flask_sqlalchemy::{Db, Model, PageArgs, SQLAlchemy};
use serde::{Deserialize, Serialize};

/// A note: Flask-SQLAlchemy's `class Note(db.Model)`.
#[derive(Debug, Clone, PartialEq, Serialize, Model)]
pub struct Note {
    /// Numbered by the database.
    #[model(primary_key)]
    pub id: i64,
    /// Up to 200 characters, indexed for the search.
    #[model(max_length = 200, index)]
    pub title: String,
    /// Any length; may be empty.
    pub body: String,
    /// How many times the note was opened.
    pub views: i64,
}

/// The form that creates a note.
#[derive(Debug, Deserialize)]
pub struct NewNote {
    /// Required.
    pub title: String,
    /// Optional.
    #[serde(default)]
    pub body: String,
}

/// Notes per page on `/`.
pub const PER_PAGE: u64 = 10;

/// The page of notes `?page=` asks for, newest first, rendered with the form.
async fn notes_page(db: &Db, args: &Args, error: Option<&str>) -> Result<Html<String>, Error> {
    let options = PageArgs {
        per_page: PER_PAGE,
        ..PageArgs::default()
    };
    let pagination = db
        .select::<Note>()
        .order_by(Note::id.desc())
        .paginate_args(args, options)
        .await?;
    render_template("index.html", context! { pagination, error })
}

/// `GET /?page=N`: the notes, newest first, ten a page, and the form.
pub async fn index(db: Db, args: Args) -> Result<Html<String>, Error> {
    notes_page(&db, &args, None).await
}

/// `POST /`: creates a note and shows it; an empty title shows the form again with
/// "Title is required." (status 400).
pub async fn create(
    db: Db,
    args: Args,
    Form(form): Form<NewNote>,
) -> Result<flask::Response, Error> {
    use flask::IntoResponse;
    let title = form.title.trim();
    if title.is_empty() {
        let page = notes_page(&db, &args, Some("Title is required.")).await?;
        return Ok((flask::StatusCode::BAD_REQUEST, page).into_response());
    }
    let mut note = Note {
        id: 0,
        title: title.to_owned(),
        body: form.body,
        views: 0,
    };
    db.insert(&mut note).await?;
    let to: Redirect = redirect(format!("/notes/{}", note.id));
    Ok(to.into_response())
}

/// `GET /notes/<int:id>`: one note (404 when there is none); counts the view.
pub async fn show(db: Db, Path(id): Path<i64>) -> Result<Html<String>, Error> {
    let mut note: Note = db.get_or_404(id).await?;
    // The database adds, so two visits at once both count.
    db.select::<Note>()
        .filter(Note::id.eq(id))
        .update([Note::views.plus(1)])
        .await?;
    note.views += 1;
    render_template("show.html", context! { note })
}

/// `POST /notes/<int:id>/delete`: deletes the note (404 when there is none).
pub async fn delete(db: Db, Path(id): Path<i64>) -> Result<Redirect, Error> {
    let note: Note = db.get_or_404(id).await?;
    db.delete(&note).await?;
    Ok(redirect("/"))
}

/// The query string of `/api/notes`.
#[derive(Debug, Deserialize)]
pub struct Search {
    /// Words in the title, any case.
    pub q: Option<String>,
    /// At most this many notes (default 20, at most 100).
    pub limit: Option<u64>,
}

/// `GET /api/notes?q=rust&limit=5`: matching notes as JSON, most viewed first.
pub async fn search(db: Db, Query(search): Query<Search>) -> Result<Json<Vec<Note>>, Error> {
    let mut query = db
        .select::<Note>()
        .order_by(Note::views.desc())
        .order_by(Note::id.asc())
        .limit(search.limit.unwrap_or(20).min(100));
    if let Some(q) = search.q.as_deref().filter(|q| !q.is_empty()) {
        query = query.filter(Note::title.ilike(&format!("%{q}%")));
    }
    Ok(Json(query.all().await?))
}

/// The app: `SQLALCHEMY_DATABASE_URI` defaults to `sqlite:///orm-basics.db` (in the
/// instance folder); `FLASK_SQLALCHEMY_DATABASE_URI` picks PostgreSQL or MySQL instead. It
/// keeps no sessions, so without `FLASK_SECRET_KEY` a key made at each start will do.
pub fn app() -> Flask {
    Flask::new(flask::app_root!())
        .configure(|c| c.set("SQLALCHEMY_DATABASE_URI", "sqlite:///orm-basics.db"))
        .config_from_prefixed_env("FLASK")
        .configure(|c| c.set_default("SECRET_KEY", flask::generate_secret_key()))
        .extension(SQLAlchemy::new().model::<Note>().create_all_on_startup())
        .route("/", get(index).post(create).endpoint("index"))
        .route("/notes/<int:id>", get(show))
        .route("/notes/<int:id>/delete", post(delete))
        .route("/api/notes", get(search))
}
