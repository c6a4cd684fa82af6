use flask_sqlalchemy::Model;

#[derive(Model)]
#[model(has_many(posts: Post, key = writer_id))]
struct User {
    #[model(primary_key)]
    id: i64,
}

#[derive(Model)]
struct Post {
    #[model(primary_key)]
    id: i64,
    author_id: i64,
}

fn main() {}
