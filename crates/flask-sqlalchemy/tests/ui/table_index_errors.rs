use flask_sqlalchemy::Model;

#[derive(Model)]
#[model(unique(team, nobody))]
struct Member {
    #[model(primary_key)]
    id: i64,
    #[model(max_length = 20)]
    team: String,
}

#[derive(Model)]
#[model(index(name))]
struct Person {
    #[model(primary_key)]
    id: i64,
    name: String,
}

#[derive(Model)]
#[model(unique(name = "uq_nothing"))]
struct Empty {
    #[model(primary_key)]
    id: i64,
}

fn main() {}
