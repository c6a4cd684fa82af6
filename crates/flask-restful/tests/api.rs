//! The Api end to end: methods and 405, returns, abort with extra keys and headers, the
//! error table, arguments from every location and their failures, content negotiation and
//! 406, and errors kept inside the Api's own routes.

use flask::routing::get;
use flask::{Flask, testing::TestClient};
use flask_restful::{Api, ApiError, ApiRequest, ApiResult, Resource, abort, reply};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize)]
struct Search {
    q: String,
    #[serde(default = "ten")]
    limit: u32,
    exact: Option<bool>,
    sort: Option<Sort>,
}

fn ten() -> u32 {
    10
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Sort {
    Asc,
    Desc,
}

#[derive(Debug, thiserror::Error)]
#[error("user already exists")]
struct UserAlreadyExists;

#[flask::view]
struct Items;

impl Resource for Items {
    const METHODS: &'static [&'static str] = &["GET", "POST", "PATCH"];

    async fn get(&self, mut req: ApiRequest) -> ApiResult {
        let args: Search = req.args().await?;
        Ok(reply(json!({
            "q": args.q,
            "limit": args.limit,
            "exact": args.exact,
            "sort": args.sort.map(|s| format!("{s:?}")),
        })))
    }

    async fn post(&self, mut req: ApiRequest) -> ApiResult {
        let body: Value = req.json().await?;
        Ok(reply(body).status(201).header("Location", "/items/1"))
    }

    async fn patch(&self, _req: ApiRequest) -> ApiResult {
        // An error from elsewhere, reached with `?`: the error table names it.
        let e: flask::Error = flask::Error::internal(UserAlreadyExists);
        Err(e)?
    }
}

#[flask::view]
struct Secret;

impl Resource for Secret {
    const METHODS: &'static [&'static str] = &["GET", "DELETE"];

    async fn get(&self, _req: ApiRequest) -> ApiResult {
        Err(abort(401, "Log in first.")
            .with("realm", "api")
            .header("WWW-Authenticate", "Bearer realm=\"api\""))
    }

    async fn delete(&self, req: ApiRequest) -> ApiResult {
        // A flask error (an extractor, `abort(404)`) keeps its status and description.
        let _: u32 = req.path("id")?;
        Err(ApiError::from(flask::abort(409)))
    }
}

fn csv(data: &Value, status: http::StatusCode, _debug: bool) -> flask::Response {
    let line = match data {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    };
    let mut resp = flask::Response::new(axum::body::Body::from(line));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert("content-type", http::HeaderValue::from_static("text/csv"));
    resp
}

fn client() -> TestClient {
    Flask::new("api-tests")
        .configure(|c| c.set("SECRET_KEY", "k"))
        .extension(
            Api::new()
                .prefix("/api")
                .add_resource(Items, &["/items", "/things"])
                .add_resource_as(Secret, &["/secret/<int:id>"], "vault")
                .representation("text/csv", csv)
                .error::<UserAlreadyExists>(409, "A user with that username already exists."),
        )
        .route("/page", get(|| async { "an HTML page" }).endpoint("page"))
        .errorhandler(404, || async {
            (flask::StatusCode::NOT_FOUND, "the app's own 404 page")
        })
        .test_client()
}

#[tokio::test]
async fn arguments_from_the_query_the_form_and_json() {
    let c = client();
    let v: Value = c
        .get("/api/items?q=rust&limit=5&exact=true&sort=desc")
        .send()
        .await
        .json();
    assert_eq!(
        v,
        json!({"q": "rust", "limit": 5, "exact": true, "sort": "Desc"})
    );
    // Defaults and missing optionals.
    let v: Value = c.get("/api/items?q=x").send().await.json();
    assert_eq!(
        v,
        json!({"q": "x", "limit": 10, "exact": null, "sort": null})
    );
    // The same resource on its second URL.
    let v: Value = c.get("/api/things?q=y").send().await.json();
    assert_eq!(v["q"], "y");
}

#[tokio::test]
async fn argument_failures_name_the_field() {
    let c = client();
    let cases = [
        (
            "/api/items",
            json!({"message": {"q": "Missing required parameter in the JSON body or the post body or the query string"}}),
        ),
        (
            "/api/items?q=x&limit=many",
            json!({"message": {"limit": "invalid digit found in string"}}),
        ),
        (
            "/api/items?q=x&limit=-1",
            json!({"message": {"limit": "invalid digit found in string"}}),
        ),
        (
            "/api/items?q=x&sort=sideways",
            json!({"message": {"sort": "sideways is not a valid choice"}}),
        ),
    ];
    for (url, expected) in cases {
        let resp = c.get(url).send().await;
        assert_eq!(resp.status(), 400, "{url}");
        assert_eq!(resp.json::<Value>(), expected, "{url}");
    }
}

