//! The TechEmpower Framework Benchmarks' rules, checked over HTTP for both variants: ours
//! (`examples/techempower`, flask and flask-sqlalchemy) and plain axum + sqlx
//! (`benches/techempower-axum`), on SQLite and on PostgreSQL. What the benchmark's own
//! verifier checks (headers, content types, body shapes, the `queries` clamping cases, the
//! fortunes page after its HTML normalization, pipelined plaintext, rows really updated),
//! plus that the rows returned are the rows in the database.

use std::collections::BTreeMap;
use std::time::Duration;

use flask_sqlalchemy::{Engine, EngineOptions};
use serde_json::Value;
use techempower::{World, init_db};
use test_support::databases::{backends, own_database};
use test_support::http::{self, Response};

/// The Accept headers the benchmark's verifier sends.
const ACCEPT_JSON: &str =
    "application/json,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7";
const ACCEPT_HTML: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// The verifier's headers, with its Accept-Encoding (which must not be honoured: no
/// compression).
fn request_headers(accept: &'static str) -> [(&'static str, &'static str); 3] {
    [
        ("Accept", accept),
        ("Accept-Encoding", "gzip, deflate"),
        ("Connection", "close"),
    ]
}

/// The normalized fortunes page every implementation must produce (the verifier's fixture,
/// its line breaks removed).
const FORTUNES_FIXTURE: &str = concat!(
    "<!doctype html><html><head><title>Fortunes</title></head><body><table>",
    "<tr><th>id</th><th>message</th></tr>",
    "<tr><td>11</td><td>&lt;script&gt;alert(&quot;This should not be displayed in a browser alert box.&quot;);&lt;/script&gt;</td></tr>",
    "<tr><td>4</td><td>A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1</td></tr>",
    "<tr><td>5</td><td>A computer program does what you tell it to do, not what you want it to do.</td></tr>",
    "<tr><td>2</td><td>A computer scientist is someone who fixes things that aren&apos;t broken.</td></tr>",
    "<tr><td>8</td><td>A list is only as strong as its weakest link. \u{2014} Donald Knuth</td></tr>",
    "<tr><td>0</td><td>Additional fortune added at request time.</td></tr>",
    "<tr><td>3</td><td>After enough decimal places, nobody gives a damn.</td></tr>",
    "<tr><td>7</td><td>Any program that runs right is obsolete.</td></tr>",
    "<tr><td>10</td><td>Computers make very fast, very accurate mistakes.</td></tr>",
    "<tr><td>6</td><td>Emacs is a nice operating system, but I prefer UNIX. \u{2014} Tom Christaensen</td></tr>",
    "<tr><td>9</td><td>Feature: A bug with seniority.</td></tr>",
    "<tr><td>1</td><td>fortune: No such file or directory</td></tr>",
    "<tr><td>12</td><td>フレームワークのベンチマーク</td></tr>",
    "</table></body></html>",
);

/// The verifier's normalization of an HTML page (its `FortuneHTMLParser`): tags without
/// attributes, lowercased; `meta`, `link`, `thead`, `tbody` and scripts dropped;
/// whitespace-only text dropped; `'`, `"` and `>` in text written as entities; only the
/// character references it knows kept (any other is dropped, which fails the comparison).
fn normalize_html(page: &str) -> String {
    let mut out = String::new();
    let mut rest = page;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('<') {
            let end = after.find('>').map_or(after.len(), |i| i + 1);
            let tag = &after[..end.saturating_sub(1)];
            rest = &after[end..];
            let lower = tag.to_ascii_lowercase();
            if lower.starts_with("!doctype") {
                out.push_str("<!doctype html>");
                continue;
            }
            let (closing, name) = match lower.strip_prefix('/') {
                Some(n) => (true, n),
                None => (false, lower.as_str()),
            };
            let name = name
                .split(|c: char| c.is_whitespace() || c == '/')
                .next()
                .unwrap_or("");
            if ["meta", "link", "thead", "tbody"].contains(&name) {
                continue;
            }
            if name == "script" && !closing {
                let close = rest.to_ascii_lowercase().find("</script>");
                rest = close.map_or("", |i| &rest[i + "</script>".len()..]);
                continue;
            }
            out.push('<');
            if closing {
                out.push('/');
            }
            out.push_str(name);
            out.push('>');
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let text = &rest[..end];
            rest = &rest[end..];
            if text.trim().is_empty() {
                continue;
            }
            out.push_str(&normalize_text(text));
        }
    }
    out
}

