//! flask-sqlalchemy against plain sqlx, in one process: the same four operations on the
//! same kind of table, timed in alternating rounds.
//!
//! `orm-baseline [--postgres URL] [--rounds N] [--scale X]` prints one line per round and
//! then a Markdown table (ORM time per operation over plain sqlx's; the target is at most
//! 1.10). SQLite always runs (in memory, as the ORM's `sqlite://`); PostgreSQL runs when a
//! URL is given. `cargo xtask bench` runs it and adds the table to its report.
//!
//! The plain sqlx side is what a careful user writes without an ORM: one SQL string per
//! operation, `bind`, `fetch_*`, and reading columns by position into the same struct. Its
//! pool and connections are set up as the engine sets up its own (statement logging off, no
//! ping before each acquire), so the difference is the ORM's work alone.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use flask_sqlalchemy::{Engine, EngineOptions, MetaData, Model};
use sqlx::ConnectOptions as _;
use sqlx::Row as _;

const USAGE: &str = "usage: orm-baseline [--postgres URL] [--rounds N] [--scale X]";
const TARGET: f64 = 1.10;
const ROWS: i64 = 1000;

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "bench_item")]
struct Item {
    #[model(primary_key)]
    id: i64,
    #[model(max_length = 100)]
    name: String,
    score: i32,
    amount: f64,
    note: Option<String>,
}

fn item(i: i64) -> Item {
    Item {
        id: 0,
        name: format!("item {i}"),
        score: i32::try_from(i % 100).unwrap_or(0),
        amount: i as f64 * 1.25,
        note: (i % 3 == 0).then(|| format!("note {i}")),
    }
}

/// The operations, with how many make one timed batch (before `--scale`).
const OPERATIONS: [(&str, u32); 4] = [
    ("get by primary key", 2000),
    ("list 100 rows", 300),
    ("insert in a transaction", 400),
    ("load 100, change 10, commit", 200),
];

/// The SQL of "load 100, change 10, commit", with SQLite's placeholders.
const LOAD_100: &str =
    "SELECT id, name, score, amount, note FROM bench_item WHERE id > ? ORDER BY id LIMIT 100";
const CHANGE_SCORE: &str = "UPDATE bench_item SET score = ? WHERE id = ?";

/// Plain sqlx on one database: its pool and the SQL of each operation.
enum Plain {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

macro_rules! read_item {
    ($row:expr) => {
        Item {
            id: $row.try_get(0)?,
            name: $row.try_get(1)?,
            score: $row.try_get(2)?,
            amount: $row.try_get(3)?,
            note: $row.try_get(4)?,
        }
    };
}

impl Plain {
    async fn get(&self, id: i64) -> Result<Option<Item>, sqlx::Error> {
        Ok(match self {
            Plain::Sqlite(pool) => {
                let row = sqlx::query(
                    "SELECT id, name, score, amount, note FROM bench_item WHERE id = ?",
                )
                .bind(id)
                .fetch_optional(pool)
                .await?;
                match row {
                    Some(row) => Some(read_item!(row)),
                    None => None,
                }
            }
            Plain::Postgres(pool) => {
                let row = sqlx::query(
                    "SELECT id, name, score, amount, note FROM bench_item WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(pool)
                .await?;
                match row {
                    Some(row) => Some(read_item!(row)),
                    None => None,
                }
            }
        })
    }

    async fn list(&self) -> Result<Vec<Item>, sqlx::Error> {
        const SQL: &str =
            "SELECT id, name, score, amount, note FROM bench_item ORDER BY id LIMIT 100";
        let mut out = Vec::with_capacity(100);
        match self {
            Plain::Sqlite(pool) => {
                for row in sqlx::query(SQL).fetch_all(pool).await? {
                    out.push(read_item!(row));
                }
            }
            Plain::Postgres(pool) => {
                for row in sqlx::query(SQL).fetch_all(pool).await? {
                    out.push(read_item!(row));
                }
            }
        }
        Ok(out)
    }

    /// In one transaction: loads the 100 rows after `after`, adds 1 to the score of every
    /// tenth and writes each change with its own UPDATE; returns how many changed.
    async fn load_change_commit(&self, after: i64) -> Result<usize, sqlx::Error> {
        let mut items = Vec::with_capacity(100);
        let mut changed = 0;
        match self {
            Plain::Sqlite(pool) => {
                let mut tx = pool.begin().await?;
                for row in sqlx::query(LOAD_100)
                    .bind(after)
                    .fetch_all(&mut *tx)
                    .await?
                {
                    items.push(read_item!(row));
                }
                for item in items.iter_mut().step_by(10) {
                    item.score += 1;
                    sqlx::query(CHANGE_SCORE)
                        .bind(item.score)
                        .bind(item.id)
                        .execute(&mut *tx)
                        .await?;
                    changed += 1;
                }
                tx.commit().await?;
            }
            Plain::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                for row in sqlx::query(
                    "SELECT id, name, score, amount, note FROM bench_item WHERE id > $1 ORDER BY id LIMIT 100",
                )
                    .bind(after)
                    .fetch_all(&mut *tx)
                    .await?
                {
                    items.push(read_item!(row));
                }
                for item in items.iter_mut().step_by(10) {
                    item.score += 1;
                    sqlx::query("UPDATE bench_item SET score = $1 WHERE id = $2")
                        .bind(item.score)
                        .bind(item.id)
                        .execute(&mut *tx)
                        .await?;
                    changed += 1;
                }
                tx.commit().await?;
            }
        }
        Ok(changed)
    }

