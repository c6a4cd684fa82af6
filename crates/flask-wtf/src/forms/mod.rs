//! Typed forms: `#[derive(Form)]` structs, the `FlaskForm<T>` extractor with Flask-WTF's
//! flow (`validate_on_submit`, `errors`, re-rendering with what was typed), and their
//! rendering in templates.

mod layout;
mod process;
mod render;
mod schema;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use flask::minijinja::value::Value as TemplateValue;
use flask::{Error, Method, RequestContext, StatusCode};
use http::header;
use http_body_util::{BodyExt, Limited};
use serde_json::Value;

pub use flask::{FileStorage, secure_filename};
pub use schema::{CustomCheck, FieldKind, FieldSpec, Form, FormSchema, Validator};

use process::FieldState;
use render::{FieldView, FormView};

use crate::csrf::{CsrfSettings, CsrfValid, generate_csrf, validate_csrf};

/// A field handed to a custom validator: its name, label, what was typed and what it
/// became.
#[derive(Debug)]
pub struct FieldRef<'a> {
    pub(crate) spec: &'a FieldSpec,
    pub(crate) state: &'a FieldState,
}

impl FieldRef<'_> {
    /// The field's name.
    pub fn name(&self) -> &'static str {
        self.spec.name
    }

    /// Its label text.
    pub fn label(&self) -> &str {
        &self.spec.label
    }

    /// The first value sent for it, as typed.
    pub fn raw(&self) -> Option<&str> {
        self.state.raw.as_ref()?.first().map(String::as_str)
    }

    /// The coerced value (a JSON value: string, number, bool, list or null).
    pub fn data(&self) -> &Value {
        &self.state.data
    }

    /// The coerced value as text, if it is text.
    pub fn as_str(&self) -> Option<&str> {
        self.state.data.as_str()
    }
}

/// Errors a whole-form check adds (see [`FlaskForm::validate_on_submit_with`]).
#[derive(Debug, Default)]
pub struct FormErrors {
    fields: Vec<(String, String)>,
    form: Vec<String>,
}

impl FormErrors {
    /// An error on one field (`form.username.errors`).
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.fields.push((field.into(), message.into()));
    }

    /// An error on the whole form (`form.form_errors`).
    pub fn add_form_error(&mut self, message: impl Into<String>) {
        self.form.push(message.into());
    }

    /// Whether none was added.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.form.is_empty()
    }
}

/// The methods that submit a form (Flask-WTF's `SUBMIT_METHODS`).
const SUBMIT_METHODS: [Method; 4] = [Method::POST, Method::PUT, Method::PATCH, Method::DELETE];

/// Flask-WTF's `FlaskForm`, as an extractor: the form `T` filled from the request (an
/// urlencoded or JSON body of a POST, PUT, PATCH or DELETE), validated on demand, and shown
/// in templates with what was typed and its errors.
///
/// ```
/// use flask::{Error, Flask, Html, IntoResponse, Response, redirect, render_template_string, context};
/// use flask::routing::get;
/// use flask_wtf::{FlaskForm, Form};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Form, Serialize, Deserialize)]
/// #[form(csrf = false)]
/// struct Signup {
///     #[form(kind = "email", validate(data_required, email))]
///     email: String,
///     #[form(validate(optional, number_range(min = 13)))]
///     age: Option<i64>,
/// }
///
/// #[flask::view]
/// async fn signup(mut form: FlaskForm<Signup>) -> Result<Response, Error> {
///     if form.validate_on_submit() {
///         let data = form.into_data().unwrap();
///         return Ok(format!("welcome {}", data.email).into_response());
///     }
///     Ok(render_template_string(
///         "{{ form.email.label }} {{ form.email() }} {{ form.email.errors|join(', ') }}",
///         context! { form => form },
///     )?.into_response())
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = Flask::new("demo")
///     .configure(|c| c.set("SECRET_KEY", "dev"))
///     .route("/", get(signup).post(signup))
///     .test_client();
/// let page = client.get("/").send().await.text();
/// assert!(page.contains(r#"<input id="email" name="email" required type="email" value="">"#));
/// let page = client.post("/").form(&[("email", "nope")]).send().await.text();
/// assert!(page.contains(r#"value="nope""#) && page.contains("Invalid email address."));
/// let done = client.post("/").form(&[("email", "a@example.com"), ("age", "30")]).send().await;
/// assert_eq!(done.text(), "welcome a@example.com");
/// # }
/// ```
pub struct FlaskForm<T: Form> {
    ctx: RequestContext,
    submitted: bool,
    fields: Vec<FieldState>,
    form_errors: Vec<String>,
    csrf_token_sent: Option<String>,
    csrf_errors: Vec<String>,
    data: Option<T>,
    /// The fields of this request, nested forms and lists expanded.
    slots: Vec<layout::Slot>,
    /// The form's shape over the slots.
    layout: Vec<layout::Item>,
}

