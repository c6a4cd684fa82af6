//! The [TechEmpower Framework Benchmarks](https://www.techempower.com/benchmarks/) test
//! types, written as a Flask user writes them with flask and flask-sqlalchemy:
//!
//! | URL | test type | work per request |
//! |---|---|---|
//! | `/plaintext` | plaintext | `Hello, World!` as `text/plain` |
//! | `/json` | JSON serialization | a new `{"message": "Hello, World!"}` serialized |
//! | `/db` | single query | one random `world` row by primary key |
//! | `/queries?queries=N` | multiple queries | N rows, one query each (N clamped to 1..=500) |
//! | `/fortunes` | fortunes | every `fortune` row, one added, sorted, rendered escaped |
//! | `/updates?queries=N` | updates | N rows read one by one, each given a new random number and written back |
//!
//! Every response has `Server`, `Date` and `Content-Type`. `benches/techempower-axum` is the
//! same in plain axum, sqlx and minijinja; `cargo xtask bench` measures one against the
//! other, and `tests/verify.rs` checks both against the benchmark's rules.
//!
//! ```text
//! cargo run -p techempower -- init-db     # the world (10000 rows) and fortune (12) tables
//! cargo run -p techempower -- run         # http://127.0.0.1:5000/fortunes
//! ```

use flask::cli::{CliContext, Command};
use flask::routing::get;
use flask::{
    Args, Error, Flask, HeaderName, HeaderValue, Html, IntoResponse, Json, Response,
    render_template,
};
use flask_sqlalchemy::{Db, Dialect, Engine, MetaData, Model, SQLAlchemy, text};
use serde::Serialize;

/// Rows in `world` (ids 1..=10000), and the range of their random numbers.
pub const WORLD_ROWS: i32 = 10_000;

/// The most rows `/queries` and `/updates` touch.
pub const MAX_QUERIES: usize = 500;

/// A row of `world`.
#[derive(Debug, Clone, PartialEq, Serialize, Model)]
#[model(table = "world")]
pub struct World {
    /// 1..=10000, given (not numbered by the database).
    #[model(primary_key, autoincrement = false)]
    pub id: i32,
    /// 1..=10000; `randomNumber` in JSON, as the benchmark spells it.
    #[model(column = "randomnumber")]
    #[serde(rename = "randomNumber")]
    pub random_number: i32,
}

/// A row of `fortune`.
#[derive(Debug, Clone, PartialEq, Serialize, Model)]
#[model(table = "fortune")]
pub struct Fortune {
    /// 1..=12 in the table; 0 for the one added at request time.
    #[model(primary_key, autoincrement = false)]
    pub id: i32,
    /// The fortune, shown escaped.
    #[model(max_length = 2048)]
    pub message: String,
}

