//! Output shaping: `marshal` into an output type, envelopes, URLs of other resources.

use flask::Flask;
use flask_restful::{Api, ApiRequest, ApiResult, Resource, marshal, reply};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Serialize)]
struct Row {
    id: i64,
    title: String,
    secret: String,
}

#[derive(Serialize, Deserialize)]
struct Out {
    id: i64,
    #[serde(alias = "title", rename = "name")]
    name: String,
    #[serde(default)]
    uri: String,
}

#[flask::view]
struct Item;

impl Resource for Item {
    const METHODS: &'static [&'static str] = &["GET"];

    async fn get(&self, req: ApiRequest) -> ApiResult {
        let id: i64 = req.path("id")?;
        let row = Row {
            id,
            title: "Spoon".into(),
            secret: "hidden".into(),
        };
        let mut out: Out = marshal(&row)?;
        out.uri = req.url_for("item", &[("id", &id.to_string())], true)?;
        // The same URL by the resource's type (api.url_for(Item, id=...)).
        assert_eq!(
            req.url_for_resource::<Item>(&[("id", &id.to_string())], true)?,
            out.uri
        );
        Ok(reply(out).envelope("item"))
    }
}

#[tokio::test]
async fn marshal_envelope_and_url_fields() {
    let client = Flask::new("fields")
        .extension(Api::new().add_resource(Item, &["/items/<int:id>"]))
        .test_client();
    let body: Value = client.get("/items/7").send().await.json();
    assert_eq!(
        body,
        json!({"item": {"id": 7, "name": "Spoon", "uri": "http://localhost/items/7"}})
    );
}

/// Links to `Item` by its type, wherever and under whatever name it was added.
#[flask::view]
struct Links;

impl Resource for Links {
    const METHODS: &'static [&'static str] = &["GET"];

    async fn get(&self, req: ApiRequest) -> ApiResult {
        Ok(reply(json!({
            "relative": req.url_for_resource::<Item>(&[("id", "3")], false)?,
            "absolute": req.url_for_resource::<Item>(&[("id", "3")], true)?,
        })))
    }
}

/// Not a resource of any Api.
#[flask::view]
struct Stray;

impl Resource for Stray {
    const METHODS: &'static [&'static str] = &["GET"];
}

#[flask::view]
struct StrayLink;

impl Resource for StrayLink {
    const METHODS: &'static [&'static str] = &["GET"];

    async fn get(&self, req: ApiRequest) -> ApiResult {
        Ok(reply(req.url_for_resource::<Stray>(&[], false)?))
    }
}

#[tokio::test]
async fn url_for_resource_finds_the_resources_endpoint() {
    // Flask-RESTful's api.url_for(Item, id=3): by the type, not the endpoint's name, on an
    // Api with a blueprint, a prefix and a custom endpoint name.
    let client = Flask::new("fields")
        .extension(
            Api::new()
                .blueprint("v1")
                .prefix("/api/v1")
                .add_resource_as(Item, &["/things/<int:id>"], "thing")
                .add_resource(Links, &["/links"])
                .add_resource(StrayLink, &["/stray"]),
        )
        .test_client();
    let body: Value = client.get("/api/v1/links").send().await.json();
    assert_eq!(
        body,
        json!({"relative": "/api/v1/things/3", "absolute": "http://localhost/api/v1/things/3"})
    );
    // An endpoint name that is not this Api's is a 500 (Item asks for "item").
    assert_eq!(client.get("/api/v1/things/3").send().await.status(), 500);
    // A type this Api does not serve is the API's 500, with the cause logged.
    let resp = client.get("/api/v1/stray").send().await;
    assert_eq!(resp.status(), 500);
    assert!(resp.json::<Value>()["message"].is_string());
}
