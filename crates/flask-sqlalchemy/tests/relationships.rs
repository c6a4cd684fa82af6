//! Relationships on the three databases: explicit and eager loading with a fixed number of
//! queries, joins on relationships, many-to-many links, cascading deletes.

mod common;
use common::backends;

use flask_sqlalchemy::{Engine, EngineOptions, MetaData, Model};

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "orm_rel_user")]
#[model(has_many(posts: Post, key = author_id, cascade = "all, delete-orphan"))]
struct User {
    #[model(primary_key)]
    id: i64,
    #[model(max_length = 40)]
    name: String,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "orm_rel_post")]
#[model(belongs_to(author: User, key = author_id))]
#[model(has_many(comments: Comment, key = post_id, cascade = "delete"))]
#[model(many_to_many(tags: Tag, secondary = PostTag, local = post_id, remote = tag_id))]
struct Post {
    #[model(primary_key)]
    id: i64,
    #[model(foreign_key = "orm_rel_user.id")]
    author_id: i64,
    #[model(max_length = 80)]
    title: String,
}

/// Comments reply to comments: a self-referential relationship both ways.
#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "orm_rel_comment")]
#[model(belongs_to(post: Post, key = post_id))]
#[model(belongs_to(parent: Comment, key = parent_id))]
#[model(has_many(replies: Comment, key = parent_id, cascade = "delete"))]
struct Comment {
    #[model(primary_key)]
    id: i64,
    #[model(foreign_key = "orm_rel_post.id")]
    post_id: i64,
    #[model(foreign_key = "orm_rel_comment.id")]
    parent_id: Option<i64>,
    body: String,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "orm_rel_tag")]
#[model(many_to_many(posts: Post, secondary = PostTag, local = tag_id, remote = post_id))]
struct Tag {
    #[model(primary_key)]
    id: i64,
    #[model(max_length = 40, unique)]
    name: String,
}

/// The association table: a composite primary key of two foreign keys.
#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "orm_rel_post_tag")]
struct PostTag {
    #[model(primary_key, foreign_key = "orm_rel_post.id")]
    post_id: i64,
    #[model(primary_key, foreign_key = "orm_rel_tag.id")]
    tag_id: i64,
}

fn metadata() -> MetaData {
    MetaData::new()
        .register::<User>()
        .register::<Post>()
        .register::<Comment>()
        .register::<Tag>()
        .register::<PostTag>()
}

struct Data {
    users: Vec<User>,
    posts: Vec<Post>,
    tags: Vec<Tag>,
}

/// Three users (the last without posts), seven posts, two tags, comments with replies.
async fn seed(db: &Engine) -> Data {
    let meta = metadata();
    db.drop_all(&meta).await.unwrap();
    db.create_all(&meta).await.unwrap();
    let mut users = Vec::new();
    for name in ["ann", "bob", "cat"] {
        let mut u = User {
            id: 0,
            name: name.into(),
        };
        db.insert(&mut u).await.unwrap();
        users.push(u);
    }
    let mut posts = Vec::new();
    for i in 0..7 {
        let mut p = Post {
            id: 0,
            author_id: users[i % 2].id,
            title: format!("post {i}"),
        };
        db.insert(&mut p).await.unwrap();
        posts.push(p);
    }
    let mut tags = Vec::new();
    for name in ["rust", "sql"] {
        let mut t = Tag {
            id: 0,
            name: name.into(),
        };
        db.insert(&mut t).await.unwrap();
        tags.push(t);
    }
    // rust: posts 0, 1, 2; sql: posts 2, 3.
    for (p, t) in [(0, 0), (1, 0), (2, 0), (2, 1), (3, 1)] {
        Post::tags.link(db, &posts[p], &tags[t]).await.unwrap();
    }
    // Post 0 has a comment with a reply with a reply; post 1 one comment.
    let mut parent = None;
    for body in ["first", "reply", "reply to reply"] {
        let mut c = Comment {
            id: 0,
            post_id: posts[0].id,
            parent_id: parent,
            body: body.into(),
        };
        db.insert(&mut c).await.unwrap();
        parent = Some(c.id);
    }
    db.insert(&mut Comment {
        id: 0,
        post_id: posts[1].id,
        parent_id: None,
        body: "on post 1".into(),
    })
    .await
    .unwrap();
    Data { users, posts, tags }
}

async fn connect(url: &str) -> Engine {
    let options = EngineOptions {
        record_queries: true,
        ..EngineOptions::default()
    };
    Engine::connect(url, std::env::temp_dir().as_ref(), options)
        .await
        .unwrap()
}

