//! `SECRET_KEY_FILE`: a key made once and kept in the instance folder, for apps that must
//! start on a fresh machine and keep their sessions across restarts (Flask's tutorial keeps
//! its key in `instance/config.py` the same way).

use std::io::Write as _;
use std::path::Path;

use crate::{Config, SetupError};

/// When the config has no `SECRET_KEY` but names a `SECRET_KEY_FILE` (relative to the
/// instance folder), reads the key from that file, making the file with a fresh key (and
/// the folder) the first time. The file is readable by its owner only.
pub(crate) fn load_from_file(config: &mut Config, instance: &Path) -> Result<(), SetupError> {
    let has_key = config.get_str("SECRET_KEY").is_some_and(|k| !k.is_empty());
    let Some(file) = config.get::<String>("SECRET_KEY_FILE")? else {
        return Ok(());
    };
    if has_key || file.is_empty() {
        return Ok(());
    }
    let path = instance.join(&file);
    let fail = |what: &str, e: std::io::Error| {
        SetupError::extension(
            "secret key",
            format!(
                "SECRET_KEY is not set and {what} {} failed: {e}. Set FLASK_SECRET_KEY, or make \
                 the instance folder writable",
                path.display()
            ),
        )
    };
    match std::fs::read_to_string(&path) {
        Ok(key) if !key.trim().is_empty() => {
            config.set("SECRET_KEY", key.trim());
            return Ok(());
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(fail("reading", e)),
    }
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder).map_err(|e| fail("making the folder of", e))?;
    }
    let key = crate::sessions::generate_secret_key();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(&path)
        .and_then(|mut f| f.write_all(format!("{key}\n").as_bytes()))
        .map_err(|e| fail("writing", e))?;
    tracing::info!("made a new SECRET_KEY in {}", path.display());
    config.set("SECRET_KEY", key);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makes_the_key_once_and_reads_it_back() {
        let dir = std::env::temp_dir().join(format!("flask-secret-key-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let load = || {
            let mut config = Config::new();
            config.set("SECRET_KEY_FILE", "keys/secret_key");
            load_from_file(&mut config, &dir).unwrap();
            config.get_str("SECRET_KEY").unwrap().to_owned()
        };
        let first = load();
        assert_eq!(first.len(), 64);
        assert_eq!(load(), first, "the same key after a restart");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.join("keys/secret_key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // A key in the config wins; no file is read or made.
        let mut config = Config::new();
        config.set("SECRET_KEY", "from-env");
        config.set("SECRET_KEY_FILE", "other");
        load_from_file(&mut config, &dir).unwrap();
        assert_eq!(config.get_str("SECRET_KEY"), Some("from-env"));
        assert!(!dir.join("other").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
