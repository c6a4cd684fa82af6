//! The flask-wtf cookbook: a sign-up form ("Create your account") with a field of every
//! WTForms kind, their validators and WTForms' messages, an async "this username is taken"
//! check, CSRF protection, and POST/redirect/GET to a page showing what was submitted.
//! Flask-WTF's programming model, on flask-rs.
//!
//! ```text
//! cargo run -p forms -- run
//! ```
//!
//! then open <http://127.0.0.1:5000/>. `cargo run -p forms -- routes` lists the pages. The
//! accounts live in memory (no database): they are gone when the server stops.
//!
//! | Flask-WTF / WTForms | here |
//! |---|---|
//! | `class SignupForm(FlaskForm)` with `StringField("Username", [DataRequired(), ...])` | [`Signup`]: `#[derive(Form)]` and `#[form(...)]` on each field |
//! | `StringField`, `TextAreaField`, `PasswordField`, `HiddenField` | `String` fields (`kind = "textarea"`, `"password"`, `"hidden"`) |
//! | `EmailField`, `URLField`, `SearchField`, `TelField` (`wtforms.fields.html5`) | `kind = "email"`, `"url"`, `"search"`, `"tel"` |
//! | `IntegerField`, `FloatField`, `DecimalField` | `Option<i64>`, `Option<f64>`, `Option<Decimal>` |
//! | `BooleanField`, `SubmitField` | `bool` (`kind = "submit"` for the button) |
//! | `SelectField`, `SelectMultipleField`, `RadioField` | `kind = "select"` / `Vec<String>` / `kind = "radio"`, with `choices = [...]` |
//! | `DateField`, `DateTimeLocalField`, `TimeField` | `Option<NaiveDate>`, `Option<NaiveDateTime>`, `Option<NaiveTime>` |
//! | `FileField`, `MultipleFileField` | `Option<FileStorage>`, `Vec<FileStorage>` |
//! | `FormField(AddressForm)` | [`Address`]: a `#[derive(Form)]` struct, `kind = "form"` |
//! | `FieldList(URLField(...), min_entries=3, max_entries=3)` | `Vec<String>` with `list(min_entries = 3, max_entries = 3)` |
//! | `Length(3, 20)`, `Regexp(r"^[a-z0-9_]+$", message=...)`, `EqualTo("password")`, `Optional()`, `NumberRange(13, 130)`, `Email()`, `URL()` | `validate(length(min = 3, max = 20), regexp(pattern = "...", message = "..."), equal_to = "password", optional, number_range(min = 13, max = 130), email, url)` |
//! | a `validate_interests(form, field)` method | `validate(custom = at_least_one)`: a `fn(&FieldRef) -> Result<(), String>` |
//! | `form.validate_on_submit()` then a query: "username taken" | [`signup`]: `form.validate_on_submit_with(async \|data, errors\| ...)` |
//! | `form.username.errors.append(...)` | `form.add_error("username", ...)` |
//! | `csrf = CSRFProtect(app)`, `{{ form.hidden_tag() }}` | `.extension(CsrfProtect::new())`, the same in `templates/signup.html` |
//! | the `render_field` macro of WTForms' docs (`_formhelpers.html`) | the same, in `templates/_formhelpers.html` (nested forms and lists too) |

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use flask::routing::get;
use flask::{
    Error, Flask, IntoResponse, RequestContext, Response, Session, State, context, redirect,
    render_template,
};
use flask_wtf::{CsrfProtect, FieldRef, FileStorage, FlaskForm, Form};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Usernames nobody can have (refused by the async check, as taken ones are).
pub const RESERVED_USERNAMES: [&str; 2] = ["admin", "root"];

/// The countries of the select; the first is the "nothing chosen yet" placeholder, which
/// `data_required` refuses.
pub const COUNTRIES: [(&str, &str); 6] = [
    ("", "Choose a country"),
    ("fr", "France"),
    ("de", "Germany"),
    ("jp", "Japan"),
    ("gb", "United Kingdom"),
    ("us", "United States"),
];

/// The interests of the multiple select.
pub const INTERESTS: [(&str, &str); 4] = [
    ("rust", "Rust"),
    ("python", "Python"),
    ("web", "The web"),
    ("databases", "Databases"),
];

/// The plans of the radio buttons.
pub const PLANS: [(&str, &str); 3] = [
    ("free", "Free"),
    ("pro", "Pro (5 € a month)"),
    ("team", "Team (20 € a month)"),
];

