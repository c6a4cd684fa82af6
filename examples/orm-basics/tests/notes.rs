//! The notes app as a user sees it, on SQLite, PostgreSQL and MariaDB.

use flask::testing::TestClient;
use flask_sqlalchemy::{Engine, EngineOptions, MetaData, SQLAlchemy};
use orm_basics::{Comment, Note, NoteTag, Tag, TagCount};
use serde_json::Value;

fn backends() -> Vec<String> {
    let mut out = vec!["sqlite://".to_owned()];
    for var in ["FLASK_TEST_POSTGRES_URL", "FLASK_TEST_MYSQL_URL"] {
        match std::env::var(var) {
            Ok(url) => out.push(url),
            Err(_) if std::env::var_os("FLASK_TEST_REQUIRE_SERVICES").is_some() => {
                panic!("{var} is not set but services are required")
            }
            Err(_) => eprintln!("skipped a backend: {var} is not set"),
        }
    }
    out
}

/// A database of the app's own on the server behind `url`, as an app has (`db check`
/// compares every table, and the shared test database holds other tests' tables): a schema
/// on PostgreSQL, a database on MariaDB; SQLite's in-memory database is the app's already.
async fn own_database(url: &str) -> String {
    if url.starts_with("sqlite") {
        return url.to_owned();
    }
    let engine = Engine::connect(url, std::env::temp_dir().as_ref(), EngineOptions::default())
        .await
        .unwrap();
    let own = if url.starts_with("postgres") {
        engine
            .execute(flask_sqlalchemy::text(
                "CREATE SCHEMA IF NOT EXISTS orm_basics",
            ))
            .await
            .unwrap();
        format!("{url}?options=-c%20search_path%3Dorm_basics")
    } else {
        engine
            .execute(flask_sqlalchemy::text(
                "CREATE DATABASE IF NOT EXISTS orm_basics",
            ))
            .await
            .unwrap();
        let (server, _) = url.rsplit_once('/').unwrap();
        format!("{server}/orm_basics")
    };
    engine.close().await;
    own
}

/// The app on `url`, its tables new.
async fn client(url: &str) -> TestClient {
    let url = &own_database(url).await;
    let engine = Engine::connect(url, std::env::temp_dir().as_ref(), EngineOptions::default())
        .await
        .unwrap();
    // Referencing tables first: note_tag and comment, then tag and note.
    let models = MetaData::new()
        .register::<Note>()
        .register::<Comment>()
        .register::<Tag>()
        .register::<NoteTag>();
    engine.drop_all(&models).await.unwrap();
    // And the record of applied migrations: the app applies them all at startup.
    engine
        .execute(flask_sqlalchemy::text(format!(
            "DROP TABLE IF EXISTS {}",
            flask_migrate::MIGRATIONS_TABLE
        )))
        .await
        .unwrap();
    engine.close().await;
    let url = url.to_owned();
    orm_basics::app()
        .configure(move |c| c.set("SQLALCHEMY_DATABASE_URI", url.as_str()))
        .test_client()
}

/// The `<li>` of the index that links to `title`.
fn index_item<'a>(index: &'a str, title: &str) -> &'a str {
    index
        .lines()
        .find(|line| line.contains(&format!(">{title}</a>")))
        .unwrap_or_else(|| panic!("no {title} in {index}"))
}

/// The view count a note's page shows.
fn page_views(page: &str) -> i64 {
    let at = page.find(" views</p>").expect("a view count");
    let start = page[..at].rfind('>').map_or(0, |i| i + 1);
    page[start..at].parse().expect("a number of views")
}

async fn tag_counts(c: &TestClient) -> Vec<TagCount> {
    c.get("/api/tags").send().await.json()
}

fn counts(pairs: &[(&str, i64)]) -> Vec<TagCount> {
    pairs
        .iter()
        .map(|&(name, notes)| TagCount {
            name: name.to_owned(),
            notes,
        })
        .collect()
}

