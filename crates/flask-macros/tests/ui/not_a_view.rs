#[flask_macros::view]
const LIMIT: usize = 10;

fn main() {}
