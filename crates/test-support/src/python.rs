//! Real Python Flask apps beside ours, for the tests that check both read each other's
//! cookies and tokens: the interpreter with Flask, Flask-Login and Flask-WTF installed
//! (`FLASK_TEST_PYTHON`, which `.ci/run` points at a venv it makes), and an app started
//! from a script on a free port.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// What the interop tests import.
const MODULES: &str = "import flask, flask_login, flask_wtf";

/// The Python that has Flask, Flask-Login and Flask-WTF: `FLASK_TEST_PYTHON`, else
/// `python3` if it imports them; `None` (the test is skipped) when neither does.
///
/// # Panics
/// When none is found and services are required (`FLASK_TEST_REQUIRE_SERVICES`), or
/// `FLASK_TEST_PYTHON` names one that cannot import them.
pub fn flask_python() -> Option<PathBuf> {
    let imports = |python: &Path| {
        std::process::Command::new(python)
            .args(["-c", MODULES])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if let Some(python) = std::env::var_os("FLASK_TEST_PYTHON") {
        let python = PathBuf::from(python);
        assert!(
            imports(&python),
            "FLASK_TEST_PYTHON={} cannot `{MODULES}`: install examples/porting/python/requirements.txt into it",
            python.display()
        );
        return Some(python);
    }
    let python = PathBuf::from("python3");
    if imports(&python) {
        return Some(python);
    }
    assert!(
        !crate::services_required(),
        "no Python with Flask, Flask-Login and Flask-WTF: set FLASK_TEST_PYTHON to a python \
         that has examples/porting/python/requirements.txt installed (.ci/run makes one)"
    );
    eprintln!("skipped: no Python with Flask, Flask-Login and Flask-WTF (set FLASK_TEST_PYTHON)");
    None
}

/// A Python app running from a script, stopped when dropped.
#[derive(Debug)]
pub struct PythonApp {
    child: Child,
    /// Its base URL, `http://127.0.0.1:PORT`.
    pub base: String,
}

impl PythonApp {
    /// Runs `python script --port 0` with `env` and waits for the line
    /// `listening on http://127.0.0.1:PORT` on its standard output.
    ///
    /// # Panics
    /// When it cannot start or says nothing of the kind within 30 s.
    pub async fn start(python: &Path, script: &Path, env: &[(&str, &str)]) -> PythonApp {
        let mut child = Command::new(python)
            .arg(script)
            .args(["--port", "0"])
            .envs(env.iter().copied())
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {} {}: {e}", python.display(), script.display()));
        let stdout = child.stdout.take().expect("piped standard output");
        let mut lines = BufReader::new(stdout).lines();
        let base = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(base) = line.strip_prefix("listening on ") {
                    return Some(base.trim().to_owned());
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("{} did not say where it listens", script.display()));
        // Keep reading its output so a full pipe never blocks it.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        PythonApp { child, base }
    }

    /// Stops it now.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// The Python of a virtualenv under the workspace's `target/<name>` with `packages`
/// (pinned: `"celery==5.7.0"`) installed from PyPI, made the first time (`python3 -m venv`,
/// pip) and reused while the list is the same; `None` (the test is skipped) when this
/// machine cannot make one.
///
/// # Panics
/// When it cannot be made and services are required (`FLASK_TEST_REQUIRE_SERVICES`).
pub fn venv(name: &str, packages: &[&str]) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target")
        .join(name);
    let bin = root.join("bin/python");
    let marker = root.join("installed.txt");
    let wanted = packages.join("\n");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(wanted.as_str()) {
        return Some(bin);
    }
    let made = std::process::Command::new("python3")
        .args(["-m", "venv"])
        .arg(&root)
        .status()
        .is_ok_and(|s| s.success());
    let installed = made
        && std::process::Command::new(&bin)
            .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
            .args(packages)
            .status()
            .is_ok_and(|s| s.success());
    if !installed {
        assert!(
            !crate::services_required(),
            "cannot make a Python virtualenv with {packages:?} (python3 -m venv, pip)"
        );
        eprintln!("skipped: no Python virtualenv with {packages:?} could be made");
        return None;
    }
    std::fs::write(&marker, wanted).unwrap();
    Some(bin)
}
