//! The hello app in a real browser (headless Chromium through chromedriver): log in, read
//! the flashed message after the redirect, and see the debug page of a failing handler.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them). Without them
//! the test is skipped, unless `FLASK_TEST_REQUIRE_SERVICES` is set (`cargo xtask test-all
//! --require-services`), where it fails.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

async fn start_driver(path: &PathBuf) -> Driver {
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

async fn connect(driver: &Driver, chromium: &PathBuf) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_owned(),
        serde_json::json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1200,1600"],
        }),
    );
    ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a WebDriver session")
}

/// The hello app in debug mode on a free port, served by this test process.
async fn serve_app() -> SocketAddr {
    let app = hello::app()
        .configure(|c| {
            c.set("DEBUG", true);
            c.set("SECRET_KEY", "browser-test");
        })
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flash_after_redirect_and_the_debug_page() {
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
        let path = std::env::temp_dir().join("hello-browser-failure.png");
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

/// Fills the login form and submits it.
async fn log_in(c: &Client, username: &str, password: &str) -> Result<(), String> {
    for (id, value) in [("username", username), ("password", password)] {
        c.find(Locator::Id(id))
            .await
            .map_err(step(id))?
            .send_keys(value)
            .await
            .map_err(step(id))?;
    }
    c.find(Locator::Id("submit"))
        .await
        .map_err(step("submit"))?
        .click()
        .await
        .map_err(step("click"))
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

async fn scenario(c: &Client, addr: SocketAddr) -> Result<(), String> {
    let base = format!("http://{addr}");
    // A wrong password shows the form again with the error.
    c.goto(&format!("{base}/login"))
        .await
        .map_err(step("open /login"))?;
    log_in(c, "admin", "wrong").await?;
    let error = text_of(c, "p.error").await?;
    if error != "Error: Invalid credentials" {
        return Err(format!("expected the credentials error, saw {error:?}"));
    }

    // The right password redirects to /hello/, which shows the flashed message once.
    log_in(c, "admin", "secret").await?;
    let flash = text_of(c, "ul.flashes li").await?;
    if flash != "You were successfully logged in" {
        return Err(format!("expected the flashed message, saw {flash:?}"));
    }
    let url = c.current_url().await.map_err(step("current url"))?;
    if url.path() != "/hello/" {
        return Err(format!("expected to land on /hello/, at {url}"));
    }
    c.refresh().await.map_err(step("reload"))?;
    c.wait()
        .for_element(Locator::Css("h1"))
        .await
        .map_err(step("h1 after reload"))?;
    if c.find(Locator::Css("ul.flashes")).await.is_ok() {
        return Err("the flashed message showed twice".to_owned());
    }

    // A failing handler in debug mode: the debug page, with the app's own source line.
    c.goto(&format!("{base}/divide/1/0"))
        .await
        .map_err(step("open /divide/1/0"))?;
    let message = text_of(c, "p.errormsg").await?;
    if message != "cannot divide 1 by zero" {
        return Err(format!("expected the division error, saw {message:?}"));
    }
    let frame = text_of(c, "div.frame.app h4").await?;
    if !frame.contains("src/lib.rs") || !frame.contains("hello::divide") {
        return Err(format!(
            "expected the frame of hello::divide, saw {frame:?}"
        ));
    }
    let line = text_of(c, "div.frame.app span.current").await?;
    if !line.contains("a.checked_div(b)") {
        return Err(format!("expected the failing source line, saw {line:?}"));
    }
    if let Ok(png) = c.screenshot().await {
        let _ = std::fs::write(std::env::temp_dir().join("hello-debug-page.png"), png);
    }
    Ok(())
}
