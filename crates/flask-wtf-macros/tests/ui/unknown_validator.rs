use flask_wtf_macros::Form;

#[derive(Form)]
struct Login {
    #[form(validate(required))]
    username: String,
}

fn main() {}
