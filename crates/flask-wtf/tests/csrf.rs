//! CSRF protection end to end: every failure mode with Flask-WTF's message, the header
//! tokens of fetch/AJAX, exemptions, the HTTPS origin check, the config keys, and an error
//! handler that renders the failure.

use flask::routing::{get, post};
use flask::signing::itsdangerous::{KeyDerivation, TimestampSigner, UrlSafeTimedSerializer};
use flask::{Blueprint, Error, Flask, Html, render_template_string, testing::TestClient};
use flask_wtf::{CsrfError, CsrfProtect};

#[flask::view]
async fn form_page() -> Result<Html<String>, Error> {
    render_template_string(
        r#"<form method="post"><input type="hidden" name="csrf_token" value="{{ csrf_token() }}">{{ csrf_token() == csrf_token() }}</form>"#,
        flask::context! {},
    )
}

fn app(csrf: CsrfProtect, configure: impl FnOnce(&mut flask::Config)) -> Flask {
    let api = Blueprint::new("api")
        .url_prefix("/api")
        .route("/items", post(|| async { "api item" }).endpoint("items"))
        .blueprint(
            Blueprint::new("v2")
                .url_prefix("/v2")
                .route("/items", post(|| async { "v2 item" }).endpoint("items")),
        );
    Flask::new("csrf-tests")
        .configure(|c| {
            c.set("SECRET_KEY", "test secret");
            configure(c);
        })
        .extension(csrf)
        .route(
            "/",
            get(form_page).post(|| async { "saved" }).endpoint("index"),
        )
        .route(
            "/put",
            flask::routing::put(|| async { "put" }).endpoint("put"),
        )
        .route("/webhook", post(|| async { "hooked" }).endpoint("webhook"))
        .blueprint(api)
}

fn client() -> TestClient {
    app(CsrfProtect::new(), |_| {}).test_client()
}

