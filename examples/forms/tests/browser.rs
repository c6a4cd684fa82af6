//! The sign-up form in a real browser (headless Chromium through chromedriver), the app on
//! a real port: fill every kind of field, submit with a username that is taken, see the
//! message with the other values still in their inputs (the passwords excepted), fix it,
//! and land on `/done` with the welcome message. The screenshot of the page with the error
//! is saved as `target/tmp/forms-signup-errors.png`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them). Without them
//! the test is skipped, unless `FLASK_TEST_REQUIRE_SERVICES` is set (`cargo xtask test-all
//! --require-services`), where it fails.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// chromedriver and chromium, or `None` to skip.
fn browser() -> Option<(PathBuf, PathBuf)> {
    let driver = find_on_path("chromedriver");
    let chromium = find_on_path("chromium").or_else(|| find_on_path("chromium-browser"));
    match (driver, chromium) {
        (Some(d), Some(c)) => Some((d, c)),
        _ if std::env::var_os("FLASK_TEST_REQUIRE_SERVICES").is_some() => {
            panic!(
                "chromium and chromedriver are required: apt-get install -y chromium chromium-driver"
            )
        }
        _ => {
            eprintln!(
                "skipped: chromium or chromedriver not on PATH (apt-get install -y chromium chromium-driver)"
            );
            None
        }
    }
}

/// chromedriver on a free port, killed on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_driver(path: &Path) -> Driver {
    let port = free_port();
    let child = Command::new(path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not listen on {port}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    }
}

async fn connect(driver: &Driver, chromium: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_owned(),
        serde_json::json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1200,2400", "--lang=en-US"],
        }),
    );
    ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a WebDriver session")
}

/// The forms app on a free port, served by this test process.
async fn serve_app() -> SocketAddr {
    let app = forms::app()
        .configure(|c| c.set("SECRET_KEY", "browser-test"))
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        app.serve_with_shutdown(listener, std::future::pending())
            .await
    });
    addr
}

/// Where screenshots go: `target/tmp` (cargo's scratch directory for integration tests).
fn screenshot_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_with_an_error_then_fixed() {
    let Some((driver_path, chromium)) = browser() else {
        return;
    };
    let addr = serve_app().await;
    let driver = start_driver(&driver_path).await;
    let c = connect(&driver, &chromium).await;
    let result = scenario(&c, addr).await;
    if result.is_err()
        && let Ok(png) = c.screenshot().await
    {
        let path = screenshot_path("forms-browser-failure.png");
        let _ = std::fs::write(&path, png);
        eprintln!("screenshot of the failure: {}", path.display());
    }
    let _ = c.close().await;
    result.unwrap();
}

/// Turns a WebDriver error into a message saying which step failed.
fn step(what: &str) -> impl FnOnce(fantoccini::error::CmdError) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// The element of id `id`.
async fn by_id(c: &Client, id: &str) -> Result<Element, String> {
    c.find(Locator::Id(id)).await.map_err(step(id))
}

/// Types `text` into the input of id `id`, emptied first.
async fn type_into(c: &Client, id: &str, text: &str) -> Result<(), String> {
    let input = by_id(c, id).await?;
    input.clear().await.map_err(step(id))?;
    input.send_keys(text).await.map_err(step(id))
}

/// Sets the value of a date, datetime-local or time input: what keys type there depends
/// on the browser's locale, the value does not.
async fn set_value(c: &Client, id: &str, value: &str) -> Result<(), String> {
    let input = by_id(c, id).await?;
    c.execute(
        "arguments[0].value = arguments[1];",
        vec![
            serde_json::to_value(&input).map_err(|e| format!("{id}: {e}"))?,
            serde_json::Value::from(value),
        ],
    )
    .await
    .map_err(step(id))?;
    Ok(())
}

/// The current value of the input, textarea or select of id `id`.
async fn value_of(c: &Client, id: &str) -> Result<String, String> {
    by_id(c, id)
        .await?
        .prop("value")
        .await
        .map_err(step(id))
        .map(Option::unwrap_or_default)
}

/// Whether the checkbox, radio button or option `css` is checked or selected.
async fn is_selected(c: &Client, css: &str) -> Result<bool, String> {
    c.find(Locator::Css(css))
        .await
        .map_err(step(css))?
        .is_selected()
        .await
        .map_err(step(css))
}

/// The text of the first element `css` matches, waiting for it to appear.
async fn text_of(c: &Client, css: &str) -> Result<String, String> {
    c.wait()
        .for_element(Locator::Css(css))
        .await
        .map_err(step(css))?
        .text()
        .await
        .map_err(step(css))
}

async fn submit(c: &Client) -> Result<(), String> {
    by_id(c, "submit")
        .await?
        .click()
        .await
        .map_err(step("click Sign up"))
}

