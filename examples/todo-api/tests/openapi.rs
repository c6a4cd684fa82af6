//! The API describes itself: an OpenAPI 3.1 document listing every route, parameter and
//! response, valid by openapi-spec-validator, and a page to try it.

use serde_json::Value;

#[tokio::test]
async fn the_document_lists_every_route_parameter_and_response() {
    let c = todo_api::app().test_client();
    let resp = c.get("/openapi.json").send().await;
    assert_eq!(resp.status(), 200);
    let doc: Value = resp.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert_eq!(
        paths.keys().collect::<Vec<_>>(),
        ["/todos", "/todos/{todo_id}"]
    );
    let todo = &paths["/todos/{todo_id}"];
    assert_eq!(todo["parameters"][0]["name"], "todo_id");
    assert_eq!(todo["parameters"][0]["in"], "path");
    for (method, statuses) in [
        ("get", &["200", "404"][..]),
        ("delete", &["204", "404"][..]),
        ("put", &["201", "400"][..]),
    ] {
        let op = &todo[method];
        assert!(op.is_object(), "{method}");
        for s in statuses {
            assert!(op["responses"][s].is_object(), "{method} {s}: {op}");
        }
    }
    assert!(todo["post"].is_null());
    let list = &paths["/todos"];
    assert!(list["get"]["responses"]["200"].is_object());
    let post = &list["post"];
    assert!(post["requestBody"]["content"]["application/x-www-form-urlencoded"].is_object());
    assert_eq!(
        post["responses"]["201"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Task"
    );
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in ["Task", "TaskArgs", "Error"] {
        assert!(schemas.contains_key(name), "{name}: {schemas:?}");
    }
    // Every $ref points at a schema that is there.
    let text = doc.to_string();
    for piece in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = piece.split('"').next().unwrap();
        assert!(schemas.contains_key(name), "dangling $ref {name}");
    }
}

#[tokio::test]
async fn openapi_spec_validator_accepts_it() {
    let available = std::process::Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        if std::env::var_os("FLASK_TEST_REQUIRE_SERVICES").is_some() {
            panic!("openapi-spec-validator is not installed: pip install openapi-spec-validator");
        }
        eprintln!(
            "skipped: openapi-spec-validator is not installed (pip install openapi-spec-validator)"
        );
        return;
    }
    let doc = todo_api::app()
        .test_client()
        .get("/openapi.json")
        .send()
        .await
        .text();
    let path = std::env::temp_dir().join(format!("todo-api-openapi-{}.json", std::process::id()));
    std::fs::write(&path, doc).unwrap();
    let out = std::process::Command::new("python3")
        .args(["-m", "openapi_spec_validator"])
        .arg(&path)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn the_docs_page_reads_the_document() {
    let c = todo_api::app().test_client();
    let resp = c.get("/docs").send().await;
    assert_eq!(resp.status(), 200);
    let page = resp.text();
    assert!(
        page.contains(r#"const SPEC_URL = "/openapi.json";"#),
        "{page}"
    );
    // Its script is in the page: nothing is loaded from elsewhere.
    assert!(
        !page.contains("https://"),
        "the page loads something from the network"
    );
}
