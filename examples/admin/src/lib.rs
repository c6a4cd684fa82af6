//! A store's admin on flask-admin: products and categories, customers, orders with their
//! lines, and the staff who log in, with roles.
//!
//! ```text
//! cargo run -p admin -- init-db --seed      # 100,000 orders (--orders N for another number)
//! cargo run -p admin -- run
//! ```
//!
//! then open <http://127.0.0.1:5000/> and log in as `admin` (password `admin`: everything)
//! or `staff` (password `staff`: the catalog and customers read-only, the orders in full;
//! not the users, not the audit log). The data is in `examples/admin/instance/store.db`
//! (SQLite); `FLASK_SQLALCHEMY_DATABASE_URI=postgresql://...` or `mysql://...` puts it
//! elsewhere.

pub mod auth;
pub mod reports;
pub mod seed;

use chrono::{DateTime, Utc};
use flask::Flask;
use flask::cli::Command;
use flask::routing::get;
use flask_admin::{Admin, AdminLogEntry, BaseView, Dashboard, ModelView, Roles};
use flask_login::CurrentUser;
use flask_sqlalchemy::{Model, SQLAlchemy};
use flask_wtf::CsrfProtect;
use serde::{Deserialize, Serialize};

/// A group of products.
#[derive(Debug, Clone, PartialEq, Model, Serialize, Deserialize)]
#[model(table = "category")]
pub struct Category {
    /// Numbered by the database.
    #[model(primary_key)]
    pub id: i64,
    /// Unique.
    #[model(max_length = 80, unique)]
    pub name: String,
}

/// What the store sells.
#[derive(Debug, Clone, PartialEq, Model, Serialize, Deserialize)]
#[model(table = "product")]
pub struct Product {
    /// Numbered by the database.
    #[model(primary_key)]
    pub id: i64,
    /// Unique.
    #[model(max_length = 120, unique)]
    pub name: String,
    /// Its category.
    #[model(foreign_key = "category.id", index)]
    pub category_id: i64,
    /// The price of one.
    pub price: f64,
    /// How many are in the warehouse.
    pub stock: i64,
    /// Whether it is for sale.
    pub active: bool,
}

/// Who buys.
#[derive(Debug, Clone, PartialEq, Model, Serialize, Deserialize)]
#[model(table = "customer")]
pub struct Customer {
    /// Numbered by the database.
    #[model(primary_key)]
    pub id: i64,
    /// Their name.
    #[model(max_length = 120)]
    pub name: String,
    /// Unique.
    #[model(max_length = 200, unique)]
    pub email: String,
    /// Where they live.
    #[model(max_length = 80, index)]
    pub city: String,
    /// When they signed up.
    pub joined: DateTime<Utc>,
}

/// Where an order is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, flask_sqlalchemy::Enum, Serialize, Deserialize)]
pub enum Status {
    /// Paid, not shipped.
    Pending,
    /// On its way.
    Shipped,
    /// Delivered.
    Delivered,
    /// Cancelled before shipping.
    Cancelled,
}

/// An order of a customer, with its [`OrderLine`]s.
#[derive(Debug, Clone, PartialEq, Model, Serialize, Deserialize)]
#[model(table = "store_order")]
pub struct Order {
    /// Numbered by the database.
    #[model(primary_key)]
    pub id: i64,
    /// Who ordered.
    #[model(foreign_key = "customer.id", index)]
    pub customer_id: i64,
    /// When.
    #[model(index)]
    pub created: DateTime<Utc>,
    /// Where it is.
    #[model(index)]
    pub status: Status,
    /// The sum of its lines.
    pub total: f64,
}

/// One product of an order.
#[derive(Debug, Clone, PartialEq, Model, Serialize, Deserialize)]
#[model(table = "order_line")]
pub struct OrderLine {
    /// Numbered by the database.
    #[model(primary_key)]
    pub id: i64,
    /// The order.
    #[model(foreign_key = "store_order.id", on_delete = "cascade", index)]
    pub order_id: i64,
    /// The product.
    #[model(foreign_key = "product.id", index)]
    pub product_id: i64,
    /// How many.
    pub quantity: i64,
    /// The price of one, when ordered.
    pub price: f64,
}

/// Someone who logs in to the admin.
#[derive(Debug, Clone, PartialEq, Model, Serialize, Deserialize)]
#[model(table = "staff_user")]
pub struct User {
    /// Numbered by the database.
    #[model(primary_key)]
    pub id: i64,
    /// Unique.
    #[model(max_length = 80, unique)]
    pub username: String,
    /// The argon2id hash of the password.
    #[model(max_length = 200)]
    pub password: String,
    /// `admin` or `staff` (see [`roles`]).
    #[model(max_length = 20)]
    pub role: String,
}

/// The templates (the login page, the report), compiled into release builds; debug builds
/// read `templates/`.
#[derive(Debug, flask::embed::Embed)]
#[folder = "templates/"]
#[crate_path = "flask::embed::rust_embed"]
pub struct Templates;

/// What each role may do in the admin (a grant is `<view>.<permission>`).
pub fn roles() -> Roles {
    Roles::new().grant("admin", &["*"]).grant(
        "staff",
        &[
            "category.view",
            "product.view",
            "product.export",
            "customer.view",
            "customer.export",
            "store_order.*",
            "order_line.view",
            "sales_by_city.view",
        ],
    )
}

