//! The "Full Example" of Flask-RESTful's quickstart, request by request, as its curl
//! session shows it.

use serde_json::{Value, json};

fn client() -> flask::TestClient {
    todo_api::app().test_client()
}

#[tokio::test]
async fn the_starting_todos() {
    let c = client();
    let resp = c.get("/todos").send().await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert_eq!(
        resp.json::<Value>(),
        json!({
            "todo1": {"task": "build an API"},
            "todo2": {"task": "?????"},
            "todo3": {"task": "profit!"}
        })
    );
    let resp = c.get("/todos/todo3").send().await;
    assert_eq!(resp.json::<Value>(), json!({"task": "profit!"}));
}

#[tokio::test]
async fn delete_is_204_and_a_missing_todo_is_404() {
    let c = client();
    let resp = c.delete("/todos/todo2").send().await;
    assert_eq!(resp.status(), 204);
    assert_eq!(resp.text(), "");
    let resp = c.get("/todos/todo2").send().await;
    assert_eq!(resp.status(), 404);
    assert_eq!(
        resp.json::<Value>(),
        json!({"message": "Todo todo2 doesn't exist"})
    );
    let resp = c.delete("/todos/todo2").send().await;
    assert_eq!(resp.status(), 404);
    let resp = c.get("/todos/todo9").send().await;
    assert_eq!(
        resp.json::<Value>(),
        json!({"message": "Todo todo9 doesn't exist"})
    );
}

#[tokio::test]
async fn post_adds_todo_max_plus_one() {
    let c = client();
    let resp = c
        .post("/todos")
        .form(&[("task", "something new")])
        .send()
        .await;
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.json::<Value>(), json!({"task": "something new"}));
    let all: Value = c.get("/todos").send().await.json();
    assert_eq!(all["todo4"], json!({"task": "something new"}));
    // From JSON too, and the id keeps counting.
    let resp = c
        .post("/todos")
        .json(&json!({"task": "from json"}))
        .send()
        .await;
    assert_eq!(resp.status(), 201);
    let all: Value = c.get("/todos").send().await.json();
    assert_eq!(all["todo5"], json!({"task": "from json"}));
    // Without a task: reqparse's None.
    let resp = c.post("/todos").send().await;
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.json::<Value>(), json!({"task": null}));
}

#[tokio::test]
async fn the_id_is_the_greatest_as_text_plus_one() {
    // max() of the keys as strings, as the example does: "todo9" is greater than "todo10".
    let c = client();
    for i in 4..=10 {
        c.put(&format!("/todos/todo{i}"))
            .form(&[("task", "x")])
            .send()
            .await;
    }
    let resp = c.post("/todos").form(&[("task", "next")]).send().await;
    assert_eq!(resp.status(), 201);
    let all: Value = c.get("/todos").send().await.json();
    assert_eq!(all["todo10"], json!({"task": "next"}));
    // With no todo left, the example's max() fails: a 500.
    let c = client();
    for id in ["todo1", "todo2", "todo3"] {
        c.delete(&format!("/todos/{id}")).send().await;
    }
    let resp = c.post("/todos").form(&[("task", "x")]).send().await;
    assert_eq!(resp.status(), 500);
    assert!(resp.json::<Value>()["message"].is_string());
}

#[tokio::test]
async fn put_replaces_or_creates_with_201() {
    let c = client();
    let resp = c
        .put("/todos/todo3")
        .form(&[("task", "something different")])
        .send()
        .await;
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.json::<Value>(), json!({"task": "something different"}));
    assert_eq!(
        c.get("/todos/todo3").send().await.json::<Value>(),
        json!({"task": "something different"})
    );
    let resp = c.put("/todos/new").json(&json!({"task": "n"})).send().await;
    assert_eq!(resp.status(), 201);
    assert_eq!(
        c.get("/todos/new").send().await.json::<Value>(),
        json!({"task": "n"})
    );
}

#[tokio::test]
async fn methods_a_resource_lacks_are_405_with_allow() {
    let c = client();
    let resp = c.post("/todos/todo1").send().await;
    assert_eq!(resp.status(), 405);
    let allow = resp.header("allow").unwrap_or_default().to_owned();
    for m in ["GET", "DELETE", "PUT"] {
        assert!(allow.contains(m), "{allow}");
    }
    assert_eq!(c.delete("/todos").send().await.status(), 405);
    // HEAD falls back to GET.
    let resp = c.head("/todos/todo1").send().await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text(), "");
}
