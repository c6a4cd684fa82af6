//! The debug page's console: expressions evaluated against the failing request, behind
//! Werkzeug's protections (the PIN and its lock, loopback clients naming a local host, the
//! page's secret, snapshots that expire), and no console at all outside debug mode.

use std::collections::HashMap;

use flask::routing::{get, post};
use flask::{Error, Flask, G, Json, Session, StatusCode, testing::TestClient};

#[derive(Debug, thiserror::Error)]
#[error("could not load the report")]
struct LoadReport(#[source] std::num::ParseIntError);

#[flask::view]
async fn report(g: G, session: Session) -> Result<String, Error> {
    g.set("user", "ada");
    session.insert("cart", vec![3, 4]);
    let n: i32 = "seven".parse().map_err(LoadReport)?;
    Ok(n.to_string())
}

#[flask::view]
async fn upload(Json(body): Json<HashMap<String, i64>>) -> Result<String, Error> {
    Err(Error::internal(format!(
        "cannot store {} items",
        body.len()
    )))
}

fn app(configure: impl Fn(&mut flask::Config) + Send + Sync + 'static) -> TestClient {
    Flask::new(flask::app_root!())
        .configure(move |c| {
            c.set("DEBUG", true);
            c.set("SECRET_KEY", "debug-console-tests");
            configure(c);
        })
        .shell_context_processor(|_| flask::context! { answer => 42 })
        .route("/report/<int:id>", get(report))
        .route("/upload", post(upload))
        .test_client()
}

/// The console's snapshot id and the page's secret, read from a debug page.
fn console_of(page: &str) -> (String, String) {
    let attr = |name: &str| {
        let start = page
            .find(&format!("data-{name}=\""))
            .unwrap_or_else(|| panic!("no console in the page: {page}"))
            + name.len()
            + 7;
        page[start..start + page[start..].find('"').unwrap()].to_owned()
    };
    (attr("snapshot"), attr("secret"))
}

struct Console {
    client: TestClient,
    snapshot: String,
    secret: String,
}

impl Console {
    async fn open(client: &TestClient, path: &str) -> Console {
        let r = client.get(path).header("X-Trace-Me", "yes").send().await;
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let (snapshot, secret) = console_of(&r.text());
        Console {
            client: client.clone(),
            snapshot,
            secret,
        }
    }

    async fn unlock(&self) {
        let pin = self.client.app().debugger_pin().expect("a PIN");
        let r = self
            .client
            .post("/__debugger__/pinauth")
            .form(&[("pin", pin.as_str()), ("s", &self.secret)])
            .send()
            .await;
        assert_eq!(r.status(), StatusCode::OK, "{}", r.text());
        assert_eq!(r.json::<serde_json::Value>()["auth"], true);
    }

    /// The request that sends `line` to this page's console.
    fn request(&self, line: &str) -> flask::testing::TestRequest {
        self.client.post("/__debugger__/console").form(&[
            ("cmd", line),
            ("snapshot", &self.snapshot),
            ("s", &self.secret),
        ])
    }

    /// Sends `line`; the answer's JSON.
    async fn send(&self, line: &str) -> (StatusCode, serde_json::Value) {
        let r = self.request(line).send().await;
        (r.status(), r.json())
    }

    /// What `line` shows: its value, or `error: ..`.
    async fn eval(&self, line: &str) -> String {
        let (status, answer) = self.send(line).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        match answer["error"].as_str() {
            Some(e) => format!("error: {e}"),
            None => answer["output"].as_str().unwrap_or("").to_owned(),
        }
    }
}

#[tokio::test]
async fn the_console_evaluates_expressions_against_the_failing_request() {
    let client = app(|_| {});
    let console = Console::open(&client, "/report/7?format=pdf&format=csv").await;
    console.unlock().await;
    assert_eq!(console.eval("request.args.format").await, "'pdf'");
    assert_eq!(console.eval("request.path").await, "'/report/7'");
    assert_eq!(console.eval("request.endpoint").await, "'report'");
    assert_eq!(console.eval("view_args.id * 2").await, "14");
    assert_eq!(console.eval("request.headers['X-Trace-Me']").await, "'yes'");
    assert_eq!(console.eval("request.remote_addr").await, "'127.0.0.1'");
    assert_eq!(console.eval("g.user").await, "'ada'");
    assert_eq!(console.eval("session.cart | sum").await, "7");
    assert_eq!(
        console.eval("error.message").await,
        "'could not load the report'"
    );
    assert_eq!(
        console.eval("error.chain[1]").await,
        "'invalid digit found in string'"
    );
    assert_eq!(
        console.eval("config.SECRET_KEY").await,
        "'debug-console-tests'"
    );
    assert_eq!(console.eval("url_for('report', id=8)").await, "'/report/8'");
    // The shell context's names, and values kept across lines of the page.
    assert_eq!(console.eval("set doubled = answer * 2").await, "");
    assert_eq!(console.eval("doubled + 1").await, "85");
    // An open bracket continues on the next line.
    let (_, answer) = console.send("[doubled,").await;
    assert_eq!(answer["more"], true, "{answer}");
    let (_, answer) = console.send("view_args.id]").await;
    assert_eq!(answer["output"], "[84, 7]", "{answer}");
    assert_eq!(answer["more"], false);
    let shown = console.eval("nothing_here").await;
    assert!(
        shown.starts_with("error: `nothing_here` is undefined"),
        "{shown}"
    );
    assert!(
        shown.contains("request") && shown.contains("answer"),
        "{shown}"
    );
    let shown = console.eval("1 +").await;
    assert!(shown.starts_with("error: syntax error"), "{shown}");
}

#[tokio::test]
async fn the_console_sees_the_json_body_an_extractor_read() {
    let client = app(|_| {});
    let r = client
        .post("/upload")
        .json(&serde_json::json!({"apples": 3, "pears": 4}))
        .send()
        .await;
    let (snapshot, secret) = console_of(&r.text());
    let console = Console {
        client: client.clone(),
        snapshot,
        secret,
    };
    console.unlock().await;
    assert_eq!(console.eval("request.json.pears").await, "4");
    assert_eq!(console.eval("request.is_json").await, "True");
    assert_eq!(console.eval("request.method").await, "'POST'");
}

#[tokio::test]
async fn a_locked_console_evaluates_nothing() {
    let client = app(|_| {});
    let console = Console::open(&client, "/report/1").await;
    let (status, answer) = console.send("config.SECRET_KEY").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("locked: type the PIN"),
        "{answer}"
    );
    assert!(answer.get("output").is_none());
}

