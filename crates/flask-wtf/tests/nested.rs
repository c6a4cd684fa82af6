//! Nested forms (WTForms' `FormField`) and repeated fields (`FieldList`): names and ids
//! as WTForms writes them (`address-street`, `emails-0`, `people-1-name`), min and max
//! entries, validation of each entry, the typed data, and rendering.

use flask::routing::get;
use flask::{
    Error, Flask, Html, IntoResponse, Response, render_template_string, testing::TestClient,
};
use flask_wtf::{FlaskForm, Form};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Form, Serialize, Deserialize)]
#[form(csrf = false)]
struct Address {
    #[form(validate(data_required))]
    street: String,
    city: String,
}

#[derive(Debug, Clone, Form, Serialize, Deserialize)]
#[form(csrf = false)]
struct Passwords {
    #[form(kind = "password")]
    password: String,
    #[form(kind = "password", validate(equal_to = "password"))]
    confirm: String,
}

#[derive(Debug, Clone, Form, Serialize, Deserialize)]
#[form(csrf = false)]
struct Person {
    #[form(validate(data_required))]
    name: String,
    age: Option<i64>,
}

#[derive(Debug, Clone, Form, Serialize, Deserialize)]
#[form(csrf = false)]
struct Registration {
    #[form(validate(data_required))]
    name: String,
    #[form(kind = "form", label = "Home address")]
    address: Address,
    #[form(kind = "form")]
    secret: Passwords,
    #[form(
        label = "Email",
        list(min_entries = 2, max_entries = 3),
        validate(optional, email)
    )]
    emails: Vec<String>,
    #[form(kind = "form", list(min_entries = 1))]
    people: Vec<Person>,
}

#[flask::view]
async fn register(mut form: FlaskForm<Registration>) -> Result<Response, Error> {
    if form.validate_on_submit() {
        return Ok(format!("{:?}", form.into_data().unwrap()).into_response());
    }
    Ok(render_template_string(
        "{{ form.errors }}\n{{ form.address.street() }}\n{{ form.address.street.label }}\n\
         {{ form.address }}\n{{ form.emails }}\n\
         {% for e in form.emails %}[{{ e.name }}]{% endfor %}\n\
         {% for p in form.people %}{{ p.name() }}{{ p.age() }}{% endfor %}\n\
         {{ form.address.label }} {{ form.address.type }} {{ form.emails.type }}\n\
         {{ form.secret.password() }}{{ form.secret.confirm() }}",
        flask::context! { form => form },
    )?
    .into_response())
}

fn client() -> TestClient {
    Flask::new("nested")
        .configure(|c| c.set("SECRET_KEY", "k"))
        .route("/", get(register).post(register))
        .test_client()
}

