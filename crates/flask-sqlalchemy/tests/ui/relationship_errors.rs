use flask_sqlalchemy::Model;

#[derive(Model)]
struct User {
    #[model(primary_key)]
    id: i64,
}

#[derive(Model)]
#[model(belongs_to(author: User))]
struct Post {
    #[model(primary_key)]
    id: i64,
    author_id: i64,
}

#[derive(Model)]
#[model(belongs_to(author: User, key = author_id, cascade = "delete"))]
struct Comment {
    #[model(primary_key)]
    id: i64,
    author_id: i64,
}

fn main() {}