#[tokio::test(start_paused = true)]
async fn wrong_pins_are_refused_and_ten_lock_the_console_until_restart() {
    let client = app(|_| {});
    let console = Console::open(&client, "/report/1").await;
    let pin = client.app().debugger_pin().unwrap();
    let wrong = if pin.starts_with('1') {
        "000-000-000"
    } else {
        "111-111-111"
    };
    for tries_left in (0..10).rev() {
        let r = client
            .post("/__debugger__/pinauth")
            .form(&[("pin", wrong), ("s", &console.secret)])
            .send()
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let answer: serde_json::Value = r.json();
        assert_eq!(answer["auth"], false);
        let error = answer["error"].as_str().unwrap();
        if tries_left > 0 {
            assert!(
                error.contains(&format!("wrong PIN ({tries_left} tries left")),
                "{error}"
            );
        } else {
            assert_eq!(answer["exhausted"], true, "{answer}");
        }
        assert!(client.cookie("__flask_debugger_auth").is_none());
    }
    // Now even the right PIN is refused.
    let r = client
        .post("/__debugger__/pinauth")
        .form(&[("pin", pin.as_str()), ("s", &console.secret)])
        .send()
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let answer: serde_json::Value = r.json();
    assert_eq!(answer["exhausted"], true);
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("until the server restarts")
    );
    assert_eq!(console.send("1").await.0, StatusCode::FORBIDDEN);
}

