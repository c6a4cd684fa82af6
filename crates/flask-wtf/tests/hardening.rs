//! Limits and edge cases: bodies the CSRF layer cannot look into, streamed multipart
//! bodies, field counts, list indices, attribute names from templates, file validator
//! chains, temp file permissions, files sent for no file field.

use std::collections::BTreeMap;

use flask::routing::{get, post};
use flask::{
    Error, Flask, Html, IntoResponse, Response, render_template_string, testing::MultipartForm,
};
use flask_wtf::testing::CsrfClient;
use flask_wtf::{CsrfProtect, FileStorage, FlaskForm, Form};
use serde::{Deserialize, Serialize};

#[tokio::test]
async fn an_exempt_view_takes_a_big_body_and_a_protected_one_says_413() {
    #[flask::view]
    async fn count(body: axum::body::Bytes) -> String {
        body.len().to_string()
    }
    let client = Flask::new("big")
        .configure(|c| {
            c.set("SECRET_KEY", "k");
            c.set("MAX_FORM_MEMORY_SIZE", 1000);
        })
        .extension(CsrfProtect::new().exempt("hook"))
        .route("/hook", post(count).endpoint("hook"))
        .route("/form", post(count).endpoint("form"))
        .test_client();
    let big = format!("data={}", "x".repeat(5000));
    let resp = client
        .post("/hook")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big.clone())
        .send()
        .await;
    assert_eq!(resp.text(), big.len().to_string());
    let resp = client
        .post("/form")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await;
    assert_eq!(resp.status(), 413);
}

#[tokio::test]
async fn a_multipart_body_in_many_small_frames_is_checked_and_passed_on_whole() {
    #[flask::view]
    async fn count(body: axum::body::Bytes) -> String {
        body.len().to_string()
    }
    let app = Flask::new("frames")
        .configure(|c| c.set("SECRET_KEY", "k"))
        .extension(CsrfProtect::new())
        .route("/", post(count).endpoint("index"))
        .build()
        .unwrap();
    let client = app.test_client();
    let token = client.csrf_token().await;
    let session = client.cookie("session").unwrap();
    let body = format!(
        "--b\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n\
         --b\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"a.bin\"\r\n\r\n{}\r\n--b--\r\n",
        "z".repeat(300_000)
    );
    let total = body.len();
    // 7-byte frames: the token straddles frames, the search stops at its prefix.
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = body
        .into_bytes()
        .chunks(7)
        .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
        .collect();
    let req = http::Request::post("/")
        .header("host", "localhost")
        .header("content-type", "multipart/form-data; boundary=b")
        .header("cookie", format!("session={session}"))
        .body(axum::body::Body::from_stream(futures_util::stream::iter(
            chunks,
        )))
        .unwrap();
    let resp = app.handle(req).await;
    assert_eq!(resp.status(), 200);
    let got = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(String::from_utf8_lossy(&got), total.to_string());
}

#[derive(Debug, Form, Serialize, Deserialize)]
#[form(csrf = false)]
struct Tags {
    #[form(list)]
    tags: Vec<String>,
    #[form(kind = "select_multiple", choices = [("a", "A")])]
    picks: Vec<String>,
    #[form(validate(file_size(max = 3), file_allowed = ["tar.gz", "png"]))]
    archive: Option<FileStorage>,
}

async fn tags(mut form: FlaskForm<Tags>) -> Response {
    form.validate_on_submit();
    let errors: BTreeMap<String, Vec<String>> = form.errors();
    let tags = form.into_data().map(|d| d.tags.len());
    format!("{errors:?} {tags:?}").into_response()
}

fn client_for<H, T>(handler: H, configure: fn(&mut flask::Config)) -> flask::testing::TestClient
where
    H: axum::handler::Handler<T, ()> + Clone,
    T: 'static,
{
    Flask::new("h")
        .configure(|c| {
            c.set("SECRET_KEY", "k");
            configure(c);
        })
        .route("/", get(handler.clone()).post(handler))
        .test_client()
}

#[tokio::test]
async fn field_counts_and_list_indices_are_bounded() {
    let client = client_for(tags, |c| c.set("MAX_FORM_PARTS", 5));
    let many: Vec<(String, String)> = (0..6).map(|i| (format!("tags-{i}"), "t".into())).collect();
    let resp = client.post("/").form(&many).send().await;
    assert_eq!(resp.status(), 413);
    let resp = client
        .post("/")
        .json(&serde_json::json!({"picks": ["a", "a", "a", "a", "a", "a"]}))
        .send()
        .await;
    assert_eq!(resp.status(), 413);
    // The largest index there is: one entry, no overflow.
    let text = client
        .post("/")
        .form(&[
            ("tags-18446744073709551615", "x"),
            ("tags-99999999999999999999999", "y"),
        ])
        .send()
        .await
        .text();
    assert!(text.ends_with("Some(1)"), "{text}");
}

