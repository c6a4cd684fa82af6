//! Request data: query args, forms, JSON, headers, cookies, `g`, and what bad input gets.

use flask::routing::{get, post};
use flask::{Args, Cookies, Flask, Form, FormData, G, HeaderMap, Json, Query, testing::TestClient};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Deserialize, Serialize, Debug, PartialEq)]
struct Todo {
    title: String,
    done: bool,
    priority: Option<u8>,
}

#[flask::view]
async fn args(args: Args) -> String {
    format!(
        "{} {:?} {:?} {}",
        args.get("q").unwrap_or("-"),
        args.get_all("tag"),
        args.get_as::<u32>("page"),
        args.contains("flag")
    )
}
#[derive(Deserialize)]
struct Page {
    page: u32,
    per_page: Option<u32>,
}
#[flask::view]
async fn query(Query(p): Query<Page>) -> String {
    format!("{} {:?}", p.page, p.per_page)
}
#[flask::view]
async fn create(Json(todo): Json<Todo>) -> Json<Todo> {
    Json(todo)
}
#[derive(Deserialize)]
struct Signup {
    name: String,
    age: u8,
}
#[flask::view]
async fn signup(Form(s): Form<Signup>) -> String {
    format!("{} {}", s.name, s.age)
}
#[flask::view]
async fn raw_form(f: FormData) -> String {
    format!("{:?}", f.get_all("x"))
}
#[flask::view]
async fn headers(h: HeaderMap, c: Cookies) -> String {
    format!(
        "{} {}",
        h.get("x-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-"),
        c.get("theme").unwrap_or("-")
    )
}
#[flask::view]
async fn set_theme() -> ([(&'static str, &'static str); 1], &'static str) {
    ([("set-cookie", "theme=dark; Path=/; HttpOnly")], "set")
}
#[flask::view]
async fn clear_theme() -> ([(&'static str, &'static str); 1], &'static str) {
    ([("set-cookie", "theme=; Path=/; Max-Age=0")], "cleared")
}
#[derive(Clone)]
struct Visits(u32);
#[flask::view]
async fn g_view(g: G) -> String {
    g.insert(Visits(g.get::<Visits>().map_or(0, |v| v.0) + 1));
    g.with(|v: &Visits| v.0.to_string()).unwrap()
}

fn client() -> TestClient {
    Flask::new("data")
        .route("/args", get(args))
        .route("/query", get(query))
        .route("/todos", post(create))
        .route("/signup", post(signup))
        .route("/raw", post(raw_form))
        .route("/headers", get(headers))
        .route("/theme", get(set_theme))
        .route("/theme/clear", get(clear_theme))
        .route("/g", get(g_view))
        .before_request(|g: G| async move {
            g.insert(Visits(10));
        })
        .test_client()
}

#[tokio::test]
async fn args_like_request_args() {
    let c = client();
    let r = c
        .get("/args?q=rust%20web&tag=a&tag=b&page=x&flag")
        .send()
        .await;
    assert_eq!(r.text(), "rust web [\"a\", \"b\"] None true");
    assert_eq!(
        c.get("/args?page=3").send().await.text(),
        "- [] Some(3) false"
    );
}

#[tokio::test]
async fn typed_query_names_the_bad_field() {
    let c = client();
    assert_eq!(
        c.get("/query?page=2&per_page=10").send().await.text(),
        "2 Some(10)"
    );
    let r = c.get("/query?page=two").send().await;
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .contains("Invalid query string: page: invalid digit found in string"),
        "{}",
        r.text()
    );
    let r = c.get("/query").send().await;
    assert_eq!(r.status(), 400);
    assert!(r.text().contains("missing field `page`"), "{}", r.text());
}

