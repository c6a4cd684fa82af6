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
