//! Config: defaults, code, TOML files, prefixed environment, and what the app reads from it.

use std::io::Write;

use flask::routing::{get, post};
use flask::{Flask, Form, RequestContext};
use serde::Deserialize;

#[flask::view]
async fn show(ctx: RequestContext) -> String {
    format!(
        "{} {}",
        ctx.config().get_str("GREETING").unwrap_or("-"),
        ctx.config().get::<u32>("PER_PAGE").unwrap().unwrap_or(0)
    )
}

#[tokio::test]
async fn file_then_code() {
    let mut f = tempfile();
    writeln!(
        f.1,
        "GREETING = 'from toml'\nPER_PAGE = 10\n[DB]\nurl = 'sqlite://'"
    )
    .unwrap();
    let app = Flask::new("cfg")
        .config_from_file(&f.0)
        .configure(|c| c.set("PER_PAGE", 25))
        .route("/", get(show))
        .build()
        .unwrap();
    assert_eq!(app.config().get_str("DB.url"), Some("sqlite://"));
    assert_eq!(
        app.test_client().get("/").send().await.text(),
        "from toml 25"
    );
    std::fs::remove_file(&f.0).unwrap();
}

#[test]
fn a_missing_file_is_a_startup_error() {
    let e = Flask::new("cfg")
        .config_from_file("/nonexistent/settings.toml")
        .build()
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("cannot read config file /nonexistent/settings.toml"),
        "{e}"
    );
}

