#[flask_macros::view("home")]
async fn index() -> &'static str {
    "home"
}

fn main() {}
