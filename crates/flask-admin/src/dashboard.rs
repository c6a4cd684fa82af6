//! The dashboard on the admin's index page: counts, and time series from ORM aggregates
//! drawn as server-rendered SVG (no script, no CDN).

use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{Duration, NaiveDate, Utc};
use flask::minijinja::Value as Jinja;
use flask_sqlalchemy::{ColumnType, Engine, Filter, Model, SQLAlchemy, Value, text};

type Fetch<T> = Arc<
    dyn Fn(Engine) -> Pin<Box<dyn Future<Output = Result<T, flask_sqlalchemy::Error>> + Send>>
        + Send
        + Sync,
>;

/// One tile of the dashboard.
enum Widget {
    Count {
        label: String,
        bind: Option<&'static str>,
        fetch: Fetch<i64>,
    },
    Series {
        label: String,
        bind: Option<&'static str>,
        days: u32,
        fetch: Fetch<Vec<(NaiveDate, f64)>>,
    },
}

/// The index page's dashboard: [`count`](Dashboard::count)s of rows and series per day
/// ([`per_day`](Dashboard::per_day), [`sum_per_day`](Dashboard::sum_per_day)), in the
/// order given.
///
/// ```
/// # use flask_sqlalchemy::Model;
/// # #[derive(Debug, Clone, Model, serde::Serialize, serde::Deserialize)]
/// # struct Order { #[model(primary_key)] id: i64, created: chrono::DateTime<chrono::Utc>, total: f64, shipped: bool }
/// use flask_admin::Dashboard;
///
/// let dashboard = Dashboard::new()
///     .count::<Order>("Orders")
///     .count_where::<Order>("To ship", Order::shipped.eq(false))
///     .per_day::<Order>("Orders per day", "created", 30)
///     .sum_per_day::<Order>("Revenue per day", "created", "total", 30);
/// # let _ = dashboard;
/// ```
#[derive(Default)]
pub struct Dashboard {
    widgets: Vec<Widget>,
}

impl std::fmt::Debug for Dashboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dashboard")
            .field("widgets", &self.widgets.len())
            .finish()
    }
}

impl Dashboard {
    /// No tiles.
    pub fn new() -> Self {
        Dashboard::default()
    }

    /// A tile with the number of rows of `M`.
    #[must_use]
    pub fn count<M: Model>(mut self, label: &str) -> Self {
        self.widgets.push(Widget::Count {
            label: label.to_owned(),
            bind: M::TABLE.bind,
            fetch: Arc::new(|engine: Engine| {
                Box::pin(async move { engine.select::<M>().count().await })
            }),
        });
        self
    }

    /// A tile with the number of rows of `M` that `filter` selects.
    #[must_use]
    pub fn count_where<M: Model>(mut self, label: &str, filter: Filter) -> Self {
        self.widgets.push(Widget::Count {
            label: label.to_owned(),
            bind: M::TABLE.bind,
            fetch: Arc::new(move |engine: Engine| {
                let filter = filter.clone();
                Box::pin(async move { engine.select::<M>().filter(filter).count().await })
            }),
        });
        self
    }

    /// A chart of how many rows of `M` have the date column `date` on each of the last
    /// `days` days (UTC).
    ///
    /// # Panics
    /// When `M` has no column `date` of a date or time type (a programming error, caught
    /// by the first test that builds the dashboard).
    #[must_use]
    pub fn per_day<M: Model>(self, label: &str, date: &str, days: u32) -> Self {
        self.series::<M>(label, date, None, days)
    }

    /// A chart of the sum of the column `value` of the rows of `M`, by their date column
    /// `date`, on each of the last `days` days.
    ///
    /// # Panics
    /// As [`per_day`](Dashboard::per_day), and when `value` is not a column of `M`.
    #[must_use]
    pub fn sum_per_day<M: Model>(self, label: &str, date: &str, value: &str, days: u32) -> Self {
        self.series::<M>(label, date, Some(value), days)
    }

    fn series<M: Model>(mut self, label: &str, date: &str, value: Option<&str>, days: u32) -> Self {
        let date = M::TABLE
            .column(date)
            .filter(|c| {
                matches!(
                    c.ty,
                    ColumnType::Date | ColumnType::DateTime | ColumnType::DateTimeTz
                )
            })
            .unwrap_or_else(|| panic!("Dashboard: {} has no date column {date:?}", M::TABLE.name));
        let value = value.map(|v| {
            M::TABLE
                .column(v)
                .unwrap_or_else(|| panic!("Dashboard: {} has no column {v:?}", M::TABLE.name))
        });
        let days = days.max(1);
        self.widgets.push(Widget::Series {
            label: label.to_owned(),
            bind: M::TABLE.bind,
            days,
            fetch: Arc::new(move |engine: Engine| {
                Box::pin(async move {
                    let d = engine.dialect();
                    let column = d.quote(date.name);
                    let measure = match value {
                        Some(v) => format!("SUM({})", d.quote(v.name)),
                        None => "COUNT(*)".to_owned(),
                    };
                    let sql = format!(
                        "SELECT DATE({column}) AS day, {measure} AS n FROM {table} \
                         WHERE {column} >= :since GROUP BY DATE({column}) ORDER BY day",
                        table = d.quote(M::TABLE.name),
                    );
                    let first = Utc::now().date_naive() - Duration::days(i64::from(days) - 1);
                    let start = first.and_hms_opt(0, 0, 0).unwrap_or_default();
                    let since = match date.ty {
                        ColumnType::Date => Value::Date(first),
                        ColumnType::DateTime => Value::DateTime(start),
                        _ => Value::DateTimeUtc(start.and_utc()),
                    };
                    let rows = engine.fetch_all(text(sql).bind("since", since)).await?;
                    Ok(rows
                        .iter()
                        .filter_map(|r| {
                            let day = match r.get_index(0)? {
                                Value::Date(d) => *d,
                                Value::DateTime(t) => t.date(),
                                Value::DateTimeUtc(t) => t.date_naive(),
                                other => NaiveDate::parse_from_str(
                                    &crate::display::text(other),
                                    "%Y-%m-%d",
                                )
                                .ok()?,
                            };
                            let n = crate::display::text(r.get_index(1)?)
                                .parse::<f64>()
                                .unwrap_or(0.0);
                            Some((day, n))
                        })
                        .collect())
                })
            }),
        });
        self
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.widgets.is_empty()
    }

