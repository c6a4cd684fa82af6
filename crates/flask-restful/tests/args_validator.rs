//! `validator` rules on arguments (`#[derive(Validate)]`): `parse_valid_args` and
//! `valid_args` refuse with Flask-RESTful's body, every field at once.

use flask::{Flask, testing::TestClient};
use flask_restful::{
    Api, ApiRequest, ApiResult, ArgOptions, JsonSchema, MISSING_ARGUMENT, Resource, reply,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use validator::{Validate, ValidationError};

fn not_admin(name: &str) -> Result<(), ValidationError> {
    if name.starts_with("admin") {
        return Err(ValidationError::new("reserved_name"));
    }
    Ok(())
}

#[derive(Debug, Deserialize, Serialize, JsonSchema, Validate)]
#[schemars(crate = "flask_restful::schemars")]
struct Signup {
    #[validate(length(min = 3, max = 20), custom(function = "not_admin"))]
    name: String,
    #[validate(email)]
    email: String,
    #[validate(range(min = 18, max = 130))]
    age: Option<i64>,
    #[serde(default)]
    #[validate(length(min = 1, message = "give at least one tag"))]
    tags: Vec<String>,
    #[validate(url)]
    homepage: Option<String>,
    #[validate(range(exclusive_min = 0.0))]
    score: Option<f64>,
    #[validate(length(equal = 4))]
    pin: Option<String>,
}

#[flask::view]
struct Signups;

impl Resource for Signups {
    const METHODS: &'static [&'static str] = &["GET", "POST", "PUT"];

    async fn get(&self, mut req: ApiRequest) -> ApiResult {
        let options = ArgOptions::new()
            .trim_field("name")
            .help("email", "An email address, please ({error_msg})");
        let s: Signup = req.parse_valid_args_with(&options).await?;
        Ok(reply(serde_json::to_value(s).unwrap_or_default()))
    }

    async fn post(&self, mut req: ApiRequest) -> ApiResult {
        let s: Signup = req.parse_valid_args().await?;
        Ok(reply(serde_json::to_value(s).unwrap_or_default()))
    }

    async fn put(&self, mut req: ApiRequest) -> ApiResult {
        let s: Signup = req.valid_args().await?;
        Ok(reply(serde_json::to_value(s).unwrap_or_default()))
    }
}

fn client() -> TestClient {
    Flask::new("signup")
        .extension(Api::new().add_resource(Signups, &["/signup"]))
        .test_client()
}

#[tokio::test]
async fn valid_arguments_pass() {
    let body = json!({"name": "ada", "email": "ada@example.com", "age": 36, "tags": ["math"]});
    for resp in [
        client().post("/signup").json(&body).send().await,
        client().put("/signup").json(&body).send().await,
    ] {
        assert_eq!(resp.status(), 200, "{}", resp.text());
        assert_eq!(resp.json::<Value>()["name"], "ada");
    }
}

#[tokio::test]
async fn every_refused_field_at_once() {
    let body = json!({
        "name": "al", "email": "nope", "age": 12, "tags": [],
        "homepage": "not a url", "score": 0.0, "pin": "12345",
    });
    let expected = json!({"message": {
        "name": "length must be between 3 and 20",
        "email": "must be a valid email address",
        "age": "must be between 18 and 130",
        "tags": "give at least one tag",
        "homepage": "must be a valid URL",
        "score": "must be greater than 0.0",
        "pin": "length must be 4",
    }});
    let resp = client().post("/signup").json(&body).send().await;
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.json::<Value>(), expected);
    // `valid_args` (no schema) says the same.
    let resp = client().put("/signup").json(&body).send().await;
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.json::<Value>(), expected);
}

#[tokio::test]
async fn custom_rules_and_several_messages_of_a_field() {
    let resp = client()
        .post("/signup")
        .json(&json!({"name": "admin", "email": "a@b.co", "tags": ["x"]}))
        .send()
        .await;
    assert_eq!(
        resp.json::<Value>(),
        json!({"message": {"name": "is not valid (reserved_name)"}})
    );
    // Two rules refusing one field: both messages.
    let resp = client()
        .post("/signup")
        .json(&json!({"name": "admin".repeat(5), "email": "a@b.co", "tags": ["x"]}))
        .send()
        .await;
    assert_eq!(
        resp.json::<Value>(),
        json!({"message": {"name": "length must be between 3 and 20; is not valid (reserved_name)"}})
    );
}

#[tokio::test]
async fn rules_run_after_parsing_with_options() {
    // From the query string, trimmed before the rules see it, `help=` on a rule's message.
    let resp = client()
        .get("/signup?name=%20%20al%20%20&email=nope&tags=x")
        .send()
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>(),
        json!({"message": {
            "name": "length must be between 3 and 20",
            "email": "An email address, please (must be a valid email address)",
        }})
    );
    // Values that do not parse are reported first: the rules need a parsed value.
    let resp = client().get("/signup?name=al&age=old").send().await;
    assert_eq!(
        resp.json::<Value>(),
        json!({"message": {
            "email": format!("An email address, please ({MISSING_ARGUMENT})"),
            "age": "invalid literal for int() with base 10: 'old'",
        }})
    );
}

#[derive(Debug, Deserialize, JsonSchema, Validate)]
#[schemars(crate = "flask_restful::schemars")]
struct Member {
    #[validate(length(min = 2))]
    name: String,
}

#[derive(Debug, Deserialize, JsonSchema, Validate)]
#[schemars(crate = "flask_restful::schemars")]
struct Team {
    #[validate(nested)]
    lead: Member,
    #[validate(nested)]
    members: Vec<Member>,
}

#[flask::view]
struct Teams;

impl Resource for Teams {
    const METHODS: &'static [&'static str] = &["POST"];

    async fn post(&self, mut req: ApiRequest) -> ApiResult {
        let team: Team = req.parse_valid_args().await?;
        Ok(reply(
            json!({"lead": team.lead.name, "members": team.members.len()}),
        ))
    }
}

#[tokio::test]
async fn nested_rules_are_named_by_their_path() {
    let c = Flask::new("teams")
        .extension(Api::new().add_resource(Teams, &["/teams"]))
        .test_client();
    let resp = c
        .post("/teams")
        .json(&json!({"lead": {"name": "a"}, "members": [{"name": "bo"}, {"name": "c"}]}))
        .send()
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>(),
        json!({"message": {
            "lead.name": "length must be at least 2",
            "members[1].name": "length must be at least 2",
        }})
    );
}

#[tokio::test]
async fn nested_values_that_do_not_parse_are_named_by_their_argument() {
    let c = Flask::new("teams")
        .extension(Api::new().add_resource(Teams, &["/teams"]))
        .test_client();
    let resp = c
        .post("/teams")
        .json(&json!({"lead": {}, "members": "bo"}))
        .send()
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>(),
        json!({"message": {
            "lead": "missing field `name`",
            "members": "invalid type: string \"bo\", expected struct Member",
        }})
    );
}