    async fn insert(&self, item: &mut Item) -> Result<(), sqlx::Error> {
        match self {
            Plain::Sqlite(pool) => {
                let mut tx = pool.begin().await?;
                let row = sqlx::query(
                    "INSERT INTO bench_item (name, score, amount, note) VALUES (?, ?, ?, ?) RETURNING id",
                )
                .bind(&item.name)
                .bind(item.score)
                .bind(item.amount)
                .bind(&item.note)
                .fetch_one(&mut *tx)
                .await?;
                item.id = row.try_get(0)?;
                tx.commit().await?;
            }
            Plain::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let row = sqlx::query(
                    "INSERT INTO bench_item (name, score, amount, note) VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(&item.name)
                .bind(item.score)
                .bind(item.amount)
                .bind(&item.note)
                .fetch_one(&mut *tx)
                .await?;
                item.id = row.try_get(0)?;
                tx.commit().await?;
            }
        }
        Ok(())
    }
}

/// One side of the comparison.
#[derive(Clone, Copy, PartialEq)]
enum Side {
    Plain,
    Orm,
}

/// Runs `n` of `operation` on one side; returns the time per operation.
async fn batch(
    side: Side,
    operation: usize,
    n: u32,
    orm: &Engine,
    plain: &Plain,
) -> Result<Duration, String> {
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", OPERATIONS[operation].0);
    let started = Instant::now();
    for i in 0..n {
        let id = i64::from(i) % ROWS + 1;
        match (operation, side) {
            (0, Side::Orm) => {
                let found = orm.get::<Item>(id).await.map_err(|e| err(&e))?;
                std::hint::black_box(found.ok_or("a seeded row is missing")?);
            }
            (0, Side::Plain) => {
                let found = plain.get(id).await.map_err(|e| err(&e))?;
                std::hint::black_box(found.ok_or("a seeded row is missing")?);
            }
            (1, Side::Orm) => {
                let rows = orm
                    .select::<Item>()
                    .order_by(Item::id.asc())
                    .limit(100)
                    .all()
                    .await
                    .map_err(|e| err(&e))?;
                std::hint::black_box(rows);
            }
            (1, Side::Plain) => {
                std::hint::black_box(plain.list().await.map_err(|e| err(&e))?);
            }
            (3, Side::Orm) => {
                let after = i64::from(i * 100) % (ROWS - 100);
                let session = orm.session();
                let items = session
                    .select::<Item>()
                    .filter(Item::id.gt(after))
                    .order_by(Item::id.asc())
                    .limit(100)
                    .objects()
                    .await
                    .map_err(|e| err(&e))?;
                let mut changed = 0;
                for item in items.iter().step_by(10) {
                    item.write().score += 1;
                    changed += 1;
                }
                session.commit().await.map_err(|e| err(&e))?;
                std::hint::black_box(changed);
            }
            (3, Side::Plain) => {
                let after = i64::from(i * 100) % (ROWS - 100);
                let changed = plain.load_change_commit(after).await.map_err(|e| err(&e))?;
                std::hint::black_box(changed);
            }
            (_, Side::Orm) => {
                let mut new = item(id);
                let session = orm.session();
                session.add(&mut new).await.map_err(|e| err(&e))?;
                session.commit().await.map_err(|e| err(&e))?;
                std::hint::black_box(new.id);
            }
            (_, Side::Plain) => {
                let mut new = item(id);
                plain.insert(&mut new).await.map_err(|e| err(&e))?;
                std::hint::black_box(new.id);
            }
        }
    }
    Ok(started.elapsed() / n)
}

/// One operation's result on one database.
struct Measured {
    database: &'static str,
    operation: &'static str,
    plain: Duration,
    orm: Duration,
    ratios: Vec<f64>,
}

impl Measured {
    fn median(&self) -> f64 {
        let mut r = self.ratios.clone();
        r.sort_by(f64::total_cmp);
        match r.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => r[n / 2],
            n => (r[n / 2 - 1] + r[n / 2]) / 2.0,
        }
    }
}

