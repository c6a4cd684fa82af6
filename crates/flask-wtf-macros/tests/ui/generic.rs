use flask_wtf_macros::Form;

#[derive(Form)]
struct Wrapper<T> {
    value: T,
}

fn main() {}
