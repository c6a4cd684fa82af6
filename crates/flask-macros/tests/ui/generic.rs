#[flask_macros::view]
async fn show<T: Default>() -> &'static str {
    "a view"
}

fn main() {}
