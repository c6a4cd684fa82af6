//! A 100 MB upload goes to disk as it arrives: the process's peak memory grows by far
//! less than the file. (Alone in its test binary, so no other test moves the peak.)

use flask::{Flask, Response};
use flask_wtf::{FileStorage, FlaskForm, Form};
use serde::{Deserialize, Serialize};

/// The peak memory of this process, from /proc (Linux).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mb_upload_streams_to_disk() {
    use flask::IntoResponse as _;

    #[derive(Debug, Form, Serialize, Deserialize)]
    #[form(csrf = false)]
    struct Big {
        #[form(validate(file_required))]
        blob: FileStorage,
    }
    async fn big(mut form: FlaskForm<Big>) -> Response {
        if form.validate_on_submit() {
            let blob = form.into_data().unwrap().blob;
            let on_disk = std::fs::metadata(blob.path()).unwrap().len();
            return format!("{} {}", blob.len(), on_disk).into_response();
        }
        format!("{:?}", form.errors()).into_response()
    }
    const SIZE: usize = 100 * 1024 * 1024;
    let app = Flask::new("big")
        .configure(|c| {
            c.set("SECRET_KEY", "k");
            c.set("MAX_CONTENT_LENGTH", 200 * 1024 * 1024);
        })
        .route("/", flask::routing::post(big))
        .build()
        .unwrap();
    // The body is made as it is sent, 64 KiB at a time: neither side holds it whole.
    let boundary = "bigboundary";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"blob\"; filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    let chunk = bytes::Bytes::from(vec![7u8; 64 * 1024]);
    let chunks = SIZE / chunk.len();
    let stream = futures_util::stream::iter(
        std::iter::once(bytes::Bytes::from(head))
            .chain(std::iter::repeat_n(chunk, chunks))
            .chain(std::iter::once(bytes::Bytes::from(tail)))
            .map(Ok::<_, std::io::Error>),
    );
    let req = http::Request::post("/")
        .header("host", "localhost")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(axum::body::Body::from_stream(stream))
        .unwrap();
    let before = peak_rss_kib();
    let resp = app.handle(req).await.into_response();
    let body = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(String::from_utf8_lossy(&body), format!("{SIZE} {SIZE}"));
    if let (Some(before), Some(after)) = (before, peak_rss_kib()) {
        // 100 MB went through; the peak grew by far less than that.
        assert!(
            after.saturating_sub(before) < 40 * 1024,
            "peak memory grew by {} KiB",
            after - before
        );
    }
}
