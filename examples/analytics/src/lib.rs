//! An analytics portal: a year of sales, aggregated by day, week, category and region,
//! drawn as SVG charts, filtered by the query string (a view can be shared as a link),
//! exported as CSV, with a live panel that moves as sales are recorded.
//!
//! ```text
//! cargo run -p analytics -- init-db --seed        # 1,000,000 sales (--rows N for another number)
//! cargo run -p analytics -- run
//! cargo run -p analytics -- send-events           # in another terminal: the live panel moves
//! ```
//!
//! then open <http://127.0.0.1:5000/>. The data is in `examples/analytics/instance/analytics.db`
//! (SQLite); `FLASK_SQLALCHEMY_DATABASE_URI=postgresql://...` puts it elsewhere, and
//! `FLASK_REALTIME_MESSAGE_QUEUE=redis://127.0.0.1:6379` lets several instances share the
//! live panel.
//!
//! The aggregates read `daily_sales`, a rollup of the sales by day, category and region
//! that `init-db --seed` fills and every recorded sale updates: a page reads about
//! 17,000 rows, not a million (docs/cookbook.md says more).

pub mod charts;
pub mod export;
pub mod filters;
pub mod live;
pub mod reports;
pub mod seed;

use chrono::{DateTime, Utc};
use flask::Flask;
use flask::cli::Command;
use flask::routing::{get, post};
use flask_sqlalchemy::{Model, SQLAlchemy};
use serde::{Deserialize, Serialize};

/// What the store sells, by category.
pub const CATEGORIES: [&str; 8] = [
    "Books", "Games", "Garden", "Kitchen", "Music", "Outdoor", "Toys", "Tools",
];

/// Where it sells.
pub const REGIONS: [&str; 6] = [
    "Africa",
    "Americas",
    "Asia",
    "Europe",
    "Middle East",
    "Oceania",
];

/// One sale (the raw data: 1,000,000 rows after `init-db --seed`).
#[derive(Debug, Clone, PartialEq, Model, Serialize, Deserialize)]
#[model(table = "sale")]
pub struct Sale {
    /// Numbered by the database.
    #[model(primary_key)]
    pub id: i64,
    /// When.
    pub ts: DateTime<Utc>,
    /// Its day, `YYYY-MM-DD` (UTC): what the export filters on.
    #[model(max_length = 10, index)]
    pub day: String,
    /// One of [`CATEGORIES`].
    #[model(max_length = 20)]
    pub category: String,
    /// One of [`REGIONS`].
    #[model(max_length = 20)]
    pub region: String,
    /// What it came to.
    pub amount: f64,
    /// Items sold.
    pub quantity: i64,
}

/// The sales of one day, category and region, summed: what the pages aggregate.
#[derive(Debug, Clone, PartialEq, Model, Serialize, Deserialize)]
#[model(table = "daily_sales")]
pub struct DailySales {
    /// `YYYY-MM-DD`.
    #[model(primary_key, max_length = 10)]
    pub day: String,
    /// One of [`CATEGORIES`].
    #[model(primary_key, max_length = 20)]
    pub category: String,
    /// One of [`REGIONS`].
    #[model(primary_key, max_length = 20)]
    pub region: String,
    /// 0 (Monday) to 6 (Sunday), for the heat map.
    pub weekday: i64,
    /// Sales that day.
    pub orders: i64,
    /// Their amounts, summed.
    pub revenue: f64,
    /// Their items, summed.
    pub items: i64,
}

/// The templates, compiled into release builds; debug builds read `templates/`.
#[derive(Debug, flask::embed::Embed)]
#[folder = "templates/"]
#[crate_path = "flask::embed::rust_embed"]
pub struct Templates;

/// The script and styles (no CDN: served from the binary).
#[derive(Debug, flask::embed::Embed)]
#[folder = "static/"]
#[crate_path = "flask::embed::rust_embed"]
pub struct Static;

/// The app: the database (`SQLALCHEMY_DATABASE_URI`, `sqlite:///analytics.db` in the
/// instance folder by default; tables made at startup), the pages, the live stream, and
/// the `init-db` and `send-events` commands.
pub fn app() -> Flask {
    Flask::new(flask::app_root!())
        .configure(|c| c.set("SQLALCHEMY_DATABASE_URI", "sqlite:///analytics.db"))
        .config_from_prefixed_env("FLASK")
        .secret_key_file("secret_key")
        .extension(
            SQLAlchemy::new()
                .model::<Sale>()
                .model::<DailySales>()
                .create_all_on_startup(),
        )
        .embedded_templates::<Templates>()
        .embedded_static::<Static>()
        .route("/", get(reports::dashboard))
        .route("/export.csv", get(export::export_csv))
        .route("/api/sales", post(live::record_sale))
        .route("/live", get(live::live_stream))
        .command(
            Command::new("init-db")
                .about("Create the tables; --seed replaces the data with a generated year of sales")
                .arg(
                    clap::Arg::new("seed")
                        .long("seed")
                        .action(clap::ArgAction::SetTrue)
                        .help("Generate the sales (the same ones every time)"),
                )
                .arg(
                    clap::Arg::new("rows")
                        .long("rows")
                        .value_name("N")
                        .value_parser(clap::value_parser!(u32))
                        .default_value("1000000")
                        .help("How many sales --seed makes"),
                ),
            seed::init_db,
        )
        .command(
            Command::new("send-events")
                .about("Record sales on a running portal, a few a second, to watch the live panel")
                .arg(
                    clap::Arg::new("url")
                        .long("url")
                        .default_value("http://127.0.0.1:5000")
                        .help("The portal"),
                )
                .arg(
                    clap::Arg::new("count")
                        .long("count")
                        .value_parser(clap::value_parser!(u32))
                        .default_value("100")
                        .help("How many sales to send"),
                )
                .arg(
                    clap::Arg::new("rate")
                        .long("rate")
                        .value_parser(clap::value_parser!(f64))
                        .default_value("4")
                        .help("Sales per second"),
                ),
            live::send_events,
        )
        .command(
            Command::new("ingest-token")
                .about("Print the token POST /api/sales takes (Authorization: Bearer ...)"),
            live::print_token,
        )
}
