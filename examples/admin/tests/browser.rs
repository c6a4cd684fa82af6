//! The store's admin in a real browser (headless Chromium through chromedriver), on a real
//! port: log in, the dashboard, filter the orders, sort them, page, edit one, bulk-delete
//! two after the confirmation page, export the list as CSV, and, as staff, be refused the
//! users. Screenshots of the dashboard and the list are saved as
//! `target/tmp/admin-dashboard.png` and `target/tmp/admin-list.png` (docs/img has copies).
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them). Without them
//! the test is skipped, unless `FLASK_TEST_REQUIRE_SERVICES` is set, where it fails.

use test_support::browser::fantoccini::{Client, Locator};
use test_support::browser::{
    self, Browser, click, eventually, expect, open, path, save_screenshot, step, text_of, type_into,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_session_in_a_browser() {
    let Some(b) = Browser::launch_sized(1280, 1000).await else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("admin-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite:///{}", dir.join("store.db").display());
    let app = admin::app()
        .configure(move |c| {
            c.set("SQLALCHEMY_DATABASE_URI", url.as_str());
            c.set("SECRET_KEY", "browser-test");
        })
        .build()
        .unwrap();
    app.startup().await.unwrap();
    let r = app
        .test_cli_runner()
        .invoke(&["init-db", "--seed", "--orders", "300"])
        .await;
    assert_eq!(r.code, 0, "{}", r.output);
    let base = browser::serve(app).await;
    b.run("admin", async |c| scenario(c, &base).await).await;
    let _ = std::fs::remove_dir_all(&dir);
}

async fn log_in(c: &Client, base: &str, name: &str) -> Result<(), String> {
    open(c, &format!("{base}/admin/")).await?;
    // Not logged in: the login page, which comes back to the admin.
    eventually(async || expect("the login page", &path(c).await?, "/login")).await?;
    type_into(c, "username", name).await?;
    type_into(c, "password", name).await?;
    click(c, "form button[type=submit]").await?;
    eventually(async || expect("the admin after logging in", &path(c).await?, "/admin/")).await
}

/// The text of the first `n` cells of column `col` (1-based among the data cells).
async fn column(c: &Client, col: usize) -> Result<Vec<String>, String> {
    // The first two cells of a row are the checkbox and the row's links.
    let css = format!("table.model-list tbody tr td:nth-child({})", col + 2);
    browser::texts_of(c, &css).await
}

async fn select(c: &Client, css: &str, value: &str) -> Result<(), String> {
    c.find(Locator::Css(css))
        .await
        .map_err(step(css))?
        .select_by_value(value)
        .await
        .map_err(step(css))
}

async fn scenario(c: &Client, base: &str) -> Result<(), String> {
    log_in(c, base, "admin").await?;
    // The dashboard: counts and charts.
    expect(
        "the orders' tile",
        &text_of(c, ".dashboard figure:first-child .count").await?,
        "300",
    )?;
    if browser::texts_of(c, ".dashboard svg.chart").await?.len() != 2 {
        return Err("expected two charts on the dashboard".into());
    }
    save_screenshot(c, "admin-dashboard.png").await?;

    // Orders: filter the pending ones.
    open(c, &format!("{base}/admin/store_order/")).await?;
    click(c, "details.filters summary").await?;
    select(c, "#flt_status_op", "equals").await?;
    select(c, "select[name=flt_status]", "Pending").await?;
    click(c, "details.filters button[type=submit]").await?;
    eventually(async || {
        let summary = text_of(c, "details.filters summary").await?;
        expect("the filters' summary", &summary, "Filters (1 applied)")
    })
    .await?;
    let statuses = column(c, 4).await?;
    if statuses.is_empty() || statuses.iter().any(|s| s != "Pending") {
        return Err(format!("the filter let through {statuses:?}"));
    }

    // Sort by total, smallest first, then largest first.
    click(c, "th a[href*='sort=4']").await?;
    eventually(async || {
        let totals: Vec<f64> = column(c, 5)
            .await?
            .iter()
            .filter_map(|t| t.trim_start_matches('€').parse().ok())
            .collect();
        if totals.len() > 1 && totals.windows(2).all(|w| w[0] <= w[1]) {
            Ok(())
        } else {
            Err(format!("not ascending: {totals:?}"))
        }
    })
    .await?;
    click(c, "th a[href*='sort=4']").await?;
    eventually(async || {
        let totals: Vec<f64> = column(c, 5)
            .await?
            .iter()
            .filter_map(|t| t.trim_start_matches('€').parse().ok())
            .collect();
        if totals.len() > 1 && totals.windows(2).all(|w| w[0] >= w[1]) {
            Ok(())
        } else {
            Err(format!("not descending: {totals:?}"))
        }
    })
    .await?;

    // All orders again; the next page.
    open(c, &format!("{base}/admin/store_order/?sort=0")).await?;
    click(c, "nav.pager a[rel=next]").await?;
    eventually(async || {
        let count = text_of(c, "p.count").await?;
        if count.contains("page 2 of 12") {
            Ok(())
        } else {
            Err(format!("expected page 2 of 12, saw {count:?}"))
        }
    })
    .await?;
    let first_on_page_2 = column(c, 1).await?.first().cloned().unwrap_or_default();
    expect("the first id of page 2", &first_on_page_2, "26")?;

    // Edit that order: cancel it.
    click(
        c,
        "table.model-list tbody tr:first-child td.row-actions a[title='Edit record']",
    )
    .await?;
    eventually(async || expect("the edit page", &path(c).await?, "/admin/store_order/edit/"))
        .await?;
    select(c, "#status", "Cancelled").await?;
    click(c, "form.model-form button[type=submit]").await?;
    eventually(async || {
        expect(
            "the flash",
            &text_of(c, "p.flash").await?,
            "Record was successfully saved.",
        )
    })
    .await?;

    // Bulk delete the first two rows: the confirmation page, then done.
    open(c, &format!("{base}/admin/store_order/?sort=0")).await?;
    click(
        c,
        "table.model-list tbody tr:nth-child(1) input[name=rowid]",
    )
    .await?;
    click(
        c,
        "table.model-list tbody tr:nth-child(2) input[name=rowid]",
    )
    .await?;
    select(c, "#action", "delete").await?;
    click(c, "#action-form button[type=submit]").await?;
    eventually(async || {
        expect(
            "the confirmation",
            &text_of(c, "h1").await?,
            "Delete: 2 records of Orders",
        )
    })
    .await?;
    click(c, "form.buttons button[type=submit]").await?;
    eventually(async || {
        expect(
            "the flash",
            &text_of(c, "p.flash").await?,
            "2 records were successfully deleted.",
        )
    })
    .await?;
    let count = text_of(c, "p.count").await?;
    if !count.starts_with("298 records") {
        return Err(format!(
            "expected 298 records after deleting two, saw {count:?}"
        ));
    }
    save_screenshot(c, "admin-list.png").await?;

    // Export the list as CSV, as the link gives it.
    let csv = c
        .execute(
            "return fetch(document.querySelector('p.exports a').href).then(r => r.text());",
            vec![],
        )
        .await
        .map_err(step("the CSV export"))?;
    let csv = csv.as_str().unwrap_or_default().to_owned();
    if !csv.starts_with("Id,Customer,Created,Status,Total\n") || csv.lines().count() != 299 {
        return Err(format!(
            "the CSV export: {} lines, starting {:?}",
            csv.lines().count(),
            &csv[..csv.len().min(80)]
        ));
    }

    // Staff may not see the users.
    open(c, &format!("{base}/logout")).await?;
    log_in(c, base, "staff").await?;
    if browser::texts_of(c, "nav .menu")
        .await?
        .join(" ")
        .contains("Users")
    {
        return Err("staff see the users in the menu".into());
    }
    open(c, &format!("{base}/admin/staff_user/")).await?;
    let body = text_of(c, "body").await?;
    if !body.contains("You do not have the permission to see the records in Users.") {
        return Err(format!("expected the refusal, saw {body:?}"));
    }
    Ok(())
}
