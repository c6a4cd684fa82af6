use flask_wtf_macros::Form;

#[derive(Form)]
struct Signup {
    #[form(validate(regexp = "[a-z"))]
    username: String,
}

fn main() {}
