//! Column queries, aggregates, `group_by`/`having`, `exists` and `IN` subqueries on the
//! three databases.

mod common;
use common::backends;

use flask_sqlalchemy::{Engine, EngineOptions, MetaData, Model, exists, func};

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "orm_agg_sale")]
struct Sale {
    #[model(primary_key)]
    id: i64,
    #[model(max_length = 20)]
    region: String,
    amount: i64,
    price: f64,
    qty: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "orm_agg_user")]
struct Member {
    #[model(primary_key)]
    id: i32,
    #[model(max_length = 20)]
    name: String,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "orm_agg_order")]
struct Purchase {
    #[model(primary_key)]
    id: i64,
    #[model(foreign_key = "orm_agg_user.id")]
    member_id: i32,
}

async fn seeded(url: &str) -> Engine {
    let db = Engine::connect(url, std::env::temp_dir().as_ref(), EngineOptions::default())
        .await
        .unwrap();
    let meta = MetaData::new()
        .register::<Sale>()
        .register::<Member>()
        .register::<Purchase>();
    db.drop_all(&meta).await.unwrap();
    db.create_all(&meta).await.unwrap();
    for (region, amount, price, qty) in [
        ("north", 10, 1.5, Some(2)),
        ("north", 5, 2.5, None),
        ("south", 7, 0.5, Some(4)),
        ("east", 1, 1.0, Some(1)),
        ("east", 1, 3.0, Some(3)),
        ("east", 2, 2.0, None),
    ] {
        let mut s = Sale {
            id: 0,
            region: region.into(),
            amount,
            price,
            qty,
        };
        db.insert(&mut s).await.unwrap();
    }
    for name in ["ann", "bob", "cat"] {
        let mut m = Member {
            id: 0,
            name: name.into(),
        };
        db.insert(&mut m).await.unwrap();
    }
    for member_id in [1, 1, 3] {
        db.insert(&mut Purchase { id: 0, member_id }).await.unwrap();
    }
    db
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregates_groups_and_subqueries() {
    for url in backends() {
        let db = seeded(&url).await;

        // Every aggregate, per group, ordered by an aggregate.
        let rows = db
            .select::<Sale>()
            .group_by(Sale::region)
            .order_by(func::sum(Sale::amount).desc())
            .columns((
                Sale::region,
                func::count_all(),
                func::sum(Sale::amount),
                func::avg(Sale::price),
                func::min(Sale::qty),
                func::max(Sale::amount),
            ))
            .all()
            .await
            .unwrap();
        assert_eq!(
            rows,
            [
                ("north".into(), 2, Some(15), Some(2.0), Some(2), Some(10)),
                ("south".into(), 1, Some(7), Some(0.5), Some(4), Some(7)),
                ("east".into(), 3, Some(4), Some(2.0), Some(1), Some(2)),
            ],
            "{url}"
        );

        // having, with a bound value; count of non-NULLs and of distinct values.
        let busy = db
            .select::<Sale>()
            .group_by(Sale::region)
            .having(func::count_all().ge(2).and(func::sum(Sale::amount).lt(10)))
            .columns((
                Sale::region,
                func::count(Sale::qty),
                func::count_distinct(Sale::amount),
            ))
            .all()
            .await
            .unwrap();
        assert_eq!(busy, [("east".into(), 2, 2)], "{url}");

        // Scalars: a sum over a filter; NULL over no rows; a float sum.
        let total = db
            .select::<Sale>()
            .filter(Sale::region.ne("east"))
            .columns((func::sum(Sale::amount),))
            .scalar()
            .await
            .unwrap();
        assert_eq!(total, Some(Some(22)), "{url}");
        let none = db
            .select::<Sale>()
            .filter(Sale::amount.gt(100))
            .columns((func::sum(Sale::amount),))
            .scalar()
            .await
            .unwrap();
        assert_eq!(none, Some(None), "{url}: SUM over no rows is NULL");
        let revenue = db
            .select::<Sale>()
            .columns((func::sum(Sale::price),))
            .one()
            .await
            .unwrap();
        assert_eq!(revenue, (Some(10.5),), "{url}");

        // Plain columns, distinct, with the query's filters and order.
        let regions = db
            .select::<Sale>()
            .distinct()
            .order_by(Sale::region.asc())
            .columns((Sale::region,))
            .scalars()
            .await
            .unwrap();
        assert_eq!(regions, ["east", "north", "south"], "{url}");
        let pairs = db
            .select::<Sale>()
            .filter(Sale::qty.is_null())
            .order_by(Sale::id.asc())
            .columns((Sale::region, Sale::qty))
            .all()
            .await
            .unwrap();
        assert_eq!(
            pairs,
            [("north".into(), None), ("east".into(), None)],
            "{url}"
        );
        // count() of a grouped query counts the groups.
        let groups = db
            .select::<Sale>()
            .group_by(Sale::region)
            .count()
            .await
            .unwrap();
        assert_eq!(groups, 3, "{url}");

        // EXISTS, correlated; NOT EXISTS; IN (subquery).
        let buyers: Vec<String> = db
            .select::<Member>()
            .filter(exists(
                db.select::<Purchase>()
                    .filter(Purchase::member_id.eq_col(Member::id)),
            ))
            .order_by(Member::id.asc())
            .all()
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.name)
            .collect();
        assert_eq!(buyers, ["ann", "cat"], "{url}");
        let idle = db
            .select::<Member>()
            .filter(
                exists(
                    db.select::<Purchase>()
                        .filter(Purchase::member_id.eq_col(Member::id)),
                )
                .not(),
            )
            .one()
            .await
            .unwrap();
        assert_eq!(idle.name, "bob", "{url}");
        let buying = db
            .select::<Member>()
            .filter(Member::id.in_query(db.select::<Purchase>().columns((Purchase::member_id,))))
            .count()
            .await
            .unwrap();
        assert_eq!(buying, 2, "{url}");

        // A value that looks like SQL is matched literally in having too.
        let evil = db
            .select::<Sale>()
            .group_by(Sale::region)
            .having(func::max(Sale::region).eq("x' OR '1'='1"))
            .columns((Sale::region,))
            .all()
            .await
            .unwrap();
        assert!(evil.is_empty(), "{url}");
        db.close().await;
    }
}
