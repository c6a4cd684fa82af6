//! Rules, converters and their arguments, slashes, HEAD/OPTIONS/405, through the app.

use flask::routing::{get, post, route};
use flask::{Flask, Path, testing::TestClient};
use serde::Deserialize;

#[flask::view]
async fn int_view(Path(v): Path<i64>) -> String {
    format!("int {v}")
}
#[flask::view]
async fn float_view(Path(v): Path<f64>) -> String {
    format!("float {v}")
}
#[flask::view]
async fn str_view(Path(v): Path<String>) -> String {
    format!("str {v}")
}
#[flask::view]
async fn uuid_view(Path(v): Path<uuid::Uuid>) -> String {
    format!("uuid {v}")
}

fn app() -> TestClient {
    Flask::new("routing")
        .route("/int/<int:v>", get(int_view))
        .route(
            "/range/<int(min=1, max=10):v>",
            get(int_view).endpoint("range"),
        )
        .route(
            "/signed/<int(signed=True):v>",
            get(int_view).endpoint("signed"),
        )
        .route(
            "/fixed/<int(fixed_digits=4):v>",
            get(int_view).endpoint("fixed"),
        )
        .route("/float/<float:v>", get(float_view))
        .route(
            "/sfloat/<float(signed=True, min=-2.5):v>",
            get(float_view).endpoint("sfloat"),
        )
        .route("/str/<v>", get(str_view))
        .route("/len/<string(length=2):v>", get(str_view).endpoint("len"))
        .route(
            "/minmax/<string(minlength=2, maxlength=3):v>",
            get(str_view).endpoint("minmax"),
        )
        .route("/path/<path:v>", get(str_view).endpoint("path"))
        .route("/uuid/<uuid:v>", get(uuid_view))
        .route(
            "/any/<any(about, help, 'big deal'):v>",
            get(str_view).endpoint("any"),
        )
        .route("/page/<int:v>.html", get(int_view).endpoint("page"))
        .test_client()
}

async fn check(c: &TestClient, path: &str, expect: Option<&str>) {
    let resp = c.get(path).send().await;
    match expect {
        Some(body) => {
            assert_eq!(resp.status(), 200, "{path}");
            assert_eq!(resp.text(), body, "{path}");
        }
        None => assert_eq!(
            resp.status(),
            404,
            "{path} should be a 404, got {}",
            resp.text()
        ),
    }
}

#[tokio::test]
async fn int_converter_and_arguments() {
    let c = app();
    check(&c, "/int/42", Some("int 42")).await;
    check(&c, "/int/abc", None).await;
    check(&c, "/int/-1", None).await;
    check(&c, "/int/4.2", None).await;
    check(&c, "/int/99999999999999999999999", None).await;
    check(&c, "/range/1", Some("int 1")).await;
    check(&c, "/range/10", Some("int 10")).await;
    check(&c, "/range/0", None).await;
    check(&c, "/range/11", None).await;
    check(&c, "/signed/-5", Some("int -5")).await;
    check(&c, "/fixed/0042", Some("int 42")).await;
    check(&c, "/fixed/42", None).await;
    check(&c, "/page/3.html", Some("int 3")).await;
}

#[tokio::test]
async fn float_converter_and_arguments() {
    let c = app();
    check(&c, "/float/1.5", Some("float 1.5")).await;
    check(&c, "/float/1", None).await;
    check(&c, "/float/-1.5", None).await;
    check(&c, "/sfloat/-1.5", Some("float -1.5")).await;
    check(&c, "/sfloat/-3.0", None).await;
}

#[tokio::test]
async fn string_path_uuid_any() {
    let c = app();
    check(&c, "/str/hello", Some("str hello")).await;
    check(&c, "/str/a%20b", Some("str a b")).await;
    check(&c, "/str/a/b", None).await;
    check(&c, "/str/a%2Fb", Some("str a/b")).await;
    check(&c, "/len/ab", Some("str ab")).await;
    check(&c, "/len/abc", None).await;
    check(&c, "/minmax/a", None).await;
    check(&c, "/minmax/abc", Some("str abc")).await;
    check(&c, "/minmax/abcd", None).await;
    check(&c, "/path/a/b/c", Some("str a/b/c")).await;
    check(
        &c,
        "/uuid/550e8400-e29b-41d4-a716-446655440000",
        Some("uuid 550e8400-e29b-41d4-a716-446655440000"),
    )
    .await;
    check(&c, "/uuid/not-a-uuid", None).await;
    check(&c, "/any/about", Some("str about")).await;
    check(&c, "/any/big%20deal", Some("str big deal")).await;
    check(&c, "/any/other", None).await;
}

