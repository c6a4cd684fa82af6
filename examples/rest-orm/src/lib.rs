//! A CRUD API of books: flask-restful's resources over flask-sqlalchemy's ORM.
//!
//! ```text
//! cargo run -p rest-orm -- run
//! curl -X POST http://127.0.0.1:5000/books -H 'Content-Type: application/json' \
//!      -d '{"title": "Dune", "author": "Frank Herbert", "year": 1965, "isbn": "9780441013593"}'
//! curl -X POST http://127.0.0.1:5000/books -d title=Emma -d author="Jane Austen" -d year=1815
//! curl 'http://127.0.0.1:5000/books?author=Jane%20Austen&sort=year&per_page=10'
//! curl 'http://127.0.0.1:5000/books?q=dun&year_min=1900&year_max=2000'
//! curl -X PATCH http://127.0.0.1:5000/books/1 -H 'Content-Type: application/json' -d '{"year": 1966}'
//! curl -X DELETE http://127.0.0.1:5000/books/1
//! ```
//!
//! | URL | methods | resource |
//! |---|---|---|
//! | `/books` | GET (a page, filtered and sorted), POST (create: 201 and `Location`) | [`BookList`] |
//! | `/books/<int:id>` | GET, PUT (replace), PATCH (change some fields), DELETE (204) | [`BookItem`] |
//! | `/openapi.json`, `/docs` | the OpenAPI 3.1 document and a page to try it | the `Api` |
//!
//! Bodies are JSON or a form ([`BookArgs`], [`BookPatch`]); list arguments come from the
//! query string ([`ListArgs`]). Whatever a client sends, a mistake is a 4xx with
//! `{"message": ...}`: an argument's mistake names it (`{"message": {"title": "title must not
//! be empty"}}`), a duplicate ISBN is a 409, a missing book a 404. `cargo xtask fuzz-api`
//! checks that with schemathesis.
//!
//! The database is `sqlite:///rest-orm.db` in the instance folder; set
//! `FLASK_SQLALCHEMY_DATABASE_URI` for another one (PostgreSQL, MySQL/MariaDB). The table is
//! created at startup when it is missing.

use flask::{Flask, IntoResponse, Json, Response};
use flask_restful::{
    Api, ApiError, ApiRequest, ApiResult, Describe, JsonSchema, Page, Resource, abort, reply,
};
use flask_sqlalchemy::{Db, Model, SQLAlchemy};
use serde::de::{self, Unexpected, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// The longest title, in characters.
pub const TITLE_MAX: usize = 200;
/// The longest author name, in characters.
pub const AUTHOR_MAX: usize = 100;
/// The longest ISBN, in characters.
pub const ISBN_MAX: usize = 20;
/// The earliest year a book may have.
pub const YEAR_MIN: i64 = 0;
/// The latest year a book may have.
pub const YEAR_MAX: i64 = 3000;
/// Books per page when `per_page` is not given.
pub const PER_PAGE: u64 = 20;
/// The most books a page holds (a larger `per_page` is capped).
pub const MAX_PER_PAGE: u64 = 100;

/// A book: the model, and what the API answers.
#[derive(Debug, Clone, PartialEq, Serialize, Model, JsonSchema)]
#[schemars(crate = "flask_restful::schemars")]
#[model(table = "book")]
pub struct Book {
    /// Numbered by the database.
    #[model(primary_key)]
    pub id: i64,
    /// 1 to 200 characters.
    #[model(max_length = 200, index)]
    pub title: String,
    /// 1 to 100 characters.
    #[model(max_length = 100, index)]
    pub author: String,
    /// The year it was published, 0 to 3000, if known.
    pub year: Option<i64>,
    /// Up to 20 characters, unique among the books, if known.
    #[model(max_length = 20, unique)]
    pub isbn: Option<String>,
}

/// A year from JSON (a number, a number as text, or null) or from a form or query string
/// (text; empty is no year). Out of range is caught by validation, not here.
fn year<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    struct YearVisitor;

    impl<'de> Visitor<'de> for YearVisitor {
        type Value = Option<i64>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a whole number (a year), or null")
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            i64::try_from(v)
                .map(Some)
                .map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            // JSON Schema's integers include `1965.0`.
            if v.fract() == 0.0 && v.abs() < 9e18 {
                Ok(Some(v as i64))
            } else {
                Err(E::invalid_type(Unexpected::Float(v), &self))
            }
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            let text = v.trim();
            if text.is_empty() {
                return Ok(None);
            }
            text.parse::<i64>()
                .map(Some)
                .map_err(|_| E::invalid_value(Unexpected::Str(v), &self))
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }

    deserializer.deserialize_any(YearVisitor)
}

