//! The session cookie crossing between real Python Flask (python/legacy.py, Flask 3.1) and
//! the Rust half, both over real sockets: each reads what the other wrote, Python's own
//! types survive a Rust request, and a tampered or expired cookie is an empty session on
//! both sides.

use std::path::PathBuf;

use serde_json::{Value, json};
use test_support::http::{Response, get, serve};
use test_support::python::{PythonApp, flask_python};

const SECRET: &str = "porting-test-secret-of-32-bytes!";

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/legacy.py")
}

/// The Python half and the Rust half with the same config; `None` without a Python that
/// has Flask (skipped, unless services are required).
async fn both(env: &[(&str, &str)]) -> Option<(PythonApp, String)> {
    let python = flask_python()?;
    let mut all = vec![("FLASK_SECRET_KEY", SECRET)];
    all.extend_from_slice(env);
    let py = PythonApp::start(&python, &script(), &all).await;
    let rust = porting::app().configure(|c| {
        c.set("SECRET_KEY", SECRET);
        for (key, value) in env {
            let key = key.trim_start_matches("FLASK_");
            match serde_json::from_str::<Value>(value) {
                Ok(v) => c.set(key, v),
                Err(_) => c.set(key, *value),
            }
        }
    });
    Some((py, serve(rust.build().expect("the app builds")).await))
}

