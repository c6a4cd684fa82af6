//! The task board in a real browser (headless Chromium through chromedriver), the built
//! front end served by the app on a real port: sign up, add cards, edit one, reorder them,
//! mark one done, reload on a client route, log out. A screenshot of the board is saved as
//! `target/tmp/spa-board.png`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them). Without them
//! the test is skipped, unless `FLASK_TEST_REQUIRE_SERVICES` is set.

use test_support::browser::fantoccini::Client;
use test_support::browser::{
    self, Browser, click, eventually, expect, find, open, save_screenshot, text_of, texts_of,
    wait_for_path,
};

/// Types `text` into the element of `data-testid` `id`, emptied first.
async fn type_in(c: &Client, id: &str, text: &str) -> Result<(), String> {
    let input = find(c, &format!("[data-testid={id}]")).await?;
    input.clear().await.map_err(browser::step(id))?;
    input.send_keys(text).await.map_err(browser::step(id))
}

/// Clicks the element of `data-testid` `id`.
async fn press(c: &Client, id: &str) -> Result<(), String> {
    click(c, &format!("[data-testid={id}]")).await
}

/// Clicks the button `id` of the `n`th card (from 1).
async fn press_on_card(c: &Client, n: usize, id: &str) -> Result<(), String> {
    click(
        c,
        &format!("[data-testid=card]:nth-of-type({n}) [data-testid={id}]"),
    )
    .await
}

/// Waits until the board shows these titles, in this order.
async fn titles_are(c: &Client, expected: &[&str]) -> Result<(), String> {
    eventually(async || {
        let titles = texts_of(c, "[data-testid=card-title]").await?;
        if titles == expected {
            Ok(())
        } else {
            Err(format!("the board shows {titles:?}, not {expected:?}"))
        }
    })
    .await
}

/// Whether each card's done box is checked, in order.
async fn done_boxes(c: &Client) -> Result<Vec<bool>, String> {
    let value = c
        .execute(
            "return [...document.querySelectorAll('[data-testid=card-done]')].map(b => b.checked);",
            vec![],
        )
        .await
        .map_err(browser::step("the done boxes"))?;
    Ok(value
        .as_array()
        .map(|a| a.iter().map(|b| b.as_bool().unwrap_or(false)).collect())
        .unwrap_or_default())
}

async fn scenario(c: &Client, base: &str) -> Result<(), String> {
    // Logged out, the app sends the browser to its login view.
    open(c, &format!("{base}/")).await?;
    wait_for_path(c, "/login").await?;

    // A wrong password, then signing up.
    type_in(c, "username", "ada").await?;
    type_in(c, "password", "wrong password").await?;
    press(c, "login").await?;
    expect(
        "a failed login",
        &text_of(c, "[data-testid=error]").await?,
        "Wrong username or password.",
    )?;
    press(c, "to-register").await?;
    type_in(c, "username", "ada").await?;
    type_in(c, "password", "analytical engine").await?;
    press(c, "register").await?;
    wait_for_path(c, "/").await?;
    expect("who", &text_of(c, "[data-testid=whoami]").await?, "ada")?;

    // Three cards.
    let mut added: Vec<&str> = Vec::new();
    for title in ["write the spec", "build it", "ship it"] {
        type_in(c, "new-card-title", title).await?;
        press(c, "add-card").await?;
        added.push(title);
        titles_are(c, &added).await?;
    }

    // Edit the second.
    press_on_card(c, 2, "card-edit").await?;
    type_in(c, "card-title-input", "build it well").await?;
    press(c, "card-save").await?;
    titles_are(c, &["write the spec", "build it well", "ship it"]).await?;

    // Move the first down, and the last up.
    press_on_card(c, 1, "card-down").await?;
    titles_are(c, &["build it well", "write the spec", "ship it"]).await?;
    press_on_card(c, 3, "card-up").await?;
    titles_are(c, &["build it well", "ship it", "write the spec"]).await?;

    // Done.
    press_on_card(c, 1, "card-done").await?;
    eventually(async || {
        let boxes = done_boxes(c).await?;
        if boxes == [true, false, false] {
            Ok(())
        } else {
            Err(format!("the done boxes: {boxes:?}"))
        }
    })
    .await?;

    // A reload keeps it all (the server has it), and a client route loads on its own.
    open(c, &format!("{base}/")).await?;
    titles_are(c, &["build it well", "ship it", "write the spec"]).await?;
    expect(
        "the done boxes after a reload",
        &format!("{:?}", done_boxes(c).await?),
        "[true, false, false]",
    )?;
    save_screenshot(c, "spa-board.png").await?;
    open(c, &format!("{base}/tokens")).await?;
    expect(
        "who, on /tokens",
        &text_of(c, "[data-testid=whoami]").await?,
        "ada",
    )?;

    // Log out: the login view, and the board is no longer reachable.
    press(c, "logout").await?;
    wait_for_path(c, "/login").await?;
    open(c, &format!("{base}/")).await?;
    wait_for_path(c, "/login").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_add_edit_reorder_mark_done_log_out() {
    let Some(b) = Browser::launch().await else {
        return;
    };
    let app = spa::app()
        .configure(|c| {
            c.set("SECRET_KEY", "browser-test");
            c.set("SQLALCHEMY_DATABASE_URI", "sqlite://");
        })
        .build()
        .unwrap();
    app.startup().await.unwrap();
    let base = test_support::browser::serve(app).await;
    b.run("spa", async |c| scenario(c, &base).await).await;
}
