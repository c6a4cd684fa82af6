//! CORS from Flask-CORS's config keys: simple requests, preflights, origins not allowed,
//! credentials, and a prefix that keeps the HTML pages out of it.

use flask::routing::get;
use flask::{Flask, testing::TestClient};
use flask_restful::{Api, ApiRequest, ApiResult, Cors, Resource, reply};

#[flask::view]
struct Items;

impl Resource for Items {
    const METHODS: &'static [&'static str] = &["GET", "PUT"];

    async fn get(&self, _req: ApiRequest) -> ApiResult {
        Ok(reply(["spoon"]))
    }

    async fn put(&self, _req: ApiRequest) -> ApiResult {
        Ok(reply("ok"))
    }
}

fn app(configure: fn(&mut flask::Config), api: Api) -> TestClient {
    Flask::new("cors")
        .configure(configure)
        .extension(api.add_resource(Items, &["/items"]))
        .route("/page", get(|| async { "html" }).endpoint("page"))
        .test_client()
}

#[tokio::test]
async fn any_origin_by_default_for_the_apis_paths_only() {
    let c = app(|_| {}, Api::new().prefix("/api").cors());
    let resp = c
        .get("/api/items")
        .header("Origin", "https://spa.example")
        .send()
        .await;
    assert_eq!(resp.header("access-control-allow-origin"), Some("*"));
    let resp = c
        .get("/page")
        .header("Origin", "https://spa.example")
        .send()
        .await;
    assert_eq!(resp.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn preflights_are_answered() {
    let c = app(
        |c| {
            c.set("CORS_ORIGINS", ["https://spa.example"]);
            c.set("CORS_MAX_AGE", 600);
            c.set("CORS_EXPOSE_HEADERS", ["X-Total-Count"]);
        },
        Api::new().prefix("/api").cors(),
    );
    let resp = c
        .options("/api/items")
        .header("Origin", "https://spa.example")
        .header("Access-Control-Request-Method", "PUT")
        .header(
            "Access-Control-Request-Headers",
            "content-type, x-csrftoken",
        )
        .send()
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.header("access-control-allow-origin"),
        Some("https://spa.example")
    );
    let methods = resp
        .header("access-control-allow-methods")
        .unwrap_or_default();
    assert!(methods.contains("PUT"), "{methods}");
    let headers = resp
        .header("access-control-allow-headers")
        .unwrap_or_default();
    assert!(headers.contains("x-csrftoken"), "{headers}");
    assert_eq!(resp.header("access-control-max-age"), Some("600"));
    let resp = c
        .get("/api/items")
        .header("Origin", "https://spa.example")
        .send()
        .await;
    assert_eq!(
        resp.header("access-control-expose-headers"),
        Some("x-total-count")
    );
    // Another origin gets no permission.
    let resp = c
        .get("/api/items")
        .header("Origin", "https://evil.example")
        .send()
        .await;
    assert_eq!(resp.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn credentials_are_for_listed_origins_only() {
    let c = app(
        |c| {
            c.set("CORS_SUPPORTS_CREDENTIALS", true);
            c.set("CORS_ORIGINS", ["https://spa.example"]);
        },
        Api::new().prefix("/api").cors(),
    );
    let resp = c
        .get("/api/items")
        .header("Origin", "https://spa.example")
        .send()
        .await;
    assert_eq!(
        resp.header("access-control-allow-origin"),
        Some("https://spa.example")
    );
    assert_eq!(
        resp.header("access-control-allow-credentials"),
        Some("true")
    );
    let resp = c
        .get("/api/items")
        .header("Origin", "https://evil.example")
        .send()
        .await;
    assert_eq!(resp.header("access-control-allow-origin"), None);
}

#[test]
fn credentials_with_any_origin_do_not_start() {
    let err = Flask::new("cors")
        .configure(|c| c.set("CORS_SUPPORTS_CREDENTIALS", true))
        .extension(
            Api::new()
                .prefix("/api")
                .cors()
                .add_resource(Items, &["/items"]),
        )
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("CORS_SUPPORTS_CREDENTIALS"), "{err}");
    assert!(
        err.contains("CORS_ORIGINS = [\"https://app.example\"]"),
        "{err}"
    );
}

#[tokio::test]
async fn app_wide_and_bad_config() {
    let c = Flask::new("cors")
        .extension(Cors::new())
        .route("/page", get(|| async { "html" }).endpoint("page"))
        .test_client();
    let resp = c
        .get("/page")
        .header("Origin", "https://a.example")
        .send()
        .await;
    assert_eq!(resp.header("access-control-allow-origin"), Some("*"));
    let err = Flask::new("bad")
        .configure(|c| c.set("CORS_METHODS", ["NOT A METHOD"]))
        .extension(Cors::new())
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("CORS_METHODS"), "{err}");
}
