//! Models on the three databases: `create_all`/`drop_all`, insert with generated keys, get,
//! list, every column type round trip, constraints.

mod common;
use common::backends;

use flask_sqlalchemy::{ColumnType, Engine, EngineOptions, MetaData, Model, Value, text};

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "orm_test_user")]
struct User {
    #[model(primary_key)]
    id: i64,
    #[model(max_length = 80, unique)]
    username: String,
    active: bool,
    age: i32,
    rank: i16,
    ratio: f32,
    score: Option<f64>,
    bio: Option<String>,
    avatar: Option<Vec<u8>>,
    prefs: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "orm_test_post")]
struct Post {
    #[model(primary_key)]
    id: i32,
    #[model(foreign_key = "orm_test_user.id", on_delete = "cascade")]
    author_id: i64,
    #[model(max_length = 200, index)]
    title: String,
    #[model(column = "body_text")]
    body: String,
}

/// A table name from the type: `BlogEntry` -> `blog_entry`; a composite key.
#[derive(Debug, Model)]
struct BlogEntry {
    #[model(primary_key, max_length = 20)]
    lang: String,
    #[model(primary_key)]
    number: i64,
}

fn ada() -> User {
    User {
        id: 0,
        username: "ada".to_owned(),
        active: true,
        age: 36,
        rank: -3,
        ratio: 0.5,
        score: Some(99.25),
        bio: Some("Wrote the first program. Ünïcode ✓".to_owned()),
        avatar: Some(vec![0, 255, 10, 13]),
        prefs: serde_json::json!({"theme": "dark", "langs": ["en", "fr"]}),
    }
}

#[test]
fn metadata_is_data() {
    assert_eq!(BlogEntry::TABLE.name, "blog_entry");
    assert_eq!(User::TABLE.columns.len(), 10);
    let username = &User::TABLE.columns[1];
    assert_eq!(username.ty, ColumnType::String(Some(80)));
    assert!(username.unique && !username.nullable);
    assert!(User::TABLE.columns[0].autoincrement);
    assert!(User::TABLE.columns[7].nullable);
    assert_eq!(User::TABLE.columns[9].ty, ColumnType::Json);
    let fk = Post::TABLE.columns[1].foreign_key.unwrap();
    assert_eq!((fk.table, fk.column), ("orm_test_user", "id"));
    assert_eq!(Post::TABLE.columns[3].name, "body_text");
    assert_eq!(BlogEntry::TABLE.primary_key().count(), 2);
    assert!(BlogEntry::TABLE.autoincrement().is_none());
    // Referenced tables first, whatever the registration order.
    let meta = MetaData::new().register::<Post>().register::<User>();
    let order: Vec<_> = meta.sorted_tables().iter().map(|t| t.name).collect();
    assert_eq!(order, ["orm_test_user", "orm_test_post"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_on_every_backend() {
    for url in backends() {
        let db = Engine::connect(
            &url,
            std::env::temp_dir().as_ref(),
            EngineOptions::default(),
        )
        .await
        .unwrap();
        let meta = MetaData::new()
            .register::<Post>()
            .register::<User>()
            .register::<BlogEntry>();
        db.drop_all(&meta).await.unwrap();
        db.create_all(&meta).await.unwrap();
        // Again: tables that exist are left alone.
        db.create_all(&meta).await.unwrap();
        assert!(db.has_table("orm_test_user").await.unwrap(), "{url}");
        assert!(db.has_table("blog_entry").await.unwrap(), "{url}");

        // Insert fills the generated key; every column type comes back as written.
        let mut user = ada();
        db.insert(&mut user).await.unwrap();
        assert!(user.id > 0, "{url}");
        let loaded: User = db.get(user.id).await.unwrap().unwrap();
        assert_eq!(loaded, user, "{url}");

        // NULLs, and a name built to break quoting, stored as written.
        let mut bob = User {
            username: "bob'); DROP TABLE orm_test_user; --".to_owned(),
            score: None,
            bio: None,
            avatar: None,
            prefs: serde_json::json!(null),
            ..ada()
        };
        db.insert(&mut bob).await.unwrap();
        assert_eq!(bob.id, user.id + 1, "{url}");
        let loaded: User = db.get(bob.id).await.unwrap().unwrap();
        assert_eq!(loaded, bob, "{url}");
        assert!(db.get::<User>(9_999_999).await.unwrap().is_none(), "{url}");

        // A duplicate username is a unique violation and changes nothing.
        let err = db.insert(&mut ada()).await.unwrap_err();
        assert!(err.is_unique_violation(), "{url}: {err}");
        assert_eq!(
            db.all::<User>().await.unwrap(),
            [user.clone(), bob.clone()],
            "{url}"
        );

        // A foreign key: a post needs its author, and goes with it (on_delete = cascade).
        let mut post = Post {
            id: 0,
            author_id: user.id,
            title: "Notes".to_owned(),
            body: "On the Analytical Engine".to_owned(),
        };
        db.insert(&mut post).await.unwrap();
        assert_eq!(
            db.get::<Post>(post.id).await.unwrap(),
            Some(post.clone()),
            "{url}"
        );
        let mut orphan = Post {
            author_id: 424_242,
            ..post.clone()
        };
        orphan.id = 0;
        assert!(
            db.insert(&mut orphan).await.is_err(),
            "{url}: a post without an author"
        );
        db.execute(text("DELETE FROM orm_test_user WHERE id = :id").bind("id", user.id))
            .await
            .unwrap();
        assert!(db.all::<Post>().await.unwrap().is_empty(), "{url}: cascade");

        // A composite key, given by the app.
        let mut entry = BlogEntry {
            lang: "en".to_owned(),
            number: 7,
        };
        db.insert(&mut entry).await.unwrap();
        assert_eq!(entry.number, 7);
        let dup = db
            .insert(&mut BlogEntry {
                lang: "en".to_owned(),
                number: 7,
            })
            .await;
        assert!(dup.unwrap_err().is_unique_violation(), "{url}");

        db.drop_all(&meta).await.unwrap();
        assert!(!db.has_table("orm_test_user").await.unwrap(), "{url}");
        db.close().await;
    }
}

#[tokio::test]
async fn model_statements_are_recorded_with_their_parameters() {
    let options = EngineOptions {
        record_queries: true,
        ..EngineOptions::default()
    };
    let db = Engine::connect("sqlite://", "".as_ref(), options)
        .await
        .unwrap();
    db.create_all(&MetaData::new().register::<User>())
        .await
        .unwrap();
    db.clear_recorded_queries();
    let mut user = ada();
    db.insert(&mut user).await.unwrap();
    db.get::<User>(user.id).await.unwrap();
    db.select::<User>()
        .filter(User::username.eq("ada"))
        .update([User::age.plus(1)])
        .await
        .unwrap();
    let recorded = db.recorded_queries();
    assert_eq!(recorded.len(), 3, "{recorded:#?}");
    // The insert binds what it sends: not the 0 of the key the database numbers.
    assert!(
        recorded[0].statement.starts_with("INSERT INTO"),
        "{recorded:#?}"
    );
    assert_eq!(recorded[0].parameters.len(), 9, "{recorded:#?}");
    assert_eq!(recorded[0].parameters[0], Value::Text("ada".into()));
    assert_eq!(recorded[1].parameters, [Value::Int(user.id)]);
    assert_eq!(
        recorded[2].parameters,
        [Value::Int(1), Value::Text("ada".into())]
    );
}