impl<T: Form> std::fmt::Debug for FlaskForm<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlaskForm")
            .field("form", &std::any::type_name::<T>())
            .field("submitted", &self.submitted)
            .field("errors", &self.errors())
            .finish()
    }
}

/// What a body sent: text values and files, by name, in order.
#[derive(Default)]
struct Submitted {
    text: BTreeMap<String, Vec<String>>,
    files: BTreeMap<String, Vec<FileStorage>>,
}

impl<T: Form> FlaskForm<T> {
    fn new(ctx: RequestContext, formdata: Option<Submitted>) -> Self {
        let submitted = formdata.is_some();
        let keys: Option<std::collections::BTreeSet<String>> = formdata
            .as_ref()
            .map(|f| f.text.keys().chain(f.files.keys()).cloned().collect());
        let mut slots = Vec::new();
        let layout = layout::expand(T::schema(), "", keys.as_ref(), None, &mut slots);
        let mut fields: Vec<FieldState> = slots
            .iter()
            .map(|slot| FieldState {
                data: process::initial(slot.spec, slot.initial.as_ref()),
                ..FieldState::default()
            })
            .collect();
        let mut csrf_token_sent = None;
        if let Some(mut formdata) = formdata {
            for (slot, state) in slots.iter().zip(fields.iter_mut()) {
                if matches!(slot.spec.kind, FieldKind::File | FieldKind::MultipleFiles) {
                    let files = formdata.files.remove(&slot.name).unwrap_or_default();
                    process::process_files(slot.spec, state, files);
                } else {
                    let values = formdata.text.remove(&slot.name).unwrap_or_default();
                    process::process(slot.spec, state, values);
                }
            }
            let field_name = csrf_field_name(&ctx);
            csrf_token_sent = formdata
                .text
                .remove(&field_name)
                .and_then(|v| v.into_iter().next());
        }
        FlaskForm {
            ctx,
            submitted,
            fields,
            form_errors: Vec::new(),
            csrf_token_sent,
            csrf_errors: Vec::new(),
            data: None,
            slots,
            layout,
        }
    }

    /// The slot of a field by its HTML name (`email`, `address-street`, `phones-0`).
    fn slot(&self, field: &str) -> Option<usize> {
        self.slots.iter().position(|s| s.name == field)
    }

    /// Flask-WTF's `is_submitted()`: the request is a POST, PUT, PATCH or DELETE.
    pub fn is_submitted(&self) -> bool {
        self.submitted
    }

    /// Fills an unsubmitted form from `obj` (WTForms' `Form(obj=user)`), to edit it; a
    /// submitted form keeps what was sent.
    pub fn with_obj(mut self, obj: &T) -> Self {
        if self.submitted {
            return self;
        }
        let Ok(initial) = serde_json::to_value(obj) else {
            return self;
        };
        let mut slots = Vec::new();
        self.layout = layout::expand(T::schema(), "", None, Some(&initial), &mut slots);
        self.fields = slots
            .iter()
            .map(|slot| FieldState {
                data: process::initial(slot.spec, slot.initial.as_ref()),
                ..FieldState::default()
            })
            .collect();
        self.slots = slots;
        self
    }

