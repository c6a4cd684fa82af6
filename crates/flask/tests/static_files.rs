//! Static files: the static routes, send_file's caching headers and ranges, traversal.

use std::fs;
use std::path::PathBuf;

use flask::routing::get;
use flask::{
    AppRoot, Blueprint, Error, Flask, HeaderMap, Response, SendFileOptions, send_file,
    testing::TestClient,
};

fn root(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flask-static-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("static/css")).unwrap();
    fs::create_dir_all(dir.join("admin/assets")).unwrap();
    fs::write(dir.join("static/css/style.css"), "body { color: red }").unwrap();
    fs::write(dir.join("static/data.bin"), (0u8..100).collect::<Vec<u8>>()).unwrap();
    fs::write(dir.join("admin/assets/admin.js"), "console.log(1)").unwrap();
    fs::write(dir.join("secret.txt"), "secret").unwrap();
    dir
}

#[flask::view]
async fn report(headers: HeaderMap) -> Result<Response, Error> {
    let dir = std::env::temp_dir().join(format!("flask-static-{}-send", std::process::id()));
    let options = SendFileOptions {
        download_name: Some("Bericht März.pdf".into()),
        as_attachment: true,
        ..SendFileOptions::default()
    };
    send_file(&headers, dir.join("static/data.bin"), &options).await
}

fn client(dir: &PathBuf) -> TestClient {
    Flask::new(AppRoot::new("static", dir))
        .blueprint(
            Blueprint::new("admin")
                .url_prefix("/admin")
                .static_folder("admin/assets"),
        )
        .route("/report", get(report))
        .test_client()
}

#[tokio::test]
async fn the_static_route_and_url_for() {
    let dir = root("route");
    let c = client(&dir);
    let r = c.get("/static/css/style.css").send().await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text(), "body { color: red }");
    assert_eq!(r.header("content-type"), Some("text/css; charset=utf-8"));
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert!(r.header("etag").is_some() && r.header("last-modified").is_some());
    assert_eq!(
        c.get("/admin/assets/admin.js").send().await.text(),
        "console.log(1)"
    );
    let app = c.app();
    assert_eq!(
        app.url_for("static")
            .relative()
            .value("filename", "css/style.css")
            .build()
            .unwrap(),
        "/static/css/style.css"
    );
    assert_eq!(
        app.url_for("admin.static")
            .relative()
            .value("filename", "admin.js")
            .build()
            .unwrap(),
        "/admin/assets/admin.js"
    );
    assert_eq!(c.get("/static/missing.css").send().await.status(), 404);
}

#[tokio::test]
async fn conditional_requests_get_304() {
    let dir = root("cond");
    let c = client(&dir);
    let first = c.get("/static/css/style.css").send().await;
    let etag = first.header("etag").unwrap().to_owned();
    let modified = first.header("last-modified").unwrap().to_owned();
    let r = c
        .get("/static/css/style.css")
        .header("if-none-match", &etag)
        .send()
        .await;
    assert_eq!(r.status(), 304);
    assert!(r.bytes().is_empty());
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    let r = c
        .get("/static/css/style.css")
        .header("if-modified-since", &modified)
        .send()
        .await;
    assert_eq!(r.status(), 304);
    let r = c
        .get("/static/css/style.css")
        .header("if-none-match", "\"other\"")
        .send()
        .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn byte_ranges() {
    let dir = root("range");
    let c = client(&dir);
    let r = c
        .get("/static/data.bin")
        .header("range", "bytes=10-19")
        .send()
        .await;
    assert_eq!(r.status(), 206);
    assert_eq!(
        r.bytes().as_ref(),
        (10u8..20).collect::<Vec<u8>>().as_slice()
    );
    assert_eq!(r.header("content-range"), Some("bytes 10-19/100"));
    assert_eq!(r.header("content-length"), Some("10"));
    let r = c
        .get("/static/data.bin")
        .header("range", "bytes=-5")
        .send()
        .await;
    assert_eq!(r.bytes().as_ref(), &[95u8, 96, 97, 98, 99]);
    let r = c
        .get("/static/data.bin")
        .header("range", "bytes=200-")
        .send()
        .await;
    assert_eq!(r.status(), 416);
    assert_eq!(r.header("content-range"), Some("bytes */100"));
    // If-Range with another ETag: the whole file.
    let r = c
        .get("/static/data.bin")
        .header("range", "bytes=0-1")
        .header("if-range", "\"stale\"")
        .send()
        .await;
    assert_eq!((r.status().as_u16(), r.bytes().len()), (200, 100));
    // HEAD: headers, no body.
    let r = c.head("/static/data.bin").send().await;
    assert_eq!(
        (
            r.status().as_u16(),
            r.bytes().len(),
            r.header("content-length")
        ),
        (200, 0, Some("100"))
    );
}

#[tokio::test]
async fn traversal_is_impossible() {
    let dir = root("traversal");
    let c = client(&dir);
    for path in [
        "/static/../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/css/%2E%2E/%2E%2E/secret.txt",
        "/static/..%2Fsecret.txt",
        "/static/%2Fetc%2Fpasswd",
        "/static/css/..%5C..%5Csecret.txt",
        "/admin/assets/../../secret.txt",
    ] {
        let r = c.get(path).send().await;
        assert!(
            r.status() == 404 || r.status() == 308,
            "{path} gave {} {}",
            r.status(),
            r.text()
        );
        assert!(!r.text().contains("secret"), "{path} leaked the file");
        if r.status() == 308 {
            let followed = c.get(path).follow_redirects().send().await;
            assert!(
                !followed.text().contains("secret"),
                "{path} leaked the file after a redirect"
            );
        }
    }
}

#[tokio::test]
async fn send_file_download_names() {
    let dir = std::env::temp_dir().join(format!("flask-static-{}-send", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("static")).unwrap();
    fs::write(dir.join("static/data.bin"), [1u8, 2, 3]).unwrap();
    let c = client(&dir);
    let r = c.get("/report").send().await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("content-type"), Some("application/pdf"));
    assert_eq!(
        r.header("content-disposition"),
        Some(
            "attachment; filename=\"Bericht M_rz.pdf\"; filename*=UTF-8''Bericht%20M%C3%A4rz%2Epdf"
        )
    );
}
