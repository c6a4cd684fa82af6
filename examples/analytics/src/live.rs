//! The live side: `POST /api/sales` records a sale (and updates the rollup), publishes it
//! to the hub's `sales` room, and `/live` streams that room to the dashboards' live
//! panels as server-sent events. `send-events` is the load script.

use std::time::Duration;

use chrono::{Datelike, Utc};
use flask::cli::CliContext;
use flask::realtime::Hub;
use flask::signing::Signer;
use flask::sse::{EventStream, LastEventId};
use flask::{App, Error, HeaderMap, Json, RequestContext, StatusCode};
use flask_sqlalchemy::{Db, Engine, text};
use serde::{Deserialize, Serialize};

use crate::{CATEGORIES, REGIONS, Sale};

/// The hub room the sales go to.
pub const ROOM: &str = "sales";

/// A sale as `POST /api/sales` takes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewSale {
    /// One of [`CATEGORIES`].
    pub category: String,
    /// One of [`REGIONS`].
    pub region: String,
    /// What it came to: above 0, at most 100,000.
    pub amount: f64,
    /// Items: 1 to 1,000.
    pub quantity: i64,
}

/// A recorded sale, as the live panel receives it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LiveSale {
    /// Its id.
    pub id: i64,
    /// When, RFC 3339.
    pub time: String,
    /// Its category.
    pub category: String,
    /// Its region.
    pub region: String,
    /// What it came to.
    pub amount: f64,
    /// Items.
    pub quantity: i64,
}

impl From<&Sale> for LiveSale {
    fn from(s: &Sale) -> Self {
        LiveSale {
            id: s.id,
            time: s.ts.to_rfc3339(),
            category: s.category.clone(),
            region: s.region.clone(),
            amount: s.amount,
            quantity: s.quantity,
        }
    }
}

/// The token `POST /api/sales` takes (`Authorization: Bearer <token>`): `ingest` signed
/// with the app's `SECRET_KEY`, so every instance with the key knows it and nobody else.
pub fn ingest_token(app: &App) -> Result<String, Error> {
    Ok(signer(app.config())?.sign("ingest"))
}

fn signer(config: &flask::Config) -> Result<Signer, Error> {
    Signer::from_config(config, "analytics-ingest")
        .map_err(Error::internal)?
        .ok_or_else(|| Error::internal("SECRET_KEY is not set: the ingest token is made from it"))
}

fn bad(message: String) -> Error {
    Error::with_description(StatusCode::BAD_REQUEST, message)
}

impl NewSale {
    fn check(&self) -> Result<(&'static str, &'static str), Error> {
        let category = CATEGORIES
            .iter()
            .find(|c| **c == self.category)
            .ok_or_else(|| {
                bad(format!(
                    "category is {:?}; give one of {}",
                    self.category,
                    CATEGORIES.join(", ")
                ))
            })?;
        let region = REGIONS.iter().find(|r| **r == self.region).ok_or_else(|| {
            bad(format!(
                "region is {:?}; give one of {}",
                self.region,
                REGIONS.join(", ")
            ))
        })?;
        if !(self.amount.is_finite() && self.amount > 0.0 && self.amount <= 100_000.0) {
            return Err(bad(format!(
                "amount is {}; give a number above 0 and at most 100000",
                self.amount
            )));
        }
        if !(1..=1000).contains(&self.quantity) {
            return Err(bad(format!(
                "quantity is {}; give 1 to 1000",
                self.quantity
            )));
        }
        Ok((category, region))
    }
}

