//! Changing rows on the three databases: bulk update and delete by query, and one model by
//! its primary key.

mod common;
use common::backends;

use flask_sqlalchemy::{Engine, EngineOptions, MetaData, Model};

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "orm_test_counter")]
struct Counter {
    #[model(primary_key)]
    id: i64,
    #[model(max_length = 50)]
    name: String,
    hits: i64,
    ratio: f64,
    note: Option<String>,
}

async fn seeded(url: &str) -> Engine {
    let db = Engine::connect(url, std::env::temp_dir().as_ref(), EngineOptions::default())
        .await
        .unwrap();
    let meta = MetaData::new().register::<Counter>();
    db.drop_all(&meta).await.unwrap();
    db.create_all(&meta).await.unwrap();
    for (name, hits) in [("a", 1), ("b", 2), ("c", 3)] {
        let mut c = Counter {
            id: 0,
            name: name.to_owned(),
            hits,
            ratio: 0.5,
            note: None,
        };
        db.insert(&mut c).await.unwrap();
    }
    db
}

async fn hits(db: &Engine) -> Vec<(String, i64)> {
    db.all::<Counter>()
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.name, c.hits))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_on_every_backend() {
    for url in backends() {
        let db = seeded(&url).await;

        // Bulk update: the database adds, so concurrent increments are not lost.
        let n = db
            .select::<Counter>()
            .filter(Counter::hits.ge(2))
            .update([Counter::hits.plus(10), Counter::ratio.plus(0.25)])
            .await
            .unwrap();
        assert_eq!(n, 2, "{url}");
        assert_eq!(
            hits(&db).await,
            [("a".into(), 1), ("b".into(), 12), ("c".into(), 13)],
            "{url}"
        );
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                db.select::<Counter>()
                    .filter(Counter::name.eq("a"))
                    .update([Counter::hits.plus(1)])
                    .await
                    .unwrap()
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let a = db
            .select::<Counter>()
            .filter_by("name", "a")
            .one()
            .await
            .unwrap();
        assert_eq!(a.hits, 11, "{url}: no increment lost");
        assert_eq!(a.ratio, 0.5, "{url}");

        // Values set by a bulk update are bound: stored as written.
        let evil = "x'; DELETE FROM orm_test_counter; --";
        db.select::<Counter>()
            .filter(Counter::name.eq("b"))
            .update([Counter::note.set(Some(evil.to_owned()))])
            .await
            .unwrap();
        let b = db
            .select::<Counter>()
            .filter_by("name", "b")
            .one()
            .await
            .unwrap();
        assert_eq!(b.note.as_deref(), Some(evil), "{url}");
        assert_eq!(db.select::<Counter>().count().await.unwrap(), 3, "{url}");
        let err = db.select::<Counter>().update([]).await.unwrap_err();
        assert!(err.to_string().contains("nothing to set"), "{url}: {err}");

        // One model by its primary key.
        let mut c = db
            .select::<Counter>()
            .filter_by("name", "c")
            .one()
            .await
            .unwrap();
        c.name = "c2".to_owned();
        c.note = Some("renamed".to_owned());
        assert_eq!(db.update(&mut c).await.unwrap(), 1, "{url}");
        assert_eq!(
            db.get::<Counter>(c.id).await.unwrap(),
            Some(c.clone()),
            "{url}"
        );
        assert_eq!(db.delete(&c).await.unwrap(), 1, "{url}");
        assert_eq!(db.delete(&c).await.unwrap(), 0, "{url}: already gone");
        assert!(db.get::<Counter>(c.id).await.unwrap().is_none(), "{url}");

        // Bulk delete by filter, then everything.
        let gone = db
            .select::<Counter>()
            .filter(Counter::hits.lt(12))
            .delete()
            .await
            .unwrap();
        assert_eq!(gone, 1, "{url}");
        assert_eq!(hits(&db).await, [("b".into(), 12)], "{url}");
        assert_eq!(db.select::<Counter>().delete().await.unwrap(), 1, "{url}");
        assert_eq!(db.select::<Counter>().count().await.unwrap(), 0, "{url}");

        db.drop_all(&MetaData::new().register::<Counter>())
            .await
            .unwrap();
        db.close().await;
    }
}
