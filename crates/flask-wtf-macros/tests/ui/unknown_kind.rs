use flask_wtf_macros::Form;

#[derive(Form)]
struct Profile {
    #[form(kind = "number")]
    age: i64,
}

fn main() {}
