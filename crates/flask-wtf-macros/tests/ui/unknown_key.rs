use flask_wtf_macros::Form;

#[derive(Form)]
struct Profile {
    #[form(lable = "Your name")]
    name: String,
}

fn main() {}
