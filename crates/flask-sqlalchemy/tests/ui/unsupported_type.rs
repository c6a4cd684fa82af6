use flask_sqlalchemy::Model;

#[derive(Model)]
struct Note {
    #[model(primary_key)]
    id: i64,
    tags: std::collections::HashMap<String, String>,
}

fn main() {}
