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
