use flask_sqlalchemy::Model;

#[derive(Model)]
struct Price {
    #[model(primary_key)]
    id: i64,
    #[model(precision = 10, scale = 2)]
    amount: String,
}

fn main() {}