fn titles(posts: &[Post]) -> Vec<&str> {
    posts.iter().map(|p| p.title.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loading_joining_linking_and_cascades() {
    for url in backends() {
        let db = connect(&url).await;
        let Data { users, posts, tags } = seed(&db).await;
        let (ann, bob, cat) = (&users[0], &users[1], &users[2]);

        // Explicit loading: one query each.
        db.clear_recorded_queries();
        assert_eq!(
            Post::author.load(&db, &posts[1]).await.unwrap().as_ref(),
            Some(bob)
        );
        let anns = User::posts.load(&db, ann).await.unwrap();
        assert_eq!(
            titles(&anns),
            ["post 0", "post 2", "post 4", "post 6"],
            "{url}"
        );
        assert!(
            User::posts.load(&db, cat).await.unwrap().is_empty(),
            "{url}"
        );
        let rust: Vec<String> = Tag::posts
            .load(&db, &tags[0])
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.title)
            .collect();
        assert_eq!(rust, ["post 0", "post 1", "post 2"], "{url}");
        let post2_tags = Post::tags.load(&db, &posts[2]).await.unwrap();
        assert_eq!(post2_tags, tags, "{url}");
        assert_eq!(db.recorded_queries().len(), 5, "{url}: one query per load");

        // selectinload: one query for the rows, one for all their related rows.
        db.clear_recorded_queries();
        let with_authors = db
            .select::<Post>()
            .order_by(Post::id.asc())
            .selectinload(Post::author)
            .all()
            .await
            .unwrap();
        assert_eq!(db.recorded_queries().len(), 2, "{url}: no N+1");
        assert_eq!(with_authors.len(), 7);
        for (post, author) in &with_authors {
            assert_eq!(author.as_ref().map(|a| a.id), Some(post.author_id), "{url}");
        }

        db.clear_recorded_queries();
        let with_posts = db
            .select::<User>()
            .order_by(User::id.asc())
            .selectinload(User::posts)
            .all()
            .await
            .unwrap();
        assert_eq!(db.recorded_queries().len(), 2, "{url}");
        let counts: Vec<(String, usize)> = with_posts
            .iter()
            .map(|(u, p)| (u.name.clone(), p.len()))
            .collect();
        assert_eq!(
            counts,
            [("ann".into(), 4), ("bob".into(), 3), ("cat".into(), 0)],
            "{url}"
        );

        db.clear_recorded_queries();
        let with_tags = db
            .select::<Post>()
            .filter(Post::id.le(posts[3].id))
            .order_by(Post::id.asc())
            .selectinload(Post::tags)
            .all()
            .await
            .unwrap();
        assert_eq!(db.recorded_queries().len(), 2, "{url}");
        let names: Vec<Vec<&str>> = with_tags
            .iter()
            .map(|(_, t)| t.iter().map(|t| t.name.as_str()).collect())
            .collect();
        assert_eq!(
            names,
            [vec!["rust"], vec!["rust"], vec!["rust", "sql"], vec!["sql"]],
            "{url}"
        );

        // load_many on rows already there: one query; none for no rows.
        db.clear_recorded_queries();
        let authors = Post::author.load_many(&db, &posts).await.unwrap();
        assert_eq!(authors.len(), 7);
        assert!(Post::author.load_many(&db, &[]).await.unwrap().is_empty());
        assert_eq!(db.recorded_queries().len(), 1, "{url}");

        // joinedload: one query; a NULL key loads as None. The self-referential join is
        // aliased.
        db.clear_recorded_queries();
        let comments = db
            .select::<Comment>()
            .order_by(Comment::id.asc())
            .joinedload(Comment::parent)
            .all()
            .await
            .unwrap();
        assert_eq!(db.recorded_queries().len(), 1, "{url}");
        let shown: Vec<(&str, Option<&str>)> = comments
            .iter()
            .map(|(c, p)| (c.body.as_str(), p.as_ref().map(|p| p.body.as_str())))
            .collect();
        assert_eq!(
            shown,
            [
                ("first", None),
                ("reply", Some("first")),
                ("reply to reply", Some("reply")),
                ("on post 1", None)
            ],
            "{url}"
        );
        let (first, author) = db
            .select::<Post>()
            .filter(Post::title.eq("post 1"))
            .joinedload(Post::author)
            .first()
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (first.id, author.as_ref()),
            (posts[1].id, Some(bob)),
            "{url}"
        );

        // Joins for filtering, through a many-to-one, a one-to-many and a many-to-many.
        let by_ann = db
            .select::<Post>()
            .join(Post::author)
            .filter(User::name.eq("ann"))
            .order_by(Post::id.asc())
            .all()
            .await
            .unwrap();
        assert_eq!(
            titles(&by_ann),
            ["post 0", "post 2", "post 4", "post 6"],
            "{url}"
        );
        let tagged_sql = db
            .select::<Post>()
            .join(Post::tags)
            .filter(Tag::name.eq("sql"))
            .order_by(Post::id.asc())
            .all()
            .await
            .unwrap();
        assert_eq!(titles(&tagged_sql), ["post 2", "post 3"], "{url}");
        let tagged_by = db
            .select::<User>()
            .join(User::posts)
            .join(Post::tags)
            .filter(Tag::name.eq("rust"))
            .distinct()
            .count()
            .await
            .unwrap();
        assert_eq!(tagged_by, 2, "{url}: ann and bob wrote rust posts");
        let without_posts = db
            .select::<User>()
            .outerjoin(User::posts)
            .filter(Post::id.is_null())
            .all()
            .await
            .unwrap();
        assert_eq!(without_posts, std::slice::from_ref(cat), "{url}");
        let err = db
            .select::<Post>()
            .join(Post::author)
            .filter(User::name.eq("ann"))
            .delete()
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("cannot use a join"),
            "{url}: {err}"
        );

        // Links: a duplicate is refused by the association's key; unlink says if it was there.
        let dup = Post::tags.link(&db, &posts[0], &tags[0]).await.unwrap_err();
        assert!(dup.is_unique_violation(), "{url}: {dup}");
        assert!(
            Post::tags.unlink(&db, &posts[0], &tags[0]).await.unwrap(),
            "{url}"
        );
        assert!(
            !Post::tags.unlink(&db, &posts[0], &tags[0]).await.unwrap(),
            "{url}"
        );

        // Cascade: deleting ann deletes her posts, their comments and replies, and their
        // tag links; bob's rows and the tags stay.
        assert_eq!(db.delete(ann).await.unwrap(), 1, "{url}");
        assert_eq!(owners_of_posts(&db).await, [bob.id], "{url}");
        let left: Vec<String> = db
            .all::<Comment>()
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.body)
            .collect();
        assert_eq!(left, ["on post 1"], "{url}");
        assert_eq!(db.select::<PostTag>().count().await.unwrap(), 2, "{url}");
        assert_eq!(db.select::<Tag>().count().await.unwrap(), 2, "{url}");

        // In a session, the cascade is part of the transaction: rolled back, all is back.
        let session = db.session();
        assert_eq!(session.delete(bob).await.unwrap(), 1, "{url}");
        assert_eq!(session.select::<Post>().count().await.unwrap(), 0, "{url}");
        session.rollback().await.unwrap();
        assert_eq!(db.select::<Post>().count().await.unwrap(), 3, "{url}");
        assert_eq!(db.select::<Comment>().count().await.unwrap(), 1, "{url}");

        db.drop_all(&metadata()).await.unwrap();
        db.close().await;
    }
}

