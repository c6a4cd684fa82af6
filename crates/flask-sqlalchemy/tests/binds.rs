//! SQLALCHEMY_BINDS: models in more than one database, routed by their bind key; the bind is
//! each of SQLite, PostgreSQL and MariaDB in turn, the default database SQLite.
#![cfg(feature = "flask")]

mod common;
use common::backends;

use flask::routing::get;
use flask::{Error, Flask, Path};
use flask_sqlalchemy::{Db, DbSession, Model, SQLAlchemy};

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "binds_note")]
struct Note {
    #[model(primary_key)]
    id: i64,
    #[model(max_length = 50)]
    body: String,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "binds_account", bind = "users")]
#[model(has_many(notes: AccountNote, key = account_id))]
#[model(has_many(comments: Comment, key = account_id))]
struct Account {
    #[model(primary_key)]
    id: i64,
    #[model(max_length = 50)]
    name: String,
}

/// A row of the default database about an account of the `users` database: a relationship
/// across two databases (no foreign key: one database cannot reference the other's table).
#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "binds_comment")]
#[model(belongs_to(account: Account, key = account_id))]
struct Comment {
    #[model(primary_key)]
    id: i64,
    account_id: i64,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "binds_account_note", bind = "users")]
struct AccountNote {
    #[model(primary_key)]
    id: i64,
    account_id: i64,
}

/// Adds an account and a note in one request's session; commits unless told not to.
#[flask::view]
async fn add(db: DbSession, Path((name, then)): Path<(String, String)>) -> Result<String, Error> {
    let mut account = Account { id: 0, name };
    db.add(&mut account).await?;
    db.add(&mut AccountNote {
        id: 0,
        account_id: account.id,
    })
    .await?;
    db.add(&mut Note {
        id: 0,
        body: "by an account".into(),
    })
    .await?;
    db.add(&mut Comment {
        id: 0,
        account_id: account.id,
    })
    .await?;
    if then == "commit" {
        db.commit().await?;
    }
    Ok(account.id.to_string())
}

/// Where each table is, and what is in it, through the routing `Db`.
#[flask::view]
async fn state(db: Db) -> Result<String, Error> {
    let users = db.bind("users").expect("the users bind");
    let notes = AccountNote::TABLE.name;
    let placed = (
        db.has_table("binds_note").await?,
        db.has_table("binds_account").await?,
        users.has_table("binds_account").await?,
        users.has_table(notes).await?,
    );
    let accounts = db.select::<Account>().count().await?;
    let first = db.select::<Account>().first().await?;
    let loaded = match &first {
        Some(a) => Account::notes.load(&db, a).await?.len(),
        None => 0,
    };
    // Across the two databases: one query on each, each on its own database.
    let comments = match &first {
        Some(a) => Account::comments.load(&db, a).await?.len(),
        None => 0,
    };
    let commenters = match db.select::<Comment>().first().await? {
        Some(c) => Comment::account
            .load(&db, &c)
            .await?
            .map(|a| a.name)
            .unwrap_or_default(),
        None => String::new(),
    };
    // selectinload runs its query on the related table's database too.
    let eager: Vec<String> = db
        .select::<Comment>()
        .selectinload(Comment::account)
        .all()
        .await?
        .into_iter()
        .map(|(_, a)| a.map(|a| a.name).unwrap_or_default())
        .collect();
    assert_eq!(eager.len(), comments, "{eager:?}");
    // joinedload cannot: one query runs on one database, and the error says what to use.
    let err = db
        .select::<Comment>()
        .joinedload(Comment::account)
        .all()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "binds_account (in the bind \"users\") to binds_comment (in the default database)"
        ) && err.contains("use selectinload"),
        "{err}"
    );
    Ok(format!(
        "{placed:?} accounts={accounts} notes={} loaded={loaded} comments={comments} by={commenters}",
        db.select::<Note>().count().await?
    ))
}

fn app(bind_url: &str) -> Flask {
    let binds = serde_json::json!({ "users": { "url": bind_url, "pool_size": 2 } });
    Flask::new("binds")
        .configure(|c| {
            c.set("SQLALCHEMY_DATABASE_URI", "sqlite://");
            c.set("SQLALCHEMY_BINDS", binds);
        })
        .extension(
            SQLAlchemy::new()
                .model::<Note>()
                .model::<Account>()
                .model::<AccountNote>()
                .model::<Comment>()
                .create_all_on_startup(),
        )
        .route("/add/<name>/<then>", get(add))
        .route("/state", get(state))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_go_to_their_database() {
    for url in backends() {
        // A clean bind database (the servers keep tables between runs).
        let setup = flask_sqlalchemy::Engine::connect(
            &url,
            std::env::temp_dir().as_ref(),
            flask_sqlalchemy::EngineOptions::default(),
        )
        .await
        .unwrap();
        let meta = flask_sqlalchemy::MetaData::new()
            .register::<Account>()
            .register::<AccountNote>();
        setup.drop_all(&meta).await.unwrap();
        setup.close().await;

        let c = app(&url).test_client();
        assert_eq!(
            c.get("/state").send().await.text(),
            "(true, false, true, true) accounts=0 notes=0 loaded=0 comments=0 by=",
            "{url}: each table in its own database"
        );
        assert_eq!(c.get("/add/ann/commit").send().await.status(), 200, "{url}");
        assert_eq!(
            c.get("/state").send().await.text(),
            "(true, false, true, true) accounts=1 notes=1 loaded=1 comments=1 by=ann",
            "{url}: committed in both databases"
        );
        // Not committed: rolled back in both at teardown.
        assert_eq!(c.get("/add/bob/no").send().await.status(), 200, "{url}");
        assert_eq!(
            c.get("/state").send().await.text(),
            "(true, false, true, true) accounts=1 notes=1 loaded=1 comments=1 by=ann",
            "{url}: rolled back in both databases"
        );
    }
}

#[test]
fn a_bind_the_config_lacks_is_a_setup_error() {
    let err = Flask::new("binds")
        .configure(|c| c.set("SQLALCHEMY_DATABASE_URI", "sqlite://"))
        .extension(SQLAlchemy::new().model::<Account>())
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("binds_account has bind = \"users\"")
            && err.contains("add \"users\" to SQLALCHEMY_BINDS"),
        "{err}"
    );
    let err = Flask::new("binds")
        .configure(|c| {
            c.set("SQLALCHEMY_DATABASE_URI", "sqlite://");
            c.set(
                "SQLALCHEMY_BINDS",
                serde_json::json!({"users": {"pool_size": 2}}),
            );
        })
        .extension(SQLAlchemy::new().model::<Account>())
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("has no \"url\""), "{err}");
}
