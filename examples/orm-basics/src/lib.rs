//! flask-sqlalchemy's tour as a small notes app. `cargo run -p orm-basics -- run`, then open
//! <http://127.0.0.1:5000/>.
//!
//! What it shows, model by model and route by route:
//!
//! - models: [`Note`] with a column the database fills (`created`, a server default),
//!   [`Comment`] (one-to-many, deleted with their note), [`Tag`] and the association model
//!   [`NoteTag`] (many-to-many); the tables from migrations, applied at startup;
//! - the request's session ([`DbSession`]): [`create`] writes a note, finds or creates its
//!   tags and links them, then commits once; nothing is written when it fails;
//! - the unit of work: [`edit`] changes the session's object of a note in Rust, and the
//!   commit writes the columns that changed (SQLAlchemy's `note.title = ...; commit()`);
//! - loading relationships: a note's tags and comments, the tags of a whole page of notes in
//!   one query ([`index`]);
//! - a join ([`tagged`]), a `GROUP BY` with `COUNT(*)` ([`tag_counts`]), offset pages
//!   ([`index`]) and keyset pages ([`feed`]), typed filters ([`search`]).
//!
//! The tables come from migrations (`src/migrations/`), applied when the app starts: after
//! changing a model, `cargo run -p orm-basics -- db migrate -m "what changed"` writes the
//! next one (see docs/migrations.md).

pub mod migrations;

use chrono::{DateTime, Utc};
use flask::routing::{get, post};
use flask::{
    Args, Error, Flask, Form, Html, IntoResponse, Json, Path, Query, Redirect, Response,
    StatusCode, context, redirect, render_template,
};
use flask_sqlalchemy::{Db, DbSession, Executor, KeysetPage, Model, PageArgs, SQLAlchemy, func};
use serde::{Deserialize, Serialize};

/// A note: Flask-SQLAlchemy's `class Note(db.Model)`, with `comments` and `tags`
/// relationships.
#[derive(Debug, Clone, PartialEq, Serialize, Model)]
#[model(table = "note")]
#[model(has_many(comments: Comment, key = note_id, cascade = "delete"))]
#[model(many_to_many(tags: Tag, secondary = NoteTag, local = note_id, remote = tag_id))]
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
    /// When the note was written: `None` on insert, so the database's clock fills it in
    /// (`server_default`), and the insert reads it back.
    #[model(server_default = "CURRENT_TIMESTAMP")]
    pub created: Option<DateTime<Utc>>,
}

/// A comment on a note; deleting the note deletes its comments (`cascade = "delete"`).
#[derive(Debug, Clone, PartialEq, Serialize, Model)]
#[model(table = "comment")]
#[model(belongs_to(note: Note, key = note_id))]
pub struct Comment {
    /// Numbered by the database.
    #[model(primary_key)]
    pub id: i64,
    /// The note it is on.
    #[model(foreign_key = "note.id", index)]
    pub note_id: i64,
    /// Not empty.
    pub body: String,
}

/// A tag: a lowercase word that any number of notes share.
#[derive(Debug, Clone, PartialEq, Serialize, Model)]
#[model(table = "tag")]
pub struct Tag {
    /// Numbered by the database.
    #[model(primary_key)]
    pub id: i64,
    /// Unique, trimmed and lowercase.
    #[model(max_length = 40, unique)]
    pub name: String,
}

/// The association table between notes and tags: one row per link, its primary key both
/// foreign keys (SQLAlchemy's `secondary` table).
#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "note_tag")]
#[model(belongs_to(tag: Tag, key = tag_id))]
pub struct NoteTag {
    /// The tagged note.
    #[model(primary_key, foreign_key = "note.id")]
    pub note_id: i64,
    /// Its tag.
    #[model(primary_key, foreign_key = "tag.id")]
    pub tag_id: i64,
}

/// The form that creates a note.
#[derive(Debug, Deserialize)]
pub struct NewNote {
    /// Required.
    pub title: String,
    /// Optional.
    #[serde(default)]
    pub body: String,
    /// Optional: tag names separated by commas, `"Rust, sql"`.
    #[serde(default)]
    pub tags: String,
}