/// Text or null; blank text is none.
fn optional_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let text: Option<String> = Option::deserialize(deserializer)?;
    Ok(text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()))
}

/// A PATCH field that was sent: `Some(value)`, where null is a value (it clears the field).
fn sent_year<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<i64>>, D::Error> {
    year(deserializer).map(Some)
}

/// A PATCH text field that was sent: `Some(text)`, where null or blank clears the field.
fn sent_text<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<String>>, D::Error> {
    optional_text(deserializer).map(Some)
}

/// A PATCH field that may not be null: `Some(text)` when sent.
fn sent_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    String::deserialize(deserializer).map(Some)
}

// The argument types are only deserialized; `skip_serializing_if` keeps schemars from
// writing `"default": null` into the document for optional fields (a query parameter of
// type string with a null default), while they stay optional.

/// The body of POST and PUT: a whole book, as JSON or a form.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[schemars(crate = "flask_restful::schemars")]
pub struct BookArgs {
    /// The title: 1 to 200 characters, not blank, without control characters (spaces around
    /// it are dropped).
    #[schemars(length(min = 1, max = 200))]
    pub title: String,
    /// The author: 1 to 100 characters, not blank, without control characters.
    #[schemars(length(min = 1, max = 100))]
    pub author: String,
    /// The year it was published, 0 to 3000; null or absent when unknown.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "year"
    )]
    #[schemars(with = "Option<i64>", range(min = 0, max = 3000))]
    pub year: Option<i64>,
    /// The ISBN, up to 20 characters, unique; null, empty or absent when unknown.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_text"
    )]
    #[schemars(with = "Option<String>", length(max = 20))]
    pub isbn: Option<String>,
}

/// The body of PATCH: the fields to change, as JSON or a form. Null (or an empty value in a
/// form) clears `year` and `isbn`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[schemars(crate = "flask_restful::schemars")]
pub struct BookPatch {
    /// A new title (1 to 200 characters, not blank).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "sent_string"
    )]
    #[schemars(with = "String", length(min = 1, max = 200))]
    pub title: Option<String>,
    /// A new author (1 to 100 characters, not blank).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "sent_string"
    )]
    #[schemars(with = "String", length(min = 1, max = 100))]
    pub author: Option<String>,
    /// A new year (0 to 3000), or null for unknown.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "sent_year"
    )]
    #[schemars(with = "Option<i64>", range(min = 0, max = 3000))]
    pub year: Option<Option<i64>>,
    /// A new ISBN (up to 20 characters, unique), or null for none.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "sent_text"
    )]
    #[schemars(with = "Option<String>", length(max = 20))]
    pub isbn: Option<Option<String>>,
}

/// The order of a list.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[schemars(crate = "flask_restful::schemars")]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// By id: the order they were added.
    #[default]
    Id,
    /// By title, then id.
    Title,
    /// By year, unknown years last, then id.
    Year,
}

/// The query string of `GET /books`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[schemars(crate = "flask_restful::schemars")]
pub struct ListArgs {
    /// The page, from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u64", range(min = 1))]
    pub page: Option<u64>,
    /// Books per page: 20 by default, at most 100 (more is capped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u64", range(min = 1))]
    pub per_page: Option<u64>,
    /// Only this author's books (the exact name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub author: Option<String>,
    /// Only books whose title contains this text, in any case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub q: Option<String>,
    /// Only books of this year or later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "i64")]
    pub year_min: Option<i64>,
    /// Only books of this year or earlier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "i64")]
    pub year_max: Option<i64>,
    /// The order: `id` (default), `title` or `year`.
    #[serde(default)]
    pub sort: Sort,
}

/// The links of a page (for the OpenAPI document).
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(crate = "flask_restful::schemars")]
pub struct PageLinks {
    /// This page.
    #[serde(rename = "self")]
    pub this: String,
    /// The first page.
    pub first: String,
    /// The page before, unless this is the first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    /// The page after, unless this is the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// The last page.
    pub last: String,
}

