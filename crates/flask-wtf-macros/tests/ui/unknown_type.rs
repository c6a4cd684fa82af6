use flask_wtf_macros::Form;

#[derive(Form)]
struct Upload {
    name: String,
    data: Vec<u8>,
}

fn main() {}