/// The `session` cookie a response sets: `Some("")` when it deletes it.
fn session_cookie(resp: &Response) -> Option<String> {
    resp.headers
        .iter()
        .filter(|(n, _)| n == "set-cookie")
        .find_map(|(_, v)| v.strip_prefix("session="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

async fn fetch(base: &str, path: &str, cookie: &str) -> Response {
    let header = format!("session={cookie}");
    let resp = get(base, path, &[("Cookie", header.as_str())])
        .await
        .unwrap_or_else(|e| panic!("GET {base}{path}: {e}"));
    assert_eq!(resp.status, 200, "GET {base}{path}: {}", resp.body);
    resp
}

fn json_of(resp: &Response) -> Value {
    serde_json::from_str(&resp.body).unwrap_or_else(|e| panic!("{e}: {}", resp.body))
}

#[tokio::test]
async fn python_types_read_in_rust_and_survive_a_rust_write() {
    let Some((py, rust)) = both(&[]).await else {
        return;
    };
    let resp = fetch(&py.base, "/py/remember", "").await;
    let cookie = session_cookie(&resp).expect("Python sets the session cookie");

    // Rust reads every type Python stored, as a port would type it.
    let seen = json_of(&fetch(&rust, "/rs/session", &cookie).await);
    assert_eq!(
        seen,
        json!({
            "count": 1,
            "pair": [1, "x"],
            "raw": [0, 255],
            "motto": "<b>bold</b>",
            "token": "12345678-1234-5678-1234-567812345678",
            "since": "2026-12-07T10:00:00Z",
            "tricky": {" t": 5},
            "name": "h\u{e9}llo \u{2713}",
            "cart": ["apple"],
        })
    );

    // Rust changes the cart (and flashes); everything else goes back to Python as Python
    // stored it, types included.
    let resp = fetch(&rust, "/rs/cart/add/pear", &cookie).await;
    assert_eq!(resp.body, "2 items");
    let cookie = session_cookie(&resp).expect("Rust writes the session back");
    let types = json_of(&fetch(&py.base, "/py/session", &cookie).await);
    let expect = |key: &str, ty: &str, repr: &str| {
        assert_eq!(types[key], json!([ty, repr]), "{key}: {types}");
    };
    expect("count", "int", "1");
    expect("pair", "tuple", "(1, 'x')");
    expect("raw", "bytes", r"b'\x00\xff'");
    expect("motto", "Markup", "Markup('<b>bold</b>')");
    expect(
        "token",
        "UUID",
        "UUID('12345678-1234-5678-1234-567812345678')",
    );
    expect(
        "since",
        "datetime",
        "datetime.datetime(2026, 12, 7, 10, 0, tzinfo=datetime.timezone.utc)",
    );
    expect("tricky", "dict", "{' t': 5}");
    expect("name", "str", "'h\u{e9}llo \u{2713}'");
    expect("cart", "list", "['apple', 'pear']");

    // Python's flash and Rust's, read by Python in order, categories kept.
    let flashed = json_of(&fetch(&py.base, "/py/flashes", &cookie).await);
    assert_eq!(
        flashed,
        json!([["info", "Saved by Python"], ["info", "2 items in the cart"]])
    );
    py.stop().await;
}

#[tokio::test]
async fn a_rust_session_reads_in_python_and_a_logout_ends_it_for_both() {
    let Some((py, rust)) = both(&[]).await else {
        return;
    };
    let resp = fetch(&rust, "/rs/cart/add/fig", "").await;
    let cookie = session_cookie(&resp).expect("Rust sets the session cookie");
    let types = json_of(&fetch(&py.base, "/py/session", &cookie).await);
    assert_eq!(types["cart"], json!(["list", "['fig']"]), "{types}");
    assert_eq!(
        types["_flashes"],
        json!(["list", "[('info', '1 items in the cart')]"]),
        "Rust flashes as Flask does: a list of tuples"
    );
    // Python takes the flash; Rust then sees none.
    let resp = fetch(&py.base, "/py/flashes", &cookie).await;
    let cookie = session_cookie(&resp).expect("taking the flashes changes the session");
    let flashed = json_of(&fetch(&rust, "/rs/flashes", &cookie).await);
    assert_eq!(flashed, json!([]));

    // A logout on either side deletes the cookie; an empty one is no session on the other.
    for (base, path) in [(&rust, "/rs/logout"), (&py.base, "/py/logout")] {
        let resp = fetch(base, path, &cookie).await;
        assert_eq!(session_cookie(&resp).as_deref(), Some(""), "{path}");
    }
    let seen = json_of(&fetch(&rust, "/rs/session", "").await);
    assert_eq!(seen["cart"], Value::Null);
    py.stop().await;
}

#[tokio::test]
async fn tampered_foreign_key_and_expired_cookies_are_empty_sessions_on_both_sides() {
    let Some((py, rust)) = both(&[]).await else {
        return;
    };
    let cookie = session_cookie(&fetch(&py.base, "/py/remember", "").await).unwrap();
    // One character of the payload changed, the signature kept.
    let mut tampered = cookie.clone().into_bytes();
    let at = tampered.len() / 3;
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for bad in [
        tampered.as_str(),
        "garbage",
        "a.b.c",
        ".eJwrSS0u0U1OzSvRAQ.x.y",
    ] {
        let seen = json_of(&fetch(&rust, "/rs/session", bad).await);
        assert_eq!(seen["count"], Value::Null, "Rust read {bad:?}");
        let types = json_of(&fetch(&py.base, "/py/session", bad).await);
        assert_eq!(types, json!({}), "Python read {bad:?}");
    }
    py.stop().await;

    // Signed with another key: nobody's session, until that key is a fallback.
    let Some(py_old) = python_with_secret("an-old-secret-nobody-uses-anymore").await else {
        return;
    };
    let old_cookie = session_cookie(&fetch(&py_old.base, "/py/remember", "").await).unwrap();
    py_old.stop().await;
    let seen = json_of(&fetch(&rust, "/rs/session", &old_cookie).await);
    assert_eq!(seen["count"], Value::Null);
    let Some((py, rotated)) = both(&[(
        "FLASK_SECRET_KEY_FALLBACKS",
        r#"["an-old-secret-nobody-uses-anymore"]"#,
    )])
    .await
    else {
        return;
    };
    let seen = json_of(&fetch(&rotated, "/rs/session", &old_cookie).await);
    assert_eq!(seen["count"], 1, "a fallback key still reads");
    let types = json_of(&fetch(&py.base, "/py/session", &old_cookie).await);
    assert_eq!(types["count"], json!(["int", "1"]));
    // What either side writes now is signed with the new key, which both read.
    let resp = fetch(&rotated, "/rs/cart/add/kiwi", &old_cookie).await;
    let cookie = session_cookie(&resp).unwrap();
    let seen = json_of(&fetch(&rust, "/rs/session", &cookie).await);
    assert_eq!(seen["cart"], json!(["apple", "kiwi"]));
    py.stop().await;
}

/// The Python half alone, with another `SECRET_KEY`.
async fn python_with_secret(secret: &str) -> Option<PythonApp> {
    let python = flask_python()?;
    Some(PythonApp::start(&python, &script(), &[("FLASK_SECRET_KEY", secret)]).await)
}

#[tokio::test]
async fn a_cookie_older_than_the_lifetime_is_refused_by_both() {
    let Some((py, rust)) = both(&[("FLASK_PERMANENT_SESSION_LIFETIME", "1")]).await else {
        return;
    };
    let cookie = session_cookie(&fetch(&py.base, "/py/permanent", "").await).unwrap();
    let resp = fetch(&rust, "/rs/session", &cookie).await;
    // Read at once: a permanent session is refreshed on each request, with Expires.
    let refreshed = resp
        .headers
        .iter()
        .find(|(n, v)| n == "set-cookie" && v.starts_with("session="))
        .map(|(_, v)| v.clone())
        .expect("a permanent session is sent again");
    assert!(refreshed.contains("Expires="), "{refreshed}");
    assert!(!refreshed.contains("Max-Age"), "{refreshed}");
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let types = json_of(&fetch(&py.base, "/py/session", &cookie).await);
    assert_eq!(types, json!({}), "Python: expired");
    let resp = fetch(&rust, "/rs/session", &cookie).await;
    assert_eq!(json_of(&resp)["count"], Value::Null, "Rust: expired");
    py.stop().await;
}
