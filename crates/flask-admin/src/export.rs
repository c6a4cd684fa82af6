//! Export of the list (Flask-Admin's `can_export`): the rows the search and filters select,
//! in the list's order, as CSV or JSON, streamed a batch at a time so that memory stays
//! the same whatever the table's size.

use std::collections::HashMap;

use axum::body::Body;
use flask::{Error, HeaderValue, RequestContext, Response, StatusCode};
use flask_sqlalchemy::{Engine, Model, Value};
use futures_util::stream;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::model_view::{ListQuery, Pages, query_args};
use crate::relations::Relation;

/// Rows read per query while exporting.
const BATCH: u64 = 500;

/// The formats of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Csv,
    Json,
}

impl Format {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }
}

/// What the stream carries from one batch to the next.
struct State<M> {
    engine: Engine,
    query: ListQuery<M>,
    /// Indexes of the exported columns in the model's values, and their names.
    columns: Vec<(usize, &'static str)>,
    relations: Vec<(usize, Relation)>,
    format: Format,
    offset: u64,
    /// Rows written so far (a JSON array needs commas between).
    written: u64,
    limit: Option<u64>,
    done: bool,
}

impl<M> Pages<M>
where
    M: Model + Serialize + DeserializeOwned + Clone,
{
    /// `GET /export/<format>/`: the list's rows, with its search, filters and order.
    pub(crate) async fn export(
        &self,
        ctx: RequestContext,
        format: Format,
    ) -> Result<Response, Error> {
        self.check(&ctx)?;
        if !self.view.can_export || !self.view.export_types.contains(&format) {
            return Err(flask::abort(404));
        }
        self.require(&ctx, &crate::Permission::Export)?;
        let engine = self.engine(&ctx)?;
        let args: HashMap<String, String> = query_args(&ctx);
        let query = self.list_query(&ctx, &engine, &args).await?;
        let columns: Vec<(usize, &'static str)> = query
            .listed
            .iter()
            .filter_map(|c| {
                M::TABLE
                    .columns
                    .iter()
                    .position(|t| t.name == c.name)
                    .map(|i| (i, c.name))
            })
            .collect();
        let relations: Vec<(usize, Relation)> = self
            .relations(&ctx)
            .into_iter()
            .filter_map(|r| {
                columns
                    .iter()
                    .find(|(_, name)| *name == r.column.name)
                    .map(|(i, _)| (*i, r))
            })
            .collect();
        let mut head = Vec::new();
        if format == Format::Csv {
            let mut w = csv::Writer::from_writer(&mut head);
            let labels: Vec<String> = query
                .listed
                .iter()
                .map(|c| self.view.label_of(c.name))
                .collect();
            w.write_record(&labels).map_err(Error::internal)?;
            w.flush().map_err(Error::internal)?;
        } else {
            head.push(b'[');
        }
        let state = State {
            engine,
            query,
            columns,
            relations,
            format,
            offset: 0,
            written: 0,
            limit: self.view.export_max_rows,
            done: false,
        };
        let first = stream::once(async move { Ok::<_, std::io::Error>(head) });
        let rows = stream::unfold(state, |mut state| async move {
            if state.done {
                return None;
            }
            match next_batch(&mut state).await {
                Ok(chunk) => Some((Ok(chunk), state)),
                Err(e) => {
                    tracing::error!("flask-admin: the export of {} failed: {e}", M::TABLE.name);
                    state.done = true;
                    Some((Err(std::io::Error::other(e.to_string())), state))
                }
            }
        });
        let body = Body::from_stream(futures_util::StreamExt::chain(first, rows));
        let stamp = chrono::Utc::now().format("%Y-%m-%d_%H-%M-%S");
        let filename = format!("{}_{stamp}.{}", self.view.endpoint, format.name());
        let mut resp = Response::new(body);
        *resp.status_mut() = StatusCode::OK;
        let content_type = match format {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Json => "application/json",
        };
        resp.headers_mut().insert(
            flask::HeaderName::from_static("content-type"),
            HeaderValue::from_static(content_type),
        );
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
            resp.headers_mut()
                .insert(flask::HeaderName::from_static("content-disposition"), v);
        }
        Ok(resp)
    }
}

/// The next batch of rows, written out; the last one closes a JSON array.
async fn next_batch<M: Model>(state: &mut State<M>) -> Result<Vec<u8>, Error> {
    let mut size = BATCH;
    if let Some(limit) = state.limit {
        size = size.min(limit.saturating_sub(state.offset));
    }
    let models = if size == 0 {
        Vec::new()
    } else {
        state
            .query
            .select(&state.engine, true)
            .limit(size)
            .offset(state.offset)
            .all()
            .await?
    };
    state.offset += models.len() as u64;
    let last = (models.len() as u64) < size || size == 0;
    let values: Vec<Vec<Value>> = models.iter().map(Model::values).collect();
    let mut labels: HashMap<usize, HashMap<String, String>> = HashMap::new();
    for (i, rel) in &state.relations {
        let keys: Vec<Value> = values.iter().map(|v| v[*i].clone()).collect();
        labels.insert(*i, rel.labels(&state.engine, &keys).await?);
    }
    let shown = |row: &[Value], i: usize| {
        let text = crate::display::text(&row[i]);
        labels
            .get(&i)
            .and_then(|l| l.get(&text))
            .cloned()
            .unwrap_or(text)
    };
    let mut out = Vec::new();
    match state.format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            for row in &values {
                let record: Vec<String> =
                    state.columns.iter().map(|(i, _)| shown(row, *i)).collect();
                w.write_record(&record).map_err(Error::internal)?;
            }
            w.flush().map_err(Error::internal)?;
        }
        Format::Json => {
            for row in &values {
                if state.written > 0 {
                    out.push(b',');
                }
                let mut object = serde_json::Map::new();
                for (i, name) in &state.columns {
                    let value = if labels.contains_key(i) && !row[*i].is_null() {
                        serde_json::Value::String(shown(row, *i))
                    } else {
                        crate::display::json(&row[*i])
                    };
                    object.insert((*name).to_owned(), value);
                }
                serde_json::to_writer(&mut out, &object).map_err(Error::internal)?;
                state.written += 1;
            }
            if last {
                out.extend_from_slice(b"]\n");
            }
        }
    }
    if last {
        state.done = true;
    }
    Ok(out)
}
