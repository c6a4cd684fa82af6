//! The books API through the test client, on SQLite (a database file of each test's own)
//! and, when `FLASK_TEST_POSTGRES_URL` / `FLASK_TEST_MYSQL_URL` are set, on PostgreSQL and
//! MariaDB (a schema or database of each test's own).

use std::ops::Deref;
use std::path::PathBuf;

use flask::{testing::TestClient, testing::TestResponse};
use flask_restful::MISSING_ARGUMENT;
use flask_sqlalchemy::{Engine, EngineOptions, MetaData};
use rest_orm::Book;
use serde_json::{Value, json};
use test_support::databases::{backends, own_database};

/// A folder removed when dropped: the test's instance folder, holding its SQLite file.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The app on a database of its own, started (its table created), with no books.
struct TestApi {
    client: TestClient,
    backend: String,
    _dir: Option<TempDir>,
}

impl Deref for TestApi {
    type Target = TestClient;
    fn deref(&self) -> &TestClient {
        &self.client
    }
}

/// The app for test `name` on `backend` (SQLite, on a file of its own, or a server URL).
async fn api(backend: &str, name: &str) -> TestApi {
    let name = format!("rest_orm_{name}");
    let (url, dir) = if backend.starts_with("sqlite") {
        let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite:///{}", dir.join("rest-orm.db").display());
        (url, Some(TempDir(dir)))
    } else {
        let url = own_database(backend, &name).await;
        // The table an earlier run left.
        let engine = Engine::connect(
            &url,
            std::env::temp_dir().as_ref(),
            EngineOptions::default(),
        )
        .await
        .unwrap();
        engine
            .drop_all(&MetaData::new().register::<Book>())
            .await
            .unwrap();
        engine.close().await;
        (url, None)
    };
    let client = rest_orm::app()
        .configure(move |c| c.set("SQLALCHEMY_DATABASE_URI", url.as_str()))
        .test_client();
    client.app().startup().await.unwrap();
    let backend = backend.split(':').next().unwrap_or(backend).to_owned();
    TestApi {
        client,
        backend,
        _dir: dir,
    }
}

/// `POST /books` with this JSON; the answer.
async fn post(c: &TestClient, body: &Value) -> TestResponse {
    c.post("/books").json(body).send().await
}

/// Adds a book; its id.
async fn add(c: &TestClient, title: &str, author: &str, year: Option<i64>) -> i64 {
    let resp = post(c, &json!({"title": title, "author": author, "year": year})).await;
    assert_eq!(resp.status(), 201, "{}", resp.text());
    resp.json::<Value>()["id"].as_i64().unwrap()
}

/// The body's `message`.
fn message(resp: &TestResponse) -> Value {
    resp.json::<Value>()["message"].clone()
}

/// The titles of a page answer, in order.
fn titles(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {page}"))
        .iter()
        .map(|b| b["title"].as_str().unwrap().to_owned())
        .collect()
}

/// `GET path`, which must answer 200; its JSON.
async fn get_ok(c: &TestClient, path: &str) -> Value {
    let resp = c.get(path).send().await;
    assert_eq!(resp.status(), 200, "{path}: {}", resp.text());
    resp.json()
}