/// The token of the form page (and a session holding its secret).
async fn token(client: &TestClient) -> String {
    let page = client.get("/").send().await.text();
    assert!(page.contains("True"), "one token per request: {page}");
    page.split("value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned()
}

async fn failure(resp: flask::testing::TestResponse, message: &str) {
    assert_eq!(resp.status(), 400, "{}", resp.text());
    assert!(
        resp.text().contains(message),
        "{message} not in {}",
        resp.text()
    );
}

#[tokio::test]
async fn a_form_with_its_token_passes() {
    let client = client();
    let token = token(&client).await;
    let resp = client
        .post("/")
        .form(&[("title", "hi"), ("csrf_token", &token)])
        .send()
        .await;
    assert_eq!(resp.text(), "saved");
    // The same token serves several forms of the session.
    let resp = client
        .post("/")
        .form(&[("csrf_token", &token)])
        .send()
        .await;
    assert_eq!(resp.text(), "saved");
    // And a field whose name ends with it (a prefixed form).
    let resp = client
        .post("/")
        .form(&[("login-csrf_token", &token)])
        .send()
        .await;
    assert_eq!(resp.text(), "saved");
}

#[tokio::test]
async fn missing_tokens() {
    let client = client();
    token(&client).await;
    failure(client.post("/").send().await, "The CSRF token is missing.").await;
    failure(
        client.post("/").form(&[("csrf_token", "")]).send().await,
        "The CSRF token is missing.",
    )
    .await;
    failure(
        client.put("/put").json(&serde_json::json!({})).send().await,
        "The CSRF token is missing.",
    )
    .await;
    // A client that never loaded a form has no session token.
    let stranger = client.app().test_client();
    let forged = token(&client).await;
    failure(
        stranger
            .post("/")
            .form(&[("csrf_token", &forged)])
            .send()
            .await,
        "The CSRF session token is missing.",
    )
    .await;
}

#[tokio::test]
async fn tokens_of_another_session_do_not_match() {
    let alice = client();
    let mallory = alice.app().test_client();
    let alices = token(&alice).await;
    token(&mallory).await;
    failure(
        mallory
            .post("/")
            .form(&[("csrf_token", &alices)])
            .send()
            .await,
        "The CSRF tokens do not match.",
    )
    .await;
}

/// A token for `raw` in Flask-WTF's format with another secret or salt.
fn foreign(secret: &str, salt: &str, raw: &str) -> String {
    UrlSafeTimedSerializer::new(TimestampSigner::new(
        &[secret],
        salt,
        KeyDerivation::DjangoConcat,
    ))
    .dumps(format!("\"{raw}\"").as_bytes())
}

#[tokio::test]
async fn tampered_and_foreign_tokens_are_invalid() {
    let client = client();
    let token = token(&client).await;
    let raw: String = client
        .session_transaction(|s| s.get("csrf_token"))
        .await
        .unwrap();
    let mut cut = token.clone();
    cut.pop();
    for bad in [
        cut,
        format!("x{token}"),
        "garbage".to_owned(),
        foreign("another secret", "wtf-csrf-token", &raw),
        foreign("test secret", "another salt", &raw),
    ] {
        failure(
            client.post("/").form(&[("csrf_token", &bad)]).send().await,
            "The CSRF token is invalid.",
        )
        .await;
    }
}

#[tokio::test]
async fn expired_tokens() {
    let client = app(CsrfProtect::new(), |c| c.set("WTF_CSRF_TIME_LIMIT", 60)).test_client();
    token(&client).await;
    let raw: String = client
        .session_transaction(|s| s.get("csrf_token"))
        .await
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // Tokens as Flask-WTF makes them, stamped in the past.
    let signer = UrlSafeTimedSerializer::new(TimestampSigner::new(
        &["test secret"],
        "wtf-csrf-token",
        KeyDerivation::DjangoConcat,
    ));
    let token_at = |raw: &str, at: u64| signer.dumps_at(format!("\"{raw}\"").as_bytes(), at);
    let old = token_at(&raw, now - 120);
    failure(
        client.post("/").form(&[("csrf_token", &old)]).send().await,
        "The CSRF token has expired.",
    )
    .await;
    let recent = token_at(&raw, now - 30);
    let resp = client
        .post("/")
        .form(&[("csrf_token", &recent)])
        .send()
        .await;
    assert_eq!(resp.text(), "saved");
    // Without a limit (null, Flask-WTF's None), tokens last as long as the session.
    let client = app(CsrfProtect::new(), |c| {
        c.set("WTF_CSRF_TIME_LIMIT", serde_json::Value::Null);
    })
    .test_client();
    token(&client).await;
    let raw: String = client
        .session_transaction(|s| s.get("csrf_token"))
        .await
        .unwrap();
    let ancient = token_at(&raw, 1000);
    let resp = client
        .post("/")
        .form(&[("csrf_token", &ancient)])
        .send()
        .await;
    assert_eq!(resp.text(), "saved");
}

#[tokio::test]
async fn header_tokens_for_fetch_and_ajax() {
    let client = client();
    let token = token(&client).await;
    for header in ["X-CSRFToken", "X-CSRF-Token"] {
        let resp = client
            .put("/put")
            .header(header, &token)
            .json(&serde_json::json!({"a": 1}))
            .send()
            .await;
        assert_eq!(resp.text(), "put", "{header}");
    }
    // Only the configured headers count.
    let client = app(CsrfProtect::new(), |c| {
        c.set("WTF_CSRF_HEADERS", ["X-My-Token"]);
    })
    .test_client();
    let token = self::token(&client).await;
    failure(
        client
            .put("/put")
            .header("X-CSRFToken", &token)
            .send()
            .await,
        "The CSRF token is missing.",
    )
    .await;
    let resp = client.put("/put").header("X-My-Token", &token).send().await;
    assert_eq!(resp.text(), "put");
}

#[tokio::test]
async fn exempt_views_and_blueprints() {
    let client = app(
        CsrfProtect::new().exempt("webhook").exempt_blueprint("api"),
        |_| {},
    )
    .test_client();
    assert_eq!(client.post("/webhook").send().await.text(), "hooked");
    assert_eq!(client.post("/api/items").send().await.text(), "api item");
    // Children of an exempt blueprint too.
    assert_eq!(client.post("/api/v2/items").send().await.text(), "v2 item");
    failure(client.post("/").send().await, "The CSRF token is missing.").await;
    // Not exempt without being listed.
    let strict = self::client();
    failure(strict.post("/webhook").send().await, "missing").await;
}

#[tokio::test]
async fn safe_methods_and_unknown_urls_are_not_checked() {
    let client = client();
    assert_eq!(client.get("/").send().await.status(), 200);
    assert_eq!(client.head("/").send().await.status(), 200);
    // No endpoint: the router's answer, not a CSRF failure.
    assert_eq!(client.post("/nowhere").send().await.status(), 404);
    let client = app(CsrfProtect::new(), |c| c.set("WTF_CSRF_METHODS", ["PUT"])).test_client();
    assert_eq!(client.post("/").send().await.text(), "saved");
    failure(client.put("/put").send().await, "missing").await;
}

#[tokio::test]
async fn disabled_or_not_checked_by_default() {
    for key in ["WTF_CSRF_ENABLED", "WTF_CSRF_CHECK_DEFAULT"] {
        let client = app(CsrfProtect::new(), |c| c.set(key, false)).test_client();
        assert_eq!(client.post("/").send().await.text(), "saved", "{key}");
    }
}

#[tokio::test]
async fn a_custom_field_name() {
    #[flask::view]
    async fn page() -> Result<Html<String>, Error> {
        render_template_string("{{ csrf_token() }}", flask::context! {})
    }
    let client = app(CsrfProtect::new(), |c| {
        c.set("WTF_CSRF_FIELD_NAME", "_token")
    })
    .route("/token", get(page))
    .test_client();
    let token = client.get("/token").send().await.text();
    failure(
        client.post("/").form(&[("csrf", &token)]).send().await,
        "missing",
    )
    .await;
    let resp = client.post("/").form(&[("_token", &token)]).send().await;
    assert_eq!(resp.text(), "saved");
}

#[tokio::test]
async fn over_https_the_origin_must_be_this_site() {
    let client = app(CsrfProtect::new(), |c| c.set("PROXY_FIX_X_PROTO", 1)).test_client();
    let token = token(&client).await;
    let post = |origin: Option<(&'static str, &'static str)>| {
        let mut req = client
            .post("/")
            .header("x-forwarded-proto", "https")
            .header("host", "shop.example")
            .form(&[("csrf_token", token.as_str())]);
        if let Some((name, value)) = origin {
            req = req.header(name, value);
        }
        req.send()
    };
    failure(post(None).await, "The referrer header is missing.").await;
    for (name, evil) in [
        ("origin", "https://evil.example"),
        ("origin", "http://shop.example"),
        ("origin", "https://shop.example:8443"),
        ("referer", "https://evil.example/form"),
        ("referer", "https://shop.example.evil.example/"),
        ("referer", "not a url"),
    ] {
        failure(
            post(Some((name, evil))).await,
            "The referrer does not match the host.",
        )
        .await;
    }
    assert_eq!(
        post(Some(("origin", "https://shop.example"))).await.text(),
        "saved"
    );
    assert_eq!(
        post(Some(("referer", "https://shop.example/form?x=1")))
            .await
            .text(),
        "saved"
    );
    // Plain HTTP, or WTF_CSRF_SSL_STRICT off: no origin check.
    let resp = client
        .post("/")
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await;
    assert_eq!(resp.text(), "saved");
    let lax = app(CsrfProtect::new(), |c| {
        c.set("PROXY_FIX_X_PROTO", 1);
        c.set("WTF_CSRF_SSL_STRICT", false);
    })
    .test_client();
    let token = self::token(&lax).await;
    let resp = lax
        .post("/")
        .header("x-forwarded-proto", "https")
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await;
    assert_eq!(resp.text(), "saved");
}

#[tokio::test]
async fn an_error_handler_renders_the_failure() {
    let client = app(CsrfProtect::new(), |_| {})
        .errorhandler_for::<CsrfError, _, _>(|e: Error| async move {
            let reason = e.downcast_ref::<CsrfError>().map(|r| format!("{r:?}"));
            (
                flask::StatusCode::BAD_REQUEST,
                format!(
                    "Your form expired, please try again ({})",
                    reason.unwrap_or_default()
                ),
            )
        })
        .test_client();
    let resp = client.post("/").send().await;
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.text(), "Your form expired, please try again (Missing)");
}