/// A page of books, as `GET /books` answers (for the OpenAPI document; the same links are in
/// the `Link` header).
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(crate = "flask_restful::schemars")]
pub struct BookPage {
    /// The books of this page.
    pub items: Vec<Book>,
    /// This page's number, from 1.
    pub page: u64,
    /// Books per page.
    pub per_page: u64,
    /// Books in all pages.
    pub total: u64,
    /// How many pages there are.
    pub pages: u64,
    /// The other pages.
    pub links: PageLinks,
}

/// `{"message": {field: message, ...}}`, a 400, when there are any.
fn bad_arguments(errors: Map<String, Value>) -> Result<(), ApiError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(abort(400, Value::Object(errors)))
    }
}

/// `value` trimmed, if it is a valid `field` of at most `max` characters; else the error is
/// recorded.
fn clean_text(
    field: &str,
    value: &str,
    max: usize,
    required: bool,
    errors: &mut Map<String, Value>,
) -> Option<String> {
    let text = value.trim();
    let problem = if text.is_empty() && required {
        Some(format!("{field} must not be empty"))
    } else if text.chars().any(char::is_control) {
        Some(format!("{field} must not contain control characters"))
    } else if text.chars().count() > max {
        Some(format!("{field} is longer than {max} characters"))
    } else {
        None
    };
    match problem {
        Some(message) => {
            errors.insert(field.to_owned(), Value::String(message));
            None
        }
        None => Some(text.to_owned()),
    }
}

/// Records an error unless `year` is in range.
fn check_year(year: Option<i64>, errors: &mut Map<String, Value>) {
    if let Some(year) = year
        && !(YEAR_MIN..=YEAR_MAX).contains(&year)
    {
        errors.insert(
            "year".to_owned(),
            Value::String(format!(
                "year must be between {YEAR_MIN} and {YEAR_MAX} (got {year})"
            )),
        );
    }
}

impl BookArgs {
    /// The book these arguments describe (id 0: not stored yet), or a 400 naming every
    /// field that is wrong.
    pub fn validate(&self) -> Result<Book, ApiError> {
        let mut errors = Map::new();
        let title = clean_text("title", &self.title, TITLE_MAX, true, &mut errors);
        let author = clean_text("author", &self.author, AUTHOR_MAX, true, &mut errors);
        let isbn = match &self.isbn {
            Some(isbn) => clean_text("isbn", isbn, ISBN_MAX, false, &mut errors),
            None => None,
        };
        check_year(self.year, &mut errors);
        bad_arguments(errors)?;
        Ok(Book {
            id: 0,
            title: title.unwrap_or_default(),
            author: author.unwrap_or_default(),
            year: self.year,
            isbn: isbn.filter(|i| !i.is_empty()),
        })
    }
}

impl BookPatch {
    /// `book` with these changes, or a 400 naming every field that is wrong.
    pub fn apply(&self, mut book: Book) -> Result<Book, ApiError> {
        let mut errors = Map::new();
        if let Some(title) = &self.title
            && let Some(title) = clean_text("title", title, TITLE_MAX, true, &mut errors)
        {
            book.title = title;
        }
        if let Some(author) = &self.author
            && let Some(author) = clean_text("author", author, AUTHOR_MAX, true, &mut errors)
        {
            book.author = author;
        }
        if let Some(year) = self.year {
            check_year(year, &mut errors);
            book.year = year;
        }
        if let Some(isbn) = &self.isbn {
            book.isbn = match isbn {
                Some(isbn) => {
                    clean_text("isbn", isbn, ISBN_MAX, false, &mut errors).filter(|i| !i.is_empty())
                }
                None => None,
            };
        }
        bad_arguments(errors)?;
        Ok(book)
    }
}

/// A database failure: a 500, its cause logged (flask-restful does not log it).
fn db_error(e: flask_sqlalchemy::Error) -> ApiError {
    tracing::error!("database error: {e}");
    ApiError::from(flask::Error::from(e))
}

/// A failed write: a 409 for a duplicate ISBN (the only unique column), else a 500.
fn write_error(e: flask_sqlalchemy::Error, book: &Book) -> ApiError {
    if e.is_unique_violation() {
        abort(
            409,
            format!(
                "A book with ISBN {} already exists",
                book.isbn.as_deref().unwrap_or("")
            ),
        )
    } else {
        db_error(e)
    }
}

