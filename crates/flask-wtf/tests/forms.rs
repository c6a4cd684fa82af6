//! Typed forms through the test client: every field kind parsed, re-rendered and given its
//! HTML5 attributes; every validator and its WTForms message; custom and async checks;
//! CSRF inside forms; JSON bodies; `with_obj` and `populate_obj`.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use flask::routing::get;
use flask::{
    Error, Flask, Html, IntoResponse, Response, render_template_string, testing::TestClient,
};
use flask_wtf::{CsrfProtect, FieldRef, FlaskForm, Form};
use serde::{Deserialize, Serialize};

#[derive(Debug, Form, Serialize, Deserialize)]
#[form(csrf = false)]
struct Everything {
    #[form(
        label = "Your name",
        validate(data_required, length(min = 2, max = 20))
    )]
    name: String,
    #[form(kind = "textarea", validate(length(max = 200)))]
    bio: String,
    #[form(kind = "password")]
    password: String,
    #[form(kind = "hidden")]
    next: String,
    #[form(kind = "email")]
    email: String,
    #[form(kind = "url")]
    homepage: String,
    #[form(kind = "search")]
    query: String,
    #[form(kind = "tel", render_kw(placeholder = "+33 ..."))]
    phone: String,
    #[form(validate(optional, number_range(min = 13, max = 130)))]
    age: Option<i64>,
    #[form(kind = "decimal")]
    price: Option<String>,
    ratio: Option<f64>,
    newsletter: bool,
    #[form(kind = "select", choices = [("en", "English"), ("fr", "Français")])]
    language: String,
    #[form(kind = "select_multiple", choices = [("a", "Apples"), ("b", "Bananas"), ("c", "Cherries")])]
    fruits: Vec<String>,
    #[form(kind = "radio", choices = [("s", "Small"), ("l", "Large")])]
    size: String,
    birthday: Option<NaiveDate>,
    meeting: Option<NaiveDateTime>,
    alarm: Option<NaiveTime>,
    #[form(label = "Sign up")]
    #[form(kind = "submit")]
    submit: bool,
}

async fn everything(mut form: FlaskForm<Everything>) -> Result<Response, Error> {
    if form.validate_on_submit() {
        let data = form.into_data().unwrap();
        return Ok(format!("{data:?}").into_response());
    }
    Ok(render_template_string(
        "{% for field in form %}{{ field.label }} {{ field() }} {{ field.errors|join('|') }}\n{% endfor %}",
        flask::context! { form => form },
    )?
    .into_response())
}

fn client_for<H, T>(handler: H) -> TestClient
where
    H: axum::handler::Handler<T, ()> + Clone,
    T: 'static,
{
    Flask::new("forms-tests")
        .configure(|c| c.set("SECRET_KEY", "test secret"))
        .route("/", get(handler.clone()).post(handler))
        .test_client()
}

const VALID: [(&str, &str); 19] = [
    ("name", "Ada"),
    ("bio", "Mathematician"),
    ("password", "s3cret"),
    ("next", "/home"),
    ("email", "ada@example.com"),
    ("homepage", "https://ada.example.com"),
    ("query", "engines"),
    ("phone", "+44 1234"),
    ("age", "36"),
    ("price", "12.50"),
    ("ratio", "0.5"),
    ("newsletter", "y"),
    ("language", "fr"),
    ("fruits", "a"),
    ("fruits", "c"),
    ("size", "l"),
    ("birthday", "1815-12-10"),
    ("meeting", "1843-07-01T10:30"),
    ("alarm", "07:15"),
];

