//! Flaskr in a real browser (headless Chromium through chromedriver), the app on a real
//! port: the stylesheet, register, a validation error shown in the page, log in, create and
//! edit a post, another user who sees no Edit link and gets 403 and 404 pages, delete the
//! post, log out. The screenshot of the index with the post is saved as
//! `target/tmp/flaskr-index.png`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them). Without them
//! the test is skipped, unless `FLASK_TEST_REQUIRE_SERVICES` is set (`cargo xtask test-all
//! --require-services`, `cargo xtask e2e`), where it fails.

use test_support::browser::fantoccini::Client;
use test_support::browser::{
    self, Browser, by_id, click, eventually, expect, open, path, save_screenshot, text_of,
    texts_of, type_into, wait_for_path,
};

/// Fills the form's `fields` (input ids) and presses its submit button.
async fn fill_and_submit(c: &Client, fields: &[(&str, &str)]) -> Result<(), String> {
    for (id, text) in fields {
        type_into(c, id, text).await?;
    }
    click(c, "form input[type=submit]").await
}

/// Clicks "Log Out" and waits for the anonymous menu.
async fn log_out(c: &Client) -> Result<(), String> {
    click(c, "nav a[href='/auth/logout']").await?;
    eventually(async || {
        let nav = texts_of(c, "nav ul li").await?;
        if nav == ["Register", "Log In"] {
            Ok(())
        } else {
            Err(format!("the menu after logging out: {nav:?}"))
        }
    })
    .await
}