#[test]
fn prefixed_env() {
    // A prefix no other test uses, so parallel tests do not see each other's variables.
    let vars = [
        ("CFGTEST_SECRET_KEY", "s3cr3t"),
        ("CFGTEST_DEBUG", "true"),
        ("CFGTEST_LIMITS__per_page", "5"),
    ];
    let app = {
        let mut c = flask::Config::new();
        c.from_prefixed_iter(
            "CFGTEST",
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        Flask::new("env").configure(|cfg| *cfg = c).build().unwrap()
    };
    assert_eq!(app.config().get_str("SECRET_KEY"), Some("s3cr3t"));
    assert!(app.debug());
    assert_eq!(app.config().get::<u8>("LIMITS.per_page").unwrap(), Some(5));
}

#[test]
fn env_values_are_read_as_a_flask_app_would() {
    let vars = [
        // Parses as a JSON number, but SECRET_KEY is text: the variable's own text.
        ("CFGLENIENT_SECRET_KEY", "123456"),
        ("CFGLENIENT_BIG", "12345678901234567890123"),
        // Flags written 1/0 or as words.
        ("CFGLENIENT_SESSION_COOKIE_SECURE", "1"),
        ("CFGLENIENT_OFF", "0"),
        ("CFGLENIENT_WORD", "yes"),
        ("CFGLENIENT_PORT", "8080"),
        ("CFGLENIENT_NAME", "not a flag"),
    ];
    let mut c = flask::Config::new();
    c.from_prefixed_iter(
        "CFGLENIENT",
        vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    assert_eq!(
        c.get::<String>("SECRET_KEY").unwrap().as_deref(),
        Some("123456")
    );
    assert_eq!(c.get_str("SECRET_KEY"), Some("123456"));
    // Still a number where a number is asked for.
    assert_eq!(c.get::<u32>("SECRET_KEY").unwrap(), Some(123_456));
    assert_eq!(
        c.get::<String>("BIG").unwrap().as_deref(),
        Some("12345678901234567890123")
    );
    assert_eq!(c.get::<bool>("SESSION_COOKIE_SECURE").unwrap(), Some(true));
    assert_eq!(c.get::<bool>("OFF").unwrap(), Some(false));
    assert_eq!(c.get::<bool>("WORD").unwrap(), Some(true));
    assert_eq!(c.get::<u16>("PORT").unwrap(), Some(8080));
    // What is no flag stays refused, naming the key.
    let e = c.get::<bool>("NAME").unwrap_err();
    assert!(e.to_string().contains("NAME"), "{e}");
    let e = c.get::<bool>("PORT").unwrap_err();
    assert!(e.to_string().contains("PORT"), "{e}");
    // A value set in code afterwards is no longer the variable's.
    c.set("SECRET_KEY", 7);
    assert!(c.get::<String>("SECRET_KEY").is_err());
    // A numeric key from the environment signs as the text it was.
    let mut env = flask::Config::new();
    env.from_prefixed_iter(
        "CFGLENIENT",
        [("CFGLENIENT_SECRET_KEY".to_owned(), "123456".to_owned())],
    );
    let mut text = flask::Config::new();
    text.set("SECRET_KEY", "123456");
    let from_env = flask::signing::Signer::from_config(&env, "salt")
        .unwrap()
        .unwrap();
    let from_text = flask::signing::Signer::from_config(&text, "salt")
        .unwrap()
        .unwrap();
    assert_eq!(from_env.sign("value"), from_text.sign("value"));
}

#[derive(Deserialize)]
struct Upload {
    data: String,
}
#[flask::view]
async fn upload(Form(u): Form<Upload>) -> String {
    u.data.len().to_string()
}

#[tokio::test]
async fn max_content_length_gives_413() {
    let c = Flask::new("limits")
        .configure(|c| c.set("MAX_CONTENT_LENGTH", 100))
        .route("/upload", post(upload))
        .test_client();
    let small = "x".repeat(50);
    assert_eq!(
        c.post("/upload")
            .form(&[("data", small.as_str())])
            .send()
            .await
            .text(),
        "50"
    );
    let big = "x".repeat(500);
    let r = c
        .post("/upload")
        .form(&[("data", big.as_str())])
        .send()
        .await;
    assert_eq!(r.status(), 413);
    assert!(
        r.text().contains("exceeds the capacity limit"),
        "{}",
        r.text()
    );
    // The default is 16 MiB: a 3 MiB JSON body (over axum's own 2 MiB default) is accepted.
    #[flask::view]
    async fn json_len(flask::Json(s): flask::Json<String>) -> String {
        s.len().to_string()
    }
    let c = Flask::new("default")
        .route("/json", post(json_len))
        .test_client();
    let three_mb = "x".repeat(3 * 1024 * 1024);
    assert_eq!(
        c.post("/json").json(&three_mb).send().await.text(),
        three_mb.len().to_string()
    );
    let c = Flask::new("small")
        .configure(|c| c.set("MAX_CONTENT_LENGTH", 1024))
        .route("/json", post(json_len))
        .test_client();
    assert_eq!(c.post("/json").json(&three_mb).send().await.status(), 413);
}

fn tempfile() -> (std::path::PathBuf, std::fs::File) {
    let path = std::env::temp_dir().join(format!(
        "flask-cfg-{}-{:?}.toml",
        std::process::id(),
        std::thread::current().id()
    ));
    let f = std::fs::File::create(&path).unwrap();
    (path, f)
}

#[tokio::test]
async fn form_size_and_parts_limits() {
    #[flask::view]
    async fn count(f: flask::FormData) -> String {
        f.len().to_string()
    }
    let c = Flask::new("forms")
        .configure(|c| {
            c.set("MAX_FORM_MEMORY_SIZE", 50);
            c.set("MAX_FORM_PARTS", 3);
        })
        .route("/", post(count))
        .test_client();
    assert_eq!(
        c.post("/")
            .form(&[("a", "1"), ("b", "2")])
            .send()
            .await
            .text(),
        "2"
    );
    let r = c
        .post("/")
        .form(&[("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")])
        .send()
        .await;
    assert_eq!(r.status(), 413);
    assert!(r.text().contains("MAX_FORM_PARTS"), "{}", r.text());
    let long = "x".repeat(60);
    let r = c.post("/").form(&[("a", long.as_str())]).send().await;
    assert_eq!(r.status(), 413);
    assert!(r.text().contains("MAX_FORM_MEMORY_SIZE"), "{}", r.text());
}

#[tokio::test]
async fn automatic_options_can_be_turned_off() {
    let c = Flask::new("opts")
        .configure(|c| c.set("PROVIDE_AUTOMATIC_OPTIONS", false))
        .route("/", get(show))
        .test_client();
    let r = c.options("/").send().await;
    assert_eq!(r.status(), 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
}
