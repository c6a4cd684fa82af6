//! The portal on each database: the seeded year, the aggregates against the raw sales,
//! the filters (and their 400s), the CSV export, recording a sale and the live stream.

use analytics::{DailySales, Sale};
use flask::StatusCode;
use flask::testing::TestClient;
use flask_sqlalchemy::{SQLAlchemy, Select, func};
use test_support::databases::{backends, own_database};

const ROWS: u32 = 5_000;

/// The portal on a database of its own (`name`: each test has its own, they run at once),
/// seeded with [`ROWS`] sales.
async fn portal(url: &str, name: &str) -> TestClient {
    let url = own_database(url, name).await;
    let c = analytics::app()
        .configure(move |c| {
            c.set("SQLALCHEMY_DATABASE_URI", url.as_str());
            c.set("SECRET_KEY", "portal-tests");
        })
        .test_client();
    c.app().startup().await.unwrap();
    let ext = c.app().extension::<SQLAlchemy>().unwrap();
    let engine = ext.engine().unwrap();
    engine.drop_all(ext.metadata()).await.unwrap();
    let r = c
        .app()
        .test_cli_runner()
        .invoke(&["init-db", "--seed", "--rows", &ROWS.to_string()])
        .await;
    assert_eq!(r.code, 0, "{}", r.output);
    assert!(
        r.output.contains(&format!("Seeded {ROWS} sales")),
        "{}",
        r.output
    );
    c
}

fn engine(c: &TestClient) -> flask_sqlalchemy::Engine {
    c.app()
        .extension::<SQLAlchemy>()
        .unwrap()
        .engine()
        .unwrap()
        .clone()
}

/// The sums of the raw sales for a filter (what the rollup must agree with).
async fn raw_totals(c: &TestClient, from: &str, to: &str, category: Option<&str>) -> (i64, f64) {
    let db = engine(c);
    let mut q = db.select::<Sale>().filter(Sale::day.between(from, to));
    if let Some(cat) = category {
        q = Select::filter(q, Sale::category.eq(cat));
    }
    let (n, sum) = q
        .columns((func::count_all(), func::sum(Sale::amount)))
        .one()
        .await
        .unwrap();
    (n, sum.unwrap_or(0.0))
}

/// An error page's text with its quotes back.
fn unescaped(page: &str) -> String {
    page.replace("&#34;", "\"")
}

fn figure(page: &str, id: &str) -> String {
    let start = page
        .find(&format!("id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no #{id} in the page"))
        + id.len()
        + 6;
    page[start..].split('<').next().unwrap().to_owned()
}

#[tokio::test]
async fn the_portal_on_each_database() {
    for url in backends() {
        let c = portal(&url, "analytics_portal").await;
        // The seeded year, and the rollup that sums it.
        let rollup_rows = engine(&c).select::<DailySales>().count().await.unwrap();
        assert!(rollup_rows > 1000, "{url}: {rollup_rows}");
        assert_eq!(
            engine(&c).select::<Sale>().count().await.unwrap(),
            i64::from(ROWS)
        );

        // The default view: the last 90 days of data.
        let page = c.get("/").send().await;
        assert_eq!(page.status(), 200, "{url}: {}", page.text());
        let page = page.text();
        assert!(page.contains("value=\"2026-09-02\""), "{url}");
        let (n, sum) = raw_totals(&c, "2026-09-02", "2026-11-30", None).await;
        assert_eq!(figure(&page, "total-orders"), n.to_string(), "{url}");
        assert_eq!(figure(&page, "total-revenue"), format!("{sum:.2}"), "{url}");
        assert_eq!(page.matches("<circle class=\"point\"").count(), 90, "{url}");
        assert_eq!(page.matches("<rect class=\"cell\"").count(), 8 * 7);

        // A shared link: a quarter of Books, by week.
        let page = c
            .get("/?from=2026-01-01&to=2026-03-31&category=Books&group=week")
            .send()
            .await
            .text();
        let (n, sum) = raw_totals(&c, "2026-01-01", "2026-03-31", Some("Books")).await;
        assert_eq!(figure(&page, "total-orders"), n.to_string(), "{url}");
        assert_eq!(figure(&page, "total-revenue"), format!("{sum:.2}"), "{url}");
        // 2025-12-29 to 2026-03-30: 14 Mondays.
        assert_eq!(page.matches("<circle class=\"point\"").count(), 14, "{url}");
        assert!(
            page.contains("<option value=\"Books\" selected>Books</option>"),
            "{url}"
        );
        assert_eq!(
            page.matches("<rect class=\"bar\"").count(),
            1 + 6,
            "{url}: one category, six regions"
        );

        // The CSV of the same filter: every sale, once, with a header.
        let csv = c
            .get("/export.csv?from=2026-01-01&to=2026-03-31&category=Books")
            .send()
            .await;
        assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
        assert!(
            csv.header("content-disposition")
                .unwrap()
                .contains("sales-2026-01-01-2026-03-31.csv")
        );
        let text = csv.text();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("id,time,category,region,amount,quantity")
        );
        let rows: Vec<&str> = lines.collect();
        assert_eq!(rows.len() as i64, n, "{url}");
        assert!(
            rows.iter().all(|r| r.split(',').nth(2) == Some("Books")),
            "{url}"
        );
        let csv_sum: f64 = rows
            .iter()
            .map(|r| r.split(',').nth(4).unwrap().parse::<f64>().unwrap())
            .sum();
        assert!((csv_sum - sum).abs() < 0.01, "{url}: {csv_sum} vs {sum}");
    }
}

