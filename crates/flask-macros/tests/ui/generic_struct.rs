#[flask_macros::view]
struct Things<T>(Vec<T>);

fn main() {}
