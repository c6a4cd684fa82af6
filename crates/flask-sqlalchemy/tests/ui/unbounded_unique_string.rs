use flask_sqlalchemy::Model;

#[derive(Model)]
struct Account {
    #[model(primary_key)]
    id: i64,
    #[model(unique)]
    email: String,
}

fn main() {}
