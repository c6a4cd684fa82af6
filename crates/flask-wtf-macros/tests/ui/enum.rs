use flask_wtf_macros::Form;

#[derive(Form)]
enum Choice {
    Yes,
    No,
}

fn main() {}