/// The admin: the views by category, the dashboard, the audit log, the roles.
pub fn admin() -> Admin {
    Admin::new("Store admin")
        .is_accessible(|ctx| CurrentUser::<User>::of(ctx).is_some_and(|c| c.is_authenticated()))
        .permissions_by_role(roles(), |ctx| {
            CurrentUser::<User>::of(ctx)
                .and_then(|c| c.user())
                .map(|u| vec![u.role])
                .unwrap_or_default()
        })
        .audit_log(|ctx| {
            CurrentUser::<User>::of(ctx)
                .and_then(|c| c.user())
                .map(|u| u.username)
        })
        .dashboard(
            Dashboard::new()
                .count::<Order>("Orders")
                .count_where::<Order>("To ship", Order::status.eq(Status::Pending))
                .count::<Customer>("Customers")
                .count_where::<Product>("Out of stock", Product::stock.eq(0))
                .per_day::<Order>("Orders per day", "created", 30)
                .sum_per_day::<Order>("Revenue per day", "created", "total", 30),
        )
        .view(
            ModelView::<Category>::new()
                .category("Catalog")
                .column_searchable_list(&["name"]),
        )
        .view(
            ModelView::<Product>::new()
                .category("Catalog")
                .column_searchable_list(&["name"])
                .column_filters(&["category_id", "price", "stock", "active"])
                .column_labels(&[("category_id", "Category")])
                .column_editable_list(&["price", "stock", "active"])
                .column_formatter("price", |p: &Product| format!("€{:.2}", p.price))
                .can_export(true),
        )
        .view(
            ModelView::<Customer>::new()
                .category("Sales")
                .column_searchable_list(&["name", "email"])
                .column_filters(&["city", "joined"])
                .column_default_sort("joined", true)
                .can_export(true)
                .export_types(&["csv", "json"]),
        )
        .view(
            ModelView::<Order>::new()
                .name("Orders")
                .category("Sales")
                .column_filters(&["status", "created", "total", "customer_id"])
                .column_labels(&[("customer_id", "Customer")])
                .column_formatter("total", |o: &Order| format!("€{:.2}", o.total))
                .form_readonly_columns(&["total"])
                .column_default_sort("created", true)
                .page_size(25)
                .can_export(true)
                .export_types(&["csv", "json"])
                .action(
                    "ship",
                    "Mark shipped",
                    "Mark the selected orders as shipped?",
                    |db, orders| async move {
                        let session = db.session();
                        let mut shipped = 0;
                        for mut order in orders {
                            if order.status == Status::Pending {
                                order.status = Status::Shipped;
                                session.add(&mut order).await?;
                                shipped += 1;
                            }
                        }
                        session.commit().await?;
                        Ok(format!("{shipped} orders were marked shipped."))
                    },
                ),
        )
        .view(
            ModelView::<OrderLine>::new()
                .name("Order lines")
                .category("Sales")
                // About 200,000 rows: pages by the last row's key, not by OFFSET.
                .keyset_pages(true)
                .column_filters(&["order_id", "product_id", "quantity"])
                .column_labels(&[("order_id", "Order"), ("product_id", "Product")]),
        )
        .page(
            BaseView::new("Sales by city")
                .category("Sales")
                .expose("/", get(reports::sales_by_city)),
        )
        .view(
            ModelView::<User>::new()
                .name("Users")
                .category("People")
                .column_list(&["id", "username", "role"])
                .form_excluded_columns(&["password"])
                .can_create(false),
        )
}

/// The app: the database (`SQLALCHEMY_DATABASE_URI`, `sqlite:///store.db` in the
/// instance folder by default; the tables are made at startup), the login, the admin, and
/// the `init-db` command.
pub fn app() -> Flask {
    Flask::new(flask::app_root!())
        .configure(|c| c.set("SQLALCHEMY_DATABASE_URI", "sqlite:///store.db"))
        .config_from_prefixed_env("FLASK")
        .secret_key_file("secret_key")
        .extension(
            SQLAlchemy::new()
                .model::<Category>()
                .model::<Product>()
                .model::<Customer>()
                .model::<Order>()
                .model::<OrderLine>()
                .model::<User>()
                .model::<AdminLogEntry>()
                .create_all_on_startup(),
        )
        .extension(CsrfProtect::new())
        .extension(auth::login_manager())
        .extension(admin())
        .embedded_templates::<Templates>()
        .blueprint(auth::blueprint())
        .before_request(auth::require_login)
        .command(
            Command::new("init-db")
                .about("Create the tables and the users admin/admin and staff/staff; --seed fills the store")
                .arg(
                    clap::Arg::new("seed")
                        .long("seed")
                        .action(clap::ArgAction::SetTrue)
                        .help("Add categories, products, customers and orders"),
                )
                .arg(
                    clap::Arg::new("orders")
                        .long("orders")
                        .value_name("N")
                        .value_parser(clap::value_parser!(u32))
                        .default_value("100000")
                        .help("How many orders --seed makes"),
                ),
            seed::init_db,
        )
}
