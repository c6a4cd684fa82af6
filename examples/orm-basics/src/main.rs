//! `orm-basics run`: the notes app on `instance/orm-basics.db` (or
//! `FLASK_SQLALCHEMY_DATABASE_URI`); `orm-basics db create-all` / `db drop-all`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    orm_basics::app().cli().await
}