/// The book `id`, or a 404 `Book <id> doesn't exist`.
async fn book_or_404(db: &Db, id: i64) -> Result<Book, ApiError> {
    db.get::<Book>(id)
        .await
        .map_err(db_error)?
        .ok_or_else(|| abort(404, format!("Book {id} doesn't exist")))
}

/// A 404 when a write matched no row: the book was deleted since it was read.
fn gone_unless_done(rows: u64, id: i64) -> Result<(), ApiError> {
    if rows == 0 {
        Err(abort(404, format!("Book {id} doesn't exist")))
    } else {
        Ok(())
    }
}

/// Whether a filter's text can be sent to every database: PostgreSQL refuses NUL in text.
fn check_filter(field: &str, value: Option<&str>, errors: &mut Map<String, Value>) {
    if value.is_some_and(|v| v.contains('\0')) {
        errors.insert(
            field.to_owned(),
            Value::String(format!("{field} must not contain NUL characters")),
        );
    }
}

/// `/books`: the list (GET) and creating a book (POST).
#[flask::view]
#[derive(Debug, Clone, Copy, Default)]
pub struct BookList;

impl Resource for BookList {
    const METHODS: &'static [&'static str] = &["GET", "POST"];

    fn describe(doc: &mut Describe<'_>) {
        doc.get()
            .summary("List books")
            .description(
                "A page of books, filtered by author, title text and years, sorted by id, \
                 title or year. The page's links are also in the `Link` header.",
            )
            .tag("books")
            .args::<ListArgs>()
            .response::<BookPage>(200, "A page of books");
        doc.post()
            .summary("Add a book")
            .description("Answers the new book, with its URL in the `Location` header.")
            .tag("books")
            .args::<BookArgs>()
            .response::<Book>(201, "The book, as stored")
            .error(409, "A book with this ISBN already exists");
    }

    async fn get(&self, mut req: ApiRequest) -> ApiResult {
        let (page, per_page) = req.page_args(PER_PAGE, MAX_PER_PAGE).await?;
        let args: ListArgs = req.args().await?;
        let mut errors = Map::new();
        check_filter("author", args.author.as_deref(), &mut errors);
        check_filter("q", args.q.as_deref(), &mut errors);
        bad_arguments(errors)?;
        let db: Db = req.extract().await?;

        let mut query = db.select::<Book>();
        if let Some(author) = args.author {
            query = query.filter(Book::author.eq(author));
        }
        if let Some(min) = args.year_min {
            query = query.filter(Book::year.ge(min));
        }
        if let Some(max) = args.year_max {
            query = query.filter(Book::year.le(max));
        }
        // The title holds the text as typed: `%` and `_` in it are matched as themselves
        // (escaped, as SQLAlchemy's `contains(q, autoescape=True)`).
        if let Some(q) = args.q.filter(|q| !q.is_empty()) {
            query = query.filter(Book::title.icontains(&q));
        }
        query = match args.sort {
            Sort::Id => query.order_by(Book::id.asc()),
            Sort::Title => query.order_by(Book::title.asc()).order_by(Book::id.asc()),
            Sort::Year => query
                .order_by(Book::year.asc().nulls_last())
                .order_by(Book::id.asc()),
        };
        let pagination = query.paginate(page, per_page).await.map_err(db_error)?;
        Ok(Page::from(pagination).reply(&req))
    }

    async fn post(&self, mut req: ApiRequest) -> ApiResult {
        let args: BookArgs = req.args().await?;
        let mut book = args.validate()?;
        let db: Db = req.extract().await?;
        db.insert(&mut book)
            .await
            .map_err(|e| write_error(e, &book))?;
        let location = req.url_for("bookitem", &[("id", &book.id.to_string())], false)?;
        Ok(reply(&book).status(201).header("Location", &location))
    }
}

/// `/books/<int:id>`: one book, read (GET), replaced (PUT), changed (PATCH), deleted
/// (DELETE).
#[flask::view]
#[derive(Debug, Clone, Copy, Default)]
pub struct BookItem;

