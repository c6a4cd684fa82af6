//! A `ModelView` over a table on each database: the list (search, sorting, pages), details,
//! create and edit forms (validation from the columns, unique values, CSRF), delete, and
//! the access checks.

use flask::testing::TestClient;
use flask::{Flask, StatusCode};
use flask_admin::{Admin, ModelView};
use flask_sqlalchemy::{Model, SQLAlchemy};
use flask_wtf::testing::CsrfClient;
use serde::{Deserialize, Serialize};
use test_support::databases::{backends, own_database};

#[derive(Debug, Clone, PartialEq, Model, Serialize, Deserialize)]
#[model(table = "admin_category")]
struct Category {
    #[model(primary_key)]
    id: i64,
    #[model(max_length = 40, unique)]
    name: String,
}

#[derive(Debug, Clone, PartialEq, Model, Serialize, Deserialize)]
#[model(table = "admin_tag")]
struct Tag {
    #[model(primary_key)]
    id: i64,
    #[model(max_length = 40, unique)]
    name: String,
}

#[derive(Debug, Clone, PartialEq, Model, Serialize, Deserialize)]
#[model(table = "admin_product_tag")]
struct ProductTag {
    #[model(primary_key, foreign_key = "admin_product.id", on_delete = "cascade")]
    product_id: i64,
    #[model(primary_key, foreign_key = "admin_tag.id", on_delete = "cascade")]
    tag_id: i64,
}

#[derive(Debug, Clone, PartialEq, Model, Serialize, Deserialize)]
#[model(table = "admin_product")]
#[model(many_to_many(tags: Tag, secondary = ProductTag, local = product_id, remote = tag_id))]
struct Product {
    #[model(primary_key)]
    id: i64,
    #[model(max_length = 40, unique)]
    name: String,
    price: f64,
    in_stock: bool,
    note: Option<String>,
    added: chrono::NaiveDate,
    #[model(foreign_key = "admin_category.id")]
    category_id: Option<i64>,
}

async fn client(url: &str, name: &str, admin: Admin) -> TestClient {
    let url = own_database(url, name).await;
    let c = Flask::new("admin-tests")
        .configure(move |c| {
            c.set("SQLALCHEMY_DATABASE_URI", url.as_str());
            c.set("SECRET_KEY", "admin-tests");
        })
        .extension(
            SQLAlchemy::new()
                .model::<Category>()
                .model::<Product>()
                .model::<Tag>()
                .model::<ProductTag>(),
        )
        .extension(admin)
        .test_client();
    c.app().startup().await.unwrap();
    let ext = c.app().extension::<SQLAlchemy>().unwrap();
    let engine = ext.engine().unwrap();
    let models = flask_sqlalchemy::MetaData::new()
        .register::<Category>()
        .register::<Product>()
        .register::<Tag>()
        .register::<ProductTag>();
    engine.drop_all(&models).await.unwrap();
    engine.create_all(&models).await.unwrap();
    for name in ["organic", "local", "sale"] {
        let mut tag = Tag {
            id: 0,
            name: name.into(),
        };
        engine.insert(&mut tag).await.unwrap();
    }
    for name in ["fruit", "berries"] {
        let mut category = Category {
            id: 0,
            name: name.into(),
        };
        engine.insert(&mut category).await.unwrap();
    }
    for (day, (name, price, in_stock)) in [
        ("apple", 0.5, true),
        ("banana", 0.25, true),
        ("cherry", 4.0, false),
        ("date", 3.0, true),
        ("elderberry", 7.5, false),
    ]
    .into_iter()
    .enumerate()
    {
        let mut p = Product {
            id: 0,
            name: name.into(),
            price,
            in_stock,
            note: (name == "date").then(|| "dried".to_owned()),
            added: chrono::NaiveDate::from_ymd_opt(2026, 1, 1 + day as u32).unwrap(),
            // cherry and elderberry are berries (2), banana has none.
            category_id: match name {
                "cherry" | "elderberry" => Some(2),
                "banana" => None,
                _ => Some(1),
            },
        };
        engine.insert(&mut p).await.unwrap();
    }
    c
}

fn products() -> ModelView<Product> {
    ModelView::<Product>::new()
        .column_searchable_list(&["name", "note"])
        .column_filters(&["name", "price", "in_stock", "note", "added", "category_id"])
        .page_size(2)
}

/// The cells of the list's rows, the name column only.
fn names(page: &str) -> Vec<String> {
    let Some(start) = page.find("<table class=\"model-list\">") else {
        return Vec::new();
    };
    let table = &page[start
        ..page[start..]
            .find("</table>")
            .map_or(page.len(), |e| start + e)];
    table
        .split("<tr>")
        .skip(2)
        .filter_map(|row| {
            let cells: Vec<&str> = row.split("<td>").skip(2).collect();
            cells
                .first()
                .map(|c| c.split("</td>").next().unwrap_or("").to_owned())
        })
        .collect()
}

async fn post_form(
    c: &TestClient,
    path: &str,
    fields: &[(&str, &str)],
) -> flask::testing::TestResponse {
    let token = c.csrf_token().await;
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    c.post(path).form(&all).send().await
}

