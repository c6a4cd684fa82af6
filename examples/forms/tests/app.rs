//! The sign-up form through the test client: every field rendered with its HTML5
//! attributes (the nested address and the list of links too), WTForms' messages with what
//! was typed kept (passwords excepted), the async "username taken" check, the CSRF token,
//! uploads of one file and of several, and POST/redirect/GET to `/done`.

use flask::testing::TestClient;

/// The app's test client, and the CSRF token of its session (from `GET /`).
async fn client() -> (TestClient, String) {
    let c = forms::app().test_client();
    let page = c.get("/").send().await.text();
    let token = csrf_token(&page);
    (c, token)
}

/// The token `form.hidden_tag()` wrote into `page`.
fn csrf_token(page: &str) -> String {
    page.split(r#"name="csrf_token" type="hidden" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no CSRF field in {page}"))
        .to_owned()
}

/// A sign-up that passes every check, field by field (`interests` twice: two chosen; the
/// second link left empty; the nested address's fields named `address-...`).
const VALID: [(&str, &str); 25] = [
    ("username", "ada_lovelace"),
    ("email", "ada@example.com"),
    ("password", "analytical engine"),
    ("confirm", "analytical engine"),
    ("bio", "Wrote the first program."),
    ("website", "https://ada.example.com/notes"),
    ("links-0", "https://github.com/ada"),
    ("links-1", ""),
    ("links-2", "https://ada.example.com/blog"),
    ("phone", "+44 20 7946 0958"),
    ("referral_code", "BABBAGE"),
    ("plan_source", "signup-page"),
    ("age", "36"),
    ("height", "165.5"),
    ("donation", "12.50"),
    ("newsletter", "y"),
    ("address-street", "12 St James Square"),
    ("address-city", "London"),
    ("country", "gb"),
    ("interests", "rust"),
    ("interests", "databases"),
    ("plan", "pro"),
    ("birthday", "1815-12-10"),
    ("first_call", "1843-07-01T10:30"),
    ("call_time", "07:15"),
];

/// [`VALID`] with the CSRF token, and `changes` applied: a field named there gets the new
/// value (every value of it: `interests` too), or is left out for `None`.
fn form_with<'a>(
    token: &'a str,
    changes: &[(&'a str, Option<&'a str>)],
) -> Vec<(&'a str, &'a str)> {
    let mut out = vec![("csrf_token", token)];
    let mut changed = Vec::new();
    for (name, value) in VALID {
        match changes.iter().find(|(n, _)| *n == name) {
            Some((_, new)) => {
                if !changed.contains(&name) {
                    changed.push(name);
                    out.extend(new.map(|v| (name, v)));
                }
            }
            None => out.push((name, value)),
        }
    }
    out
}

/// Asserts that `page` contains each of `expected`.
fn assert_contains(page: &str, expected: &[&str]) {
    for e in expected {
        assert!(page.contains(e), "missing {e}\nin {page}");
    }
}

