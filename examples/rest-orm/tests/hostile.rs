//! Bodies made to be expensive once parsed, over a real socket: 16 MiB of empty form
//! fields and a JSON object of 20 000 keys are refused with a 413 naming the limit, and
//! nothing is stored.

use std::path::PathBuf;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The API on a SQLite file of its own, served on a free port; its address and folder.
async fn serve() -> (String, PathBuf) {
    let dir = std::env::temp_dir().join(format!("rest-orm-hostile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite:///{}", dir.join("rest-orm.db").display());
    let app = rest_orm::app()
        .configure(move |c| c.set("SQLALCHEMY_DATABASE_URI", url.as_str()))
        .build()
        .unwrap();
    let base = test_support::http::serve(app).await;
    (base.trim_start_matches("http://").to_owned(), dir)
}

/// `POST /books` with this body; the status line and the body of the answer.
async fn post(addr: &str, content_type: &str, body: &[u8]) -> (u16, String) {
    let mut conn = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /books HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(body).await.unwrap();
    let mut out = Vec::new();
    conn.read_to_end(&mut out).await.unwrap();
    let out = String::from_utf8_lossy(&out).into_owned();
    let status = out[9..12].parse().unwrap();
    (status, out.split_once("\r\n\r\n").unwrap().1.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_that_parse_into_millions_of_values_are_refused() {
    let (addr, dir) = serve().await;
    // Just under MAX_CONTENT_LENGTH (16 MiB): 8 million fields named "a".
    let form = "a&".repeat(8 * 1024 * 1024 - 1);
    let (status, body) = post(&addr, "application/x-www-form-urlencoded", form.as_bytes()).await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("MAX_FORM_MEMORY_SIZE"), "{body}");
    // Within MAX_FORM_MEMORY_SIZE (500 000 bytes) but 150 000 fields.
    let form = "a&".repeat(150_000);
    let (status, body) = post(&addr, "application/x-www-form-urlencoded", form.as_bytes()).await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("MAX_FORM_PARTS"), "{body}");

    let keys: Vec<String> = (0..20_000).map(|i| format!("\"k{i}\": 0")).collect();
    let json = format!("{{{}}}", keys.join(", "));
    let (status, body) = post(&addr, "application/json", json.as_bytes()).await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("MAX_JSON_PARTS"), "{body}");

    // Within the limits, a book is made as usual.
    let (status, body) = post(
        &addr,
        "application/json",
        br#"{"title": "Emma", "author": "Jane Austen"}"#,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let _ = std::fs::remove_dir_all(&dir);
}
