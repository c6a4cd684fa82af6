use flask_sqlalchemy::Enum;

#[derive(Enum)]
enum Shape {
    Circle(f64),
    Square,
}

fn main() {}