/// Records `new` and adds it to its day's rollup row, in one transaction (tried again
/// when two first sales of a day race to create the row).
pub async fn record(db: &Engine, new: &NewSale) -> Result<Sale, Error> {
    let (category, region) = new.check()?;
    let now = Utc::now();
    let day = now.date_naive();
    let mut tries = 0;
    loop {
        tries += 1;
        let session = db.session();
        let mut sale = Sale {
            id: 0,
            ts: now,
            day: day.to_string(),
            category: category.to_owned(),
            region: region.to_owned(),
            amount: (new.amount * 100.0).round() / 100.0,
            quantity: new.quantity,
        };
        let result = async {
            session.add(&mut sale).await?;
            let updated = session
                .execute(
                    text(
                        "UPDATE daily_sales SET orders = orders + 1, revenue = revenue + :amount, \
                         items = items + :quantity WHERE day = :day AND category = :category AND region = :region",
                    )
                    .bind("amount", sale.amount)
                    .bind("quantity", sale.quantity)
                    .bind("day", sale.day.clone())
                    .bind("category", category)
                    .bind("region", region),
                )
                .await?;
            if updated == 0 {
                session
                    .execute(
                        text(
                            "INSERT INTO daily_sales (day, category, region, weekday, orders, revenue, items) \
                             VALUES (:day, :category, :region, :weekday, 1, :amount, :quantity)",
                        )
                        .bind("day", sale.day.clone())
                        .bind("category", category)
                        .bind("region", region)
                        .bind("weekday", i64::from(day.weekday().num_days_from_monday()))
                        .bind("amount", sale.amount)
                        .bind("quantity", sale.quantity),
                    )
                    .await?;
            }
            session.commit().await
        }
        .await;
        match result {
            Ok(()) => return Ok(sale),
            Err(e) if tries < 3 => {
                tracing::debug!("recording a sale: {e}; trying again");
                let _ = session.rollback().await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// `POST /api/sales` (JSON [`NewSale`], `Authorization: Bearer <ingest token>`): records
/// the sale and publishes it to the live panels. 201 with the sale; 401 without the
/// token; 400 naming a bad field.
#[flask::view]
pub async fn record_sale(
    ctx: RequestContext,
    headers: HeaderMap,
    db: Db,
    hub: Hub,
    Json(new): Json<NewSale>,
) -> Result<(StatusCode, Json<LiveSale>), Error> {
    let token = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if signer(ctx.config())?.unsign(token) != Ok("ingest") {
        return Err(Error::with_description(
            StatusCode::UNAUTHORIZED,
            "Recording a sale takes Authorization: Bearer <token>; `analytics ingest-token` prints it.",
        )
        .with_header(
            http::header::WWW_AUTHENTICATE,
            http::HeaderValue::from_static("Bearer"),
        ));
    }
    let sale = record(&db, &new).await?;
    let live = LiveSale::from(&sale);
    hub.emit(ROOM, "sale", &live).await?;
    Ok((StatusCode::CREATED, Json(live)))
}

// ANCHOR: live_stream
/// `/live`: the `sales` room as server-sent events (`event: sale`, the sale as JSON); a
/// browser that reconnects gets what it missed, from its `Last-Event-ID`.
#[flask::view]
pub async fn live_stream(hub: Hub, LastEventId(last): LastEventId) -> Result<EventStream, Error> {
    Ok(hub
        .subscribe_after(ROOM, last.as_deref())?
        .into_event_stream()
        .retry(Duration::from_secs(2)))
}
// ANCHOR_END: live_stream

/// `ingest-token`: prints the token.
pub async fn print_token(ctx: CliContext) -> Result<(), flask::BoxError> {
    ctx.echo(ingest_token(ctx.app()).map_err(|e| e.to_string())?);
    Ok(())
}

/// `send-events --url U --count N --rate R`: posts N generated sales to the portal at
/// `U`, R a second (the load script behind the live panel).
pub async fn send_events(ctx: CliContext) -> Result<(), flask::BoxError> {
    let url = ctx
        .matches()
        .get_one::<String>("url")
        .cloned()
        .unwrap_or_default();
    let count = *ctx.matches().get_one::<u32>("count").unwrap_or(&100);
    let rate = *ctx.matches().get_one::<f64>("rate").unwrap_or(&4.0);
    if !(rate.is_finite() && rate > 0.0) {
        return Err(format!("--rate is {rate}; give a number of sales a second above 0").into());
    }
    let token = ingest_token(ctx.app()).map_err(|e| e.to_string())?;
    let mut rng = crate::seed::Rng(0x5EED ^ u64::from(count));
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    for i in 0..count {
        tick.tick().await;
        let sale = NewSale {
            category: CATEGORIES[rng.below(CATEGORIES.len() as u64) as usize].to_owned(),
            region: REGIONS[rng.below(REGIONS.len() as u64) as usize].to_owned(),
            amount: (rng.below(40_000) as f64 + 500.0) / 100.0,
            quantity: 1 + rng.below(4) as i64,
        };
        let (status, body) =
            post_json(&url, "/api/sales", &token, &serde_json::to_string(&sale)?).await?;
        if status != 201 {
            return Err(format!("sale {} was refused: {status} {body}", i + 1).into());
        }
        ctx.echo(format!(
            "{:>4} {:<8} {:<12} {:>9.2}",
            i + 1,
            sale.category,
            sale.region,
            sale.amount
        ));
    }
    Ok(())
}

/// A POST over a plain socket (the portal's own HTTP, no client library): the status and
/// the body.
pub async fn post_json(
    base: &str,
    path: &str,
    token: &str,
    body: &str,
) -> Result<(u16, String), flask::BoxError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = base
        .strip_prefix("http://")
        .ok_or_else(|| format!("--url is {base:?}; give http://host:port"))?
        .trim_end_matches('/');
    let mut conn = tokio::net::TcpStream::connect(host)
        .await
        .map_err(|e| format!("cannot connect to {host}: {e}; is the portal running?"))?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    conn.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    tokio::time::timeout(Duration::from_secs(10), conn.read_to_string(&mut response))
        .await
        .map_err(|_| "the portal did not answer within 10 s")??;
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("the portal's answer is not HTTP")?;
    let body = response
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    Ok((status, body))
}