#[tokio::test]
async fn every_kind_renders_with_its_html5_attributes() {
    let client = client_for(everything);
    let page = client.get("/").send().await.text();
    for expected in [
        r#"<label for="name">Your name</label> <input id="name" maxlength="20" minlength="2" name="name" required type="text" value="">"#,
        "<textarea id=\"bio\" maxlength=\"200\" name=\"bio\">\r\n</textarea>",
        r#"<input id="password" name="password" type="password" value="">"#,
        r#"<input id="next" name="next" type="hidden" value="">"#,
        r#"<input id="email" name="email" type="email" value="">"#,
        r#"<input id="homepage" name="homepage" type="url" value="">"#,
        r#"<input id="query" name="query" type="search" value="">"#,
        r#"<input id="phone" name="phone" placeholder="+33 ..." type="tel" value="">"#,
        r#"<input id="age" max="130" min="13" name="age" type="number" value="">"#,
        r#"<input id="price" name="price" step="any" type="number" value="">"#,
        r#"<input id="ratio" name="ratio" step="any" type="number" value="">"#,
        r#"<input id="newsletter" name="newsletter" type="checkbox" value="y">"#,
        r#"<select id="language" name="language"><option value="en">English</option><option value="fr">Français</option></select>"#,
        r#"<select id="fruits" multiple name="fruits"><option value="a">Apples</option>"#,
        r#"<ul id="size"><li><input id="size-0" name="size" type="radio" value="s"> <label for="size-0">Small</label></li>"#,
        r#"<input id="birthday" name="birthday" type="date" value="">"#,
        r#"<input id="meeting" name="meeting" type="datetime-local" value="">"#,
        r#"<input id="alarm" name="alarm" type="time" value="">"#,
        r#"<label for="submit">Sign up</label> <input id="submit" name="submit" type="submit" value="Sign up">"#,
        r#"<label for="fruits">Fruits</label>"#,
    ] {
        assert!(page.contains(expected), "missing {expected}\nin {page}");
    }
}

#[tokio::test]
async fn a_valid_submission_gives_the_typed_data() {
    let client = client_for(everything);
    let text = client.post("/").form(&VALID).send().await.text();
    for expected in [
        "name: \"Ada\"",
        "age: Some(36)",
        "price: Some(\"12.50\")",
        "ratio: Some(0.5)",
        "newsletter: true",
        "language: \"fr\"",
        "fruits: [\"a\", \"c\"]",
        "size: \"l\"",
        "birthday: Some(1815-12-10)",
        "meeting: Some(1843-07-01T10:30:00)",
        "alarm: Some(07:15:00)",
        "submit: false",
    ] {
        assert!(text.contains(expected), "{expected} not in {text}");
    }
}

#[tokio::test]
async fn a_failed_submission_keeps_what_was_typed_and_shows_the_errors() {
    let client = client_for(everything);
    let mut bad: Vec<(&str, &str)> = VALID.to_vec();
    for (k, v) in &mut bad {
        match *k {
            "age" => *v = "twelve",
            "ratio" => *v = "half",
            "price" => *v = "1,5",
            "language" => *v = "de",
            "birthday" => *v = "10/12/1815",
            "meeting" => *v = "soon",
            "alarm" => *v = "25:99",
            "name" => *v = "<b>\"A\"</b>",
            _ => {}
        }
    }
    bad.push(("fruits", "z"));
    let page = client.post("/").form(&bad).send().await.text();
    for expected in [
        // Optional clears the conversion error of an empty input only: this one was typed.
        "Not a valid integer value.",
        "Not a valid float value.",
        "Not a valid decimal value.",
        "Not a valid choice.",
        "&#39;z&#39; is not a valid choice for this field.",
        "Not a valid date value.",
        "Not a valid datetime value.",
        "Not a valid time value.",
        // What was typed comes back, escaped.
        r#"value="twelve""#,
        r#"value="&lt;b&gt;&#34;A&#34;&lt;/b&gt;""#,
        r#"<input checked id="newsletter" name="newsletter" type="checkbox" value="y">"#,
        r#"<option selected value="a">Apples</option>"#,
        r#"<input checked id="size-1" name="size" type="radio" value="l">"#,
        // A password is never sent back.
        r#"<input id="password" name="password" type="password" value="">"#,
    ] {
        assert!(page.contains(expected), "missing {expected}\nin {page}");
    }
}

#[derive(Debug, Form, Serialize, Deserialize)]
#[form(csrf = false)]
struct Checks {
    #[form(validate(data_required))]
    data: String,
    #[form(validate(input_required(message = "Type something.")))]
    input: String,
    #[form(validate(length(min = 3)))]
    at_least: String,
    #[form(validate(length(max = 1)))]
    at_most: String,
    #[form(validate(length(min = 2, max = 2)))]
    exactly: String,
    #[form(validate(length(min = 2, max = 4)))]
    between: String,
    #[form(validate(number_range(min = 1)))]
    low: Option<i64>,
    #[form(validate(number_range(max = 2.5)))]
    high: Option<f64>,
    #[form(validate(number_range(min = 1, max = 5)))]
    range: Option<i64>,
    #[form(kind = "password")]
    password: String,
    #[form(kind = "password", validate(equal_to = "password"))]
    confirm: String,
    #[form(validate(email))]
    email: String,
    #[form(validate(url))]
    url: String,
    #[form(validate(regexp = "[a-z]+"))]
    lower: String,
    #[form(validate(any_of = ["red", "green"]))]
    color: String,
    #[form(validate(none_of = ["root", "admin"]))]
    username: String,
    #[form(validate(uuid))]
    token: String,
    #[form(validate(ip_address))]
    ip: String,
    #[form(validate(ip_address(ipv4 = false, ipv6 = true)))]
    ip6: String,
    #[form(validate(custom = not_bob))]
    nickname: String,
}

