//! Arguments from a JSON body: every failing field in one 400, wrong types with
//! Flask-RESTful-like messages, strings read as reqparse's `type=` reads them; and `args()`
//! (no schema) with the same messages for choices and nulls.

use std::net::IpAddr;

use flask::{Flask, testing::TestClient};
use flask_restful::{Api, ApiRequest, ApiResult, JsonSchema, MISSING_ARGUMENT, Resource, reply};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[schemars(crate = "flask_restful::schemars")]
#[serde(rename_all = "lowercase")]
enum Kind {
    /// Documented variants make a `oneOf` of constants in the schema.
    Cat,
    /// The other one.
    Dog,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[schemars(crate = "flask_restful::schemars")]
struct Pet {
    name: String,
    age: u8,
    kind: Kind,
    weight: Option<f64>,
    vaccinated: Option<bool>,
    #[serde(default)]
    ids: Vec<i64>,
    /// The schema says "a string"; only the deserializer knows it is an address.
    chip: Option<IpAddr>,
}

#[flask::view]
struct Pets;

impl Resource for Pets {
    const METHODS: &'static [&'static str] = &["GET", "POST", "PUT"];

    async fn get(&self, mut req: ApiRequest) -> ApiResult {
        let pet: Pet = req.parse_args().await?;
        Ok(reply(serde_json::to_value(pet).unwrap_or_default()))
    }

    async fn post(&self, req: ApiRequest) -> ApiResult {
        self.get(req).await
    }

    /// `args()`: serde alone, no schema.
    async fn put(&self, mut req: ApiRequest) -> ApiResult {
        let pet: Pet = req.args().await?;
        Ok(reply(serde_json::to_value(pet).unwrap_or_default()))
    }
}

fn client() -> TestClient {
    Flask::new("pets")
        .extension(Api::new().add_resource(Pets, &["/pets"]))
        .test_client()
}

async fn refused(method: &str, body: &Value) -> Value {
    let c = client();
    let req = if method == "PUT" {
        c.put("/pets")
    } else {
        c.post("/pets")
    };
    let resp = req.json(body).send().await;
    assert_eq!(resp.status(), 400, "{body}: {}", resp.text());
    resp.json()
}

#[tokio::test]
async fn json_type_errors_bundled_with_missing_fields() {
    let v = refused(
        "POST",
        &json!({"age": "old", "weight": [1], "vaccinated": "perhaps", "ids": [1, "two"]}),
    )
    .await;
    assert_eq!(
        v,
        json!({"message": {
            "name": MISSING_ARGUMENT,
            "age": "invalid literal for int() with base 10: 'old'",
            "kind": MISSING_ARGUMENT,
            "weight": "must be a number, not a list",
            "vaccinated": "Invalid literal for boolean(): perhaps",
            "ids": "invalid literal for int() with base 10: 'two'",
        }})
    );
}

#[tokio::test]
async fn json_wrong_types_ranges_and_choices() {
    let v = refused(
        "POST",
        &json!({"name": 7, "age": 300, "kind": "bird", "weight": true, "vaccinated": 1, "ids": {"a": 1}}),
    )
    .await;
    assert_eq!(
        v,
        json!({"message": {
            "name": "must be a string, not a number",
            "age": "300 is out of range: must be at most 255",
            "kind": "bird is not a valid choice",
            "weight": "must be a number, not a boolean",
            "vaccinated": "must be a boolean, not a number",
            "ids": "must be an integer, not an object",
        }})
    );
    let v = refused(
        "POST",
        &json!({"name": "rex", "age": -1, "kind": "cat", "ids": [1.5]}),
    )
    .await;
    assert_eq!(
        v,
        json!({"message": {
            "age": "-1 is out of range: must be at least 0",
            "ids": "invalid literal for int() with base 10: '1.5'",
        }})
    );
}

