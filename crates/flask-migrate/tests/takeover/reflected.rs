//! Models reflected from the database by `db reflect`: one struct per table, with
//! relationships for its foreign keys. Rename and trim them as you like; `db check`
//! says whether they still match the database.

#![allow(dead_code)]

use flask_sqlalchemy::Model;

/// The `fm_post` table.
#[derive(Debug, Clone, PartialEq, Model)]
#[model(
    table = "fm_post",
    index("created", "title"),
    unique("author_id", "title")
)]
#[model(belongs_to(author: FmUser, key = author_id))]
#[model(many_to_many(fm_tags: FmTag, secondary = FmPostTag, local = post_id, remote = tag_id))]
pub struct FmPost {
    #[model(primary_key)]
    pub id: i32,
    #[model(foreign_key = "fm_user.id", on_delete = "cascade")]
    pub author_id: i32,
    #[model(max_length = 200)]
    pub title: String,
    pub body: String,
    #[model(precision = 10, scale = 2)]
    pub price: Option<rust_decimal::Decimal>,
    pub day: Option<chrono::NaiveDate>,
    pub created: chrono::NaiveDateTime,
}

/// The `fm_post_tag` table.
#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "fm_post_tag")]
#[model(belongs_to(post: FmPost, key = post_id))]
#[model(belongs_to(tag: FmTag, key = tag_id))]
pub struct FmPostTag {
    #[model(primary_key, foreign_key = "fm_post.id", on_delete = "cascade")]
    pub post_id: i32,
    #[model(primary_key, foreign_key = "fm_tag.id")]
    pub tag_id: i32,
}

/// The `fm_tag` table.
#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "fm_tag")]
#[model(many_to_many(fm_posts: FmPost, secondary = FmPostTag, local = tag_id, remote = post_id))]
pub struct FmTag {
    #[model(primary_key)]
    pub id: i32,
    #[model(max_length = 40, unique)]
    pub name: String,
}

/// The `fm_user` table.
#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "fm_user")]
#[model(has_many(fm_posts: FmPost, key = author_id))]
pub struct FmUser {
    #[model(primary_key)]
    pub id: i32,
    #[model(max_length = 120, unique)]
    pub email: String,
    #[model(max_length = 80, index)]
    pub name: String,
    pub active: bool,
    pub bio: Option<String>,
}
