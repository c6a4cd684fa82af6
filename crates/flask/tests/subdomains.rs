//! Subdomain matching and host matching, as Flask 3.1 does them (each answer checked
//! against Flask with the same rules and the same `Host` headers).

use flask::routing::get;
use flask::{Blueprint, Flask, Path, RequestContext, testing::TestClient};

#[flask::view]
async fn index(ctx: RequestContext) -> String {
    format!(
        "site {} {}",
        ctx.url_for("api_index").build().unwrap(),
        ctx.url_for("user_home")
            .value("user", "ada")
            .build()
            .unwrap()
    )
}
#[flask::view]
async fn api_index(ctx: RequestContext) -> String {
    format!("api {}", ctx.url_for("index").build().unwrap())
}
#[flask::view]
async fn user_home(ctx: RequestContext, Path(user): Path<String>) -> String {
    format!(
        "home of {user} {}",
        ctx.url_for("user_home")
            .value("user", &user)
            .build()
            .unwrap()
    )
}
#[flask::view]
async fn admin_index() -> &'static str {
    "admin"
}

fn subdomain_app() -> Flask {
    Flask::new("subdomains")
        .configure(|c| c.set("SERVER_NAME", "example.com"))
        .subdomain_matching()
        .route("/", get(index))
        .route("/", get(api_index).subdomain("api"))
        .route("/home", get(user_home).subdomain("<user>"))
        .blueprint(
            Blueprint::new("admin")
                .subdomain("admin")
                .route("/", get(admin_index)),
        )
}

async fn answer(c: &TestClient, host: &str, path: &str) -> String {
    let r = c.get(path).header("host", host).send().await;
    match r.status().as_u16() {
        200 => r.text(),
        code => code.to_string(),
    }
}

#[tokio::test]
async fn rules_answer_their_subdomain_of_server_name() {
    let c = subdomain_app().test_client();
    assert_eq!(
        answer(&c, "example.com", "/").await,
        "site http://api.example.com/ http://ada.example.com/home"
    );
    assert_eq!(
        answer(&c, "api.example.com", "/").await,
        "api http://example.com/"
    );
    // A variable subdomain reaches the view; a URL to the same subdomain stays relative.
    assert_eq!(
        answer(&c, "ada.example.com", "/home").await,
        "home of ada /home"
    );
    assert_eq!(answer(&c, "admin.example.com", "/").await, "admin");
    // Host names are case-insensitive and the default port is left out, as in Werkzeug.
    assert!(answer(&c, "EXAMPLE.com", "/").await.starts_with("site"));
    assert!(answer(&c, "example.com:80", "/").await.starts_with("site"));
    // No rule for this subdomain, or a host outside SERVER_NAME: 404.
    assert_eq!(answer(&c, "www.example.com", "/").await, "404");
    assert_eq!(answer(&c, "other.com", "/").await, "404");
}

#[tokio::test]
async fn url_for_outside_a_request_goes_to_the_rules_subdomain() {
    let app = subdomain_app().build().unwrap();
    assert_eq!(
        app.url_for("api_index").build().unwrap(),
        "http://api.example.com/"
    );
    assert_eq!(app.url_for("index").build().unwrap(), "http://example.com/");
    assert_eq!(
        app.url_for("admin.admin_index").build().unwrap(),
        "http://admin.example.com/"
    );
}

#[tokio::test]
async fn subdomains_need_subdomain_matching_and_server_name() {
    let err = Flask::new("off")
        .route("/", get(api_index).subdomain("api"))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("subdomain_matching"), "{err}");
    let err = Flask::new("no-name")
        .subdomain_matching()
        .route("/", get(index))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("SERVER_NAME"), "{err}");
}

#[tokio::test]
async fn host_matching_matches_the_whole_host() {
    #[flask::view]
    async fn user(ctx: RequestContext, Path(user): Path<String>) -> String {
        format!(
            "user {user} {}",
            ctx.url_for("user").value("user", "bob").build().unwrap()
        )
    }
    #[flask::view]
    async fn root(ctx: RequestContext) -> String {
        format!(
            "root {}",
            ctx.url_for("user").value("user", "ada").build().unwrap()
        )
    }
    let c = Flask::new("hosts")
        .host_matching("static.example.com")
        .route("/", get(root).host("example.com"))
        .route("/", get(user).host("<user>.example.com"))
        .test_client();
    assert_eq!(
        answer(&c, "ada.example.com", "/").await,
        "user ada http://bob.example.com/"
    );
    assert_eq!(
        answer(&c, "example.com", "/").await,
        "root http://ada.example.com/"
    );
    assert_eq!(answer(&c, "nope.org", "/").await, "404");
    // A rule without a host cannot match anything: a build error.
    let err = Flask::new("hostless")
        .host_matching("static.example.com")
        .route("/", get(root))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains(".host("), "{err}");
}
