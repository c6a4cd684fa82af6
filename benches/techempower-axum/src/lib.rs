//! The TechEmpower test types of `examples/techempower`, in plain axum 0.8, sqlx and
//! minijinja with nothing of ours in between: what a careful user writes without the
//! framework. `cargo xtask bench` measures the framework against it.
//!
//! The same work per request as the framework's version: the same SQL statements (one
//! `SELECT` per row, one `UPDATE` per updated row), the same template file, the same
//! `Server` header layer.

use std::sync::{Arc, LazyLock};

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use minijinja::{Environment, context};
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, SqlitePool};
use tower_http::set_header::SetResponseHeaderLayer;

/// The most rows `/queries` and `/updates` touch.
const MAX_QUERIES: usize = 500;

/// A row of `world`.
#[derive(Debug, Serialize)]
pub struct World {
    /// 1..=10000.
    pub id: i32,
    /// 1..=10000.
    #[serde(rename = "randomNumber")]
    pub random_number: i32,
}

/// A row of `fortune`.
#[derive(Debug, Serialize)]
pub struct Fortune {
    /// 0 for the one added at request time.
    pub id: i32,
    /// Shown escaped.
    pub message: String,
}

/// The database, as an sqlx pool of its kind.
#[derive(Debug, Clone)]
pub enum Db {
    /// `postgres://...`
    Postgres(PgPool),
    /// `sqlite://...` (sqlx's URL form).
    Sqlite(SqlitePool),
}

impl Db {
    /// Connects to `url` with a pool of `max_connections`, set up as a careful user sets it
    /// up for speed (and as flask-sqlalchemy's engine does): statement logging off, no ping
    /// before each acquire (sqlx's `test_before_acquire`, on by default).
    ///
    /// # Errors
    /// When the URL is not PostgreSQL or SQLite, or the database cannot be reached.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, sqlx::Error> {
        use sqlx::ConnectOptions as _;
        if url.starts_with("postgres") {
            let options = url
                .parse::<sqlx::postgres::PgConnectOptions>()?
                .disable_statement_logging();
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(max_connections)
                .test_before_acquire(false)
                .connect_with(options)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            let options = url
                .parse::<sqlx::sqlite::SqliteConnectOptions>()?
                .disable_statement_logging();
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(max_connections)
                .test_before_acquire(false)
                .connect_with(options)
                .await?;
            Ok(Db::Sqlite(pool))
        }
    }

    async fn world(&self, id: i32) -> Result<World, sqlx::Error> {
        let (id, random_number): (i32, i32) = match self {
            Db::Postgres(pool) => {
                sqlx::query_as("SELECT id, randomnumber FROM world WHERE id = $1")
                    .bind(id)
                    .fetch_one(pool)
                    .await?
            }
            Db::Sqlite(pool) => {
                sqlx::query_as("SELECT id, randomnumber FROM world WHERE id = ?")
                    .bind(id)
                    .fetch_one(pool)
                    .await?
            }
        };
        Ok(World { id, random_number })
    }

    async fn update(&self, world: &World) -> Result<(), sqlx::Error> {
        match self {
            Db::Postgres(pool) => {
                sqlx::query("UPDATE world SET randomnumber = $1 WHERE id = $2")
                    .bind(world.random_number)
                    .bind(world.id)
                    .execute(pool)
                    .await?;
            }
            Db::Sqlite(pool) => {
                sqlx::query("UPDATE world SET randomnumber = ? WHERE id = ?")
                    .bind(world.random_number)
                    .bind(world.id)
                    .execute(pool)
                    .await?;
            }
        }
        Ok(())
    }

    async fn fortunes(&self) -> Result<Vec<Fortune>, sqlx::Error> {
        let rows: Vec<(i32, String)> = match self {
            Db::Postgres(pool) => {
                sqlx::query_as("SELECT id, message FROM fortune")
                    .fetch_all(pool)
                    .await?
            }
            Db::Sqlite(pool) => {
                sqlx::query_as("SELECT id, message FROM fortune")
                    .fetch_all(pool)
                    .await?
            }
        };
        Ok(rows
            .into_iter()
            .map(|(id, message)| Fortune { id, message })
            .collect())
    }
}

