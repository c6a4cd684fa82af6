use flask_wtf_macros::Form;

#[derive(Form)]
struct Signup {
    password: String,
    #[form(kind = "password", validate(equal_to = "pasword"))]
    confirm: String,
}

fn main() {}