/// The form that comments on a note.
#[derive(Debug, Deserialize)]
pub struct NewComment {
    /// Required.
    #[serde(default)]
    pub body: String,
}

/// The edit form of a note.
#[derive(Debug, Deserialize)]
pub struct EditNote {
    /// Required, up to 200 characters.
    #[serde(default)]
    pub title: String,
    /// May be empty.
    #[serde(default)]
    pub body: String,
}

/// Notes per page on `/` and, by default, on `/api/notes/feed`.
pub const PER_PAGE: u64 = 10;

/// The longest tag name (the `max_length` of [`Tag::name`]).
pub const TAG_LENGTH: usize = 40;

/// The tag names of the form's `tags` field: trimmed, lowercase, without empties, each once,
/// in the order given.
///
/// ```
/// assert_eq!(orm_basics::parse_tags(" Rust, sql,,rust "), ["rust", "sql"]);
/// ```
pub fn parse_tags(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in text.split(',').map(|n| n.trim().to_lowercase()) {
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// `(400, page)`: a page shown again because of the form's error.
fn bad_request(page: Html<String>) -> Response {
    (StatusCode::BAD_REQUEST, page).into_response()
}

/// The page of notes `?page=` asks for, newest first, with their tags, rendered with the
/// form.
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
    // The tags of every note of the page in one query (not one per note); `tags[i]` are the
    // tags of `pagination.items[i]`.
    let tags = Note::tags.load_many(db, &pagination.items).await?;
    render_template("index.html", context! { pagination, tags, error })
}

/// `GET /?page=N`: the notes, newest first, ten a page, and the form.
#[flask::view]
pub async fn index(db: Db, args: Args) -> Result<Html<String>, Error> {
    notes_page(&db, &args, None).await
}

/// `POST /`: creates a note with its tags in one transaction and shows it. An empty title
/// ("Title is required.") or a tag that is too long shows the form again (status 400), and
/// nothing is written.
#[flask::view]
pub async fn create(
    db: Db,
    session: DbSession,
    args: Args,
    Form(form): Form<NewNote>,
) -> Result<Response, Error> {
    let title = form.title.trim();
    let names = parse_tags(&form.tags);
    let error = if title.is_empty() {
        Some("Title is required.".to_owned())
    } else if names.iter().any(|n| n.chars().count() > TAG_LENGTH) {
        Some(format!("A tag has at most {TAG_LENGTH} characters."))
    } else {
        None
    };
    if let Some(error) = error {
        // Nothing was written, so reading through `db` is fine here.
        return Ok(bad_request(notes_page(&db, &args, Some(&error)).await?));
    }

    let mut note = Note {
        id: 0,
        title: title.to_owned(),
        body: form.body,
        views: 0,
        created: None,
    };
    session.add(&mut note).await?; // note.id and note.created are filled in
    // Two requests adding the same new tag at once: the unique name makes one of them fail
    // (a 500, nothing of it written); sending that form again finds the tag.
    for name in names {
        // Reads go through the session too: it sees what it wrote and has not committed.
        let existing = session
            .select::<Tag>()
            .filter(Tag::name.eq(&name))
            .first()
            .await?;
        let tag = match existing {
            Some(tag) => tag,
            None => {
                let mut tag = Tag { id: 0, name };
                session.add(&mut tag).await?;
                tag
            }
        };
        Note::tags.link(&session, &note, &tag).await?;
    }
    // Until here nothing is visible to other requests; an error above rolls it all back at
    // the end of the request.
    session.commit().await?;
    let to: Redirect = redirect(format!("/notes/{}", note.id));
    Ok(to.into_response())
}

/// What a form on a note's page got wrong: the comment form's or the edit form's message.
#[derive(Debug, Clone, Copy)]
enum FormError<'a> {
    Comment(&'a str),
    Edit(&'a str),
}

/// The page of `note` with its tags, its comments, the comment and edit forms and what one
/// of them got wrong; `db` is the engine or the request's session.
async fn note_page(
    db: &impl Executor,
    note: Note,
    error: Option<FormError<'_>>,
) -> Result<Html<String>, Error> {
    let tags = Note::tags.load(db, &note).await?;
    let comments = Note::comments.load(db, &note).await?;
    let (error, edit_error) = match error {
        Some(FormError::Comment(e)) => (Some(e), None),
        Some(FormError::Edit(e)) => (None, Some(e)),
        None => (None, None),
    };
    render_template(
        "show.html",
        context! { note, tags, comments, error, edit_error },
    )
}

/// `GET /notes/<int:id>`: one note with its tags and comments (404 when there is none);
/// counts the view.
#[flask::view]
pub async fn show(db: Db, Path(id): Path<i64>) -> Result<Html<String>, Error> {
    let mut note: Note = db.get_or_404(id).await?;
    // The database adds, so two visits at once both count.
    db.select::<Note>()
        .filter(Note::id.eq(id))
        .update([Note::views.plus(1)])
        .await?;
    note.views += 1;
    note_page(&db, note, None).await
}

/// `POST /notes/<int:id>/comments`: adds a comment and shows the note again (404 when there
/// is no note); an empty comment shows the page with "Write a comment first." (status 400).
#[flask::view]
pub async fn comment(
    session: DbSession,
    Path(id): Path<i64>,
    Form(form): Form<NewComment>,
) -> Result<Response, Error> {
    let note: Note = session.get_or_404(id).await?;
    let body = form.body.trim();
    if body.is_empty() {
        let page = note_page(
            &session,
            note,
            Some(FormError::Comment("Write a comment first.")),
        )
        .await?;
        return Ok(bad_request(page));
    }
    let mut comment = Comment {
        id: 0,
        note_id: note.id,
        body: body.to_owned(),
    };
    session.add(&mut comment).await?;
    session.commit().await?;
    let to: Redirect = redirect(format!("/notes/{id}"));
    Ok(to.into_response())
}

/// `POST /notes/<int:id>/edit`: changes the note's title and body, SQLAlchemy's way: the
/// session's object of the row, changed in Rust, written at the commit (only the columns
/// that changed; the view count is left alone). 404 when there is no note; an empty title
/// shows the page with "A note needs a title." (status 400).
#[flask::view]
pub async fn edit(
    session: DbSession,
    Path(id): Path<i64>,
    Form(form): Form<EditNote>,
) -> Result<Response, Error> {
    let note = session.object_or_404::<Note>(id).await?;
    let title = form.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        let page = note_page(
            &session,
            note.cloned(),
            Some(FormError::Edit("A note needs a title.")),
        )
        .await?;
        return Ok(bad_request(page));
    }
    {
        let mut note = note.write();
        note.title = title.to_owned();
        note.body = form.body.trim().to_owned();
    }
    session.commit().await?; // UPDATE note SET title = ?, body = ? WHERE note.id = ?
    let to: Redirect = redirect(format!("/notes/{id}"));
    Ok(to.into_response())
}

/// `POST /notes/<int:id>/delete`: deletes the note (404 when there is none), its comments
/// and its tag links; the tags stay.
#[flask::view]
pub async fn delete(db: Db, Path(id): Path<i64>) -> Result<Redirect, Error> {
    let note: Note = db.get_or_404(id).await?;
    db.delete(&note).await?; // cascades, in one transaction
    Ok(redirect("/"))
}

/// `GET /tags/<name>`: the notes with that tag, newest first (404 for a tag that does not
/// exist).
#[flask::view]
pub async fn tagged(db: Db, Path(name): Path<String>) -> Result<Html<String>, Error> {
    let tag: Tag = db
        .select::<Tag>()
        .filter(Tag::name.eq(name.to_lowercase()))
        .first_or_404()
        .await?;
    // SELECT note.* FROM note JOIN note_tag ON ... JOIN tag ON ... WHERE tag.name = ?
    let notes = db
        .select::<Note>()
        .join(Note::tags)
        .filter(Tag::name.eq(&tag.name))
        .order_by(Note::id.desc())
        .all()
        .await?;
    render_template("tag.html", context! { tag, notes })
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
#[flask::view]
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

/// `GET /api/notes/feed?cursor=...&per_page=N`: the notes newest first, a keyset page at a
/// time, as JSON `{"items": [...], "per_page": N, "next": cursor, "prev": cursor}`. Pass
/// `next` (or `prev`) back as `?cursor=` for the page after (or before); notes added
/// meanwhile shift nothing. A cursor that is not one of ours is a 400.
#[flask::view]
pub async fn feed(db: Db, args: Args) -> Result<Json<KeysetPage<Note>>, Error> {
    let options = PageArgs {
        per_page: PER_PAGE,
        ..PageArgs::default()
    };
    let page = db
        .select::<Note>()
        .keyset_args(Note::id.desc(), &args, options)
        .await?;
    Ok(Json(page))
}

/// How many notes have a tag: an item of `/api/tags`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagCount {
    /// The tag.
    pub name: String,
    /// Its number of notes.
    pub notes: i64,
}

/// `GET /api/tags`: the tags in use with their number of notes, most used first, as JSON
/// `[{"name": "rust", "notes": 2}, ...]`.
#[flask::view]
pub async fn tag_counts(db: Db) -> Result<Json<Vec<TagCount>>, Error> {
    // SELECT tag.name, COUNT(*) FROM note_tag JOIN tag ON ... GROUP BY tag.name ...
    let rows = db
        .select::<NoteTag>()
        .join(NoteTag::tag)
        .group_by(Tag::name)
        .order_by(func::count_all().desc())
        .order_by(Tag::name.asc())
        .columns((Tag::name, func::count_all()))
        .all()
        .await?;
    let counts = rows
        .into_iter()
        .map(|(name, notes)| TagCount { name, notes })
        .collect();
    Ok(Json(counts))
}

/// The `datetime` template filter: `{{ note.created|datetime }}` shows
/// `2026-05-01T09:30:12Z` as `2026-05-01 09:30 UTC`.
pub fn format_datetime(value: &str) -> String {
    match DateTime::parse_from_rfc3339(value) {
        Ok(at) => at
            .with_timezone(&Utc)
            .format("%Y-%m-%d %H:%M UTC")
            .to_string(),
        Err(_) => value.to_owned(),
    }
}

/// The app: `SQLALCHEMY_DATABASE_URI` defaults to `sqlite:///orm-basics.db` (in the
/// instance folder); `FLASK_SQLALCHEMY_DATABASE_URI` picks PostgreSQL or MySQL instead. It
/// keeps no sessions, so without `FLASK_SECRET_KEY` a key made at each start will do.
pub fn app() -> Flask {
    let db = SQLAlchemy::new()
        .model::<Note>()
        .model::<Comment>()
        .model::<Tag>()
        .model::<NoteTag>();
    Flask::new(flask::app_root!())
        .configure(|c| c.set("SQLALCHEMY_DATABASE_URI", "sqlite:///orm-basics.db"))
        .config_from_prefixed_env("FLASK")
        .secret_key_file("secret_key")
        .extension(db)
        // The schema is the migrations' (src/migrations/, written by `db migrate`), applied
        // when the app starts.
        .extension(
            flask_migrate::Migrate::new()
                .migrator::<migrations::Migrator>()
                .upgrade_on_start(),
        )
        .template_filter("datetime", format_datetime)
        .route("/", get(index).post(create).endpoint("index"))
        .route("/notes/<int:id>", get(show))
        .route("/notes/<int:id>/comments", post(comment))
        .route("/notes/<int:id>/edit", post(edit))
        .route("/notes/<int:id>/delete", post(delete))
        .route("/tags/<name>", get(tagged))
        .route("/api/notes", get(search))
        .route("/api/notes/feed", get(feed))
        .route("/api/tags", get(tag_counts))
}