/// What the handlers share.
type AppState = Arc<Db>;

/// A database error as a 500.
#[expect(clippy::needless_pass_by_value, reason = "the shape `map_err` takes")]
fn internal(e: sqlx::Error) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()
}

fn random_id() -> i32 {
    fastrand::i32(1..=10_000)
}

/// `?queries=N`, clamped as the benchmark says (1 when missing or not a number, at most 500).
#[derive(Debug, Deserialize)]
struct Queries {
    queries: Option<String>,
}

impl Queries {
    fn count(&self) -> usize {
        match self.queries.as_deref().and_then(|v| v.parse::<i64>().ok()) {
            Some(n) if n > MAX_QUERIES as i64 => MAX_QUERIES,
            Some(n) if n >= 1 => n as usize,
            _ => 1,
        }
    }
}

async fn plaintext() -> Response {
    ([(header::CONTENT_TYPE, "text/plain")], "Hello, World!").into_response()
}

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

async fn json() -> Json<Message> {
    Json(Message {
        message: "Hello, World!",
    })
}

async fn single_query(State(db): State<AppState>) -> Result<Json<World>, Response> {
    db.world(random_id()).await.map(Json).map_err(internal)
}

async fn queries(
    State(db): State<AppState>,
    Query(q): Query<Queries>,
) -> Result<Json<Vec<World>>, Response> {
    let n = q.count();
    let mut worlds = Vec::with_capacity(n);
    for _ in 0..n {
        worlds.push(db.world(random_id()).await.map_err(internal)?);
    }
    Ok(Json(worlds))
}

/// The template file of `examples/techempower`, with HTML autoescape.
static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.add_template(
        "fortunes.html",
        include_str!("../../../examples/techempower/templates/fortunes.html"),
    )
    .expect("the fortunes template parses");
    env
});

async fn fortunes(State(db): State<AppState>) -> Result<Html<String>, Response> {
    let mut fortunes = db.fortunes().await.map_err(internal)?;
    fortunes.push(Fortune {
        id: 0,
        message: "Additional fortune added at request time.".to_owned(),
    });
    fortunes.sort_by(|a, b| a.message.cmp(&b.message));
    TEMPLATES
        .get_template("fortunes.html")
        .and_then(|t| t.render(context! { fortunes }))
        .map(Html)
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response())
}

async fn updates(
    State(db): State<AppState>,
    Query(q): Query<Queries>,
) -> Result<Json<Vec<World>>, Response> {
    let n = q.count();
    let mut worlds = Vec::with_capacity(n);
    for _ in 0..n {
        let mut world = db.world(random_id()).await.map_err(internal)?;
        world.random_number = random_id();
        db.update(&world).await.map_err(internal)?;
        worlds.push(world);
    }
    Ok(Json(worlds))
}

/// The six routes on `db`, `Server: axum` on every response.
pub fn router(db: Db) -> Router {
    Router::new()
        .route("/plaintext", get(plaintext))
        .route("/json", get(json))
        .route("/db", get(single_query))
        .route("/queries", get(queries))
        .route("/fortunes", get(fortunes))
        .route("/updates", get(updates))
        .layer(SetResponseHeaderLayer::overriding(
            header::SERVER,
            HeaderValue::from_static("axum"),
        ))
        .with_state(Arc::new(db))
}

/// Serves [`router`] on `listener` until the process ends.
///
/// # Errors
/// When the listener fails.
pub async fn serve(listener: tokio::net::TcpListener, db: Db) -> std::io::Result<()> {
    use axum::serve::ListenerExt as _;
    // TCP_NODELAY, as axum's documentation has it: without it, pipelined responses wait on
    // Nagle's algorithm for the client's delayed ACK (40 ms each).
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, router(db)).await
}
