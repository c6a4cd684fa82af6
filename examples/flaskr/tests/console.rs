//! The sessions docs/debugging.md shows, run for real on flaskr: `flaskr shell` over the
//! users and posts, and the debug page's console on a failing view of a logged-in user.

mod common;

use common::{empty_app_with, engine, login};
use flask::routing::get;
use flask::{Error, StatusCode};
use flask_login::LoginRequired;
use flask_sqlalchemy::Db;
use flaskr::{Post, User};

// ANCHOR: stats
/// Words per post of the logged-in user: a view with a bug, for the console to find (a user
/// without posts divides by zero).
#[flask::view]
async fn stats(LoginRequired(user): LoginRequired<User>, db: Db) -> Result<String, Error> {
    let posts = db
        .select::<Post>()
        .filter(Post::author_id.eq(user.id))
        .all()
        .await?;
    let words: usize = posts
        .iter()
        .map(|p| p.body.split_whitespace().count())
        .sum();
    let per_post = words
        .checked_div(posts.len())
        .ok_or("cannot average the words of no posts")?;
    Ok(format!("{per_post} words per post"))
}
// ANCHOR_END: stats

async fn flaskr_with_stats() -> flask::testing::TestClient {
    let c = empty_app_with("sqlite://", "console", |app| {
        app.configure(|c| c.set("DEBUG", true))
            .route("/stats", get(stats))
    })
    .await;
    let db = engine(&c);
    for (name, titles) in [("ada", &["Engines", "Notes"][..]), ("grace", &[][..])] {
        let mut user = User {
            id: 0,
            username: name.to_owned(),
            password: flask_login::generate_password_hash(name).unwrap(),
        };
        db.insert(&mut user).await.unwrap();
        for title in titles {
            let mut post = Post {
                id: 0,
                author_id: user.id,
                created: None,
                title: (*title).to_owned(),
                body: "on the analytical engine".to_owned(),
            };
            db.insert(&mut post).await.unwrap();
        }
    }
    c
}

#[tokio::test]
async fn the_shell_reads_users_and_posts() {
    let c = flaskr_with_stats().await;
    let r = c
        .app()
        .test_cli_runner()
        .invoke(&[
            "shell",
            "-c",
            "db.tables",
            "-c",
            "db.get('user', 1).username",
            "-c",
            "db.query('post').filter_by(author_id=1).count()",
            "-c",
            "db.query('post').order_by('-id').first().title",
            "-c",
            "db.sql('select username, count(post.id) as posts from user left join post on post.author_id = user.id group by username order by username')",
        ])
        .await;
    assert_eq!(r.code, 0, "{}", r.output);
    assert_eq!(
        r.output,
        "['user', 'post']\n'ada'\n2\n'Notes'\n[{'username': 'ada', 'posts': 2}, {'username': 'grace', 'posts': 0}]\n"
    );
}

#[tokio::test]
async fn the_debug_console_finds_the_bug_of_a_failing_view() {
    let c = flaskr_with_stats().await;
    assert_eq!(
        login(&c, "grace", "grace").await.status(),
        StatusCode::FOUND
    );
    let page = c.get("/stats").send().await;
    assert_eq!(page.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let page = page.text();
    let attr = |name: &str| {
        let start = page.find(&format!("data-{name}=\"")).expect(&page) + name.len() + 7;
        page[start..start + page[start..].find('"').unwrap()].to_owned()
    };
    let (snapshot, secret) = (attr("snapshot"), attr("secret"));
    // The console's script is the app's own file: flaskr's Content-Security-Policy runs it.
    assert!(page.contains("<script src=\"/__debugger__/console.js\"></script>"));
    let pin = c.app().debugger_pin().unwrap();
    let r = c
        .post("/__debugger__/pinauth")
        .form(&[("pin", pin.as_str()), ("s", &secret)])
        .send()
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let mut transcript = String::new();
    for line in [
        "current_user.username",
        "current_user.is_authenticated",
        "db.query('post').filter_by(author_id=current_user.id).all()",
        "error.message",
        "request.endpoint",
        "session._user_id",
    ] {
        let answer: serde_json::Value = c
            .post("/__debugger__/console")
            .form(&[("cmd", line), ("snapshot", &snapshot), ("s", &secret)])
            .send()
            .await
            .json();
        let shown = answer["output"]
            .as_str()
            .or(answer["error"].as_str())
            .unwrap_or_default();
        transcript.push_str(&format!(">>> {line}\n{shown}\n"));
    }
    assert_eq!(
        transcript,
        ">>> current_user.username\n'grace'\n\
         >>> current_user.is_authenticated\nTrue\n\
         >>> db.query('post').filter_by(author_id=current_user.id).all()\n[]\n\
         >>> error.message\n'cannot average the words of no posts'\n\
         >>> request.endpoint\n'stats'\n\
         >>> session._user_id\n'2'\n"
    );
}