async fn measure(
    database: &'static str,
    orm: &Engine,
    plain: &Plain,
    rounds: u32,
    scale: f64,
) -> Result<Vec<Measured>, String> {
    let meta = MetaData::new().register::<Item>();
    orm.drop_all(&meta).await.map_err(|e| e.to_string())?;
    orm.create_all(&meta).await.map_err(|e| e.to_string())?;
    let session = orm.session();
    for i in 1..=ROWS {
        session.add(&mut item(i)).await.map_err(|e| e.to_string())?;
    }
    session.commit().await.map_err(|e| e.to_string())?;
    // The plain side checks it reads what the ORM wrote: the same rows, the same struct.
    let first_plain = plain.get(1).await.map_err(|e| e.to_string())?;
    let first_orm = orm.get::<Item>(1).await.map_err(|e| e.to_string())?;
    if first_plain != first_orm || first_orm.is_none() {
        return Err(format!(
            "{database}: plain sqlx and the ORM read row 1 differently: {first_plain:?} / {first_orm:?}"
        ));
    }

    let mut out = Vec::new();
    for (operation, (name, base)) in OPERATIONS.iter().enumerate() {
        let n = ((f64::from(*base) * scale) as u32).max(10);
        // Warm both sides: pools, prepared statement caches, allocator.
        batch(Side::Plain, operation, n / 4 + 1, orm, plain).await?;
        batch(Side::Orm, operation, n / 4 + 1, orm, plain).await?;
        let mut best = [Duration::MAX, Duration::MAX];
        let mut ratios = Vec::new();
        for round in 1..=rounds {
            let order = if round % 2 == 1 {
                [Side::Plain, Side::Orm]
            } else {
                [Side::Orm, Side::Plain]
            };
            let mut times = [Duration::ZERO; 2];
            for side in order {
                let i = usize::from(side == Side::Orm);
                times[i] = batch(side, operation, n, orm, plain).await?;
                best[i] = best[i].min(times[i]);
            }
            let ratio = times[1].as_secs_f64() / times[0].as_secs_f64();
            println!(
                "orm-bench: {database:<10} {name:<24} round {round}/{rounds}  plain sqlx {:>9.1} us  ORM {:>9.1} us  ratio {ratio:.3}",
                micros(times[0]),
                micros(times[1]),
            );
            ratios.push(ratio);
        }
        out.push(Measured {
            database,
            operation: name,
            plain: best[0],
            orm: best[1],
            ratios,
        });
    }
    orm.drop_all(&meta).await.map_err(|e| e.to_string())?;
    Ok(out)
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn table(results: &[Measured], rounds: u32) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "## Bench: flask-sqlalchemy against plain sqlx\n");
    let _ = writeln!(
        out,
        "One process, one connection in use at a time; {rounds} rounds per operation, the two \
         sides back to back in each (who goes first alternates). `ratio` is the median over \
         rounds of ORM time / plain sqlx time per operation (lower is better), with the \
         lowest and highest round beside it; the times are each side's best round.\n"
    );
    let _ = writeln!(
        out,
        "| database | operation | plain sqlx us/op | ORM us/op | ratio (median) | rounds min-max | target <= {TARGET} |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---|");
    for m in results {
        let ratio = m.median();
        let _ = writeln!(
            out,
            "| {} | {} | {:.1} | {:.1} | {ratio:.3} | {:.3}-{:.3} | {} |",
            m.database,
            m.operation,
            micros(m.plain),
            micros(m.orm),
            m.ratios.iter().copied().fold(f64::INFINITY, f64::min),
            m.ratios.iter().copied().fold(0.0, f64::max),
            if ratio <= TARGET {
                "met"
            } else {
                "BELOW TARGET"
            }
        );
    }
    out
}

