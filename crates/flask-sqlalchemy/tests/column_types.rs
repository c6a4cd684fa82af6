//! Dates, times, UUIDs, decimals, typed JSON and enums round trip on the three databases;
//! server defaults are read back; check constraints and enum values are enforced.

mod common;
use common::backends;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use flask_sqlalchemy::{
    ColumnType, Engine, EngineOptions, Enum, Json, MetaData, Model, Value, func, text,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
enum Status {
    Draft,
    Published,
    Archived,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
struct Settings {
    theme: String,
    sizes: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "orm_types_event", check = "price >= 0")]
struct Event {
    #[model(primary_key)]
    id: i64,
    day: NaiveDate,
    starts: NaiveTime,
    local: NaiveDateTime,
    at: DateTime<Utc>,
    #[model(index)]
    token: Uuid,
    #[model(precision = 10, scale = 2)]
    price: Decimal,
    rate: Option<Decimal>,
    settings: Json<Settings>,
    #[model(index)]
    status: Status,
    previous: Option<Status>,
    ends: Option<DateTime<Utc>>,
    #[model(server_default = "CURRENT_TIMESTAMP")]
    created: Option<DateTime<Utc>>,
    #[model(server_default = "7")]
    seats: Option<i32>,
}

/// Rust-side defaults: the derive writes `Default` from them.
#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "orm_types_note")]
struct Note {
    #[model(primary_key)]
    id: i64,
    #[model(default = "untitled")]
    title: String,
    #[model(default = Status::Draft)]
    status: Status,
    #[model(default = 3)]
    stars: Option<i32>,
    body: Option<String>,
}

fn event() -> Event {
    Event {
        id: 0,
        day: NaiveDate::from_ymd_opt(2026, 2, 28).unwrap(),
        starts: NaiveTime::from_hms_micro_opt(9, 30, 15, 250_000).unwrap(),
        local: NaiveDate::from_ymd_opt(1999, 12, 31)
            .unwrap()
            .and_hms_micro_opt(23, 59, 59, 999_999)
            .unwrap(),
        at: Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 1).unwrap()
            + chrono::Duration::microseconds(123_456),
        token: Uuid::parse_str("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap(),
        price: "1234.56".parse().unwrap(),
        rate: Some("0.0425".parse().unwrap()),
        settings: Json(Settings {
            theme: "dark".into(),
            sizes: vec![1, 2, 3],
        }),
        status: Status::Published,
        previous: Some(Status::Draft),
        ends: None,
        created: None,
        seats: None,
    }
}

#[test]
fn metadata_of_the_new_types() {
    let columns = Event::TABLE.columns;
    assert_eq!(columns[1].ty, ColumnType::Date);
    assert_eq!(columns[4].ty, ColumnType::DateTimeTz);
    assert_eq!(columns[5].ty, ColumnType::Uuid);
    assert_eq!(
        columns[6].ty,
        ColumnType::Numeric {
            precision: 10,
            scale: 2
        }
    );
    assert_eq!(
        columns[7].ty,
        ColumnType::Numeric {
            precision: 28,
            scale: 10
        }
    );
    assert_eq!(columns[8].ty, ColumnType::Json);
    assert_eq!(
        columns[9].ty,
        ColumnType::String(Some(9)),
        "the longest variant"
    );
    assert_eq!(columns[9].choices, ["Draft", "Published", "Archived"]);
    assert!(columns[10].nullable && columns[10].choices.len() == 3);
    assert_eq!(columns[12].server_default, Some("CURRENT_TIMESTAMP"));
    assert_eq!(Event::TABLE.checks, ["price >= 0"]);
    let note = Note::default();
    assert_eq!(
        (note.title.as_str(), note.status, note.stars, note.body),
        ("untitled", Status::Draft, Some(3), None)
    );
    assert_eq!(Status::Archived.as_str(), "Archived");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_type_round_trips_and_constraints_hold() {
    for url in backends() {
        let db = Engine::connect(
            &url,
            std::env::temp_dir().as_ref(),
            EngineOptions::default(),
        )
        .await
        .unwrap();
        let meta = MetaData::new().register::<Event>().register::<Note>();
        db.drop_all(&meta).await.unwrap();
        db.create_all(&meta).await.unwrap();

        // Server defaults are read back into the struct; every other value as written.
        let before = Utc::now() - chrono::Duration::seconds(5);
        let mut e = event();
        db.insert(&mut e).await.unwrap();
        assert!(e.id > 0, "{url}");
        let created = e.created.expect("the server default was read back");
        assert!(created >= before.with_nanosecond_zero(), "{url}: {created}");
        assert_eq!(e.seats, Some(7), "{url}");
        let loaded: Event = db.get(e.id).await.unwrap().unwrap();
        assert_eq!(loaded, e, "{url}");
        let expected = Event {
            created: e.created,
            seats: Some(7),
            id: e.id,
            ..event()
        };
        assert_eq!(loaded, expected, "{url}: nothing lost on the way");

        // A second row, with NULLs and other values; filters on every type.
        let mut other = Event {
            day: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            token: Uuid::new_v4(),
            price: Decimal::new(5, 1),
            rate: None,
            status: Status::Archived,
            previous: None,
            ends: Some(e.at),
            seats: Some(2),
            ..event()
        };
        db.insert(&mut other).await.unwrap();
        assert_eq!(
            other.seats,
            Some(2),
            "{url}: a given value beats the default"
        );
        let one = |f| db.select::<Event>().filter(f).one();
        assert_eq!(
            one(Event::token.eq(e.token)).await.unwrap().id,
            e.id,
            "{url}"
        );
        assert_eq!(
            one(Event::day.gt(NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()))
                .await
                .unwrap()
                .id,
            other.id,
            "{url}"
        );
        assert_eq!(
            one(Event::price.lt(Decimal::ONE)).await.unwrap().id,
            other.id,
            "{url}"
        );
        assert_eq!(
            one(Event::status.eq(Status::Archived)).await.unwrap().id,
            other.id
        );
        assert_eq!(
            one(Event::previous.is_null()).await.unwrap().id,
            other.id,
            "{url}"
        );
        assert_eq!(
            one(Event::at.between(e.at - chrono::Duration::seconds(1), e.at))
                .await
                .unwrap_err()
                .to_string(),
            "more than one row of orm_types_event matched, and at most one was expected",
            "{url}"
        );
        assert_eq!(
            db.select::<Event>()
                .filter_by("token", other.token.to_string())
                .count()
                .await
                .unwrap(),
            1,
            "{url}: a UUID given as text"
        );
        let total = db
            .select::<Event>()
            .columns((func::sum(Event::price), func::max(Event::day)))
            .one()
            .await
            .unwrap();
        assert_eq!(
            total,
            ("1235.06".parse().ok(), NaiveDate::from_ymd_opt(2026, 3, 1)),
            "{url}"
        );

        // Raw rows read the new types too (typed where the database has the type).
        let raw = db
            .fetch_optional(
                text("SELECT day, token, price FROM orm_types_event WHERE id = :id")
                    .bind("id", e.id),
            )
            .await
            .unwrap()
            .unwrap();
        if !url.starts_with("sqlite") {
            assert_eq!(raw.get("day"), Some(&Value::Date(e.day)), "{url}");
            assert_eq!(raw.get("price"), Some(&Value::Decimal(e.price)), "{url}");
        }
        if url.starts_with("postgres") {
            assert_eq!(raw.get("token"), Some(&Value::Uuid(e.token)), "{url}");
        }

        // Constraints: the table check, and an enum column given a value outside the enum.
        let err = db
            .insert(&mut Event {
                price: Decimal::new(-1, 0),
                ..event()
            })
            .await
            .unwrap_err();
        assert!(err.is_check_violation(), "{url}: {err}");
        let err = db
            .execute(
                text("UPDATE orm_types_event SET status = :s WHERE id = :id")
                    .bind("s", "Deleted")
                    .bind("id", e.id),
            )
            .await
            .unwrap_err();
        assert!(err.is_check_violation(), "{url}: {err}");
        assert_eq!(db.select::<Event>().count().await.unwrap(), 2, "{url}");

        // Rust-side defaults fill what the struct leaves out.
        let note = Note {
            body: Some("hi".into()),
            ..Note::default()
        };
        let mut stored = note.clone();
        db.insert(&mut stored).await.unwrap();
        let back: Note = db.get(stored.id).await.unwrap().unwrap();
        assert_eq!(
            back,
            Note {
                id: stored.id,
                ..note
            },
            "{url}"
        );
        db.drop_all(&meta).await.unwrap();
        db.close().await;
    }
}

trait NanosZero {
    fn with_nanosecond_zero(self) -> Self;
}

impl NanosZero for DateTime<Utc> {
    /// Whole seconds: SQLite's CURRENT_TIMESTAMP has no fraction.
    fn with_nanosecond_zero(self) -> Self {
        use chrono::Timelike;
        self.with_nanosecond(0).unwrap()
    }
}