#[tokio::test(start_paused = true)]
async fn forty_wrong_pins_at_once_lock_the_console_after_ten() {
    let client = app(|_| {});
    let console = Console::open(&client, "/report/1").await;
    let pin = client.app().debugger_pin().unwrap();
    let mut tries = tokio::task::JoinSet::new();
    for n in 0..40 {
        let (client, secret) = (client.clone(), console.secret.clone());
        let guess = format!("{:09}", 100_000_000 + n);
        if guess == pin.replace('-', "") {
            continue;
        }
        tries.spawn(async move {
            let r = client
                .post("/__debugger__/pinauth")
                .form(&[("pin", guess.as_str()), ("s", &secret)])
                .send()
                .await;
            r.json::<serde_json::Value>()
        });
    }
    let answers = tries.join_all().await;
    let compared = answers
        .iter()
        .filter(|a| a["error"].as_str().unwrap().contains("tries left"))
        .count();
    // Ten were compared (the tenth answered "locked"); the other thirty were not.
    assert_eq!(compared, 9, "{answers:?}");
    let locked = answers.iter().filter(|a| a["exhausted"] == true).count();
    assert_eq!(locked, answers.len() - 9, "{answers:?}");
    assert!(answers.iter().all(|a| a["auth"] == false));
    let r = client
        .post("/__debugger__/pinauth")
        .form(&[("pin", pin.as_str()), ("s", &console.secret)])
        .send()
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn clients_off_this_machine_get_no_console() {
    let client = app(|_| {});
    let lan: std::net::IpAddr = "192.168.1.9".parse().unwrap();
    let r = client.get("/report/1").remote_addr(lan).send().await;
    let page = r.text();
    assert!(!page.contains("data-secret"), "{page}");
    assert!(page.contains("No console for this request"), "{page}");
    assert!(page.contains("DEBUGGER_ALLOWED_CLIENTS"), "{page}");
    // Nor does a request sent from there with a stolen page's secret get in.
    let console = Console::open(&client, "/report/1").await;
    console.unlock().await;
    let r = console.request("1").remote_addr(lan).send().await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().contains("192.168.1.9"));
    // A page on another site whose name resolves to 127.0.0.1 names its own host.
    let r = console
        .request("1")
        .header("Host", "attacker.example:5000")
        .send()
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().contains("DEBUGGER_TRUSTED_HOSTS"));
    // Listed, they are let in.
    let client = app(|c| {
        c.set("DEBUGGER_ALLOWED_CLIENTS", ["192.168.1.9"]);
        c.set("DEBUGGER_TRUSTED_HOSTS", ["devbox.lan"]);
    });
    let r = client
        .get("/report/1")
        .remote_addr(lan)
        .header("Host", "devbox.lan:5000")
        .send()
        .await;
    assert!(r.text().contains("data-secret"));
}

#[tokio::test]
async fn behind_a_proxy_both_the_proxy_and_the_client_must_be_local() {
    let client = app(|c| c.set("PROXY_FIX_X_FOR", 1));
    let console = Console::open(&client, "/report/1").await;
    console.unlock().await;
    let send = |peer: &str, forwarded_for: &str| {
        console
            .request("1")
            .remote_addr(peer.parse().unwrap())
            .header("X-Forwarded-For", forwarded_for)
            .send()
    };
    // A stranger's request, forwarded by a proxy on this machine.
    let r = send("127.0.0.1", "203.0.113.7").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().contains("203.0.113.7"));
    // A stranger who says they are 127.0.0.1, with no proxy in front.
    let r = send("203.0.113.7", "127.0.0.1").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().contains("203.0.113.7"));
    let r = send("127.0.0.1", "127.0.0.1").await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn requests_without_the_page_secret_or_with_an_expired_snapshot_are_refused() {
    let client = app(|_| {});
    let console = Console::open(&client, "/report/1").await;
    console.unlock().await;
    let r = client
        .post("/__debugger__/console")
        .form(&[
            ("cmd", "1"),
            ("snapshot", &console.snapshot),
            ("s", "guessed"),
        ])
        .send()
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().contains("secret"));
    let r = client
        .post("/__debugger__/console")
        .form(&[("cmd", "1"), ("snapshot", "nope"), ("s", &console.secret)])
        .send()
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().contains("send the failing request again"));
    assert_eq!(
        client.get("/__debugger__/console").send().await.status(),
        StatusCode::METHOD_NOT_ALLOWED
    );

    // Snapshots expire.
    let client = app(|c| c.set("DEBUGGER_SNAPSHOT_SECONDS", 0));
    let console = Console::open(&client, "/report/1").await;
    console.unlock().await;
    let (status, answer) = console.send("1").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("expired"));
}

#[tokio::test]
async fn without_debug_there_is_no_console() {
    let client = Flask::new(flask::app_root!())
        .configure(|c| c.set("SECRET_KEY", "debug-console-tests"))
        .route("/report/<int:id>", get(report))
        .test_client();
    assert_eq!(client.app().debugger_pin(), None);
    let page = client.get("/report/1").send().await.text();
    assert!(!page.contains("console"), "{page}");
    for (method, path) in [
        ("POST", "/__debugger__/pinauth"),
        ("POST", "/__debugger__/console"),
        ("GET", "/__debugger__/console.js"),
    ] {
        let r = client
            .request(method.parse().unwrap(), path)
            .form(&[("pin", "123456789"), ("cmd", "config"), ("s", "x")])
            .send()
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{method} {path}");
    }
}

#[tokio::test]
async fn the_console_script_is_served_in_debug_mode() {
    let client = app(|_| {});
    let r = client.get("/__debugger__/console.js").send().await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(r.text().contains("/__debugger__/"));
}