    /// Sets one field's value in an unsubmitted form (WTForms' `form.field.data = ...` before
    /// rendering): a hidden field filled from the query, say. A submitted form keeps what
    /// was sent. Fields of nested forms and lists go by their HTML name
    /// (`address-street`).
    ///
    /// # Errors
    /// If `field` is no field of the form, or `value` cannot be serialized.
    pub fn set_data(&mut self, field: &str, value: impl serde::Serialize) -> Result<(), Error> {
        let i = self
            .slot(field)
            .ok_or_else(|| Error::internal(format!("set_data: the form has no field {field:?}")))?;
        if !self.submitted {
            self.fields[i].data = serde_json::to_value(value).map_err(Error::internal)?;
        }
        Ok(())
    }

    /// Sets the choices of a select, select-multiple or radio field now (choices from the
    /// database): `form.set_choices("country", countries)`.
    pub fn set_choices<V: Into<String>, L: Into<String>>(
        &mut self,
        field: &str,
        choices: impl IntoIterator<Item = (V, L)>,
    ) {
        if let Some(i) = self.slot(field) {
            self.fields[i].choices = Some(
                choices
                    .into_iter()
                    .map(|(v, l)| (v.into(), l.into()))
                    .collect(),
            );
        }
    }

    /// Whether the form checks a CSRF token: the form has one and `WTF_CSRF_ENABLED`.
    fn csrf_enabled(&self) -> bool {
        T::schema().csrf
            && self
                .ctx
                .config()
                .get::<bool>("WTF_CSRF_ENABLED")
                .ok()
                .flatten()
                .unwrap_or(true)
    }

    /// WTForms' `validate()`: runs every field's validators (and the CSRF check); `true`
    /// when nothing is wrong, and then [`data`](Self::data) holds the typed form.
    pub fn validate(&mut self) -> bool {
        for i in 0..self.fields.len() {
            let errors = process::validate_field(&self.slots, i, &self.fields);
            self.fields[i].errors = errors;
        }
        self.csrf_errors.clear();
        if self.csrf_enabled()
            && self.ctx.g().get::<CsrfValid>().is_none()
            && let Err(e) = validate_csrf(&self.ctx, self.csrf_token_sent.as_deref())
        {
            self.csrf_errors.push(e.to_string());
        }
        if self.fields.iter().any(|f| !f.errors.is_empty()) || !self.csrf_errors.is_empty() {
            self.data = None;
            return false;
        }
        let data = layout::assemble(&self.layout, &self.slots, &self.fields);
        match serde_json::from_value::<T>(data) {
            Ok(data) => {
                self.data = Some(data);
                true
            }
            Err(e) => {
                self.form_errors
                    .push(format!("The form does not fit its type: {e}"));
                false
            }
        }
    }

    /// Flask-WTF's `validate_on_submit()`: submitted and valid.
    pub fn validate_on_submit(&mut self) -> bool {
        self.is_submitted() && self.validate()
    }

    /// `validate_on_submit()`, then `check` on the typed data for what the field validators
    /// cannot know (async allowed: "this username is taken" from the database). Errors it
    /// adds make the form invalid and show like the others.
    ///
    /// ```
    /// # #[derive(flask_wtf::Form, serde::Serialize, serde::Deserialize)]
    /// # #[form(csrf = false)]
    /// # struct Signup { username: String }
    /// # async fn taken(_: &str) -> bool { true }
    /// #[flask::view]
    /// async fn signup(mut form: flask_wtf::FlaskForm<Signup>) -> String {
    ///     let ok = form
    ///         .validate_on_submit_with(async |data, errors| {
    ///             if taken(&data.username).await {
    ///                 errors.add("username", format!("{} is taken.", data.username));
    ///             }
    ///         })
    ///         .await;
    ///     if ok { "welcome".into() } else { format!("{:?}", form.errors()) }
    /// }
    /// ```
    pub async fn validate_on_submit_with<F>(&mut self, check: F) -> bool
    where
        F: AsyncFnOnce(&T, &mut FormErrors),
    {
        if !self.validate_on_submit() {
            return false;
        }
        let mut errors = FormErrors::default();
        if let Some(data) = &self.data {
            check(data, &mut errors).await;
        }
        if errors.is_empty() {
            return true;
        }
        for (field, message) in errors.fields {
            self.add_error(&field, message);
        }
        self.form_errors.extend(errors.form);
        self.data = None;
        false
    }