fn not_bob(field: &FieldRef<'_>) -> Result<(), String> {
    if field.as_str() == Some("bob") {
        Err(format!("{} cannot be bob.", field.label()))
    } else {
        Ok(())
    }
}

async fn checks(mut form: FlaskForm<Checks>) -> flask::Json<BTreeMap<String, Vec<String>>> {
    form.validate_on_submit();
    flask::Json(form.errors())
}

#[tokio::test]
async fn every_validator_with_its_wtforms_message() {
    let client = client_for(checks);
    let errors: BTreeMap<String, Vec<String>> = client
        .post("/")
        .form(&[
            ("data", "   "),
            ("at_least", "ab"),
            ("at_most", "ab"),
            ("exactly", "abc"),
            ("between", "a"),
            ("low", "0"),
            ("high", "3"),
            ("range", "9"),
            ("password", "one"),
            ("confirm", "two"),
            ("email", "not an email"),
            ("url", "example"),
            ("lower", "ABC"),
            ("color", "blue"),
            ("username", "root"),
            ("token", "1234"),
            ("ip", "::1"),
            ("ip6", "127.0.0.1"),
            ("nickname", "bob"),
        ])
        .send()
        .await
        .json();
    let expect = |field: &str, message: &str| {
        assert_eq!(
            errors.get(field).map(Vec::as_slice),
            Some([message.to_owned()].as_slice()),
            "{field}: {errors:?}"
        );
    };
    expect("data", "This field is required.");
    expect("input", "Type something.");
    expect("at_least", "Field must be at least 3 characters long.");
    expect("at_most", "Field cannot be longer than 1 character.");
    expect("exactly", "Field must be exactly 2 characters long.");
    expect("between", "Field must be between 2 and 4 characters long.");
    expect("low", "Number must be at least 1.");
    expect("high", "Number must be at most 2.5.");
    expect("range", "Number must be between 1 and 5.");
    expect("confirm", "Field must be equal to password.");
    expect("email", "Invalid email address.");
    expect("url", "Invalid URL.");
    expect("lower", "Invalid input.");
    expect("color", "Invalid value, must be one of: red, green.");
    expect("username", "Invalid value, can't be any of: root, admin.");
    expect("token", "Invalid UUID.");
    expect("ip", "Invalid IP address.");
    expect("ip6", "Invalid IP address.");
    expect("nickname", "Nickname cannot be bob.");
    assert_eq!(errors.len(), 19, "{errors:?}");

    // And the same fields, right.
    let errors: BTreeMap<String, Vec<String>> = client
        .post("/")
        .form(&[
            ("data", "x"),
            ("input", "x"),
            ("at_least", "abc"),
            ("at_most", "a"),
            ("exactly", "ab"),
            ("between", "abc"),
            ("low", "1"),
            ("high", "2.5"),
            ("range", "5"),
            ("password", "same"),
            ("confirm", "same"),
            ("email", "ada@example.com"),
            ("url", "https://example.com/x"),
            ("lower", "abc"),
            ("color", "red"),
            ("username", "ada"),
            ("token", "67e55044-10b1-426f-9247-bb680e5fe0c8"),
            ("ip", "10.0.0.1"),
            ("ip6", "::1"),
            ("nickname", "ada"),
        ])
        .send()
        .await
        .json();
    assert!(errors.is_empty(), "{errors:?}");
}

#[derive(Debug, Form, Serialize, Deserialize)]
#[form(csrf = false)]
struct Signup {
    #[form(validate(data_required))]
    username: String,
}