#[tokio::test]
async fn bad_filters_are_told_what_they_take() {
    let c = portal("sqlite://", "analytics_filters").await;
    for (query, says) in [
        (
            "from=yesterday",
            "from is \"yesterday\"; give a date as YYYY-MM-DD",
        ),
        ("category=Cars", "category is \"Cars\"; give one of Books"),
        ("region=Mars", "region is \"Mars\""),
        ("from=2026-05-01&to=2026-04-01", "is after to"),
        ("from=2020-01-01&to=2026-01-01", "choose a shorter one"),
        ("group=month", "group is \"month\"; give day or week"),
    ] {
        for path in ["/", "/export.csv"] {
            let r = c.get(&format!("{path}?{query}")).send().await;
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}?{query}");
            assert!(
                unescaped(&r.text()).contains(says),
                "{path}?{query}: {}",
                r.text()
            );
        }
    }
}

#[tokio::test]
async fn a_recorded_sale_reaches_the_live_stream_and_the_aggregates() {
    for url in backends() {
        let c = portal(&url, "analytics_live").await;
        let token = analytics::live::ingest_token(c.app()).unwrap();
        let sale = serde_json::json!({"category": "Toys", "region": "Oceania", "amount": 123.45, "quantity": 2});

        // Without the token: 401, nothing recorded.
        let r = c.post("/api/sales").json(&sale).send().await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{url}");
        let r = c
            .post("/api/sales")
            .header("Authorization", "Bearer forged.token")
            .json(&sale)
            .send()
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{url}");
        // Bad fields: 400 naming them.
        for (bad, says) in [
            (
                serde_json::json!({"category": "Cars", "region": "Asia", "amount": 1.0, "quantity": 1}),
                "category is \"Cars\"",
            ),
            (
                serde_json::json!({"category": "Toys", "region": "Asia", "amount": -5.0, "quantity": 1}),
                "amount is -5",
            ),
            (
                serde_json::json!({"category": "Toys", "region": "Asia", "amount": 5.0, "quantity": 0}),
                "quantity is 0",
            ),
        ] {
            let r = c
                .post("/api/sales")
                .header("Authorization", &format!("Bearer {token}"))
                .json(&bad)
                .send()
                .await;
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{url}");
            assert!(unescaped(&r.text()).contains(says), "{url}: {}", r.text());
        }
        assert_eq!(
            engine(&c).select::<Sale>().count().await.unwrap(),
            i64::from(ROWS)
        );

        let mut live = c.get("/live").stream().await.events();
        let r = c
            .post("/api/sales")
            .header("Authorization", &format!("Bearer {token}"))
            .json(&sale)
            .send()
            .await;
        assert_eq!(r.status(), StatusCode::CREATED, "{url}: {}", r.text());
        let recorded: serde_json::Value = r.json();
        let event = live.next().await.unwrap();
        assert_eq!(event.get_event(), Some("sale"));
        let data: serde_json::Value = serde_json::from_str(event.get_data().unwrap()).unwrap();
        assert_eq!(data, recorded, "{url}");
        assert_eq!(data["amount"], 123.45);

        // Today's rollup has it, and the default view now ends today.
        let today = chrono::Utc::now().date_naive().to_string();
        let page = c.get("/?category=Toys&region=Oceania").send().await.text();
        assert!(page.contains(&format!("value=\"{today}\"")), "{url}");
        let (n, sum) = raw_totals(&c, &today, &today, Some("Toys")).await;
        assert_eq!((n, sum), (1, 123.45), "{url}");
        let page = c
            .get(&format!("/?from={today}&to={today}"))
            .send()
            .await
            .text();
        assert_eq!(figure(&page, "total-orders"), "1", "{url}");
        assert_eq!(figure(&page, "total-revenue"), "123.45", "{url}");
    }
}
