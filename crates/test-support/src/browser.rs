//! Browser tests: headless Chromium through chromedriver (Debian's `chromium` and
//! `chromium-driver`, which `.ci/run` installs), driven over WebDriver with fantoccini,
//! against an app served on a free port of this process.
//!
//! ```no_run
//! use test_support::browser::{self, Browser};
//!
//! # async fn demo(app: flask::App) {
//! let Some(browser) = Browser::launch().await else { return };   // skipped: no Chromium
//! let base = browser::serve(app).await;
//! browser
//!     .run("demo", async |c| {
//!         c.goto(&format!("{base}/")).await.map_err(browser::step("open /"))?;
//!         browser::expect("title", &browser::text_of(c, "h1").await?, "Hello")
//!     })
//!     .await;
//! # }
//! ```

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

pub use fantoccini;

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// chromedriver and chromium, or `None` to skip.
fn programs() -> Option<(PathBuf, PathBuf)> {
    let driver = find_on_path("chromedriver");
    let chromium = find_on_path("chromium").or_else(|| find_on_path("chromium-browser"));
    match (driver, chromium) {
        (Some(d), Some(c)) => Some((d, c)),
        _ if crate::services_required() => panic!(
            "chromium and chromedriver are required: apt-get install -y chromium chromium-driver"
        ),
        _ => {
            eprintln!(
                "skipped: chromium or chromedriver not on PATH (apt-get install -y chromium chromium-driver)"
            );
            None
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// chromedriver on a free port, killed on drop.
#[derive(Debug)]
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

async fn start_driver(path: &Path) -> Driver {
    let port = free_port();
    let child = Command::new(path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", path.display()));
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
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
    driver
}

/// A headless Chromium session, with its chromedriver.
#[derive(Debug)]
pub struct Browser {
    client: Client,
    // Dropped after the client: the session is closed first.
    _driver: Driver,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium (a 1200x1000 window, English), or
    /// returns `None` (the test is skipped) when they are not installed and services are
    /// not required.
    ///
    /// # Panics
    /// When they are missing and services are required, or do not start.
    pub async fn launch() -> Option<Browser> {
        Browser::launch_sized(1200, 1000).await
    }

    /// [`launch`](Browser::launch) with a window of `width` x `height` pixels (a tall one
    /// puts a long form in one screenshot).
    ///
    /// # Panics
    /// As [`launch`](Browser::launch).
    pub async fn launch_sized(width: u32, height: u32) -> Option<Browser> {
        let (driver_path, chromium) = programs()?;
        let driver = start_driver(&driver_path).await;
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".to_owned(),
            serde_json::json!({
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", format!("--window-size={width},{height}"),
                         "--lang=en-US"],
            }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .unwrap_or_else(|e| panic!("a WebDriver session with {}: {e}", driver.url));
        Some(Browser {
            client,
            _driver: driver,
        })
    }

    /// The WebDriver client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Runs `scenario`, closes the session, and fails the test with the scenario's error,
    /// after saving a screenshot of the page as it was (`<name>-failure.png` in
    /// [`artifact_dir`]).
    ///
    /// # Panics
    /// When the scenario fails.
    pub async fn run<F>(self, name: &str, scenario: F)
    where
        F: AsyncFnOnce(&Client) -> Result<(), String>,
    {
        let result = scenario(&self.client).await;
        if result.is_err() {
            match save_screenshot(&self.client, &format!("{name}-failure.png")).await {
                Ok(path) => eprintln!("screenshot of the failure: {}", path.display()),
                Err(e) => eprintln!("no screenshot of the failure: {e}"),
            }
        }
        let _ = self.client.clone().close().await;
        if let Err(e) = result {
            panic!("{name}: {e}");
        }
    }
}

/// Serves `app` on a free port for the browser (see [`crate::http::serve`]).
pub use crate::http::serve;

/// Where test artifacts (screenshots) go: `FLASK_TEST_ARTIFACTS` if set, else
/// `target/tmp` (cargo's scratch folder for tests, found from the test binary's path),
/// made if missing.
pub fn artifact_dir() -> PathBuf {
    let dir = std::env::var_os("FLASK_TEST_ARTIFACTS")
        .map(PathBuf::from)
        .or_else(|| {
            // target/<profile>/deps/<test binary>
            let exe = std::env::current_exe().ok()?;
            Some(exe.parent()?.parent()?.parent()?.join("tmp"))
        })
        .unwrap_or_else(std::env::temp_dir);
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// Saves a PNG screenshot of the page as `name` in [`artifact_dir`]; returns its path.
///
/// # Errors
/// When the browser cannot take it or the file cannot be written.
pub async fn save_screenshot(c: &Client, name: &str) -> Result<PathBuf, String> {
    let png = c.screenshot().await.map_err(step("screenshot"))?;
    let path = artifact_dir().join(name);
    std::fs::write(&path, png).map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(path)
}

/// Turns a WebDriver error into a message saying which step failed.
pub fn step(what: &str) -> impl FnOnce(CmdError) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// Checks that `what` shows `expected`.
///
/// # Errors
/// A message naming `what`, what was expected and what was seen.
pub fn expect(what: &str, seen: &str, expected: &str) -> Result<(), String> {
    if seen == expected {
        Ok(())
    } else {
        Err(format!("{what}: expected {expected:?}, saw {seen:?}"))
    }
}

/// Opens `url`.
///
/// # Errors
/// When the browser cannot.
pub async fn open(c: &Client, url: &str) -> Result<(), String> {
    c.goto(url).await.map_err(|e| format!("open {url}: {e}"))
}

/// The element `css` matches, waiting for it to appear.
///
/// # Errors
/// When none appears.
pub async fn find(c: &Client, css: &str) -> Result<Element, String> {
    c.wait()
        .for_element(Locator::Css(css))
        .await
        .map_err(step(css))
}

/// The element of id `id`.
///
/// # Errors
/// When there is none.
pub async fn by_id(c: &Client, id: &str) -> Result<Element, String> {
    c.find(Locator::Id(id)).await.map_err(step(id))
}

/// Types `text` into the input of id `id`, emptied first.
///
/// # Errors
/// When there is no such input.
pub async fn type_into(c: &Client, id: &str, text: &str) -> Result<(), String> {
    let input = by_id(c, id).await?;
    input.clear().await.map_err(step(id))?;
    input.send_keys(text).await.map_err(step(id))
}

/// The current value of the input, textarea or select of id `id`.
///
/// # Errors
/// When there is none.
pub async fn value_of(c: &Client, id: &str) -> Result<String, String> {
    by_id(c, id)
        .await?
        .prop("value")
        .await
        .map_err(step(id))
        .map(Option::unwrap_or_default)
}

/// The text of the first element `css` matches, waiting for it to appear.
///
/// # Errors
/// When none appears.
pub async fn text_of(c: &Client, css: &str) -> Result<String, String> {
    find(c, css).await?.text().await.map_err(step(css))
}

/// The texts of every element `css` matches (none is an empty list).
///
/// # Errors
/// When the browser cannot say.
pub async fn texts_of(c: &Client, css: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for e in c.find_all(Locator::Css(css)).await.map_err(step(css))? {
        out.push(e.text().await.map_err(step(css))?);
    }
    Ok(out)
}

/// Clicks the element `css` matches.
///
/// # Errors
/// When there is none.
pub async fn click(c: &Client, css: &str) -> Result<(), String> {
    find(c, css).await?.click().await.map_err(step(css))
}

/// The path of the page the browser is on.
///
/// # Errors
/// When the browser cannot say.
pub async fn path(c: &Client) -> Result<String, String> {
    Ok(c.current_url()
        .await
        .map_err(step("current url"))?
        .path()
        .to_owned())
}

/// Runs `check` until it passes, for up to 10 seconds (a page that is still loading after
/// a click); returns its last error if it never does.
///
/// # Errors
/// The last failure of `check`.
pub async fn eventually<F>(mut check: F) -> Result<(), String>
where
    F: AsyncFnMut() -> Result<(), String>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match check().await {
            Ok(()) => return Ok(()),
            Err(e) if Instant::now() >= deadline => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Waits until the browser is on `expected` (a path), after a click that navigates.
///
/// # Errors
/// When it is elsewhere after 10 seconds.
pub async fn wait_for_path(c: &Client, expected: &str) -> Result<(), String> {
    eventually(async || expect("the page's path", &path(c).await?, expected)).await
}
