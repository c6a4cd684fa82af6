//! The migration files autogenerate writes for the test models, kept in `tests/migrations/`
//! and compiled by `tests/migrator.rs`: regenerating them gives the same text. After a
//! deliberate change to the generator, `FLASK_MIGRATE_BLESS=1 cargo test -p flask-migrate
//! --test golden` rewrites them.

#[allow(dead_code)]
mod common;
use common::models::{v1_models, v2_models};

use flask_migrate::{Schema, diff, migration_source, module_source};
use flask_sqlalchemy::Dialect;

/// The files: name and source.
fn generated() -> Vec<(String, String)> {
    let v1 = Schema::from_models(&v1_models(), Dialect::Postgres);
    let v2 = Schema::from_models(&v2_models(), Dialect::Postgres);
    let initial = diff(&v1, &Schema::default(), Dialect::Postgres, &[]);
    let renames = [(
        "mig_post".to_owned(),
        "title".to_owned(),
        "headline".to_owned(),
    )];
    let second = diff(&v2, &v1, Dialect::Postgres, &renames);
    let names = vec![
        "m20261130_000001_initial".to_owned(),
        "m20261130_000002_teams_and_email".to_owned(),
    ];
    vec![
        (
            format!("{}.rs", names[0]),
            migration_source(&names[0], "initial", &[], &initial),
        ),
        (
            format!("{}.rs", names[1]),
            migration_source(&names[1], "teams and email", &names[..1], &second),
        ),
        ("mod.rs".to_owned(), module_source(&names, &[])),
    ]
}

#[test]
fn the_generated_files_are_the_committed_ones() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/migrations");
    let bless = std::env::var_os("FLASK_MIGRATE_BLESS").is_some();
    for (name, source) in generated() {
        let path = dir.join(&name);
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &source).unwrap();
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            committed, source,
            "{name} differs from what autogenerate writes now (FLASK_MIGRATE_BLESS=1 rewrites it)"
        );
    }
}
