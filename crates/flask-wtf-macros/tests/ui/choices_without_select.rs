use flask_wtf_macros::Form;

#[derive(Form)]
struct Settings {
    #[form(choices = [("en", "English"), ("fr", "French")])]
    language: String,
}

fn main() {}