async fn scenario(c: &Client, base: &str) -> Result<(), String> {
    // Anonymous: the index offers "Register" and "Log In", and no "New".
    open(c, &format!("{base}/")).await?;
    expect(
        "title",
        &c.title().await.map_err(browser::step("title"))?,
        "Posts - Flaskr",
    )?;
    let nav = texts_of(c, "nav ul li").await?;
    if nav != ["Register", "Log In"] {
        return Err(format!("the anonymous menu: {nav:?}"));
    }
    if !texts_of(c, "a.action").await?.is_empty() {
        return Err("an anonymous user sees a New link".to_owned());
    }
    // The stylesheet applies (static/style.css: a light gray menu bar).
    let color = c
        .execute(
            "return getComputedStyle(document.querySelector('nav')).backgroundColor;",
            vec![],
        )
        .await
        .map_err(browser::step("the menu's color"))?;
    expect(
        "the menu's color",
        color.as_str().unwrap_or_default(),
        "rgb(211, 211, 211)",
    )?;

    // Register, and land on the login page.
    click(c, "nav a[href='/auth/register']").await?;
    wait_for_path(c, "/auth/register").await?;
    fill_and_submit(c, &[("username", "ada"), ("password", "engine")]).await?;
    wait_for_path(c, "/auth/login").await?;

    // The same name again: the form again, with the message in the page.
    open(c, &format!("{base}/auth/register")).await?;
    fill_and_submit(c, &[("username", "ada"), ("password", "other")]).await?;
    expect(
        "registering a taken name",
        &text_of(c, ".flash").await?,
        "User ada is already registered.",
    )?;
    expect(
        "the name typed",
        &browser::value_of(c, "username").await?,
        "ada",
    )?;
    expect(
        "the password typed",
        &browser::value_of(c, "password").await?,
        "",
    )?;

    // A wrong password, then the right one.
    open(c, &format!("{base}/auth/login")).await?;
    fill_and_submit(c, &[("username", "ada"), ("password", "wrong")]).await?;
    expect(
        "a wrong password",
        &text_of(c, ".flash").await?,
        "Incorrect password.",
    )?;
    fill_and_submit(c, &[("username", "ada"), ("password", "engine")]).await?;
    wait_for_path(c, "/").await?;
    let nav = texts_of(c, "nav ul li").await?;
    if nav != ["ada", "Log Out"] {
        return Err(format!("the menu of a logged-in user: {nav:?}"));
    }

    // A new post, its body on two lines.
    click(c, "a.action[href='/create']").await?;
    wait_for_path(c, "/create").await?;
    expect(
        "the create page",
        &text_of(c, "header h1").await?,
        "New Post",
    )?;
    type_into(c, "title", "Hello").await?;
    type_into(c, "body", "first line\nsecond line").await?;
    click(c, "form input[type=submit]").await?;
    wait_for_path(c, "/").await?;
    expect(
        "the post's title",
        &text_of(c, "article.post h1").await?,
        "Hello",
    )?;
    let about = text_of(c, "article.post .about").await?;
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    expect("the post's byline", &about, &format!("by ada on {today}"))?;
    expect(
        "the post's body",
        &text_of(c, "article.post p.body").await?,
        "first line\nsecond line",
    )?;
    let shot = save_screenshot(c, "flaskr-index.png").await?;
    eprintln!("screenshot of the index: {}", shot.display());

    // Edit it: the form holds the post; an empty title is refused by the server (the
    // browser's own check is taken off first), then a new title is saved.
    let edit = browser::find(c, "article.post a.action").await?;
    let edit_path = edit
        .attr("href")
        .await
        .map_err(browser::step("the Edit link"))?
        .unwrap_or_default();
    if !(edit_path.starts_with('/') && edit_path.ends_with("/update")) {
        return Err(format!("the Edit link goes to {edit_path:?}"));
    }
    edit.click().await.map_err(browser::step("Edit"))?;
    wait_for_path(c, &edit_path).await?;
    expect(
        "the title in the form",
        &browser::value_of(c, "title").await?,
        "Hello",
    )?;
    expect(
        "the body in the form",
        &browser::value_of(c, "body").await?,
        "first line\nsecond line",
    )?;
    let title = by_id(c, "title").await?;
    c.execute(
        "arguments[0].removeAttribute('required'); arguments[0].value = '';",
        vec![serde_json::to_value(&title).map_err(|e| e.to_string())?],
    )
    .await
    .map_err(browser::step("empty the title"))?;
    click(c, "form input[type=submit][value=Save]").await?;
    expect(
        "an empty title",
        &text_of(c, ".flash").await?,
        "Title is required.",
    )?;
    expect("still on the edit page", &path(c).await?, &edit_path)?;
    type_into(c, "title", "Hello again").await?;
    click(c, "form input[type=submit][value=Save]").await?;
    wait_for_path(c, "/").await?;
    expect(
        "the new title",
        &text_of(c, "article.post h1").await?,
        "Hello again",
    )?;

    // Another user sees the post without an Edit link, and cannot open its edit page.
    log_out(c).await?;
    open(c, &format!("{base}/auth/register")).await?;
    fill_and_submit(c, &[("username", "bob"), ("password", "builder")]).await?;
    wait_for_path(c, "/auth/login").await?;
    fill_and_submit(c, &[("username", "bob"), ("password", "builder")]).await?;
    wait_for_path(c, "/").await?;
    expect(
        "bob sees ada's post",
        &text_of(c, "article.post h1").await?,
        "Hello again",
    )?;
    if !texts_of(c, "article.post a.action").await?.is_empty() {
        return Err("another user sees an Edit link".to_owned());
    }
    open(c, &format!("{base}{edit_path}")).await?;
    expect("another user's post", &text_of(c, "h1").await?, "Forbidden")?;
    open(c, &format!("{base}/99999/update")).await?;
    expect("a missing post", &text_of(c, "h1").await?, "Not Found")?;
    open(c, &format!("{base}/")).await?;
    log_out(c).await?;

    // Back as ada: delete it, accepting the "Are you sure?" dialog.
    open(c, &format!("{base}/auth/login")).await?;
    fill_and_submit(c, &[("username", "ada"), ("password", "engine")]).await?;
    wait_for_path(c, "/").await?;
    click(c, "article.post a.action").await?;
    wait_for_path(c, &edit_path).await?;
    click(c, "input.danger[value=Delete]").await?;
    let question = c
        .get_alert_text()
        .await
        .map_err(browser::step("the dialog"))?;
    expect("the dialog", &question, "Are you sure?")?;
    c.accept_alert()
        .await
        .map_err(browser::step("accept the dialog"))?;
    wait_for_path(c, "/").await?;
    if !texts_of(c, "article.post").await?.is_empty() {
        return Err("the post is still listed after deleting it".to_owned());
    }

    // Log out: the anonymous menu again.
    log_out(c).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_log_in_write_edit_delete_log_out() {
    let Some(b) = Browser::launch().await else {
        return;
    };
    let app = flaskr::app()
        .configure(|c| {
            c.set("SECRET_KEY", "browser-test");
            c.set("SQLALCHEMY_DATABASE_URI", "sqlite://");
        })
        .build()
        .unwrap();
    app.startup().await.unwrap();
    let base = browser::serve(app).await;
    b.run("flaskr", async |c| scenario(c, &base).await).await;
}
