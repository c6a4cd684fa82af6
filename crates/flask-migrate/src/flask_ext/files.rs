//! The migrations directory: the files `db migrate`, `db revision` and `db merge` write, the
//! module listing them, and the graph their `DOWN_REVISION`s make (read from the files, so
//! it is right before the app is rebuilt).

use std::path::{Path, PathBuf};

use flask::BoxError;

use crate::graph::Graph;
use crate::module_source;

/// The migration names in `dir`, oldest first (their names start with the time).
pub(super) fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().into_string().ok())
                // m<date>_<time>_<slug>.rs, not mod.rs.
                .filter(|n| {
                    n.starts_with('m')
                        && n[1..].starts_with(|c: char| c.is_ascii_digit())
                        && n.ends_with(".rs")
                })
                .map(|n| n.trim_end_matches(".rs").to_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The folders in `dir` with a `mod.rs`: the histories of the binds (`db init --multidb`).
pub(super) fn bind_folders(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.path().join("mod.rs").is_file())
                .filter_map(|e| e.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The revisions a migration file says it follows (its `DOWN_REVISION`), or `None` for a
/// file written before revisions formed a graph.
pub(super) fn down_revision_of(source: &str) -> Option<Vec<String>> {
    let start = source.find("pub const DOWN_REVISION")?;
    let rest = &source[start..];
    let value = &rest[rest.find('=')? + 1..rest.find(';')?];
    Some(
        value
            .split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect(),
    )
}

fn read(path: &Path) -> Result<String, BoxError> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()).into())
}

/// The graph of the migration files in `dir`. A file without `DOWN_REVISION` follows the
/// one before it by name.
pub(super) fn disk_graph(dir: &Path) -> Result<Graph, BoxError> {
    let names = files_in(dir);
    let mut revisions = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let source = read(&dir.join(format!("{name}.rs")))?;
        let down = down_revision_of(&source)
            .unwrap_or_else(|| names[..i].last().cloned().into_iter().collect());
        revisions.push((name.clone(), down));
    }
    Ok(Graph::new(&revisions)?)
}

/// Gives the files of `dir` written before revisions formed a graph their `DOWN_REVISION`
/// (the one before by name), so the module can list them as revisions.
fn add_down_revisions(dir: &Path) -> Result<(), BoxError> {
    let names = files_in(dir);
    for (i, name) in names.iter().enumerate() {
        let path = dir.join(format!("{name}.rs"));
        let source = read(&path)?;
        if down_revision_of(&source).is_some() {
            continue;
        }
        let down = match names[..i].last() {
            Some(previous) => format!("&[{previous:?}]"),
            None => "&[]".to_owned(),
        };
        let added = format!(
            "{}\n\n/// The revisions this one follows (Alembic's `down_revision`), added by \
             flask-migrate.\npub const DOWN_REVISION: &[&str] = {down};\n",
            source.trim_end()
        );
        std::fs::write(&path, added)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// Writes the module of `dir` (`mod.rs`), listing its migrations and bind folders.
pub(super) fn write_module(dir: &Path) -> Result<(), BoxError> {
    add_down_revisions(dir)?;
    let path = dir.join("mod.rs");
    std::fs::write(&path, module_source(&files_in(dir), &bind_folders(dir)))
        .map_err(|e| format!("cannot write {}: {e}", path.display()).into())
}

/// Writes the migration `name` and the module listing every migration.
pub(super) fn write_migration(dir: &Path, name: &str, source: &str) -> Result<PathBuf, BoxError> {
    if !dir.join("mod.rs").exists() {
        return Err(format!("{} has no mod.rs: run db init first", dir.display()).into());
    }
    let path = dir.join(format!("{name}.rs"));
    std::fs::write(&path, source).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    write_module(dir)?;
    Ok(path)
}

/// A new migration's name in `dir`: `m20261130_120000_add_email` for "Add email" at this
/// second, with `_2`, `_3`... when that file exists already.
pub(super) fn unique_name(dir: &Path, message: &str) -> String {
    let base = new_name(message);
    let mut name = base.clone();
    let mut n = 1;
    while dir.join(format!("{name}.rs")).exists() {
        n += 1;
        name = format!("{base}_{n}");
    }
    name
}

/// `m20261130_120000_add_email` for "Add email" at this second.
fn new_name(message: &str) -> String {
    let slug: String = message
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect::<String>()
        .split('_')
        .filter(|s| !s.is_empty())
        .take(6)
        .collect::<Vec<_>>()
        .join("_");
    let stamp = chrono::Utc::now().format("%Y%m%d_%H%M%S").to_string();
    if slug.is_empty() {
        format!("m{stamp}")
    } else {
        format!("m{stamp}_{slug}")
    }
}

#[cfg(test)]
mod tests {
    use super::down_revision_of;

    #[test]
    fn down_revision_is_read_from_the_file() {
        let one = "use x;\npub const DOWN_REVISION: &[&str] = &[\"m1\"];\npub struct M;";
        assert_eq!(down_revision_of(one), Some(vec!["m1".to_owned()]));
        let merge = "pub const DOWN_REVISION: &[&str] = &[\n    \"m2a\",\n    \"m2b\",\n];";
        assert_eq!(
            down_revision_of(merge),
            Some(vec!["m2a".to_owned(), "m2b".to_owned()])
        );
        assert_eq!(
            down_revision_of("pub const DOWN_REVISION: &[&str] = &[];"),
            Some(vec![])
        );
        assert_eq!(down_revision_of("pub struct Migration;"), None);
    }
}
