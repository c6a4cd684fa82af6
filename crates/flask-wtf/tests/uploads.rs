//! File uploads: multipart bodies with files streamed to disk, FileRequired, FileAllowed,
//! FileSize, several files, saving, the size limits, and a 100 MB upload that never sits
//! in memory.

use std::collections::BTreeMap;

use flask::routing::get;
use flask::{
    Flask, IntoResponse, Response, render_template_string, testing::MultipartForm,
    testing::TestClient,
};
use flask_wtf::{FileStorage, FlaskForm, Form};
use serde::{Deserialize, Serialize};

#[derive(Debug, Form, Serialize, Deserialize)]
#[form(csrf = false)]
struct Profile {
    #[form(validate(data_required))]
    name: String,
    #[form(validate(file_required, file_allowed = ["png", "jpg"], file_size(max = 1000)))]
    avatar: Option<FileStorage>,
    #[form(validate(file_allowed(extensions = ["pdf"], message = "PDFs only.")))]
    papers: Vec<FileStorage>,
}

#[flask::view]
async fn profile(mut form: FlaskForm<Profile>) -> Response {
    if form.validate_on_submit() {
        let data = form.into_data().unwrap();
        let avatar = data.avatar.unwrap();
        let bytes = avatar.read().await.unwrap();
        let dest = std::env::temp_dir().join(format!(
            "flask-wtf-test-{}-{}",
            std::process::id(),
            avatar.secure_filename()
        ));
        avatar.save(&dest).await.unwrap();
        let saved = std::fs::read(&dest).unwrap();
        std::fs::remove_file(&dest).unwrap();
        let papers: Vec<String> = data
            .papers
            .iter()
            .map(|p| format!("{}:{}", p.filename().unwrap_or(""), p.len()))
            .collect();
        return format!(
            "{} {:?} {:?} {} {} same={} papers={papers:?}",
            data.name,
            avatar.filename(),
            avatar.content_type(),
            avatar.len(),
            String::from_utf8_lossy(&bytes),
            saved == bytes
        )
        .into_response();
    }
    let errors: BTreeMap<String, Vec<String>> = form.errors();
    let widget = render_template_string(
        "{{ form.avatar() }} {{ form.papers() }}",
        flask::context! { form => form },
    )
    .unwrap()
    .0;
    format!("{errors:?}\n{widget}").into_response()
}

fn client() -> TestClient {
    Flask::new("uploads")
        .configure(|c| {
            c.set("SECRET_KEY", "k");
            c.set("MAX_CONTENT_LENGTH", 5000);
        })
        .route("/", get(profile).post(profile))
        .test_client()
}

#[tokio::test]
async fn files_arrive_as_file_storage_and_can_be_saved() {
    let client = client();
    let form = MultipartForm::new()
        .text("name", "Ada")
        .file("avatar", "../../me.png", "image/png", b"PNGDATA".to_vec())
        .file("papers", "engine.pdf", "application/pdf", vec![1u8; 10])
        .file("papers", "notes.pdf", "application/pdf", vec![2u8; 20]);
    let text = client.post("/").multipart(form).send().await.text();
    assert_eq!(
        text,
        r#"Ada Some("../../me.png") Some("image/png") 7 PNGDATA same=true papers=["engine.pdf:10", "notes.pdf:20"]"#
    );
}