impl Resource for BookItem {
    const METHODS: &'static [&'static str] = &["GET", "PUT", "PATCH", "DELETE"];

    fn describe(doc: &mut Describe<'_>) {
        const MISSING: &str = "Book <id> doesn't exist";
        doc.get()
            .summary("Show a book")
            .tag("books")
            .response::<Book>(200, "The book")
            .error(404, MISSING);
        doc.put()
            .summary("Replace a book")
            .description("Every field is set: one left out is cleared (year, isbn) or missing.")
            .tag("books")
            .args::<BookArgs>()
            .response::<Book>(200, "The book, as stored")
            .error(404, MISSING)
            .error(409, "Another book has this ISBN");
        doc.patch()
            .summary("Change some fields of a book")
            .tag("books")
            .args::<BookPatch>()
            .response::<Book>(200, "The book, as stored")
            .error(404, MISSING)
            .error(409, "Another book has this ISBN");
        doc.delete()
            .summary("Delete a book")
            .tag("books")
            .no_content(204, "Deleted")
            .error(404, MISSING);
    }

    async fn get(&self, mut req: ApiRequest) -> ApiResult {
        let id: i64 = req.path("id")?;
        let db: Db = req.extract().await?;
        Ok(reply(book_or_404(&db, id).await?))
    }

    async fn put(&self, mut req: ApiRequest) -> ApiResult {
        let id: i64 = req.path("id")?;
        let db: Db = req.extract().await?;
        let existing = book_or_404(&db, id).await?;
        let args: BookArgs = req.args().await?;
        let mut book = Book {
            id: existing.id,
            ..args.validate()?
        };
        let updated = db
            .update(&mut book)
            .await
            .map_err(|e| write_error(e, &book))?;
        gone_unless_done(updated, id)?;
        Ok(reply(book))
    }

    async fn patch(&self, mut req: ApiRequest) -> ApiResult {
        let id: i64 = req.path("id")?;
        let db: Db = req.extract().await?;
        let existing = book_or_404(&db, id).await?;
        let patch: BookPatch = req.args().await?;
        let mut book = patch.apply(existing)?;
        let updated = db
            .update(&mut book)
            .await
            .map_err(|e| write_error(e, &book))?;
        gone_unless_done(updated, id)?;
        Ok(reply(book))
    }

    async fn delete(&self, mut req: ApiRequest) -> ApiResult {
        let id: i64 = req.path("id")?;
        let db: Db = req.extract().await?;
        let book = book_or_404(&db, id).await?;
        let deleted = db.delete(&book).await.map_err(db_error)?;
        gone_unless_done(deleted, id)?;
        Ok(reply(Value::Null).status(204))
    }
}

/// Errors the app answers outside the resources (a URL the rules do not match, such as
/// `/books/abc`) as JSON `{"message": ...}` too, not as HTML pages, keeping their headers.
/// A method a resource lacks is the Api's own JSON 405.
async fn json_error(err: flask::Error) -> Response {
    let mut resp = (
        err.status(),
        Json(serde_json::json!({ "message": err.description() })),
    )
        .into_response();
    for (name, value) in err.headers() {
        resp.headers_mut().append(name, value.clone());
    }
    resp
}

/// The Api: the two resources, and the OpenAPI document at `/openapi.json` (with `/docs`).
pub fn api() -> Api {
    Api::new()
        .openapi("Books API", "1.0")
        .add_resource(BookList, &["/books"])
        .add_resource(BookItem, &["/books/<int:id>"])
}

/// The app: `SQLALCHEMY_DATABASE_URI` is `sqlite:///rest-orm.db` (in the instance folder)
/// unless `FLASK_SQLALCHEMY_DATABASE_URI` says otherwise; the `book` table is created at
/// startup when it is missing. It keeps no sessions, so it needs no `SECRET_KEY`.
pub fn app() -> Flask {
    Flask::new(flask::app_root!())
        .configure(|c| c.set("SQLALCHEMY_DATABASE_URI", "sqlite:///rest-orm.db"))
        .config_from_prefixed_env("FLASK")
        // It keeps no sessions; `run` still wants a key, kept in the instance folder.
        .secret_key_file("secret_key")
        .extension(SQLAlchemy::new().model::<Book>().create_all_on_startup())
        .extension(api())
        .errorhandler(404, json_error)
}