#[tokio::test]
async fn async_whole_form_checks_and_get_requests() {
    #[flask::view]
    async fn signup(mut form: FlaskForm<Signup>) -> String {
        let ok = form
            .validate_on_submit_with(async |data, errors| {
                tokio::task::yield_now().await;
                if data.username == "taken" {
                    errors.add("username", "That name is taken.");
                    errors.add_form_error("Try another name.");
                }
            })
            .await;
        format!("{ok} {:?}", form.errors())
    }
    let client = client_for(signup);
    assert_eq!(client.get("/").send().await.text(), "false {}");
    assert_eq!(
        client
            .post("/")
            .form(&[("username", "taken")])
            .send()
            .await
            .text(),
        r#"false {"": ["Try another name."], "username": ["That name is taken."]}"#
    );
    assert_eq!(
        client
            .post("/")
            .form(&[("username", "free")])
            .send()
            .await
            .text(),
        "true {}"
    );
}

#[tokio::test]
async fn json_bodies_bind_too() {
    let client = client_for(everything);
    let body = serde_json::json!({
        "name": "Ada", "bio": "", "password": "x", "next": "", "email": "", "homepage": "",
        "query": "", "phone": "", "age": 36, "newsletter": true, "language": "en",
        "fruits": ["b"], "size": "s", "birthday": "1815-12-10"
    });
    let text = client.post("/").json(&body).send().await.text();
    assert!(
        text.contains("age: Some(36)") && text.contains("fruits: [\"b\"]"),
        "{text}"
    );
    assert!(text.contains("newsletter: true"), "{text}");
    let resp = client
        .post("/")
        .body("x")
        .header("content-type", "text/plain")
        .send()
        .await;
    assert_eq!(resp.status(), 415);
    let resp = client.post("/").json(&serde_json::json!([1])).send().await;
    assert_eq!(resp.status(), 400);
}