    /// Adds an error to a field (or to the form, for a name that is no field), as a view
    /// does after its own checks; the form is then invalid.
    pub fn add_error(&mut self, field: &str, message: impl Into<String>) {
        match self.slot(field) {
            Some(i) => self.fields[i].errors.push(message.into()),
            None => self.form_errors.push(message.into()),
        }
        self.data = None;
    }

    /// The typed form, after a successful [`validate`](Self::validate).
    pub fn data(&self) -> Option<&T> {
        self.data.as_ref()
    }

    /// The typed form, after a successful [`validate`](Self::validate).
    pub fn into_data(self) -> Option<T> {
        self.data
    }

    /// WTForms' `form.errors`: the messages of each field that has some
    /// (`{"email": ["Invalid email address."]}`), the CSRF field's under its name.
    pub fn errors(&self) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = self
            .slots
            .iter()
            .zip(&self.fields)
            .filter(|(_, s)| !s.errors.is_empty())
            .map(|(slot, s)| (slot.name.clone(), s.errors.clone()))
            .collect();
        if !self.csrf_errors.is_empty() {
            out.insert(csrf_field_name(&self.ctx), self.csrf_errors.clone());
        }
        if !self.form_errors.is_empty() {
            out.insert(String::new(), self.form_errors.clone());
        }
        out
    }

    /// WTForms' `populate_obj(obj)`: copies the form's fields into `obj`'s fields of the
    /// same names (a model being edited), leaving its other fields as they are.
    ///
    /// # Errors
    /// When a field's value does not fit `obj`'s field of that name.
    pub fn populate_obj<M>(&self, obj: &mut M) -> Result<(), Error>
    where
        M: serde::Serialize + serde::de::DeserializeOwned,
    {
        let mut target = serde_json::to_value(&*obj).map_err(Error::internal)?;
        let Value::Object(map) = &mut target else {
            return Err(Error::internal(
                "populate_obj needs a struct with named fields",
            ));
        };
        let Value::Object(data) = layout::assemble(&self.layout, &self.slots, &self.fields) else {
            return Err(Error::internal(
                "populate_obj: the form's data is no object",
            ));
        };
        for (key, value) in data {
            if map.contains_key(&key) {
                map.insert(key, value);
            }
        }
        *obj = serde_json::from_value(target).map_err(Error::internal)?;
        Ok(())
    }

    /// The form for templates (what `context! { form => form }` puts there).
    fn view(&self) -> FormView {
        let errors = self.errors();
        let (items, hidden) = self.item_views(&self.layout);
        let csrf = if self.csrf_enabled() {
            let name = csrf_field_name(&self.ctx);
            generate_csrf(&self.ctx).ok().map(|token| {
                Arc::new(FieldView {
                    spec: FieldSpec::new("csrf_token", FieldKind::Hidden).label("CSRF Token"),
                    state: FieldState {
                        data: Value::String(token),
                        errors: self.csrf_errors.clone(),
                        ..FieldState::default()
                    },
                    name: name.clone(),
                    id: name,
                    csrf: true,
                })
            })
        } else {
            None
        };
        FormView {
            items,
            hidden,
            csrf,
            errors,
            form_errors: self.form_errors.clone(),
            nested: None,
        }
    }

    /// The template objects of `items`, and their hidden fields.
    fn item_views(
        &self,
        items: &[layout::Item],
    ) -> (Vec<(&'static str, TemplateValue)>, Vec<Arc<FieldView>>) {
        let mut hidden = Vec::new();
        let views = items
            .iter()
            .map(|item| {
                let value = match item {
                    layout::Item::Field(i) => {
                        let view = self.field_view(*i);
                        if view.spec.kind == FieldKind::Hidden {
                            hidden.push(view.clone());
                        }
                        TemplateValue::from_dyn_object(view)
                    }
                    other => self.nested_view(other),
                };
                (item.key(&self.slots), value)
            })
            .collect();
        (views, hidden)
    }

    fn field_view(&self, i: usize) -> Arc<FieldView> {
        let slot = &self.slots[i];
        Arc::new(FieldView {
            spec: slot.spec.clone(),
            state: self.fields[i].clone(),
            name: slot.name.clone(),
            id: slot.name.clone(),
            csrf: false,
        })
    }

    /// The errors of the fields whose names start with `prefix`.
    fn errors_under(&self, prefix: &str) -> BTreeMap<String, Vec<String>> {
        self.slots
            .iter()
            .zip(&self.fields)
            .filter(|(slot, s)| slot.name.starts_with(prefix) && !s.errors.is_empty())
            .map(|(slot, s)| (slot.name.clone(), s.errors.clone()))
            .collect()
    }

    fn nested_view(&self, item: &layout::Item) -> TemplateValue {
        match item {
            layout::Item::Field(i) => TemplateValue::from_dyn_object(self.field_view(*i)),
            layout::Item::Form { spec, name, items } => {
                let (items, hidden) = self.item_views(items);
                TemplateValue::from_object(FormView {
                    items,
                    hidden,
                    csrf: None,
                    errors: self.errors_under(&format!("{name}-")),
                    form_errors: Vec::new(),
                    nested: Some((name.clone(), spec.label.clone())),
                })
            }
            layout::Item::List {
                spec,
                name,
                entries,
            } => TemplateValue::from_object(render::ListView {
                name: name.clone(),
                label: spec.label.clone(),
                entries: entries.iter().map(|e| self.nested_view(e)).collect(),
                errors: self.errors_under(&format!("{name}-")),
            }),
        }
    }
}

