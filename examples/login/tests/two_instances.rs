//! Two instances of the app on two real ports, sharing PostgreSQL (the users) and Redis
//! (the sessions), driven over HTTP/1.1 as a browser behind a load balancer would: a login
//! made on one is honoured by the other, a logout on one ends it on both, and the
//! remember-me cookie of one logs in on the other.
//!
//! Needs `FLASK_TEST_POSTGRES_URL` and `FLASK_TEST_REDIS_URL`; skipped without them (a
//! failure when `FLASK_TEST_REQUIRE_SERVICES` is set).

use std::collections::BTreeMap;
use std::net::SocketAddr;

use flask_sqlalchemy::{Engine, EngineOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The schema of this test in the PostgreSQL database.
const SCHEMA: &str = "login_two_instances";

/// The URL of `var`, or `None` to skip (a failure when the run requires services).
fn service(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) => Some(url),
        Err(_) if std::env::var_os("FLASK_TEST_REQUIRE_SERVICES").is_some() => {
            panic!("{var} is not set but services are required")
        }
        Err(_) => {
            eprintln!("skipped: {var} is not set");
            None
        }
    }
}

/// Runs `sql` on the server at `url`.
async fn execute(url: &str, sql: &str) {
    let engine = Engine::connect(url, std::env::temp_dir().as_ref(), EngineOptions::default())
        .await
        .unwrap();
    engine.execute(flask_sqlalchemy::text(sql)).await.unwrap();
    engine.close().await;
}

/// One instance of the app, served on a loopback port until dropped.
struct Instance {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<Result<(), flask::BoxError>>>,
}

impl Instance {
    /// `login::app()` as every instance of a deployment runs it: the same secret key,
    /// database and Redis. Started (table created, Redis connected) before it returns.
    async fn start(database: &str, redis: &str) -> Instance {
        let app = login::app()
            .configure(|c| {
                c.set("SECRET_KEY", "the key every instance shares");
                c.set("SQLALCHEMY_DATABASE_URI", database);
                c.set("SESSION_TYPE", "redis");
                c.set("SESSION_URL", redis);
            })
            .build()
            .unwrap();
        // Here rather than in the server task, so that the second instance starts after
        // the first made the table.
        app.startup().await.unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.serve_with_shutdown(listener, async {
            let _ = stopped.await;
        }));
        Instance {
            addr,
            stop: Some(stop),
            server: Some(server),
        }
    }

    /// Stops the server, after the requests in flight.
    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// A response as read off the socket.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A browser's cookie jar: the two instances are on one host (127.0.0.1), and browsers
/// do not keep cookies apart by port, so one jar serves both.
#[derive(Debug, Default, Clone)]
struct Browser {
    jar: BTreeMap<String, String>,
}

impl Browser {
    async fn get(&mut self, to: &Instance, path: &str) -> Reply {
        self.send(to, "GET", path, None).await
    }

    async fn post(&mut self, to: &Instance, path: &str, form: &[(&str, &str)]) -> Reply {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.send(to, "POST", path, Some(body)).await
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.jar.get(name).cloned()
    }

    /// One request on its own connection (`Connection: close`), read to the end.
    async fn send(
        &mut self,
        to: &Instance,
        method: &str,
        path: &str,
        body: Option<String>,
    ) -> Reply {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            to.addr
        );
        if !self.jar.is_empty() {
            let cookies: Vec<String> = self.jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
            head.push_str(&format!("Cookie: {}\r\n", cookies.join("; ")));
        }
        let body = body.unwrap_or_default();
        if method == "POST" {
            head.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        head.push_str(&body);

        let mut conn = TcpStream::connect(to.addr).await.unwrap();
        conn.write_all(head.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        conn.read_to_end(&mut raw).await.unwrap();
        let reply = parse(&raw);
        for (name, value) in &reply.headers {
            if name.eq_ignore_ascii_case("set-cookie") {
                self.store(value);
            }
        }
        reply
    }

    /// A `Set-Cookie` header: a new value, or a removal (empty, `Max-Age=0`).
    fn store(&mut self, set_cookie: &str) {
        let mut parts = set_cookie.split(';').map(str::trim);
        let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
            return;
        };
        let removed = value.is_empty()
            || parts.any(|p| {
                p.split_once('=')
                    .is_some_and(|(k, v)| k.eq_ignore_ascii_case("max-age") && v.trim() == "0")
            });
        if removed {
            self.jar.remove(name);
        } else {
            self.jar.insert(name.to_owned(), value.to_owned());
        }
    }
}