#[tokio::test]
async fn crud_round_trip() {
    for backend in backends() {
        let c = api(&backend, "crud").await;
        let b = &c.backend;

        let created = post(
            &c,
            &json!({"title": " Dune ", "author": "Frank Herbert", "year": 1965, "isbn": "9780441013593"}),
        )
        .await;
        assert_eq!(created.status(), 201, "{b}: {}", created.text());
        let book: Value = created.json();
        let id = book["id"].as_i64().unwrap();
        assert_eq!(
            book,
            json!({"id": id, "title": "Dune", "author": "Frank Herbert", "year": 1965, "isbn": "9780441013593"}),
            "{b}"
        );
        let location = created.header("location").unwrap().to_owned();
        assert_eq!(location, format!("/books/{id}"), "{b}");
        assert_eq!(get_ok(&c, &location).await, book, "{b}");

        // PUT replaces every field: those left out are cleared.
        let put = c
            .put(&location)
            .json(&json!({"title": "Dune Messiah", "author": "Frank Herbert"}))
            .send()
            .await;
        assert_eq!(put.status(), 200, "{b}: {}", put.text());
        let replaced = json!({"id": id, "title": "Dune Messiah", "author": "Frank Herbert", "year": null, "isbn": null});
        assert_eq!(put.json::<Value>(), replaced, "{b}");
        assert_eq!(get_ok(&c, &location).await, replaced, "{b}");

        // PATCH changes what it is given.
        let patch = c
            .patch(&location)
            .json(&json!({"year": 1969, "isbn": "978-0441172696"}))
            .send()
            .await;
        assert_eq!(patch.status(), 200, "{b}: {}", patch.text());
        let patched = json!({"id": id, "title": "Dune Messiah", "author": "Frank Herbert", "year": 1969, "isbn": "978-0441172696"});
        assert_eq!(patch.json::<Value>(), patched, "{b}");
        // As a form too; an empty value clears the ISBN.
        let patch = c
            .patch(&location)
            .form(&[("isbn", ""), ("title", "Dune Messiah (1969)")])
            .send()
            .await;
        assert_eq!(patch.status(), 200, "{b}: {}", patch.text());
        assert_eq!(patch.json::<Value>()["isbn"], Value::Null, "{b}");
        assert_eq!(patch.json::<Value>()["year"], 1969, "{b}");
        // Nothing sent: nothing changes.
        let same = c.patch(&location).json(&json!({})).send().await;
        assert_eq!(same.status(), 200, "{b}");
        assert_eq!(same.json::<Value>()["title"], "Dune Messiah (1969)", "{b}");

        let deleted = c.delete(&location).send().await;
        assert_eq!(deleted.status(), 204, "{b}");
        assert!(deleted.bytes().is_empty(), "{b}: {}", deleted.text());
        // Werkzeug keeps a 204's Content-Type (Flask-RESTful's `return '', 204`).
        assert_eq!(
            deleted.header("content-type"),
            Some("application/json"),
            "{b}"
        );
        let gone = c.get(&location).send().await;
        assert_eq!(gone.status(), 404, "{b}");
        assert_eq!(message(&gone), format!("Book {id} doesn't exist"), "{b}");
        assert_eq!(c.delete(&location).send().await.status(), 404, "{b}");
        let list = get_ok(&c, "/books").await;
        assert_eq!(list["total"], 0, "{b}");
    }
}

#[tokio::test]
async fn create_from_a_form() {
    for backend in backends() {
        let c = api(&backend, "form").await;
        let b = &c.backend;
        let resp = c
            .post("/books")
            .form(&[
                ("title", "Emma"),
                ("author", "Jane Austen"),
                ("year", "1815"),
                ("isbn", ""),
            ])
            .send()
            .await;
        assert_eq!(resp.status(), 201, "{b}: {}", resp.text());
        let book: Value = resp.json();
        assert_eq!(book["year"], 1815, "{b}");
        assert_eq!(book["isbn"], Value::Null, "{b}");
        // An empty year is no year.
        let resp = c
            .post("/books")
            .form(&[
                ("title", "Persuasion"),
                ("author", "Jane Austen"),
                ("year", ""),
            ])
            .send()
            .await;
        assert_eq!(resp.status(), 201, "{b}: {}", resp.text());
        assert_eq!(resp.json::<Value>()["year"], Value::Null, "{b}");
        // A year as text in JSON is read as reqparse's `type=int` would.
        let resp = post(
            &c,
            &json!({"title": "Sanditon", "author": "Jane Austen", "year": "1817"}),
        )
        .await;
        assert_eq!(resp.status(), 201, "{b}: {}", resp.text());
        assert_eq!(resp.json::<Value>()["year"], 1817, "{b}");
        // So is `1811.0`, an integer to JSON Schema.
        let resp = post(
            &c,
            &json!({"title": "Sense and Sensibility", "author": "Jane Austen", "year": 1811.0}),
        )
        .await;
        assert_eq!(resp.status(), 201, "{b}: {}", resp.text());
        assert_eq!(resp.json::<Value>()["year"], 1811, "{b}");
    }
}

