use flask_wtf_macros::Form;

#[derive(Form)]
struct Login {
    #[form(validate(length(message = "Too long")))]
    username: String,
}

fn main() {}