fn csrf_field_name(ctx: &RequestContext) -> String {
    ctx.app()
        .state::<CsrfSettings>()
        .map(|s| s.field_name.clone())
        .or_else(|| {
            ctx.config()
                .get::<String>("WTF_CSRF_FIELD_NAME")
                .ok()
                .flatten()
        })
        .unwrap_or_else(|| "csrf_token".to_owned())
}

impl<T: Form> serde::Serialize for FlaskForm<T> {
    /// As a template object (`{{ form.email() }}`); outside templates, its errors.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        TemplateValue::from_object(self.view()).serialize(s)
    }
}

/// The limits a body is read within.
struct Limits {
    /// Whether a part of this name belongs to a file field (other files are not stored).
    file_field: fn(&str) -> bool,
    /// `MAX_FORM_MEMORY_SIZE`: the text of the fields together.
    memory: usize,
    /// `MAX_FORM_PARTS`: how many fields.
    parts: usize,
}

fn too_large(what: &str) -> Error {
    Error::with_description(StatusCode::PAYLOAD_TOO_LARGE, what.to_owned())
}

/// The body's fields: urlencoded, multipart (files streamed to disk), or a JSON object
/// (arrays give several values).
async fn read_formdata(req: Request, limits: Limits) -> Result<Submitted, Error> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if content_type.as_deref() == Some("multipart/form-data") {
        return read_multipart(req, limits).await;
    }
    let bytes: Bytes = match Limited::new(req.into_body(), limits.memory).collect().await {
        Ok(c) => c.to_bytes(),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            return Err(too_large(
                "The form data is larger than MAX_FORM_MEMORY_SIZE allows.",
            ));
        }
        Err(e) => {
            return Err(Error::with_description(
                StatusCode::BAD_REQUEST,
                format!("The request body could not be read: {e}"),
            ));
        }
    };
    let mut data = Submitted::default();
    match content_type.as_deref() {
        _ if bytes.is_empty() => {}
        None | Some("application/x-www-form-urlencoded") => {
            for (n, (k, v)) in form_urlencoded::parse(&bytes).enumerate() {
                if n >= limits.parts {
                    return Err(too_large(
                        "The form has more fields than MAX_FORM_PARTS allows.",
                    ));
                }
                data.text
                    .entry(k.into_owned())
                    .or_default()
                    .push(v.into_owned());
            }
        }
        Some(ct) if ct == "application/json" || ct.ends_with("+json") => {
            let json: Value = serde_json::from_slice(&bytes).map_err(|e| {
                Error::with_description(
                    StatusCode::BAD_REQUEST,
                    format!("The JSON body is malformed: {e}"),
                )
            })?;
            let Value::Object(map) = json else {
                return Err(Error::with_description(
                    StatusCode::BAD_REQUEST,
                    "A form sent as JSON must be an object of field names to values.",
                ));
            };
            let count: usize = map.values().map(|v| v.as_array().map_or(1, Vec::len)).sum();
            if count > limits.parts {
                return Err(too_large(
                    "The form has more fields than MAX_FORM_PARTS allows.",
                ));
            }
            for (k, v) in map {
                let values = match v {
                    Value::Array(items) => items.into_iter().map(json_text).collect(),
                    Value::Null | Value::Bool(false) => Vec::new(),
                    other => vec![json_text(other)],
                };
                data.text.insert(k, values);
            }
        }
        Some(other) => {
            return Err(Error::with_description(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "A form is read from application/x-www-form-urlencoded, multipart/form-data \
                     or application/json, not {other}."
                ),
            ));
        }
    }
    Ok(data)
}