#[tokio::test]
async fn json_round_trip_and_errors() {
    let c = client();
    let todo = Todo {
        title: "write tests".into(),
        done: false,
        priority: Some(1),
    };
    let r = c.post("/todos").json(&todo).send().await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Todo>(), todo);

    let r = c
        .post("/todos")
        .header("content-type", "application/json")
        .body("{\"title\": ")
        .send()
        .await;
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .contains("Failed to decode JSON object: EOF while parsing"),
        "{}",
        r.text()
    );

    let r = c.post("/todos").json(&json!({"title": "x"})).send().await;
    assert_eq!(r.status(), 400);
    assert!(
        r.text().contains("Invalid JSON: missing field `done`"),
        "{}",
        r.text()
    );

    let r = c
        .post("/todos")
        .json(&json!({"title": "x", "done": "yes"}))
        .send()
        .await;
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .contains("Invalid JSON: done: invalid type: string"),
        "{}",
        r.text()
    );

    let r = c
        .post("/todos")
        .json(&json!({"title": "x", "done": true, "priority": 300}))
        .send()
        .await;
    assert!(
        r.text().contains("priority: invalid value: integer `300`"),
        "{}",
        r.text()
    );

    let r = c
        .post("/todos")
        .json(&json!({"title": "x", "done": true}))
        .header("x", "y")
        .body("{} trailing")
        .send()
        .await;
    assert_eq!(r.status(), 400);

    let r = c.post("/todos").body("{}").send().await;
    assert_eq!(r.status(), 415);
    assert!(
        r.text()
            .contains("Content-Type was not &#39;application/json&#39;"),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn forms_and_their_errors() {
    let c = client();
    assert_eq!(
        c.post("/signup")
            .form(&[("name", "ada"), ("age", "36")])
            .send()
            .await
            .text(),
        "ada 36"
    );
    let r = c
        .post("/signup")
        .form(&[("name", "ada"), ("age", "old")])
        .send()
        .await;
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .contains("Invalid form data: age: invalid digit found in string"),
        "{}",
        r.text()
    );
    let r = c.post("/signup").form(&[("name", "ada")]).send().await;
    assert!(r.text().contains("missing field `age`"), "{}", r.text());
    let r = c
        .post("/signup")
        .json(&json!({"name": "ada", "age": 1}))
        .send()
        .await;
    assert_eq!(r.status(), 415);
    assert_eq!(
        c.post("/raw")
            .form(&[("x", "1"), ("x", "2")])
            .send()
            .await
            .text(),
        "[\"1\", \"2\"]"
    );
}

#[tokio::test]
async fn headers_cookies_and_the_jar() {
    let c = client();
    assert_eq!(
        c.get("/headers")
            .header("x-token", "abc")
            .send()
            .await
            .text(),
        "abc -"
    );
    c.get("/theme").send().await;
    assert_eq!(c.cookie("theme").as_deref(), Some("dark"));
    assert_eq!(c.get("/headers").send().await.text(), "- dark");
    c.get("/theme/clear").send().await;
    assert_eq!(c.cookie("theme"), None);
    assert_eq!(c.get("/headers").send().await.text(), "- -");
}

#[tokio::test]
async fn g_lives_for_one_request() {
    let c = client();
    assert_eq!(c.get("/g").send().await.text(), "11");
    assert_eq!(c.get("/g").send().await.text(), "11");
}

#[tokio::test]
async fn jsonify_and_json_responses() {
    #[flask::view]
    async fn api() -> flask::Response {
        flask::jsonify(json!({"ok": true}))
    }
    let c = Flask::new("json").route("/api", get(api)).test_client();
    let r = c.get("/api").send().await;
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json::<Value>(), json!({"ok": true}));
}

#[tokio::test]
async fn flask_style_tuples_through_make_response() {
    #[flask::view]
    async fn created() -> flask::Response {
        flask::make_response(("created", 201, [("location", "/todos/1")]))
    }
    #[flask::view]
    async fn missing() -> flask::Response {
        flask::make_response(("no such todo", flask::StatusCode::NOT_FOUND))
    }
    #[flask::view]
    async fn bad() -> flask::Response {
        flask::make_response(("?", 1000))
    }
    let c = Flask::new("tuples")
        .route("/created", get(created))
        .route("/missing", get(missing))
        .route("/bad", get(bad))
        .test_client();
    let r = c.get("/created").send().await;
    assert_eq!(
        (r.status().as_u16(), r.text().as_str(), r.header("location")),
        (201, "created", Some("/todos/1"))
    );
    let r = c.get("/missing").send().await;
    assert_eq!(
        (r.status().as_u16(), r.text().as_str()),
        (404, "no such todo")
    );
    assert_eq!(c.get("/bad").send().await.status(), 500);
}

#[tokio::test]
async fn remote_addr_is_the_peer_or_what_trusted_proxies_report() {
    #[flask::view]
    async fn addr(ctx: flask::RequestContext) -> String {
        ctx.remote_addr().map(|a| a.to_string()).unwrap_or_default()
    }
    let direct = Flask::new("addr")
        .route("/", flask::routing::get(addr))
        .test_client();
    assert_eq!(direct.get("/").send().await.text(), "127.0.0.1");
    let resp = direct
        .get("/")
        .remote_addr("10.1.2.3".parse().unwrap())
        .header("x-forwarded-for", "6.6.6.6")
        .send()
        .await;
    // No proxy is trusted by default: the header is the client's to forge.
    assert_eq!(resp.text(), "10.1.2.3");

    let behind_one = Flask::new("addr")
        .configure(|c| c.set("PROXY_FIX_X_FOR", 1))
        .route("/", flask::routing::get(addr))
        .test_client();
    let resp = behind_one
        .get("/")
        .header("x-forwarded-for", "6.6.6.6, 203.0.113.7")
        .send()
        .await;
    assert_eq!(resp.text(), "203.0.113.7");
    // Fewer values than proxies, or garbage: the peer.
    let resp = behind_one.get("/").send().await;
    assert_eq!(resp.text(), "127.0.0.1");
    let resp = behind_one
        .get("/")
        .header("x-forwarded-for", "not an address")
        .send()
        .await;
    assert_eq!(resp.text(), "127.0.0.1");
}