#[derive(Deserialize)]
struct Archive {
    year: u16,
    slug: String,
}

#[flask::view]
async fn archive(Path(a): Path<Archive>) -> String {
    format!("{} {}", a.year, a.slug)
}
#[flask::view]
async fn pair(Path((a, b)): Path<(String, i64)>) -> String {
    format!("{a} {b}")
}
#[flask::view]
async fn small(Path(v): Path<u8>) -> String {
    format!("{v}")
}

#[tokio::test]
async fn values_reach_handlers_typed() {
    let c = Flask::new("typed")
        .route("/archive/<int:year>/<slug>", get(archive))
        .route("/pair/<a>/<int:b>", get(pair))
        .route("/small/<int:v>", get(small))
        .route("/wrong/<a>/<b>", get(small).endpoint("wrong"))
        .test_client();
    assert_eq!(
        c.get("/archive/2024/hello").send().await.text(),
        "2024 hello"
    );
    assert_eq!(c.get("/pair/x/3").send().await.text(), "x 3");
    assert_eq!(c.get("/small/7").send().await.text(), "7");
    // A value that fits the converter but not the handler's type is a 404 too.
    assert_eq!(c.get("/small/300").send().await.status(), 404);
    // A handler whose type does not fit the rule's shape is the app's bug: a 500.
    assert_eq!(c.get("/wrong/a/b").send().await.status(), 500);
}

#[flask::view]
async fn new_user() -> &'static str {
    "new"
}
#[flask::view]
async fn user(Path(name): Path<String>) -> String {
    format!("user {name}")
}
#[flask::view]
async fn user_by_id(Path(id): Path<i64>) -> String {
    format!("id {id}")
}

#[tokio::test]
async fn static_rules_beat_converters_and_int_beats_string() {
    let c = Flask::new("order")
        .route("/user/<name>", get(user))
        .route("/user/<int:id>", get(user_by_id))
        .route("/user/new", get(new_user))
        .test_client();
    assert_eq!(c.get("/user/new").send().await.text(), "new");
    assert_eq!(c.get("/user/12").send().await.text(), "id 12");
    assert_eq!(c.get("/user/ada").send().await.text(), "user ada");
}

#[flask::view]
async fn index() -> &'static str {
    "index"
}
#[flask::view]
async fn login_form() -> &'static str {
    "form"
}
#[flask::view]
async fn login_submit() -> &'static str {
    "submitted"
}

#[tokio::test]
async fn trailing_and_merged_slashes() {
    let c = Flask::new("slashes")
        .route("/projects/", get(index))
        .route("/about", get(login_form))
        .test_client();
    let r = c.get("/projects?page=2").send().await;
    assert_eq!(r.status(), 308);
    assert_eq!(r.header("location"), Some("/projects/?page=2"));
    assert_eq!(c.get("/about/").send().await.status(), 404);
    // Leading slashes are ignored, as Werkzeug does.
    assert_eq!(c.get("//about").send().await.text(), "form");
    // 308 keeps the method, and is only sent for a method the slashed rule takes.
    assert_eq!(c.post("/projects").send().await.status(), 404);
}