/// A multipart body, read by the core (text within the form limits, files streamed to
/// temporary files), keeping only the files of the form's file fields.
async fn read_multipart(req: Request, limits: Limits) -> Result<Submitted, Error> {
    let keep = limits.file_field;
    let (text, files) = flask::FormData::read_multipart(req, &keep)
        .await?
        .into_parts();
    let mut data = Submitted::default();
    for (k, v) in text.iter() {
        data.text
            .entry(k.to_owned())
            .or_default()
            .push(v.to_owned());
    }
    for (k, f) in files.iter() {
        data.files.entry(k.to_owned()).or_default().push(f.clone());
    }
    Ok(data)
}

/// Whether `name` (`avatar`, `people-0-photo`) is the name of a file field of `T`: its last
/// part that is not an entry's index names a file field somewhere in the form.
fn is_file_field<T: Form>(name: &str) -> bool {
    fn names(schema: &'static FormSchema, out: &mut Vec<&'static str>) {
        for spec in &schema.fields {
            if matches!(spec.kind, FieldKind::File | FieldKind::MultipleFiles) {
                out.push(spec.name);
            }
            match &spec.sub {
                Some(schema::Sub::Form(sub)) => names(sub(), out),
                Some(schema::Sub::List { entry, .. }) => {
                    if matches!(entry.kind, FieldKind::File | FieldKind::MultipleFiles) {
                        out.push(entry.name);
                    }
                    if let Some(schema::Sub::Form(sub)) = &entry.sub {
                        names(sub(), out);
                    }
                }
                None => {}
            }
        }
    }
    let mut file_names = Vec::new();
    names(T::schema(), &mut file_names);
    let last = name
        .rsplit('-')
        .find(|part| !part.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or(name);
    file_names.contains(&last)
}

fn json_text(v: Value) -> String {
    match v {
        Value::String(s) => s,
        Value::Bool(true) => "y".to_owned(),
        other => other.to_string(),
    }
}

impl<T: Form, S: Send + Sync> FromRequest<S> for FlaskForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let ctx = RequestContext::try_current().ok_or_else(|| {
            Error::internal("FlaskForm is only available in requests served by a flask App")
                .into_response()
        })?;
        if !SUBMIT_METHODS.contains(req.method()) {
            return Ok(FlaskForm::new(ctx, None));
        }
        let config = ctx.config();
        let limits = Limits {
            file_field: is_file_field::<T>,
            memory: config
                .get("MAX_FORM_MEMORY_SIZE")
                .ok()
                .flatten()
                .unwrap_or(500_000),
            parts: config.get("MAX_FORM_PARTS").ok().flatten().unwrap_or(1000),
        };
        let data = read_formdata(req, limits)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(FlaskForm::new(ctx, Some(data)))
    }
}
