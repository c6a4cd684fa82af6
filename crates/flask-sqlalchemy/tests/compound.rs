//! Unions, common table expressions (recursive ones walking a tree) and typed rows from
//! hand-written SQL, on the three databases.

mod common;
use common::backends;

use flask_sqlalchemy::{Engine, EngineOptions, MetaData, Model, text};

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "cmp_category")]
struct Category {
    #[model(primary_key)]
    id: i64,
    parent_id: Option<i64>,
    #[model(max_length = 40)]
    name: String,
    items: i32,
}

fn names(rows: &[Category]) -> Vec<&str> {
    rows.iter().map(|c| c.name.as_str()).collect()
}

/// all (1) -> books (2) -> novels (3) -> classics (5); all -> music (4).
async fn fresh(url: &str) -> Engine {
    let db = Engine::connect(url, std::env::temp_dir().as_ref(), EngineOptions::default())
        .await
        .unwrap();
    let meta = MetaData::new().register::<Category>();
    db.drop_all(&meta).await.unwrap();
    db.create_all(&meta).await.unwrap();
    for (parent, name, items) in [
        (None, "all", 0),
        (Some(1), "books", 10),
        (Some(2), "novels", 30),
        (Some(1), "music", 30),
        (Some(3), "classics", 5),
    ] {
        db.insert(&mut Category {
            id: 0,
            parent_id: parent,
            name: name.into(),
            items,
        })
        .await
        .unwrap();
    }
    db
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unions_ctes_and_from_statement() {
    for url in backends() {
        let db = fresh(&url).await;
        let by_id = || Category::id.asc();

        // UNION: each row once; each side keeps its own order and limit; what follows
        // applies to the union.
        let first = db.select::<Category>().order_by(by_id()).limit(2);
        let many = db.select::<Category>().filter(Category::items.ge(30));
        let rows = first.union(many).order_by(by_id()).all().await.unwrap();
        assert_eq!(names(&rows), ["all", "books", "novels", "music"], "{url}");
        // UNION ALL keeps the duplicates; filters and counts apply to the whole.
        let a = db.select::<Category>().filter(Category::items.ge(10));
        let b = db.select::<Category>().filter(Category::items.le(10));
        let both = a.union_all(b);
        assert_eq!(both.clone().count().await.unwrap(), 6, "{url}");
        let rows = both
            .filter(Category::name.ne("all"))
            .order_by(by_id())
            .all()
            .await
            .unwrap();
        assert_eq!(
            names(&rows),
            ["books", "books", "novels", "music", "classics"],
            "{url}"
        );
        // Bulk writes refuse a union.
        let err = db
            .select::<Category>()
            .union(db.select::<Category>())
            .delete()
            .await
            .unwrap_err();
        assert!(err.to_string().contains("union"), "{err}");

        // A CTE read as rows, filtered and paged after.
        let big = db
            .select::<Category>()
            .filter(Category::items.ge(10))
            .cte("big")
            .filter(Category::name.like("%s"))
            .order_by(by_id())
            .all()
            .await
            .unwrap();
        assert_eq!(names(&big), ["books", "novels"], "{url}");

        // WITH RECURSIVE: a subtree, and the path to the root.
        let books = db
            .select::<Category>()
            .filter(Category::name.eq("books"))
            .descendants(Category::parent_id)
            .order_by(by_id())
            .all()
            .await
            .unwrap();
        assert_eq!(names(&books), ["books", "novels", "classics"], "{url}");
        let path = db
            .select::<Category>()
            .filter(Category::name.eq("classics"))
            .ancestors(Category::parent_id)
            .order_by(by_id())
            .all()
            .await
            .unwrap();
        assert_eq!(
            names(&path),
            ["all", "books", "novels", "classics"],
            "{url}"
        );
        let n = db
            .select::<Category>()
            .filter(Category::id.eq(1))
            .descendants(Category::parent_id)
            .count()
            .await
            .unwrap();
        assert_eq!(n, 5, "{url}");
        // A cycle in the data ends the walk.
        db.execute(text("UPDATE cmp_category SET parent_id = 5 WHERE id = 1"))
            .await
            .unwrap();
        let all = db
            .select::<Category>()
            .filter(Category::id.eq(3))
            .descendants(Category::parent_id)
            .all()
            .await
            .unwrap();
        assert_eq!(all.len(), 5, "{url}: {all:?}");
        // In a session too, seeing its own writes.
        let session = db.session();
        session
            .add(&mut Category {
                id: 0,
                parent_id: Some(4),
                name: "jazz".into(),
                items: 1,
            })
            .await
            .unwrap();
        let music = session
            .select::<Category>()
            .filter(Category::name.eq("music"))
            .descendants(Category::parent_id)
            .order_by(by_id())
            .all()
            .await
            .unwrap();
        assert_eq!(names(&music), ["music", "jazz"], "{url}");
        session.rollback().await.unwrap();

        // from_statement: hand-written SQL read as models, columns checked by name.
        let rows: Vec<Category> = db
            .from_statement(
                text("SELECT * FROM cmp_category WHERE items >= :n ORDER BY id").bind("n", 30),
            )
            .await
            .unwrap();
        assert_eq!(names(&rows), ["novels", "music"], "{url}");
        let err = db
            .from_statement::<Category>(text("SELECT id, name FROM cmp_category"))
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("reads the columns id, parent_id, name, items"),
            "{err}"
        );
        db.drop_all(&MetaData::new().register::<Category>())
            .await
            .unwrap();
        db.close().await;
    }
}
