//! The task board's API as its front end and other clients use it: sign up, the CSRF header
//! on every change, cards added, edited, reordered and deleted, bearer tokens made, used
//! without a cookie and revoked, the front end served for client routes, and the digest
//! mail written by a background job.

use std::time::Duration;

use flask::testing::TestClient;
use serde_json::{Value, json};

fn client(name: &str) -> (TestClient, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("spa-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite:///{}", dir.join("spa.db").display());
    let outbox = dir.join("outbox");
    let amqp = std::env::var("FLASK_TEST_AMQP_URL").ok();
    let redis = std::env::var("FLASK_TEST_REDIS_URL").ok();
    let outbox_text = outbox.display().to_string();
    let app = spa::app().configure(move |c| {
        c.set("SECRET_KEY", "test key");
        c.set("SQLALCHEMY_DATABASE_URI", db.as_str());
        c.set("MAIL_OUTBOX", outbox_text.as_str());
        c.set("CELERY_TASK_DEFAULT_QUEUE", "spa_test_digest");
        if let Some(a) = &amqp {
            c.set("CELERY_BROKER_URL", a.as_str());
        }
        if let Some(r) = &redis {
            c.set("CELERY_RESULT_BACKEND", r.as_str());
        }
    });
    (app.test_client(), outbox)
}