#[tokio::test]
async fn pagination_links_and_link_header() {
    for backend in backends() {
        let c = api(&backend, "pages").await;
        let b = &c.backend;
        for n in 1..=25 {
            add(&c, &format!("Book {n:02}"), "Anon", Some(2000 + n)).await;
        }
        let first = get_ok(&c, "/books").await;
        assert_eq!(first["per_page"], 20, "{b}");
        assert_eq!(first["total"], 25, "{b}");
        assert_eq!(first["pages"], 2, "{b}");
        assert_eq!(titles(&first).len(), 20, "{b}");
        assert!(first["links"].get("prev").is_none(), "{b}");
        assert_eq!(first["links"]["next"], "/books?page=2", "{b}");

        let resp = c.get("/books?per_page=10&page=2").send().await;
        assert_eq!(resp.status(), 200, "{b}");
        let page: Value = resp.json();
        assert_eq!(
            titles(&page),
            (11..=20)
                .map(|n| format!("Book {n:02}"))
                .collect::<Vec<_>>(),
            "{b}"
        );
        assert_eq!(
            (&page["page"], &page["pages"]),
            (&json!(2), &json!(3)),
            "{b}"
        );
        assert_eq!(
            page["links"],
            json!({
                "self": "/books?per_page=10&page=2",
                "first": "/books?per_page=10&page=1",
                "prev": "/books?per_page=10&page=1",
                "next": "/books?per_page=10&page=3",
                "last": "/books?per_page=10&page=3",
            }),
            "{b}"
        );
        let link = resp.header("link").unwrap();
        for (url, rel) in [
            ("/books?per_page=10&page=2", "self"),
            ("/books?per_page=10&page=1", "first"),
            ("/books?per_page=10&page=1", "prev"),
            ("/books?per_page=10&page=3", "next"),
            ("/books?per_page=10&page=3", "last"),
        ] {
            assert!(
                link.contains(&format!("<{url}>; rel=\"{rel}\"")),
                "{b}: {rel} in {link}"
            );
        }

        // The last page, and past it.
        let last = get_ok(&c, "/books?per_page=10&page=3").await;
        assert_eq!(titles(&last).len(), 5, "{b}");
        assert!(last["links"].get("next").is_none(), "{b}");
        let past = get_ok(&c, "/books?per_page=10&page=9").await;
        assert_eq!(past["items"], json!([]), "{b}");
        let far = get_ok(&c, "/books?page=18446744073709551615").await;
        assert_eq!(far["items"], json!([]), "{b}");
        // Filters are kept in the links.
        let filtered = get_ok(&c, "/books?per_page=2&year_min=2020").await;
        assert_eq!(filtered["total"], 6, "{b}");
        assert_eq!(
            filtered["links"]["next"], "/books?per_page=2&year_min=2020&page=2",
            "{b}"
        );
        // per_page is capped.
        assert_eq!(
            get_ok(&c, "/books?per_page=1000").await["per_page"],
            100,
            "{b}"
        );
        for bad in [
            "/books?page=0",
            "/books?page=-1",
            "/books?page=x",
            "/books?per_page=0",
            "/books?page=99999999999999999999",
        ] {
            let resp = c.get(bad).send().await;
            assert_eq!(resp.status(), 400, "{b}: {bad}");
            assert!(message(&resp).is_object(), "{b}: {bad}: {}", resp.text());
        }
    }
}

