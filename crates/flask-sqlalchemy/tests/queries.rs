//! Typed queries on the three databases: every filter, orderings, limits, the `one` family,
//! counts, and injection attempts through filter values.

mod common;
use common::backends;

use flask_sqlalchemy::{Engine, EngineOptions, Error, Filter, MetaData, Model};

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "orm_test_article")]
struct Article {
    #[model(primary_key)]
    id: i64,
    #[model(max_length = 100)]
    title: String,
    views: i64,
    rating: Option<f64>,
}

/// How many articles match.
async fn count(db: &Engine, filter: Filter) -> i64 {
    db.select::<Article>().filter(filter).count().await.unwrap()
}

fn titles(rows: &[Article]) -> Vec<&str> {
    rows.iter().map(|a| a.title.as_str()).collect()
}

async fn seeded(url: &str) -> Engine {
    let db = Engine::connect(url, std::env::temp_dir().as_ref(), EngineOptions::default())
        .await
        .unwrap();
    let meta = MetaData::new().register::<Article>();
    db.drop_all(&meta).await.unwrap();
    db.create_all(&meta).await.unwrap();
    for (title, views, rating) in [
        ("Rust tips", 120, Some(4.5)),
        ("rusty nails", 15, None),
        ("Go basics", 80, Some(3.0)),
        ("SQL joins", 15, Some(5.0)),
        ("x' OR '1'='1", 1, None),
    ] {
        let mut a = Article {
            id: 0,
            title: title.to_owned(),
            views,
            rating,
        };
        db.insert(&mut a).await.unwrap();
    }
    db
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_on_every_backend() {
    for url in backends() {
        let db = seeded(&url).await;
        let q = || db.select::<Article>().order_by(Article::id.asc());

        // Comparisons.
        let r = q().filter(Article::views.eq(15)).all().await.unwrap();
        assert_eq!(titles(&r), ["rusty nails", "SQL joins"], "{url}");
        assert_eq!(count(&db, Article::views.ne(15)).await, 3, "{url}");
        assert_eq!(count(&db, Article::views.lt(80)).await, 3, "{url}");
        assert_eq!(count(&db, Article::views.le(80)).await, 4, "{url}");
        assert_eq!(count(&db, Article::views.gt(80)).await, 1, "{url}");
        assert_eq!(count(&db, Article::views.ge(80)).await, 2, "{url}");
        let r = q()
            .filter(Article::views.between(15, 80))
            .all()
            .await
            .unwrap();
        assert_eq!(
            titles(&r),
            ["rusty nails", "Go basics", "SQL joins"],
            "{url}"
        );
        let r = q().filter(Article::id.in_([1, 3])).all().await.unwrap();
        assert_eq!(titles(&r), ["Rust tips", "Go basics"], "{url}");
        assert_eq!(count(&db, Article::id.in_(Vec::<i64>::new())).await, 0);
        assert_eq!(count(&db, Article::id.not_in([1, 3])).await, 3, "{url}");
        assert_eq!(count(&db, Article::rating.is_null()).await, 2, "{url}");
        assert_eq!(count(&db, Article::rating.is_not_null()).await, 3);
        assert_eq!(
            q().filter(Article::rating.eq(Some(5.0)))
                .one()
                .await
                .unwrap()
                .title,
            "SQL joins",
            "{url}"
        );

        // Text matching: like is case-sensitive only where the database is; ilike never is.
        let r = q()
            .filter(Article::title.ilike("%RUST%"))
            .all()
            .await
            .unwrap();
        assert_eq!(titles(&r), ["Rust tips", "rusty nails"], "{url}");
        let r = q()
            .filter(Article::title.like("%joins"))
            .all()
            .await
            .unwrap();
        assert_eq!(titles(&r), ["SQL joins"], "{url}");
        // contains / startswith / endswith take text, not a pattern: `%` and `_` in it
        // match themselves (escaped, with ESCAPE '/'), where `like` would take them as
        // wildcards.
        assert_eq!(count(&db, Article::title.like("%")).await, 5, "{url}");
        assert_eq!(count(&db, Article::title.contains("%")).await, 0, "{url}");
        assert!(count(&db, Article::title.like("%s_%")).await >= 3, "{url}");
        assert_eq!(count(&db, Article::title.contains("s_")).await, 0, "{url}");
        assert_eq!(count(&db, Article::title.contains("/")).await, 0, "{url}");
        assert_eq!(
            count(&db, Article::title.contains("'1'='1")).await,
            1,
            "{url}"
        );
        assert_eq!(
            count(&db, Article::title.icontains("RUST")).await,
            2,
            "{url}"
        );
        assert_eq!(
            count(&db, Article::title.startswith("Go ")).await,
            1,
            "{url}"
        );
        assert_eq!(
            count(&db, Article::title.endswith("joins")).await,
            1,
            "{url}"
        );
        assert_eq!(
            count(&db, Article::title.endswith("join_")).await,
            0,
            "{url}"
        );

        // and / or / not.
        let r = q()
            .filter(Article::views.eq(15).and(Article::rating.is_null()))
            .all()
            .await
            .unwrap();
        assert_eq!(titles(&r), ["rusty nails"], "{url}");
        let r = q()
            .filter(Article::views.gt(100).or(Article::title.eq("Go basics")))
            .all()
            .await
            .unwrap();
        assert_eq!(titles(&r), ["Rust tips", "Go basics"], "{url}");
        let r = q().filter(Article::views.le(15).not()).all().await.unwrap();
        assert_eq!(titles(&r), ["Rust tips", "Go basics"], "{url}");

        // filter_by, and its mistakes.
        let r = q()
            .filter_by("views", 15)
            .filter_by("title", "SQL joins")
            .all()
            .await
            .unwrap();
        assert_eq!(titles(&r), ["SQL joins"], "{url}");
        let err = q().filter_by("veiws", 15).all().await.unwrap_err();
        assert!(
            err.to_string().contains("no column \"veiws\""),
            "{url}: {err}"
        );
        assert!(
            err.to_string().contains("id, title, views, rating"),
            "{url}: {err}"
        );

        // Orderings, with NULLs placed where asked, and limit / offset.
        let r = db
            .select::<Article>()
            .order_by(Article::views.desc())
            .order_by(Article::id.asc())
            .limit(3)
            .all()
            .await
            .unwrap();
        assert_eq!(
            titles(&r),
            ["Rust tips", "Go basics", "rusty nails"],
            "{url}"
        );
        let r = db
            .select::<Article>()
            .order_by(Article::rating.desc().nulls_last())
            .order_by(Article::id.asc())
            .all()
            .await
            .unwrap();
        assert_eq!(
            titles(&r),
            [
                "SQL joins",
                "Rust tips",
                "Go basics",
                "rusty nails",
                "x' OR '1'='1"
            ],
            "{url}"
        );
        let r = db
            .select::<Article>()
            .order_by(Article::rating.asc().nulls_first())
            .order_by(Article::id.asc())
            .limit(3)
            .all()
            .await
            .unwrap();
        assert_eq!(
            titles(&r),
            ["rusty nails", "x' OR '1'='1", "Go basics"],
            "{url}"
        );
        // An offset without a limit (SQLite and MySQL need one added).
        let r = q().offset(3).all().await.unwrap();
        assert_eq!(titles(&r), ["SQL joins", "x' OR '1'='1"], "{url}");
        assert_eq!(q().limit(2).offset(1).count().await.unwrap(), 2, "{url}");

        // first / one / one_or_none.
        assert_eq!(
            q().first().await.unwrap().unwrap().title,
            "Rust tips",
            "{url}"
        );
        assert!(
            q().filter(Article::views.gt(1000))
                .first()
                .await
                .unwrap()
                .is_none()
        );
        let err = q().filter(Article::views.gt(1000)).one().await.unwrap_err();
        assert!(matches!(err, Error::NoResultFound { .. }), "{url}: {err}");
        let err = q()
            .filter(Article::views.eq(15))
            .one_or_none()
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::MultipleResultsFound { .. }),
            "{url}: {err}"
        );
        assert!(
            q().filter(Article::views.eq(7))
                .one_or_none()
                .await
                .unwrap()
                .is_none()
        );

        // Injection attempts through filter values are matched literally.
        let hit = q()
            .filter(Article::title.eq("x' OR '1'='1"))
            .all()
            .await
            .unwrap();
        assert_eq!(hit.len(), 1, "{url}");
        for attempt in ["' OR '1'='1", "a' OR 1=1 --", "%' OR '1'='1"] {
            assert_eq!(
                count(&db, Article::title.eq(attempt)).await,
                0,
                "{url}: {attempt}"
            );
            // As a LIKE pattern, `%` keeps its meaning and the quotes stay literal: only
            // the `%...` attempt matches the stored title, by its suffix.
            let expected = i64::from(attempt.starts_with('%'));
            assert_eq!(
                count(&db, Article::title.like(attempt)).await,
                expected,
                "{url}: {attempt}"
            );
            assert_eq!(
                q().filter_by("title", attempt).count().await.unwrap(),
                0,
                "{url}"
            );
            // Every other filter binds the value too: nothing matches more than it should,
            // and nothing breaks the statement.
            assert_eq!(count(&db, Article::title.ne(attempt)).await, 5, "{url}");
            assert_eq!(count(&db, Article::title.in_([attempt])).await, 0, "{url}");
            assert_eq!(
                count(&db, Article::title.not_in([attempt])).await,
                5,
                "{url}"
            );
            assert_eq!(
                count(&db, Article::title.between(attempt, attempt)).await,
                0,
                "{url}"
            );
            assert_eq!(
                count(&db, Article::title.ilike(attempt)).await,
                expected,
                "{url}: {attempt}"
            );
            let below = count(&db, Article::title.lt(attempt)).await;
            let above = count(&db, Article::title.ge(attempt)).await;
            assert_eq!(below + above, 5, "{url}: lt and ge split the rows");
            let below = count(&db, Article::title.le(attempt)).await;
            let above = count(&db, Article::title.gt(attempt)).await;
            assert_eq!(below + above, 5, "{url}: le and gt split the rows");
        }
        // A column name is never taken from a value: an unknown one is an error.
        let err = q()
            .filter_by("title = title OR 1=1 --", "x")
            .count()
            .await
            .unwrap_err();
        assert!(err.to_string().contains("has no column"), "{url}: {err}");
        assert_eq!(db.select::<Article>().count().await.unwrap(), 5, "{url}");

        db.drop_all(&MetaData::new().register::<Article>())
            .await
            .unwrap();
        db.close().await;
    }
}
