use flask_sqlalchemy::Model;

#[derive(Model)]
struct Account {
    #[model(primary_key, max_length = 10)]
    id: i64,
}

fn main() {}
