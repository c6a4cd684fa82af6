//! `init-db [--seed] [--orders N]`: the tables, the two users, and a store to look at.

use chrono::{Duration, TimeZone, Utc};
use flask::cli::CliContext;
use flask_sqlalchemy::{Engine, SQLAlchemy, Value, text};

use crate::{Status, User};

/// Rows per INSERT while seeding.
const CHUNK: usize = 400;

/// Creates the tables and the users `admin` and `staff` (if missing); with `--seed`,
/// replaces the store's data with 20 categories, 500 products, 5,000 customers and
/// `--orders` orders (100,000 by default) of one to three lines, over the last year.
pub async fn init_db(ctx: CliContext) -> Result<(), flask::BoxError> {
    let app = ctx.app();
    let ext = app
        .extension::<SQLAlchemy>()
        .ok_or("flask-sqlalchemy is not registered")?;
    let engine = ext.engine().ok_or("the database is not connected")?;
    engine.create_all(ext.metadata()).await?;
    for (name, role) in [("admin", "admin"), ("staff", "staff")] {
        let exists = engine
            .select::<User>()
            .filter(User::username.eq(name))
            .count()
            .await?
            > 0;
        if !exists {
            let mut user = User {
                id: 0,
                username: name.into(),
                password: flask_login::hash_password(name).await?,
                role: role.into(),
            };
            engine.insert(&mut user).await?;
        }
    }
    ctx.echo("Initialized the database: users admin/admin and staff/staff.");
    if ctx.matches().get_flag("seed") {
        let orders = *ctx.matches().get_one::<u32>("orders").unwrap_or(&100_000);
        seed(engine, orders).await?;
        ctx.echo(format!("Seeded the store with {orders} orders."));
    }
    Ok(())
}

/// A small deterministic generator (the same store every time).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const CITIES: [&str; 12] = [
    "Lisbon", "Porto", "Madrid", "Paris", "Lyon", "Berlin", "Munich", "Vienna", "Prague", "Warsaw",
    "Oslo", "Dublin",
];
const WORDS: [&str; 16] = [
    "Oak", "Linen", "Copper", "Stone", "Amber", "Cedar", "Slate", "Wool", "Brass", "Clay", "Maple",
    "Iron", "Silk", "Glass", "Birch", "Jade",
];
const THINGS: [&str; 10] = [
    "Lamp", "Chair", "Mug", "Bowl", "Vase", "Clock", "Stool", "Shelf", "Rug", "Desk",
];

