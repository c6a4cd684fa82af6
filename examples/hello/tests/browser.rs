//! The hello app in a real browser (headless Chromium through chromedriver): log in, read
//! the flashed message after the redirect, see the debug page of a failing handler, and
//! unlock its console with the PIN to evaluate expressions against the failed request.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them). Without them
//! the test is skipped, unless `FLASK_TEST_REQUIRE_SERVICES` is set (`cargo xtask test-all
//! --require-services`), where it fails.

use test_support::browser::fantoccini::{Client, Locator};
use test_support::browser::{self, Browser, step, text_of};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flash_after_redirect_the_debug_page_and_its_console() {
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
    let pin = app.debugger_pin().expect("debug mode has a PIN");
    let base = browser::serve(app).await;
    b.run("hello", async |c| scenario(c, &base, &pin).await)
        .await;
}

/// Types `text` into the element at `css`, then Enter.
async fn enter(c: &Client, css: &str, text: &str) -> Result<(), String> {
    let input = c.find(Locator::Css(css)).await.map_err(step(css))?;
    input.clear().await.map_err(step(css))?;
    input
        .send_keys(&format!("{text}\u{E007}"))
        .await
        .map_err(step(css))
}

/// Evaluates `line` in the console and waits for `shown` at the end of its output.
async fn evaluate(c: &Client, line: &str, shown: &str) -> Result<(), String> {
    enter(c, "#console-prompt input[name=cmd]", line).await?;
    let expected = format!(">>> {line}\n{shown}");
    browser::eventually(async || {
        let output = text_of(c, "#console-output").await?;
        if output.trim_end().ends_with(expected.trim_end()) {
            Ok(())
        } else {
            Err(format!(
                "expected the console to end with {expected:?}, saw {output:?}"
            ))
        }
    })
    .await
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

async fn scenario(c: &Client, base: &str, pin: &str) -> Result<(), String> {
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

    // The console under the traceback is locked: a wrong PIN is refused, with the tries left.
    if c.find(Locator::Css("#console-prompt"))
        .await
        .map_err(step("the prompt"))?
        .is_displayed()
        .await
        .map_err(step("the prompt"))?
    {
        return Err("the console's prompt shows before the PIN is typed".to_owned());
    }
    let wrong = if pin.starts_with('1') {
        "222-222-222"
    } else {
        "111-111-111"
    };
    enter(c, "#console-pin input[name=pin]", wrong).await?;
    browser::eventually(async || {
        let message = text_of(c, "#console-pin-message").await?;
        if message.contains("wrong PIN (9 tries left") {
            Ok(())
        } else {
            Err(format!("expected the wrong-PIN message, saw {message:?}"))
        }
    })
    .await?;
    // The PIN printed at startup unlocks it; expressions see the failed request.
    enter(c, "#console-pin input[name=pin]", pin).await?;
    browser::eventually(async || {
        let shown = c
            .find(Locator::Css("#console-prompt"))
            .await
            .map_err(step("the prompt"))?
            .is_displayed()
            .await
            .map_err(step("the prompt"))?;
        if shown {
            Ok(())
        } else {
            Err("the prompt is still hidden after the PIN".to_owned())
        }
    })
    .await?;
    evaluate(c, "request.path", "'/divide/1/0'").await?;
    evaluate(c, "set a = view_args.a", "").await?;
    evaluate(
        c,
        "[a * 40 + 2, error.message]",
        "[42, 'cannot divide 1 by zero']",
    )
    .await?;
    browser::save_screenshot(c, "hello-debug-page.png").await?;
    Ok(())
}
