use flask_sqlalchemy::Model;

#[derive(Model)]
struct Note {
    #[model(primary_key, nullable)]
    id: i64,
}

fn main() {}