#[tokio::test]
async fn head_options_and_405() {
    let c = Flask::new("methods")
        .route("/", get(index))
        .route("/login", get(login_form))
        .route("/login", post(login_submit))
        .route("/both", route(&["GET", "post"], index))
        .test_client();
    let head = c.head("/").send().await;
    assert_eq!(head.status(), 200);
    assert!(head.bytes().is_empty());
    assert_eq!(head.header("content-length"), Some("5"));

    assert_eq!(c.get("/login").send().await.text(), "form");
    assert_eq!(c.post("/login").send().await.text(), "submitted");

    let r = c.delete("/login").send().await;
    assert_eq!(r.status(), 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS, POST"));
    assert!(r.text().contains("Method Not Allowed"));

    let r = c.options("/login").send().await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS, POST"));
    assert!(r.bytes().is_empty());

    assert_eq!(c.post("/both").send().await.text(), "index");
    assert_eq!(c.options("/nothing").send().await.status(), 404);
}

#[tokio::test]
async fn a_rule_can_answer_its_own_405() {
    async fn json_405(method: http::Method) -> (http::StatusCode, String) {
        (
            http::StatusCode::METHOD_NOT_ALLOWED,
            format!("{{\"message\": \"no {method} here\"}}"),
        )
    }
    async fn app_405() -> (http::StatusCode, &'static str) {
        (http::StatusCode::METHOD_NOT_ALLOWED, "the app's 405 page")
    }
    let c = Flask::new("methods")
        .route("/api/thing", get(index).method_not_allowed(json_405))
        .route("/page", get(index))
        .errorhandler(405, app_405)
        .test_client();
    // The rule's own answer, with the Allow header the router computed.
    let r = c.delete("/api/thing").send().await;
    assert_eq!(r.status(), 405);
    assert_eq!(r.text(), "{\"message\": \"no DELETE here\"}");
    assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
    // The allowed methods and OPTIONS are untouched.
    assert_eq!(c.get("/api/thing").send().await.text(), "index");
    assert_eq!(c.options("/api/thing").send().await.status(), 200);
    // Other rules still get the app's handler.
    let r = c.post("/page").send().await;
    assert_eq!(r.status(), 405);
    assert_eq!(r.text(), "the app's 405 page");
    assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
}

#[tokio::test]
async fn bad_rules_fail_at_build_with_a_reason() {
    let e = Flask::new("bad")
        .route("/x/<foo:y>", get(index))
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("unknown converter `foo`"), "{e}");
    let e = Flask::new("bad")
        .route("no-slash", get(index))
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("must start with `/`"), "{e}");
    let e = Flask::new("bad")
        .route("/a", get(index))
        .route("/b", get(login_form).endpoint("index"))
        .build()
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("endpoint \"index\" is used by two different handlers"),
        "{e}"
    );
    let e = Flask::new("bad")
        .route("/a", route(&["G E T"], index))
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("not an HTTP method"), "{e}");
    // The same function on two rules is one endpoint, as in Flask.
    Flask::new("ok")
        .route("/a", get(index))
        .route("/b", get(index))
        .build()
        .unwrap();
}

#[tokio::test]
async fn closures_get_the_rule_as_endpoint() {
    let app = Flask::new("closures")
        .route("/hi", get(|| async { "hi" }))
        .build()
        .unwrap();
    let rule = app.rules().into_iter().find(|r| r.rule == "/hi").unwrap();
    assert_eq!(rule.endpoint, "/hi");
    assert_eq!(app.url_for("/hi").relative().build().unwrap(), "/hi");
}

#[tokio::test]
async fn length_limits_count_decoded_characters() {
    let app = Flask::new("len")
        .route("/code/<string(length=2):v>", get(str_view))
        .build()
        .unwrap();
    let c = app.test_client();
    let url = app
        .url_for("str_view")
        .relative()
        .value("v", "a/")
        .build()
        .unwrap();
    assert_eq!(url, "/code/a%2F");
    assert_eq!(c.get(&url).send().await.text(), "str a/");
    assert_eq!(c.get("/code/%25%25").send().await.text(), "str %%");
    assert_eq!(c.get("/code/abc").send().await.status(), 404);
}

#[tokio::test]
async fn a_value_the_handler_type_refuses_is_a_404() {
    let c = Flask::new("uuid")
        .route("/u/<v>", get(uuid_view))
        .test_client();
    assert_eq!(c.get("/u/not-a-uuid").send().await.status(), 404);
    assert_eq!(
        c.get("/u/550e8400-e29b-41d4-a716-446655440000")
            .send()
            .await
            .text(),
        "uuid 550e8400-e29b-41d4-a716-446655440000"
    );
}

