use flask_wtf_macros::Form;

#[derive(Form)]
struct Signup {
    #[serde(rename = "e-mail")]
    email: String,
}

fn main() {}