#[tokio::test]
async fn the_list_searches_sorts_and_pages() {
    for url in backends() {
        let c = client(&url, "admin_list", Admin::new("Store").view(products())).await;
        let page = c.get("/admin/admin_product/").send().await;
        assert_eq!(page.status(), StatusCode::OK, "{url}");
        let page = page.text();
        assert!(
            page.contains("<a class=\"brand\" href=\"/admin/\">Store</a>"),
            "{page}"
        );
        assert!(page.contains("5 records, page 1 of 3"), "{url}: {page}");
        assert_eq!(names(&page), ["apple", "banana"], "{url}");
        // The name heading sorts (column 1), and again the other way.
        assert!(
            page.contains("href=\"/admin/admin_product/?sort=1\""),
            "{page}"
        );
        let sorted = c
            .get("/admin/admin_product/?sort=1&desc=1")
            .send()
            .await
            .text();
        assert_eq!(names(&sorted), ["elderberry", "date"], "{url}");
        assert!(sorted.contains("aria-sort=\"descending\""));
        let by_price = c
            .get("/admin/admin_product/?sort=2&page=1")
            .send()
            .await
            .text();
        assert_eq!(names(&by_price), ["date", "cherry"], "{url}");
        // The pager keeps the sort.
        assert!(
            by_price.contains("href=\"/admin/admin_product/?sort=2&amp;page=2\""),
            "{by_price}"
        );
        // Search, any case, in the searchable columns; % is not a wildcard.
        let found = c
            .get("/admin/admin_product/?search=ERR")
            .send()
            .await
            .text();
        assert_eq!(names(&found), ["cherry", "elderberry"], "{url}");
        assert!(found.contains("2 records"));
        let none = c
            .get("/admin/admin_product/?search=%25")
            .send()
            .await
            .text();
        assert!(none.contains("There are no items in the table."), "{url}");
        // A page past the end shows the last.
        let last = c.get("/admin/admin_product/?page=99").send().await.text();
        assert_eq!(names(&last), ["elderberry"], "{url}");
        // A foreign key shows the related row's label.
        assert!(page.contains("<td>fruit</td>"), "{url}: {page}");
        // The index lists the view.
        let index = c.get("/admin/").send().await.text();
        assert!(
            index.contains("<a href=\"/admin/admin_product/\">Admin Product</a>"),
            "{index}"
        );
    }
}

#[tokio::test]
async fn filters_by_type() {
    for url in backends() {
        let c = client(
            &url,
            "admin_filters",
            Admin::new("Store").view(products().page_size(10)),
        )
        .await;
        let list = |query: &'static str| {
            let c = c.clone();
            async move {
                c.get(&format!("/admin/admin_product/?{query}"))
                    .send()
                    .await
                    .text()
            }
        };
        for (query, expected) in [
            (
                "flt_price_op=gt&flt_price=1",
                &["cherry", "date", "elderberry"][..],
            ),
            (
                "flt_price_op=between&flt_price=0.3&flt_price_to=3.5",
                &["apple", "date"],
            ),
            ("flt_name_op=contains&flt_name=AN", &["banana"]),
            (
                "flt_name_op=not_equal&flt_name=apple&flt_price_op=lt&flt_price=1",
                &["banana"],
            ),
            (
                "flt_in_stock_op=equals&flt_in_stock=0",
                &["cherry", "elderberry"],
            ),
            ("flt_note_op=empty&flt_note=0", &["date"]),
            (
                "flt_note_op=not_contains&flt_note=dri",
                &["apple", "banana", "cherry", "elderberry"],
            ),
            (
                "flt_added_op=before&flt_added=2026-01-03",
                &["apple", "banana"],
            ),
            (
                "flt_added_op=between&flt_added=2026-01-02&flt_added_to=2026-01-04",
                &["banana", "cherry", "date"],
            ),
            ("flt_added_op=equals&flt_added=2026-01-05", &["elderberry"]),
            ("flt_added_op=after&flt_added=2026-01-04", &["elderberry"]),
            (
                "search=e&flt_in_stock_op=equals&flt_in_stock=1&sort=1&desc=1",
                &["date", "apple"],
            ),
        ] {
            assert_eq!(names(&list(query).await), expected, "{url}: {query}");
        }
        // A foreign key filters by the related rows, offered by their label.
        let page = list("flt_category_id_op=equals&flt_category_id=2").await;
        assert_eq!(names(&page), ["cherry", "elderberry"], "{url}");
        assert!(
            page.contains("<option value=\"2\" selected>berries</option>"),
            "{page}"
        );
        let page = list("flt_category_id_op=empty&flt_category_id=1").await;
        assert_eq!(names(&page), ["banana"], "{url}");
        // A value that does not fit: said in the form, and the filter left out.
        let page = list("flt_price_op=gt&flt_price=abc").await;
        assert!(page.contains("Not a valid float value."), "{page}");
        assert!(page.contains("5 records"), "{url}");
        // Sorting and pages keep the filters.
        let page = c
            .get("/admin/admin_product/?flt_price_op=gt&flt_price=1")
            .send()
            .await
            .text();
        assert!(page.contains("Filters (1 applied)"), "{page}");
        assert!(
            page.contains(
                "href=\"/admin/admin_product/?flt_price_op=gt&amp;flt_price=1&amp;sort=1\""
            ),
            "{page}"
        );
    }
}

