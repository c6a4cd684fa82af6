//! The flask extension: config errors at build time, the `Db` extractor, the `*_or_404`
//! helpers, recorded queries and echo from config.
#![cfg(feature = "flask")]

use flask::routing::get;
use flask::{Error, Flask, Path};
use flask_sqlalchemy::{Db, DbSession, Model, PageArgs, SQLAlchemy};

#[derive(Debug, Model)]
#[model(table = "ext_item")]
struct Item {
    #[model(primary_key)]
    id: i64,
    #[model(max_length = 50)]
    name: String,
}

#[flask::view]
async fn by_id(db: Db, Path(id): Path<i64>) -> Result<String, Error> {
    Ok(db.get_or_404::<Item>(id).await?.name)
}

#[flask::view]
async fn by_name(db: Db, Path(name): Path<String>) -> Result<String, Error> {
    let item = db
        .select::<Item>()
        .filter(Item::name.eq(name))
        .one_or_404()
        .await?;
    Ok(item.id.to_string())
}

#[flask::view]
async fn first_named(db: Db, Path(name): Path<String>) -> Result<String, Error> {
    let item = db
        .select::<Item>()
        .filter(Item::name.eq(name))
        .first_or_404()
        .await?;
    Ok(item.id.to_string())
}

#[flask::view]
async fn add(db: Db, Path(name): Path<String>) -> Result<String, Error> {
    let mut item = Item { id: 0, name };
    db.insert(&mut item).await?;
    Ok(item.id.to_string())
}

#[flask::view]
async fn described(db: Db, Path(id): Path<i64>) -> Result<String, Error> {
    let item: Item = db.get_or_404_with(id, "There is no such item.").await?;
    let first = db
        .select::<Item>()
        .filter(Item::name.eq("nothing"))
        .first_or_404_with("Nothing is named so.")
        .await;
    Ok(format!("{} {}", item.name, first.is_err()))
}

#[flask::view]
async fn queries(db: Db) -> String {
    db.recorded_queries().len().to_string()
}

/// Adds an item in the request's session; two extractors, one session. Commits when the
/// path says so, fails or panics after writing when it says that.
#[flask::view]
async fn session_add(
    first: DbSession,
    second: DbSession,
    Path((name, then)): Path<(String, String)>,
) -> Result<String, Error> {
    let mut item = Item { id: 0, name };
    first.add(&mut item).await?;
    let seen = second.select::<Item>().count().await?;
    match then.as_str() {
        "commit" => second.commit().await?,
        "fail" => {
            return Err(Error::with_description(
                flask::StatusCode::BAD_REQUEST,
                "refused after writing",
            ));
        }
        "panic" => panic!("handler failed after writing"),
        _ => {}
    }
    Ok(format!("{} {seen}", item.id))
}

#[flask::view]
async fn feed(db: Db, args: flask::Args) -> Result<flask::Json<serde_json::Value>, Error> {
    let page = db
        .select::<Item>()
        .keyset_args(Item::id.desc(), &args, PageArgs::default())
        .await?;
    let names: Vec<String> = page.items.into_iter().map(|i| i.name).collect();
    Ok(flask::Json(
        serde_json::json!({"names": names, "next": page.next}),
    ))
}

#[flask::view]
async fn count(db: Db) -> Result<String, Error> {
    Ok(db.select::<Item>().count().await?.to_string())
}

fn app() -> Flask {
    Flask::new("ext")
        .configure(|c| {
            c.set("SQLALCHEMY_DATABASE_URI", "sqlite://");
            c.set("SQLALCHEMY_RECORD_QUERIES", true);
        })
        .extension(SQLAlchemy::new().model::<Item>().create_all_on_startup())
        .route("/items/<int:id>", get(by_id))
        .route("/one/<name>", get(by_name))
        .route("/first/<name>", get(first_named))
        .route("/add/<name>", get(add))
        .route("/queries", get(queries))
        .route("/described/<int:id>", get(described))
        .route("/session/<name>/<then>", get(session_add))
        .route("/count", get(count))
        .route("/feed", get(feed))
}

#[tokio::test]
async fn the_or_404_helpers() {
    let c = app().test_client();
    assert_eq!(c.get("/add/apple").send().await.text(), "1");
    assert_eq!(c.get("/add/pear").send().await.text(), "2");
    assert_eq!(c.get("/add/pear").send().await.text(), "3");
    assert_eq!(c.get("/items/1").send().await.text(), "apple");
    let r = c.get("/items/42").send().await;
    assert_eq!(r.status(), 404);
    assert!(r.text().contains("Not Found"));
    assert_eq!(c.get("/one/apple").send().await.text(), "1");
    assert_eq!(c.get("/one/plum").send().await.status(), 404);
    // Two pears: one_or_404 is a 404, first_or_404 takes the first.
    assert_eq!(c.get("/one/pear").send().await.status(), 404);
    assert_eq!(c.get("/first/pear").send().await.text(), "2");
    assert_eq!(c.get("/first/plum").send().await.status(), 404);
    // With a description, the 404 page says it.
    let r = c.get("/described/42").send().await;
    assert_eq!(r.status(), 404);
    assert!(r.text().contains("There is no such item."), "{}", r.text());
    assert_eq!(c.get("/described/1").send().await.text(), "apple true");
    // SQLALCHEMY_RECORD_QUERIES: every statement so far was recorded.
    let n: usize = c.get("/queries").send().await.text().parse().unwrap();
    assert!(n >= 10, "{n}");
}