#[tokio::test]
async fn an_unsubmitted_form_shows_min_entries_with_wtforms_names() {
    let page = client().get("/").send().await.text();
    let lines: Vec<&str> = page.lines().collect();
    assert_eq!(
        lines[1],
        r#"<input id="address-street" name="address-street" required type="text" value="">"#
    );
    assert_eq!(lines[2], r#"<label for="address-street">Street</label>"#);
    assert_eq!(
        lines[3],
        concat!(
            r#"<table id="address">"#,
            r#"<tr><th><label for="address-street">Street</label></th><td><input id="address-street" name="address-street" required type="text" value=""></td></tr>"#,
            r#"<tr><th><label for="address-city">City</label></th><td><input id="address-city" name="address-city" type="text" value=""></td></tr>"#,
            "</table>"
        )
    );
    assert_eq!(
        lines[4],
        concat!(
            r#"<ul id="emails">"#,
            r#"<li><label for="emails-0">Email</label> <input id="emails-0" name="emails-0" type="text" value=""></li>"#,
            r#"<li><label for="emails-1">Email</label> <input id="emails-1" name="emails-1" type="text" value=""></li>"#,
            "</ul>"
        )
    );
    assert_eq!(lines[5], "[emails-0][emails-1]");
    assert_eq!(
        lines[6],
        r#"<input id="people-0-name" name="people-0-name" required type="text" value=""><input id="people-0-age" name="people-0-age" type="number" value="">"#
    );
    assert_eq!(
        lines[7],
        r#"<label for="address">Home address</label> FormField FieldList"#
    );
}

#[tokio::test]
async fn a_submission_gives_nested_typed_data() {
    let text = client()
        .post("/")
        .form(&[
            ("name", "Ada"),
            ("address-street", "1 Main St"),
            ("address-city", "London"),
            ("secret-password", "pw"),
            ("secret-confirm", "pw"),
            ("emails-0", "a@example.com"),
            ("emails-3", "b@example.com"),
            ("people-0-name", "Charles"),
            ("people-0-age", "40"),
            ("people-4-name", "Mary"),
        ])
        .send()
        .await
        .text();
    assert_eq!(
        text,
        concat!(
            r#"Registration { name: "Ada", address: Address { street: "1 Main St", city: "London" }, "#,
            r#"secret: Passwords { password: "pw", confirm: "pw" }, "#,
            r#"emails: ["a@example.com", "b@example.com"], "#,
            r#"people: [Person { name: "Charles", age: Some(40) }, Person { name: "Mary", age: None }] }"#
        )
    );
}

#[tokio::test]
async fn each_entry_and_nested_field_is_validated_under_its_name() {
    let page = client()
        .post("/")
        .form(&[
            ("name", "Ada"),
            ("address-city", "London"),
            ("secret-password", "one"),
            ("secret-confirm", "two"),
            ("emails-0", "not an email"),
            ("emails-1", "b@example.com"),
            ("people-0-age", "x"),
        ])
        .send()
        .await
        .text();
    let errors = page.lines().next().unwrap();
    for expected in [
        "address-street",
        "This field is required.",
        "secret-confirm",
        "Field must be equal to password.",
        "emails-0",
        "Invalid email address.",
        "people-0-name",
        "people-0-age",
        "Not a valid integer value.",
    ] {
        assert!(errors.contains(expected), "{expected} not in {errors}");
    }
    assert!(!errors.contains("emails-1"), "{errors}");
    // What was typed comes back in the entries.
    assert!(
        page.contains(r#"<input id="emails-0" name="emails-0" type="text" value="not an email">"#),
        "{page}"
    );
}

#[tokio::test]
async fn max_entries_drops_the_extra_ones() {
    let mut form: Vec<(String, String)> = vec![
        ("name".into(), "Ada".into()),
        ("address-street".into(), "1 Main St".into()),
        ("people-0-name".into(), "C".into()),
    ];
    for i in 0..10 {
        form.push((format!("emails-{i}"), format!("u{i}@example.com")));
    }
    let text = client().post("/").form(&form).send().await.text();
    assert!(
        text.contains(r#"emails: ["u0@example.com", "u1@example.com", "u2@example.com"]"#),
        "{text}"
    );
}

#[tokio::test]
async fn with_obj_fills_nested_forms_and_every_entry() {
    #[flask::view]
    async fn edit(form: FlaskForm<Registration>) -> Result<Html<String>, Error> {
        let form = form.with_obj(&Registration {
            name: "Ada".into(),
            address: Address {
                street: "1 Main St".into(),
                city: "London".into(),
            },
            secret: Passwords {
                password: String::new(),
                confirm: String::new(),
            },
            emails: vec!["a@x.org".into(), "b@x.org".into(), "c@x.org".into()],
            people: vec![
                Person {
                    name: "Charles".into(),
                    age: Some(40),
                },
                Person {
                    name: "Mary".into(),
                    age: None,
                },
            ],
        });
        render_template_string(
            "{{ form.address.city() }}|{% for e in form.emails %}{{ e() }}{% endfor %}|{% for p in form.people %}{{ p.name() }}{% endfor %}",
            flask::context! { form => form },
        )
    }
    let client = Flask::new("edit")
        .configure(|c| c.set("SECRET_KEY", "k"))
        .route("/", get(edit))
        .test_client();
    let page = client.get("/").send().await.text();
    for expected in [
        r#"<input id="address-city" name="address-city" type="text" value="London">"#,
        r#"<input id="emails-2" name="emails-2" type="text" value="c@x.org">"#,
        r#"<input id="people-1-name" name="people-1-name" required type="text" value="Mary">"#,
    ] {
        assert!(page.contains(expected), "{expected} not in {page}");
    }
}

#[tokio::test]
async fn a_failed_submission_shows_the_nested_values_again() {
    // One error (the street is missing); everything typed comes back in its input.
    let page = client()
        .post("/")
        .form(&[
            ("name", "Ada"),
            ("address-city", "<London>"),
            ("secret-password", "pw"),
            ("secret-confirm", "pw"),
            ("emails-0", "a@example.com"),
            ("emails-2", "c@example.com"),
            ("people-0-name", "Charles"),
            ("people-0-age", "forty"),
            ("people-3-name", "Mary"),
            ("people-3-age", "30"),
        ])
        .send()
        .await
        .text();
    let lines: Vec<&str> = page.lines().collect();
    assert!(lines[0].contains("address-street"), "{page}");
    assert!(lines[0].contains("people-0-age"), "{page}");
    assert_eq!(
        lines[1],
        r#"<input id="address-street" name="address-street" required type="text" value="">"#
    );
    assert_eq!(
        lines[3],
        concat!(
            r#"<table id="address">"#,
            r#"<tr><th><label for="address-street">Street</label></th><td><input id="address-street" name="address-street" required type="text" value=""></td></tr>"#,
            r#"<tr><th><label for="address-city">City</label></th><td><input id="address-city" name="address-city" type="text" value="&lt;London&gt;"></td></tr>"#,
            "</table>"
        )
    );
    // The entries sent, under the names they were sent with.
    assert_eq!(
        lines[4],
        concat!(
            r#"<ul id="emails">"#,
            r#"<li><label for="emails-0">Email</label> <input id="emails-0" name="emails-0" type="text" value="a@example.com"></li>"#,
            r#"<li><label for="emails-2">Email</label> <input id="emails-2" name="emails-2" type="text" value="c@example.com"></li>"#,
            "</ul>"
        )
    );
    assert_eq!(
        lines[6],
        concat!(
            r#"<input id="people-0-name" name="people-0-name" required type="text" value="Charles">"#,
            r#"<input id="people-0-age" name="people-0-age" type="number" value="forty">"#,
            r#"<input id="people-3-name" name="people-3-name" required type="text" value="Mary">"#,
            r#"<input id="people-3-age" name="people-3-age" type="number" value="30">"#,
        )
    );
    // A nested form's passwords are not sent back either.
    assert_eq!(
        lines[8],
        concat!(
            r#"<input id="secret-password" name="secret-password" type="password" value="">"#,
            r#"<input id="secret-confirm" name="secret-confirm" type="password" value="">"#,
        )
    );
}

#[tokio::test]
async fn an_async_check_adds_errors_to_nested_fields_and_entries_by_name() {
    #[flask::view]
    async fn register(mut form: FlaskForm<Registration>) -> Result<String, Error> {
        let ok = form
            .validate_on_submit_with(async |data, errors| {
                tokio::task::yield_now().await;
                if data.address.city == "Atlantis" {
                    errors.add("address-city", "We do not deliver there.");
                }
                if data.people.iter().any(|p| p.name == "Nobody") {
                    errors.add("people-0-name", "Who?");
                }
            })
            .await;
        let errors = form.errors();
        let table = render_template_string("{{ form.address }}", flask::context! { form => form })?;
        Ok(format!("{ok} {errors:?}\n{}", table.0))
    }
    let client = Flask::new("nested-async")
        .configure(|c| c.set("SECRET_KEY", "k"))
        .route("/", get(register).post(register))
        .test_client();
    let page = client
        .post("/")
        .form(&[
            ("name", "Ada"),
            ("address-street", "1 Main St"),
            ("address-city", "Atlantis"),
            ("people-0-name", "Nobody"),
        ])
        .send()
        .await
        .text();
    let lines: Vec<&str> = page.lines().collect();
    assert_eq!(
        lines[0],
        r#"false {"address-city": ["We do not deliver there."], "people-0-name": ["Who?"]}"#
    );
    // Shown again with what was typed.
    assert!(
        lines[1].contains(
            r#"<input id="address-city" name="address-city" type="text" value="Atlantis">"#
        ),
        "{page}"
    );
}

#[tokio::test]
async fn nested_forms_and_lists_have_labels_like_fields() {
    // WTForms' Label on a FormField and a FieldList too: text, field_id, and a call with
    // other text or attributes.
    #[flask::view]
    async fn labels(form: FlaskForm<Registration>) -> Result<Html<String>, Error> {
        render_template_string(
            "{{ form.address.label.text }}|{{ form.address.label.field_id }}|\
             {{ form.address.label(class_='legend') }}|{{ form.emails.label('Addresses') }}|\
             {{ form.emails.label.text }}|{{ form.name.label.text }}|{{ form.name.label }}|\
             {{ form.address.label|string }}",
            flask::context! { form => form },
        )
    }
    let client = Flask::new("labels")
        .configure(|c| c.set("SECRET_KEY", "k"))
        .route("/", get(labels))
        .test_client();
    assert_eq!(
        client.get("/").send().await.text(),
        "Home address|address|<label class=\"legend\" for=\"address\">Home address</label>|\
         <label for=\"emails\">Addresses</label>|Email|Name|<label for=\"name\">Name</label>|\
         &lt;label for=&#34;address&#34;&gt;Home address&lt;/label&gt;"
    );
}