/// Signs up `name`; the CSRF token for the next changes.
async fn sign_up(c: &TestClient, name: &str) -> String {
    let session: Value = c.get("/api/session").send().await.json();
    assert_eq!(session["user"], Value::Null);
    let token = session["csrf_token"].as_str().unwrap().to_owned();
    let r = c
        .post("/api/users")
        .header("X-CSRFToken", &token)
        .json(&json!({"username": name, "password": "correct horse"}))
        .send()
        .await;
    assert_eq!(r.status(), 201, "{}", r.text());
    let body: Value = r.json();
    assert_eq!(body["user"]["username"], name);
    body["csrf_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_board_through_the_api() {
    let (c, _) = client("board");
    // Logged out: a 401 that says so.
    let r = c.get("/api/cards").send().await;
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>()["message"], "Please log in.");
    let csrf = sign_up(&c, "ann").await;

    // A change without the header is refused.
    let r = c
        .post("/api/cards")
        .json(&json!({"title": "no token"}))
        .send()
        .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().contains("CSRF"), "{}", r.text());

    let mut ids = Vec::new();
    for title in ["write the spec", "build it", "ship it"] {
        let r = c
            .post("/api/cards")
            .header("X-CSRFToken", &csrf)
            .json(&json!({"title": title}))
            .send()
            .await;
        assert_eq!(r.status(), 201, "{}", r.text());
        ids.push(r.json::<Value>()["id"].as_i64().unwrap());
    }
    let r = c
        .post("/api/cards")
        .header("X-CSRFToken", &csrf)
        .json(&json!({"title": "  "}))
        .send()
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>()["message"]["title"],
        "title needs 1 to 200 characters"
    );
    let r = c
        .patch(&format!("/api/cards/{}", ids[1]))
        .header("X-CSRFToken", &csrf)
        .json(&json!({"title": "build it well", "done": true}))
        .send()
        .await;
    assert_eq!(r.status(), 200, "{}", r.text());
    assert_eq!(r.json::<Value>()["done"], true);
    let r = c
        .put("/api/cards/order")
        .header("X-CSRFToken", &csrf)
        .json(&json!({"ids": [ids[2], ids[0], ids[1]]}))
        .send()
        .await;
    assert_eq!(r.status(), 200, "{}", r.text());
    let titles = |v: Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| c["title"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        titles(c.get("/api/cards").send().await.json()),
        ["ship it", "write the spec", "build it well"]
    );
    let r = c
        .put("/api/cards/order")
        .header("X-CSRFToken", &csrf)
        .json(&json!({"ids": [ids[2], ids[0]]}))
        .send()
        .await;
    assert_eq!(r.status(), 400);
    let r = c
        .delete(&format!("/api/cards/{}", ids[0]))
        .header("X-CSRFToken", &csrf)
        .send()
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(
        c.delete(&format!("/api/cards/{}", ids[0]))
            .header("X-CSRFToken", &csrf)
            .send()
            .await
            .status(),
        404
    );

    // Another user sees none of it.
    let other = c.app().test_client();
    let other_csrf = sign_up(&other, "bob").await;
    assert_eq!(
        other.get("/api/cards").send().await.json::<Value>(),
        json!([])
    );
    let r = other
        .patch(&format!("/api/cards/{}", ids[1]))
        .header("X-CSRFToken", &other_csrf)
        .json(&json!({"done": false}))
        .send()
        .await;
    assert_eq!(r.status(), 404);

    // Log out.
    let r = c
        .delete("/api/session")
        .header("X-CSRFToken", &csrf)
        .send()
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(c.get("/api/cards").send().await.status(), 401);
    // And in again, with a wrong password first.
    let csrf = c.get("/api/session").send().await.json::<Value>()["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = c
        .post("/api/session")
        .header("X-CSRFToken", &csrf)
        .json(&json!({"username": "ann", "password": "wrong password"}))
        .send()
        .await;
    assert_eq!(r.status(), 401);
    let r = c
        .post("/api/session")
        .header("X-CSRFToken", &csrf)
        .json(&json!({"username": "ann", "password": "correct horse"}))
        .send()
        .await;
    assert_eq!(r.status(), 200, "{}", r.text());
    assert_eq!(
        c.get("/api/cards")
            .send()
            .await
            .json::<Value>()
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn bearer_tokens_are_made_used_and_revoked() {
    let (c, _) = client("tokens");
    let csrf = sign_up(&c, "ann").await;
    let r = c
        .post("/api/tokens")
        .header("X-CSRFToken", &csrf)
        .json(&json!({"name": "my script"}))
        .send()
        .await;
    assert_eq!(r.status(), 201, "{}", r.text());
    let made: Value = r.json();
    let token = made["token"].as_str().unwrap().to_owned();
    let listed: Value = c.get("/api/tokens").send().await.json();
    assert_eq!(listed[0]["name"], "my script");
    assert_eq!(listed[0]["last4"], token[token.len() - 4..]);
    assert!(
        !listed.to_string().contains(&token),
        "the token is shown once"
    );

    // A client with the token and no cookie: no CSRF header needed.
    let script = c.app().test_client();
    let bearer = format!("Bearer {token}");
    let r = script
        .post("/api/cards")
        .header("Authorization", &bearer)
        .json(&json!({"title": "from a script"}))
        .send()
        .await;
    assert_eq!(r.status(), 201, "{}", r.text());
    assert_eq!(
        c.get("/api/cards").send().await.json::<Value>()[0]["title"],
        "from a script"
    );
    let r = script
        .get("/api/cards")
        .header("Authorization", "Bearer spa_not_a_token")
        .send()
        .await;
    assert_eq!(r.status(), 401);

    let r = c
        .delete(&format!("/api/tokens/{}", made["id"]))
        .header("X-CSRFToken", &csrf)
        .send()
        .await;
    assert_eq!(r.status(), 204);
    let r = script
        .get("/api/cards")
        .header("Authorization", &bearer)
        .send()
        .await;
    assert_eq!(r.status(), 401, "a revoked token is refused");
}

#[tokio::test]
async fn the_front_end_is_served_for_its_routes() {
    let (c, _) = client("front");
    for path in ["/", "/login", "/tokens"] {
        let r = c.get(path).send().await;
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.text().contains("<div id=\"root\">"), "{path}");
    }
    assert_eq!(c.get("/api/nothing").send().await.status(), 404);
    let doc: Value = c.get("/api/openapi.json").send().await.json();
    assert_eq!(doc["info"]["title"], "Task board API");
    assert!(doc["paths"]["/api/cards/order"]["put"].is_object(), "{doc}");
    assert_eq!(c.get("/api/docs").send().await.status(), 200);
    // CORS for Vite's dev server, with credentials.
    let r = c
        .request(flask::Method::OPTIONS, "/api/cards")
        .header("Origin", "http://localhost:5173")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "content-type, x-csrftoken",
        )
        .send()
        .await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_digest_mail_is_written_by_a_background_job() {
    if std::env::var("FLASK_TEST_AMQP_URL").is_err()
        || std::env::var("FLASK_TEST_REDIS_URL").is_err()
    {
        assert!(
            !test_support::services_required(),
            "FLASK_TEST_AMQP_URL and FLASK_TEST_REDIS_URL are required"
        );
        return;
    }
    let (c, outbox) = client("digest");
    let csrf = sign_up(&c, "ann").await;
    for title in ["one", "two"] {
        c.post("/api/cards")
            .header("X-CSRFToken", &csrf)
            .json(&json!({"title": title}))
            .send()
            .await;
    }
    let app = c.app().clone();
    let tasks = app.extension::<flask_tasks::Tasks>().unwrap();
    tasks.purge(None).await.unwrap();
    let r = c
        .post("/api/digest")
        .header("X-CSRFToken", &csrf)
        .send()
        .await;
    assert_eq!(r.status(), 202, "{}", r.text());
    let id = r.json::<Value>()["task_id"].as_str().unwrap().to_owned();
    let url = format!("/api/digest/{id}");
    assert_eq!(c.get(&url).send().await.json::<Value>()["state"], "PENDING");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = {
        let (tasks, app) = (tasks.clone(), app.clone());
        tokio::spawn(async move {
            tasks
                .run_worker(Some(app), flask_tasks::WorkerOptions::default(), async {
                    let _ = stopped.await;
                })
                .await
        })
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let done = loop {
        let s = c.get(&url).send().await.json::<Value>();
        if s["state"] != "PENDING" {
            break s;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the digest never ran"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(done["state"], "SUCCESS", "{done}");
    let file = outbox.join(done["detail"].as_str().unwrap());
    let mail = std::fs::read_to_string(&file).unwrap();
    assert!(
        mail.starts_with("To: ann\nSubject: Your board: 2 open, 0 done\n\n[ ] one\n[ ] two\n"),
        "{mail}"
    );
    stop.send(()).unwrap();
    worker.await.unwrap().unwrap();
}

#[tokio::test]
async fn what_one_user_can_make_the_database_keep_is_bounded() {
    let (c, _) = client("bounds");
    let csrf = sign_up(&c, "ann").await;
    for n in 0..spa::TOKENS_MAX {
        let r = c
            .post("/api/tokens")
            .header("X-CSRFToken", &csrf)
            .json(&json!({"name": format!("t{n}")}))
            .send()
            .await;
        assert_eq!(r.status(), 201, "{}", r.text());
    }
    let r = c
        .post("/api/tokens")
        .header("X-CSRFToken", &csrf)
        .json(&json!({"name": "one more"}))
        .send()
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>()["message"],
        "At most 20 tokens at once: revoke one first."
    );
    for n in 0..spa::CARDS_MAX {
        let r = c
            .post("/api/cards")
            .header("X-CSRFToken", &csrf)
            .json(&json!({"title": format!("card {n}")}))
            .send()
            .await;
        assert_eq!(r.status(), 201, "{}", r.text());
    }
    let r = c
        .post("/api/cards")
        .header("X-CSRFToken", &csrf)
        .json(&json!({"title": "one more"}))
        .send()
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>()["message"],
        "A board holds at most 500 cards: delete some first."
    );
    let cards: Value = c.get("/api/cards").send().await.json();
    assert_eq!(cards.as_array().unwrap().len(), spa::CARDS_MAX);
}