#[tokio::test]
async fn widgets_carry_required_accept_and_multiple() {
    let text = client().get("/").send().await.text();
    assert!(
        text.contains(
            r#"<input accept=".png, .jpg" id="avatar" name="avatar" required type="file">"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"<input accept=".pdf" id="papers" multiple name="papers" type="file">"#),
        "{text}"
    );
}

#[tokio::test]
async fn file_validators_and_their_messages() {
    let client = client();
    let cases = [
        (
            MultipartForm::new().text("name", "Ada"),
            r#""avatar": ["This field is required."]"#,
        ),
        (
            // A file input left empty: an empty part with an empty name.
            MultipartForm::new().text("name", "Ada").file(
                "avatar",
                "",
                "application/octet-stream",
                Vec::new(),
            ),
            r#""avatar": ["This field is required."]"#,
        ),
        (
            MultipartForm::new().text("name", "Ada").file(
                "avatar",
                "virus.exe",
                "image/png",
                b"MZ".to_vec(),
            ),
            r#""avatar": ["File does not have an approved extension: png, jpg"]"#,
        ),
        (
            MultipartForm::new().text("name", "Ada").file(
                "avatar",
                "big.PNG",
                "image/png",
                vec![0u8; 1001],
            ),
            r#""avatar": ["File must be between 0 and 1000 bytes."]"#,
        ),
        (
            MultipartForm::new()
                .text("name", "Ada")
                .file("avatar", "me.jpg", "image/jpeg", b"x".to_vec())
                .file("papers", "a.pdf", "application/pdf", b"x".to_vec())
                .file("papers", "b.doc", "application/msword", b"x".to_vec()),
            r#""papers": ["PDFs only."]"#,
        ),
    ];
    for (form, expected) in cases {
        let text = client.post("/").multipart(form).send().await.text();
        assert!(text.contains(expected), "{expected} not in {text}");
    }
}

#[tokio::test]
async fn text_never_becomes_a_file() {
    let client = client();
    let resp = client
        .post("/")
        .form(&[("name", "Ada"), ("avatar", "/etc/passwd")])
        .send()
        .await;
    let text = resp.text();
    assert!(
        text.contains(r#""avatar": ["This field is required."]"#),
        "{text}"
    );
}

#[tokio::test]
async fn size_limits_are_413() {
    let client = client();
    let form = MultipartForm::new().text("name", "Ada").file(
        "avatar",
        "huge.png",
        "image/png",
        vec![0u8; 6000],
    );
    let resp = client.post("/").multipart(form).send().await;
    assert_eq!(resp.status(), 413, "{}", resp.text());
    let client = Flask::new("uploads")
        .configure(|c| {
            c.set("SECRET_KEY", "k");
            c.set("MAX_FORM_MEMORY_SIZE", 100);
            c.set("MAX_FORM_PARTS", 3);
        })
        .route("/", get(profile).post(profile))
        .test_client();
    let long = "x".repeat(200);
    let resp = client
        .post("/")
        .multipart(MultipartForm::new().text("name", &long))
        .send()
        .await;
    assert_eq!(resp.status(), 413);
    assert!(resp.text().contains("MAX_FORM_MEMORY_SIZE"));
    let resp = client
        .post("/")
        .multipart(
            MultipartForm::new()
                .text("a", "1")
                .text("b", "2")
                .text("c", "3")
                .text("d", "4"),
        )
        .send()
        .await;
    assert_eq!(resp.status(), 413);
    assert!(resp.text().contains("MAX_FORM_PARTS"));
    let resp = client
        .post("/")
        .header("content-type", "multipart/form-data; boundary=x")
        .body("garbage")
        .send()
        .await;
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn uploads_are_deleted_after_the_request() {
    #[flask::view]
    async fn keep_path(mut form: FlaskForm<Profile>) -> String {
        form.validate_on_submit();
        form.into_data()
            .and_then(|d| d.avatar)
            .map(|a| a.path().display().to_string())
            .unwrap_or_default()
    }
    let client = Flask::new("cleanup")
        .configure(|c| c.set("SECRET_KEY", "k"))
        .route("/", get(keep_path).post(keep_path))
        .test_client();
    let path = client
        .post("/")
        .multipart(MultipartForm::new().text("name", "Ada").file(
            "avatar",
            "a.png",
            "image/png",
            b"x".to_vec(),
        ))
        .send()
        .await
        .text();
    assert!(!path.is_empty());
    assert!(
        !std::path::Path::new(&path).exists(),
        "{path} was left behind"
    );
}

#[tokio::test]
async fn csrf_protect_reads_the_token_of_a_multipart_form() {
    #[derive(Debug, Form, Serialize, Deserialize)]
    struct Upload {
        title: String,
        #[form(validate(file_required))]
        doc: FileStorage,
    }
    #[flask::view]
    async fn upload(mut form: FlaskForm<Upload>) -> Response {
        if form.validate_on_submit() {
            let data = form.into_data().unwrap();
            let bytes = data.doc.read().await.unwrap();
            return format!("{} {}", data.title, bytes.len()).into_response();
        }
        render_template_string("{{ form.hidden_tag() }}", flask::context! { form => form })
            .unwrap()
            .into_response()
    }
    let client = Flask::new("csrf-multipart")
        .configure(|c| c.set("SECRET_KEY", "k"))
        .extension(flask_wtf::CsrfProtect::new())
        .route("/", get(upload).post(upload))
        .test_client();
    let page = client.get("/").send().await.text();
    let token = page
        .split("value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_owned();
    let big = vec![9u8; 3 * 1024 * 1024];
    let form = MultipartForm::new()
        .text("csrf_token", &token)
        .text("title", "Report")
        .file("doc", "report.pdf", "application/pdf", big.clone());
    let resp = client.post("/").multipart(form).send().await;
    assert_eq!(resp.text(), format!("Report {}", big.len()));
    // Without it, or with a wrong one: refused before the view.
    let form = MultipartForm::new().text("title", "Report").file(
        "doc",
        "report.pdf",
        "application/pdf",
        b"x".to_vec(),
    );
    let resp = client.post("/").multipart(form).send().await;
    assert_eq!(resp.status(), 400);
    assert!(resp.text().contains("The CSRF token is missing."));
    let form = MultipartForm::new().text("csrf_token", "forged").file(
        "doc",
        "report.pdf",
        "application/pdf",
        b"x".to_vec(),
    );
    let resp = client.post("/").multipart(form).send().await;
    assert!(resp.text().contains("The CSRF token is invalid."));
    // After a file it is not looked for (forms put it first, with hidden_tag()).
    let form = MultipartForm::new()
        .file("doc", "report.pdf", "application/pdf", b"x".to_vec())
        .text("csrf_token", &token);
    let resp = client.post("/").multipart(form).send().await;
    assert!(resp.text().contains("The CSRF token is missing."));
    // The header works for multipart too.
    let form = MultipartForm::new().text("title", "Via header").file(
        "doc",
        "a.pdf",
        "application/pdf",
        b"abc".to_vec(),
    );
    let resp = client
        .post("/")
        .header("X-CSRFToken", &token)
        .multipart(form)
        .send()
        .await;
    assert_eq!(resp.text(), "Via header 3");
}