/// Replaces the store's rows with a generated store.
pub async fn seed(engine: &Engine, orders: u32) -> Result<(), flask::BoxError> {
    for table in [
        "order_line",
        "store_order",
        "customer",
        "product",
        "category",
    ] {
        engine.execute(text(format!("DELETE FROM {table}"))).await?;
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // (i mod 16, i mod 10) differs for each i below 80: unique names.
    let categories: Vec<Vec<Value>> = (1..=20_usize)
        .map(|i| {
            vec![
                Value::Int(i as i64),
                Value::from(format!("{} {}s", WORDS[i % 16], THINGS[i % 10])),
            ]
        })
        .collect();
    insert(engine, "category", &["id", "name"], categories).await?;
    let mut prices = Vec::with_capacity(500);
    let products: Vec<Vec<Value>> = (1..=500)
        .map(|i: i64| {
            let price = (rng.below(20_000) as f64 + 100.0) / 100.0;
            prices.push(price);
            let stock = if rng.below(10) == 0 {
                0
            } else {
                rng.below(200) as i64
            };
            vec![
                Value::Int(i),
                Value::from(format!(
                    "{} {} {}",
                    WORDS[rng.below(16) as usize],
                    THINGS[rng.below(10) as usize],
                    i
                )),
                Value::Int(1 + (i % 20)),
                Value::Float(price),
                Value::Int(stock),
                Value::Bool(rng.below(20) != 0),
            ]
        })
        .collect();
    insert(
        engine,
        "product",
        &["id", "name", "category_id", "price", "stock", "active"],
        products,
    )
    .await?;
    let now = Utc::now();
    let year_ago = now - Duration::days(365);
    let customers: Vec<Vec<Value>> = (1..=5000)
        .map(|i: i64| {
            let joined = year_ago - Duration::minutes(rng.below(60 * 24 * 365) as i64);
            vec![
                Value::Int(i),
                Value::from(format!("Customer {i}")),
                Value::from(format!("customer{i}@example.com")),
                Value::from(CITIES[rng.below(12) as usize]),
                Value::DateTimeUtc(joined),
            ]
        })
        .collect();
    insert(
        engine,
        "customer",
        &["id", "name", "email", "city", "joined"],
        customers,
    )
    .await?;
    let mut order_rows = Vec::with_capacity(CHUNK);
    let mut line_rows = Vec::with_capacity(CHUNK * 2);
    let mut line_id: i64 = 0;
    let span = (now - year_ago).num_seconds().max(1) as u64;
    for i in 1..=i64::from(orders) {
        let created = Utc
            .timestamp_opt(year_ago.timestamp() + rng.below(span) as i64, 0)
            .single()
            .unwrap_or(now);
        let age = (now - created).num_days();
        let status = match (age, rng.below(20)) {
            (_, 0) => Status::Cancelled,
            (0..=2, _) => Status::Pending,
            (3..=9, _) => Status::Shipped,
            _ => Status::Delivered,
        };
        let mut total = 0.0;
        for _ in 0..=rng.below(3) {
            line_id += 1;
            let product = 1 + rng.below(500) as i64;
            let quantity = 1 + rng.below(4) as i64;
            let price = prices[(product - 1) as usize];
            total += price * quantity as f64;
            line_rows.push(vec![
                Value::Int(line_id),
                Value::Int(i),
                Value::Int(product),
                Value::Int(quantity),
                Value::Float(price),
            ]);
        }
        order_rows.push(vec![
            Value::Int(i),
            Value::Int(1 + rng.below(5000) as i64),
            Value::DateTimeUtc(created),
            Value::from(format!("{status:?}")),
            Value::Float((total * 100.0).round() / 100.0),
        ]);
        if order_rows.len() == CHUNK {
            insert(
                engine,
                "store_order",
                &["id", "customer_id", "created", "status", "total"],
                std::mem::take(&mut order_rows),
            )
            .await?;
            insert(
                engine,
                "order_line",
                &["id", "order_id", "product_id", "quantity", "price"],
                std::mem::take(&mut line_rows),
            )
            .await?;
        }
    }
    insert(
        engine,
        "store_order",
        &["id", "customer_id", "created", "status", "total"],
        order_rows,
    )
    .await?;
    insert(
        engine,
        "order_line",
        &["id", "order_id", "product_id", "quantity", "price"],
        line_rows,
    )
    .await?;
    // PostgreSQL numbers from its sequences: move them past the ids given here.
    if engine.dialect() == flask_sqlalchemy::Dialect::Postgres {
        for table in [
            "category",
            "product",
            "customer",
            "store_order",
            "order_line",
        ] {
            engine
                .execute(text(format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
                )))
                .await?;
        }
    }
    Ok(())
}

/// Inserts `rows` into `table`, several a statement, all in one transaction.
async fn insert(
    engine: &Engine,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<(), flask::BoxError> {
    let session = engine.session();
    for chunk in rows.chunks(CHUNK) {
        let mut marks = Vec::with_capacity(chunk.len());
        let mut binds = Vec::with_capacity(chunk.len() * columns.len());
        for (r, row) in chunk.iter().enumerate() {
            let names: Vec<String> = (0..row.len()).map(|c| format!(":v{r}_{c}")).collect();
            marks.push(format!("({})", names.join(", ")));
            for (c, value) in row.iter().enumerate() {
                binds.push((format!("v{r}_{c}"), value.clone()));
            }
        }
        let mut query = text(format!(
            "INSERT INTO {table} ({}) VALUES {}",
            columns.join(", "),
            marks.join(", ")
        ));
        for (name, value) in binds {
            query = query.bind(&name, value);
        }
        session.execute(query).await?;
    }
    session.commit().await?;
    Ok(())
}
