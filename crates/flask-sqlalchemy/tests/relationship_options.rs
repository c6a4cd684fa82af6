//! One-to-one relationships, relationship ordering, several relationships joined in one
//! query, and lazy loading of tracked objects, on the three databases.

mod common;
use common::backends;

use flask_sqlalchemy::{Engine, EngineOptions, MetaData, Model, ObjectState};

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "ro_user")]
#[model(has_one(profile: Profile, key = user_id, cascade = "delete"))]
#[model(has_many(posts: Post, key = author_id, order_by = "rank desc, title"))]
struct User {
    #[model(primary_key)]
    id: i64,
    #[model(max_length = 40)]
    name: String,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "ro_profile")]
#[model(belongs_to(user: User, key = user_id))]
struct Profile {
    #[model(primary_key)]
    id: i64,
    #[model(foreign_key = "ro_user.id", unique)]
    user_id: i64,
    #[model(max_length = 80)]
    bio: String,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "ro_post")]
#[model(belongs_to(author: User, key = author_id))]
#[model(belongs_to(editor: User, key = editor_id))]
#[model(belongs_to(topic: Topic, key = topic_id))]
struct Post {
    #[model(primary_key)]
    id: i64,
    #[model(foreign_key = "ro_user.id")]
    author_id: i64,
    #[model(foreign_key = "ro_user.id")]
    editor_id: Option<i64>,
    #[model(foreign_key = "ro_topic.id")]
    topic_id: Option<i64>,
    #[model(max_length = 40)]
    title: String,
    rank: i32,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "ro_topic")]
struct Topic {
    #[model(primary_key)]
    id: i64,
    #[model(max_length = 40)]
    name: String,
}

fn meta() -> MetaData {
    MetaData::new()
        .register::<User>()
        .register::<Profile>()
        .register::<Topic>()
        .register::<Post>()
}

async fn fresh(url: &str) -> Engine {
    let options = EngineOptions {
        record_queries: true,
        ..EngineOptions::default()
    };
    let db = Engine::connect(url, std::env::temp_dir().as_ref(), options)
        .await
        .unwrap();
    db.drop_all(&meta()).await.unwrap();
    db.create_all(&meta()).await.unwrap();
    db
}

