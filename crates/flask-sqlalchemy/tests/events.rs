//! Model events and `models_committed` on the three databases.

mod common;
use common::backends;

use std::sync::{Arc, Mutex};

use flask_sqlalchemy::{Change, Engine, EngineOptions, MetaData, Model, Operation, Value};

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "orm_events_page")]
struct Page {
    #[model(primary_key)]
    id: i64,
    #[model(max_length = 100)]
    title: String,
    #[model(max_length = 100)]
    slug: String,
    edits: i32,
}

fn page(title: &str) -> Page {
    Page {
        id: 0,
        title: title.into(),
        slug: String::new(),
        edits: 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listeners_and_models_committed() {
    for url in backends() {
        let db = Engine::connect(
            &url,
            std::env::temp_dir().as_ref(),
            EngineOptions::default(),
        )
        .await
        .unwrap();
        let meta = MetaData::new().register::<Page>();
        db.drop_all(&meta).await.unwrap();
        db.create_all(&meta).await.unwrap();

        let log: Arc<Mutex<Vec<String>>> = Arc::default();
        let committed: Arc<Mutex<Vec<Vec<Change>>>> = Arc::default();
        let (l1, l2, l3, l4) = (log.clone(), log.clone(), log.clone(), log.clone());
        let c = committed.clone();
        db.events()
            .before_insert(|p: &mut Page| p.slug = p.title.to_lowercase().replace(' ', "-"))
            .after_insert(move |p: &Page| l1.lock().unwrap().push(format!("inserted {}", p.id)))
            .before_update(|p: &mut Page| p.edits += 1)
            .after_update(move |p: &Page| l2.lock().unwrap().push(format!("updated {}", p.edits)))
            .before_delete(move |p: &Page| l3.lock().unwrap().push(format!("deleting {}", p.slug)))
            .after_delete(move |p: &Page| l4.lock().unwrap().push(format!("deleted {}", p.id)))
            .on_models_committed(move |changes| c.lock().unwrap().push(changes.to_vec()));

        // Engine writes fire the model listeners; a listener's change is what gets stored.
        let mut home = page("Home Page");
        db.insert(&mut home).await.unwrap();
        assert_eq!(home.slug, "home-page", "{url}");
        assert_eq!(
            db.get::<Page>(home.id).await.unwrap().unwrap().slug,
            "home-page"
        );
        home.title = "Home".into();
        db.update(&mut home).await.unwrap();
        assert_eq!(
            db.get::<Page>(home.id).await.unwrap().unwrap().edits,
            1,
            "{url}"
        );
        // Bulk statements and a missing row fire nothing, as in SQLAlchemy.
        db.select::<Page>()
            .update([Page::edits.plus(10)])
            .await
            .unwrap();
        let mut gone = Page {
            id: 999,
            ..page("x")
        };
        assert_eq!(db.update(&mut gone).await.unwrap(), 0);
        assert_eq!(
            log.lock().unwrap().as_slice(),
            [format!("inserted {}", home.id), "updated 1".to_owned()],
            "{url}"
        );
        assert!(
            committed.lock().unwrap().is_empty(),
            "{url}: no session, no signal"
        );

        // A session reports what it committed, once, in order.
        let session = db.session();
        let mut about = page("About");
        session.add(&mut about).await.unwrap();
        home.edits = 0;
        session.add(&mut home).await.unwrap(); // exists: an update
        let sp = session.begin_nested().await.unwrap();
        session.add(&mut page("Draft")).await.unwrap();
        sp.rollback().await.unwrap(); // its change is forgotten
        session.delete(&about).await.unwrap();
        session.commit().await.unwrap();
        let reported = committed.lock().unwrap().clone();
        let key = |id: i64| vec![Value::Int(id)];
        assert_eq!(
            reported,
            [vec![
                Change {
                    table: "orm_events_page",
                    operation: Operation::Insert,
                    primary_key: key(about.id)
                },
                Change {
                    table: "orm_events_page",
                    operation: Operation::Update,
                    primary_key: key(home.id)
                },
                Change {
                    table: "orm_events_page",
                    operation: Operation::Delete,
                    primary_key: key(about.id)
                },
            ]],
            "{url}"
        );
        assert_eq!(home.edits, 1, "{url}: before_update ran in the session too");

        // Rolled back: nothing reported.
        session.add(&mut page("Temp")).await.unwrap();
        session.rollback().await.unwrap();
        session.commit().await.unwrap();
        assert_eq!(committed.lock().unwrap().len(), 1, "{url}");
        assert!(
            log.lock()
                .unwrap()
                .iter()
                .any(|l| l == &format!("deleted {}", about.id)),
            "{url}"
        );
        db.close().await;
    }
}
