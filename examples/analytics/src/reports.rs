//! The dashboard: totals, a time series, bars by category and region, a heat map of
//! category by weekday, the best days and percentiles of daily revenue, all through the
//! ORM from the `daily_sales` rollup.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, Utc};
use flask::{Error, Html, Query, context, render_template};
use flask_sqlalchemy::{Db, Engine, Select, func};
use serde::Serialize;

use crate::charts;
use crate::filters::{Filters, Group, Params};
use crate::{CATEGORIES, DailySales, REGIONS, Sale};

/// The weekdays' short names, Monday first.
pub const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// What the dashboard shows.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Sales in the range.
    pub orders: i64,
    /// Their amounts, summed.
    pub revenue: f64,
    /// Items sold.
    pub items: i64,
    /// Revenue per sale.
    pub average_sale: f64,
    /// `(day or week, revenue)`, one point per step, empty steps as 0.
    pub series: Vec<(String, f64)>,
    /// `(category, revenue)`, largest first.
    pub by_category: Vec<(String, f64)>,
    /// `(region, revenue)`, largest first.
    pub by_region: Vec<(String, f64)>,
    /// Revenue by category (rows, as [`CATEGORIES`]) and weekday (columns, Monday first).
    pub heat: Vec<Vec<f64>>,
    /// The ten days with the most revenue, best first.
    pub top_days: Vec<(String, f64)>,
    /// The 50th, 90th and 99th percentiles of daily revenue (nearest rank).
    pub percentiles: [f64; 3],
}

fn filtered<'e>(db: &'e Engine, filters: &Filters) -> Select<'e, DailySales> {
    filters
        .daily()
        .into_iter()
        .fold(db.select::<DailySales>(), Select::filter)
}

/// The last day with data, or today.
pub async fn latest_day(db: &Engine) -> Result<NaiveDate, Error> {
    let latest = db
        .select::<DailySales>()
        .columns((func::max(DailySales::day),))
        .scalar()
        .await?
        .flatten();
    Ok(latest
        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
        .unwrap_or_else(|| Utc::now().date_naive()))
}

/// The value at percentile `p` (0-100) of sorted `values`, by nearest rank.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Builds the report for `filters`: three grouped queries on the rollup.
pub async fn build(db: &Engine, filters: &Filters) -> Result<Report, Error> {
    let per_day = filtered(db, filters)
        .group_by(DailySales::day)
        .columns((
            DailySales::day,
            func::sum(DailySales::orders),
            func::sum(DailySales::revenue),
            func::sum(DailySales::items),
        ))
        .all()
        .await?;
    let per_category_weekday = filtered(db, filters)
        .group_by(DailySales::category)
        .group_by(DailySales::weekday)
        .columns((
            DailySales::category,
            DailySales::weekday,
            func::sum(DailySales::revenue),
        ))
        .all()
        .await?;
    let per_region = filtered(db, filters)
        .group_by(DailySales::region)
        .columns((DailySales::region, func::sum(DailySales::revenue)))
        .all()
        .await?;

    let mut daily: BTreeMap<NaiveDate, f64> = BTreeMap::new();
    let mut day = filters.from;
    while day <= filters.to {
        daily.insert(day, 0.0);
        day += Duration::days(1);
    }
    let (mut orders, mut revenue, mut items) = (0, 0.0, 0);
    for (day, o, r, i) in per_day {
        let r = r.unwrap_or(0.0);
        orders += o.unwrap_or(0);
        revenue += r;
        items += i.unwrap_or(0);
        if let Ok(d) = NaiveDate::parse_from_str(&day, "%Y-%m-%d") {
            daily.insert(d, r);
        }
    }
    let series: Vec<(String, f64)> = match filters.group {
        Group::Day => daily.iter().map(|(d, r)| (d.to_string(), *r)).collect(),
        Group::Week => {
            let mut weeks: BTreeMap<NaiveDate, f64> = BTreeMap::new();
            for (d, r) in &daily {
                let monday = *d - Duration::days(i64::from(d.weekday().num_days_from_monday()));
                *weeks.entry(monday).or_default() += r;
            }
            weeks
                .into_iter()
                .map(|(d, r)| (format!("week of {d}"), r))
                .collect()
        }
    };
    let mut sorted: Vec<f64> = daily.values().copied().collect();
    sorted.sort_by(f64::total_cmp);
    let percentiles = [50.0, 90.0, 99.0].map(|p| percentile(&sorted, p));
    let mut top_days: Vec<(String, f64)> = daily
        .iter()
        .filter(|(_, r)| **r > 0.0)
        .map(|(d, r)| (d.to_string(), *r))
        .collect();
    top_days.sort_by(|a, b| b.1.total_cmp(&a.1));
    top_days.truncate(10);

    let mut heat = vec![vec![0.0; 7]; CATEGORIES.len()];
    let mut categories: BTreeMap<&str, f64> = BTreeMap::new();
    for (category, weekday, r) in per_category_weekday {
        let r = r.unwrap_or(0.0);
        if let Some(row) = CATEGORIES.iter().position(|c| *c == category)
            && let Ok(col) = usize::try_from(weekday)
            && col < 7
        {
            heat[row][col] += r;
            *categories.entry(CATEGORIES[row]).or_default() += r;
        }
    }
    let mut by_category: Vec<(String, f64)> = categories
        .into_iter()
        .map(|(c, r)| (c.to_owned(), r))
        .collect();
    by_category.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut by_region: Vec<(String, f64)> = per_region
        .into_iter()
        .map(|(region, r)| (region, r.unwrap_or(0.0)))
        .collect();
    by_region.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(Report {
        orders,
        revenue,
        items,
        average_sale: if orders > 0 {
            revenue / orders as f64
        } else {
            0.0
        },
        series,
        by_category,
        by_region,
        heat,
        top_days,
        percentiles,
    })
}

/// The newest sales, newest first, for the live panel's first lines.
pub async fn recent_sales(db: &Engine, n: u64) -> Result<Vec<Sale>, Error> {
    Ok(db
        .select::<Sale>()
        .order_by(Sale::id.desc())
        .limit(n)
        .all()
        .await?)
}

/// `/`: the dashboard for the query string's filters.
#[flask::view]
pub async fn dashboard(db: Db, Query(params): Query<Params>) -> Result<Html<String>, Error> {
    let latest = latest_day(&db).await?;
    let filters = Filters::parse(&params, latest)?;
    let report = build(&db, &filters).await?;
    let recent = recent_sales(&db, 8).await?;
    let step = if filters.group == Group::Week {
        "week"
    } else {
        "day"
    };
    let charts = context! {
        series => charts::line(&format!("Revenue per {step}"), &report.series),
        categories => charts::bars("Revenue by category", &report.by_category),
        regions => charts::bars("Revenue by region", &report.by_region),
        heat => charts::heat_map("Revenue by category and weekday", &CATEGORIES, &WEEKDAYS, &report.heat),
    };
    render_template(
        "dashboard.html",
        context! {
            report,
            charts,
            recent,
            step,
            categories => CATEGORIES,
            regions => REGIONS,
            from => filters.from.to_string(),
            to => filters.to.to_string(),
            category => filters.category.unwrap_or(""),
            region => filters.region.unwrap_or(""),
            by_day => filters.query(Group::Day),
            by_week => filters.query(Group::Week),
        },
    )
}
