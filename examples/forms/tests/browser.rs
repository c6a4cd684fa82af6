//! The sign-up form in a real browser (headless Chromium through chromedriver), the app on
//! a real port: fill every kind of field, submit with a username that is taken, see the
//! message with the other values still in their inputs (the passwords excepted), fix it,
//! and land on `/done` with the welcome message. The screenshot of the page with the error
//! is saved as `target/tmp/forms-signup-errors.png`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them). Without them
//! the test is skipped, unless `FLASK_TEST_REQUIRE_SERVICES` is set (`cargo xtask test-all
//! --require-services`), where it fails.

use test_support::browser::fantoccini::{Client, Locator};
use test_support::browser::{self, Browser, by_id, expect, step, text_of, type_into, value_of};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_with_an_error_then_fixed() {
    // A tall window: the whole form in one screenshot.
    let Some(b) = Browser::launch_sized(1200, 2400).await else {
        return;
    };
    let app = forms::app()
        .configure(|c| c.set("SECRET_KEY", "browser-test"))
        .build()
        .unwrap();
    let base = browser::serve(app).await;
    b.run("forms", async |c| scenario(c, &base).await).await;
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

/// Whether the checkbox, radio button or option `css` is checked or selected.
async fn is_selected(c: &Client, css: &str) -> Result<bool, String> {
    c.find(Locator::Css(css))
        .await
        .map_err(step(css))?
        .is_selected()
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

async fn scenario(c: &Client, base: &str) -> Result<(), String> {
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
    browser::save_screenshot(c, "forms-signup-errors.png").await?;
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