/// The postal address, a form nested in [`Signup`] (WTForms' `FormField`): its fields are
/// named `address-street` and `address-city` in the page.
#[derive(Debug, Clone, PartialEq, Form, Serialize, Deserialize)]
#[form(csrf = false)]
pub struct Address {
    /// Required, 100 characters at most.
    #[form(
        validate(data_required, length(max = 100)),
        render_kw(autocomplete = "street-address")
    )]
    pub street: String,
    /// Required, 60 characters at most.
    #[form(
        validate(data_required, length(max = 60)),
        render_kw(autocomplete = "address-level2")
    )]
    pub city: String,
}

/// The sign-up form: one field of each WTForms kind. The struct is also the typed data
/// `form.data()` gives once the form is valid.
#[derive(Debug, Form, Serialize, Deserialize)]
pub struct Signup {
    /// `StringField`: required, 3 to 20 characters, lower-case letters, digits and `_`
    /// (the browser checks the same through `minlength`, `maxlength` and `pattern`), and
    /// not taken (the async check in [`signup`]).
    #[form(
        label = "Username",
        description = "3 to 20 characters: lower-case letters, digits and _.",
        validate(
            data_required,
            length(min = 3, max = 20),
            regexp(
                pattern = "^[a-z0-9_]+$",
                message = "Use lower-case letters, digits and _ only."
            )
        ),
        render_kw(autocomplete = "username")
    )]
    pub username: String,
    /// `EmailField`: required and an email address.
    #[form(
        label = "Email address",
        kind = "email",
        validate(data_required, email),
        render_kw(autocomplete = "email")
    )]
    pub email: String,
    /// `PasswordField`: at least 8 characters; never sent back to the browser.
    #[form(
        kind = "password",
        validate(data_required, length(min = 8)),
        render_kw(autocomplete = "new-password")
    )]
    pub password: String,
    /// `PasswordField` again: the same as `password` (`EqualTo`).
    #[form(
        label = "Repeat password",
        kind = "password",
        validate(data_required, equal_to = "password"),
        render_kw(autocomplete = "new-password")
    )]
    pub confirm: String,
    /// `TextAreaField`: at most 300 characters.
    #[form(
        kind = "textarea",
        description = "Optional, at most 300 characters.",
        validate(length(max = 300)),
        render_kw(rows = "3")
    )]
    pub bio: String,
    /// `URLField`: empty, or an absolute URL.
    #[form(
        kind = "url",
        validate(optional, url),
        render_kw(placeholder = "https://")
    )]
    pub website: Option<String>,
    /// `FieldList(URLField)`: up to three other pages (a blog, a code forge), each empty
    /// or an absolute URL (entries named `links-0`, `links-1`, `links-2`). No JavaScript
    /// adds entries here, so the page shows all three (`min_entries`); more sent are
    /// dropped (`max_entries`).
    #[form(
        label = "Other links",
        kind = "url",
        list(min_entries = 3, max_entries = 3),
        validate(optional, url),
        render_kw(placeholder = "https://")
    )]
    pub links: Vec<String>,
    /// `TelField`: free text (phone numbers have too many shapes to check).
    #[form(
        label = "Phone",
        kind = "tel",
        render_kw(placeholder = "+33 6 12 34 56 78", autocomplete = "tel")
    )]
    pub phone: Option<String>,
    /// `SearchField`: a referral code, if a friend gave one.
    #[form(label = "Referral code", kind = "search")]
    pub referral_code: Option<String>,
    /// `HiddenField`: where the sign-up came from, rendered by `form.hidden_tag()`.
    #[form(kind = "hidden", default = "signup-page")]
    pub plan_source: String,
    /// `IntegerField`: empty, or 13 to 130.
    #[form(validate(optional, number_range(min = 13, max = 130)))]
    pub age: Option<i64>,
    /// `FloatField`: empty, or 50 to 250.
    #[form(
        label = "Height (cm)",
        validate(optional, number_range(min = 50, max = 250))
    )]
    pub height: Option<f64>,
    /// `DecimalField`: an exact amount, empty or at least 0.
    #[form(
        label = "Donation (€)",
        description = "Optional: anything helps.",
        validate(optional, number_range(min = 0))
    )]
    pub donation: Option<Decimal>,
    /// `BooleanField`: a checkbox.
    #[form(
        label = "Send me the newsletter",
        description = "Once a month, no more."
    )]
    pub newsletter: bool,
    /// `FormField`: the postal address, a form of its own.
    #[form(kind = "form", label = "Postal address")]
    pub address: Address,
    /// `SelectField`: one of [`COUNTRIES`], the placeholder refused.
    #[form(kind = "select", choices = COUNTRIES, validate(data_required))]
    pub country: String,
    /// `SelectMultipleField`: some of [`INTERESTS`], at least one (a custom validator).
    #[form(
        description = "Pick one or more (Ctrl-click for several).",
        choices = INTERESTS,
        validate(custom = at_least_one)
    )]
    pub interests: Vec<String>,
    /// `RadioField`: one of [`PLANS`].
    #[form(kind = "radio", choices = PLANS, validate(data_required))]
    pub plan: String,
    /// `DateField`: empty, or a date.
    pub birthday: Option<NaiveDate>,
    /// `DateTimeLocalField`: when to call for the first time.
    #[form(label = "First call")]
    pub first_call: Option<NaiveDateTime>,
    /// `TimeField`: the best time of day to call.
    #[form(label = "Best time to call")]
    pub call_time: Option<NaiveTime>,
    /// `FileField`: an optional picture, PNG or JPEG, 1 MB at most (saved to
    /// `instance/avatars/`).
    #[form(
        description = "Optional: a PNG or JPEG picture, 1 MB at most.",
        validate(file_allowed = ["png", "jpg", "jpeg"], file_size(max = 1_000_000))
    )]
    pub avatar: Option<FileStorage>,
    /// `MultipleFileField`: any number of PDFs or pictures, 1 MB each at most (saved to
    /// `instance/documents/`).
    #[form(
        description = "Optional: PDFs or pictures, 1 MB each at most.",
        validate(file_allowed = ["pdf", "png", "jpg", "jpeg"], file_size(max = 1_000_000))
    )]
    pub documents: Vec<FileStorage>,
    /// `SubmitField`: the button (its data says whether it was pressed).
    #[form(label = "Sign up", kind = "submit")]
    pub submit: bool,
}