/// Text as the verifier writes it back.
fn normalize_text(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '&'
            && let Some(end) = rest.find(';')
        {
            let entity = &rest[1..end];
            rest = &rest[end + 1..];
            match entity {
                "#34" | "#034" | "#x22" => out.push_str("&quot;"),
                "#39" | "#039" | "#x27" => out.push_str("&apos;"),
                "#43" | "#043" | "#x2b" => out.push('+'),
                "#62" | "#062" | "#x3e" => out.push_str("&gt;"),
                "#60" | "#060" | "#x3c" => out.push_str("&lt;"),
                "#47" | "#047" | "#x2f" => out.push('/'),
                "#40" | "#040" | "#x28" => out.push('('),
                "#41" | "#041" | "#x29" => out.push(')'),
                "mdash" => out.push('\u{2014}'),
                // Any other character reference is dropped.
                e if e.starts_with('#') => {}
                e => {
                    out.push('&');
                    out.push_str(e);
                    out.push(';');
                }
            }
            continue;
        }
        match c {
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// What every response must have: 200, `Server`, a `Date` in RFC 1123 GMT, a length, no
/// compression, and a Content-Type the verifier accepts for `kind`.
fn check_headers(r: &Response, what: &str, kind: &str) {
    assert_eq!(r.status, 200, "{what}: {r:?}");
    assert!(
        r.header("server").is_some_and(|s| !s.is_empty()),
        "{what}: no Server"
    );
    let date = r
        .header("date")
        .unwrap_or_else(|| panic!("{what}: no Date"));
    assert!(
        date.len() == 29 && date.ends_with(" GMT") && date.as_bytes()[3] == b',',
        "{what}: Date {date:?} is not RFC 1123"
    );
    assert!(
        r.header("content-length").is_some() || r.header("transfer-encoding").is_some(),
        "{what}: neither Content-Length nor Transfer-Encoding"
    );
    assert!(r.header("content-encoding").is_none(), "{what}: compressed");
    let ct = r
        .header("content-type")
        .unwrap_or_else(|| panic!("{what}: no Content-Type"));
    // The verifier's regular expressions, spelled out.
    let charset = |rest: &str| {
        rest.is_empty()
            || [
                "; charset=utf-8",
                "; charset=UTF-8",
                ";charset=utf-8",
                ";charset=UTF-8",
            ]
            .contains(&rest)
    };
    let ok = match kind {
        "json" => ct.strip_prefix("application/json").is_some_and(charset),
        "html" => ct
            .strip_prefix("text/html")
            .is_some_and(|rest| !rest.is_empty() && charset(rest)),
        _ => ct.strip_prefix("text/plain").is_some_and(charset),
    };
    assert!(
        ok,
        "{what}: Content-Type {ct:?} is not what the benchmark accepts for {kind}"
    );
}

async fn get(base: &str, path: &str, accept: &'static str) -> Response {
    http::get(base, path, &request_headers(accept))
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

/// A `{"id": N, "randomNumber": M}` object, checked: exactly those keys, both in 1..=10000.
fn world_of(v: &Value, what: &str) -> (i32, i32) {
    let obj = v
        .as_object()
        .unwrap_or_else(|| panic!("{what}: not an object: {v}"));
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["id", "randomNumber"], "{what}: {v}");
    let id = obj["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{what}: id is no integer: {v}"));
    let n = obj["randomNumber"]
        .as_i64()
        .unwrap_or_else(|| panic!("{what}: randomNumber is no integer: {v}"));
    assert!((1..=10_000).contains(&id), "{what}: id {id}");
    assert!((1..=10_000).contains(&n), "{what}: randomNumber {n}");
    (
        i32::try_from(id).expect("checked"),
        i32::try_from(n).expect("checked"),
    )
}

/// The whole `world` table, by id.
async fn snapshot(engine: &Engine) -> BTreeMap<i32, i32> {
    engine
        .all::<World>()
        .await
        .unwrap()
        .into_iter()
        .map(|w| (w.id, w.random_number))
        .collect()
}

/// Every rule, against the server at `base` on the database of `engine`.
async fn verify(base: &str, engine: &Engine, what: &str) {
    // /plaintext, alone and 16 pipelined on one connection, answered in order.
    let r = get(base, "/plaintext", ACCEPT_JSON).await;
    check_headers(&r, &format!("{what} /plaintext"), "plain");
    assert_eq!(r.body, "Hello, World!", "{what}");
    let keep_alive = [("Accept", "text/plain"), ("Connection", "keep-alive")];
    let all = http::pipelined(base, "/plaintext", &keep_alive, 16)
        .await
        .unwrap();
    assert_eq!(all.len(), 16, "{what}");
    assert!(
        all.iter()
            .all(|r| r.status == 200 && r.body == "Hello, World!"),
        "{what}"
    );

    // /json: exactly {"message": "Hello, World!"}.
    let r = get(base, "/json", ACCEPT_JSON).await;
    check_headers(&r, &format!("{what} /json"), "json");
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v, serde_json::json!({"message": "Hello, World!"}), "{what}");

    // The Date header is the time of the response, not of the server's start.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let later = get(base, "/json", ACCEPT_JSON).await;
    assert_ne!(
        r.header("date"),
        later.header("date"),
        "{what}: Date did not change"
    );

    // /db: one row, as it is in the table.
    let table = snapshot(engine).await;
    assert_eq!(table.len(), 10_000, "{what}");
    for _ in 0..5 {
        let r = get(base, "/db", ACCEPT_JSON).await;
        check_headers(&r, &format!("{what} /db"), "json");
        let v: Value = serde_json::from_str(&r.body).unwrap();
        let (id, n) = world_of(&v, what);
        assert_eq!(table.get(&id), Some(&n), "{what}: /db says {id} is {n}");
    }

    // /queries: the verifier's cases and a few more; always an array.
    for (query, expected) in [
        ("?queries=2", 2),
        ("?queries=0", 1),
        ("?queries=-1", 1),
        ("?queries=foo", 1),
        ("?queries=", 1),
        ("", 1),
        ("?queries=1", 1),
        ("?queries=20", 20),
        ("?queries=500", 500),
        ("?queries=501", 500),
    ] {
        let path = format!("/queries{query}");
        let r = get(base, &path, ACCEPT_JSON).await;
        check_headers(&r, &format!("{what} {path}"), "json");
        let v: Value = serde_json::from_str(&r.body).unwrap();
        let rows = v
            .as_array()
            .unwrap_or_else(|| panic!("{what} {path}: not an array"));
        assert_eq!(rows.len(), expected, "{what} {path}");
        for row in rows {
            let (id, n) = world_of(row, &path);
            assert_eq!(table.get(&id), Some(&n), "{what} {path}: row {id}");
        }
    }

    // /fortunes: the page the verifier expects, after its normalization.
    let r = get(base, "/fortunes", ACCEPT_HTML).await;
    check_headers(&r, &format!("{what} /fortunes"), "html");
    assert_eq!(
        normalize_html(&r.body),
        FORTUNES_FIXTURE,
        "{what}: {}",
        r.body
    );

    // /updates: the same cases; the rows returned are what the table now holds, and after
    // 500 updates (about 488 distinct rows) more than 475 rows changed.
    for (query, expected) in [
        ("?queries=2", 2),
        ("?queries=0", 1),
        ("?queries=foo", 1),
        ("?queries=", 1),
        ("", 1),
        ("?queries=20", 20),
        ("?queries=501", 500),
    ] {
        let before = snapshot(engine).await;
        let path = format!("/updates{query}");
        let r = get(base, &path, ACCEPT_JSON).await;
        check_headers(&r, &format!("{what} {path}"), "json");
        let v: Value = serde_json::from_str(&r.body).unwrap();
        let rows = v
            .as_array()
            .unwrap_or_else(|| panic!("{what} {path}: not an array"));
        assert_eq!(rows.len(), expected, "{what} {path}");
        let after = snapshot(engine).await;
        // The last write of each id wins.
        let mut written = BTreeMap::new();
        for row in rows {
            let (id, n) = world_of(row, &path);
            written.insert(id, n);
        }
        for (id, n) in &written {
            assert_eq!(after.get(id), Some(n), "{what} {path}: row {id}");
        }
        let changed = before
            .iter()
            .filter(|(id, n)| after.get(id) != Some(n))
            .count();
        assert!(
            changed <= written.len(),
            "{what} {path}: {changed} rows changed"
        );
        if expected == 500 {
            assert!(changed > 475, "{what} {path}: only {changed} rows changed");
        }
    }
}