    /// The tiles, computed now, as the index template draws them.
    pub(crate) async fn render(&self, ext: &SQLAlchemy) -> Vec<Jinja> {
        let mut out = Vec::with_capacity(self.widgets.len());
        for widget in &self.widgets {
            let (label, bind) = match widget {
                Widget::Count { label, bind, .. } | Widget::Series { label, bind, .. } => {
                    (label, bind)
                }
            };
            let engine = match bind {
                Some(key) => ext.bind(key),
                None => ext.engine(),
            };
            let Some(engine) = engine.cloned() else {
                continue;
            };
            let tile = match widget {
                Widget::Count { fetch, .. } => match fetch(engine).await {
                    Ok(n) => flask::context! { label => label, count => n },
                    Err(e) => failed(label, &e),
                },
                Widget::Series { fetch, days, .. } => match fetch(engine).await {
                    Ok(points) => {
                        let filled = fill(&points, *days);
                        let total = filled.iter().fold(0.0, |t, (_, n)| t + n);
                        let max = filled.iter().fold(0.0_f64, |m, (_, n)| m.max(*n));
                        flask::context! {
                            label => label,
                            total => number(total),
                            max => number(max),
                            first => filled.first().map(|(d, _)| d.to_string()),
                            last => filled.last().map(|(d, _)| d.to_string()),
                            svg => Jinja::from_safe_string(chart(label, &filled)),
                            points => filled.iter().map(|(d, n)| (d.to_string(), number(*n))).collect::<Vec<_>>(),
                        }
                    }
                    Err(e) => failed(label, &e),
                },
            };
            out.push(tile);
        }
        out
    }
}

fn failed(label: &str, e: &flask_sqlalchemy::Error) -> Jinja {
    tracing::error!("flask-admin: the dashboard's {label:?} failed: {e}");
    flask::context! { label => label, error => "could not be computed (see the log)" }
}

/// Every day of the last `days`, with 0 where no row fell.
fn fill(points: &[(NaiveDate, f64)], days: u32) -> Vec<(NaiveDate, f64)> {
    let today = Utc::now().date_naive();
    (0..i64::from(days))
        .rev()
        .map(|ago| {
            let day = today - Duration::days(ago);
            // A fold from 0.0: an empty f64 sum is -0.0.
            let n = points
                .iter()
                .filter(|(d, _)| *d == day)
                .fold(0.0, |total, (_, n)| total + n);
            (day, n)
        })
        .collect()
}

/// A number as a tile shows it: whole numbers without decimals, others with two.
fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        format!("{n:.2}")
    }
}

/// A bar chart of `points`, one bar a day, in an SVG sized to its box. Each bar has a
/// tooltip; the figure's label says what it shows.
fn chart(label: &str, points: &[(NaiveDate, f64)]) -> String {
    const W: f64 = 600.0;
    const H: f64 = 160.0;
    const AXIS: f64 = 2.0;
    let max = points.iter().map(|(_, n)| *n).fold(0.0_f64, f64::max);
    let step = W / points.len().max(1) as f64;
    let bar = (step * 0.8).max(1.0);
    let mut svg = String::with_capacity(points.len() * 120 + 400);
    let _ = write!(
        svg,
        "<svg class=\"chart\" viewBox=\"0 0 {W} {total}\" role=\"img\" aria-label=\"{label}: {n} days, at most {max}\" preserveAspectRatio=\"none\">",
        total = H + AXIS,
        label = crate::display::escape(label),
        n = points.len(),
        max = number(max),
    );
    for (i, (day, n)) in points.iter().enumerate() {
        let h = if max > 0.0 { n / max * (H - 4.0) } else { 0.0 };
        let _ = write!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\"><title>{day}: {v}</title></rect>",
            x = i as f64 * step + (step - bar) / 2.0,
            y = H - h,
            v = number(*n),
        );
    }
    // The axis; its labels are the page's text (an SVG stretched to its box would stretch
    // them too).
    let _ = write!(svg, "<line x1=\"0\" y1=\"{H}\" x2=\"{W}\" y2=\"{H}\"/>");
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_days_are_zero_and_bars_scale_to_the_largest() {
        let today = Utc::now().date_naive();
        let filled = fill(&[(today, 4.0), (today - Duration::days(2), 2.0)], 3);
        assert_eq!(
            filled,
            [
                (today - Duration::days(2), 2.0),
                (today - Duration::days(1), 0.0),
                (today, 4.0)
            ]
        );
        let svg = chart("Orders <per> day", &filled);
        assert!(
            svg.contains("aria-label=\"Orders &lt;per&gt; day: 3 days, at most 4\""),
            "{svg}"
        );
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(
            svg.contains("height=\"156.0\""),
            "the largest bar is full height: {svg}"
        );
        assert!(svg.contains("height=\"0.0\""), "{svg}");
        assert_eq!(number(2.0), "2");
        assert_eq!(number(2.5), "2.50");
    }
}