#[tokio::test]
async fn errors_only_the_deserializer_finds_are_bundled_too() {
    let v = refused(
        "POST",
        &json!({"name": "rex", "age": "x", "kind": "cat", "chip": "not-an-address"}),
    )
    .await;
    assert_eq!(
        v,
        json!({"message": {
            "age": "invalid literal for int() with base 10: 'x'",
            "chip": "invalid IP address syntax",
        }})
    );
    // From the query string as well.
    let resp = client().get("/pets?kind=dog&chip=nope").send().await;
    assert_eq!(
        resp.json::<Value>(),
        json!({"message": {
            "name": MISSING_ARGUMENT,
            "age": MISSING_ARGUMENT,
            "chip": "invalid IP address syntax",
        }})
    );
}

#[tokio::test]
async fn json_strings_read_as_reqparse_types_do() {
    let v: Value = client()
        .post("/pets")
        .json(&json!({"name": "rex", "age": "4", "kind": "dog", "weight": "2.5", "vaccinated": "yes", "ids": 3, "chip": "10.0.0.1"}))
        .send()
        .await
        .json();
    assert_eq!(
        v,
        json!({"name": "rex", "age": 4, "kind": "dog", "weight": 2.5, "vaccinated": true, "ids": [3], "chip": "10.0.0.1"})
    );
    // A whole number written as a float is an integer (Python's int(4.0)).
    let v: Value = client()
        .post("/pets")
        .json(&json!({"name": "rex", "age": 4.0, "kind": "dog"}))
        .send()
        .await
        .json();
    assert_eq!(v["age"], 4);
}

#[tokio::test]
async fn json_body_and_query_string_together() {
    // Arguments the body does not have come from the query string; the body wins.
    let v: Value = client()
        .post("/pets?age=3&name=query")
        .json(&json!({"name": "rex", "kind": "cat"}))
        .send()
        .await
        .json();
    assert_eq!((&v["name"], &v["age"]), (&json!("rex"), &json!(3)));
}

#[tokio::test]
async fn json_body_that_is_not_an_object() {
    for body in [json!([1, 2]), json!("rex")] {
        let v = refused("POST", &body).await;
        assert_eq!(
            v["message"],
            "The JSON body must be an object of argument names to values."
        );
    }
    let resp = client()
        .post("/pets")
        .header("Content-Type", "application/json")
        .body("{nope")
        .send()
        .await;
    assert_eq!(resp.status(), 400);
    assert!(
        resp.json::<Value>()["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Failed to decode JSON object"))
    );
}

#[tokio::test]
async fn args_choice_and_null_messages_match_parse_args() {
    let v = refused("PUT", &json!({"name": null, "age": 2, "kind": "bird"})).await;
    assert_eq!(
        v,
        json!({"message": {"name": "Must not be null!", "kind": "bird is not a valid choice"}})
    );
    let resp = client().put("/pets?name=rex&age=2&kind=bird").send().await;
    assert_eq!(
        resp.json::<Value>(),
        json!({"message": {"kind": "bird is not a valid choice"}})
    );
}

#[tokio::test]
async fn args_reports_every_wrong_value_and_the_first_missing_field() {
    let v = refused(
        "PUT",
        &json!({"age": "old", "weight": "heavy", "vaccinated": 3}),
    )
    .await;
    let message = v["message"].as_object().cloned().unwrap_or_default();
    let mut fields: Vec<&String> = message.keys().collect();
    fields.sort();
    assert_eq!(fields, ["age", "name", "vaccinated", "weight"], "{v}");
    assert_eq!(message["name"], MISSING_ARGUMENT);
    assert!(
        message["age"]
            .as_str()
            .is_some_and(|m| m.starts_with("invalid type: string \"old\"")),
        "{v}"
    );
    // A text value that does not parse, with the field named.
    let resp = client().put("/pets?name=rex&age=old&kind=cat").send().await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>(),
        json!({"message": {"age": "invalid digit found in string"}})
    );
}
