//! The hello app in a real browser (headless Chromium through chromedriver): log in, read
//! the flashed message after the redirect, and see the debug page of a failing handler.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them). Without them
//! the test is skipped, unless `FLASK_TEST_REQUIRE_SERVICES` is set (`cargo xtask test-all
//! --require-services`), where it fails.

use test_support::browser::fantoccini::{Client, Locator};
use test_support::browser::{self, Browser, step, text_of};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flash_after_redirect_and_the_debug_page() {
    let Some(b) = Browser::launch().await else {
        return;
    };
    // The hello app in debug mode.
    let app = hello::app()
        .configure(|c| {
            c.set("DEBUG", true);
            c.set("SECRET_KEY", "browser-test");
        })
        .build()
        .unwrap();
    let base = browser::serve(app).await;
    b.run("hello", async |c| scenario(c, &base).await).await;
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

async fn scenario(c: &Client, base: &str) -> Result<(), String> {
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
    browser::save_screenshot(c, "hello-debug-page.png").await?;
    Ok(())
}
