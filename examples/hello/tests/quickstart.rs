//! The quickstart's routes, as a user sees them.

use flask::TestClient;
use serde_json::Value;

fn client() -> TestClient {
    hello::app().test_client()
}

#[tokio::test]
async fn index_says_hello() {
    let resp = client().get("/").send().await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text(), "Hello, World!");
    assert_eq!(
        resp.header("content-type"),
        Some("text/html; charset=utf-8")
    );
}

#[tokio::test]
async fn user_names_are_escaped() {
    let c = client();
    assert_eq!(c.get("/user/ada").send().await.text(), "User ada");
    assert_eq!(
        c.get("/user/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
            .send()
            .await
            .text(),
        "User &lt;script&gt;alert(1)&lt;/script&gt;"
    );
    assert_eq!(c.get("/user/J%C3%B6rg").send().await.text(), "User Jörg");
}

#[tokio::test]
async fn posts_need_an_integer() {
    let c = client();
    assert_eq!(c.get("/post/42").send().await.text(), "Post 42");
    assert_eq!(c.get("/post/abc").send().await.status(), 404);
    assert_eq!(c.get("/post/-1").send().await.status(), 404);
}

#[tokio::test]
async fn subpaths_keep_slashes() {
    assert_eq!(
        client().get("/path/a/b/c.txt").send().await.text(),
        "Subpath a/b/c.txt"
    );
}

#[tokio::test]
async fn trailing_slashes_follow_werkzeug() {
    let c = client();
    let resp = c.get("/projects").send().await;
    assert_eq!(resp.status(), 308);
    assert_eq!(resp.header("location"), Some("/projects/"));
    assert_eq!(
        c.get("/projects").follow_redirects().send().await.text(),
        "The project page"
    );
    assert_eq!(c.get("/about").send().await.text(), "The about page");
    assert_eq!(c.get("/about/").send().await.status(), 404);
}

#[tokio::test]
async fn me_is_json() {
    let resp = client().get("/me").send().await;
    assert_eq!(resp.header("content-type"), Some("application/json"));
    let v: Value = resp.json();
    assert_eq!(v["username"], "flask");
}

#[test]
fn the_binary_lists_its_routes() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hello"))
        .arg("routes")
        .env("FLASK_SKIP_DOTENV", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for line in [
        "hello_world        GET      /",
        "show_post          GET      /post/<int:post_id>",
        "static             GET      /static/<path:filename>",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
}

#[test]
fn bad_arguments_exit_with_2() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hello"))
        .args(["run", "--port", "not-a-port"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not-a-port"));
}

#[tokio::test]
async fn templates_say_hello() {
    let c = client();
    let r = c.get("/hello/").send().await;
    assert!(r.text().contains("<h1>Hello, World!</h1>"), "{}", r.text());
    let r = c.get("/hello/%3Cb%3Eada").send().await;
    assert!(
        r.text().contains("<h1>Hello &lt;b&gt;ada!</h1>"),
        "{}",
        r.text()
    );
    assert_eq!(c.get("/hello").send().await.status(), 308);
}

#[tokio::test]
async fn rows_are_rendered_escaped() {
    let text = client().get("/rows").send().await.text();
    assert_eq!(text.matches("<tr>").count(), 100);
    assert!(
        text.contains("<tr><td>7</td><td>Row 7: &lt;b&gt; &amp; &lt;i&gt;</td></tr>"),
        "{text}"
    );
}