#[tokio::test]
async fn multipart_bodies_fill_request_form_and_request_files() {
    #[derive(serde::Deserialize)]
    struct Title {
        title: String,
    }
    #[flask::view]
    async fn upload(form: flask::FormData) -> String {
        let files: Vec<String> = form
            .files()
            .iter()
            .map(|(field, f)| {
                format!(
                    "{field}={}:{}:{}",
                    f.filename().unwrap_or("-"),
                    f.content_type().unwrap_or("-"),
                    f.len()
                )
            })
            .collect();
        format!("{} {:?}", form.get("title").unwrap_or("-"), files)
    }
    #[flask::view]
    async fn only_files(files: flask::Files) -> Result<String, flask::Error> {
        let photo = files.get("photo").ok_or_else(|| flask::abort(400))?;
        let bytes = photo.read().await.map_err(flask::Error::internal)?;
        Ok(format!("{} {}", photo.secure_filename(), bytes.len()))
    }
    #[flask::view]
    async fn typed(flask::Form(t): flask::Form<Title>) -> String {
        t.title
    }
    let c = Flask::new("multipart")
        .route("/upload", flask::routing::post(upload))
        .route("/files", flask::routing::post(only_files))
        .route("/typed", flask::routing::post(typed))
        .configure(|c| c.set("MAX_FORM_PARTS", 3))
        .test_client();
    let form = || {
        flask::testing::MultipartForm::new()
            .text("title", "Holidays")
            .file("photo", "../beach photo.jpg", "image/jpeg", vec![7; 1000])
    };
    assert_eq!(
        c.post("/upload").multipart(form()).send().await.text(),
        "Holidays [\"photo=../beach photo.jpg:image/jpeg:1000\"]"
    );
    assert_eq!(
        c.post("/files").multipart(form()).send().await.text(),
        "beach_photo.jpg 1000"
    );
    assert_eq!(
        c.post("/typed").multipart(form()).send().await.text(),
        "Holidays"
    );
    // A urlencoded body has no files; another type is a 415 naming both form types.
    assert_eq!(
        c.post("/upload")
            .form(&[("title", "x")])
            .send()
            .await
            .text(),
        "x []"
    );
    let r = c
        .post("/upload")
        .body("x")
        .header("content-type", "text/plain")
        .send()
        .await;
    assert_eq!(r.status(), 415);
    assert!(r.text().contains("multipart/form-data"), "{}", r.text());
    // The form limits hold for multipart too.
    let many = (0..4).fold(flask::testing::MultipartForm::new(), |f, i| {
        f.text(&format!("f{i}"), "x")
    });
    let r = c.post("/upload").multipart(many).send().await;
    assert_eq!(r.status(), 413);
    assert!(r.text().contains("MAX_FORM_PARTS"), "{}", r.text());
}

#[tokio::test]
async fn a_json_integer_beyond_64_bits_is_refused_not_rounded() {
    #[flask::view]
    async fn echo(flask::Json(v): flask::Json<serde_json::Value>) -> flask::Response {
        flask::jsonify(v)
    }
    let c = Flask::new("bigint")
        .route("/", flask::routing::post(echo))
        .test_client();
    let r = c
        .post("/")
        .header("content-type", "application/json")
        .body(r#"{"n": 123456789012345678901234567890}"#)
        .send()
        .await;
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .contains("the integer 123456789012345678901234567890 does not fit in 64 bits"),
        "{}",
        r.text()
    );
    // What fits keeps every digit; a float stays a float.
    let r = c
        .post("/")
        .header("content-type", "application/json")
        .body(r#"{"big": 18446744073709551615, "f": 1e30, "neg": -9223372036854775808}"#)
        .send()
        .await;
    assert_eq!(
        r.text(),
        "{\"big\":18446744073709551615,\"f\":1e+30,\"neg\":-9223372036854775808}\n"
    );
}