#[derive(Debug, Clone, Form, Serialize, Deserialize)]
struct Post {
    #[form(validate(data_required))]
    title: String,
    #[form(kind = "textarea")]
    body: String,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct PostRow {
    id: i64,
    title: String,
    body: String,
    author: String,
}

#[tokio::test]
async fn with_obj_fills_an_edit_form_and_populate_obj_writes_back() {
    #[flask::view]
    async fn edit(form: FlaskForm<Post>) -> Result<Response, Error> {
        let mut row = PostRow {
            id: 7,
            title: "Old".into(),
            body: "Text".into(),
            author: "ada".into(),
        };
        let mut form = form.with_obj(&Post {
            title: row.title.clone(),
            body: row.body.clone(),
        });
        if form.validate_on_submit() {
            form.populate_obj(&mut row)?;
            return Ok(format!("{row:?}").into_response());
        }
        Ok(render_template_string(
            "{{ form.hidden_tag() }}{{ form.title() }}{{ form.body() }}{{ form.errors }}",
            flask::context! { form => form },
        )?
        .into_response())
    }
    let client = Flask::new("edit")
        .configure(|c| c.set("SECRET_KEY", "k"))
        .extension(CsrfProtect::new())
        .route("/", get(edit).post(edit))
        .test_client();
    let page = client.get("/").send().await.text();
    assert!(
        page.contains(r#"<input id="title" name="title" required type="text" value="Old">"#),
        "{page}"
    );
    assert!(page.contains("\r\nText</textarea>"), "{page}");
    // hidden_tag() carries the CSRF token CsrfProtect checks.
    let token = page
        .split(r#"name="csrf_token" type="hidden" value=""#)
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_owned();
    let text = client
        .post("/")
        .form(&[
            ("csrf_token", token.as_str()),
            ("title", "New"),
            ("body", "More"),
        ])
        .send()
        .await
        .text();
    assert_eq!(
        text,
        r#"PostRow { id: 7, title: "New", body: "More", author: "ada" }"#
    );
}

#[tokio::test]
async fn without_csrf_protect_the_form_checks_its_token_itself() {
    async fn post(mut form: FlaskForm<Post>) -> Result<Html<String>, Error> {
        let ok = form.validate_on_submit();
        render_template_string(
            "{{ ok }} {{ form.errors }} {{ form.csrf_token }}",
            flask::context! { ok, form => form },
        )
    }
    let client = client_for(post);
    let page = client.get("/").send().await.text();
    let token = page
        .split("value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_owned();
    let page = client.post("/").form(&[("title", "x")]).send().await.text();
    assert!(
        page.starts_with("False {")
            && page.contains("csrf_token")
            && page.contains("The CSRF token is missing."),
        "{page}"
    );
    let page = client
        .post("/")
        .form(&[("title", "x"), ("csrf_token", token.as_str())])
        .send()
        .await
        .text();
    assert!(page.starts_with("True {}"), "{page}");
    // WTF_CSRF_ENABLED off: no token needed.
    let client = Flask::new("off")
        .configure(|c| {
            c.set("SECRET_KEY", "k");
            c.set("WTF_CSRF_ENABLED", false);
        })
        .route("/", get(post).post(post))
        .test_client();
    let page = client.post("/").form(&[("title", "x")]).send().await.text();
    assert!(page.starts_with("True {}"), "{page}");
}

#[tokio::test]
async fn template_kwargs_labels_flags_and_runtime_choices() {
    #[flask::view]
    async fn page(mut form: FlaskForm<Everything>) -> Result<Html<String>, Error> {
        form.set_choices("language", [("de", "Deutsch")]);
        render_template_string(
            concat!(
                r#"{{ form.name(class_="big", data_role="x", placeholder="Name", disabled=true, required=false) }}"#,
                "\n{{ form.name.label(class_=\"l\") }}\n{{ form.name.label(\"Other\") }}",
                "\n{{ form.name.flags.required }} {{ form.name.flags.maxlength }} {{ form.name.type }} {{ form.name.label.text }}",
                "\n{{ form.language() }}",
                "\n{% for option in form.size %}[{{ option }}|{{ option.label }}]{% endfor %}",
            ),
            flask::context! { form => form },
        )
    }
    let client = client_for(page);
    let page = client.get("/").send().await.text();
    let lines: Vec<&str> = page.lines().collect();
    assert_eq!(
        lines[0],
        r#"<input class="big" data-role="x" disabled id="name" maxlength="20" minlength="2" name="name" placeholder="Name" type="text" value="">"#
    );
    assert_eq!(lines[1], r#"<label class="l" for="name">Your name</label>"#);
    assert_eq!(lines[2], r#"<label for="name">Other</label>"#);
    assert_eq!(lines[3], "True 20 StringField Your name");
    assert_eq!(
        lines[4],
        r#"<select id="language" name="language"><option value="de">Deutsch</option></select>"#
    );
    assert_eq!(
        lines[5],
        r#"[<input id="size-0" name="size" type="radio" value="s">|<label for="size-0">Small</label>][<input id="size-1" name="size" type="radio" value="l">|<label for="size-1">Large</label>]"#
    );
}

#[tokio::test]
async fn set_data_fills_one_field_and_regexp_matches_whole() {
    #[derive(Debug, Form, Serialize, Deserialize)]
    #[form(csrf = false)]
    struct Search {
        #[form(kind = "hidden")]
        source: String,
        #[form(validate(regexp = "[a-z]+"))]
        word: String,
    }
    async fn search(mut form: FlaskForm<Search>) -> Result<Html<String>, Error> {
        form.set_data("source", "newsletter")?;
        assert!(form.set_data("nope", 1).is_err());
        let ok = form.validate_on_submit();
        render_template_string(
            "{{ ok }} {{ form.hidden_tag() }} {{ form.word() }} {{ form.errors }}",
            flask::context! { ok, form => form },
        )
    }
    let client = client_for(search);
    let page = client.get("/").send().await.text();
    assert!(
        page.contains(r#"<input id="source" name="source" type="hidden" value="newsletter">"#),
        "{page}"
    );
    assert!(page.contains(r#"pattern="[a-z]+""#), "{page}");
    // The browser matches the pattern whole, and so does the server.
    let page = client
        .post("/")
        .form(&[("source", "x"), ("word", "abc!")])
        .send()
        .await
        .text();
    assert!(
        page.starts_with("False") && page.contains("Invalid input."),
        "{page}"
    );
    let page = client
        .post("/")
        .form(&[("source", "x"), ("word", "abc")])
        .send()
        .await
        .text();
    // A submitted form keeps what was sent.
    assert!(
        page.starts_with("True") && page.contains(r#"value="x""#),
        "{page}"
    );
}

#[tokio::test]
async fn the_csrf_field_is_a_csrf_token_field() {
    #[flask::view]
    async fn page(form: FlaskForm<Post>) -> Result<Html<String>, Error> {
        render_template_string(
            "{% for f in form %}{{ f.type }} {% endfor %}",
            flask::context! { form => form },
        )
    }
    let client = client_for(page);
    assert_eq!(
        client.get("/").send().await.text(),
        "CSRFTokenField StringField TextAreaField "
    );
}

#[tokio::test]
async fn choice_fields_of_integers_are_coerced() {
    #[derive(Debug, Form, Serialize, Deserialize)]
    #[form(csrf = false)]
    struct Assign {
        #[form(kind = "select", choices = [("1", "Ada"), ("2", "Grace")])]
        owner: i64,
        #[form(kind = "radio", choices = [("1", "Low"), ("3", "High")])]
        priority: Option<u8>,
        #[form(kind = "select_multiple", choices = [("10", "a"), ("20", "b")])]
        tags: Vec<i64>,
    }
    async fn assign(mut form: FlaskForm<Assign>) -> Result<Html<String>, Error> {
        let ok = form.validate_on_submit();
        let data = form.data().map(|d| format!("{d:?}")).unwrap_or_default();
        render_template_string(
            "{{ ok }} {{ data }} {{ form.errors }} {{ form.owner() }}",
            flask::context! { ok, data, form => form },
        )
    }
    let client = client_for(assign);
    let page = client
        .post("/")
        .form(&[
            ("owner", "2"),
            ("priority", "3"),
            ("tags", "10"),
            ("tags", "20"),
        ])
        .send()
        .await
        .text();
    assert!(
        page.starts_with("True Assign { owner: 2, priority: Some(3), tags: [10, 20] }"),
        "{page}"
    );
    assert!(
        page.contains(r#"<option selected value="2">Grace</option>"#),
        "{page}"
    );
    let page = client
        .post("/")
        .form(&[("owner", "two"), ("tags", "x"), ("priority", "2")])
        .send()
        .await
        .text();
    for expected in [
        "Invalid Choice: could not coerce.",
        "Invalid choice(s): one or more data inputs could not be coerced.",
        "Not a valid choice.",
    ] {
        assert!(page.contains(expected), "{expected} not in {page}");
    }
}

#[tokio::test]
async fn the_submit_button_is_true_when_pressed_and_false_when_not_sent() {
    let client = client_for(everything);
    let mut pressed = VALID.to_vec();
    pressed.push(("submit", "Sign up"));
    let text = client.post("/").form(&pressed).send().await.text();
    assert!(text.contains("submit: true"), "{text}");
    let text = client.post("/").form(&VALID).send().await.text();
    assert!(text.contains("submit: false"), "{text}");

    // Two buttons: the one pressed is the one sent (`if form.delete.data:` in Flask).
    #[derive(Debug, Form, Serialize, Deserialize)]
    #[form(csrf = false)]
    struct Edit {
        title: String,
        #[form(kind = "submit")]
        save: bool,
        #[form(kind = "submit", label = "Delete")]
        delete: bool,
    }
    #[flask::view]
    async fn edit(mut form: FlaskForm<Edit>) -> Result<Html<String>, Error> {
        let ok = form.validate_on_submit();
        let pressed = form
            .data()
            .map(|d| format!("save={} delete={}", d.save, d.delete));
        render_template_string(
            "{{ ok }} {{ pressed }} {{ form.delete() }}",
            flask::context! { ok, pressed, form => form },
        )
    }
    let client = client_for(edit);
    let page = client
        .post("/")
        .form(&[("title", "x"), ("delete", "Delete")])
        .send()
        .await
        .text();
    assert_eq!(
        page,
        r#"True save=false delete=true <input id="delete" name="delete" type="submit" value="Delete">"#
    );
    let page = client
        .post("/")
        .form(&[("title", "x"), ("save", "Save")])
        .send()
        .await
        .text();
    assert!(page.starts_with("True save=true delete=false "), "{page}");
}

#[tokio::test]
async fn put_patch_and_delete_bodies_are_submissions_get_is_not() {
    #[flask::view]
    async fn check(mut form: FlaskForm<Signup>) -> String {
        let submitted = form.is_submitted();
        let valid = form.validate_on_submit();
        format!("{submitted} {valid} {:?}", form.errors())
    }
    let client = Flask::new("methods")
        .configure(|c| c.set("SECRET_KEY", "k"))
        .route(
            "/",
            get(check).post(check).put(check).patch(check).delete(check),
        )
        .test_client();
    for method in [
        flask::Method::POST,
        flask::Method::PUT,
        flask::Method::PATCH,
        flask::Method::DELETE,
    ] {
        let text = client
            .request(method.clone(), "/")
            .form(&[("username", "ada")])
            .send()
            .await
            .text();
        assert_eq!(text, "true true {}", "{method}");
        let text = client
            .request(method.clone(), "/")
            .form(&[("username", "")])
            .send()
            .await
            .text();
        assert_eq!(
            text, r#"true false {"username": ["This field is required."]}"#,
            "{method}"
        );
        let text = client
            .request(method.clone(), "/")
            .json(&serde_json::json!({ "username": "ada" }))
            .send()
            .await
            .text();
        assert_eq!(text, "true true {}", "{method} with JSON");
    }
    // GET is never a submission, whatever it carries: no validation, no errors.
    for request in [
        client.get("/?username=ada"),
        client.get("/").form(&[("username", "ada")]),
    ] {
        assert_eq!(request.send().await.text(), "false false {}");
    }
}

#[derive(Debug, Form, Serialize, Deserialize)]
#[form(csrf = false)]
struct Html5 {
    #[form(
        kind = "url",
        validate(data_required, length(min = 10, max = 200), regexp = "https://.+")
    )]
    homepage: String,
    #[form(
        kind = "search",
        validate(input_required, length(min = 2, max = 50), regexp = "[a-z ]+")
    )]
    query: String,
    #[form(
        kind = "tel",
        validate(data_required, length(min = 6, max = 20), regexp = "[+]?[0-9 ]+")
    )]
    phone: String,
    #[form(validate(data_required))]
    terms: bool,
    #[form(validate(input_required))]
    adult: bool,
    newsletter: bool,
    #[form(
        kind = "select_multiple",
        choices = [("a", "Apples"), ("b", "Bananas")],
        validate(data_required)
    )]
    fruits: Vec<String>,
    #[form(kind = "select_multiple", choices = [("x", "X")], validate(input_required))]
    tags: Vec<String>,
}

#[tokio::test]
async fn validators_give_html5_attributes_to_url_search_tel_boolean_and_select_multiple() {
    async fn html5(mut form: FlaskForm<Html5>) -> Result<String, Error> {
        form.validate_on_submit();
        let errors = form.errors();
        let widgets = render_template_string(
            "{% for field in form %}{{ field() }}\n{% endfor %}",
            flask::context! { form => form },
        )?;
        Ok(format!("{errors:?}\n{}", widgets.0))
    }
    let client = client_for(html5);
    let page = client.get("/").send().await.text();
    for expected in [
        r#"<input id="homepage" maxlength="200" minlength="10" name="homepage" pattern="https://.+" required type="url" value="">"#,
        r#"<input id="query" maxlength="50" minlength="2" name="query" pattern="[a-z ]+" required type="search" value="">"#,
        r#"<input id="phone" maxlength="20" minlength="6" name="phone" pattern="[+]?[0-9 ]+" required type="tel" value="">"#,
        r#"<input id="terms" name="terms" required type="checkbox" value="y">"#,
        r#"<input id="adult" name="adult" required type="checkbox" value="y">"#,
        // No validator, no attribute.
        r#"<input id="newsletter" name="newsletter" type="checkbox" value="y">"#,
        r#"<select id="fruits" multiple name="fruits" required><option value="a">Apples</option><option value="b">Bananas</option></select>"#,
        r#"<select id="tags" multiple name="tags" required><option value="x">X</option></select>"#,
    ] {
        assert!(page.contains(expected), "missing {expected}\nin {page}");
    }
    // The server refuses what the browser would: boxes left unchecked, nothing chosen,
    // the text too short or off the pattern.
    let page = client
        .post("/")
        .form(&[("homepage", "http://x"), ("query", "A"), ("phone", "12-34")])
        .send()
        .await
        .text();
    let errors = page.lines().next().unwrap();
    for field in [
        "homepage", "query", "phone", "terms", "adult", "fruits", "tags",
    ] {
        assert!(errors.contains(&format!("{field:?}")), "{field}: {errors}");
    }
    assert!(!errors.contains("newsletter"), "{errors}");
    let page = client
        .post("/")
        .form(&[
            ("homepage", "https://example.com"),
            ("query", "engines"),
            ("phone", "+44 1234"),
            ("terms", "y"),
            ("adult", "y"),
            ("fruits", "b"),
            ("tags", "x"),
        ])
        .send()
        .await
        .text();
    assert!(page.starts_with("{}\n"), "{page}");
}
