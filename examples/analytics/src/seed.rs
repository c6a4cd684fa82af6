//! `init-db [--seed] [--rows N]`: the tables, and a year of sales to look at: the same
//! sales every time (a fixed generator and a fixed last day, 2026-11-30).

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use flask::cli::CliContext;
use flask_sqlalchemy::{Engine, SQLAlchemy, Value, text};

use crate::{CATEGORIES, REGIONS};

/// Rows per INSERT (7 values each: under every database's limit of bound values).
const CHUNK: usize = 1000;

/// The last day of the generated year.
pub fn last_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 30).expect("a valid date")
}

/// Creates the tables; with `--seed`, replaces the sales with `--rows` generated ones
/// (1,000,000 by default) over the year to [`last_day`], and their rollup.
pub async fn init_db(ctx: CliContext) -> Result<(), flask::BoxError> {
    let app = ctx.app();
    let ext = app
        .extension::<SQLAlchemy>()
        .ok_or("flask-sqlalchemy is not registered")?;
    let engine = ext.engine().ok_or("the database is not connected")?;
    engine.create_all(ext.metadata()).await?;
    ctx.echo("Initialized the database.");
    if ctx.matches().get_flag("seed") {
        let rows = *ctx.matches().get_one::<u32>("rows").unwrap_or(&1_000_000);
        let started = std::time::Instant::now();
        seed(engine, rows).await?;
        ctx.echo(format!(
            "Seeded {rows} sales in {:.1} s.",
            started.elapsed().as_secs_f64()
        ));
    }
    Ok(())
}

/// A small deterministic generator (xorshift64*): the same data every time.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// An index into `weights`, drawn in proportion to them.
    fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut x = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}

/// The sums of one day, category and region.
#[derive(Debug, Default, Clone, Copy)]
struct Sums {
    orders: i64,
    revenue: f64,
    items: i64,
}

/// Replaces the sales with `rows` generated ones and rebuilds the rollup.
pub async fn seed(engine: &Engine, rows: u32) -> Result<(), flask::BoxError> {
    for table in ["sale", "daily_sales"] {
        engine.execute(text(format!("DELETE FROM {table}"))).await?;
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let last = last_day();
    let first = last - Duration::days(364);
    let start = Utc
        .from_utc_datetime(&first.and_hms_opt(0, 0, 0).expect("midnight"))
        .timestamp();
    // Busier towards the end of the year and at weekends; some categories and regions
    // sell more, and at other prices.
    let category_weights = [14, 10, 8, 12, 6, 9, 15, 11];
    let category_price = [18.0, 45.0, 30.0, 35.0, 15.0, 60.0, 25.0, 40.0];
    let region_weights = [6, 24, 22, 30, 8, 10];
    let mut rollup: HashMap<(NaiveDate, usize, usize), Sums> = HashMap::new();
    let mut batch: Vec<Vec<Value>> = Vec::with_capacity(CHUNK);
    for id in 1..=i64::from(rows) {
        // A day, weighted: the year's trend and the weekend bump.
        let day_offset = loop {
            let d = rng.below(365) as i64;
            let date = first + Duration::days(d);
            let weekend = date.weekday().num_days_from_monday() >= 5;
            let weight = 60 + d * 40 / 365 + if weekend { 25 } else { 0 };
            if rng.below(125) < weight as u64 {
                break d;
            }
        };
        let second = rng.below(86_400) as i64;
        let ts = Utc
            .timestamp_opt(start + day_offset * 86_400 + second, 0)
            .single()
            .ok_or("a generated time is out of range")?;
        let day = ts.date_naive();
        let c = rng.weighted(&category_weights);
        let r = rng.weighted(&region_weights);
        let quantity = 1 + rng.below(4) as i64;
        // Around the category's price, from half to twice it.
        let unit = category_price[c] * (0.5 + rng.below(150) as f64 / 100.0);
        let amount = ((unit * quantity as f64) * 100.0).round() / 100.0;
        let sums = rollup.entry((day, c, r)).or_default();
        sums.orders += 1;
        sums.revenue += amount;
        sums.items += quantity;
        batch.push(vec![
            Value::Int(id),
            Value::DateTimeUtc(ts),
            Value::from(day.to_string()),
            Value::from(CATEGORIES[c]),
            Value::from(REGIONS[r]),
            Value::Float(amount),
            Value::Int(quantity),
        ]);
        if batch.len() == CHUNK * 20 {
            insert(
                engine,
                "sale",
                &[
                    "id", "ts", "day", "category", "region", "amount", "quantity",
                ],
                std::mem::take(&mut batch),
            )
            .await?;
        }
    }
    insert(
        engine,
        "sale",
        &[
            "id", "ts", "day", "category", "region", "amount", "quantity",
        ],
        batch,
    )
    .await?;
    let mut keys: Vec<_> = rollup.keys().copied().collect();
    keys.sort_unstable();
    let daily: Vec<Vec<Value>> = keys
        .into_iter()
        .map(|(day, c, r)| {
            let s = rollup[&(day, c, r)];
            vec![
                Value::from(day.to_string()),
                Value::from(CATEGORIES[c]),
                Value::from(REGIONS[r]),
                Value::Int(i64::from(day.weekday().num_days_from_monday())),
                Value::Int(s.orders),
                Value::Float((s.revenue * 100.0).round() / 100.0),
                Value::Int(s.items),
            ]
        })
        .collect();
    insert(
        engine,
        "daily_sales",
        &[
            "day", "category", "region", "weekday", "orders", "revenue", "items",
        ],
        daily,
    )
    .await?;
    // PostgreSQL numbers from its sequence: move it past the ids given here.
    if engine.dialect() == flask_sqlalchemy::Dialect::Postgres && rows > 0 {
        engine
            .execute(text(
                "SELECT setval(pg_get_serial_sequence('sale', 'id'), (SELECT MAX(id) FROM sale))",
            ))
            .await?;
    }
    Ok(())
}

/// Inserts `rows` into `table`, [`CHUNK`] a statement, all in one transaction.
async fn insert(
    engine: &Engine,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<(), flask::BoxError> {
    if rows.is_empty() {
        return Ok(());
    }
    let session = engine.session();
    for chunk in rows.chunks(CHUNK) {
        let mut marks = Vec::with_capacity(chunk.len());
        let mut query_binds = Vec::with_capacity(chunk.len() * columns.len());
        for (r, row) in chunk.iter().enumerate() {
            let names: Vec<String> = (0..row.len()).map(|c| format!(":v{r}_{c}")).collect();
            marks.push(format!("({})", names.join(", ")));
            for (c, value) in row.iter().enumerate() {
                query_binds.push((format!("v{r}_{c}"), value.clone()));
            }
        }
        let mut query = text(format!(
            "INSERT INTO {table} ({}) VALUES {}",
            columns.join(", "),
            marks.join(", ")
        ));
        for (name, value) in query_binds {
            query = query.bind(&name, value);
        }
        session.execute(query).await?;
    }
    session.commit().await?;
    Ok(())
}
