use flask_wtf_macros::Form;

#[derive(Form)]
struct Settings {
    #[form(kind = "dropdown")]
    language: String,
    #[form(validate(length(min = 8, max = 4)))]
    password: String,
}

fn main() {}