#[tokio::test]
async fn big_forms_are_413_and_the_body_reaches_the_view() {
    #[flask::view]
    async fn echo(
        flask::Form(f): flask::Form<std::collections::HashMap<String, String>>,
    ) -> String {
        f.get("text").cloned().unwrap_or_default()
    }
    let client = app(CsrfProtect::new(), |c| c.set("MAX_FORM_MEMORY_SIZE", 1000))
        .route("/echo", post(echo))
        .test_client();
    let token = token(&client).await;
    let resp = client
        .post("/echo")
        .form(&[("csrf_token", token.as_str()), ("text", "kept")])
        .send()
        .await;
    assert_eq!(resp.text(), "kept");
    let big = "x".repeat(2000);
    let resp = client
        .post("/echo")
        .form(&[("csrf_token", token.as_str()), ("text", big.as_str())])
        .send()
        .await;
    assert_eq!(resp.status(), 413);
}

#[tokio::test]
async fn without_a_form_limit_the_token_layer_reads_no_more_than_max_content_length() {
    let client = app(CsrfProtect::new(), |c| {
        c.set("MAX_FORM_MEMORY_SIZE", serde_json::Value::Null);
        c.set("MAX_CONTENT_LENGTH", 1000);
    })
    .test_client();
    let token = token(&client).await;
    let big = "x".repeat(2000);
    let resp = client
        .post("/")
        .form(&[("csrf_token", token.as_str()), ("text", big.as_str())])
        .send()
        .await;
    assert_eq!(resp.status(), 413);
    assert!(
        resp.text()
            .contains("The form data is larger than MAX_CONTENT_LENGTH allows."),
        "{}",
        resp.text()
    );
}