fn selects(db: &Engine) -> usize {
    let n = db
        .recorded_queries()
        .iter()
        .filter(|q| q.statement.starts_with("SELECT"))
        .count();
    db.clear_recorded_queries();
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_to_one_order_by_joined_and_lazy() {
    for url in backends() {
        let db = fresh(&url).await;

        // Built through the unit of work: a has_one set from either side while pending.
        let session = db.session();
        let ann = session.add_object(User {
            id: 0,
            name: "ann".into(),
        });
        let bob = session.add_object(User {
            id: 0,
            name: "bob".into(),
        });
        let profile = session.add_object(Profile {
            id: 0,
            user_id: 0,
            bio: "writes".into(),
        });
        User::profile.set(&ann, &profile).unwrap();
        let rust = session.add_object(Topic {
            id: 0,
            name: "rust".into(),
        });
        for (title, rank, editor) in [("b", 1, true), ("a", 1, false), ("c", 5, true)] {
            let post = session.add_object(Post {
                id: 0,
                author_id: 0,
                editor_id: None,
                topic_id: None,
                title: title.into(),
                rank,
            });
            Post::author.set(&post, &ann).unwrap();
            if editor {
                Post::editor.set(&post, &bob).unwrap();
                Post::topic.set(&post, &rust).unwrap();
            }
        }
        session.commit().await.unwrap();
        let ann_id = ann.read().id;
        assert_eq!(profile.read().user_id, ann_id, "{url}");

        // One-to-one: an Option, from either side.
        let ann_row = db.get::<User>(ann_id).await.unwrap().unwrap();
        let found = User::profile.load(&db, &ann_row).await.unwrap();
        assert_eq!(found.map(|p| p.bio).as_deref(), Some("writes"), "{url}");
        let bob_id = bob.read().id;
        let bob_row = db.get::<User>(bob_id).await.unwrap().unwrap();
        assert!(User::profile.load(&db, &bob_row).await.unwrap().is_none());
        let users = db
            .select::<User>()
            .order_by(User::id.asc())
            .joinedload(User::profile)
            .all()
            .await
            .unwrap();
        let bios: Vec<Option<String>> = users.into_iter().map(|(_, p)| p.map(|p| p.bio)).collect();
        assert_eq!(bios, [Some("writes".to_owned()), None], "{url}");

        // Relationship order: rank descending, then title.
        let titles: Vec<String> = User::posts
            .load(&db, &ann_row)
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.title)
            .collect();
        assert_eq!(titles, ["c", "a", "b"], "{url}");
        let eager = db
            .select::<User>()
            .filter(User::id.eq(ann_id))
            .selectinload(User::posts)
            .all()
            .await
            .unwrap();
        let titles: Vec<&str> = eager[0].1.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(titles, ["c", "a", "b"], "{url}");

        // Three to-one relationships in one query, two of them to the same table.
        selects(&db);
        let rows = db
            .select::<Post>()
            .order_by(Post::title.asc())
            .joinedload(Post::author)
            .joinedload(Post::editor)
            .joinedload(Post::topic)
            .all()
            .await
            .unwrap();
        assert_eq!(selects(&db), 1, "{url}");
        let shown: Vec<(String, String, Option<String>, Option<String>)> = rows
            .into_iter()
            .map(|(p, a, e, t)| {
                (
                    p.title,
                    a.map(|u| u.name).unwrap_or_default(),
                    e.map(|u| u.name),
                    t.map(|t| t.name),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                ("a".into(), "ann".into(), None, None),
                (
                    "b".into(),
                    "ann".into(),
                    Some("bob".into()),
                    Some("rust".into())
                ),
                (
                    "c".into(),
                    "ann".into(),
                    Some("bob".into()),
                    Some("rust".into())
                ),
            ],
            "{url}"
        );
        let two = db
            .select::<Post>()
            .filter(Post::title.eq("b"))
            .joinedload(Post::author)
            .joinedload(Post::editor)
            .first()
            .await
            .unwrap()
            .unwrap();
        assert_eq!(two.2.map(|u| u.name).as_deref(), Some("bob"), "{url}");

        // Lazy loading of tracked objects: a many-to-one the session tracks costs no query.
        let session = db.session();
        let posts = session
            .select::<Post>()
            .filter(Post::author_id.eq(ann_id))
            .objects()
            .await
            .unwrap();
        let ann = session.object::<User>(ann_id).await.unwrap().unwrap();
        selects(&db);
        for post in &posts {
            let author = Post::author.object(&session, post).await.unwrap().unwrap();
            assert!(author.is(&ann));
        }
        assert_eq!(
            selects(&db),
            0,
            "{url}: the authors came from the identity map"
        );
        let mine = User::posts.objects(&session, &ann).await.unwrap();
        assert_eq!(mine.len(), 3);
        assert!(mine.iter().any(|p| p.is(&posts[0])), "{url}");
        let profile = User::profile.object(&session, &ann).await.unwrap().unwrap();
        assert_eq!(profile.read().bio, "writes");
        // Changed through the lazily loaded object, written at commit.
        profile.write().bio = "edits".into();
        session.commit().await.unwrap();
        let profile_id = profile.read().id;
        let row = db.get::<Profile>(profile_id).await.unwrap().unwrap();
        assert_eq!(row.bio, "edits", "{url}");
        let user = Profile::user.load(&db, &row).await.unwrap();
        assert_eq!(user.map(|u| u.id), Some(ann_id));

        // has_one cascade: deleting the user deletes the profile, and the session's object
        // of the profile is detached with it.
        let session = db.session();
        let ann = session.object::<User>(ann_id).await.unwrap().unwrap();
        let profile = User::profile.object(&session, &ann).await.unwrap().unwrap();
        session.select::<Post>().delete().await.unwrap();
        session.delete_object(&ann).unwrap();
        session.commit().await.unwrap();
        assert_eq!(profile.state(), ObjectState::Detached, "{url}");
        assert_eq!(db.select::<Profile>().count().await.unwrap(), 0, "{url}");
        db.drop_all(&meta()).await.unwrap();
        db.close().await;
    }
}
