//! Pages of a list endpoint: the body's links and the `Link` header, the arguments and
//! their errors.

use flask::Flask;
use flask_restful::{Api, ApiRequest, ApiResult, Page, Resource};
use serde_json::{Value, json};

#[flask::view]
struct Numbers;

impl Resource for Numbers {
    const METHODS: &'static [&'static str] = &["GET"];

    async fn get(&self, mut req: ApiRequest) -> ApiResult {
        let (page, per_page) = req.page_args(20, 50).await?;
        let all: Vec<u64> = (1..=95).collect();
        let items: Vec<u64> = all
            .iter()
            .skip(usize::try_from((page - 1) * per_page).unwrap_or(usize::MAX))
            .take(usize::try_from(per_page).unwrap_or(0))
            .copied()
            .collect();
        Ok(Page::new(items, page, per_page, all.len() as u64).reply(&req))
    }
}

fn client() -> flask::testing::TestClient {
    Flask::new("pages")
        .extension(Api::new().add_resource(Numbers, &["/numbers"]))
        .test_client()
}

#[tokio::test]
async fn a_middle_page_links_everywhere() {
    let resp = client()
        .get("/numbers?page=2&per_page=30&sort=asc")
        .send()
        .await;
    let body: Value = resp.json();
    assert_eq!(body["items"][0], 31);
    assert_eq!(body["items"].as_array().unwrap().len(), 30);
    assert_eq!(body["page"], 2);
    assert_eq!(body["pages"], 4);
    assert_eq!(body["total"], 95);
    assert_eq!(
        body["links"],
        json!({
            "self": "/numbers?per_page=30&sort=asc&page=2",
            "first": "/numbers?per_page=30&sort=asc&page=1",
            "prev": "/numbers?per_page=30&sort=asc&page=1",
            "next": "/numbers?per_page=30&sort=asc&page=3",
            "last": "/numbers?per_page=30&sort=asc&page=4",
        })
    );
    let link = resp.header("link").unwrap();
    assert!(
        link.contains(r#"</numbers?per_page=30&sort=asc&page=3>; rel="next""#),
        "{link}"
    );
    assert!(link.contains(r#"rel="prev""#), "{link}");
}

#[tokio::test]
async fn first_and_last_pages_and_limits() {
    let c = client();
    let body: Value = c.get("/numbers").send().await.json();
    assert_eq!(body["per_page"], 20);
    assert!(body["links"].get("prev").is_none());
    assert_eq!(body["links"]["next"], "/numbers?page=2");
    let body: Value = c.get("/numbers?page=5").send().await.json();
    assert_eq!(body["items"].as_array().unwrap().len(), 15);
    assert!(body["links"].get("next").is_none());
    // per_page is capped.
    let body: Value = c.get("/numbers?per_page=1000").send().await.json();
    assert_eq!(body["per_page"], 50);
    // Past the end: an empty page.
    let body: Value = c.get("/numbers?page=9").send().await.json();
    assert_eq!(body["items"], json!([]));
    for bad in ["/numbers?page=0", "/numbers?page=x", "/numbers?per_page=-2"] {
        let resp = c.get(bad).send().await;
        assert_eq!(resp.status(), 400, "{bad}");
        assert!(resp.json::<Value>()["message"].is_object(), "{bad}");
    }
}