#[tokio::test]
async fn create_validates_from_the_columns_and_saves() {
    for url in backends() {
        let c = client(&url, "admin_create", Admin::new("Store").view(products())).await;
        let form = c.get("/admin/admin_product/new/").send().await.text();
        assert!(form.contains("<input type=\"text\" id=\"name\" name=\"name\" value=\"\" maxlength=\"40\" required>"), "{form}");
        assert!(
            form.contains(
                "type=\"number\" id=\"price\" name=\"price\" value=\"\" step=\"any\" required"
            ),
            "{form}"
        );
        assert!(form.contains("type=\"checkbox\" id=\"in_stock\""), "{form}");
        // A foreign key is a select of the related rows, by label.
        assert!(
            form.contains("<option value=\"2\">berries</option><option value=\"1\">fruit</option>"),
            "{form}"
        );
        let r = post_form(
            &c,
            "/admin/admin_product/new/",
            &[
                ("name", "kiwi"),
                ("price", "1"),
                ("added", "2026-02-01"),
                ("category_id", "9"),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        assert!(r.text().contains("Not a valid choice."), "{url}");
        assert!(
            !form.contains("name=\"id\""),
            "the numbered key is not in the form"
        );

        // Without the CSRF token: refused, nothing written.
        let r = c
            .post("/admin/admin_product/new/")
            .form(&[("name", "fig"), ("price", "1")])
            .send()
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{url}");
        assert!(r.text().contains("CSRF token"));

        // Wrong values: the form again, each error under its field.
        let r = post_form(
            &c,
            "/admin/admin_product/new/",
            &[("name", &"x".repeat(41)), ("price", "cheap")],
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        let page = r.text();
        assert!(
            page.contains("Field cannot be longer than 40 characters."),
            "{page}"
        );
        assert!(page.contains("Not a valid float value."), "{page}");
        assert!(
            page.contains("value=\"cheap\""),
            "the typed text is kept: {page}"
        );

        // A name that is taken: the field's error, not a 500.
        let r = post_form(
            &c,
            "/admin/admin_product/new/",
            &[("name", "apple"), ("price", "1"), ("added", "2026-02-01")],
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        assert!(r.text().contains("Already exists."), "{url}");

        let r = post_form(
            &c,
            "/admin/admin_product/new/",
            &[
                ("name", "fig"),
                ("price", "2.5"),
                ("in_stock", "y"),
                ("note", ""),
                ("added", "2026-02-01"),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::FOUND, "{url}: {}", r.text());
        assert_eq!(r.header("location"), Some("/admin/admin_product/"));
        let list = c
            .get("/admin/admin_product/?search=fig")
            .send()
            .await
            .text();
        assert!(list.contains("Record was successfully created."), "{list}");
        assert_eq!(names(&list), ["fig"]);
        let engine = c
            .app()
            .extension::<SQLAlchemy>()
            .unwrap()
            .engine()
            .unwrap()
            .clone();
        let fig = engine
            .select::<Product>()
            .filter(Product::name.eq("fig"))
            .one()
            .await
            .unwrap();
        assert_eq!((fig.price, fig.in_stock, fig.note), (2.5, true, None));
    }
}

#[tokio::test]
async fn edit_details_and_delete() {
    for url in backends() {
        let c = client(&url, "admin_edit", Admin::new("Store").view(products())).await;
        let engine = c
            .app()
            .extension::<SQLAlchemy>()
            .unwrap()
            .engine()
            .unwrap()
            .clone();
        let cherry = engine
            .select::<Product>()
            .filter(Product::name.eq("cherry"))
            .one()
            .await
            .unwrap();
        let edit = format!("/admin/admin_product/edit/?id={}", cherry.id);
        let form = c.get(&edit).send().await.text();
        assert!(form.contains("value=\"cherry\""), "{form}");
        assert!(
            form.contains("value=\"4\"") || form.contains("value=\"4.0\""),
            "{form}"
        );
        let r = post_form(
            &c,
            &edit,
            &[
                ("name", "cherry"),
                ("price", "4.25"),
                ("note", "sour"),
                ("added", "2026-01-03"),
                ("_continue_editing", "1"),
            ],
        )
        .await;
        assert_eq!(
            r.header("location"),
            Some(edit.as_str()),
            "{url}: {}",
            r.text()
        );
        let changed = engine.get::<Product>(cherry.id).await.unwrap().unwrap();
        // The unchecked box is false; the other columns as typed.
        assert_eq!(
            (changed.price, changed.in_stock, changed.note.as_deref()),
            (4.25, false, Some("sour"))
        );

        let details = c
            .get(&format!("/admin/admin_product/details/?id={}", cherry.id))
            .send()
            .await
            .text();
        assert!(
            details.contains("<th scope=\"row\">Note</th><td>sour</td>"),
            "{details}"
        );
        assert_eq!(
            c.get("/admin/admin_product/details/?id=9999")
                .send()
                .await
                .status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            c.get("/admin/admin_product/edit/?id=abc")
                .send()
                .await
                .status(),
            StatusCode::NOT_FOUND
        );

        // Delete needs the token too.
        let r = c
            .post("/admin/admin_product/delete/")
            .form(&[("id", cherry.id.to_string())])
            .send()
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let id = cherry.id.to_string();
        let r = post_form(
            &c,
            "/admin/admin_product/delete/",
            &[("id", &id), ("url", "https://evil.example/")],
        )
        .await;
        assert_eq!(
            r.header("location"),
            Some("/admin/admin_product/"),
            "no open redirect"
        );
        assert!(
            engine.get::<Product>(cherry.id).await.unwrap().is_none(),
            "{url}"
        );
        let list = c.get("/admin/admin_product/").send().await.text();
        assert!(list.contains("Record was successfully deleted."));
    }
}

#[tokio::test]
async fn access_checks_and_permissions() {
    for url in backends() {
        // The whole admin: refused unless the session says so.
        let admin = Admin::new("Store")
            .is_accessible(|ctx| {
                ctx.session()
                    .is_some_and(|s| s.get::<bool>("is_admin").unwrap_or(false))
            })
            .view(products());
        let c = client(&url, "admin_access", admin).await;
        for path in [
            "/admin/",
            "/admin/admin_product/",
            "/admin/admin_product/new/",
            "/admin/admin_product/details/?id=1",
        ] {
            assert_eq!(
                c.get(path).send().await.status(),
                StatusCode::FORBIDDEN,
                "{path}"
            );
        }
        c.session_transaction(|s| s.insert("is_admin", true)).await;
        assert_eq!(
            c.get("/admin/admin_product/").send().await.status(),
            StatusCode::OK
        );

        // A read-only view: no create, edit or delete.
        let view = products()
            .can_create(false)
            .can_edit(false)
            .can_delete(false);
        let c = client(&url, "admin_readonly", Admin::new("Store").view(view)).await;
        let list = c.get("/admin/admin_product/").send().await.text();
        assert!(
            !list.contains(">Create<") && !list.contains(">Edit<") && !list.contains(">Delete<"),
            "{list}"
        );
        assert_eq!(
            c.get("/admin/admin_product/new/").send().await.status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            c.get("/admin/admin_product/edit/?id=1")
                .send()
                .await
                .status(),
            StatusCode::FORBIDDEN
        );
        let r = post_form(&c, "/admin/admin_product/delete/", &[("id", "1")]).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
}

#[test]
fn options_naming_unknown_columns_stop_the_build() {
    let err = Flask::new("admin-tests")
        .configure(|c| c.set("SQLALCHEMY_DATABASE_URI", "sqlite://"))
        .extension(SQLAlchemy::new().model::<Product>())
        .extension(
            Admin::new("Store").view(ModelView::<Product>::new().column_searchable_list(&["nmae"])),
        )
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no column \"nmae\"") && err.contains("name, price"),
        "{err}"
    );
}

fn with_actions() -> ModelView<Product> {
    products()
        .page_size(10)
        .can_export(true)
        .export_types(&["csv", "json"])
        .action(
            "restock",
            "Restock",
            "Put the selected products back in stock?",
            |db, products| async move {
                let session = db.session();
                for mut product in products.clone() {
                    product.in_stock = true;
                    session.add(&mut product).await?;
                }
                session.commit().await?;
                Ok(format!("{} products were restocked.", products.len()))
            },
        )
}

#[tokio::test]
async fn bulk_actions_ask_first_then_act_on_every_row() {
    for url in backends() {
        let c = client(
            &url,
            "admin_actions",
            Admin::new("Store").view(with_actions()),
        )
        .await;
        let engine = c
            .app()
            .extension::<SQLAlchemy>()
            .unwrap()
            .engine()
            .unwrap()
            .clone();
        let list = c.get("/admin/admin_product/").send().await.text();
        assert!(
            list.contains(
                "<option value=\"delete\">Delete</option><option value=\"restock\">Restock</option>"
            ),
            "{list}"
        );
        assert!(
            list.contains("name=\"rowid\" value=\"3\" form=\"action-form\""),
            "{list}"
        );

        // Restock cherry (3) and elderberry (5): a confirmation page first, nothing changed.
        let picked = [("rowid", "3"), ("rowid", "5")];
        let mut fields = vec![
            ("action", "restock"),
            ("url", "/admin/admin_product/?sort=1"),
        ];
        fields.extend_from_slice(&picked);
        let r = post_form(&c, "/admin/admin_product/action/", &fields).await;
        assert_eq!(r.status(), StatusCode::OK, "{url}");
        let page = r.text();
        assert!(
            page.contains("Put the selected products back in stock?"),
            "{page}"
        );
        assert!(
            page.contains("<li>3: cherry</li>") && page.contains("<li>5: elderberry</li>"),
            "{page}"
        );
        assert!(!engine.get::<Product>(3).await.unwrap().unwrap().in_stock);
        fields.push(("confirm", "1"));
        let r = post_form(&c, "/admin/admin_product/action/", &fields).await;
        assert_eq!(
            r.header("location"),
            Some("/admin/admin_product/?sort=1"),
            "{url}"
        );
        assert!(
            engine.get::<Product>(3).await.unwrap().unwrap().in_stock,
            "{url}"
        );
        assert!(
            engine.get::<Product>(5).await.unwrap().unwrap().in_stock,
            "{url}"
        );
        let list = c.get("/admin/admin_product/?sort=1").send().await.text();
        assert!(list.contains("2 products were restocked."), "{list}");

        // Delete, confirmed: both rows go, in one transaction.
        let r = post_form(
            &c,
            "/admin/admin_product/action/",
            &[
                ("action", "delete"),
                ("rowid", "3"),
                ("rowid", "5"),
                ("confirm", "1"),
            ],
        )
        .await;
        assert_eq!(r.header("location"), Some("/admin/admin_product/"), "{url}");
        assert_eq!(
            engine.select::<Product>().count().await.unwrap(),
            3,
            "{url}"
        );
        let list = c.get("/admin/admin_product/").send().await.text();
        assert!(
            list.contains("2 records were successfully deleted."),
            "{list}"
        );

        // Nothing ticked; an unknown action; no token.
        let r = post_form(&c, "/admin/admin_product/action/", &[("action", "delete")]).await;
        assert_eq!(r.status(), StatusCode::FOUND);
        let list = c.get("/admin/admin_product/").send().await.text();
        assert!(
            list.contains("Please select at least one record."),
            "{list}"
        );
        let r = post_form(
            &c,
            "/admin/admin_product/action/",
            &[("action", "burn"), ("rowid", "1")],
        )
        .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let r = c
            .post("/admin/admin_product/action/")
            .form(&[("action", "delete"), ("rowid", "1"), ("confirm", "1")])
            .send()
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            engine.select::<Product>().count().await.unwrap(),
            3,
            "{url}"
        );
    }
}

#[tokio::test]
async fn exports_stream_the_filtered_sorted_list() {
    for url in backends() {
        let c = client(
            &url,
            "admin_export",
            Admin::new("Store").view(with_actions()),
        )
        .await;
        let list = c
            .get("/admin/admin_product/?flt_price_op=gt&flt_price=1")
            .send()
            .await
            .text();
        assert!(
            list.contains("<a href=\"/admin/admin_product/export/csv/?flt_price_op=gt&amp;flt_price=1\" download>CSV</a>"),
            "{list}"
        );
        let r = c
            .get("/admin/admin_product/export/csv/?flt_price_op=gt&flt_price=1&sort=2")
            .send()
            .await;
        assert_eq!(r.status(), StatusCode::OK, "{url}");
        assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
        let disposition = r.header("content-disposition").unwrap().to_owned();
        assert!(
            disposition.starts_with("attachment; filename=\"admin_product_")
                && disposition.ends_with(".csv\""),
            "{disposition}"
        );
        assert_eq!(
            r.text(),
            "Id,Name,Price,In Stock,Note,Added,Category Id\n\
             4,date,3,Yes,dried,2026-01-04,fruit\n\
             3,cherry,4,No,,2026-01-03,berries\n\
             5,elderberry,7.5,No,,2026-01-05,berries\n",
            "{url}"
        );
        let json: serde_json::Value = c
            .get("/admin/admin_product/export/json/?search=an")
            .send()
            .await
            .json();
        assert_eq!(
            json,
            serde_json::json!([{"id": 2, "name": "banana", "price": 0.25, "in_stock": true, "note": null, "added": "2026-01-02", "category_id": null}]),
            "{url}"
        );
    }
    // Many rows: several batches, every row once, in order.
    let c = client(
        "sqlite://",
        "admin_export_many",
        Admin::new("Store").view(with_actions().export_max_rows(1100)),
    )
    .await;
    let engine = c
        .app()
        .extension::<SQLAlchemy>()
        .unwrap()
        .engine()
        .unwrap()
        .clone();
    for i in 0..1200 {
        let mut p = Product {
            id: 0,
            name: format!("item {i:04}"),
            price: 1.0,
            in_stock: true,
            note: None,
            added: chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            category_id: None,
        };
        engine.insert(&mut p).await.unwrap();
    }
    let csv = c
        .get("/admin/admin_product/export/csv/")
        .send()
        .await
        .text();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 1100, "export_max_rows caps it");
    assert!(lines[1].starts_with("1,apple,"));
    let ids: Vec<u32> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "each row once, in order"
    );
    let json: Vec<serde_json::Value> = c
        .get("/admin/admin_product/export/json/")
        .send()
        .await
        .json();
    assert_eq!(json.len(), 1100);

    // Without can_export: no link, no route.
    let c = client(
        "sqlite://",
        "admin_no_export",
        Admin::new("Store").view(products()),
    )
    .await;
    assert!(
        !c.get("/admin/admin_product/")
            .send()
            .await
            .text()
            .contains("Export:")
    );
    assert_eq!(
        c.get("/admin/admin_product/export/csv/")
            .send()
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn permissions_by_role_per_view_and_action() {
    for url in backends() {
        let admin = Admin::new("Store")
            .permissions_by_role(
                flask_admin::Roles::new()
                    .grant(
                        "staff",
                        &["admin_product.view", "admin_product.action:restock"],
                    )
                    .grant("admin", &["*"]),
                |ctx| {
                    ctx.session()
                        .and_then(|s| s.get::<String>("role"))
                        .into_iter()
                        .collect()
                },
            )
            .view(with_actions())
            .view(ModelView::<Category>::new());
        let c = client(&url, "admin_roles", admin).await;
        // No role: nothing.
        let index = c.get("/admin/").send().await.text();
        assert!(
            !index.contains("Admin Product") && !index.contains("Admin Category"),
            "{index}"
        );
        assert_eq!(
            c.get("/admin/admin_product/").send().await.status(),
            StatusCode::FORBIDDEN
        );

        // Staff: the products' list and the restock action, nothing else.
        c.session_transaction(|s| s.insert("role", "staff")).await;
        let index = c.get("/admin/").send().await.text();
        assert!(
            index.contains("Admin Product") && !index.contains("Admin Category"),
            "{index}"
        );
        let list = c.get("/admin/admin_product/").send().await;
        assert_eq!(list.status(), StatusCode::OK);
        let list = list.text();
        assert!(
            list.contains("<option value=\"restock\">Restock</option>"),
            "{list}"
        );
        for hidden in ["value=\"delete\"", ">Create<", ">Edit<", "Export:"] {
            assert!(!list.contains(hidden), "{hidden}: {list}");
        }
        let r = c.get("/admin/admin_category/").send().await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(
            r.text()
                .contains("You do not have the permission to see the records in Admin Category.")
        );
        for path in [
            "/admin/admin_product/new/",
            "/admin/admin_product/edit/?id=1",
            "/admin/admin_product/export/csv/",
        ] {
            assert_eq!(
                c.get(path).send().await.status(),
                StatusCode::FORBIDDEN,
                "{path}"
            );
        }
        let r = post_form(&c, "/admin/admin_product/delete/", &[("id", "1")]).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = post_form(
            &c,
            "/admin/admin_product/action/",
            &[("action", "delete"), ("rowid", "1"), ("confirm", "1")],
        )
        .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = post_form(
            &c,
            "/admin/admin_product/action/",
            &[("action", "restock"), ("rowid", "3")],
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK, "the confirmation page");

        // Admin: everything.
        c.session_transaction(|s| s.insert("role", "admin")).await;
        let list = c.get("/admin/admin_product/").send().await.text();
        assert!(
            list.contains(">Create<")
                && list.contains("value=\"delete\"")
                && list.contains("Export:")
        );
        assert_eq!(
            c.get("/admin/admin_category/").send().await.status(),
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn the_audit_log_says_who_changed_what() {
    for url in backends() {
        let url = own_database(&url, "admin_audit").await;
        let c = Flask::new("admin-tests")
            .configure(move |c| {
                c.set("SQLALCHEMY_DATABASE_URI", url.as_str());
                c.set("SECRET_KEY", "admin-tests");
            })
            .extension(
                SQLAlchemy::new()
                    .model::<Category>()
                    .model::<Product>()
                    .model::<Tag>()
                    .model::<ProductTag>()
                    .model::<flask_admin::AdminLogEntry>(),
            )
            .extension(
                Admin::new("Store")
                    .audit_log(|ctx| ctx.session().and_then(|s| s.get::<String>("name")))
                    .view(with_actions()),
            )
            .test_client();
        c.app().startup().await.unwrap();
        let engine = c
            .app()
            .extension::<SQLAlchemy>()
            .unwrap()
            .engine()
            .unwrap()
            .clone();
        let models = flask_sqlalchemy::MetaData::new()
            .register::<Category>()
            .register::<Product>()
            .register::<Tag>()
            .register::<ProductTag>()
            .register::<flask_admin::AdminLogEntry>();
        engine.drop_all(&models).await.unwrap();
        engine.create_all(&models).await.unwrap();
        c.session_transaction(|s| s.insert("name", "ada")).await;

        let r = post_form(
            &c,
            "/admin/admin_product/new/",
            &[("name", "fig"), ("price", "2"), ("added", "2026-02-01")],
        )
        .await;
        assert_eq!(r.status(), StatusCode::FOUND, "{}", r.text());
        let r = post_form(
            &c,
            "/admin/admin_product/edit/?id=1",
            &[
                ("name", "fig"),
                ("price", "2.5"),
                ("added", "2026-02-01"),
                ("in_stock", "y"),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::FOUND, "{}", r.text());
        let r = post_form(
            &c,
            "/admin/admin_product/action/",
            &[("action", "delete"), ("rowid", "1"), ("confirm", "1")],
        )
        .await;
        assert_eq!(r.status(), StatusCode::FOUND);

        let log = engine
            .select::<flask_admin::AdminLogEntry>()
            .order_by(flask_admin::AdminLogEntry::id.asc())
            .all()
            .await
            .unwrap();
        let summary: Vec<(&str, &str, &str, Option<&str>)> = log
            .iter()
            .map(|e| {
                (
                    e.action.as_str(),
                    e.view.as_str(),
                    e.object_id.as_str(),
                    e.user.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("create", "admin_product", "1", Some("ada")),
                ("edit", "admin_product", "1", Some("ada")),
                ("delete", "admin_product", "1", Some("ada")),
            ]
        );
        assert_eq!(log[0].changes.as_ref().unwrap()["name"], "fig");
        assert_eq!(
            log[1].changes,
            Some(serde_json::json!({"price": [2.0, 2.5], "in_stock": [false, true]}))
        );
        // The admin lists the log, newest first, read-only.
        let page = c.get("/admin/admin_log/").send().await.text();
        assert!(page.contains("Audit log"), "{page}");
        let first_delete = page.find("<td>delete</td>").unwrap();
        let first_create = page.find("<td>create</td>").unwrap();
        assert!(first_delete < first_create, "newest first: {page}");
        assert!(!page.contains(">Create<") && !page.contains(">Edit<"));
    }
}

#[tokio::test]
async fn the_audit_log_needs_its_table() {
    let c = Flask::new("admin-tests")
        .configure(|c| {
            c.set("SQLALCHEMY_DATABASE_URI", "sqlite://");
            c.set("SECRET_KEY", "admin-tests");
        })
        .extension(SQLAlchemy::new().model::<Category>().model::<Product>())
        .extension(Admin::new("Store").audit_log(|_| None).view(products()))
        .test_client();
    let err = c.app().startup().await.unwrap_err().to_string();
    assert!(
        err.contains(".model::<flask_admin::AdminLogEntry>()"),
        "{err}"
    );
}

#[tokio::test]
async fn the_dashboard_counts_and_charts() {
    for url in backends() {
        let admin = Admin::new("Store")
            .dashboard(
                flask_admin::Dashboard::new()
                    .count::<Product>("Products")
                    .count_where::<Product>("In stock", Product::in_stock.eq(true))
                    .per_day::<Product>("Added per day", "added", 7)
                    .sum_per_day::<Product>("Value added", "added", "price", 7),
            )
            .view(products());
        let c = client(&url, "admin_dashboard", admin).await;
        let engine = c
            .app()
            .extension::<SQLAlchemy>()
            .unwrap()
            .engine()
            .unwrap()
            .clone();
        let today = chrono::Utc::now().date_naive();
        for (name, ago, price) in [("new 1", 0, 2.0), ("new 2", 0, 1.5), ("new 3", 2, 4.0)] {
            let mut p = Product {
                id: 0,
                name: name.into(),
                price,
                in_stock: false,
                note: None,
                added: today - chrono::Duration::days(ago),
                category_id: None,
            };
            engine.insert(&mut p).await.unwrap();
        }
        let page = c.get("/admin/").send().await.text();
        assert!(
            page.contains("<figcaption>Products</figcaption>\n    <p class=\"count\">8</p>"),
            "{url}: {page}"
        );
        assert!(
            page.contains("<figcaption>In stock</figcaption>\n    <p class=\"count\">3</p>"),
            "{url}: {page}"
        );
        // 7 days, one bar each; the data table says what the bars show.
        assert!(
            page.contains("aria-label=\"Added per day: 7 days, at most 2\""),
            "{url}: {page}"
        );
        assert_eq!(page.matches("<rect").count(), 14, "{url}");
        assert!(
            page.contains(&format!("<tr><td>{today}</td><td>2</td></tr>")),
            "{url}: {page}"
        );
        assert!(
            page.contains(&format!("<tr><td>{today}</td><td>3.50</td></tr>")),
            "{url}: {page}"
        );
        assert!(
            page.contains("<p class=\"total\">7.50 <span>in 7 days, at most 4 a day</span></p>"),
            "{url}: {page}"
        );
    }
}

async fn report(ctx: flask::RequestContext) -> Result<flask::Html<String>, flask::Error> {
    flask_admin::render(&ctx, "reports.html", flask::context! { total => 42 })
}

#[tokio::test]
async fn pages_of_the_apps_own_get_the_menu_and_the_checks() {
    let c = Flask::new("admin-tests")
        .configure(|c| {
            c.set("SQLALCHEMY_DATABASE_URI", "sqlite://");
            c.set("SECRET_KEY", "admin-tests");
        })
        .template_source(
            "reports.html",
            "{% extends 'admin/base.html' %}{% block body %}<h1>Reports</h1><p>total {{ total }}</p>{% endblock %}",
        )
        .extension(SQLAlchemy::new().model::<Category>().model::<Product>())
        .extension(
            Admin::new("Store")
                .permissions(|ctx, endpoint, _| {
                    endpoint != "sales_report"
                        || ctx.session().is_some_and(|s| s.get::<bool>("boss").unwrap_or(false))
                })
                .view(products())
                .page(
                    flask_admin::BaseView::new("Sales report")
                        .category("Sales")
                        .expose("/", flask::routing::get(report)),
                ),
        )
        .test_client();
    // Without the permission: not in the menu, and a 403.
    let index = c.get("/admin/").send().await.text();
    assert!(!index.contains("Sales report"), "{index}");
    assert_eq!(
        c.get("/admin/sales_report/").send().await.status(),
        StatusCode::FORBIDDEN
    );
    c.session_transaction(|s| s.insert("boss", true)).await;
    let index = c.get("/admin/").send().await.text();
    assert!(
        index.contains("<a href=\"/admin/sales_report/\">Sales report</a>"),
        "{index}"
    );
    let page = c.get("/admin/sales_report/").send().await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text();
    // The admin's layout and menu, the page's own content.
    assert!(
        page.contains("<a class=\"brand\" href=\"/admin/\">Store</a>"),
        "{page}"
    );
    assert!(page.contains("<h1>Reports</h1><p>total 42</p>"), "{page}");
    assert!(
        page.contains("<li class=\"category active\">"),
        "the page's category is open: {page}"
    );
}

#[tokio::test]
async fn inline_edits_change_one_column_from_the_list() {
    for url in backends() {
        let view = products().column_editable_list(&["price", "in_stock"]);
        let c = client(&url, "admin_inline", Admin::new("Store").view(view)).await;
        let engine = c
            .app()
            .extension::<SQLAlchemy>()
            .unwrap()
            .engine()
            .unwrap()
            .clone();
        let list = c.get("/admin/admin_product/").send().await.text();
        assert!(
            list.contains("<input type=\"hidden\" name=\"column\" value=\"price\">"),
            "{list}"
        );
        assert!(
            list.contains("aria-label=\"In Stock of record 1\""),
            "{list}"
        );
        let send = |fields: Vec<(&'static str, String)>| {
            let c = c.clone();
            async move {
                let token = c.csrf_token().await;
                let mut all = vec![("csrf_token", token)];
                all.extend(fields);
                c.post("/admin/admin_product/inline/")
                    .form(&all)
                    .send()
                    .await
            }
        };
        let r = send(vec![
            ("id", "3".into()),
            ("column", "price".into()),
            ("value", "9.5".into()),
            ("url", "/admin/admin_product/?page=1".into()),
        ])
        .await;
        assert_eq!(
            r.header("location"),
            Some("/admin/admin_product/?page=1"),
            "{url}"
        );
        assert_eq!(
            engine.get::<Product>(3).await.unwrap().unwrap().price,
            9.5,
            "{url}"
        );
        // An unticked box sends no value: false.
        send(vec![("id", "1".into()), ("column", "in_stock".into())]).await;
        assert!(
            !engine.get::<Product>(1).await.unwrap().unwrap().in_stock,
            "{url}"
        );
        // A wrong value is flashed and changes nothing.
        send(vec![
            ("id", "3".into()),
            ("column", "price".into()),
            ("value", "cheap".into()),
        ])
        .await;
        let list = c.get("/admin/admin_product/").send().await.text();
        assert!(
            list.contains("Price: Not a valid float value."),
            "{url}: {list}"
        );
        assert_eq!(engine.get::<Product>(3).await.unwrap().unwrap().price, 9.5);
        // Only the listed columns, and only with the token.
        let r = send(vec![
            ("id", "3".into()),
            ("column", "name".into()),
            ("value", "x".into()),
        ])
        .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let r = c
            .post("/admin/admin_product/inline/")
            .form(&[("id", "3"), ("column", "price"), ("value", "1")])
            .send()
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            engine.get::<Product>(3).await.unwrap().unwrap().price,
            9.5,
            "{url}"
        );
    }
}

/// The href of the pager's link `rel`, unescaped.
fn pager_link(page: &str, rel: &str) -> Option<String> {
    let at = page.find(&format!("<a rel=\"{rel}\" href=\""))? + rel.len() + 16;
    Some(page[at..at + page[at..].find('"')?].replace("&amp;", "&"))
}

#[tokio::test]
async fn keyset_pages_step_from_the_last_row() {
    for url in backends() {
        let view = products().keyset_pages(true);
        let c = client(&url, "admin_keyset", Admin::new("Store").view(view)).await;
        let walk = |start: &'static str| {
            let c = c.clone();
            async move {
                let mut seen = Vec::new();
                let mut next = Some(start.to_owned());
                while let Some(path) = next {
                    let page = c.get(&path).send().await.text();
                    assert!(!page.contains(" of "), "no page count: {page}");
                    seen.push(names(&page));
                    next = pager_link(&page, "next");
                }
                seen
            }
        };
        // By key, then by price (largest first), filtered: every row once, in order.
        assert_eq!(
            walk("/admin/admin_product/").await,
            [
                vec!["apple", "banana"],
                vec!["cherry", "date"],
                vec!["elderberry"]
            ],
            "{url}"
        );
        assert_eq!(
            walk("/admin/admin_product/?sort=2&desc=1").await,
            [
                vec!["elderberry", "cherry"],
                vec!["date", "apple"],
                vec!["banana"]
            ],
            "{url}"
        );
        assert_eq!(
            walk("/admin/admin_product/?flt_in_stock_op=equals&flt_in_stock=1&sort=1").await,
            [vec!["apple", "banana"], vec!["date"]],
            "{url}"
        );
        // Back from the last page.
        let last = c
            .get("/admin/admin_product/?sort=2&desc=1")
            .send()
            .await
            .text();
        let second = c
            .get(&pager_link(&last, "next").unwrap())
            .send()
            .await
            .text();
        let third = c
            .get(&pager_link(&second, "next").unwrap())
            .send()
            .await
            .text();
        let back = c
            .get(&pager_link(&third, "prev").unwrap())
            .send()
            .await
            .text();
        assert_eq!(names(&back), ["date", "apple"], "{url}");
        assert!(pager_link(&back, "prev").is_some() && pager_link(&back, "next").is_some());
        // A column that may be NULL: numbered pages.
        let by_note = c.get("/admin/admin_product/?sort=4").send().await.text();
        assert!(
            by_note.contains("5 records, page 1 of 3"),
            "{url}: {by_note}"
        );
    }
}

#[tokio::test]
async fn form_options_and_template_overrides() {
    for url in backends() {
        let view = products()
            .column_descriptions(&[("price", "Per unit, in euros")])
            .form_overrides(&[("name", "textarea")])
            .form_choices("note", &[("dried", "Dried"), ("fresh", "Fresh")])
            .list_template("shop/products.html");
        let url = own_database(&url, "admin_options").await;
        let c = Flask::new("admin-tests")
            .configure(move |c| {
                c.set("SQLALCHEMY_DATABASE_URI", url.as_str());
                c.set("SECRET_KEY", "admin-tests");
            })
            .template_source(
                "shop/products.html",
                "{% extends 'admin/list.html' %}{% block title %}Our products{% endblock %}",
            )
            .extension(SQLAlchemy::new().model::<Category>().model::<Product>())
            .extension(Admin::new("Store").view(view))
            .test_client();
        c.app().startup().await.unwrap();
        let ext = c.app().extension::<SQLAlchemy>().unwrap();
        let engine = ext.engine().unwrap();
        engine.drop_all(ext.metadata()).await.unwrap();
        engine.create_all(ext.metadata()).await.unwrap();

        let form = c.get("/admin/admin_product/new/").send().await.text();
        assert!(
            form.contains("<p class=\"description\">Per unit, in euros</p>"),
            "{form}"
        );
        assert!(
            form.contains("<textarea id=\"name\" name=\"name\""),
            "{form}"
        );
        assert!(
            form.contains("<option value=\"\" selected></option><option value=\"dried\">Dried</option><option value=\"fresh\">Fresh</option>"),
            "{form}"
        );
        let r = post_form(
            &c,
            "/admin/admin_product/new/",
            &[
                ("name", "fig"),
                ("price", "1"),
                ("added", "2026-02-01"),
                ("note", "rotten"),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("Not a valid choice."));
        let r = post_form(
            &c,
            "/admin/admin_product/new/",
            &[
                ("name", "fig"),
                ("price", "1"),
                ("added", "2026-02-01"),
                ("note", "dried"),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::FOUND, "{}", r.text());
        let list = c.get("/admin/admin_product/").send().await.text();
        assert!(list.contains("<title>Our products</title>"), "{list}");
        assert!(list.contains("title=\"Per unit, in euros\""), "{list}");

        let err = Flask::new("admin-tests")
            .configure(|c| c.set("SQLALCHEMY_DATABASE_URI", "sqlite://"))
            .extension(SQLAlchemy::new().model::<Category>().model::<Product>())
            .extension(Admin::new("Store").view(products().form_overrides(&[("name", "wysiwyg")])))
            .build()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"wysiwyg\", which is none of text, textarea"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn many_to_many_relationships_are_multiple_selects() {
    for url in backends() {
        let c = client(&url, "admin_m2m", Admin::new("Store").view(products())).await;
        let engine = c
            .app()
            .extension::<SQLAlchemy>()
            .unwrap()
            .engine()
            .unwrap()
            .clone();
        let links = |product: i64| {
            let engine = engine.clone();
            async move {
                let mut tags: Vec<i64> = engine
                    .select::<ProductTag>()
                    .filter(ProductTag::product_id.eq(product))
                    .all()
                    .await
                    .unwrap()
                    .iter()
                    .map(|l| l.tag_id)
                    .collect();
                tags.sort_unstable();
                tags
            }
        };
        let form = c.get("/admin/admin_product/new/").send().await.text();
        assert!(
            form.contains("<select id=\"tags\" name=\"tags\" multiple size=\"3\">"),
            "{form}"
        );
        assert!(form.contains("<option value=\"2\">local</option><option value=\"1\">organic</option><option value=\"3\">sale</option>"), "{form}");
        let r = post_form(
            &c,
            "/admin/admin_product/new/",
            &[
                ("name", "fig"),
                ("price", "2"),
                ("added", "2026-02-01"),
                ("tags", "1"),
                ("tags", "3"),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::FOUND, "{url}: {}", r.text());
        let fig = engine
            .select::<Product>()
            .filter(Product::name.eq("fig"))
            .one()
            .await
            .unwrap();
        assert_eq!(links(fig.id).await, [1, 3], "{url}");

        let edit = format!("/admin/admin_product/edit/?id={}", fig.id);
        let form = c.get(&edit).send().await.text();
        assert!(
            form.contains("<option value=\"1\" selected>organic</option>"),
            "{form}"
        );
        assert!(
            form.contains("<option value=\"2\">local</option>"),
            "{form}"
        );
        let r = post_form(
            &c,
            &edit,
            &[
                ("name", "fig"),
                ("price", "2"),
                ("added", "2026-02-01"),
                ("tags", "2"),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::FOUND, "{url}: {}", r.text());
        assert_eq!(links(fig.id).await, [2], "{url}");
        // A key not offered: the field's error, and the links as they were.
        let r = post_form(
            &c,
            &edit,
            &[
                ("name", "fig"),
                ("price", "2"),
                ("added", "2026-02-01"),
                ("tags", "99"),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        assert!(r.text().contains("Not a valid choice."));
        assert_eq!(links(fig.id).await, [2], "{url}");
        let details = c
            .get(&format!("/admin/admin_product/details/?id={}", fig.id))
            .send()
            .await
            .text();
        assert!(
            details.contains("<th scope=\"row\">Tags</th><td>local</td>"),
            "{url}: {details}"
        );
        // Excluded by the relationship's name: not in the form.
        let c = client(
            &url,
            "admin_m2m",
            Admin::new("Store").view(products().form_excluded_columns(&["tags"])),
        )
        .await;
        assert!(
            !c.get("/admin/admin_product/new/")
                .send()
                .await
                .text()
                .contains("name=\"tags\"")
        );
    }
}

#[tokio::test]
async fn formatters_and_read_only_columns() {
    for url in backends() {
        let view = products()
            .form_readonly_columns(&["name"])
            .column_formatter("price", |p: &Product| format!("€{:.2}", p.price));
        let c = client(&url, "admin_readonly_cols", Admin::new("Store").view(view)).await;
        let engine = c
            .app()
            .extension::<SQLAlchemy>()
            .unwrap()
            .engine()
            .unwrap()
            .clone();
        let list = c.get("/admin/admin_product/").send().await.text();
        assert!(list.contains("<td>€0.50</td>"), "{list}");
        let details = c
            .get("/admin/admin_product/details/?id=3")
            .send()
            .await
            .text();
        assert!(
            details.contains("<th scope=\"row\">Price</th><td>€4.00</td>"),
            "{details}"
        );

        let create = c.get("/admin/admin_product/new/").send().await.text();
        assert!(!create.contains("name=\"name\""), "{create}");
        let edit = c.get("/admin/admin_product/edit/?id=3").send().await.text();
        assert!(
            edit.contains("name=\"name\" value=\"cherry\" readonly"),
            "{edit}"
        );
        let r = post_form(
            &c,
            "/admin/admin_product/edit/?id=3",
            &[
                ("name", "hacked"),
                ("price", "4.5"),
                ("added", "2026-01-03"),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::FOUND, "{}", r.text());
        let cherry = engine.get::<Product>(3).await.unwrap().unwrap();
        assert_eq!((cherry.name.as_str(), cherry.price), ("cherry", 4.5));
        // Shown again with an error, the read-only column keeps its stored value.
        let r = post_form(
            &c,
            "/admin/admin_product/edit/?id=3",
            &[("name", "hacked"), ("price", "x"), ("added", "2026-01-03")],
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("name=\"name\" value=\"cherry\" readonly"));
    }
}
