//! The "Full Example" of Flask-RESTful's quickstart, request by request, as its curl
//! session shows it.

use serde_json::{Value, json};

fn client() -> flask::testing::TestClient {
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
async fn bodies_are_the_bytes_flask_restful_writes() {
    // Flask-RESTful's output_json is Python's json.dumps plus a newline: ", " and ": "
    // between items, the dict's insertion order, non-ASCII escaped.
    let c = client();
    let resp = c.get("/todos").send().await;
    assert_eq!(
        resp.text(),
        "{\"todo1\": {\"task\": \"build an API\"}, \"todo2\": {\"task\": \"?????\"}, \
         \"todo3\": {\"task\": \"profit!\"}}\n"
    );
    // Past todo9 the order is still the order of insertion, not todo1, todo10, todo2...
    for i in 4..=10 {
        c.put(&format!("/todos/todo{i}"))
            .form(&[("task", "x")])
            .send()
            .await;
    }
    c.put("/todos/todo1")
        .form(&[("task", "caf\u{e9}")])
        .send()
        .await;
    let text = c.get("/todos").send().await.text();
    let keys: Vec<&str> = text
        .split("\"todo")
        .skip(1)
        .map(|k| k.split('"').next().unwrap_or_default())
        .collect();
    assert_eq!(keys, ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]);
    assert!(
        text.starts_with("{\"todo1\": {\"task\": \"caf\\u00e9\"}, "),
        "{text}"
    );
    let resp = c.get("/todos/todo9x").send().await;
    assert_eq!(
        resp.text(),
        "{\"message\": \"Todo todo9x doesn't exist\"}\n"
    );
}

#[tokio::test]
async fn delete_is_204_and_a_missing_todo_is_404() {
    let c = client();
    let resp = c.delete("/todos/todo2").send().await;
    assert_eq!(resp.status(), 204);
    assert_eq!(resp.text(), "");
    // Werkzeug keeps a 204's Content-Type and sends no body.
    assert_eq!(resp.header("content-type"), Some("application/json"));
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
    // The Api's own 405, as JSON like its other errors, not the app's HTML page.
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert_eq!(
        resp.text(),
        "{\"message\": \"The method is not allowed for the requested URL.\"}\n"
    );
    let resp = c.delete("/todos").send().await;
    assert_eq!(resp.status(), 405);
    assert_eq!(
        resp.json::<Value>(),
        json!({"message": "The method is not allowed for the requested URL."})
    );
    let allow = resp.header("allow").unwrap_or_default().to_owned();
    assert!(allow.contains("POST") && allow.contains("GET"), "{allow}");
    // HEAD falls back to GET.
    let resp = c.head("/todos/todo1").send().await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text(), "");
}