#[tokio::test]
async fn filters_and_sorting() {
    for backend in backends() {
        let c = api(&backend, "filters").await;
        let b = &c.backend;
        add(&c, "Emma", "Jane Austen", Some(1815)).await;
        add(&c, "Dune", "Frank Herbert", Some(1965)).await;
        add(&c, "Pride and Prejudice", "Jane Austen", Some(1813)).await;
        add(&c, "Children of Dune", "Frank Herbert", Some(1976)).await;
        add(&c, "Anonymous Verses", "Anon", None).await;
        add(&c, "100% Pure_Fun", "Anon", Some(2001)).await;
        add(&c, "100 Pure Fun", "Anon", Some(2002)).await;

        // author: the exact name.
        let page = get_ok(&c, "/books?author=Jane%20Austen").await;
        assert_eq!(titles(&page), ["Emma", "Pride and Prejudice"], "{b}");
        assert_eq!(page["total"], 2, "{b}");
        let page = get_ok(&c, "/books?author=Jane").await;
        assert_eq!(page["total"], 0, "{b}");

        // q: a substring of the title, in any case.
        let page = get_ok(&c, "/books?q=dune").await;
        assert_eq!(titles(&page), ["Dune", "Children of Dune"], "{b}");
        let page = get_ok(&c, "/books?q=AND%20PREJ").await;
        assert_eq!(titles(&page), ["Pride and Prejudice"], "{b}");
        // `%` and `_` are text, not wildcards.
        let page = get_ok(&c, "/books?q=0%25%20pure_").await;
        assert_eq!(titles(&page), ["100% Pure_Fun"], "{b}");
        let page = get_ok(&c, "/books?q=_").await;
        assert_eq!(titles(&page), ["100% Pure_Fun"], "{b}");
        let page = get_ok(&c, "/books?q=%5C").await;
        assert_eq!(page["total"], 0, "{b}");

        // Years, inclusive; books without one are left out.
        let page = get_ok(&c, "/books?year_min=1815&year_max=1976").await;
        assert_eq!(titles(&page), ["Emma", "Dune", "Children of Dune"], "{b}");
        let page = get_ok(&c, "/books?year_max=1814").await;
        assert_eq!(titles(&page), ["Pride and Prejudice"], "{b}");
        let page = get_ok(&c, "/books?year_min=3001").await;
        assert_eq!(page["total"], 0, "{b}");

        // Sorting: title, year (unknown last), id.
        let page = get_ok(&c, "/books?sort=title&author=Frank%20Herbert").await;
        assert_eq!(titles(&page), ["Children of Dune", "Dune"], "{b}");
        let page = get_ok(&c, "/books?sort=year").await;
        assert_eq!(
            titles(&page),
            [
                "Pride and Prejudice",
                "Emma",
                "Dune",
                "Children of Dune",
                "100% Pure_Fun",
                "100 Pure Fun",
                "Anonymous Verses"
            ],
            "{b}"
        );
        let page = get_ok(&c, "/books?sort=id&per_page=2&page=2").await;
        assert_eq!(
            titles(&page),
            ["Pride and Prejudice", "Children of Dune"],
            "{b}"
        );

        // Together, with a page.
        let page = get_ok(&c, "/books?author=Anon&q=pure&sort=year&per_page=1").await;
        assert_eq!(titles(&page), ["100% Pure_Fun"], "{b}");
        assert_eq!(page["total"], 2, "{b}");

        // Text with `%` in pages, like any other list.
        add(&c, "50% Off", "Anon", Some(1990)).await;
        let page = get_ok(&c, "/books?q=%25&sort=title&per_page=1&page=2").await;
        assert_eq!(titles(&page), ["50% Off"], "{b}");
        assert_eq!(
            (&page["total"], &page["pages"]),
            (&json!(2), &json!(2)),
            "{b}"
        );
        assert_eq!(
            page["links"]["prev"], "/books?q=%25&sort=title&per_page=1&page=1",
            "{b}"
        );
        assert!(page["links"].get("next").is_none(), "{b}");
        let page = get_ok(&c, "/books?q=%25&year_max=1995").await;
        assert_eq!(titles(&page), ["50% Off"], "{b}");

        // Wrong filters are 400s naming them.
        for (query, field) in [
            ("sort=random", "sort"),
            ("year_min=abc", "year_min"),
            ("year_max=1e3", "year_max"),
            ("year_min=99999999999999999999", "year_min"),
            ("q=a%00b", "q"),
            ("author=%00", "author"),
        ] {
            let resp = c.get(&format!("/books?{query}")).send().await;
            assert_eq!(resp.status(), 400, "{b}: {query}: {}", resp.text());
            assert!(
                message(&resp).get(field).is_some(),
                "{b}: {query}: {}",
                resp.text()
            );
        }
    }
}