/// Checks that `what` shows `expected`.
fn expect(what: &str, seen: &str, expected: &str) -> Result<(), String> {
    if seen == expected {
        Ok(())
    } else {
        Err(format!("{what}: expected {expected:?}, saw {seen:?}"))
    }
}

async fn scenario(c: &Client, addr: SocketAddr) -> Result<(), String> {
    let base = format!("http://{addr}");
    c.goto(&format!("{base}/")).await.map_err(step("open /"))?;
    expect(
        "title",
        &text_of(c, "header h1").await?,
        "Create your account",
    )?;

    // Everything right but the username: "admin" is reserved, which only the server knows.
    for (id, text) in [
        ("username", "admin"),
        ("email", "ada@example.com"),
        ("password", "analytical engine"),
        ("confirm", "analytical engine"),
        ("bio", "Wrote the first program."),
        ("website", "https://ada.example.com"),
        ("phone", "+44 20 7946 0958"),
        ("referral_code", "BABBAGE"),
        ("age", "36"),
        ("height", "165.5"),
        ("donation", "12.50"),
    ] {
        type_into(c, id, text).await?;
    }
    by_id(c, "newsletter")
        .await?
        .click()
        .await
        .map_err(step("newsletter"))?;
    by_id(c, "country")
        .await?
        .select_by_value("gb")
        .await
        .map_err(step("country"))?;
    let interests = by_id(c, "interests").await?;
    for value in ["rust", "databases"] {
        interests
            .select_by_value(value)
            .await
            .map_err(step("interests"))?;
    }
    by_id(c, "plan-1")
        .await?
        .click()
        .await
        .map_err(step("plan"))?;
    set_value(c, "birthday", "1815-12-10").await?;
    set_value(c, "first_call", "1843-07-01T10:30").await?;
    set_value(c, "call_time", "07:15").await?;
    submit(c).await?;

    // The form again, with the message under the username...
    let error = text_of(c, "#username-errors li").await?;
    expect("username error", &error, "The username admin is taken.")?;
    expect(
        "summary",
        &text_of(c, ".flash.error").await?,
        "Please correct the 1 field below.",
    )?;
    if let Ok(png) = c.screenshot().await {
        let _ = std::fs::write(screenshot_path("forms-signup-errors.png"), png);
    }
    // ...and what was typed still there, but the passwords.
    for (id, typed) in [
        ("username", "admin"),
        ("email", "ada@example.com"),
        ("bio", "Wrote the first program."),
        ("website", "https://ada.example.com"),
        ("phone", "+44 20 7946 0958"),
        ("referral_code", "BABBAGE"),
        ("age", "36"),
        ("height", "165.5"),
        ("donation", "12.50"),
        ("country", "gb"),
        ("birthday", "1815-12-10"),
        ("first_call", "1843-07-01T10:30"),
        ("call_time", "07:15"),
        ("password", ""),
        ("confirm", ""),
    ] {
        let value = value_of(c, id).await?;
        if value != typed {
            return Err(format!(
                "{id} after the error: expected {typed:?}, saw {value:?}"
            ));
        }
    }
    for (css, selected) in [
        ("#newsletter", true),
        ("#plan-1", true),
        ("#plan-0", false),
        ("#interests option[value=rust]", true),
        ("#interests option[value=python]", false),
        ("#interests option[value=databases]", true),
    ] {
        if is_selected(c, css).await? != selected {
            return Err(format!(
                "{css} after the error: selected should be {selected}"
            ));
        }
    }

    // Another username, the passwords again, and it goes through.
    type_into(c, "username", "ada_lovelace").await?;
    type_into(c, "password", "analytical engine").await?;
    type_into(c, "confirm", "analytical engine").await?;
    submit(c).await?;
    let flash = text_of(c, ".flash.success").await?;
    expect("welcome", &flash, "Welcome, ada_lovelace!")?;
    let url = c.current_url().await.map_err(step("current url"))?;
    if url.path() != "/done" {
        return Err(format!("expected to land on /done, at {url}"));
    }
    for (id, shown) in [
        ("username", "ada_lovelace"),
        ("email", "ada@example.com"),
        ("age", "36"),
        ("height", "165.5 cm"),
        ("donation", "12.50 €"),
        ("newsletter", "Yes"),
        ("country", "United Kingdom"),
        ("interests", "Rust, Databases"),
        ("plan", "Pro (5 € a month)"),
        ("birthday", "1815-12-10"),
        ("first_call", "1843-07-01T10:30:00"),
        ("call_time", "07:15:00"),
        ("plan_source", "signup-page"),
    ] {
        let text = text_of(c, &format!("dd#{id}")).await?;
        if text != shown {
            return Err(format!("/done's {id}: expected {shown:?}, saw {text:?}"));
        }
    }
    Ok(())
}
