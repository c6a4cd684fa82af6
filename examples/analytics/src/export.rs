//! `/export.csv`: the filtered sales as CSV, streamed in batches of 1,000 read by key, so
//! memory stays flat whatever the range (a year is a million rows).

use flask::{Error, IntoResponse, Query, Response, stream_with_context};
use flask_sqlalchemy::{Db, Engine, Select};
use http::header;

use crate::Sale;
use crate::filters::{Filters, Params};
use crate::reports::latest_day;

/// What the export sends after the batch in hand.
enum Next {
    Rows(Vec<Sale>),
    Failed(String),
    Done,
}

/// Rows read per query.
const BATCH: u64 = 1000;

/// The CSV of one batch (with the header line first when `header` is set).
fn csv_batch(sales: &[Sale], header: bool) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::with_capacity(sales.len() * 64));
    if header {
        out.write_record(["id", "time", "category", "region", "amount", "quantity"])?;
    }
    for s in sales {
        out.write_record([
            s.id.to_string(),
            s.ts.to_rfc3339(),
            s.category.clone(),
            s.region.clone(),
            format!("{:.2}", s.amount),
            s.quantity.to_string(),
        ])?;
    }
    out.into_inner().map_err(|e| e.into_error().into())
}

async fn next_batch(db: &Engine, filters: &Filters, after: i64) -> Result<Vec<Sale>, Error> {
    Ok(filters
        .sales()
        .into_iter()
        .fold(db.select::<Sale>(), Select::filter)
        .filter(Sale::id.gt(after))
        .order_by(Sale::id.asc())
        .limit(BATCH)
        .all()
        .await?)
}

/// `/export.csv?from=..&to=..&category=..&region=..`: the sales the dashboard's filters
/// keep, oldest first. A bad filter is a 400 before anything is sent; a database failure
/// half way ends the body early (the status has gone).
#[flask::view]
pub async fn export_csv(db: Db, Query(params): Query<Params>) -> Result<Response, Error> {
    let filters = Filters::parse(&params, latest_day(&db).await?)?;
    // The first batch is read before the response starts: an error there is a 500.
    let first = next_batch(&db, &filters, 0).await?;
    let filename = format!("sales-{}-{}.csv", filters.from, filters.to);
    // Each item is the CSV of one batch; a failure ends the body with an error, so the
    // client sees a cut download rather than a short file that looks whole.
    let state = (Next::Rows(first), db, filters, true);
    let body = futures_util::stream::unfold(state, |(next, db, filters, header)| async move {
        let batch = match next {
            Next::Rows(batch) if !batch.is_empty() || header => batch,
            Next::Rows(_) | Next::Done => return None,
            Next::Failed(message) => {
                return Some((Err(failed(&message)), (Next::Done, db, filters, false)));
            }
        };
        let bytes = match csv_batch(&batch, header) {
            Ok(b) => b,
            Err(e) => {
                return Some((
                    Err(failed(&e.to_string())),
                    (Next::Done, db, filters, false),
                ));
            }
        };
        let next = match batch.last() {
            Some(last) if batch.len() as u64 == BATCH => {
                match next_batch(&db, &filters, last.id).await {
                    Ok(rows) => Next::Rows(rows),
                    Err(e) => Next::Failed(e.to_string()),
                }
            }
            _ => Next::Done,
        };
        Some((Ok(bytes::Bytes::from(bytes)), (next, db, filters, false)))
    });
    let body = axum::body::Body::from_stream(stream_with_context(body));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response())
}

fn failed(message: &str) -> std::io::Error {
    tracing::error!("the CSV export stopped: {message}");
    std::io::Error::other(format!("the export stopped: {message}"))
}
