//! The store's admin on each database: `init-db --seed`, logging in, the dashboard, the
//! orders' filters and the ship action, and what the staff role may not do.

use flask::StatusCode;
use flask::testing::TestClient;
use flask_sqlalchemy::SQLAlchemy;
use flask_wtf::testing::CsrfClient;
use test_support::databases::{backends, own_database};

async fn store(url: &str) -> TestClient {
    let url = own_database(url, "admin_store").await;
    let c = admin::app()
        .configure(move |c| {
            c.set("SQLALCHEMY_DATABASE_URI", url.as_str());
            c.set("SECRET_KEY", "store-tests");
        })
        .test_client();
    c.app().startup().await.unwrap();
    // A fresh store: the tables of an earlier run go first.
    let ext = c.app().extension::<SQLAlchemy>().unwrap();
    ext.engine()
        .unwrap()
        .drop_all(ext.metadata())
        .await
        .unwrap();
    let r = c
        .app()
        .test_cli_runner()
        .invoke(&["init-db", "--seed", "--orders", "300"])
        .await;
    assert_eq!(r.code, 0, "{}", r.output);
    assert!(
        r.output.contains("Seeded the store with 300 orders."),
        "{}",
        r.output
    );
    c
}

async fn log_in(c: &TestClient, name: &str) {
    let token = c.csrf_token().await;
    let r = c
        .post("/login?next=/admin/store_order/")
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", name),
            ("password", name),
        ])
        .send()
        .await;
    assert_eq!(r.status(), StatusCode::FOUND, "{}", r.text());
    assert_eq!(r.header("location"), Some("/admin/store_order/"));
}

#[tokio::test]
async fn the_store_on_each_database() {
    for url in backends() {
        let c = store(&url).await;
        // Not logged in: to the login page, and back after.
        let r = c.get("/admin/").send().await;
        assert_eq!(r.status(), StatusCode::FOUND, "{url}");
        assert_eq!(r.header("location"), Some("/login?next=%2Fadmin%2F"));
        let token = c.csrf_token().await;
        let r = c
            .post("/login")
            .form(&[
                ("csrf_token", token.as_str()),
                ("username", "admin"),
                ("password", "nope"),
            ])
            .send()
            .await;
        assert!(r.text().contains("Wrong username or password."), "{url}");

        log_in(&c, "admin").await;
        let index = c.get("/admin/").send().await.text();
        assert!(
            index.contains("<figcaption>Orders</figcaption>\n    <p class=\"count\">300</p>"),
            "{url}: {index}"
        );
        assert!(
            index.contains("<figcaption>Customers</figcaption>\n    <p class=\"count\">5000</p>"),
            "{url}"
        );
        assert!(
            index.contains("aria-label=\"Orders per day: 30 days"),
            "{url}"
        );
        // The menu's categories.
        for category in ["Catalog", "Sales", "People"] {
            assert!(
                index.contains(&format!("<summary>{category}</summary>")),
                "{url}: {category}"
            );
        }

        // Pending orders, the largest first: the ship action marks them shipped.
        let list = c
            .get("/admin/store_order/?flt_status_op=equals&flt_status=Pending&sort=4&desc=1")
            .send()
            .await
            .text();
        assert!(list.contains("Filters (1 applied)"), "{url}");
        let ids: Vec<String> = list
            .match_indices("name=\"rowid\" value=\"")
            .map(|(i, m)| list[i + m.len()..].split('"').next().unwrap().to_owned())
            .take(2)
            .collect();
        assert_eq!(ids.len(), 2, "{url}: {list}");
        let token = c.csrf_token().await;
        let r = c
            .post("/admin/store_order/action/")
            .form(&[
                ("csrf_token", token.as_str()),
                ("action", "ship"),
                ("rowid", &ids[0]),
                ("rowid", &ids[1]),
                ("confirm", "1"),
            ])
            .send()
            .await;
        assert_eq!(r.status(), StatusCode::FOUND, "{url}");
        let list = c.get("/admin/store_order/").send().await.text();
        assert!(list.contains("2 orders were marked shipped."), "{url}");
        let log = c
            .get("/admin/admin_log/?flt_action_op=equals&flt_action=ship")
            .send()
            .await
            .text();
        assert!(log.contains("2 records"), "{url}: {log}");
        assert!(log.contains("<td>admin</td>"), "{url}");

        // The report page of the app's own, in the admin's layout.
        let report = c.get("/admin/sales_by_city/").send().await.text();
        assert!(
            report.contains("<h1>Sales by city</h1>") && report.contains("<td>Oslo</td>"),
            "{url}: {report}"
        );
        assert!(
            report.contains("<a class=\"brand\" href=\"/admin/\">Store admin</a>"),
            "{url}"
        );
        // Order lines page by their key; products' stock is edited in the list.
        let lines = c.get("/admin/order_line/").send().await.text();
        assert!(
            lines.contains("25 records shown") || lines.contains("20 records shown"),
            "{url}: {lines}"
        );
        assert!(
            lines.contains("<a rel=\"next\" href=\"/admin/order_line/?after="),
            "{url}"
        );
        let token = c.csrf_token().await;
        let r = c
            .post("/admin/product/inline/")
            .form(&[
                ("csrf_token", token.as_str()),
                ("id", "7"),
                ("column", "stock"),
                ("value", "0"),
            ])
            .send()
            .await;
        assert_eq!(r.status(), StatusCode::FOUND, "{url}");
        let out_of_stock = c
            .get("/admin/product/?flt_stock_op=equals&flt_stock=0")
            .send()
            .await
            .text();
        assert!(out_of_stock.contains("name=\"id\" value=\"7\""), "{url}");

        // The customers export as JSON.
        let json: Vec<serde_json::Value> = c
            .get("/admin/customer/export/json/?flt_city_op=equals&flt_city=Oslo")
            .send()
            .await
            .json();
        assert!(
            !json.is_empty() && json.iter().all(|c| c["city"] == "Oslo"),
            "{url}"
        );

        // Staff: no users, no audit log, no deleting products.
        c.get("/logout").send().await;
        log_in(&c, "staff").await;
        let index = c.get("/admin/").send().await.text();
        assert!(
            !index.contains("Users") && !index.contains("Audit log"),
            "{url}: {index}"
        );
        assert_eq!(
            c.get("/admin/staff_user/").send().await.status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            c.get("/admin/admin_log/").send().await.status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            c.get("/admin/product/new/").send().await.status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            c.get("/admin/store_order/edit/?id=1").send().await.status(),
            StatusCode::OK
        );
    }
}