/// Percent-encodes a form value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Status line, headers and body (de-chunked) of an HTTP/1.1 response.
fn parse(raw: &[u8]) -> Reply {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of headers in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// The data of a chunked body.
fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&rest[..eol]);
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = eol + 2;
        out.extend_from_slice(&rest[start..start + size]);
        rest = &rest[(start + size + 2).min(rest.len())..];
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_are_shared_by_two_instances() {
    let (Some(postgres), Some(redis)) = (
        service("FLASK_TEST_POSTGRES_URL"),
        service("FLASK_TEST_REDIS_URL"),
    ) else {
        return;
    };
    // A schema of this test's own, empty.
    execute(
        &postgres,
        &format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"),
    )
    .await;
    execute(&postgres, &format!("CREATE SCHEMA {SCHEMA}")).await;
    let database = format!("{postgres}?options=-c%20search_path%3D{SCHEMA}");
    let one = Instance::start(&database, &redis).await;
    let two = Instance::start(&database, &redis).await;
    assert_ne!(one.addr, two.addr);

    // Register and log in ("Remember me" ticked) on the first instance.
    let mut browser = Browser::default();
    let r = browser
        .post(
            &one,
            "/auth/register",
            &[("email", "ada@example.com"), ("password", "correct horse")],
        )
        .await;
    assert_eq!(r.status, 302, "{r:?}");
    assert_eq!(r.header("location"), Some("/auth/login"));
    let r = browser
        .post(
            &one,
            "/auth/login?next=%2Fprofile",
            &[
                ("email", "ada@example.com"),
                ("password", "correct horse"),
                ("remember", "on"),
            ],
        )
        .await;
    assert_eq!(r.status, 302, "{r:?}");
    assert_eq!(r.header("location"), Some("/profile"));
    let session = browser.cookie("session").expect("a session cookie");
    assert!(browser.cookie("remember_token").is_some(), "{browser:?}");

    // The second instance knows the login: the session is in Redis, the user in PostgreSQL.
    let r = browser.get(&two, "/profile").await;
    assert_eq!(r.status, 200, "{r:?}");
    assert!(
        r.body
            .contains("<li><span>Logged in as ada@example.com</span>"),
        "{}",
        r.body
    );
    assert!(r.body.contains(r#"<dd class="fresh">Fresh:"#), "{}", r.body);
    // Fresh there too: the settings open without the password.
    assert_eq!(browser.get(&two, "/settings").await.status, 200);
    assert_eq!(browser.get(&one, "/profile").await.status, 200);

    // With the session cookie only, as well (the session, not the remember-me cookie).
    let mut session_only = Browser::default();
    session_only
        .jar
        .insert("session".to_owned(), session.clone());
    let r = session_only.get(&two, "/profile").await;
    assert_eq!(r.status, 200, "{r:?}");
    assert!(
        r.body.contains(r#"<dd class="remembered">Not remembered:"#),
        "{}",
        r.body
    );

    // Logging out on the second instance ends the session on the first.
    let r = browser.post(&two, "/auth/logout", &[]).await;
    assert_eq!(r.status, 302, "{r:?}");
    assert_eq!(r.header("location"), Some("/"));
    assert!(browser.cookie("remember_token").is_none(), "{browser:?}");
    let r = browser.get(&one, "/profile").await;
    assert_eq!(r.status, 302, "{r:?}");
    assert_eq!(r.header("location"), Some("/auth/login?next=%2Fprofile"));
    // Whoever kept the old session cookie is logged out too: it names a deleted session.
    let r = session_only.get(&one, "/profile").await;
    assert_eq!(r.status, 302, "{r:?}");
    let page = browser.get(&one, "/").await.body;
    assert!(page.contains("Hello, stranger!"), "{page}");

    // A remember-me cookie set by the first instance logs in on the second (a browser
    // restarted, with no session cookie): same secret key, same users.
    let mut laptop = Browser::default();
    let r = laptop
        .post(
            &one,
            "/auth/login",
            &[
                ("email", "ada@example.com"),
                ("password", "correct horse"),
                ("remember", "on"),
            ],
        )
        .await;
    assert_eq!(r.status, 302, "{r:?}");
    let remember = laptop
        .cookie("remember_token")
        .expect("a remember-me cookie");
    let mut restarted = Browser::default();
    restarted
        .jar
        .insert("remember_token".to_owned(), remember.clone());
    let r = restarted.get(&two, "/profile").await;
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.body.contains(r#"<dd class="email">ada@example.com</dd>"#));
    assert!(
        r.body.contains(r#"<dd class="fresh">Not fresh:"#),
        "{}",
        r.body
    );
    assert!(restarted.cookie("session").is_some());
    // Not fresh: the settings want the password, asked on one instance, typed on the other.
    let r = restarted.get(&two, "/settings").await;
    assert_eq!(r.status, 302, "{r:?}");
    assert_eq!(r.header("location"), Some("/auth/reauth?next=%2Fsettings"));
    let r = restarted
        .post(
            &one,
            "/auth/reauth?next=%2Fsettings",
            &[("password", "correct horse")],
        )
        .await;
    assert_eq!(r.status, 302, "{r:?}");
    assert_eq!(r.header("location"), Some("/settings"));
    let r = restarted.get(&two, "/settings").await;
    assert_eq!(r.status, 200, "{r:?}");

    // A remember-me cookie whose signature does not hold is refused by both.
    let mut stranger = Browser::default();
    let mut tampered = remember.clone();
    let last = if tampered.ends_with('0') { '1' } else { '0' };
    tampered.pop();
    tampered.push(last);
    stranger.jar.insert("remember_token".to_owned(), tampered);
    assert_eq!(stranger.get(&one, "/profile").await.status, 302);
    assert_eq!(stranger.get(&two, "/profile").await.status, 302);

    one.stop().await;
    two.stop().await;
    execute(
        &postgres,
        &format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"),
    )
    .await;
}
