//! The notes app as a user sees it, on SQLite, PostgreSQL and MariaDB.

use flask::TestClient;
use flask_sqlalchemy::{Engine, EngineOptions, text};
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

/// The app on `url`, its `note` table new.
async fn client(url: &str) -> TestClient {
    let engine = Engine::connect(url, std::env::temp_dir().as_ref(), EngineOptions::default())
        .await
        .unwrap();
    engine
        .execute(text("DROP TABLE IF EXISTS note"))
        .await
        .unwrap();
    engine.close().await;
    let url = url.to_owned();
    orm_basics::app()
        .configure(move |c| c.set("SQLALCHEMY_DATABASE_URI", url.as_str()))
        .test_client()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notes_on_every_backend() {
    for url in backends() {
        let c = client(&url).await;
        let r = c.get("/").send().await;
        assert_eq!(r.status(), 200, "{url}");
        assert!(r.text().contains("No notes yet."), "{url}");

        // A title is required.
        let r = c
            .post("/")
            .form(&[("title", "  "), ("body", "x")])
            .send()
            .await;
        assert_eq!(r.status(), 400, "{url}");
        assert!(r.text().contains("Title is required."), "{url}");

        // Create: redirected to the new note, shown escaped, its views counted.
        let r = c
            .post("/")
            .form(&[
                ("title", "<b>Rust</b> & SQL"),
                ("body", "Bound, not pasted."),
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
            c.get(&location).send().await.text().contains("2 views"),
            "{url}"
        );
        c.post("/").form(&[("title", "Go notes")]).send().await;
        let index = c.get("/").send().await.text();
        let go = index.find("Go notes").unwrap();
        let rust = index.find("&lt;b&gt;Rust").unwrap();
        assert!(go < rust, "{url}: newest first");

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

        // Delete.
        let r = c.post(&format!("{location}/delete")).send().await;
        assert_eq!(r.status(), 302, "{url}");
        assert_eq!(c.get(&location).send().await.status(), 404, "{url}");
        assert_eq!(
            c.post(&format!("{location}/delete")).send().await.status(),
            404
        );

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
        for bad in ["/?page=4", "/?page=0", "/?page=x"] {
            assert_eq!(c.get(bad).send().await.status(), 404, "{url}: {bad}");
        }

        // The db commands.
        let cli = c.app().test_cli_runner();
        let out = cli.invoke(&["db", "drop-all"]).await;
        assert_eq!(out.code, 0, "{url}: {}", out.output);
        assert!(
            out.output.starts_with("Dropped the tables of "),
            "{url}: {}",
            out.output
        );
        let out = cli.invoke(&["db", "create-all"]).await;
        assert_eq!(out.code, 0, "{url}: {}", out.output);
        assert!(
            c.get("/").send().await.text().contains("No notes yet."),
            "{url}"
        );
    }
}
