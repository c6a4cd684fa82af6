//! A 100 MB upload goes to disk as it arrives: the process's peak memory grows by far
//! less than the file, without CSRF protection and with `CsrfProtect` reading the token
//! at the start of the multipart body. (Alone in its test binary, so no other test moves
//! the peak.)

use flask::{App, Flask, IntoResponse as _, Response};
use flask_wtf::testing::CsrfClient as _;
use flask_wtf::{CsrfProtect, FileStorage, FlaskForm, Form};
use serde::{Deserialize, Serialize};

/// The size of the upload.
const SIZE: usize = 100 * 1024 * 1024;

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

#[derive(Debug, Form, Serialize, Deserialize)]
struct Big {
    #[form(validate(file_required))]
    blob: FileStorage,
}

#[flask::view]
async fn big(mut form: FlaskForm<Big>) -> Response {
    if form.validate_on_submit() {
        let blob = form.into_data().unwrap().blob;
        let on_disk = std::fs::metadata(blob.path()).unwrap().len();
        return format!("{} {}", blob.len(), on_disk).into_response();
    }
    format!("{:?}", form.errors()).into_response()
}

fn app(csrf_protect: bool) -> App {
    let mut app = Flask::new("big").configure(|c| {
        c.set("SECRET_KEY", "k");
        c.set("MAX_CONTENT_LENGTH", 200 * 1024 * 1024);
    });
    if csrf_protect {
        app = app.extension(CsrfProtect::new());
    } else {
        app = app.configure(|c| c.set("WTF_CSRF_ENABLED", false));
    }
    app.route("/", flask::routing::post(big)).build().unwrap()
}

/// Posts a multipart body of `text` fields then a `SIZE` file, made as it is sent, 64 KiB
/// at a time: neither side holds it whole. The response's status and text.
async fn post_streamed(
    app: &App,
    cookie: Option<&str>,
    text: &[(&str, &str)],
    file_size: usize,
) -> (u16, String) {
    let boundary = "bigboundary";
    let mut head = String::new();
    for (name, value) in text {
        head.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    head.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"blob\"; filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    ));
    let tail = format!("\r\n--{boundary}--\r\n");
    let chunk = bytes::Bytes::from(vec![7u8; 64 * 1024]);
    let chunks = file_size / chunk.len();
    let stream = futures_util::stream::iter(
        std::iter::once(bytes::Bytes::from(head))
            .chain(std::iter::repeat_n(chunk, chunks))
            .chain(std::iter::once(bytes::Bytes::from(tail)))
            .map(Ok::<_, std::io::Error>),
    );
    let mut req = http::Request::post("/").header("host", "localhost").header(
        "content-type",
        format!("multipart/form-data; boundary={boundary}"),
    );
    if let Some(cookie) = cookie {
        req = req.header("cookie", cookie);
    }
    let req = req.body(axum::body::Body::from_stream(stream)).unwrap();
    let resp = app.handle(req).await.into_response();
    let status = resp.status().as_u16();
    let body = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// Asserts that the peak memory grew by far less than the 100 MB that went through.
fn assert_peak_grew_little(before: Option<u64>, what: &str) {
    if let (Some(before), Some(after)) = (before, peak_rss_kib()) {
        assert!(
            after.saturating_sub(before) < 40 * 1024,
            "{what}: peak memory grew by {} KiB",
            after - before
        );
    }
}

// Both cases in one test, one after the other: tests of one binary run in parallel, and
// the peak is the whole process's. Each is measured from the same starting point.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mb_upload_streams_to_disk_with_and_without_csrf_protect() {
    let plain = app(false);
    let protected = app(true);
    let client = protected.test_client();
    let token = client.csrf_token().await;
    let cookie = format!(
        "session={}",
        client.cookie("session").expect("a session cookie")
    );
    // CsrfProtect is on: a body without the token is refused before the view.
    let (status, text) = post_streamed(&protected, Some(&cookie), &[], 1024).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("The CSRF token is missing."), "{text}");

    let before = peak_rss_kib();
    let (status, text) = post_streamed(&plain, None, &[], SIZE).await;
    assert_eq!(
        (status, text.as_str()),
        (200, format!("{SIZE} {SIZE}").as_str())
    );
    assert_peak_grew_little(before, "without CsrfProtect");

    // The token first (as hidden_tag() puts it), read by CsrfProtect before the view;
    // the file after it still streams to disk.
    let (status, text) = post_streamed(
        &protected,
        Some(&cookie),
        &[("csrf_token", token.as_str())],
        SIZE,
    )
    .await;
    assert_eq!(
        (status, text.as_str()),
        (200, format!("{SIZE} {SIZE}").as_str())
    );
    assert_peak_grew_little(before, "with CsrfProtect");
}
