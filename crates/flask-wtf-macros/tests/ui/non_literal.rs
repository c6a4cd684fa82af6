use flask_wtf_macros::Form;

const MIN_AGE: i64 = 13;

#[derive(Form)]
struct Profile {
    #[form(validate(number_range(min = MIN_AGE)))]
    age: i64,
}

fn main() {}