async fn owners_of_posts(db: &Engine) -> Vec<i64> {
    let mut ids: Vec<i64> = db
        .all::<Post>()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.author_id)
        .collect();
    ids.dedup();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selectinload_batches_500_keys_per_query() {
    let db = connect("sqlite://").await;
    let meta = MetaData::new().register::<User>().register::<Post>();
    db.create_all(&meta).await.unwrap();
    let mut ann = User {
        id: 0,
        name: "ann".into(),
    };
    db.insert(&mut ann).await.unwrap();
    let session = db.session();
    for i in 0..1200 {
        let mut p = Post {
            id: 0,
            author_id: ann.id,
            title: format!("p{i}"),
        };
        session.add(&mut p).await.unwrap();
    }
    session.commit().await.unwrap();
    let users: Vec<User> = (0..1200)
        .map(|i| User {
            id: if i == 0 { ann.id } else { 10_000 + i },
            name: String::new(),
        })
        .collect();
    db.clear_recorded_queries();
    let loaded = User::posts.load_many(&db, &users).await.unwrap();
    assert_eq!(
        db.recorded_queries().len(),
        3,
        "1200 keys: three queries of 500"
    );
    assert_eq!(loaded[0].len(), 1200);
    assert!(loaded[1..].iter().all(Vec::is_empty));
}