/// The database for `backend`: the ORM's URL and sqlx's (they differ for a SQLite file),
/// and the folder to remove afterwards.
async fn database(backend: &str, name: &str) -> (String, String, Option<std::path::PathBuf>) {
    if backend.starts_with("sqlite") {
        let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("hello_world.db");
        (
            format!("sqlite:///{}", file.display()),
            format!("sqlite://{}", file.display()),
            Some(dir),
        )
    } else {
        let url = own_database(backend, name).await;
        (url.clone(), url, None)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_variants_follow_the_benchmark_rules() {
    for backend in backends() {
        if backend.starts_with("mysql") {
            // The benchmark's data lives in PostgreSQL (and SQLite, here).
            continue;
        }
        let (orm_url, sqlx_url, dir) = database(&backend, "techempower_verify").await;
        let engine = Engine::connect(
            &orm_url,
            std::env::temp_dir().as_ref(),
            EngineOptions::default(),
        )
        .await
        .unwrap();
        init_db(&engine).await.unwrap();

        let url = orm_url.clone();
        let app = techempower::app()
            .configure(move |c| c.set("SQLALCHEMY_DATABASE_URI", url.as_str()))
            .build()
            .unwrap();
        app.startup().await.unwrap();
        let ours = test_support::http::serve(app).await;
        verify(&ours, &engine, &format!("ours on {backend}")).await;

        let db = techempower_axum::Db::connect(&sqlx_url, 5).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let plain = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(techempower_axum::serve(listener, db));
        verify(&plain, &engine, &format!("plain axum on {backend}")).await;

        engine.close().await;
        if let Some(dir) = dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

#[test]
fn the_normalization_is_the_verifiers() {
    // What the verifier accepts...
    let page = "<!DOCTYPE html><html><head><meta charset=utf-8><title>Fortunes</title></head>\n<body><table class=x>\n<tr><th>id</th><th>message</th></tr>\n<tr><td>2</td><td>aren&#39;t &lt;&#x2f;b&gt; \u{2014}</td></tr></table></body></html>";
    assert_eq!(
        normalize_html(page),
        "<!doctype html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr><tr><td>2</td><td>aren&apos;t &lt;/b&gt; \u{2014}</td></tr></table></body></html>"
    );
    // ...and what it refuses: a reference it does not know is dropped, spaces are kept.
    assert_eq!(normalize_html("<td>a &#8212; b</td>"), "<td>a  b</td>");
    assert_eq!(normalize_html("<td> 11 </td>"), "<td> 11 </td>");
}