/// The errors `page` shows for `field`, in order.
fn errors_of(page: &str, field: &str) -> Vec<String> {
    let Some(list) = page
        .split(&format!(r#"<ul class="errors" id="{field}-errors">"#))
        .nth(1)
        .and_then(|rest| rest.split("</ul>").next())
    else {
        return Vec::new();
    };
    list.split("<li>")
        .skip(1)
        .filter_map(|item| item.split("</li>").next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn the_form_renders_every_field_with_its_html5_attributes() {
    let c = forms::app().test_client();
    let r = c.get("/").send().await;
    assert_eq!(r.status(), 200);
    let page = r.text();
    assert_contains(
        &page,
        &[
            "<title>Create your account - Forms</title>",
            r#"<form method="post" action="/" enctype="multipart/form-data">"#,
            // hidden_tag(): the CSRF token and the hidden field, with its default.
            r#"<input id="csrf_token" name="csrf_token" type="hidden" value=""#,
            r#"<input id="plan_source" name="plan_source" type="hidden" value="signup-page">"#,
            // StringField: Length and Regexp give minlength, maxlength and pattern.
            r#"<label for="username">Username</label>"#,
            r#"<input aria-describedby="username-description" autocomplete="username" id="username" maxlength="20" minlength="3" name="username" pattern="^[a-z0-9_]+$" required type="text" value="">"#,
            r#"<small class="description" id="username-description">3 to 20 characters: lower-case letters, digits and _.</small>"#,
            r#"<input autocomplete="email" id="email" name="email" required type="email" value="">"#,
            r#"<input autocomplete="new-password" id="password" minlength="8" name="password" required type="password" value="">"#,
            r#"<label for="confirm">Repeat password</label>"#,
            r#"<input autocomplete="new-password" id="confirm" name="confirm" required type="password" value="">"#,
            "<textarea aria-describedby=\"bio-description\" id=\"bio\" maxlength=\"300\" name=\"bio\" rows=\"3\">\r\n</textarea>",
            r#"<input id="website" name="website" placeholder="https://" type="url" value="">"#,
            // FieldList: a group of min_entries entries, named links-0, links-1, links-2.
            r#"<fieldset class="field group">"#,
            r#"<legend>Other links</legend>"#,
            r#"<label for="links-0">#1</label>"#,
            r#"<input id="links-0" name="links-0" placeholder="https://" type="url" value="">"#,
            r#"<label for="links-2">#3</label>"#,
            r#"<input id="links-2" name="links-2" placeholder="https://" type="url" value="">"#,
            r#"<input autocomplete="tel" id="phone" name="phone" placeholder="+33 6 12 34 56 78" type="tel" value="">"#,
            r#"<input id="referral_code" name="referral_code" type="search" value="">"#,
            r#"<input id="age" max="130" min="13" name="age" type="number" value="">"#,
            r#"<input id="height" max="250" min="50" name="height" step="any" type="number" value="">"#,
            r#"<input aria-describedby="donation-description" id="donation" min="0" name="donation" step="any" type="number" value="">"#,
            r#"<input aria-describedby="newsletter-description" id="newsletter" name="newsletter" type="checkbox" value="y"> <label class="check" for="newsletter">Send me the newsletter</label>"#,
            // FormField: the address's fields, named address-street and address-city.
            r#"<legend>Postal address</legend>"#,
            r#"<label for="address-street">Street</label>"#,
            r#"<input autocomplete="street-address" id="address-street" maxlength="100" name="address-street" required type="text" value="">"#,
            r#"<label for="address-city">City</label>"#,
            r#"<input autocomplete="address-level2" id="address-city" maxlength="60" name="address-city" required type="text" value="">"#,
            r#"<select id="country" name="country" required><option selected value="">Choose a country</option><option value="fr">France</option>"#,
            r#"<select aria-describedby="interests-description" id="interests" multiple name="interests"><option value="rust">Rust</option>"#,
            r#"<legend>Plan</legend>"#,
            r#"<input id="plan-0" name="plan" required type="radio" value="free"> <label for="plan-0">Free</label>"#,
            r#"<input id="plan-2" name="plan" required type="radio" value="team"> <label for="plan-2">Team (20 € a month)</label>"#,
            r#"<input id="birthday" name="birthday" type="date" value="">"#,
            r#"<input id="first_call" name="first_call" type="datetime-local" value="">"#,
            r#"<label for="call_time">Best time to call</label>"#,
            r#"<input id="call_time" name="call_time" type="time" value="">"#,
            r#"<input class="primary" id="submit" name="submit" type="submit" value="Sign up">"#,
        ],
    );
    // No errors yet.
    assert!(!page.contains("class=\"errors\""), "{page}");
    assert!(!page.contains("aria-invalid"), "{page}");
    // The hidden fields are rendered once, by hidden_tag(), not by the loop.
    assert_eq!(page.matches("id=\"plan_source\"").count(), 1, "{page}");
    assert_eq!(page.matches("id=\"csrf_token\"").count(), 1, "{page}");
    // Three links (min_entries), no more.
    assert_eq!(page.matches(r#"name="links-"#).count(), 3, "{page}");
}

#[tokio::test]
async fn required_fields_left_empty_say_so() {
    let (c, token) = client().await;
    let r = c
        .post("/")
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await;
    assert_eq!(r.status(), 200);
    let page = r.text();
    for field in [
        "username",
        "email",
        "password",
        "confirm",
        "address-street",
        "address-city",
        "country",
        "plan",
    ] {
        assert_eq!(
            errors_of(&page, field),
            ["This field is required."],
            "{field} in {page}"
        );
    }
    assert_eq!(
        errors_of(&page, "interests"),
        ["Pick at least one interest."]
    );
    // Optional fields left empty are fine.
    for field in [
        "bio",
        "website",
        "links-0",
        "links-1",
        "links-2",
        "age",
        "height",
        "donation",
        "birthday",
        "documents",
    ] {
        assert!(errors_of(&page, field).is_empty(), "{field} in {page}");
    }
    assert_contains(
        &page,
        &[
            r#"<div class="flash error" role="alert">"#,
            "Please correct the 9 fields below.",
            r#"<div class="field invalid">"#,
            r#"<fieldset class="field invalid" id="plan-group">"#,
        ],
    );
}

#[tokio::test]
async fn wrong_values_show_wtforms_messages_and_are_kept() {
    let (c, token) = client().await;
    let long_bio = "x".repeat(301);
    let long_city = "y".repeat(61);
    let form = form_with(
        &token,
        &[
            ("username", Some("ab")),
            ("email", Some("ada@")),
            ("confirm", Some("analytical engines")),
            ("bio", Some(&long_bio)),
            ("website", Some("ada.example.com")),
            ("links-1", Some("github.com/ada")),
            ("address-city", Some(&long_city)),
            ("age", Some("twelve")),
            ("height", Some("7")),
            ("donation", Some("-1")),
            ("country", Some("atlantis")),
            ("interests", Some("cooking")),
            ("plan", Some("gold")),
            ("birthday", Some("10/12/1815")),
            ("first_call", Some("soon")),
            ("call_time", Some("25:99")),
        ],
    );
    let r = c.post("/").form(&form).send().await;
    assert_eq!(r.status(), 200);
    let page = r.text();
    let expect = |field: &str, messages: &[&str]| {
        assert_eq!(errors_of(&page, field), messages, "{field} in {page}");
    };
    expect(
        "username",
        &["Field must be between 3 and 20 characters long."],
    );
    expect("email", &["Invalid email address."]);
    expect("password", &[]);
    expect("confirm", &["Field must be equal to password."]);
    expect("bio", &["Field cannot be longer than 300 characters."]);
    expect("website", &["Invalid URL."]);
    // An entry of the list and a field of the nested form, each under its own name.
    expect("links-1", &["Invalid URL."]);
    expect(
        "address-city",
        &["Field cannot be longer than 60 characters."],
    );
    // As in WTForms: the conversion error, then NumberRange's (there is no number).
    expect(
        "age",
        &[
            "Not a valid integer value.",
            "Number must be between 13 and 130.",
        ],
    );
    expect("height", &["Number must be between 50 and 250."]);
    expect("donation", &["Number must be at least 0."]);
    expect("country", &["Not a valid choice."]);
    expect(
        "interests",
        &["&#39;cooking&#39; is not a valid choice for this field."],
    );
    expect("plan", &["Not a valid choice."]);
    expect("birthday", &["Not a valid date value."]);
    expect("first_call", &["Not a valid datetime value."]);
    expect("call_time", &["Not a valid time value."]);
    // Fields that were right show no error.
    for field in [
        "phone",
        "referral_code",
        "newsletter",
        "links-0",
        "links-2",
        "address-street",
    ] {
        expect(field, &[]);
    }

    // What was typed comes back, escaped; the passwords never do.
    assert_contains(
        &page,
        &[
            r#"id="username" maxlength="20" minlength="3" name="username" pattern="^[a-z0-9_]+$" required type="text" value="ab">"#,
            r#"<input aria-invalid="true" autocomplete="email" id="email" name="email" required type="email" value="ada@">"#,
            &format!("name=\"bio\" rows=\"3\">\r\n{long_bio}</textarea>"),
            r#"<input aria-invalid="true" id="website" name="website" placeholder="https://" type="url" value="ada.example.com">"#,
            r#"<input autocomplete="tel" id="phone" name="phone" placeholder="+33 6 12 34 56 78" type="tel" value="+44 20 7946 0958">"#,
            r#"<input aria-invalid="true" id="links-1" name="links-1" placeholder="https://" type="url" value="github.com/ada">"#,
            &format!(
                r#"<input aria-invalid="true" autocomplete="address-level2" id="address-city" maxlength="60" name="address-city" required type="text" value="{long_city}">"#
            ),
            r#"<input id="referral_code" name="referral_code" type="search" value="BABBAGE">"#,
            r#"<input aria-invalid="true" id="age" max="130" min="13" name="age" type="number" value="twelve">"#,
            r#"name="height" step="any" type="number" value="7">"#,
            r#"name="donation" step="any" type="number" value="-1">"#,
            r#"<input aria-describedby="newsletter-description" checked id="newsletter" name="newsletter" type="checkbox" value="y">"#,
            r#"<input aria-invalid="true" id="birthday" name="birthday" type="date" value="10/12/1815">"#,
            r#"name="first_call" type="datetime-local" value="soon">"#,
            r#"name="call_time" type="time" value="25:99">"#,
            r#"<input autocomplete="new-password" id="password" minlength="8" name="password" required type="password" value="">"#,
            r#"<input aria-invalid="true" autocomplete="new-password" id="confirm" name="confirm" required type="password" value="">"#,
        ],
    );
    assert!(!page.contains("analytical engine"), "{page}");
    // Nothing was registered.
    assert_eq!(c.get("/done").send().await.status(), 302);
}

#[tokio::test]
async fn choices_dates_the_address_and_links_are_kept_on_a_failed_submission() {
    let (c, token) = client().await;
    // One error (the username's pattern, with its custom message), everything else right.
    let form = form_with(&token, &[("username", Some("Ada!"))]);
    let page = c.post("/").form(&form).send().await.text();
    assert_eq!(
        errors_of(&page, "username"),
        ["Use lower-case letters, digits and _ only."]
    );
    assert_contains(
        &page,
        &[
            "Please correct the 1 field below.",
            r#"<option selected value="gb">United Kingdom</option>"#,
            r#"<option selected value="rust">Rust</option><option value="python">Python</option><option value="web">The web</option><option selected value="databases">Databases</option>"#,
            r#"<input checked id="plan-1" name="plan" required type="radio" value="pro">"#,
            r#"<input id="birthday" name="birthday" type="date" value="1815-12-10">"#,
            r#"<input id="first_call" name="first_call" type="datetime-local" value="1843-07-01T10:30">"#,
            r#"<input id="call_time" name="call_time" type="time" value="07:15">"#,
            r#"<input aria-describedby="donation-description" id="donation" min="0" name="donation" step="any" type="number" value="12.50">"#,
            "\r\nWrote the first program.</textarea>",
            // The nested form's fields and the list's entries, each under its name.
            r#"<input autocomplete="street-address" id="address-street" maxlength="100" name="address-street" required type="text" value="12 St James Square">"#,
            r#"<input autocomplete="address-level2" id="address-city" maxlength="60" name="address-city" required type="text" value="London">"#,
            r#"<input id="links-0" name="links-0" placeholder="https://" type="url" value="https://github.com/ada">"#,
            r#"<input id="links-1" name="links-1" placeholder="https://" type="url" value="">"#,
            r#"<input id="links-2" name="links-2" placeholder="https://" type="url" value="https://ada.example.com/blog">"#,
        ],
    );
}

#[tokio::test]
async fn taken_usernames_are_refused_by_the_async_check() {
    let (c, token) = client().await;
    for reserved in ["admin", "root"] {
        let form = form_with(&token, &[("username", Some(reserved))]);
        let r = c.post("/").form(&form).send().await;
        assert_eq!(r.status(), 200, "{reserved}");
        let page = r.text();
        assert_eq!(
            errors_of(&page, "username"),
            [format!("The username {reserved} is taken.")],
            "{page}"
        );
        assert!(page.contains(&format!("value=\"{reserved}\"")), "{page}");
    }
    // A name registered once is taken for the next sign-up.
    let form = form_with(&token, &[]);
    assert_eq!(c.post("/").form(&form).send().await.status(), 302);
    let page = c.get("/").send().await.text();
    let token = csrf_token(&page);
    let form = form_with(&token, &[("email", Some("another@example.com"))]);
    let page = c.post("/").form(&form).send().await.text();
    assert_eq!(
        errors_of(&page, "username"),
        ["The username ada_lovelace is taken."]
    );
    // The async check runs once the fields are valid: with another error, it waits.
    let form = form_with(&token, &[("username", Some("root")), ("email", Some("x"))]);
    let page = c.post("/").form(&form).send().await.text();
    assert!(errors_of(&page, "username").is_empty(), "{page}");
    assert_eq!(errors_of(&page, "email"), ["Invalid email address."]);
}

#[tokio::test]
async fn a_post_without_a_valid_csrf_token_is_refused() {
    let (c, token) = client().await;
    let mut form = form_with(&token, &[]);
    form.remove(0);
    let r = c.post("/").form(&form).send().await;
    assert_eq!(r.status(), 400);
    assert!(
        r.text().contains("The CSRF token is missing."),
        "{}",
        r.text()
    );

    let mut form = form_with("forged", &[]);
    let r = c.post("/").form(&form).send().await;
    assert_eq!(r.status(), 400);
    assert!(
        r.text().contains("The CSRF token is invalid."),
        "{}",
        r.text()
    );

    // Another session's token (of the same app) does not fit this one.
    let app = forms::app().build().unwrap();
    let (c, other) = (app.test_client(), app.test_client());
    c.get("/").send().await;
    let other_token = csrf_token(&other.get("/").send().await.text());
    form[0].1 = &other_token;
    let r = c.post("/").form(&form).send().await;
    assert_eq!(r.status(), 400);
    assert!(
        r.text().contains("The CSRF tokens do not match."),
        "{}",
        r.text()
    );
    // None of them registered anyone.
    assert_eq!(c.get("/done").send().await.status(), 302);
}

#[tokio::test]
async fn a_valid_sign_up_redirects_to_done_which_shows_the_data() {
    let (c, token) = client().await;
    // Nothing to show before signing up.
    let r = c.get("/done").send().await;
    assert_eq!(r.status(), 302);
    assert_eq!(r.header("location"), Some("/"));

    let r = c.post("/").form(&form_with(&token, &[])).send().await;
    assert_eq!(r.status(), 302, "{}", r.text());
    assert_eq!(r.header("location"), Some("/done"));

    let r = c.get("/done").send().await;
    assert_eq!(r.status(), 200);
    let page = r.text();
    assert_contains(
        &page,
        &[
            "<title>Your account - Forms</title>",
            r#"<div class="flash success" role="status">Welcome, ada_lovelace!</div>"#,
            r#"<dd id="username">ada_lovelace</dd>"#,
            r#"<dd id="email">ada@example.com</dd>"#,
            r#"<dd id="bio">Wrote the first program.</dd>"#,
            r#"<dd id="website"><a href="https://ada.example.com/notes" rel="nofollow">https://ada.example.com/notes</a></dd>"#,
            // The empty entry is left out.
            r#"<dd id="links"><a href="https://github.com/ada" rel="nofollow">https://github.com/ada</a>, <a href="https://ada.example.com/blog" rel="nofollow">https://ada.example.com/blog</a></dd>"#,
            r#"<dd id="phone">+44 20 7946 0958</dd>"#,
            r#"<dd id="referral_code">BABBAGE</dd>"#,
            r#"<dd id="plan_source">signup-page</dd>"#,
            r#"<dd id="age">36</dd>"#,
            r#"<dd id="height">165.5 cm</dd>"#,
            r#"<dd id="donation">12.50 €</dd>"#,
            r#"<dd id="newsletter">Yes</dd>"#,
            r#"<dd id="address">12 St James Square, London</dd>"#,
            r#"<dd id="country">United Kingdom</dd>"#,
            r#"<dd id="interests">Rust, Databases</dd>"#,
            r#"<dd id="plan">Pro (5 € a month)</dd>"#,
            r#"<dd id="birthday">1815-12-10</dd>"#,
            r#"<dd id="first_call">1843-07-01T10:30:00</dd>"#,
            r#"<dd id="call_time">07:15:00</dd>"#,
            r#"<dd id="avatar">-</dd>"#,
            r#"<dd id="documents">-</dd>"#,
        ],
    );
    assert!(!page.contains("analytical engine"), "{page}");
    // The welcome is flashed once; the data stays.
    let page = c.get("/done").send().await.text();
    assert!(!page.contains("Welcome, ada_lovelace!"), "{page}");
    assert!(
        page.contains(r#"<dd id="username">ada_lovelace</dd>"#),
        "{page}"
    );
}

#[tokio::test]
async fn optional_fields_may_be_left_empty_or_out() {
    let (c, token) = client().await;
    let form = form_with(
        &token,
        &[
            ("bio", Some("")),
            ("website", Some("")),
            // One empty entry sent: min_entries adds the other two, empty too.
            ("links-0", Some("")),
            ("links-1", None),
            ("links-2", None),
            ("phone", Some("")),
            ("referral_code", None),
            ("age", Some("")),
            ("height", Some(" ")),
            ("donation", Some("")),
            ("newsletter", None),
            ("birthday", Some("")),
            ("first_call", None),
            ("call_time", Some("")),
        ],
    );
    let r = c.post("/").form(&form).send().await;
    assert_eq!(r.status(), 302, "{}", r.text());
    let page = c.get("/done").send().await.text();
    assert_contains(
        &page,
        &[
            r#"<dd id="bio">-</dd>"#,
            r#"<dd id="website">-</dd>"#,
            r#"<dd id="links">-</dd>"#,
            r#"<dd id="phone">-</dd>"#,
            r#"<dd id="referral_code">-</dd>"#,
            r#"<dd id="age">-</dd>"#,
            r#"<dd id="height">-</dd>"#,
            r#"<dd id="donation">-</dd>"#,
            r#"<dd id="newsletter">No</dd>"#,
            r#"<dd id="birthday">-</dd>"#,
            r#"<dd id="first_call">-</dd>"#,
            r#"<dd id="call_time">-</dd>"#,
        ],
    );
}

/// An upload: the field, the file's name, its content type and its bytes.
type Upload<'a> = (&'a str, &'a str, &'a str, &'a [u8]);

/// [`VALID`] as a multipart form (what the page sends, with its enctype), plus `files`.
fn multipart_with(token: &str, files: &[Upload<'_>]) -> flask::testing::MultipartForm {
    let mut form = flask::testing::MultipartForm::new().text("csrf_token", token);
    for (name, value) in VALID {
        form = form.text(name, value);
    }
    for (field, filename, content_type, bytes) in files {
        form = form.file(field, filename, content_type, bytes.to_vec());
    }
    form
}

#[tokio::test]
async fn an_avatar_is_uploaded_checked_and_saved() {
    let (c, token) = client().await;
    let page = c.get("/").send().await.text();
    assert_contains(
        &page,
        &[
            r#"enctype="multipart/form-data""#,
            r#"<input accept=".png, .jpg, .jpeg" aria-describedby="avatar-description" id="avatar" name="avatar" type="file">"#,
        ],
    );
    // A wrong extension and a file too large: the messages, nothing saved.
    let r = c
        .post("/")
        .multipart(multipart_with(
            &token,
            &[("avatar", "notes.txt", "text/plain", b"hello")],
        ))
        .send()
        .await;
    assert_contains(
        &r.text(),
        &["File does not have an approved extension: png, jpg, jpeg"],
    );
    let big = vec![0u8; 1_000_001];
    let r = c
        .post("/")
        .multipart(multipart_with(
            &token,
            &[("avatar", "big.png", "image/png", &big)],
        ))
        .send()
        .await;
    assert_contains(&r.text(), &["File must be between 0 and 1000000 bytes."]);
    // A good one: saved under the user's name, shown on /done.
    let r = c
        .post("/")
        .multipart(multipart_with(
            &token,
            &[("avatar", "../My Photo.png", "image/png", b"\x89PNG..")],
        ))
        .send()
        .await;
    assert_eq!(r.status(), 302, "{}", r.text());
    let page = c.get("/done").send().await.text();
    assert_contains(&page, &[r#"<dd id="avatar">My_Photo.png (6 bytes)</dd>"#]);
    let saved = c
        .app()
        .instance_path()
        .join("avatars")
        .join("ada_lovelace-My_Photo.png");
    assert_eq!(std::fs::read(&saved).unwrap(), b"\x89PNG..");
    std::fs::remove_file(saved).unwrap();
}

#[tokio::test]
async fn several_documents_are_uploaded_checked_and_saved() {
    let (c, token) = client().await;
    let page = c.get("/").send().await.text();
    assert_contains(
        &page,
        &[
            r#"<input accept=".pdf, .png, .jpg, .jpeg" aria-describedby="documents-description" id="documents" multiple name="documents" type="file">"#,
        ],
    );
    // Each file is checked: one of the wrong kind, or one too large, fails the field.
    let r = c
        .post("/")
        .multipart(multipart_with(
            &token,
            &[
                ("documents", "cv.pdf", "application/pdf", b"%PDF-1"),
                ("documents", "notes.txt", "text/plain", b"hello"),
            ],
        ))
        .send()
        .await;
    assert_eq!(
        errors_of(&r.text(), "documents"),
        ["File does not have an approved extension: pdf, png, jpg, jpeg"]
    );
    let big = vec![0u8; 1_000_001];
    let r = c
        .post("/")
        .multipart(multipart_with(
            &token,
            &[
                ("documents", "cv.pdf", "application/pdf", b"%PDF-1"),
                ("documents", "scan.png", "image/png", &big),
            ],
        ))
        .send()
        .await;
    assert_eq!(
        errors_of(&r.text(), "documents"),
        ["File must be between 0 and 1000000 bytes."]
    );
    // Two good ones: both saved under the user's name, both shown on /done.
    let r = c
        .post("/")
        .multipart(multipart_with(
            &token,
            &[
                ("documents", "../CV 2024.pdf", "application/pdf", b"%PDF-1"),
                ("documents", "photo.JPG", "image/jpeg", b"JPG"),
            ],
        ))
        .send()
        .await;
    assert_eq!(r.status(), 302, "{}", r.text());
    let page = c.get("/done").send().await.text();
    assert_contains(
        &page,
        &[r#"<dd id="documents">CV_2024.pdf (6 bytes), photo.JPG (3 bytes)</dd>"#],
    );
    let folder = c.app().instance_path().join("documents");
    for (name, bytes) in [
        ("ada_lovelace-CV_2024.pdf", &b"%PDF-1"[..]),
        ("ada_lovelace-photo.JPG", &b"JPG"[..]),
    ] {
        let saved = folder.join(name);
        assert_eq!(std::fs::read(&saved).unwrap(), bytes, "{name}");
        std::fs::remove_file(saved).unwrap();
    }
}

#[tokio::test]
async fn links_past_the_third_are_dropped() {
    let (c, token) = client().await;
    // max_entries = 3: the fourth and fifth are not read (the fifth is no URL, and no
    // error comes of it).
    let mut form = form_with(&token, &[]);
    form.extend([
        ("links-3", "https://four.example.com"),
        ("links-4", "not a url"),
    ]);
    let r = c.post("/").form(&form).send().await;
    assert_eq!(r.status(), 302, "{}", r.text());
    let page = c.get("/done").send().await.text();
    assert!(!page.contains("four.example.com"), "{page}");
    assert!(
        page.contains("https://ada.example.com/blog</a></dd>"),
        "{page}"
    );
}