#[tokio::test]
async fn select_multiple_lists_each_bad_choice_once() {
    let client = client_for(tags, |_| {});
    let text = client
        .post("/")
        .form(&[
            ("picks", "x"),
            ("picks", "y"),
            ("picks", "x"),
            ("picks", "a"),
        ])
        .send()
        .await
        .text();
    assert!(
        text.contains(r#""'x', 'y' are not valid choices for this field.""#),
        "{text}"
    );
}

#[tokio::test]
async fn file_validators_chain_as_in_flask_wtf() {
    let client = client_for(tags, |_| {});
    // FileSize does not stop the chain: FileAllowed runs after it.
    let text = client
        .post("/")
        .multipart(MultipartForm::new().file("archive", "big.exe", "x/y", b"12345".to_vec()))
        .send()
        .await
        .text();
    assert!(
        text.contains(r#""archive": ["File must be between 0 and 3 bytes.", "File does not have an approved extension: tar.gz, png"]"#),
        "{text}"
    );
    // A double extension is matched whole.
    let text = client
        .post("/")
        .multipart(MultipartForm::new().file("archive", "src.TAR.GZ", "x/y", b"123".to_vec()))
        .send()
        .await
        .text();
    assert!(text.starts_with("{}"), "{text}");
}

#[tokio::test]
async fn files_sent_for_no_file_field_are_not_stored() {
    async fn probe(form: FlaskForm<Tags>) -> String {
        let _ = form;
        let leftovers = std::fs::read_dir(std::env::temp_dir())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().contains("flask-wtf-upload"))
            .filter_map(|e| std::fs::read(e.path()).ok())
            .any(|bytes| bytes == b"NOT-A-FIELD-MARKER-1234567");
        leftovers.to_string()
    }
    let client = client_for(probe, |_| {});
    let text = client
        .post("/")
        .multipart(MultipartForm::new().file(
            "tags",
            "x.txt",
            "text/plain",
            b"NOT-A-FIELD-MARKER-1234567".to_vec(),
        ))
        .send()
        .await
        .text();
    assert_eq!(text, "false");
}

#[cfg(unix)]
#[tokio::test]
async fn uploads_are_readable_by_this_user_only() {
    use std::os::unix::fs::PermissionsExt;
    async fn mode(mut form: FlaskForm<Tags>) -> String {
        form.validate();
        form.into_data()
            .and_then(|d| d.archive)
            .map(|a| {
                let m = std::fs::metadata(a.path()).unwrap().permissions().mode();
                format!("{:o}", m & 0o777)
            })
            .unwrap_or_default()
    }
    let client = client_for(mode, |_| {});
    let text = client
        .post("/")
        .multipart(MultipartForm::new().file("archive", "a.png", "image/png", b"x".to_vec()))
        .send()
        .await
        .text();
    assert_eq!(text, "600");
}

#[tokio::test]
async fn attribute_names_from_templates_cannot_break_out_of_the_tag() {
    #[flask::view]
    async fn page(form: FlaskForm<Tags>) -> Result<Html<String>, Error> {
        let attrs = serde_json::json!({"onfocus=alert(1) x": "y", "class": "ok"});
        render_template_string(
            "{{ form.picks(**attrs) }}",
            flask::context! { form => form, attrs },
        )
    }
    let client = client_for(page, |_| {});
    let text = client.get("/").send().await.text();
    assert!(!text.contains("onfocus"), "{text}");
    assert!(text.contains(r#"class="ok""#), "{text}");
}

#[tokio::test]
async fn a_custom_csrf_field_name_in_forms() {
    #[derive(Debug, Form, Serialize, Deserialize)]
    struct Note {
        text: String,
    }
    async fn note(mut form: FlaskForm<Note>) -> Result<Response, Error> {
        if form.validate_on_submit() {
            return Ok("saved".into_response());
        }
        Ok(render_template_string(
            "{{ form.hidden_tag() }}|{{ form._token }}",
            flask::context! { form => form },
        )?
        .into_response())
    }
    let client = client_for(note, |c| c.set("WTF_CSRF_FIELD_NAME", "_token"));
    let page = client.get("/").send().await.text();
    assert!(
        page.contains(r#"<input id="_token" name="_token" type="hidden" value=""#),
        "{page}"
    );
    let (tag, field) = page.split_once('|').unwrap();
    assert_eq!(tag, field);
    let token = client.csrf_token().await;
    let resp = client
        .post("/")
        .form(&[("_token", token.as_str()), ("text", "hi")])
        .send()
        .await;
    assert_eq!(resp.text(), "saved");
}

#[tokio::test]
async fn integers_must_fit_their_rust_type() {
    #[derive(Debug, Form, Serialize, Deserialize)]
    #[form(csrf = false)]
    struct Small {
        level: u8,
        count: Option<u32>,
    }
    async fn small(mut form: FlaskForm<Small>) -> String {
        form.validate_on_submit();
        format!("{:?}", form.errors())
    }
    let client = client_for(small, |_| {});
    let text = client
        .post("/")
        .form(&[("level", "300"), ("count", "-1")])
        .send()
        .await
        .text();
    assert_eq!(
        text,
        r#"{"count": ["Not a valid integer value."], "level": ["Not a valid integer value."]}"#
    );
    let text = client
        .post("/")
        .form(&[("level", "255"), ("count", "4000000000")])
        .send()
        .await
        .text();
    assert_eq!(text, "{}");
}
