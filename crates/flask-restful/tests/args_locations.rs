//! `parse_args` from every location (a JSON body, a form, the query string, headers and
//! cookies): each of reqparse's settings and each failure, sent the same way to each.

use flask::{Flask, testing::TestClient, testing::TestResponse};
use flask_restful::{
    Api, ApiRequest, ApiResult, ArgOptions, JsonSchema, MISSING_ARGUMENT, Resource, reply,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[schemars(crate = "flask_restful::schemars")]
#[serde(rename_all = "lowercase")]
enum Order {
    Asc,
    Desc,
}

fn ten() -> i64 {
    10
}

/// One argument for each of reqparse's settings.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[schemars(crate = "flask_restful::schemars")]
struct Search {
    /// `required=True`, `trim=True`.
    name: String,
    /// `type=int`, `default=10`.
    #[serde(default = "ten")]
    limit: i64,
    /// `choices=("asc", "desc")`.
    order: Option<Order>,
    /// `action="append"`.
    #[serde(default)]
    tags: Vec<String>,
    /// `type=float`, `nullable=True`.
    rate: Option<f64>,
    /// Text that is not trimmed.
    note: Option<String>,
}

const FIELDS: [&str; 6] = ["name", "limit", "order", "tags", "rate", "note"];

#[flask::view]
struct Echo(ArgOptions);

impl Resource for Echo {
    const METHODS: &'static [&'static str] = &["GET", "POST"];

    async fn get(&self, mut req: ApiRequest) -> ApiResult {
        let search: Search = req.parse_args_with(&self.0).await?;
        Ok(reply(serde_json::to_value(search).unwrap_or_default()))
    }

    async fn post(&self, req: ApiRequest) -> ApiResult {
        self.get(req).await
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Location {
    Json,
    Form,
    Query,
    Headers,
    Cookies,
}

const LOCATIONS: [Location; 5] = [
    Location::Json,
    Location::Form,
    Location::Query,
    Location::Headers,
    Location::Cookies,
];

fn client() -> TestClient {
    let mut headers = ArgOptions::new().trim_field("name");
    let mut cookies = ArgOptions::new().trim_field("name");
    for field in FIELDS {
        headers = headers.header(field, &format!("X-Arg-{field}"));
        cookies = cookies.cookie(field, field);
    }
    let plain = ArgOptions::new().trim_field("name");
    Flask::new("locations")
        .extension(
            Api::new()
                .add_resource_as(Echo(plain), &["/args"], "plain")
                .add_resource_as(Echo(headers), &["/headers"], "headers")
                .add_resource_as(Echo(cookies), &["/cookies"], "cookies"),
        )
        .test_client()
}

/// A value as text: strings as they are, `null` as an empty value.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `(name, text)` for each value, a list as one pair per item (a repeated key).
fn pairs(args: &Value) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for (name, value) in args.as_object().into_iter().flatten() {
        match value {
            Value::Array(items) => {
                pairs.extend(items.iter().map(|item| (name.clone(), text(item))));
            }
            one => pairs.push((name.clone(), text(one))),
        }
    }
    pairs
}

fn encode(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// `args` (a JSON object) sent from `location`: as the JSON body, as a form, as the query
/// string, as `X-Arg-<name>` headers (a list as repeated header lines) or as cookies (a
/// list as repeated cookies).
async fn send(location: Location, args: &Value) -> TestResponse {
    let c = client();
    let pairs = pairs(args);
    match location {
        Location::Json => c.post("/args").json(args).send().await,
        Location::Form => c.post("/args").form(&pairs).send().await,
        Location::Query => c.get(&format!("/args?{}", encode(&pairs))).send().await,
        Location::Headers => {
            let mut req = c.get("/headers");
            for (name, value) in &pairs {
                req = req.header(&format!("X-Arg-{name}"), value);
            }
            req.send().await
        }
        Location::Cookies => {
            let cookie: Vec<String> = pairs
                .iter()
                // A value with spaces is quoted, as a browser sends what Werkzeug's
                // `set_cookie` wrote (cookies are never percent-decoded).
                .map(|(name, value)| {
                    if value.contains(' ') {
                        format!("{name}=\"{value}\"")
                    } else {
                        format!("{name}={value}")
                    }
                })
                .collect();
            let mut req = c.get("/cookies");
            if !cookie.is_empty() {
                req = req.header("Cookie", &cookie.join("; "));
            }
            req.send().await
        }
    }
}

async fn ok(location: Location, args: Value) -> Value {
    let resp = send(location, &args).await;
    assert_eq!(resp.status(), 200, "{location:?} {args}: {}", resp.text());
    resp.json()
}

async fn refused(location: Location, args: Value) -> Value {
    let resp = send(location, &args).await;
    assert_eq!(resp.status(), 400, "{location:?} {args}: {}", resp.text());
    resp.json()
}

#[tokio::test]
async fn all_values_read_from_every_location() {
    for location in LOCATIONS {
        let v = ok(
            location,
            json!({"name": "ada", "limit": 3, "order": "desc", "tags": ["x"], "rate": 0.5, "note": "hi"}),
        )
        .await;
        assert_eq!(
            v,
            json!({"name": "ada", "limit": 3, "order": "desc", "tags": ["x"], "rate": 0.5, "note": "hi"}),
            "{location:?}"
        );
    }
}

#[tokio::test]
async fn required_missing_in_every_location() {
    for location in LOCATIONS {
        let v = refused(location, json!({"limit": 3})).await;
        assert_eq!(
            v,
            json!({"message": {"name": MISSING_ARGUMENT}}),
            "{location:?}"
        );
    }
}

#[tokio::test]
async fn defaults_in_every_location() {
    for location in LOCATIONS {
        let v = ok(location, json!({"name": "ada"})).await;
        assert_eq!(
            v,
            json!({"name": "ada", "limit": 10, "order": null, "tags": [], "rate": null, "note": null}),
            "{location:?}"
        );
    }
}

#[tokio::test]
async fn choice_refused_in_every_location() {
    for location in LOCATIONS {
        let v = refused(location, json!({"name": "ada", "order": "sideways"})).await;
        assert_eq!(
            v,
            json!({"message": {"order": "sideways is not a valid choice"}}),
            "{location:?}"
        );
    }
    // A JSON value that is not text is shown as JSON.
    let v = refused(Location::Json, json!({"name": "ada", "order": 5})).await;
    assert_eq!(v["message"]["order"], "5 is not a valid choice");
}

#[tokio::test]
async fn trim_per_argument_in_every_location() {
    for location in LOCATIONS {
        let v = ok(location, json!({"name": "  ada ", "note": " hi "})).await;
        assert_eq!(v["name"], "ada", "{location:?}: trim_field(\"name\")");
        assert_eq!(v["note"], " hi ", "{location:?}: note is not trimmed");
    }
}

#[tokio::test]
async fn type_failure_in_every_location() {
    for location in LOCATIONS {
        let v = refused(location, json!({"name": "ada", "limit": "ten"})).await;
        assert_eq!(
            v,
            json!({"message": {"limit": "invalid literal for int() with base 10: 'ten'"}}),
            "{location:?}"
        );
        let v = refused(location, json!({"name": "ada", "rate": "fast"})).await;
        assert_eq!(
            v,
            json!({"message": {"rate": "could not convert string to float: 'fast'"}}),
            "{location:?}"
        );
    }
}

#[tokio::test]
async fn nullable_in_every_location() {
    // JSON's null, or an empty text: `None` for an `Option` field that is not text.
    for location in LOCATIONS {
        let v = ok(
            location,
            json!({"name": "ada", "rate": null, "order": null}),
        )
        .await;
        assert_eq!(v["rate"], Value::Null, "{location:?}");
        assert_eq!(v["order"], Value::Null, "{location:?}");
    }
    // A text field keeps an empty text; JSON's null is `None` there.
    for location in LOCATIONS {
        let v = ok(location, json!({"name": "ada", "note": ""})).await;
        assert_eq!(v["note"], "", "{location:?}");
    }
    let v = ok(Location::Json, json!({"name": "ada", "note": null})).await;
    assert_eq!(v["note"], Value::Null);
    // Not nullable: JSON's null is refused; an empty text is an empty name, or not a number.
    let v = refused(
        Location::Json,
        json!({"name": null, "limit": null, "tags": null}),
    )
    .await;
    assert_eq!(
        v,
        json!({"message": {"name": "Must not be null!", "limit": "Must not be null!", "tags": "Must not be null!"}})
    );
    for location in LOCATIONS {
        if location == Location::Json {
            continue;
        }
        let v = refused(location, json!({"name": "", "limit": ""})).await;
        assert_eq!(
            v,
            json!({"message": {"limit": "invalid literal for int() with base 10: ''"}}),
            "{location:?}"
        );
    }
}

#[tokio::test]
async fn append_in_every_location() {
    // Repeated keys, repeated header lines, repeated cookies, a JSON list.
    for location in LOCATIONS {
        let v = ok(location, json!({"name": "ada", "tags": ["a", "b", "c"]})).await;
        assert_eq!(v["tags"], json!(["a", "b", "c"]), "{location:?}");
        // One value is a list of one.
        let v = ok(location, json!({"name": "ada", "tags": "a"})).await;
        assert_eq!(v["tags"], json!(["a"]), "{location:?}");
    }
    // A field that is not a list takes the first value (`action="store"`).
    for location in LOCATIONS {
        if location == Location::Json {
            continue;
        }
        let v = ok(location, json!({"name": ["ada", "bob"], "limit": [1, 2]})).await;
        assert_eq!(
            (&v["name"], &v["limit"]),
            (&json!("ada"), &json!(1)),
            "{location:?}"
        );
    }
}

#[tokio::test]
async fn bundled_errors_in_every_location() {
    for location in LOCATIONS {
        let v = refused(
            location,
            json!({"limit": "many", "order": "up", "rate": "fast", "tags": ["ok"]}),
        )
        .await;
        assert_eq!(
            v,
            json!({"message": {
                "name": MISSING_ARGUMENT,
                "limit": "invalid literal for int() with base 10: 'many'",
                "order": "up is not a valid choice",
                "rate": "could not convert string to float: 'fast'",
            }}),
            "{location:?}"
        );
    }
}

#[tokio::test]
async fn headers_and_cookies_are_read_there_only() {
    let c = client();
    // The query string does not count for arguments read from headers or cookies.
    for path in ["/headers?name=ada", "/cookies?name=ada"] {
        let resp = c.get(path).send().await;
        assert_eq!(resp.status(), 400, "{path}");
        assert_eq!(
            resp.json::<Value>(),
            json!({"message": {"name": MISSING_ARGUMENT}})
        );
    }
    // Header names are case-insensitive; one header line with commas is one value.
    let v: Value = c
        .get("/headers")
        .header("x-arg-name", "ada")
        .header("X-ARG-TAGS", "a, b")
        .send()
        .await
        .json();
    assert_eq!((&v["name"], &v["tags"]), (&json!("ada"), &json!(["a, b"])));
    // Cookies from several `Cookie` headers.
    let v: Value = c
        .get("/cookies")
        .header("Cookie", "name=ada; tags=a")
        .header("Cookie", "tags=b")
        .send()
        .await
        .json();
    assert_eq!(
        (&v["name"], &v["tags"]),
        (&json!("ada"), &json!(["a", "b"]))
    );
}