/// The benchmark's twelve fortunes.
pub const FORTUNES: [(i32, &str); 12] = [
    (1, "fortune: No such file or directory"),
    (
        2,
        "A computer scientist is someone who fixes things that aren't broken.",
    ),
    (3, "After enough decimal places, nobody gives a damn."),
    (
        4,
        "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    ),
    (
        5,
        "A computer program does what you tell it to do, not what you want it to do.",
    ),
    (
        6,
        "Emacs is a nice operating system, but I prefer UNIX. \u{2014} Tom Christaensen",
    ),
    (7, "Any program that runs right is obsolete."),
    (
        8,
        "A list is only as strong as its weakest link. \u{2014} Donald Knuth",
    ),
    (9, "Feature: A bug with seniority."),
    (10, "Computers make very fast, very accurate mistakes."),
    (
        11,
        "<script>alert(\"This should not be displayed in a browser alert box.\");</script>",
    ),
    (12, "フレームワークのベンチマーク"),
];

/// The number of rows asked for by `queries`: 1 when it is missing, empty, not a number or
/// below 1; at most 500.
///
/// ```
/// use techempower::clamp_queries;
/// assert_eq!(clamp_queries(Some("20")), 20);
/// assert_eq!(clamp_queries(Some("foo")), 1);
/// assert_eq!(clamp_queries(Some("0")), 1);
/// assert_eq!(clamp_queries(None), 1);
/// assert_eq!(clamp_queries(Some("501")), 500);
/// ```
pub fn clamp_queries(value: Option<&str>) -> usize {
    match value.and_then(|v| v.parse::<i64>().ok()) {
        Some(n) if n > MAX_QUERIES as i64 => MAX_QUERIES,
        Some(n) if n >= 1 => n as usize,
        _ => 1,
    }
}

/// A random `world` id (and a random number for it): 1..=10000.
fn random_id() -> i32 {
    fastrand::i32(1..=WORLD_ROWS)
}

/// `/plaintext`.
#[flask::view]
pub async fn plaintext() -> Response {
    ([("content-type", "text/plain")], "Hello, World!").into_response()
}

/// The body of `/json`.
#[derive(Debug, Serialize)]
pub struct Message {
    /// `Hello, World!`.
    pub message: &'static str,
}

/// `/json`: a new object, serialized.
#[flask::view]
pub async fn json() -> Json<Message> {
    Json(Message {
        message: "Hello, World!",
    })
}

/// One random row.
async fn random_world(db: &Db) -> Result<World, Error> {
    let id = random_id();
    db.get::<World>(id)
        .await?
        .ok_or_else(|| Error::internal(format!("world {id} is missing: run init-db")))
}

/// `/db`: one random row.
#[flask::view]
pub async fn single_query(db: Db) -> Result<Json<World>, Error> {
    Ok(Json(random_world(&db).await?))
}

/// `/queries?queries=N`: N random rows, one query each.
#[flask::view]
pub async fn queries(db: Db, args: Args) -> Result<Json<Vec<World>>, Error> {
    let n = clamp_queries(args.get("queries"));
    let mut worlds = Vec::with_capacity(n);
    for _ in 0..n {
        worlds.push(random_world(&db).await?);
    }
    Ok(Json(worlds))
}

/// `/fortunes`: every fortune and one more, sorted by message, in an HTML table.
#[flask::view]
pub async fn fortunes(db: Db) -> Result<Html<String>, Error> {
    let mut fortunes: Vec<Fortune> = db.all().await?;
    fortunes.push(Fortune {
        id: 0,
        message: "Additional fortune added at request time.".to_owned(),
    });
    fortunes.sort_by(|a, b| a.message.cmp(&b.message));
    render_template("fortunes.html", flask::context! { fortunes })
}

/// `/updates?queries=N`: N random rows read one by one, each given a new random number and
/// written back (one `UPDATE` per row).
#[flask::view]
pub async fn updates(db: Db, args: Args) -> Result<Json<Vec<World>>, Error> {
    let n = clamp_queries(args.get("queries"));
    let mut worlds = Vec::with_capacity(n);
    for _ in 0..n {
        let mut world = random_world(&db).await?;
        world.random_number = random_id();
        db.update(&mut world).await?;
        worlds.push(world);
    }
    Ok(Json(worlds))
}

/// Creates the `world` and `fortune` tables if missing and fills them if empty: ids
/// 1..=10000 with random numbers, and the twelve fortunes.
///
/// # Errors
/// When the database refuses.
pub async fn init_db(engine: &Engine) -> Result<(), flask_sqlalchemy::Error> {
    let metadata = MetaData::new().register::<World>().register::<Fortune>();
    engine.create_all(&metadata).await?;
    if engine.get::<World>(1).await?.is_none() {
        let fill = match engine.dialect() {
            Dialect::Postgres => {
                "INSERT INTO world (id, randomnumber) \
                 SELECT x, least(floor(random() * 10000 + 1), 10000)::integer \
                 FROM generate_series(1, 10000) AS x"
            }
            Dialect::MySql => {
                "INSERT INTO world (id, randomnumber) \
                 WITH RECURSIVE x(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM x WHERE id < 10000) \
                 SELECT id, floor(rand() * 10000) + 1 FROM x"
            }
            Dialect::Sqlite => {
                "WITH RECURSIVE x(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM x WHERE id < 10000) \
                 INSERT INTO world (id, randomnumber) SELECT id, abs(random() % 10000) + 1 FROM x"
            }
        };
        engine.execute(text(fill)).await?;
    }
    if engine.get::<Fortune>(1).await?.is_none() {
        for (id, message) in FORTUNES {
            let mut fortune = Fortune {
                id,
                message: message.to_owned(),
            };
            engine.insert(&mut fortune).await?;
        }
    }
    Ok(())
}

/// `techempower init-db`.
async fn init_db_command(ctx: CliContext) -> Result<(), flask::BoxError> {
    let db = ctx
        .app()
        .extension::<SQLAlchemy>()
        .ok_or("flask-sqlalchemy is not registered")?;
    let engine = db.engine().ok_or("the database is not connected")?;
    init_db(engine).await?;
    ctx.echo("Filled the world (10000 rows) and fortune (12 rows) tables.");
    Ok(())
}

/// The app: the six routes, `Server: flask-rs` on every response.
pub fn app() -> Flask {
    Flask::new(flask::app_root!())
        .configure(|c| c.set("SQLALCHEMY_DATABASE_URI", "sqlite:///hello_world.db"))
        .config_from_prefixed_env("FLASK")
        // No session here; `run` still wants a key, kept in the instance folder.
        .secret_key_file("secret_key")
        .extension(SQLAlchemy::new().model::<World>().model::<Fortune>())
        .command(
            Command::new("init-db").about("Create and fill the world and fortune tables."),
            init_db_command,
        )
        // Flask's way to put a header on every response (a tower layer works too, and
        // costs a little more per request: see docs/performance.md).
        .after_request(|_ctx, mut response: Response| async move {
            response.headers_mut().insert(
                HeaderName::from_static("server"),
                HeaderValue::from_static("flask-rs"),
            );
            response
        })
        .route("/plaintext", get(plaintext))
        .route("/json", get(json))
        .route("/db", get(single_query))
        .route("/queries", get(queries))
        .route("/fortunes", get(fortunes))
        .route("/updates", get(updates))
}
