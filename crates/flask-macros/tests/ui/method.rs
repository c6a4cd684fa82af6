struct Posts;

impl Posts {
    #[flask_macros::view]
    async fn list(&self) -> &'static str {
        "posts"
    }
}

fn main() {}
