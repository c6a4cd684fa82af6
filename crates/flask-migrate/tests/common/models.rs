//! The two versions of the models the migration tests go between.
#![allow(dead_code)]

use flask_sqlalchemy::{Enum, MetaData};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub(crate) enum Status {
    Draft,
    Published,
}

/// Version 1 of the models: every column type, constraints, an index, a foreign key.
pub(crate) mod v1 {
    use super::Status;
    use flask_sqlalchemy::Model;

    #[derive(Debug, Model)]
    #[model(table = "mig_user", check = "age >= 0")]
    pub(crate) struct User {
        #[model(primary_key)]
        pub(crate) id: i64,
        #[model(max_length = 80, unique)]
        pub(crate) name: String,
        pub(crate) bio: Option<String>,
        pub(crate) age: i32,
        pub(crate) small: i16,
        pub(crate) ratio: f32,
        pub(crate) score: f64,
        pub(crate) active: bool,
        pub(crate) data: Vec<u8>,
        pub(crate) prefs: serde_json::Value,
        pub(crate) day: chrono::NaiveDate,
        pub(crate) t: chrono::NaiveTime,
        pub(crate) local: chrono::NaiveDateTime,
        pub(crate) at: chrono::DateTime<chrono::Utc>,
        pub(crate) token: uuid::Uuid,
        #[model(precision = 10, scale = 2)]
        pub(crate) price: rust_decimal::Decimal,
        pub(crate) status: Status,
        #[model(server_default = "CURRENT_TIMESTAMP")]
        pub(crate) created: Option<chrono::DateTime<chrono::Utc>>,
        #[model(server_default = "7", index)]
        pub(crate) seats: Option<i32>,
    }

    #[derive(Debug, Model)]
    #[model(table = "mig_post")]
    pub(crate) struct Post {
        #[model(primary_key)]
        pub(crate) id: i32,
        #[model(foreign_key = "mig_user.id", on_delete = "cascade")]
        pub(crate) author_id: i64,
        #[model(max_length = 100)]
        pub(crate) title: String,
    }
}

/// Version 2: a table added, a column added, one renamed (`title` -> `headline`), one made
/// nullable, an index added, a default dropped, a foreign key added.
pub(crate) mod v2 {
    use super::Status;
    use flask_sqlalchemy::Model;

    #[derive(Debug, Model)]
    #[model(table = "mig_user", check = "age >= 0")]
    pub(crate) struct User {
        #[model(primary_key)]
        pub(crate) id: i64,
        #[model(max_length = 80, unique)]
        pub(crate) name: String,
        pub(crate) bio: Option<String>,
        pub(crate) age: Option<i32>,
        pub(crate) small: i16,
        pub(crate) ratio: f32,
        pub(crate) score: f64,
        pub(crate) active: bool,
        pub(crate) data: Vec<u8>,
        pub(crate) prefs: serde_json::Value,
        pub(crate) day: chrono::NaiveDate,
        pub(crate) t: chrono::NaiveTime,
        pub(crate) local: chrono::NaiveDateTime,
        pub(crate) at: chrono::DateTime<chrono::Utc>,
        pub(crate) token: uuid::Uuid,
        #[model(precision = 10, scale = 2)]
        pub(crate) price: rust_decimal::Decimal,
        pub(crate) status: Status,
        #[model(server_default = "CURRENT_TIMESTAMP")]
        pub(crate) created: Option<chrono::DateTime<chrono::Utc>>,
        #[model(index)]
        pub(crate) seats: Option<i32>,
        #[model(max_length = 120)]
        pub(crate) email: Option<String>,
    }

    #[derive(Debug, Model)]
    #[model(table = "mig_team")]
    pub(crate) struct Team {
        #[model(primary_key)]
        pub(crate) id: i64,
        #[model(max_length = 50)]
        pub(crate) name: String,
    }

    #[derive(Debug, Model)]
    #[model(table = "mig_post")]
    pub(crate) struct Post {
        #[model(primary_key)]
        pub(crate) id: i32,
        #[model(foreign_key = "mig_user.id", on_delete = "cascade")]
        pub(crate) author_id: i64,
        #[model(max_length = 100, index)]
        pub(crate) headline: String,
        #[model(foreign_key = "mig_team.id")]
        pub(crate) team_id: Option<i64>,
    }
}

pub(crate) fn v1_models() -> MetaData {
    MetaData::new()
        .register::<v1::User>()
        .register::<v1::Post>()
}

pub(crate) fn v2_models() -> MetaData {
    MetaData::new()
        .register::<v2::User>()
        .register::<v2::Team>()
        .register::<v2::Post>()
}