#[tokio::test]
async fn tests_can_ask_for_a_token() {
    use flask_wtf::testing::CsrfClient;
    let client = client();
    let token = client.csrf_token().await;
    let resp = client
        .post("/")
        .form(&[("csrf_token", &token)])
        .send()
        .await;
    assert_eq!(resp.text(), "saved");
    // The same session secret as the pages use.
    let page_token = self::token(&client).await;
    let resp = client
        .post("/")
        .form(&[("csrf_token", &page_token)])
        .send()
        .await;
    assert_eq!(resp.text(), "saved");
}

#[tokio::test]
async fn bearer_requests_without_the_session_cookie_can_skip_the_check() {
    let client = app(CsrfProtect::new().skip_bearer(), |_| {}).test_client();
    // An API client: a token, no cookie.
    let resp = client
        .post("/api/items")
        .header("Authorization", "Bearer abc123")
        .send()
        .await;
    assert_eq!(resp.text(), "api item");
    // A browser with its session cookie is checked, bearer header or not.
    let _ = token(&client).await;
    let resp = client
        .post("/api/items")
        .header("Authorization", "Bearer abc123")
        .send()
        .await;
    failure(resp, "The CSRF token is missing.").await;
    // Without skip_bearer, a bearer request is checked like any other.
    let strict = client_without_cookies();
    let resp = strict
        .post("/api/items")
        .header("Authorization", "Bearer abc123")
        .send()
        .await;
    failure(resp, "The CSRF token is missing.").await;
}

fn client_without_cookies() -> TestClient {
    app(CsrfProtect::new(), |_| {}).test_client()
}
