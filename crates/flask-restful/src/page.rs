//! Pages of a list endpoint: the items, where they are in the whole, and links to the
//! other pages in the body and in a `Link` header.

use serde::Serialize;
use serde_json::{Value, json};

use crate::{ApiError, ApiRequest, Reply, reply};

/// One page of a list: build it from a query (or flask-sqlalchemy's `Pagination`, feature
/// `sqlalchemy`), answer with [`Page::reply`].
///
/// ```
/// use flask_restful::{ApiRequest, ApiResult, Page};
///
/// async fn list(mut req: ApiRequest) -> ApiResult {
///     let (page, per_page) = req.page_args(20, 100).await?;
///     let all: Vec<u32> = (1..=95).collect();
///     let start = ((page - 1) * per_page) as usize;
///     let items: Vec<u32> = all.iter().skip(start).take(per_page as usize).copied().collect();
///     Ok(Page::new(items, page, per_page, all.len() as u64).reply(&req))
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// This page's items.
    pub items: Vec<T>,
    /// Its number, from 1.
    pub page: u64,
    /// Items per page.
    pub per_page: u64,
    /// Items in all pages.
    pub total: u64,
}

impl<T> Page<T> {
    /// A page.
    pub fn new(items: Vec<T>, page: u64, per_page: u64, total: u64) -> Self {
        Page {
            items,
            page,
            per_page,
            total,
        }
    }

    /// How many pages there are.
    pub fn pages(&self) -> u64 {
        if self.per_page == 0 {
            0
        } else {
            self.total.div_ceil(self.per_page)
        }
    }
}

#[cfg(feature = "sqlalchemy")]
impl<M> From<flask_sqlalchemy::Pagination<M>> for Page<M> {
    fn from(p: flask_sqlalchemy::Pagination<M>) -> Self {
        Page::new(p.items, p.page, p.per_page, p.total)
    }
}

/// The request's URL with `page` set to `n` (its other query arguments kept).
fn page_url(req: &ApiRequest, n: u64) -> String {
    let uri = &req.parts.uri;
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        if k != "page" {
            query.append_pair(&k, &v);
        }
    }
    query.append_pair("page", &n.to_string());
    format!("{}?{}", uri.path(), query.finish())
}

impl<T: Serialize> Page<T> {
    /// The answer: `{"items": [...], "page", "per_page", "total", "pages", "links": {"self",
    /// "first", "prev", "next", "last"}}` and the same links in a `Link` header (RFC 8288),
    /// `prev` and `next` only where there is such a page.
    ///
    /// # Panics
    /// If the items cannot be serialized.
    pub fn reply(self, req: &ApiRequest) -> Reply {
        let pages = self.pages();
        let mut links: Vec<(&str, String)> = vec![("self", page_url(req, self.page))];
        links.push(("first", page_url(req, 1)));
        if self.page > 1 {
            links.push(("prev", page_url(req, (self.page - 1).min(pages.max(1)))));
        }
        if self.page < pages {
            links.push(("next", page_url(req, self.page + 1)));
        }
        links.push(("last", page_url(req, pages.max(1))));
        let header = links
            .iter()
            .map(|(rel, url)| format!("<{url}>; rel=\"{rel}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let link_map: serde_json::Map<String, Value> = links
            .into_iter()
            .map(|(rel, url)| (rel.to_owned(), Value::String(url)))
            .collect();
        reply(json!({
            "items": self.items,
            "page": self.page,
            "per_page": self.per_page,
            "total": self.total,
            "pages": pages,
            "links": link_map,
        }))
        .header("Link", &header)
    }
}

impl ApiRequest {
    /// `?page=` and `?per_page=` of a list endpoint: the page from 1 (1 by default), and
    /// the items per page (`default_per_page` by default, at most `max_per_page`). A value
    /// that is not a positive number is a 400 naming it.
    pub async fn page_args(
        &mut self,
        default_per_page: u64,
        max_per_page: u64,
    ) -> Result<(u64, u64), ApiError> {
        let mut page = 1;
        let mut per_page = default_per_page;
        for (k, v) in form_urlencoded::parse(self.parts.uri.query().unwrap_or("").as_bytes()) {
            let slot = match k.as_ref() {
                "page" => &mut page,
                "per_page" => &mut per_page,
                _ => continue,
            };
            *slot = v.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                let mut errors = serde_json::Map::new();
                errors.insert(
                    k.clone().into_owned(),
                    Value::String(format!("{v:?} is not a page number (1, 2, ...)")),
                );
                ApiError::new(400).message(Value::Object(errors))
            })?;
        }
        Ok((page, per_page.min(max_per_page.max(1))))
    }
}