#[tokio::test]
async fn json_bodies_created_with_201_and_headers() {
    let c = client();
    let resp = c
        .post("/api/items")
        .json(&json!({"name": "spoon"}))
        .send()
        .await;
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.header("location"), Some("/items/1"));
    assert_eq!(resp.json::<Value>(), json!({"name": "spoon"}));
    let resp = c
        .post("/api/items")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await;
    assert_eq!(resp.status(), 400);
    assert!(
        resp.json::<Value>()["message"]
            .as_str()
            .unwrap()
            .starts_with("Failed to decode JSON object")
    );
}

#[tokio::test]
async fn abort_with_extra_keys_and_www_authenticate() {
    let c = client();
    let resp = c.get("/api/secret/1").send().await;
    assert_eq!(resp.status(), 401);
    assert_eq!(
        resp.header("www-authenticate"),
        Some("Bearer realm=\"api\"")
    );
    assert_eq!(
        resp.json::<Value>(),
        json!({"message": "Log in first.", "realm": "api"})
    );
    let resp = c.delete("/api/secret/1").send().await;
    assert_eq!(resp.status(), 409);
    assert!(
        resp.json::<Value>()["message"]
            .as_str()
            .unwrap()
            .contains("conflict")
    );
}

#[tokio::test]
async fn the_error_table_answers_listed_errors() {
    let resp = client().patch("/api/items").send().await;
    assert_eq!(resp.status(), 409);
    assert_eq!(
        resp.json::<Value>(),
        json!({"message": "A user with that username already exists.", "status": 409})
    );
}

#[tokio::test]
async fn content_negotiation_and_406() {
    let c = client();
    let resp = c
        .get("/api/items?q=x")
        .header("accept", "text/csv")
        .send()
        .await;
    assert_eq!(resp.header("content-type"), Some("text/csv"));
    assert!(resp.text().contains("q=\"x\""), "{}", resp.text());
    let resp = c
        .get("/api/items?q=x")
        .header("accept", "text/html;q=0.9, application/json;q=0.8")
        .send()
        .await;
    assert_eq!(resp.header("content-type"), Some("application/json"));
    let resp = c
        .get("/api/items?q=x")
        .header("accept", "application/xml")
        .send()
        .await;
    assert_eq!(resp.status(), 406);
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert!(resp.json::<Value>()["message"].is_string());
    // Errors are negotiated too.
    let resp = c
        .get("/api/secret/1")
        .header("accept", "text/csv")
        .send()
        .await;
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.header("content-type"), Some("text/csv"));
}

#[tokio::test]
async fn the_apps_own_errors_stay_the_apps() {
    let c = client();
    // An unknown URL outside the Api gets the app's handler, not the Api's JSON.
    let resp = c.get("/nowhere").send().await;
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.text(), "the app's own 404 page");
    assert_eq!(c.get("/page").send().await.text(), "an HTML page");
    // A path value that does not convert is the router's 404 too.
    let resp = c.get("/api/secret/abc").send().await;
    assert_eq!(resp.text(), "the app's own 404 page");
}

#[tokio::test]
async fn debug_mode_indents_json() {
    let c = Flask::new("debug")
        .configure(|c| c.set("DEBUG", true))
        .extension(Api::new().add_resource(Items, &["/items"]))
        .test_client();
    let text = c.get("/items?q=x").send().await.text();
    assert!(text.starts_with("{\n    \""), "{text}");
    assert!(text.ends_with("}\n"), "{text}");
}

#[tokio::test]
async fn catch_all_404s_makes_every_404_json() {
    let c = Flask::new("only-an-api")
        .extension(Api::new().catch_all_404s().add_resource(Items, &["/items"]))
        .test_client();
    let resp = c.get("/nowhere").send().await;
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert!(
        resp.json::<Value>()["message"]
            .as_str()
            .unwrap()
            .contains("not found")
    );
}

/// Flask-RESTful names a resource after its class; here `#[flask::view]` on the struct
/// records the name. A resource added without it (and without `add_resource_as`) stops the
/// build with a message naming the type and both fixes.
#[tokio::test]
async fn resources_are_named_by_their_view_attribute() {
    struct Unnamed;

    impl Resource for Unnamed {
        const METHODS: &'static [&'static str] = &["GET"];

        async fn get(&self, _req: ApiRequest) -> ApiResult {
            Ok(reply(json!({"named": false})))
        }
    }

    let app = Flask::new("named")
        .extension(Api::new().add_resource(Items, &["/items"]))
        .build()
        .unwrap();
    assert!(
        app.rules()
            .iter()
            .any(|r| r.endpoint == "items" && r.rule == "/items"),
        "{:?}",
        app.rules()
    );

    let err = Flask::new("unnamed")
        .extension(Api::new().add_resource(Unnamed, &["/unnamed"]))
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("has no endpoint name")
            && err.contains(
                "Put #[flask::view] on `struct Unnamed` (its endpoint is then `unnamed`)"
            )
            && err.contains("add_resource_as(resource, urls, \"name\")"),
        "{err}"
    );

    // add_resource_as needs no attribute.
    let client = Flask::new("named-as")
        .extension(Api::new().add_resource_as(Unnamed, &["/u"], "u"))
        .test_client();
    assert_eq!(
        client.get("/u").send().await.json::<Value>(),
        json!({"named": false})
    );
}
