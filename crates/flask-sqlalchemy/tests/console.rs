//! `db` in `myapp shell` and in the debug page's console: rows by table name, queries
//! narrowed with `filter_by`, and read-only SQL, on each database.

mod common;

use flask::routing::get;
use flask::{Error, Flask, StatusCode};
use flask_sqlalchemy::{Db, Model, SQLAlchemy, text};

#[derive(Debug, Model)]
#[model(table = "console_author")]
struct Author {
    #[model(primary_key)]
    id: i64,
    #[model(max_length = 40)]
    name: String,
}

#[derive(Debug, Model)]
#[model(table = "console_post")]
struct Post {
    #[model(primary_key)]
    id: i64,
    #[model(foreign_key = "console_author.id")]
    author_id: i64,
    #[model(max_length = 80)]
    title: String,
}

#[flask::view]
async fn broken(db: Db) -> Result<String, Error> {
    let n = db.select::<Post>().count().await?;
    Err(Error::internal(format!("{n} posts, and the page failed")))
}

fn app(url: &str, debug: bool) -> flask::App {
    let url = url.to_owned();
    Flask::new(flask::app_root!())
        .configure(move |c| {
            c.set("SQLALCHEMY_DATABASE_URI", url.as_str());
            c.set("DEBUG", debug);
            c.set("SECRET_KEY", "console-tests");
        })
        .extension(SQLAlchemy::new().model::<Author>().model::<Post>())
        .route("/broken", get(broken))
        .build()
        .unwrap()
}

async fn fill(app: &flask::App) {
    let runner = app.test_cli_runner();
    runner.invoke(&["db", "drop-all"]).await;
    let r = runner.invoke(&["db", "create-all"]).await;
    assert_eq!(r.code, 0, "{}", r.output);
    let engine = app
        .extension::<SQLAlchemy>()
        .unwrap()
        .engine()
        .unwrap()
        .clone();
    for sql in [
        "INSERT INTO console_author (id, name) VALUES (1, 'ada'), (2, 'grace')",
        "INSERT INTO console_post (id, author_id, title) VALUES (1, 1, 'Engines'), (2, 1, 'Notes'), (3, 2, 'Compilers')",
    ] {
        engine.execute(text(sql)).await.unwrap();
    }
}

#[tokio::test]
async fn shell_reads_rows_by_table_name_on_each_database() {
    for url in common::backends() {
        let app = app(&url, false);
        fill(&app).await;
        let runner = app.test_cli_runner();
        let r = runner
            .invoke(&[
                "shell",
                "-c",
                "db.get('console_author', 1)",
                "-c",
                "db.get('ConsoleAuthor', 2).name",
                "-c",
                "db.get('console_author', 9)",
                "-c",
                "db.query('console_post').filter_by(author_id=1).order_by('-id').all() | map(attribute='title') | list",
                "-c",
                "db.query('console_post').filter_by(author_id=1).count()",
                "-c",
                "db.query('console_post').order_by('title').first().title",
                "-c",
                "db.sql('select count(*) as n from console_post where author_id = :a', a=2)[0].n",
                "-c",
                "db.tables",
            ])
            .await;
        assert_eq!(r.code, 0, "{url}: {}", r.output);
        assert_eq!(
            r.output,
            "{'id': 1, 'name': 'ada'}\n'grace'\nNone\n['Notes', 'Engines']\n2\n'Compilers'\n1\n['console_author', 'console_post']\n",
            "{url}"
        );
        // What could change the database is refused, and changes nothing.
        for (line, says) in [
            (
                "db.sql('delete from console_post')",
                "only statements that read",
            ),
            (
                "db.sql('select 1; delete from console_post')",
                "one statement at a time",
            ),
            (
                "db.query('console_post').filter_by(nope=1).all()",
                "has no column \"nope\"",
            ),
            ("db.get('nope', 1)", "no model has the table \"nope\""),
        ] {
            let r = runner.invoke(&["shell", "-c", line]).await;
            assert_eq!(r.code, 1, "{url}: {line}: {}", r.output);
            assert!(r.output.contains(says), "{url}: {line}: {}", r.output);
        }
        let r = runner
            .invoke(&["shell", "-c", "db.query('console_post').count()"])
            .await;
        assert_eq!(r.output, "3\n", "{url}");
    }
}

#[tokio::test]
async fn a_reading_statement_that_writes_is_rolled_back() {
    // SQLite has no read-only transaction: a WITH that deletes runs, and is undone.
    let app = app("sqlite://", false);
    fill(&app).await;
    let engine = app
        .extension::<SQLAlchemy>()
        .unwrap()
        .engine()
        .unwrap()
        .clone();
    let _ = engine
        .fetch_read_only(text(
            "WITH gone AS (SELECT 1) DELETE FROM console_post WHERE id IN (SELECT * FROM gone)",
        ))
        .await;
    let n = engine
        .scalar(text("SELECT COUNT(*) FROM console_post"))
        .await
        .unwrap();
    assert_eq!(n.as_i64(), Some(3));
}

#[tokio::test]
async fn the_debug_console_queries_the_database() {
    let app = app("sqlite://", true);
    fill(&app).await;
    let client = app.test_client();
    let page = client.get("/broken").send().await.text();
    let attr = |name: &str| {
        let start = page.find(&format!("data-{name}=\"")).expect(&page) + name.len() + 7;
        page[start..start + page[start..].find('"').unwrap()].to_owned()
    };
    let (snapshot, secret) = (attr("snapshot"), attr("secret"));
    let pin = app.debugger_pin().unwrap();
    let r = client
        .post("/__debugger__/pinauth")
        .form(&[("pin", pin.as_str()), ("s", &secret)])
        .send()
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = client
        .post("/__debugger__/console")
        .form(&[
            (
                "cmd",
                "db.query('console_post').filter_by(author_id=1).count()",
            ),
            ("snapshot", &snapshot),
            ("s", &secret),
        ])
        .send()
        .await;
    assert_eq!(r.json::<serde_json::Value>()["output"], "2");
}