#[tokio::test]
async fn validation_errors_name_the_field() {
    for backend in backends() {
        let c = api(&backend, "validation").await;
        let b = &c.backend;
        let cases = [
            (json!({"author": "A"}), "title", MISSING_ARGUMENT.to_owned()),
            (json!({"title": "T"}), "author", MISSING_ARGUMENT.to_owned()),
            (
                json!({"title": "", "author": "A"}),
                "title",
                "title must not be empty".to_owned(),
            ),
            (
                json!({"title": "T", "author": "   "}),
                "author",
                "author must not be empty".to_owned(),
            ),
            (
                json!({"title": "x".repeat(201), "author": "A"}),
                "title",
                "title is longer than 200 characters".to_owned(),
            ),
            (
                json!({"title": "T", "author": "é".repeat(101)}),
                "author",
                "author is longer than 100 characters".to_owned(),
            ),
            (
                json!({"title": "T", "author": "A", "isbn": "1".repeat(21)}),
                "isbn",
                "isbn is longer than 20 characters".to_owned(),
            ),
            (
                json!({"title": "T", "author": "A", "year": -1}),
                "year",
                "year must be between 0 and 3000 (got -1)".to_owned(),
            ),
            (
                json!({"title": "T", "author": "A", "year": 3001}),
                "year",
                "year must be between 0 and 3000 (got 3001)".to_owned(),
            ),
            (
                json!({"title": "a\u{0}b", "author": "A"}),
                "title",
                "title must not contain control characters".to_owned(),
            ),
        ];
        for (body, field, expected) in &cases {
            let resp = post(&c, body).await;
            assert_eq!(resp.status(), 400, "{b}: {body}: {}", resp.text());
            assert_eq!(message(&resp)[field], json!(expected), "{b}: {body}");
        }
        // Wrong types name the field too.
        for (body, field) in [
            (json!({"title": 5, "author": "A"}), "title"),
            (json!({"title": null, "author": "A"}), "title"),
            (json!({"title": "T", "author": "A", "year": "soon"}), "year"),
            (json!({"title": "T", "author": "A", "year": 1999.5}), "year"),
            (json!({"title": "T", "author": "A", "year": 1e300}), "year"),
            (json!({"title": "T", "author": "A", "isbn": 978}), "isbn"),
        ] {
            let resp = post(&c, &body).await;
            assert_eq!(resp.status(), 400, "{b}: {body}: {}", resp.text());
            assert!(
                message(&resp)[field].is_string(),
                "{b}: {body}: {}",
                resp.text()
            );
        }
        // Every wrong field at once.
        let resp = post(&c, &json!({"title": " ", "author": "", "year": 5000})).await;
        assert_eq!(resp.status(), 400, "{b}");
        let m = message(&resp);
        let mut fields: Vec<&String> = m.as_object().unwrap().keys().collect();
        fields.sort();
        assert_eq!(fields, ["author", "title", "year"], "{b}: {m}");
        // Bodies that are not an object of arguments.
        for raw in ["{\"title\": ", "[1, 2]", "\"Dune\"", "nul"] {
            let resp = c
                .post("/books")
                .header("Content-Type", "application/json")
                .body(raw)
                .send()
                .await;
            assert_eq!(resp.status(), 400, "{b}: {raw}");
            assert!(message(&resp).is_string(), "{b}: {raw}: {}", resp.text());
        }
        let resp = c.post("/books").send().await;
        assert_eq!(resp.status(), 400, "{b}");
        assert_eq!(message(&resp)["title"], MISSING_ARGUMENT, "{b}");
        // Numbers JSON cannot hold are a 400 as well.
        let resp = c
            .post("/books")
            .header("Content-Type", "application/json")
            .body(r#"{"title": "T", "author": "A", "year": 1e400}"#)
            .send()
            .await;
        assert_eq!(resp.status(), 400, "{b}: {}", resp.text());
        let resp = post(
            &c,
            &json!({"title": "T", "author": "A", "year": 18_446_744_073_709_551_615_u64}),
        )
        .await;
        assert_eq!(resp.status(), 400, "{b}: {}", resp.text());
        assert!(message(&resp)["year"].is_string(), "{b}");

        // PUT validates the same way, PATCH what it is given; nothing is written.
        let id = add(&c, "Kept", "Author", Some(2000)).await;
        let url = format!("/books/{id}");
        let resp = c.put(&url).json(&json!({"title": "New"})).send().await;
        assert_eq!(resp.status(), 400, "{b}");
        assert_eq!(message(&resp)["author"], MISSING_ARGUMENT, "{b}");
        for (body, field) in [
            (json!({"title": ""}), "title"),
            (json!({"title": null}), "title"),
            (json!({"author": "x".repeat(101)}), "author"),
            (json!({"year": 3001}), "year"),
            (json!({"year": "x"}), "year"),
            (json!({"isbn": "1".repeat(21)}), "isbn"),
        ] {
            let resp = c.patch(&url).json(&body).send().await;
            assert_eq!(resp.status(), 400, "{b}: {body}: {}", resp.text());
            assert!(
                message(&resp)[field].is_string(),
                "{b}: {body}: {}",
                resp.text()
            );
        }
        let kept = get_ok(&c, &url).await;
        assert_eq!(
            (&kept["title"], &kept["author"], &kept["year"]),
            (&json!("Kept"), &json!("Author"), &json!(2000)),
            "{b}"
        );
    }
}

#[tokio::test]
async fn a_duplicate_isbn_is_a_conflict() {
    for backend in backends() {
        let c = api(&backend, "isbn").await;
        let b = &c.backend;
        let first = post(
            &c,
            &json!({"title": "Dune", "author": "Frank Herbert", "isbn": "9780441013593"}),
        )
        .await;
        assert_eq!(first.status(), 201, "{b}");
        let dup = post(
            &c,
            &json!({"title": "Dune (again)", "author": "Frank Herbert", "isbn": " 9780441013593 "}),
        )
        .await;
        assert_eq!(dup.status(), 409, "{b}: {}", dup.text());
        assert_eq!(
            dup.json::<Value>(),
            json!({"message": "A book with ISBN 9780441013593 already exists"}),
            "{b}"
        );
        assert_eq!(get_ok(&c, "/books").await["total"], 1, "{b}");

        // Books without an ISBN do not conflict.
        let other = add(&c, "Emma", "Jane Austen", None).await;
        add(&c, "Persuasion", "Jane Austen", None).await;
        let url = format!("/books/{other}");
        let put = c
            .put(&url)
            .json(&json!({"title": "Emma", "author": "Jane Austen", "isbn": "9780441013593"}))
            .send()
            .await;
        assert_eq!(put.status(), 409, "{b}: {}", put.text());
        let patch = c
            .patch(&url)
            .json(&json!({"isbn": "9780441013593"}))
            .send()
            .await;
        assert_eq!(patch.status(), 409, "{b}: {}", patch.text());
        assert_eq!(
            message(&patch),
            "A book with ISBN 9780441013593 already exists",
            "{b}"
        );
        assert_eq!(get_ok(&c, &url).await["isbn"], Value::Null, "{b}");
        // A book keeps its own ISBN through a PUT.
        let first_url = first.header("location").unwrap().to_owned();
        let put = c
            .put(&first_url)
            .json(&json!({"title": "Dune", "author": "F. Herbert", "isbn": "9780441013593"}))
            .send()
            .await;
        assert_eq!(put.status(), 200, "{b}: {}", put.text());
    }
}

#[tokio::test]
async fn missing_books_are_404s() {
    for backend in backends() {
        let c = api(&backend, "missing").await;
        let b = &c.backend;
        let body = json!({"title": "T", "author": "A"});
        for resp in [
            c.get("/books/42").send().await,
            c.put("/books/42").json(&body).send().await,
            c.patch("/books/42").json(&body).send().await,
            c.delete("/books/42").send().await,
        ] {
            assert_eq!(resp.status(), 404, "{b}");
            assert_eq!(
                resp.json::<Value>(),
                json!({"message": "Book 42 doesn't exist"}),
                "{b}"
            );
        }
        // URLs the rule does not match: JSON too.
        for path in [
            "/books/abc",
            "/books/-1",
            "/books/99999999999999999999",
            "/books/1/x",
        ] {
            let resp = c.get(path).send().await;
            assert_eq!(resp.status(), 404, "{b}: {path}");
            assert!(message(&resp).is_string(), "{b}: {path}: {}", resp.text());
        }
    }
}

#[tokio::test]
async fn other_methods_are_405_with_allow() {
    let c = api("sqlite", "methods").await;
    let resp = c.delete("/books").send().await;
    assert_eq!(resp.status(), 405);
    assert_eq!(
        message(&resp),
        "The method is not allowed for the requested URL."
    );
    let allow = resp.header("allow").unwrap();
    for method in ["GET", "POST"] {
        assert!(allow.contains(method), "{allow}");
    }
    assert!(!allow.contains("DELETE"), "{allow}");
    for resp in [c.put("/books").send().await, c.patch("/books").send().await] {
        assert_eq!(resp.status(), 405);
    }
    let resp = c.post("/books/1").send().await;
    assert_eq!(resp.status(), 405);
    let allow = resp.header("allow").unwrap();
    for method in ["GET", "PUT", "PATCH", "DELETE"] {
        assert!(allow.contains(method), "{allow}");
    }
    assert!(!allow.contains("POST"), "{allow}");
}

/// A method, a path, and a content type with a body.
type OddRequest<'a> = (&'a str, String, Option<(&'a str, &'a str)>);

