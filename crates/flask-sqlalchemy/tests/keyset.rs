//! Keyset pagination on the three databases: every row once, forward and back, with ties,
//! on integer and timestamp columns; bad cursors are refused.

mod common;
use common::backends;

use chrono::{DateTime, TimeZone, Utc};
use flask_sqlalchemy::{Engine, EngineOptions, Error, MetaData, Model, OrderBy};

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "orm_keyset_item")]
struct Item {
    #[model(primary_key)]
    id: i64,
    score: i32,
    created: DateTime<Utc>,
    note: Option<String>,
}

/// Walks every page forward, then back from the last; returns the ids in each direction.
async fn walk(db: &Engine, order: impl Fn() -> OrderBy, per_page: u64) -> (Vec<i64>, Vec<i64>) {
    let mut forward = Vec::new();
    let mut cursor: Option<String> = None;
    let mut last_prev = None;
    loop {
        let page = db
            .select::<Item>()
            .filter(Item::score.ge(0))
            .keyset(order(), per_page, cursor.as_deref())
            .await
            .unwrap();
        assert!(page.items.len() as u64 <= per_page);
        assert_eq!(page.has_prev(), cursor.is_some());
        forward.extend(page.items.iter().map(|i| i.id));
        last_prev = page.prev.clone().or(last_prev);
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    // Back from the last page: each prev page comes before, in the same order.
    let mut backward = Vec::new();
    let mut cursor = last_prev;
    while let Some(c) = cursor {
        let page = db
            .select::<Item>()
            .filter(Item::score.ge(0))
            .keyset(order(), per_page, Some(&c))
            .await
            .unwrap();
        assert!(page.has_next());
        for item in page.items.iter().rev() {
            backward.push(item.id);
        }
        cursor = page.prev;
    }
    (forward, backward)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyset_pages_on_every_backend() {
    for url in backends() {
        let db = Engine::connect(
            &url,
            std::env::temp_dir().as_ref(),
            EngineOptions::default(),
        )
        .await
        .unwrap();
        let meta = MetaData::new().register::<Item>();
        db.drop_all(&meta).await.unwrap();
        db.create_all(&meta).await.unwrap();
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        for i in 0..23_i64 {
            let mut item = Item {
                id: 0,
                score: i32::try_from(i % 5).unwrap(), // many ties
                created: start + chrono::Duration::milliseconds(1500 * (i % 7)),
                note: None,
            };
            db.insert(&mut item).await.unwrap();
        }
        let all = db.select::<Item>().all().await.unwrap();

        // Descending score, ties by id descending.
        let mut expected: Vec<&Item> = all.iter().collect();
        expected.sort_by(|a, b| b.score.cmp(&a.score).then(b.id.cmp(&a.id)));
        let expected: Vec<i64> = expected.iter().map(|i| i.id).collect();
        let (forward, backward) = walk(&db, || Item::score.desc(), 4).await;
        assert_eq!(forward, expected, "{url}");
        let mut before_last: Vec<i64> = expected[..expected.len() - expected.len() % 4].to_vec();
        if expected.len().is_multiple_of(4) {
            before_last.truncate(expected.len() - 4);
        }
        before_last.reverse();
        assert_eq!(backward, before_last, "{url}: back from the last page");

        // Ascending timestamps, ties by id; the cursor carries the instant.
        let mut by_time: Vec<&Item> = all.iter().collect();
        by_time.sort_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)));
        let by_time: Vec<i64> = by_time.iter().map(|i| i.id).collect();
        let (forward, _) = walk(&db, || Item::created.asc(), 5).await;
        assert_eq!(forward, by_time, "{url}");
        // The primary key alone.
        let (forward, _) = walk(&db, || Item::id.asc(), 23).await;
        assert_eq!(
            forward,
            (1..=23).collect::<Vec<_>>(),
            "{url}: one full page"
        );

        // A row added before the cursor shifts nothing on the next page.
        let first = db
            .select::<Item>()
            .keyset(Item::id.asc(), 10, None)
            .await
            .unwrap();
        db.select::<Item>()
            .filter(Item::id.eq(1))
            .delete()
            .await
            .unwrap();
        let second = db
            .select::<Item>()
            .keyset(Item::id.asc(), 10, first.next.as_deref())
            .await
            .unwrap();
        assert_eq!(second.items[0].id, 11, "{url}");

        // Cursors that are not ours, and orders that cannot page.
        for bad in ["nonsense!", "eyJkIjoibiJ9", "eyJkIjoibiIsImsiOlsieCJdfQ"] {
            let err = db
                .select::<Item>()
                .keyset(Item::id.asc(), 10, Some(bad))
                .await
                .unwrap_err();
            assert!(matches!(err, Error::BadCursor(_)), "{url}: {bad}: {err}");
        }
        let err = db
            .select::<Item>()
            .keyset(Item::note.asc(), 10, None)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("NOT NULL"), "{url}: {err}");
        db.close().await;
    }
}
