//! Responses and request data as Flask 3.1 and Werkzeug 3.1 make them: each expected value
//! was taken from the real thing (the same view in Flask, the same raw request).

use flask::routing::get;
use flask::{
    AppRoot, Cookies, Flask, HeaderMap, IntoResponse, RequestContext, Response, ResponseExt,
    SendFileOptions, SetCookie, jsonify, make_response, redirect, redirect_with,
    render_template_string, send_bytes, send_file, send_from_directory,
};
use serde_json::json;

#[tokio::test]
async fn redirect_percent_encodes_the_location_like_iri_to_uri() {
    let c = Flask::new("r")
        .route("/r", get(|| async { redirect("/user/Jörg ü?x=ä b") }))
        .test_client();
    let r = c.get("/r").send().await;
    assert_eq!(r.status(), 302);
    assert_eq!(
        r.header("location"),
        Some("/user/J%C3%B6rg%20%C3%BC?x=%C3%A4%20b")
    );
    // The page shows the location as it was given, escaped for HTML.
    assert!(r.text().contains(">/user/Jörg ü?x=ä b</a>"), "{}", r.text());
}

#[tokio::test]
async fn redirect_sends_the_status_it_is_given() {
    let c = Flask::new("r")
        .route("/300", get(|| async { redirect_with("/x", 300) }))
        .route("/305", get(|| async { redirect_with("/x", 305) }))
        .route("/bad", get(|| async { redirect_with("/x", 1000) }))
        .test_client();
    for code in [300, 305] {
        let r = c.get(&format!("/{code}")).send().await;
        assert_eq!(r.status(), code);
        assert_eq!(r.header("location"), Some("/x"));
    }
    assert_eq!(c.get("/bad").send().await.status(), 500);
}

#[tokio::test]
async fn a_head_answered_304_has_no_content_length() {
    let dir = std::env::temp_dir().join(format!("flask-304-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.txt"), "hello").unwrap();
    let file = dir.join("a.txt");
    let c = Flask::new("r")
        .route(
            "/a",
            get(move |headers: HeaderMap| {
                let file = file.clone();
                async move { send_file(&headers, file, &SendFileOptions::default()).await }
            }),
        )
        .test_client();
    let etag = c.get("/a").send().await.header("etag").unwrap().to_owned();
    for method in [http::Method::GET, http::Method::HEAD] {
        let r = c
            .request(method.clone(), "/a")
            .header("if-none-match", &etag)
            .send()
            .await;
        assert_eq!(r.status(), 304, "{method}");
        assert_eq!(r.header("content-length"), None, "{method}");
        assert_eq!(r.header("etag"), Some(etag.as_str()));
    }
    // A 200 HEAD still says how long the body would be.
    let head = c.head("/a").send().await;
    assert_eq!(head.header("content-length"), Some("5"));
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn cookies_are_parsed_like_werkzeug() {
    #[flask::view]
    async fn show(cookies: Cookies) -> String {
        cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("|")
    }
    let c = Flask::new("c").route("/", get(show)).test_client();
    let r = c
        .get("/")
        .header(
            "cookie",
            r#"flavor="choc chip"; b=a%20b; c="a\"q\073"; d=x y; e="\303\251""#,
        )
        .send()
        .await;
    assert_eq!(r.text(), "flavor=choc chip|b=a%20b|c=a\"q;|e=é");
}

#[tokio::test]
async fn jsonify_writes_the_bytes_of_flasks_json_provider() {
    let data = || json!({"b": 1, "a": "é", "c": [1, 2.5, null, true], "big": 2.5e20});
    let c = Flask::new("j")
        .route("/", get(move || async move { jsonify(data()) }))
        .test_client();
    let r = c.get("/").send().await;
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.text(),
        "{\"a\":\"\\u00e9\",\"b\":1,\"big\":2.5e+20,\"c\":[1,2.5,null,true]}\n"
    );
    // In debug mode Flask indents by 2.
    let c = Flask::new("j")
        .configure(|c| c.set("DEBUG", true))
        .route(
            "/",
            get(|| async { jsonify(json!({"b": 1, "a": [1], "c": {}})) }),
        )
        .test_client();
    assert_eq!(
        c.get("/").send().await.text(),
        "{\n  \"a\": [\n    1\n  ],\n  \"b\": 1,\n  \"c\": {}\n}\n"
    );
}

