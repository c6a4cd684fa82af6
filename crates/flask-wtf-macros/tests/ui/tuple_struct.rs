use flask_wtf_macros::Form;

#[derive(Form)]
struct Pair(String, String);

fn main() {}
