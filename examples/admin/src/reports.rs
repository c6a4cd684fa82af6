//! A page of the app's own in the admin (Flask-Admin's `BaseView`): revenue by city.

use flask::{Error, Html, RequestContext, context};
use flask_sqlalchemy::{Db, text};
use serde::Serialize;

/// One city's line of the report.
#[derive(Debug, Serialize)]
pub struct CityLine {
    /// The city.
    pub city: String,
    /// Its orders.
    pub orders: i64,
    /// Their total.
    pub revenue: String,
}

/// `/admin/sales_by_city/`: orders and revenue by the customers' city, largest first.
pub async fn sales_by_city(ctx: RequestContext, db: Db) -> Result<Html<String>, Error> {
    let rows = db
        .fetch_all(text(
            "SELECT c.city AS city, COUNT(*) AS orders, SUM(o.total) AS revenue \
             FROM store_order o JOIN customer c ON c.id = o.customer_id \
             WHERE o.status <> 'Cancelled' GROUP BY c.city ORDER BY revenue DESC",
        ))
        .await?;
    let lines: Vec<CityLine> = rows
        .iter()
        .map(|r| CityLine {
            city: r
                .get("city")
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_owned(),
            orders: r
                .get("orders")
                .and_then(flask_sqlalchemy::Value::as_i64)
                .unwrap_or(0),
            revenue: match r.get("revenue") {
                Some(flask_sqlalchemy::Value::Float(f)) => format!("{f:.2}"),
                Some(other) => format!("{other:?}"),
                None => String::new(),
            },
        })
        .collect();
    flask_admin::render(&ctx, "reports/sales_by_city.html", context! { lines })
}
