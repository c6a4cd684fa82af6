//! The sign-up form in a real browser (headless Chromium through chromedriver), the app on
//! a real port: fill every kind of field (the nested address and a list entry too),
//! submit with a username that is taken, see the message with the other values still in
//! their inputs (the passwords and files excepted), fix it, choose two documents, and land
//! on `/done` with the welcome message. The screenshot of the page with the error is saved
//! as `target/tmp/forms-signup-errors.png`.
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
    let instance = app.instance_path().to_owned();
    let base = browser::serve(app).await;
    // The documents the browser uploads, from a folder of this test's own.
    let files = std::env::temp_dir().join(format!("forms-browser-{}", std::process::id()));
    std::fs::create_dir_all(&files).unwrap();
    let documents = [
        ("paper.pdf", &b"%PDF-1.4 notes"[..]),
        ("diagram.png", &b"PNG"[..]),
    ]
    .map(|(name, bytes)| {
        let path = files.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    });
    b.run("forms", async |c| scenario(c, &base, &documents).await)
        .await;
    let _ = std::fs::remove_dir_all(&files);
    for name in ["ada_lovelace-paper.pdf", "ada_lovelace-diagram.png"] {
        let saved = instance.join("documents").join(name);
        std::fs::remove_file(&saved).unwrap_or_else(|e| panic!("{}: {e}", saved.display()));
    }
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

async fn scenario(c: &Client, base: &str, documents: &[String]) -> Result<(), String> {
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
        ("links-1", "https://github.com/ada"),
        ("phone", "+44 20 7946 0958"),
        ("referral_code", "BABBAGE"),
        ("age", "36"),
        ("height", "165.5"),
        ("donation", "12.50"),
        ("address-street", "12 St James Square"),
        ("address-city", "London"),
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
        ("links-0", ""),
        ("links-1", "https://github.com/ada"),
        ("links-2", ""),
        ("phone", "+44 20 7946 0958"),
        ("referral_code", "BABBAGE"),
        ("age", "36"),
        ("height", "165.5"),
        ("donation", "12.50"),
        ("address-street", "12 St James Square"),
        ("address-city", "London"),
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

    // Another username, the passwords again, two documents (one input, several files: a
    // browser never keeps files across a page), and it goes through.
    type_into(c, "username", "ada_lovelace").await?;
    type_into(c, "password", "analytical engine").await?;
    type_into(c, "confirm", "analytical engine").await?;
    by_id(c, "documents")
        .await?
        .send_keys(&documents.join("\n"))
        .await
        .map_err(step("documents"))?;
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
        ("links", "https://github.com/ada"),
        ("address", "12 St James Square, London"),
        ("documents", "paper.pdf (14 bytes), diagram.png (3 bytes)"),
    ] {
        let text = text_of(c, &format!("dd#{id}")).await?;
        if text != shown {
            return Err(format!("/done's {id}: expected {shown:?}, saw {text:?}"));
        }
    }
    Ok(())
}
