use flask_wtf_macros::Form;

#[derive(Form)]
#[form(crsf = false)]
struct Search {
    q: String,
}

fn main() {}