#[tokio::test]
async fn odd_input_is_never_a_server_error() {
    for backend in backends() {
        let c = api(&backend, "odd").await;
        let b = &c.backend;
        // Text of every kind round trips.
        for title in [
            "日本語のタイトル",
            "Ünïcödé ✓",
            "🦀🦀🦀",
            "'; DROP TABLE book; --",
            "a\u{200b}b",
        ] {
            let resp = post(&c, &json!({"title": title, "author": "Ærø 🦀"})).await;
            assert_eq!(resp.status(), 201, "{b}: {title}: {}", resp.text());
            let url = resp.header("location").unwrap().to_owned();
            assert_eq!(get_ok(&c, &url).await["title"], title, "{b}");
        }
        let long = "🦀".repeat(200);
        let resp = post(
            &c,
            &json!({"title": long, "author": "x".repeat(100), "isbn": "ü".repeat(20)}),
        )
        .await;
        assert_eq!(resp.status(), 201, "{b}: {}", resp.text());

        let requests: Vec<OddRequest<'_>> = vec![
            ("GET", "/books?q=%F0%9F%A6%80".to_owned(), None),
            ("GET", "/books?q=%FF%FE".to_owned(), None),
            ("GET", "/books?author=".to_owned(), None),
            ("GET", "/books?q=".to_owned(), None),
            ("GET", "/books?sort=".to_owned(), None),
            (
                "GET",
                "/books?year_min=-9223372036854775808".to_owned(),
                None,
            ),
            (
                "GET",
                "/books?year_max=9223372036854775807".to_owned(),
                None,
            ),
            ("GET", "/books?page=1&page=2".to_owned(), None),
            (
                "GET",
                "/books?per_page=18446744073709551615".to_owned(),
                None,
            ),
            ("GET", format!("/books?q={}", "a".repeat(10_000)), None),
            (
                "POST",
                "/books".to_owned(),
                Some(("application/json", "{}")),
            ),
            ("POST", "/books".to_owned(), Some(("application/json", ""))),
            (
                "POST",
                "/books".to_owned(),
                Some(("application/json", "\u{0}")),
            ),
            (
                "POST",
                "/books".to_owned(),
                Some(("application/json", r#"{"title": "\ud800", "author": "A"}"#)),
            ),
            (
                "POST",
                "/books".to_owned(),
                Some((
                    "application/json",
                    r#"{"title": "T", "author": "A", "year": -0}"#,
                )),
            ),
            (
                "POST",
                "/books".to_owned(),
                Some((
                    "application/json",
                    r#"{"title": "T", "author": "A", "year": true}"#,
                )),
            ),
            (
                "POST",
                "/books".to_owned(),
                Some((
                    "application/json",
                    r#"{"title": ["T"], "author": {"a": 1}}"#,
                )),
            ),
            (
                "POST",
                "/books".to_owned(),
                Some(("text/plain", "title=T&author=A")),
            ),
            (
                "POST",
                "/books".to_owned(),
                Some(("application/x-www-form-urlencoded", "title=%FF&author=%00")),
            ),
            (
                "POST",
                "/books".to_owned(),
                Some((
                    "application/x-www-form-urlencoded",
                    "title=T&author=A&year=1e3",
                )),
            ),
            (
                "POST",
                "/books".to_owned(),
                Some((
                    "application/x-www-form-urlencoded",
                    "title=T&title=U&author=A",
                )),
            ),
            (
                "POST",
                "/books".to_owned(),
                Some(("multipart/form-data; boundary=x", "--x--")),
            ),
            (
                "PATCH",
                "/books/1".to_owned(),
                Some(("application/json", "[]")),
            ),
            (
                "PATCH",
                "/books/1".to_owned(),
                Some(("application/json", r#"{"isbn": 5}"#)),
            ),
            (
                "PUT",
                "/books/1".to_owned(),
                Some(("application/json", "null")),
            ),
        ];
        for (method, path, body) in requests {
            let mut req = c.request(method.parse().unwrap(), &path);
            if let Some((content_type, body)) = body {
                req = req.header("Content-Type", content_type).body(body);
            }
            let resp = req.send().await;
            assert!(
                resp.status().is_success() || resp.status().is_client_error(),
                "{b}: {method} {path} {body:?}: {} {}",
                resp.status(),
                resp.text()
            );
            if resp.status().is_client_error() {
                assert!(
                    message(&resp).is_object() || message(&resp).is_string(),
                    "{b}: {path}"
                );
            }
        }
    }
}

#[tokio::test]
async fn the_openapi_document_lists_both_paths_with_all_methods() {
    let c = api("sqlite", "openapi").await;
    let doc = get_ok(&c, "/openapi.json").await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "Books API");
    let paths = doc["paths"].as_object().unwrap();
    assert_eq!(paths.keys().collect::<Vec<_>>(), ["/books", "/books/{id}"]);

    let list = &paths["/books"];
    assert_eq!(
        list.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["get", "post"]
    );
    let params: Vec<&str> = list["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p["in"], "query");
            assert_eq!(p["required"], false, "{p}");
            p["name"].as_str().unwrap()
        })
        .collect();
    for name in [
        "page", "per_page", "author", "q", "year_min", "year_max", "sort",
    ] {
        assert!(params.contains(&name), "{name} in {params:?}");
    }
    assert_eq!(
        list["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/BookPage"
    );
    let post = &list["post"];
    for media in ["application/json", "application/x-www-form-urlencoded"] {
        assert_eq!(
            post["requestBody"]["content"][media]["schema"]["$ref"],
            "#/components/schemas/BookArgs"
        );
    }
    for status in ["201", "400", "409"] {
        assert!(post["responses"][status].is_object(), "post {status}");
    }

    let item = &paths["/books/{id}"];
    assert_eq!(item["parameters"][0]["name"], "id");
    assert_eq!(item["parameters"][0]["in"], "path");
    assert_eq!(item["parameters"][0]["schema"]["type"], "integer");
    for (method, statuses) in [
        ("get", &["200", "404"][..]),
        ("put", &["200", "400", "404", "409"][..]),
        ("patch", &["200", "400", "404", "409"][..]),
        ("delete", &["204", "404"][..]),
    ] {
        let op = &item[method];
        assert!(op["summary"].is_string(), "{method}");
        for status in statuses {
            assert!(
                op["responses"][status].is_object(),
                "{method} {status}: {op}"
            );
        }
    }
    assert!(item["post"].is_null());
    assert_eq!(
        item["patch"]["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/BookPatch"
    );

    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let args = &schemas["BookArgs"];
    assert_eq!(args["required"], json!(["title", "author"]));
    assert_eq!(args["properties"]["title"]["maxLength"], 200);
    assert_eq!(args["properties"]["year"]["maximum"], 3000);
    assert!(schemas["BookPatch"].get("required").is_none());
    // No `"default": null` on parameters that are strings or integers.
    assert!(!doc.to_string().contains("\"default\":null"));
    // Every $ref points at a schema that is there.
    let text = doc.to_string();
    for piece in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = piece.split('"').next().unwrap();
        assert!(schemas.contains_key(name), "dangling $ref {name}");
    }
    assert_eq!(c.get("/docs").send().await.status(), 200);
}

#[tokio::test]
async fn openapi_spec_validator_accepts_the_document() {
    let available = std::process::Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        if std::env::var_os("FLASK_TEST_REQUIRE_SERVICES").is_some() {
            panic!("openapi-spec-validator is not installed: pip install openapi-spec-validator");
        }
        eprintln!(
            "skipped: openapi-spec-validator is not installed (pip install openapi-spec-validator)"
        );
        return;
    }
    let c = api("sqlite", "validator").await;
    let doc = c.get("/openapi.json").send().await.text();
    let path = std::env::temp_dir().join(format!("rest-orm-openapi-{}.json", std::process::id()));
    std::fs::write(&path, doc).unwrap();
    let out = std::process::Command::new("python3")
        .args(["-m", "openapi_spec_validator"])
        .arg(&path)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