async fn run(postgres: Option<String>, rounds: u32, scale: f64) -> Result<String, String> {
    let mut results = Vec::new();

    let orm = Engine::connect(
        "sqlite://",
        std::env::temp_dir().as_ref(),
        EngineOptions::default(),
    )
    .await
    .map_err(|e| e.to_string())?;
    // The same shared in-memory database the ORM's `sqlite://` opens, another one of it.
    // Connected as the engine connects: statement logging off on both sides.
    let options = "sqlite::memory:"
        .parse::<sqlx::sqlite::SqliteConnectOptions>()
        .map_err(|e| e.to_string())?
        .disable_statement_logging();
    // The pool as the engine's defaults make it: no ping before each acquire (SQLAlchemy's
    // pool_pre_ping is off by default; sqlx's test_before_acquire is on).
    let plain = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(15)
        .test_before_acquire(false)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(options)
        .await
        .map_err(|e| e.to_string())?;
    // The plain side's own copy of the table, seeded alike.
    let plain_engine = PlainSeed::Sqlite(plain.clone());
    plain_engine.seed().await?;
    results.extend(measure("SQLite", &orm, &Plain::Sqlite(plain), rounds, scale).await?);
    orm.close().await;

    if let Some(url) = postgres {
        let orm = Engine::connect(
            &url,
            std::env::temp_dir().as_ref(),
            EngineOptions::default(),
        )
        .await
        .map_err(|e| e.to_string())?;
        let options = url
            .parse::<sqlx::postgres::PgConnectOptions>()
            .map_err(|e| e.to_string())?
            .disable_statement_logging();
        let plain = sqlx::postgres::PgPoolOptions::new()
            .max_connections(15)
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(|e| format!("cannot connect to PostgreSQL: {e}"))?;
        // One table for both sides: the ORM creates it, plain sqlx reads and writes it too.
        results.extend(measure("PostgreSQL", &orm, &Plain::Postgres(plain), rounds, scale).await?);
        orm.close().await;
    }
    Ok(table(&results, rounds))
}

/// Seeds plain sqlx's own SQLite database (in-memory databases are per pool).
enum PlainSeed {
    Sqlite(sqlx::SqlitePool),
}

impl PlainSeed {
    async fn seed(&self) -> Result<(), String> {
        let PlainSeed::Sqlite(pool) = self;
        let e = |e: sqlx::Error| e.to_string();
        sqlx::query(
            "CREATE TABLE bench_item (id INTEGER PRIMARY KEY AUTOINCREMENT, \
             name VARCHAR(100) NOT NULL, score INTEGER NOT NULL, amount DOUBLE NOT NULL, note TEXT)",
        )
        .execute(pool)
        .await
        .map_err(e)?;
        let plain = Plain::Sqlite(pool.clone());
        for i in 1..=ROWS {
            plain.insert(&mut item(i)).await.map_err(e)?;
        }
        Ok(())
    }
}

fn main() -> ExitCode {
    let mut postgres = None;
    let mut rounds = 6;
    let mut scale = 1.0;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next();
        match (arg.as_str(), value) {
            ("--postgres", Some(v)) => postgres = Some(v),
            ("--rounds", Some(v)) if v.parse::<u32>().is_ok_and(|n| n > 0) => {
                rounds = v.parse().unwrap_or(6);
            }
            ("--scale", Some(v)) if v.parse::<f64>().is_ok_and(|x| x > 0.0) => {
                scale = v.parse().unwrap_or(1.0);
            }
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("orm-baseline: cannot start tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(postgres, rounds, scale)) {
        Ok(table) => {
            println!("\n{table}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("orm-baseline: {e}");
            ExitCode::FAILURE
        }
    }
}
