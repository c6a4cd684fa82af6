//! Class-based views (Flask's `View` and `MethodView`): one value serving the methods of a
//! rule, with extractors, its endpoint from the name given.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use flask::views::MethodView;
use flask::{Error, Flask, Form, Json, Path, RequestContext, StatusCode, abort};
use serde::Deserialize;

/// Flask's documented `ItemAPI` / `GroupAPI` pair, on a counter instead of a model.
struct Items {
    created: AtomicUsize,
}

#[derive(Deserialize)]
struct NewItem {
    name: String,
}

impl Items {
    async fn list(self: Arc<Self>, ctx: RequestContext) -> String {
        format!(
            "{} items, this is {}",
            self.created.load(Ordering::SeqCst),
            ctx.url_for("item_group").build().unwrap_or_default()
        )
    }
    async fn create(self: Arc<Self>, Json(item): Json<NewItem>) -> (StatusCode, String) {
        self.created.fetch_add(1, Ordering::SeqCst);
        (StatusCode::CREATED, format!("created {}", item.name))
    }
    async fn get(self: Arc<Self>, Path(id): Path<usize>) -> Result<String, Error> {
        if id >= self.created.load(Ordering::SeqCst) {
            return Err(abort(404));
        }
        Ok(format!("item {id}"))
    }
    async fn delete(self: Arc<Self>, Path(id): Path<usize>) -> StatusCode {
        let _ = id;
        self.created.fetch_sub(1, Ordering::SeqCst);
        StatusCode::NO_CONTENT
    }
}

#[tokio::test]
async fn a_method_view_serves_its_methods_with_extractors() {
    let items = Arc::new(Items {
        created: AtomicUsize::new(0),
    });
    let app = Flask::new("views")
        .route(
            "/items/",
            MethodView::shared("item_group", items.clone())
                .get(Items::list)
                .post(Items::create),
        )
        .route(
            "/items/<int:id>",
            MethodView::shared("item", items)
                .get(Items::get)
                .delete(Items::delete),
        )
        .build()
        .unwrap();
    let c = app.test_client();
    assert_eq!(
        c.get("/items/").send().await.text(),
        "0 items, this is /items/"
    );
    let r = c
        .post("/items/")
        .json(&serde_json::json!({"name": "pen"}))
        .send()
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.text(), "created pen");
    assert_eq!(c.get("/items/0").send().await.text(), "item 0");
    assert_eq!(c.get("/items/3").send().await.status(), 404);
    // The methods not given get the router's 405, with Allow.
    let r = c.put("/items/0").send().await;
    assert_eq!(r.status(), 405);
    assert_eq!(r.header("allow"), Some("DELETE, GET, HEAD, OPTIONS"));
    assert_eq!(c.delete("/items/0").send().await.status(), 204);
    // The endpoints are the names given, as with Flask's as_view(name).
    assert_eq!(
        app.url_for("item")
            .value("id", 2)
            .relative()
            .build()
            .unwrap(),
        "/items/2"
    );
}

/// Flask's plain `View`: one `dispatch_request` for the methods listed.
struct Echo;

#[derive(Deserialize)]
struct Message {
    text: String,
}

impl Echo {
    async fn dispatch_request(self: Arc<Self>, Form(message): Form<Message>) -> String {
        message.text
    }
}

#[tokio::test]
async fn a_view_dispatches_the_methods_it_lists() {
    let c = Flask::new("view")
        .route(
            "/echo",
            MethodView::new("echo", Echo)
                .dispatch_request(&["post", "PUT"], Echo::dispatch_request),
        )
        .test_client();
    let r = c.post("/echo").form(&[("text", "hi")]).send().await;
    assert_eq!(r.text(), "hi");
    let r = c.put("/echo").form(&[("text", "again")]).send().await;
    assert_eq!(r.text(), "again");
    assert_eq!(c.get("/echo").send().await.status(), 405);
    let err = Flask::new("bad")
        .route(
            "/echo",
            MethodView::new("echo", Echo)
                .dispatch_request(&["POST", "SE ND"], Echo::dispatch_request),
        )
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("is not an HTTP method"), "{err}");
}