// ANCHOR: custom_validator
/// The custom validator of `interests` (WTForms' inline `validate_interests`): a plain
/// function, run with the field's other validators.
fn at_least_one(field: &FieldRef<'_>) -> Result<(), String> {
    match field.data().as_array() {
        Some(chosen) if !chosen.is_empty() => Ok(()),
        _ => Err("Pick at least one interest.".to_owned()),
    }
}
// ANCHOR_END: custom_validator

/// A registered account: what the form gave, without the passwords (a real app stores a
/// hash of `password`, with `flask_login::hash_password`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// Unique.
    pub username: String,
    /// As typed.
    pub email: String,
    /// Possibly empty.
    pub bio: String,
    /// An absolute URL.
    pub website: Option<String>,
    /// The other links typed (the empty entries left out).
    pub links: Vec<String>,
    /// As typed.
    pub phone: Option<String>,
    /// As typed.
    pub referral_code: Option<String>,
    /// The hidden field's value.
    pub plan_source: String,
    /// 13 to 130.
    pub age: Option<i64>,
    /// In centimetres.
    pub height: Option<f64>,
    /// Exact.
    pub donation: Option<Decimal>,
    /// Whether the newsletter was asked for.
    pub newsletter: bool,
    /// Where they live.
    pub address: Address,
    /// One of [`COUNTRIES`].
    pub country: String,
    /// Some of [`INTERESTS`].
    pub interests: Vec<String>,
    /// One of [`PLANS`].
    pub plan: String,
    /// The birthday.
    pub birthday: Option<NaiveDate>,
    /// When to call the first time.
    pub first_call: Option<NaiveDateTime>,
    /// The best time of day to call.
    pub call_time: Option<NaiveTime>,
    /// The uploaded picture's safe name and size, if one was sent.
    pub avatar: Option<String>,
    /// The uploaded documents' safe names and sizes.
    pub documents: Vec<String>,
}

/// A file's safe name and size, as `/done` shows it.
fn describe(file: &FileStorage) -> String {
    format!("{} ({} bytes)", file.secure_filename(), file.len())
}

impl From<&Signup> for Account {
    fn from(s: &Signup) -> Self {
        Account {
            username: s.username.clone(),
            email: s.email.clone(),
            bio: s.bio.clone(),
            website: s.website.clone(),
            links: s.links.iter().filter(|l| !l.is_empty()).cloned().collect(),
            phone: s.phone.clone(),
            referral_code: s.referral_code.clone(),
            plan_source: s.plan_source.clone(),
            age: s.age,
            height: s.height,
            donation: s.donation,
            newsletter: s.newsletter,
            address: s.address.clone(),
            country: s.country.clone(),
            interests: s.interests.clone(),
            plan: s.plan.clone(),
            birthday: s.birthday,
            first_call: s.first_call,
            call_time: s.call_time,
            avatar: s.avatar.as_ref().map(describe),
            documents: s.documents.iter().map(describe).collect(),
        }
    }
}

