//! Decorators: a resource's `before` (Flask-RESTful's `method_decorators`) and the Api's
//! `before_request` hooks on its blueprint (`decorators=`).

use flask::{Flask, HeaderMap};
use flask_restful::{Api, ApiError, ApiRequest, ApiResult, Resource, abort, reply};
use serde_json::{Value, json};

#[flask::view]
struct Guarded;

impl Resource for Guarded {
    const METHODS: &'static [&'static str] = &["GET", "DELETE"];

    async fn before(&self, req: &mut ApiRequest) -> Result<(), ApiError> {
        if req.headers().get("x-token").and_then(|v| v.to_str().ok()) == Some("sesame") {
            Ok(())
        } else {
            Err(abort(401, "A token is needed.").header("WWW-Authenticate", "Token"))
        }
    }

    async fn get(&self, req: ApiRequest) -> ApiResult {
        let url = req.url_for(".guarded", &[], false)?;
        Ok(reply(json!({"secret": 42, "self": url})))
    }

    async fn delete(&self, _req: ApiRequest) -> ApiResult {
        Ok(("", 204).into())
    }
}

#[flask::view]
struct Open;

impl Resource for Open {
    const METHODS: &'static [&'static str] = &["GET"];

    async fn get(&self, _req: ApiRequest) -> ApiResult {
        Ok(reply("open"))
    }
}

async fn version_header(headers: HeaderMap) -> Result<(), ApiError> {
    match headers.get("x-api-version").and_then(|v| v.to_str().ok()) {
        Some("1") | None => Ok(()),
        Some(other) => Err(abort(
            400,
            format!("API version {other} is not served here"),
        )),
    }
}

fn client() -> flask::testing::TestClient {
    Flask::new("hooks")
        .extension(
            Api::new()
                .prefix("/api")
                .blueprint("v1")
                .before_request(version_header)
                .add_resource(Guarded, &["/guarded"])
                .add_resource(Open, &["/open"]),
        )
        .test_client()
}

#[tokio::test]
async fn a_resources_before_guards_all_its_methods() {
    let c = client();
    for req in [c.get("/api/guarded"), c.delete("/api/guarded")] {
        let resp = req.send().await;
        assert_eq!(resp.status(), 401);
        assert_eq!(resp.header("www-authenticate"), Some("Token"));
        assert_eq!(
            resp.json::<Value>(),
            json!({"message": "A token is needed."})
        );
    }
    let resp = c
        .get("/api/guarded")
        .header("x-token", "sesame")
        .send()
        .await;
    assert_eq!(
        resp.json::<Value>(),
        json!({"secret": 42, "self": "/api/guarded"})
    );
    assert_eq!(
        c.get("/api/open").send().await.json::<Value>(),
        json!("open")
    );
}

#[tokio::test]
async fn the_apis_hooks_run_for_its_routes_on_its_blueprint() {
    let c = client();
    let resp = c.get("/api/open").header("x-api-version", "2").send().await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>(),
        json!({"message": "API version 2 is not served here"})
    );
    // The document is on the blueprint too, and names the prefixed paths.
    let doc: Value = c.get("/api/openapi.json").send().await.json();
    assert!(doc["paths"]["/api/guarded"]["delete"].is_object(), "{doc}");
    // Endpoints are the blueprint's.
    let rules = c.app().rules();
    assert!(
        rules.iter().any(|r| r.endpoint == "v1.guarded"),
        "{rules:?}"
    );
}