#[tokio::test]
async fn url_for_with_a_list_value_repeats_the_argument() {
    #[flask::view]
    async fn about() -> &'static str {
        "about"
    }
    #[flask::view]
    async fn links(ctx: RequestContext) -> Result<String, flask::Error> {
        let rust = ctx
            .url_for("about")
            .value_list("tag", ["a", "b"])
            .build()
            .map_err(flask::Error::internal)?;
        let template = render_template_string(
            "{{ url_for('about', tag=['a', 'b'], n=none) }}",
            flask::context! {},
        )?;
        Ok(format!("{rust} {}", template.0))
    }
    let c = Flask::new("u")
        .route("/about", get(about))
        .route("/links", get(links))
        .test_client();
    assert_eq!(
        c.get("/links").send().await.text(),
        // Autoescaped in the template, as in Flask.
        "/about?tag=a&tag=b /about?tag=a&amp;tag=b"
    );
}

#[tokio::test]
async fn set_cookie_and_delete_cookie_write_werkzeugs_headers() {
    #[flask::view]
    async fn set() -> Response {
        let mut resp = "x".into_response();
        resp.set_cookie(SetCookie::new("a", "b c;d"))
            .delete_cookie("old")
            .set_cookie(
                SetCookie::new("p", "v")
                    .secure(true)
                    .http_only(true)
                    .same_site("Lax")
                    .path(Some("/x"))
                    .domain("example.com"),
            );
        resp
    }
    #[flask::view]
    async fn returned() -> (SetCookie, &'static str) {
        (SetCookie::new("theme", "dark"), "ok")
    }
    #[flask::view]
    async fn bad() -> Response {
        let mut resp = "x".into_response();
        resp.set_cookie(SetCookie::new("a", "b").same_site("sometimes"));
        resp
    }
    let c = Flask::new("ck")
        .route("/set", get(set))
        .route("/returned", get(returned))
        .route("/bad", get(bad))
        .test_client();
    let r = c.get("/set").send().await;
    let all: Vec<&str> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(
        all,
        [
            r#"a="b c\073d"; Path=/"#,
            "old=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/",
            "p=v; Domain=example.com; Secure; HttpOnly; Path=/x; SameSite=Lax",
        ]
    );
    let r = c.get("/returned").send().await;
    assert_eq!(r.header("set-cookie"), Some("theme=dark; Path=/"));
    assert_eq!(r.text(), "ok");
    // The test client's jar keeps it, as a browser would.
    assert_eq!(c.cookie("theme").as_deref(), Some("dark"));
    let r = c.get("/bad").send().await;
    assert_eq!(r.status(), 500);
}

#[tokio::test]
async fn a_body_and_headers_tuple_is_a_response() {
    let c = Flask::new("t")
        .route(
            "/",
            get(|| async { make_response(("body", [("X-A", "1")])) }),
        )
        .test_client();
    let r = c.get("/").send().await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("x-a"), Some("1"));
    assert_eq!(r.text(), "body");
}

#[tokio::test]
async fn send_from_directory_is_relative_to_the_app_root() {
    // The app's root is a folder that is not the working directory.
    let root = std::env::temp_dir().join(format!("flask-root-{}", std::process::id()));
    std::fs::create_dir_all(root.join("files")).unwrap();
    std::fs::write(root.join("files/report.txt"), "quarterly").unwrap();
    assert_ne!(std::env::current_dir().unwrap(), root);
    #[flask::view]
    async fn download(
        headers: HeaderMap,
        flask::Path(name): flask::Path<String>,
    ) -> Result<Response, flask::Error> {
        send_from_directory(&headers, "files", &name, &SendFileOptions::default()).await
    }
    let c = Flask::new(AppRoot::new("files", &root))
        .route("/files/<path:name>", get(download))
        .test_client();
    let r = c.get("/files/report.txt").send().await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text(), "quarterly");
    assert_eq!(c.get("/files/../secret").send().await.status(), 404);
    std::fs::remove_dir_all(root).ok();
}

#[tokio::test]
async fn send_bytes_sends_what_the_handler_made() {
    #[flask::view]
    async fn export(headers: HeaderMap) -> Result<Response, flask::Error> {
        let options = SendFileOptions {
            download_name: Some("posts.csv".to_owned()),
            as_attachment: true,
            ..Default::default()
        };
        send_bytes(&headers, "id,title\n1,Hello\n", &options).await
    }
    #[flask::view]
    async fn nameless(headers: HeaderMap) -> Result<Response, flask::Error> {
        send_bytes(&headers, "x", &SendFileOptions::default()).await
    }
    let c = Flask::new("b")
        .route("/export", get(export))
        .route("/nameless", get(nameless))
        .test_client();
    let r = c.get("/export").send().await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(
        r.header("content-disposition")
            .unwrap()
            .starts_with("attachment; filename=\"posts.csv\"")
    );
    assert_eq!(r.header("etag"), None);
    assert_eq!(r.text(), "id,title\n1,Hello\n");
    let r = c.get("/export").header("range", "bytes=0-1").send().await;
    assert_eq!(r.status(), 206);
    assert_eq!(r.text(), "id");
    assert_eq!(c.get("/nameless").send().await.status(), 500);
}
