//! The portal in a real browser (headless Chromium through chromedriver), on a real port:
//! a filter applied through the form (and kept in the URL), the charts drawn with the
//! expected number of points, bars and cells, the switch to weeks, and the live panel
//! updated by sales recorded while the page is open. A screenshot of the page is saved as
//! `target/tmp/analytics-dashboard.png` (docs/img has a copy).
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them). Without them
//! the test is skipped, unless `FLASK_TEST_REQUIRE_SERVICES` is set, where it fails.

use test_support::browser::fantoccini::{Client, Locator};
use test_support::browser::{
    self, Browser, click, eventually, expect, open, save_screenshot, step, text_of,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_in_a_browser() {
    let Some(b) = Browser::launch_sized(1280, 1400).await else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("analytics-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite:///{}", dir.join("analytics.db").display());
    let app = analytics::app()
        .configure(move |c| {
            c.set("SQLALCHEMY_DATABASE_URI", url.as_str());
            c.set("SECRET_KEY", "browser-test");
        })
        .build()
        .unwrap();
    app.startup().await.unwrap();
    let r = app
        .test_cli_runner()
        .invoke(&["init-db", "--seed", "--rows", "20000"])
        .await;
    assert_eq!(r.code, 0, "{}", r.output);
    let token = analytics::live::ingest_token(&app).unwrap();
    let base = browser::serve(app).await;
    b.run("analytics", async |c| scenario(c, &base, &token).await)
        .await;
    let _ = std::fs::remove_dir_all(&dir);
}

async fn count(c: &Client, css: &str) -> Result<usize, String> {
    Ok(c.find_all(Locator::Css(css))
        .await
        .map_err(step(css))?
        .len())
}

async fn set_value(c: &Client, id: &str, value: &str) -> Result<(), String> {
    // A date input takes its value from script reliably, whatever the browser's locale.
    c.execute(
        "document.getElementById(arguments[0]).value = arguments[1];",
        vec![id.into(), value.into()],
    )
    .await
    .map_err(step(id))?;
    Ok(())
}

async fn scenario(c: &Client, base: &str, token: &str) -> Result<(), String> {
    open(c, &format!("{base}/")).await?;
    // The default view: 90 days, one point a day; 8 categories x 7 weekdays.
    expect(
        "points",
        &count(c, "#series svg circle.point").await?.to_string(),
        "90",
    )?;
    expect(
        "heat map cells",
        &count(c, "#heat svg rect.cell").await?.to_string(),
        "56",
    )?;
    expect(
        "category bars",
        &count(c, "#by-category svg rect.bar").await?.to_string(),
        "8",
    )?;

    // A filter through the form: a month of Europe.
    set_value(c, "from", "2026-06-01").await?;
    set_value(c, "to", "2026-06-30").await?;
    c.find(Locator::Css("#region"))
        .await
        .map_err(step("#region"))?
        .select_by_value("Europe")
        .await
        .map_err(step("select Europe"))?;
    click(c, "#apply").await?;
    eventually(async || {
        let url = c.current_url().await.map_err(step("the URL"))?;
        expect(
            "the filtered URL",
            url.query().unwrap_or(""),
            "from=2026-06-01&to=2026-06-30&category=&region=Europe",
        )
    })
    .await?;
    expect(
        "points for June",
        &count(c, "#series svg circle.point").await?.to_string(),
        "30",
    )?;
    expect(
        "region bars",
        &count(c, "#by-region svg rect.bar").await?.to_string(),
        "1",
    )?;
    let orders = text_of(c, "#total-orders").await?;

    // By week: June 2026 starts on a Monday; five weeks touch it.
    click(c, "#by-week").await?;
    eventually(async || {
        expect(
            "weekly points",
            &count(c, "#series svg circle.point").await?.to_string(),
            "5",
        )
    })
    .await?;
    expect(
        "the same sales by week",
        &text_of(c, "#total-orders").await?,
        &orders,
    )?;

    // The live panel: connected, then moved by sales recorded now.
    open(c, &format!("{base}/")).await?;
    eventually(async || {
        expect(
            "the live status",
            &text_of(c, "#live-status").await?,
            "live",
        )
    })
    .await?;
    for (category, amount) in [("Toys", 123.45), ("Books", 10.0)] {
        let body = format!(
            r#"{{"category":"{category}","region":"Oceania","amount":{amount},"quantity":1}}"#
        );
        let (status, text) = analytics::live::post_json(base, "/api/sales", token, &body)
            .await
            .map_err(|e| e.to_string())?;
        if status != 201 {
            return Err(format!("recording a sale: {status} {text}"));
        }
    }
    eventually(async || expect("live sales", &text_of(c, "#live-count").await?, "2")).await?;
    expect(
        "live revenue",
        &text_of(c, "#live-revenue").await?,
        "133.45",
    )?;
    expect(
        "the newest live line",
        &text_of(c, "#live-sales li:first-child").await?,
        "Books · Oceania · 10.00",
    )?;
    save_screenshot(c, "analytics-dashboard.png").await?;
    Ok(())
}
