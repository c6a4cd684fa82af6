//! The tutorial's `tests/test_blog.py`, on SQLite, PostgreSQL and MariaDB: the index, who
//! may write, edit and delete, and what each does; then the schema, which the app's
//! migrations made.

mod common;

use common::{app, backends, empty_app, engine, login, submit};
use flask::testing::TestClient;
use flaskr::{Post, User};

/// The post `id`, read from the database (the tutorial's tests look there too).
async fn post(c: &TestClient, id: i64) -> Option<Post> {
    engine(c).get::<Post>(id).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index() {
    for url in backends() {
        let (c, id) = app(&url, "flaskr_index").await;
        let r = c.get("/").send().await;
        assert_eq!(r.status(), 200, "{url}");
        let page = r.text();
        assert!(
            page.contains("<title>Posts - Flaskr</title>"),
            "{url}: {page}"
        );
        assert!(page.contains("Log In"), "{url}: {page}");
        assert!(page.contains("Register"), "{url}: {page}");
        // Everyone reads the posts, with their author and date; only authors get "Edit".
        assert!(page.contains("<h1>test title</h1>"), "{url}: {page}");
        assert!(page.contains("by test on 2018-01-01"), "{url}: {page}");
        assert!(page.contains("test\nbody"), "{url}: {page}");
        assert!(!page.contains("/update"), "{url}: {page}");
        assert!(!page.contains(">New</a>"), "{url}: {page}");

        login(&c, "test", "test").await;
        let page = c.get("/").send().await.text();
        assert!(page.contains("Log Out"), "{url}: {page}");
        assert!(page.contains("test title"), "{url}: {page}");
        assert!(page.contains("by test on 2018-01-01"), "{url}: {page}");
        assert!(page.contains("test\nbody"), "{url}: {page}");
        assert!(
            page.contains(&format!(r#"href="/{id}/update""#)),
            "{url}: {page}"
        );
        assert!(
            page.contains(r#"<a class="action" href="/create">New</a>"#),
            "{url}: {page}"
        );

        // Newest first, each with its own author, the new ones dated by the database.
        login(&c, "other", "other").await;
        for title in ["first by other", "second by other"] {
            let r = submit(&c, "/create", &[("title", title), ("body", "")]).await;
            assert_eq!(r.status(), 302, "{url}");
        }
        let page = c.get("/").send().await.text();
        let second = page.find("<h1>second by other</h1>").unwrap();
        let first = page.find("<h1>first by other</h1>").unwrap();
        let oldest = page.find("<h1>test title</h1>").unwrap();
        assert!(second < first && first < oldest, "{url}: {page}");
        assert_eq!(page.matches("by other on ").count(), 2, "{url}: {page}");
        assert_eq!(page.matches("by test on 2018-01-01").count(), 1, "{url}");
        let today = chrono::Utc::now().date_naive().to_string();
        let yesterday = (chrono::Utc::now() - chrono::Duration::days(1))
            .date_naive()
            .to_string();
        assert!(
            page.contains(&format!("by other on {today}"))
                || page.contains(&format!("by other on {yesterday}")),
            "{url}: {page}"
        );
        // other may edit its posts, not test's.
        assert_eq!(page.matches(r#"/update">Edit</a>"#).count(), 2, "{url}");
        assert!(
            !page.contains(&format!(r#"href="/{id}/update""#)),
            "{url}: {page}"
        );
        assert_eq!(page.matches("<hr>").count(), 2, "{url}: between posts");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_required() {
    for url in backends() {
        let (c, id) = app(&url, "flaskr_login_required").await;
        for path in [
            "/create".to_owned(),
            format!("/{id}/update"),
            format!("/{id}/delete"),
        ] {
            let r = submit(&c, &path, &[]).await;
            assert_eq!(r.status(), 302, "{url}: {path}");
            assert_eq!(r.header("location"), Some("/auth/login"), "{url}: {path}");
        }
        for path in ["/create".to_owned(), format!("/{id}/update")] {
            let r = c.get(&path).send().await;
            assert_eq!(r.header("location"), Some("/auth/login"), "{url}: {path}");
        }
        // Following the redirect lands on the form.
        let r = c.get("/create").follow_redirects().send().await;
        assert_eq!(r.history(), ["/create"], "{url}");
        assert!(r.text().contains("<h1>Log In</h1>"), "{url}");
        // Nothing changed, not even for a post that does not exist.
        let r = submit(&c, "/99999/delete", &[]).await;
        assert_eq!(r.header("location"), Some("/auth/login"), "{url}");
        let left = post(&c, id).await.unwrap();
        assert_eq!(left.title, "test title", "{url}");
        assert_eq!(engine(&c).all::<Post>().await.unwrap().len(), 1, "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn author_required() {
    for url in backends() {
        let (c, id) = app(&url, "flaskr_author_required").await;
        // The post's author becomes other, as the tutorial's test does.
        let db = engine(&c);
        let other = db
            .select::<User>()
            .filter(User::username.eq("other"))
            .one()
            .await
            .unwrap();
        db.select::<Post>()
            .filter(Post::id.eq(id))
            .update([Post::author_id.set(other.id)])
            .await
            .unwrap();

        login(&c, "test", "test").await;
        // test cannot change other's post...
        let update = format!("/{id}/update");
        assert_eq!(c.get(&update).send().await.status(), 403, "{url}");
        let r = submit(&c, &update, &[("title", "mine now"), ("body", "")]).await;
        assert_eq!(r.status(), 403, "{url}");
        let r = submit(&c, &format!("/{id}/delete"), &[]).await;
        assert_eq!(r.status(), 403, "{url}");
        assert!(r.text().contains("403 Forbidden"), "{url}");
        // ...nor see the edit link.
        let page = c.get("/").send().await.text();
        assert!(
            !page.contains(&format!(r#"href="{update}""#)),
            "{url}: {page}"
        );
        assert!(page.contains("by other on 2018-01-01"), "{url}: {page}");
        let left = post(&c, id).await.unwrap();
        assert_eq!(left.title, "test title", "{url}");

        // other can.
        login(&c, "other", "other").await;
        assert_eq!(c.get(&update).send().await.status(), 200, "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exists_required() {
    for url in backends() {
        let (c, id) = app(&url, "flaskr_exists_required").await;
        login(&c, "test", "test").await;
        let missing = id + 1;
        let r = submit(&c, &format!("/{missing}/update"), &[]).await;
        assert_eq!(r.status(), 404, "{url}");
        assert!(
            r.text().contains(&format!("Post id {missing} doesn")),
            "{url}: {}",
            r.text()
        );
        assert_eq!(
            c.get(&format!("/{missing}/update")).send().await.status(),
            404,
            "{url}"
        );
        let r = submit(&c, &format!("/{missing}/delete"), &[]).await;
        assert_eq!(r.status(), 404, "{url}");
        // Not a number: no such page.
        assert_eq!(c.get("/abc/update").send().await.status(), 404, "{url}");
        // The delete form is a POST only.
        let r = c.get(&format!("/{id}/delete")).send().await;
        assert_eq!(r.status(), 405, "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create() {
    for url in backends() {
        let (c, _) = app(&url, "flaskr_create").await;
        login(&c, "test", "test").await;
        let r = c.get("/create").send().await;
        assert_eq!(r.status(), 200, "{url}");
        let page = r.text();
        assert!(page.contains("<h1>New Post</h1>"), "{url}: {page}");
        assert!(
            page.contains(
                r#"<input id="title" maxlength="200" name="title" required type="text" value="">"#
            ),
            "{url}"
        );

        let r = submit(&c, "/create", &[("title", "created"), ("body", "")]).await;
        assert_eq!(r.status(), 302, "{url}");
        assert_eq!(r.header("location"), Some("/"), "{url}");
        let posts = engine(&c).all::<Post>().await.unwrap();
        assert_eq!(posts.len(), 2, "{url}");
        let created = &posts[1];
        assert_eq!(created.title, "created", "{url}");
        assert_eq!(created.body, "", "{url}");
        assert!(created.created.is_some(), "{url}: the database dates it");
        let page = c.get("/").send().await.text();
        assert!(page.contains("<h1>created</h1>"), "{url}: {page}");
        assert!(
            page.contains(&format!(r#"href="/{}/update""#, created.id)),
            "{url}: {page}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update() {
    for url in backends() {
        let (c, id) = app(&url, "flaskr_update").await;
        login(&c, "test", "test").await;
        let path = format!("/{id}/update");
        let r = c.get(&path).send().await;
        assert_eq!(r.status(), 200, "{url}");
        let page = r.text();
        assert!(
            page.contains(r#"<h1>Edit "test title"</h1>"#),
            "{url}: {page}"
        );
        assert!(page.contains(r#"value="test title""#), "{url}: {page}");
        assert!(page.contains(">\r\ntest\nbody</textarea>"), "{url}: {page}");
        assert!(
            page.contains(&format!(r#"<form action="/{id}/delete" method="post">"#)),
            "{url}: {page}"
        );

        let r = submit(&c, &path, &[("title", "updated"), ("body", "")]).await;
        assert_eq!(r.status(), 302, "{url}");
        assert_eq!(r.header("location"), Some("/"), "{url}");
        let updated = post(&c, id).await.unwrap();
        assert_eq!(updated.title, "updated", "{url}");
        assert_eq!(updated.body, "", "{url}");
        // Its author and date stay.
        assert_eq!(
            updated.created.unwrap().to_rfc3339(),
            "2018-01-01T00:00:00+00:00",
            "{url}"
        );
        let page = c.get("/").send().await.text();
        assert!(page.contains("<h1>updated</h1>"), "{url}: {page}");
        assert!(page.contains("by test on 2018-01-01"), "{url}: {page}");
        assert!(!page.contains("test title"), "{url}: {page}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_update_validate() {
    for url in backends() {
        let (c, id) = app(&url, "flaskr_create_update_validate").await;
        login(&c, "test", "test").await;
        let long = "x".repeat(201);
        for path in ["/create".to_owned(), format!("/{id}/update")] {
            for (title, message) in [
                ("", "Title is required."),
                (long.as_str(), "A title has at most 200 characters."),
            ] {
                let r = submit(&c, &path, &[("title", title), ("body", "kept <i>body</i>")]).await;
                assert_eq!(r.status(), 200, "{url}: {path}");
                let page = r.text();
                assert!(
                    page.contains(&format!("<div class=\"flash\">{message}</div>")),
                    "{url}: {page}"
                );
                // What was typed is still in the form, escaped.
                assert!(
                    page.contains(">\r\nkept &lt;i&gt;body&lt;/i&gt;</textarea>"),
                    "{url}: {page}"
                );
            }
        }
        // Nothing was written.
        let posts = engine(&c).all::<Post>().await.unwrap();
        assert_eq!(posts.len(), 1, "{url}");
        assert_eq!(posts[0].title, "test title", "{url}");
        assert_eq!(posts[0].body, "test\nbody", "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete() {
    for url in backends() {
        let (c, id) = app(&url, "flaskr_delete").await;
        login(&c, "test", "test").await;
        let r = submit(&c, &format!("/{id}/delete"), &[]).await;
        assert_eq!(r.status(), 302, "{url}");
        assert_eq!(r.header("location"), Some("/"), "{url}");
        assert!(post(&c, id).await.is_none(), "{url}");
        let page = c.get("/").send().await.text();
        assert!(!page.contains("test title"), "{url}: {page}");
        assert!(!page.contains("<article"), "{url}: {page}");
        // Gone: a second delete and the edit page are 404s.
        let r = submit(&c, &format!("/{id}/delete"), &[]).await;
        assert_eq!(r.status(), 404, "{url}");
        let r = c.get(&format!("/{id}/update")).send().await;
        assert_eq!(r.status(), 404, "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn titles_and_names_are_escaped() {
    for url in backends() {
        let (c, _) = app(&url, "flaskr_escaped").await;
        let r = submit(
            &c,
            "/auth/register",
            &[("username", "<b>bold</b>"), ("password", "pw")],
        )
        .await;
        assert_eq!(r.status(), 302, "{url}");
        login(&c, "<b>bold</b>", "pw").await;
        let r = submit(
            &c,
            "/create",
            &[
                ("title", "<script>alert(1)</script>"),
                ("body", "Tom & \"Jerry\""),
            ],
        )
        .await;
        assert_eq!(r.status(), 302, "{url}");
        let page = c.get("/").send().await.text();
        assert!(!page.contains("<script>"), "{url}: {page}");
        assert!(!page.contains("<b>"), "{url}: {page}");
        assert!(
            page.contains("<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>"),
            "{url}: {page}"
        );
        assert!(
            page.contains("<p class=\"body\">Tom &amp; &#34;Jerry&#34;</p>"),
            "{url}: {page}"
        );
        assert!(
            page.contains("<li><span>&lt;b&gt;bold&lt;/b&gt;</span>"),
            "{url}: {page}"
        );
        assert!(
            page.contains("by &lt;b&gt;bold&lt;/b&gt; on "),
            "{url}: {page}"
        );
        // SQL in a title is a title.
        let r = submit(
            &c,
            "/create",
            &[("title", "x'); DROP TABLE post; --"), ("body", "")],
        )
        .await;
        assert_eq!(r.status(), 302, "{url}");
        let page = c.get("/").send().await.text();
        assert!(
            page.contains("<h1>x&#39;); DROP TABLE post; --</h1>"),
            "{url}: {page}"
        );
        assert_eq!(page.matches("<article").count(), 3, "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_made_the_schema() {
    for url in backends() {
        // No tables: the app's migrations make them at startup.
        let c = empty_app(&url, "flaskr_migrations").await;
        let r = c.get("/").send().await;
        assert_eq!(r.status(), 200, "{url}");
        assert!(!r.text().contains("<article"), "{url}");

        // The schema is the migrations', and it matches the models.
        let cli = c.app().test_cli_runner();
        let out = cli.invoke(&["db", "check"]).await;
        assert_eq!(out.code, 0, "{url}: {}", out.output);
        assert_eq!(
            out.output.trim(),
            "No new upgrade operations detected.",
            "{url}"
        );
        let out = cli.invoke(&["db", "current"]).await;
        assert!(
            out.output.trim().ends_with("_users_and_posts (head)"),
            "{url}: {}",
            out.output
        );

        // A user registers and writes; the schema keeps it.
        let r = submit(
            &c,
            "/auth/register",
            &[("username", "ada"), ("password", "lovelace")],
        )
        .await;
        assert_eq!(r.header("location"), Some("/auth/login"), "{url}");
        login(&c, "ada", "lovelace").await;
        submit(
            &c,
            "/create",
            &[("title", "Notes"), ("body", "on the engine")],
        )
        .await;
        let page = c.get("/").send().await.text();
        assert!(page.contains("<h1>Notes</h1>"), "{url}: {page}");
        assert!(page.contains("by ada on "), "{url}: {page}");
        // Usernames are unique in the database itself.
        let mut twin = User {
            id: 0,
            username: "ada".to_owned(),
            password: String::new(),
        };
        let err = engine(&c).insert(&mut twin).await.unwrap_err();
        assert!(err.is_unique_violation(), "{url}: {err}");
    }
}
