//! Arguments read from headers and cookies are described as `in: header` / `in: cookie`
//! parameters in the OpenAPI document, under the header's or cookie's name.

use flask::Flask;
use flask_restful::{
    Api, ApiRequest, ApiResult, ArgOptions, Describe, JsonSchema, Resource, reply,
};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "flask_restful::schemars")]
struct Call {
    /// The caller's key.
    api_key: String,
    theme: Option<String>,
    q: Option<String>,
    /// What to store.
    body_text: Option<String>,
}

fn options() -> ArgOptions {
    ArgOptions::new()
        .header("api_key", "X-API-Key")
        .cookie("theme", "theme")
}

#[flask::view]
struct Calls;

impl Resource for Calls {
    const METHODS: &'static [&'static str] = &["GET", "POST"];

    fn describe(doc: &mut Describe<'_>) {
        doc.get().args_with::<Call>(&options());
        doc.post().args_with::<Call>(&options());
    }

    async fn get(&self, mut req: ApiRequest) -> ApiResult {
        let call: Call = req.parse_args_with(&options()).await?;
        Ok(reply(
            json!({"key": call.api_key, "theme": call.theme, "q": call.q, "text": call.body_text}),
        ))
    }

    async fn post(&self, req: ApiRequest) -> ApiResult {
        self.get(req).await
    }
}

fn client() -> flask::testing::TestClient {
    Flask::new("openapi-locations")
        .extension(
            Api::new()
                .openapi("Calls", "1.0")
                .add_resource(Calls, &["/calls"]),
        )
        .test_client()
}

fn params(doc: &Value, method: &str) -> Vec<(String, String, bool)> {
    doc["paths"]["/calls"][method]["parameters"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default().to_owned(),
                p["in"].as_str().unwrap_or_default().to_owned(),
                p["required"].as_bool().unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test]
async fn headers_and_cookies_are_parameters_where_they_are_read() {
    let c = client();
    let doc: Value = c.get("/openapi.json").send().await.json();
    let mut get = params(&doc, "get");
    get.sort();
    assert_eq!(
        get,
        [
            ("X-API-Key".to_owned(), "header".to_owned(), true),
            ("body_text".to_owned(), "query".to_owned(), false),
            ("q".to_owned(), "query".to_owned(), false),
            ("theme".to_owned(), "cookie".to_owned(), false),
        ]
    );
    // A POST's other fields stay in the body, without the header and the cookie.
    let post = params(&doc, "post");
    assert_eq!(post.len(), 2, "{post:?}");
    assert!(post.contains(&("X-API-Key".to_owned(), "header".to_owned(), true)));
    assert!(post.contains(&("theme".to_owned(), "cookie".to_owned(), false)));
    let body =
        &doc["paths"]["/calls"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    let props = body["properties"].as_object().unwrap();
    let mut names: Vec<&String> = props.keys().collect();
    names.sort();
    assert_eq!(names, ["body_text", "q"]);
    assert!(
        body.get("required")
            .is_none_or(|r| r.as_array().is_some_and(Vec::is_empty))
    );

    // And the document says what the resource does.
    let resp = c
        .get("/calls?q=x")
        .header("X-API-Key", "k1")
        .header("Cookie", "theme=dark")
        .send()
        .await;
    assert_eq!(
        resp.json::<Value>(),
        json!({"key": "k1", "theme": "dark", "q": "x", "text": null})
    );
}