#[tokio::test]
async fn the_request_session_commits_or_rolls_back_at_teardown() {
    let c = app().test_client();
    // Both extractors are the same session: the second sees the first's row.
    assert_eq!(c.get("/session/apple/commit").send().await.text(), "1 1");
    assert_eq!(c.get("/count").send().await.text(), "1");
    // Not committed: rolled back at the end of the request.
    assert_eq!(c.get("/session/pear/nothing").send().await.text(), "2 2");
    assert_eq!(c.get("/count").send().await.text(), "1");
    let r = c.get("/session/pear/fail").send().await;
    assert_eq!(r.status(), 400);
    assert_eq!(c.get("/count").send().await.text(), "1");
    let r = c.get("/session/pear/panic").send().await;
    assert_eq!(r.status(), 500);
    assert_eq!(c.get("/count").send().await.text(), "1");
    assert_eq!(c.get("/session/plum/commit").send().await.text(), "2 2");
    assert_eq!(c.get("/count").send().await.text(), "2");
}

#[tokio::test]
async fn keyset_pages_from_the_query_string() {
    let c = app().test_client();
    for name in ["a", "b", "c"] {
        c.get(&format!("/add/{name}")).send().await;
    }
    let first: serde_json::Value = c.get("/feed?per_page=2").send().await.json();
    assert_eq!(first["names"], serde_json::json!(["c", "b"]));
    let next = first["next"].as_str().unwrap();
    let second: serde_json::Value = c
        .get(&format!("/feed?per_page=2&cursor={next}"))
        .send()
        .await
        .json();
    assert_eq!(second["names"], serde_json::json!(["a"]));
    assert!(second["next"].is_null());
    let r = c.get("/feed?cursor=forged").send().await;
    assert_eq!(r.status(), 400);
    assert!(
        r.text().contains("page cursor is not valid"),
        "{}",
        r.text()
    );
    assert_eq!(c.get("/feed?per_page=zero").send().await.status(), 400);
}

#[flask::view]
async fn fails_after_queries(db: Db) -> Result<String, Error> {
    db.select::<Item>()
        .filter(Item::name.eq("needle"))
        .count()
        .await?;
    let _: Vec<Item> = db.all().await?;
    Err(Error::internal("the page broke after its queries"))
}

#[tokio::test]
async fn the_debug_page_shows_the_requests_sql() {
    let debug_app = || {
        Flask::new("ext")
            .configure(|c| {
                c.set("SQLALCHEMY_DATABASE_URI", "sqlite://");
                c.set("DEBUG", true);
            })
            .extension(SQLAlchemy::new().model::<Item>().create_all_on_startup())
            .route("/broken", get(fails_after_queries))
    };
    let r = debug_app().test_client().get("/broken").send().await;
    assert_eq!(r.status(), 500);
    let page = r.text();
    assert!(page.contains("<h2>SQL queries</h2>"), "{page}");
    assert!(page.contains("2 statement(s)"), "{page}");
    assert!(
        page.contains("&#34;ext_item&#34;.&#34;name&#34; = ?"),
        "{page}"
    );
    assert!(page.contains("Text(&#34;needle&#34;)"), "{page}");

    // Recording off in debug mode: the panel says how to turn it on.
    let r = debug_app()
        .configure(|c| c.set("SQLALCHEMY_RECORD_QUERIES", false))
        .test_client()
        .get("/broken")
        .send()
        .await;
    assert!(
        r.text().contains("SQLALCHEMY_RECORD_QUERIES is off"),
        "{}",
        r.text()
    );

    // Outside debug mode there is no debug page, and nothing is recorded by default.
    let r = Flask::new("ext")
        .configure(|c| c.set("SQLALCHEMY_DATABASE_URI", "sqlite://"))
        .extension(SQLAlchemy::new().model::<Item>().create_all_on_startup())
        .route("/broken", get(fails_after_queries))
        .test_client()
        .get("/broken")
        .send()
        .await;
    assert_eq!(r.status(), 500);
    assert!(!r.text().contains("SQL queries"), "{}", r.text());
}

#[test]
fn a_missing_uri_is_a_setup_error_that_says_what_to_set() {
    let err = Flask::new("ext")
        .extension(SQLAlchemy::new())
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("SQLALCHEMY_DATABASE_URI is not set"), "{err}");
}

#[test]
fn bad_options_and_uris_are_setup_errors() {
    let err = Flask::new("ext")
        .configure(|c| {
            c.set("SQLALCHEMY_DATABASE_URI", "sqlite://");
            c.set(
                "SQLALCHEMY_ENGINE_OPTIONS",
                serde_json::json!({"pool_sise": 3}),
            );
        })
        .extension(SQLAlchemy::new())
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("\"pool_sise\""), "{err}");
    let err = Flask::new("ext")
        .configure(|c| c.set("SQLALCHEMY_DATABASE_URI", "oracle://u:secret@h/db"))
        .extension(SQLAlchemy::new())
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("not supported") && !err.contains("secret"),
        "{err}"
    );
}

#[tokio::test]
async fn db_without_the_extension_is_a_500_naming_the_fix() {
    let c = Flask::new("ext")
        .configure(|c| c.set("DEBUG", true))
        .route("/items/<int:id>", get(by_id))
        .test_client();
    let r = c.get("/items/1").send().await;
    assert_eq!(r.status(), 500);
    assert!(
        r.text().contains("add .extension(SQLAlchemy::new())"),
        "{}",
        r.text()
    );
}