/// The accounts, in memory (app state), by username.
#[derive(Debug, Default)]
pub struct Users(Mutex<BTreeMap<String, Account>>);

impl Users {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Account>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `username` is reserved or registered. Async as a database query would be
    /// (this is where a real app asks its database).
    pub async fn is_taken(&self, username: &str) -> bool {
        RESERVED_USERNAMES.contains(&username) || self.lock().contains_key(username)
    }

    /// Registers `account`; `false` when its username was taken in the meantime.
    pub fn insert(&self, account: Account) -> bool {
        match self.lock().entry(account.username.clone()) {
            Entry::Occupied(_) => false,
            Entry::Vacant(slot) => {
                slot.insert(account);
                true
            }
        }
    }

    /// The account of `username`.
    pub fn get(&self, username: &str) -> Option<Account> {
        self.lock().get(username).cloned()
    }
}

/// The app.
///
/// Config: `FLASK_*` environment variables (and `.env`) override any key. Without
/// `FLASK_SECRET_KEY` a key made on the first start and kept in `instance/secret_key` signs
/// the session cookie and the CSRF tokens, so a form opened before a restart still posts.
pub fn app() -> Flask {
    Flask::new(flask::app_root!())
        .config_from_prefixed_env("FLASK")
        .secret_key_file("secret_key")
        .extension(CsrfProtect::new())
        .state(Users::default())
        .route("/", get(signup).post(signup).endpoint("signup"))
        .route("/done", get(done))
}

// ANCHOR: signup
/// `GET /`: the empty form. `POST /`: checks it; a valid one whose username is free
/// registers the account, flashes "Welcome, {username}!" and redirects to `/done`; anything
/// else shows the form again with the errors and what was typed (the passwords excepted).
#[flask::view]
pub async fn signup(
    ctx: RequestContext,
    session: Session,
    State(users): State<Users>,
    mut form: FlaskForm<Signup>,
) -> Result<Response, Error> {
    let valid = form
        .validate_on_submit_with(async |data, errors| {
            if users.is_taken(&data.username).await {
                errors.add(
                    "username",
                    format!("The username {} is taken.", data.username),
                );
            }
        })
        .await;
    if valid && let Some(data) = form.data() {
        let account = Account::from(data);
        let username = account.username.clone();
        let instance = ctx.app().instance_path();
        if let Some(avatar) = &data.avatar {
            save(avatar, &instance.join("avatars"), &username).await?;
        }
        for document in &data.documents {
            save(document, &instance.join("documents"), &username).await?;
        }
        // Another sign-up may have taken the name since the check: the insert decides.
        if users.insert(account) {
            session.insert("username", &username);
            session.flash(format!("Welcome, {username}!"), "success");
            return Ok(redirect(ctx.url_for("done").build()?).into_response());
        }
        form.add_error("username", format!("The username {username} is taken."));
    }
    Ok(render_template("signup.html", context! { form => form })?.into_response())
}
// ANCHOR_END: signup

/// Saves an upload as `folder/{username}-{safe name}`: named by the server, never by the
/// client's file name alone.
async fn save(file: &FileStorage, folder: &std::path::Path, username: &str) -> Result<(), Error> {
    tokio::fs::create_dir_all(folder)
        .await
        .map_err(Error::internal)?;
    let name = format!("{username}-{}", file.secure_filename());
    file.save(folder.join(name)).await.map_err(Error::internal)
}

/// `GET /done`: the account just created (the session names it), with the labels of the
/// chosen country, interests and plan; back to the form without one.
#[flask::view]
pub async fn done(
    ctx: RequestContext,
    session: Session,
    State(users): State<Users>,
) -> Result<Response, Error> {
    let Some(account) = session
        .get::<String>("username")
        .and_then(|name| users.get(&name))
    else {
        return Ok(redirect(ctx.url_for("signup").build()?).into_response());
    };
    let label = |choices: &[(&'static str, &'static str)], value: &str| {
        choices
            .iter()
            .find(|(v, _)| *v == value)
            .map_or_else(|| value.to_owned(), |(_, l)| (*l).to_owned())
    };
    let interests: Vec<String> = account
        .interests
        .iter()
        .map(|i| label(&INTERESTS, i))
        .collect();
    Ok(render_template(
        "done.html",
        context! {
            country => label(&COUNTRIES, &account.country),
            plan => label(&PLANS, &account.plan),
            interests,
            account,
        },
    )?
    .into_response())
}
