//! Recorded queries per request (Flask-SQLAlchemy's `get_recorded_queries()`) and the SQL
//! panel of the debug page.

use std::sync::{Arc, Mutex};

use flask::{DebugPanel, RequestContext};

use crate::RecordedQuery;

/// The statements of one request, kept in its `g`.
#[derive(Debug, Clone, Default)]
struct RequestQueries(Arc<Mutex<Vec<RecordedQuery>>>);

/// What engines hand their recorded statements to: the current request's list.
pub(super) fn sink() -> crate::engine::QuerySink {
    Arc::new(|query: RecordedQuery| {
        let Some(ctx) = RequestContext::try_current() else {
            return;
        };
        let g = ctx.g();
        let list = match g.get::<RequestQueries>() {
            Some(list) => list,
            None => {
                let list = RequestQueries::default();
                g.insert(list.clone());
                list
            }
        };
        list.0.lock().unwrap_or_else(|e| e.into_inner()).push(query);
    })
}

/// The statements the current request has run so far, in order (Flask-SQLAlchemy's
/// `get_recorded_queries()`): recorded when `SQLALCHEMY_RECORD_QUERIES` is on, which it is by
/// default in debug mode. Empty outside a request or with recording off.
///
/// ```
/// use flask::{Flask, routing::get};
/// use flask_sqlalchemy::{Db, Model, SQLAlchemy, get_recorded_queries};
///
/// #[derive(Debug, Model)]
/// struct Note {
///     #[model(primary_key)]
///     id: i64,
/// }
///
/// #[flask::view]
/// async fn page(db: Db) -> Result<String, flask::Error> {
///     db.select::<Note>().count().await?;
///     db.get::<Note>(1).await?;
///     Ok(get_recorded_queries().len().to_string())
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = Flask::new("notes")
///     .configure(|c| {
///         c.set("SQLALCHEMY_DATABASE_URI", "sqlite://");
///         c.set("SQLALCHEMY_RECORD_QUERIES", true);
///     })
///     .extension(SQLAlchemy::new().model::<Note>().create_all_on_startup())
///     .route("/", get(page))
///     .test_client();
/// assert_eq!(client.get("/").send().await.text(), "2");
/// # }
/// ```
pub fn get_recorded_queries() -> Vec<RecordedQuery> {
    RequestContext::try_current()
        .and_then(|ctx| ctx.g().get::<RequestQueries>())
        .map(|list| list.0.lock().unwrap_or_else(|e| e.into_inner()).clone())
        .unwrap_or_default()
}

/// The debug page's SQL panel for `ctx`'s request.
pub(super) fn panel(ctx: &RequestContext, recording: bool) -> DebugPanel {
    let queries = ctx
        .g()
        .get::<RequestQueries>()
        .map(|list| list.0.lock().unwrap_or_else(|e| e.into_inner()).clone())
        .unwrap_or_default();
    let mut panel = DebugPanel::new(["#", "statement", "parameters", "duration"]);
    if !recording {
        return panel.note(
            "SQLALCHEMY_RECORD_QUERIES is off: turn it on to see this request's statements.",
        );
    }
    if queries.is_empty() {
        return panel.note("This request ran no SQL before it failed.");
    }
    let total: std::time::Duration = queries.iter().map(|q| q.duration).sum();
    panel = panel.note(format!(
        "{} statement(s), {:.3} ms in the database, in the order they ran.",
        queries.len(),
        total.as_secs_f64() * 1e3
    ));
    for (i, q) in queries.iter().enumerate() {
        let parameters = q
            .parameters
            .iter()
            .map(|v| format!("{v:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        panel = panel.row([
            (i + 1).to_string(),
            q.statement.clone(),
            parameters,
            format!("{:.3} ms", q.duration.as_secs_f64() * 1e3),
        ]);
    }
    panel
}