/// Werkzeug's documented example of a converter with arguments: a regex given in the rule.
struct RegexConverter(String);

impl flask::routing::UrlConverter for RegexConverter {
    fn regex(&self) -> String {
        self.0.clone()
    }
    fn to_value(&self, text: &str) -> Option<flask::routing::PathValue> {
        Some(flask::routing::PathValue::Str(text.to_owned()))
    }
}

/// A converter of lower-case words that `url_for` writes in lower case, tried before
/// `string` (weight 10).
struct Lower;

impl flask::routing::UrlConverter for Lower {
    fn regex(&self) -> String {
        "[a-z]+".to_owned()
    }
    fn weight(&self) -> u32 {
        10
    }
    fn to_value(&self, text: &str) -> Option<flask::routing::PathValue> {
        Some(flask::routing::PathValue::Str(format!("lower:{text}")))
    }
    fn to_url(&self, value: &str) -> Result<String, String> {
        if value.chars().all(|c| c.is_ascii_alphabetic()) {
            Ok(value.to_ascii_lowercase())
        } else {
            Err("must be letters".to_owned())
        }
    }
}

#[tokio::test]
async fn custom_converters_match_convert_and_build() {
    let app = Flask::new("converters")
        .converter("regex", |args: &flask::routing::ConverterArgs| {
            let pattern = args.get(0, "pattern").ok_or("needs a pattern")?;
            Ok(RegexConverter(pattern.to_owned()))
        })
        .converter("lower", |_: &flask::routing::ConverterArgs| Ok(Lower))
        .route(
            "/code/<regex(\"[A-Z]{2}[0-9]\"):code>",
            get(str_view).endpoint("code"),
        )
        .route("/w/<lower:word>", get(str_view).endpoint("lower"))
        .route("/w/<word>", get(str_view).endpoint("any_word"))
        .build()
        .unwrap();
    let c = app.test_client();
    assert_eq!(c.get("/code/AB1").send().await.text(), "str AB1");
    assert_eq!(c.get("/code/ab1").send().await.status(), 404);
    // Weight 10 beats `string` (100); what it refuses goes to the next rule.
    assert_eq!(c.get("/w/hello").send().await.text(), "str lower:hello");
    assert_eq!(c.get("/w/Hello").send().await.text(), "str Hello");
    let url = |endpoint: &str, name: &str, v: &str| {
        app.url_for(endpoint).value(name, v).relative().build()
    };
    assert_eq!(url("lower", "word", "HeLLo").unwrap(), "/w/hello");
    let err = url("lower", "word", "h1").unwrap_err();
    assert!(err.to_string().contains("must be letters"), "{err}");
    // The factory's refusal fails the build, naming the rule.
    let err = Flask::new("bad")
        .converter("regex", |args: &flask::routing::ConverterArgs| {
            let pattern = args.get(0, "pattern").ok_or("needs a pattern")?;
            Ok(RegexConverter(pattern.to_owned()))
        })
        .route("/x/<regex:code>", get(str_view))
        .build()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("converter `regex`: needs a pattern"),
        "{err}"
    );
}

#[tokio::test]
async fn axum_extractors_only_its_router_fills_are_refused_at_build() {
    #[flask::view]
    async fn axum_path(axum::extract::Path(id): axum::extract::Path<i64>) -> String {
        id.to_string()
    }
    #[flask::view]
    async fn raw(params: axum::extract::RawPathParams) -> String {
        params.iter().count().to_string()
    }
    let err = Flask::new("axum-path")
        .route("/post/<int:id>", get(axum_path))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("take flask::Path"), "{err}");
    let err = Flask::new("raw")
        .route("/m/<x>", get(raw))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("view_args()"), "{err}");
    // axum's other extractors work as they do under axum.
    #[flask::view]
    async fn others(
        method: http::Method,
        headers: flask::HeaderMap,
        axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
        body: String,
    ) -> String {
        format!("{method} {} {} {body}", headers.len(), q.len())
    }
    let c = Flask::new("others")
        .route("/o", flask::routing::post(others))
        .test_client();
    assert_eq!(c.post("/o?a=1").body("hi").send().await.status(), 200);
}
