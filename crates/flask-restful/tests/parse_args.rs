//! `parse_args`: reqparse driven by the arguments' schema: repeated keys into lists, text
//! into the declared types with Flask-RESTful's messages, every failing field at once.

use flask::Flask;
use flask_restful::{Api, ApiRequest, ApiResult, JsonSchema, Resource, reply};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "flask_restful::schemars")]
#[serde(rename_all = "lowercase")]
enum Color {
    Red,
    Green,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "flask_restful::schemars")]
struct Filter {
    name: String,
    rate: i64,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    ids: Vec<i64>,
    ratio: Option<f64>,
    active: Option<bool>,
    color: Option<Color>,
}

#[flask::view]
struct Things;

impl Resource for Things {
    const METHODS: &'static [&'static str] = &["GET", "POST"];

    async fn get(&self, mut req: ApiRequest) -> ApiResult {
        let f: Filter = req.parse_args().await?;
        Ok(reply(json!({
            "name": f.name, "rate": f.rate, "tags": f.tags, "ids": f.ids,
            "ratio": f.ratio, "active": f.active, "color": f.color.map(|c| format!("{c:?}")),
        })))
    }

    async fn post(&self, req: ApiRequest) -> ApiResult {
        self.get(req).await
    }
}

fn client() -> flask::testing::TestClient {
    Flask::new("parse")
        .extension(Api::new().add_resource(Things, &["/things"]))
        .test_client()
}

#[tokio::test]
async fn repeated_keys_and_types_from_text() {
    let v: Value = client()
        .get("/things?name=a&rate=5&tags=x&tags=y&ids=1&ids=2&ratio=0.5&active=yes&color=green&name=ignored")
        .send()
        .await
        .json();
    assert_eq!(
        v,
        json!({"name": "a", "rate": 5, "tags": ["x", "y"], "ids": [1, 2], "ratio": 0.5, "active": true, "color": "Green"})
    );
    // A form body, and the query string together.
    let v: Value = client()
        .post("/things?tags=q")
        .form(&[("name", "b"), ("rate", "1"), ("tags", "f")])
        .send()
        .await
        .json();
    assert_eq!(v["tags"], json!(["q", "f"]));
    // JSON is typed already.
    let v: Value = client()
        .post("/things")
        .json(&json!({"name": "c", "rate": 2, "ids": [3]}))
        .send()
        .await
        .json();
    assert_eq!(v["ids"], json!([3]));
}

#[tokio::test]
async fn every_failing_field_at_once() {
    let resp = client()
        .get("/things?rate=five&ids=1&ids=x&ratio=half&active=maybe&color=blue")
        .send()
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>(),
        json!({"message": {
            "name": "Missing required parameter in the JSON body or the post body or the query string",
            "rate": "invalid literal for int() with base 10: 'five'",
            "ids": "invalid literal for int() with base 10: 'x'",
            "ratio": "could not convert string to float: 'half'",
            "active": "Invalid literal for boolean(): maybe",
            "color": "blue is not a valid choice",
        }})
    );
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "flask_restful::schemars")]
struct Keyed {
    api_key: String,
    theme: Option<String>,
    rate: Option<i64>,
    name: Option<String>,
}

#[flask::view]
struct KeyedThings;

impl Resource for KeyedThings {
    const METHODS: &'static [&'static str] = &["GET"];

    async fn get(&self, mut req: ApiRequest) -> ApiResult {
        let options = flask_restful::ArgOptions::new()
            .header("api_key", "X-API-Key")
            .cookie("theme", "theme")
            .trim()
            .help("rate", "Rate must be a whole number ({error_msg})");
        let k: Keyed = req.parse_args_with(&options).await?;
        Ok(reply(
            json!({"api_key": k.api_key, "theme": k.theme, "rate": k.rate, "name": k.name}),
        ))
    }
}

#[tokio::test]
async fn headers_cookies_trim_and_help() {
    let c = Flask::new("keyed")
        .extension(Api::new().add_resource(KeyedThings, &["/keyed"]))
        .test_client();
    let v: Value = c
        .get("/keyed?name=%20ada%20&api_key=from-query")
        .header("X-API-Key", "secret")
        .header("Cookie", "theme=dark")
        .send()
        .await
        .json();
    assert_eq!(
        v,
        json!({"api_key": "secret", "theme": "dark", "rate": null, "name": "ada"})
    );
    // Only from the header: the query's value does not count.
    let resp = c.get("/keyed?api_key=from-query").send().await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>()["message"]["api_key"],
        "Missing required parameter in the JSON body or the post body or the query string"
    );
    let resp = c.get("/keyed?rate=x").header("X-API-Key", "k").send().await;
    assert_eq!(
        resp.json::<Value>()["message"]["rate"],
        "Rate must be a whole number (invalid literal for int() with base 10: 'x')"
    );
}