/// The titles of the feed's pages of `per_page`, forward from the first page, then back
/// from the last one through the `prev` cursors.
async fn walk_feed(c: &TestClient, per_page: usize) -> (Vec<String>, Vec<String>) {
    let titles = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut forward = Vec::new();
    let mut url = format!("/api/notes/feed?per_page={per_page}");
    let last = loop {
        let r = c.get(&url).send().await;
        assert_eq!(r.status(), 200, "{url}");
        let page: Value = r.json();
        let items = titles(&page);
        assert!(!items.is_empty() && items.len() <= per_page, "{page}");
        assert_eq!(page["prev"].is_null(), forward.is_empty(), "{page}");
        forward.extend(items);
        match page["next"].as_str() {
            Some(next) => url = format!("/api/notes/feed?per_page={per_page}&cursor={next}"),
            None => break page,
        }
    };
    let mut backward = Vec::new();
    let mut prev = last["prev"].as_str().map(str::to_owned);
    while let Some(cursor) = prev {
        let url = format!("/api/notes/feed?per_page={per_page}&cursor={cursor}");
        let page: Value = c.get(&url).send().await.json();
        assert!(page["next"].is_string(), "{page}");
        let mut items = titles(&page);
        items.reverse();
        backward.extend(items);
        prev = page["prev"].as_str().map(str::to_owned);
    }
    (forward, backward)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notes_on_every_backend() {
    for url in backends() {
        let c = client(&url).await;
        let r = c.get("/").send().await;
        assert_eq!(r.status(), 200, "{url}");
        assert!(r.text().contains("No notes yet."), "{url}");

        // A title is required; nothing is written, not even the tags.
        let r = c
            .post("/")
            .form(&[("title", "  "), ("body", "x"), ("tags", "rust")])
            .send()
            .await;
        assert_eq!(r.status(), 400, "{url}");
        assert!(r.text().contains("Title is required."), "{url}");
        // So is a tag of at most 40 characters.
        let long = "x".repeat(41);
        let r = c
            .post("/")
            .form(&[("title", "Long"), ("tags", &format!("ok, {long}"))])
            .send()
            .await;
        assert_eq!(r.status(), 400, "{url}");
        assert!(
            r.text().contains("A tag has at most 40 characters."),
            "{url}"
        );
        assert!(
            c.get("/").send().await.text().contains("No notes yet."),
            "{url}"
        );
        assert!(tag_counts(&c).await.is_empty(), "{url}");

        // Create: redirected to the new note, shown escaped, its views counted, its tags
        // trimmed, lowercase and once each, its creation time set by the database.
        let r = c
            .post("/")
            .form(&[
                ("title", "<b>Rust</b> & SQL"),
                ("body", "Bound, not pasted."),
                ("tags", " Rust, SQL,, rust "),
            ])
            .send()
            .await;
        assert_eq!(r.status(), 302, "{url}");
        let location = r.header("location").unwrap().to_owned();
        assert!(location.starts_with("/notes/"), "{url}: {location}");
        let r = c.get(&location).send().await;
        assert_eq!(r.status(), 200, "{url}");
        let page = r.text();
        assert!(
            page.contains("<h1>&lt;b&gt;Rust&lt;/b&gt; &amp; SQL</h1>"),
            "{url}: {page}"
        );
        assert!(page.contains("1 views"), "{url}: {page}");
        assert!(
            page.contains(
                "Tags: <a class=tag href=\"/tags/rust\">#rust</a> \
                 <a class=tag href=\"/tags/sql\">#sql</a></p>"
            ),
            "{url}: {page}"
        );
        assert!(page.contains("No comments yet."), "{url}: {page}");
        assert!(
            c.get(&location).send().await.text().contains("2 views"),
            "{url}"
        );
        let r = c
            .post("/")
            .form(&[("title", "Go notes"), ("tags", "go,RUST")])
            .send()
            .await;
        let go_location = r.header("location").unwrap().to_owned();
        let index = c.get("/").send().await.text();
        let go = index.find("Go notes").unwrap();
        let rust = index.find("&lt;b&gt;Rust").unwrap();
        assert!(go < rust, "{url}: newest first");

        // Each note of the index with its tags (oldest tag first), linked to their pages.
        let go_item = index_item(&index, "Go notes");
        assert!(
            go_item.ends_with(
                "<a class=tag href=\"/tags/rust\">#rust</a> \
                 <a class=tag href=\"/tags/go\">#go</a></li>"
            ),
            "{url}: {go_item}"
        );
        let rust_item = index_item(&index, "&lt;b&gt;Rust&lt;/b&gt; &amp; SQL");
        assert!(
            rust_item.contains("#rust") && rust_item.contains("#sql") && !rust_item.contains("#go"),
            "{url}: {rust_item}"
        );

        // A missing note is a 404.
        assert_eq!(c.get("/notes/99999").send().await.status(), 404, "{url}");

        // The JSON search: any case, most viewed first; injection attempts find nothing.
        let found: Vec<Value> = c.get("/api/notes?q=RUST").send().await.json();
        assert_eq!(found.len(), 1, "{url}");
        assert_eq!(found[0]["title"], "<b>Rust</b> & SQL", "{url}");
        assert_eq!(found[0]["views"], 2, "{url}");
        let all: Vec<Value> = c.get("/api/notes").send().await.json();
        assert_eq!(all.len(), 2, "{url}");
        let none: Vec<Value> = c
            .get("/api/notes?q=%25%27%20OR%201%3D1%20--")
            .send()
            .await
            .json();
        assert!(none.is_empty(), "{url}: {none:?}");

        // The creation time the database gave the note, in the JSON and on its page.
        let created = found[0]["created"].as_str().unwrap();
        let created = chrono::DateTime::parse_from_rfc3339(created)
            .unwrap_or_else(|e| panic!("{url}: {created}: {e}"));
        let shown = created.format("%Y-%m-%d %H:%M UTC").to_string();
        let page = c.get(&location).send().await.text();
        assert!(page.contains(&format!(">{shown}</time>")), "{url}: {page}");

        // The tags: pages found through a join, newest first; usage counts, most used first.
        let r = c.get("/tags/rust").send().await;
        assert_eq!(r.status(), 200, "{url}");
        let page = r.text();
        assert!(page.contains("<h1>Notes tagged #rust</h1>"), "{url}");
        let go = page.find("Go notes").unwrap();
        let rust = page.find("&lt;b&gt;Rust").unwrap();
        assert!(go < rust, "{url}: {page}");
        let page = c.get("/tags/SQL").send().await.text();
        assert!(
            page.contains("&lt;b&gt;Rust") && !page.contains("Go notes"),
            "{url}: {page}"
        );
        assert_eq!(c.get("/tags/java").send().await.status(), 404, "{url}");
        assert_eq!(
            tag_counts(&c).await,
            counts(&[("rust", 2), ("go", 1), ("sql", 1)]),
            "{url}"
        );

        // Comments: an empty one is refused, a missing note is a 404, the others are listed
        // in order, escaped.
        let comments = format!("{location}/comments");
        let r = c.post(&comments).form(&[("body", " ")]).send().await;
        assert_eq!(r.status(), 400, "{url}");
        let page = r.text();
        assert!(page.contains("Write a comment first."), "{url}: {page}");
        assert!(page.contains("No comments yet."), "{url}: {page}");
        let r = c
            .post("/notes/99999/comments")
            .form(&[("body", "hello")])
            .send()
            .await;
        assert_eq!(r.status(), 404, "{url}");
        for body in ["<i>First</i>", "Second"] {
            let r = c.post(&comments).form(&[("body", body)]).send().await;
            assert_eq!(r.status(), 302, "{url}");
            assert_eq!(r.header("location"), Some(location.as_str()), "{url}");
        }
        c.post(&format!("{go_location}/comments"))
            .form(&[("body", "On Go")])
            .send()
            .await;
        let page = c.get(&location).send().await.text();
        let first = page.find("<li>&lt;i&gt;First&lt;/i&gt;</li>");
        let second = page.find("<li>Second</li>");
        assert!(
            first.is_some() && first < second && !page.contains("On Go"),
            "{url}: {page}"
        );

        // Edit through the unit of work: title and body change, the view count stays; an
        // empty title is refused and changes nothing; a missing note is a 404.
        let views_before = page_views(&c.get(&location).send().await.text());
        let edit = format!("{location}/edit");
        let r = c
            .post(&edit)
            .form(&[("title", "  "), ("body", "gone?")])
            .send()
            .await;
        assert_eq!(r.status(), 400, "{url}");
        assert!(r.text().contains("A note needs a title."), "{url}");
        let r = c
            .post(&edit)
            .form(&[("title", "Rust & SQL, edited"), ("body", "Still bound.")])
            .send()
            .await;
        assert_eq!(r.status(), 302, "{url}");
        let page = c.get(&location).send().await.text();
        assert!(
            page.contains("<h1>Rust &amp; SQL, edited</h1>"),
            "{url}: {page}"
        );
        assert!(
            page.contains("<p class=body>Still bound.</p>"),
            "{url}: {page}"
        );
        assert_eq!(page_views(&page), views_before + 1, "{url}: {page}");
        let r = c
            .post("/notes/99999/edit")
            .form(&[("title", "x")])
            .send()
            .await;
        assert_eq!(r.status(), 404, "{url}");

        // Delete: the note goes with its comments and tag links; the tags stay.
        let r = c.post(&format!("{location}/delete")).send().await;
        assert_eq!(r.status(), 302, "{url}");
        assert_eq!(c.get(&location).send().await.status(), 404, "{url}");
        assert_eq!(
            c.post(&format!("{location}/delete")).send().await.status(),
            404
        );
        let page = c.get("/tags/sql").send().await.text();
        assert!(page.contains("No notes have this tag."), "{url}: {page}");
        assert_eq!(
            tag_counts(&c).await,
            counts(&[("go", 1), ("rust", 1)]),
            "{url}"
        );
        // No page lists comments without a note, so this looks at the table.
        let engine = c.app().extension::<SQLAlchemy>().unwrap();
        let left = engine.engine().unwrap().all::<Comment>().await.unwrap();
        let left: Vec<&str> = left.iter().map(|c| c.body.as_str()).collect();
        assert_eq!(left, ["On Go"], "{url}");

        // Pages of ten, newest first, with a navigation; bad page numbers are 404s.
        for i in 1..=21 {
            c.post("/")
                .form(&[("title", format!("note {i:02}"))])
                .send()
                .await;
        }
        let page = c.get("/").send().await.text();
        assert!(
            page.contains("note 21") && page.contains("note 12"),
            "{url}"
        );
        assert!(!page.contains("note 11"), "{url}");
        assert!(page.contains("1-10 of 22"), "{url}: {page}");
        assert!(page.contains("<strong>1</strong>"), "{url}");
        assert!(page.contains("href=\"/?page=2\" rel=next"), "{url}: {page}");
        let third = c.get("/?page=3").send().await.text();
        assert!(
            third.contains("21-22 of 22") && third.contains("Go notes"),
            "{url}: {third}"
        );
        assert!(
            third.contains("rel=prev") && !third.contains("rel=next"),
            "{url}"
        );
        assert!(third.contains("#go"), "{url}: the tags on every page");
        for bad in [
            "/?page=4",
            "/?page=0",
            "/?page=x",
            "/?page=18446744073709551615",
        ] {
            assert_eq!(c.get(bad).send().await.status(), 404, "{url}: {bad}");
        }

        // The feed: keyset pages, newest first, every note once each way.
        let mut newest_first: Vec<String> =
            (1..=21).rev().map(|i| format!("note {i:02}")).collect();
        newest_first.push("Go notes".to_owned());
        let (forward, backward) = walk_feed(&c, 5).await;
        assert_eq!(forward, newest_first, "{url}");
        let mut before_last = newest_first[..20].to_vec();
        before_last.reverse();
        assert_eq!(backward, before_last, "{url}: back from the last page");
        let (forward, backward) = walk_feed(&c, 100).await;
        assert_eq!(forward, newest_first, "{url}: one page");
        assert!(backward.is_empty(), "{url}");
        let first: Value = c.get("/api/notes/feed").send().await.json();
        assert_eq!(first["items"].as_array().unwrap().len(), 10, "{url}");
        assert!(first["items"][0]["created"].is_string(), "{url}: {first}");
        for bad in ["nonsense!", "eyJkIjoibiIsImsiOlsieCJdfQ"] {
            let r = c.get(&format!("/api/notes/feed?cursor={bad}")).send().await;
            assert_eq!(r.status(), 400, "{url}: {bad}");
            assert!(r.text().contains("cursor is not valid"), "{url}");
        }
        let r = c.get("/api/notes/feed?per_page=0").send().await;
        assert_eq!(r.status(), 400, "{url}");

        // The schema is the migrations' (applied at startup), and it matches the models.
        let cli = c.app().test_cli_runner();
        let out = cli.invoke(&["db", "check"]).await;
        assert_eq!(out.code, 0, "{url}: {}", out.output);
        assert_eq!(
            out.output.trim(),
            "No new upgrade operations detected.",
            "{url}"
        );
        let out = cli.invoke(&["db", "current"]).await;
        assert!(
            out.output
                .trim()
                .ends_with("_notes_comments_and_tags (head)"),
            "{url}: {}",
            out.output
        );
        // Down to nothing, and up again: the tables are back, empty.
        let out = cli.invoke(&["db", "downgrade", "base"]).await;
        assert_eq!(out.code, 0, "{url}: {}", out.output);
        assert!(out.output.contains("-> base"), "{url}: {}", out.output);
        assert_eq!(
            cli.invoke(&["db", "check"]).await.code,
            1,
            "{url}: the tables are gone"
        );
        let out = cli.invoke(&["db", "upgrade"]).await;
        assert_eq!(out.code, 0, "{url}: {}", out.output);
        assert!(
            c.get("/").send().await.text().contains("No notes yet."),
            "{url}"
        );
        assert!(tag_counts(&c).await.is_empty(), "{url}");
    }
}
