//! What a resource method gets: the request, with Flask-RESTful's ways in (view arguments,
//! `reqparse`'s arguments, the JSON body) and any extractor.

use std::str::FromStr;

use axum::extract::FromRequestParts;
use axum::response::IntoResponse;
use bytes::Bytes;
use flask::RequestContext;
use http::request::Parts;
use http_body_util::{BodyExt, Limited};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use validator::{Validate, ValidationErrorsKind};

use crate::ApiError;

/// Flask-RESTful's message for an argument that was required and not sent.
pub const MISSING_ARGUMENT: &str =
    "Missing required parameter in the JSON body or the post body or the query string";

/// The request a resource method handles.
#[derive(Debug)]
pub struct ApiRequest {
    pub(crate) ctx: RequestContext,
    pub(crate) parts: Parts,
    pub(crate) body: Option<axum::body::Body>,
    pub(crate) read: Option<Bytes>,
    /// The Api serving the request (its resources' endpoints, for `url_for_resource`).
    pub(crate) shared: Option<std::sync::Arc<crate::api::Shared>>,
}

impl ApiRequest {
    /// The request context (config, `g`, `url_for`, the session).
    pub fn ctx(&self) -> &RequestContext {
        &self.ctx
    }

    /// The request's method.
    pub fn method(&self) -> &http::Method {
        &self.parts.method
    }

    /// The request's headers.
    pub fn headers(&self) -> &http::HeaderMap {
        &self.parts.headers
    }

    /// A value from the URL (`todo_id` of `/todos/<todo_id>`), as a `T`. A name the rule
    /// does not have is a 500 (a mistake in the resource); a value that does not parse is a
    /// 404, as a converter's would be.
    pub fn path<T: FromStr>(&self, name: &str) -> Result<T, ApiError> {
        let value = self
            .ctx
            .view_args()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
            .ok_or_else(|| {
                tracing::error!("the resource asked for <{name}>, which its rule does not have");
                ApiError::new(500)
            })?;
        value.parse().map_err(|_| ApiError::new(404))
    }

    /// Any extractor that reads the request's head (`Db`, `CurrentUser<User>`, `Session`).
    /// A rejection is an API error with its status.
    pub async fn extract<E: FromRequestParts<()>>(&mut self) -> Result<E, ApiError> {
        E::from_request_parts(&mut self.parts, &())
            .await
            .map_err(|rejection| ApiError::new(rejection.into_response().status().as_u16()))
    }

    /// The body, read once (within `MAX_CONTENT_LENGTH`: a 413 beyond).
    async fn bytes(&mut self) -> Result<Bytes, ApiError> {
        if let Some(read) = &self.read {
            return Ok(read.clone());
        }
        let limit: Option<usize> = self.ctx.config().get("MAX_CONTENT_LENGTH").ok().flatten();
        let body = self.body.take().unwrap_or_default();
        let bytes = match limit {
            Some(limit) => Limited::new(body, limit)
                .collect()
                .await
                .map(http_body_util::Collected::to_bytes)
                .map_err(|_| ApiError::new(413))?,
            None => body
                .collect()
                .await
                .map(http_body_util::Collected::to_bytes)
                .map_err(|_| ApiError::new(400))?,
        };
        self.read = Some(bytes.clone());
        Ok(bytes)
    }

    /// `MAX_FORM_MEMORY_SIZE`, `MAX_FORM_PARTS` and `MAX_JSON_PARTS`: what a body may turn
    /// into once parsed (a 413 beyond).
    fn limits(&self) -> flask::BodyLimits {
        flask::BodyLimits::from_config(self.ctx.config())
    }

    fn content_type(&self) -> Option<String> {
        self.parts
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
    }

    /// The JSON body as a `T` (`request.get_json()`); a malformed one is a 400 saying why.
    pub async fn json<T: DeserializeOwned>(&mut self) -> Result<T, ApiError> {
        let bytes = self.bytes().await?;
        self.limits().check_json(&bytes)?;
        serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::new(400).message(format!("Failed to decode JSON object: {e}")))
    }

    /// The typed successor of `reqparse`'s `parse_args()`: the fields of `T` from the JSON
    /// body or, for a form or no body, from the form and the query string (strings there
    /// become numbers and booleans as `T` asks). Keep a field optional with `Option` or
    /// `#[serde(default)]`; validate choices with an enum (`#[serde(rename_all = ...)]`).
    ///
    /// A failure is a 400 with Flask-RESTful's body, naming the field:
    /// `{"message": {"task": "Missing required parameter in the JSON body or the post body
    /// or the query string"}}`. Every wrong value is reported, and the first missing field
    /// ([`parse_args`](Self::parse_args) reports every missing one too).
    pub async fn args<T: DeserializeOwned>(&mut self) -> Result<T, ApiError> {
        let is_json = self
            .content_type()
            .is_some_and(|ct| ct == "application/json" || ct.ends_with("+json"));
        let query = self.parts.uri.query().unwrap_or("").to_owned();
        let bytes = self.bytes().await?;
        let mut errors = Map::new();
        if is_json && !bytes.is_empty() {
            self.limits().check_json(&bytes)?;
            let mut map = json_object(&bytes)?;
            // Arguments not in the body may come from the query string ("values").
            for (k, v) in form_urlencoded::parse(query.as_bytes()) {
                map.entry(k.into_owned())
                    .or_insert_with(|| Value::String(v.into_owned()));
            }
            return from_map(map, &mut errors).ok_or_else(|| bad_request(errors));
        }
        let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let is_form = self
            .content_type()
            .is_none_or(|ct| ct == "application/x-www-form-urlencoded");
        if is_form {
            self.limits().check_form(&bytes)?;
            pairs.extend(form_urlencoded::parse(&bytes).into_owned());
        }
        bundled(&mut errors, |dropped| {
            let encoded = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs.iter().filter(|(k, _)| !dropped.contains(k)))
                .finish();
            let de =
                serde_urlencoded::Deserializer::new(form_urlencoded::parse(encoded.as_bytes()));
            serde_path_to_error::deserialize(de)
        })
        .ok_or_else(|| bad_request(errors))
    }

    /// [`args`](Self::args), then `T`'s `validator` rules (`#[derive(Validate)]`): a value
    /// they refuse is a 400 of the same shape, every field at once,
    /// `{"message": {"name": "length must be between 3 and 20"}}`.
    pub async fn valid_args<T: DeserializeOwned + Validate>(&mut self) -> Result<T, ApiError> {
        let args: T = self.args().await?;
        validated(args, &ArgOptions::default())
    }
}

/// The body as a JSON object of argument names to values, or the 400 saying why not.
fn json_object(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::new(400)
            .message("The JSON body must be an object of argument names to values.")),
        Err(e) => Err(ApiError::new(400).message(format!("Failed to decode JSON object: {e}"))),
    }
}

/// `{"message": {"field": "what was wrong", ...}}`, Flask-RESTful's shape.
fn bad_request(errors: Map<String, Value>) -> ApiError {
    ApiError::new(400).message(Value::Object(errors))
}

/// `T` from the values, or `None` with every field serde refuses added to `errors`.
fn from_map<T: DeserializeOwned>(
    mut values: Map<String, Value>,
    errors: &mut Map<String, Value>,
) -> Option<T> {
    // Fields already refused are not read again.
    values.retain(|k, _| !errors.contains_key(k));
    bundled(errors, |dropped| {
        let mut values = values.clone();
        values.retain(|k, _| !dropped.contains(k));
        serde_path_to_error::deserialize(Value::Object(values))
    })
}

/// Deserializes again without each field that failed, until nothing fails but what is
/// missing: serde stops at the first error, `bundle_errors=True` does not.
/// The most failing arguments one 400 names.
const MAX_BUNDLED: usize = 50;

fn bundled<T, E: std::fmt::Display>(
    errors: &mut Map<String, Value>,
    mut attempt: impl FnMut(&[String]) -> Result<T, serde_path_to_error::Error<E>>,
) -> Option<T> {
    let mut dropped: Vec<String> = Vec::new();
    loop {
        match attempt(&dropped) {
            Ok(value) => return errors.is_empty().then_some(value),
            Err(e) => {
                let (field, message, missing) = argument_error(&e);
                let known = errors.contains_key(&field) || dropped.contains(&field);
                if !known {
                    errors.insert(field.clone(), Value::String(message));
                }
                // A missing field has no value to leave out: the derived visitor reports
                // those after every value, and the first one ends the search. Each try
                // reads the whole request again: past MAX_BUNDLED errors, stop (a map
                // argument with thousands of bad keys must not cost thousands of reads).
                if known || missing || field == "body" || errors.len() >= MAX_BUNDLED {
                    return None;
                }
                dropped.push(field);
            }
        }
    }
}

/// The field an error is about and Flask-RESTful's message for it, and whether the field
/// is missing.
fn argument_error<E: std::fmt::Display>(
    e: &serde_path_to_error::Error<E>,
) -> (String, String, bool) {
    let inner = e.inner().to_string();
    let field = match e.path().iter().next() {
        Some(serde_path_to_error::Segment::Map { key }) => key.clone(),
        Some(_) => "body".to_owned(),
        // An argument itself missing (a field missing inside one is that one's error).
        None => match inner
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            Some(field) => return (field.to_owned(), MISSING_ARGUMENT.to_owned(), true),
            None => "body".to_owned(),
        },
    };
    let message = if let Some(variant) = inner
        .strip_prefix("unknown variant `")
        .and_then(|rest| rest.split('`').next())
    {
        format!("{variant} is not a valid choice")
    } else if inner.starts_with("invalid type: null") {
        crate::coerce::MUST_NOT_BE_NULL.to_owned()
    } else {
        inner
    };
    (field, message, false)
}

/// `T` if its `validator` rules pass, else the 400 naming every refused field.
fn validated<T: Validate>(args: T, options: &ArgOptions) -> Result<T, ApiError> {
    match args.validate() {
        Ok(()) => Ok(args),
        Err(refused) => {
            let mut messages = Vec::new();
            validation_messages("", &refused, &mut messages);
            messages.sort();
            let mut errors = Map::new();
            for (field, message) in messages {
                errors.insert(field, Value::String(message));
            }
            options.apply_help(&mut errors);
            Err(bad_request(errors))
        }
    }
}

/// `(field, message)` for each field `validator` refused; nested ones as `address.city`
/// and `items[0].name`, several messages of a field joined with `; `.
fn validation_messages(
    prefix: &str,
    refused: &validator::ValidationErrors,
    out: &mut Vec<(String, String)>,
) {
    for (field, kind) in refused.errors() {
        let name = format!("{prefix}{field}");
        match kind {
            ValidationErrorsKind::Field(errors) => {
                let message: Vec<String> = errors.iter().map(validation_message).collect();
                out.push((name, message.join("; ")));
            }
            ValidationErrorsKind::Struct(inner) => {
                validation_messages(&format!("{name}."), inner, out);
            }
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    validation_messages(&format!("{name}[{index}]."), inner, out);
                }
            }
        }
    }
}

/// The rule's `message`, or one made from its code and parameters.
fn validation_message(error: &validator::ValidationError) -> String {
    if let Some(message) = &error.message {
        return message.to_string();
    }
    let param = |name: &str| {
        error.params.get(name).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    };
    let bounds = |between: &str| -> Option<String> {
        let mut parts = Vec::new();
        match (param("min"), param("max")) {
            (Some(min), Some(max)) => parts.push(format!("{between} {min} and {max}")),
            (Some(min), None) => parts.push(format!("at least {min}")),
            (None, Some(max)) => parts.push(format!("at most {max}")),
            (None, None) => {}
        }
        if let Some(min) = param("exclusive_min") {
            parts.push(format!("greater than {min}"));
        }
        if let Some(max) = param("exclusive_max") {
            parts.push(format!("less than {max}"));
        }
        (!parts.is_empty()).then(|| parts.join(" and "))
    };
    match error.code.as_ref() {
        "length" => match param("equal") {
            Some(equal) => format!("length must be {equal}"),
            None => bounds("between").map_or_else(
                || "length is not allowed".to_owned(),
                |b| format!("length must be {b}"),
            ),
        },
        "range" => bounds("between")
            .map_or_else(|| "is out of range".to_owned(), |b| format!("must be {b}")),
        "email" => "must be a valid email address".to_owned(),
        "url" => "must be a valid URL".to_owned(),
        "ip" => "must be a valid IP address".to_owned(),
        "credit_card" => "must be a valid credit card number".to_owned(),
        "contains" => format!("must contain '{}'", param("needle").unwrap_or_default()),
        "does_not_contain" => {
            format!("must not contain '{}'", param("needle").unwrap_or_default())
        }
        "must_match" => "does not match the field it must match".to_owned(),
        "regex" => "is not in the expected format".to_owned(),
        "non_control_character" => "must not contain control characters".to_owned(),
        "required" => MISSING_ARGUMENT.to_owned(),
        code => format!("is not valid ({code})"),
    }
}

/// Where some arguments of [`ApiRequest::parse_args_with`] come from, and how they are
/// read: reqparse's `location=`, `trim=` and `help=`.
///
/// ```
/// use flask_restful::ArgOptions;
/// let options = ArgOptions::new()
///     .header("api_key", "X-API-Key")        // location="headers"
///     .cookie("theme", "theme")              // location="cookies"
///     .trim_field("name")                    // trim=True on one argument
///     .help("rate", "Rate must be a number: {error_msg}");
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Default)]
pub struct ArgOptions {
    headers: Vec<(String, String)>,
    cookies: Vec<(String, String)>,
    trim: bool,
    trim_fields: Vec<String>,
    help: Vec<(String, String)>,
}

impl ArgOptions {
    /// Options that change nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Where `field` is read when not from the query or body: `("header", name)` or
    /// `("cookie", name)` (for parsing and for the OpenAPI document).
    pub(crate) fn location_of(&self, field: &str) -> Option<(&'static str, &str)> {
        fn find<'a>(list: &'a [(String, String)], field: &str) -> Option<&'a str> {
            list.iter()
                .find(|(f, _)| f == field)
                .map(|(_, name)| name.as_str())
        }
        find(&self.headers, field)
            .map(|name| ("header", name))
            .or_else(|| find(&self.cookies, field).map(|name| ("cookie", name)))
    }

    /// `field` is read from the request header `header` (only there). Each header line is
    /// one value: a list field takes every line of a repeated header (`action="append"`),
    /// any other field the first.
    pub fn header(mut self, field: &str, header: &str) -> Self {
        self.headers.push((field.to_owned(), header.to_owned()));
        self
    }

    /// `field` is read from the cookie `cookie` (only there). A list field takes every
    /// cookie of that name (`Cookie: tag=a; tag=b`), any other field the first.
    pub fn cookie(mut self, field: &str, cookie: &str) -> Self {
        self.cookies.push((field.to_owned(), cookie.to_owned()));
        self
    }

    /// Every argument's text loses its surrounding whitespace (`trim=True` on all of them),
    /// strings of a JSON body too.
    pub fn trim(mut self) -> Self {
        self.trim = true;
        self
    }

    /// `field`'s text loses its surrounding whitespace (`trim=True` on that argument only).
    pub fn trim_field(mut self, field: &str) -> Self {
        self.trim_fields.push(field.to_owned());
        self
    }

    /// The message when `field` is wrong (`help=`); `{error_msg}` in it is the message it
    /// replaces.
    pub fn help(mut self, field: &str, message: &str) -> Self {
        self.help.push((field.to_owned(), message.to_owned()));
        self
    }

    fn trims(&self, field: &str) -> bool {
        self.trim || self.trim_fields.iter().any(|f| f == field)
    }

    fn apply_help(&self, errors: &mut Map<String, Value>) {
        for (field, help) in &self.help {
            if let Some(Value::String(message)) = errors.get_mut(field) {
                *message = help.replace("{error_msg}", message);
            }
        }
    }
}

/// A JSON value with its strings (and those of a list) trimmed.
fn trim_json(value: &mut Value) {
    match value {
        Value::String(s) => *s = s.trim().to_owned(),
        Value::Array(items) => items.iter_mut().for_each(trim_json),
        _ => {}
    }
}

impl ApiRequest {
    /// [`parse_args`](Self::parse_args) with [`ArgOptions`]: some fields from headers or
    /// cookies, text trimmed, messages of your own.
    pub async fn parse_args_with<T: DeserializeOwned + schemars::JsonSchema>(
        &mut self,
        options: &ArgOptions,
    ) -> Result<T, ApiError> {
        self.parse_args_inner::<T>(options).await
    }

    /// `reqparse` in full, driven by `T`'s schema (`#[derive(JsonSchema)]`): like
    /// [`args`](Self::args), and
    /// - a `Vec` field takes every value of a repeated query or form key
    ///   (`action="append"`: `?tag=a&tag=b`), or a JSON list (a single JSON value is a list
    ///   of one);
    /// - text from the query or a form becomes the field's type (integer, number, boolean,
    ///   one of an enum's values), with Flask-RESTful's messages when it cannot
    ///   (`invalid literal for int() with base 10: 'x'`, `x is not a valid choice`); so does
    ///   a JSON string where the field is not text (`"5"` for an integer);
    /// - `null` in JSON is `None` for an `Option` field and `Must not be null!` for any
    ///   other; an empty text (`?rate=`) is `None` for an `Option` field that is not text;
    /// - every failing field is reported at once (`bundle_errors=True`), from any location.
    pub async fn parse_args<T: DeserializeOwned + schemars::JsonSchema>(
        &mut self,
    ) -> Result<T, ApiError> {
        self.parse_args_inner::<T>(&ArgOptions::default()).await
    }

    /// [`parse_args`](Self::parse_args), then `T`'s `validator` rules
    /// (`#[derive(Validate)]`): a value they refuse is a 400 of the same shape, every
    /// field at once: `{"message": {"name": "length must be between 3 and 20"}}` (the
    /// rule's `message` when it has one). The rules run on a parsed `T`: values that do
    /// not parse are reported first.
    ///
    /// ```
    /// use flask::Flask;
    /// use flask_restful::{Api, ApiRequest, ApiResult, JsonSchema, Resource, reply};
    /// use validator::Validate;
    ///
    /// #[derive(serde::Deserialize, JsonSchema, Validate)]
    /// #[schemars(crate = "flask_restful::schemars")]
    /// struct Signup {
    ///     #[validate(length(min = 3, max = 20))]
    ///     name: String,
    ///     #[validate(email)]
    ///     email: String,
    /// }
    ///
    /// #[flask::view]
    /// struct Signups;
    ///
    /// impl Resource for Signups {
    ///     const METHODS: &'static [&'static str] = &["POST"];
    ///
    ///     async fn post(&self, mut req: ApiRequest) -> ApiResult {
    ///         let s: Signup = req.parse_valid_args().await?;
    ///         Ok(reply(serde_json::json!({"name": s.name})))
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = Flask::new("signup")
    ///     .extension(Api::new().add_resource(Signups, &["/signup"]))
    ///     .test_client();
    /// let bad = client.post("/signup").form(&[("name", "al"), ("email", "nope")]).send().await;
    /// assert_eq!(bad.status(), 400);
    /// assert_eq!(
    ///     bad.json::<serde_json::Value>(),
    ///     serde_json::json!({"message": {
    ///         "email": "must be a valid email address",
    ///         "name": "length must be between 3 and 20",
    ///     }})
    /// );
    /// # }
    /// ```
    pub async fn parse_valid_args<T: DeserializeOwned + schemars::JsonSchema + Validate>(
        &mut self,
    ) -> Result<T, ApiError> {
        self.parse_valid_args_with(&ArgOptions::default()).await
    }

    /// [`parse_valid_args`](Self::parse_valid_args) with [`ArgOptions`] (`help=` applies
    /// to the rules' messages too).
    pub async fn parse_valid_args_with<T: DeserializeOwned + schemars::JsonSchema + Validate>(
        &mut self,
        options: &ArgOptions,
    ) -> Result<T, ApiError> {
        let args: T = self.parse_args_inner(options).await?;
        validated(args, options)
    }

    async fn parse_args_inner<T: DeserializeOwned + schemars::JsonSchema>(
        &mut self,
        options: &ArgOptions,
    ) -> Result<T, ApiError> {
        let is_json = self
            .content_type()
            .is_some_and(|ct| ct == "application/json" || ct.ends_with("+json"));
        let is_form = self
            .content_type()
            .is_none_or(|ct| ct == "application/x-www-form-urlencoded");
        let query = self.parts.uri.query().unwrap_or("").to_owned();
        let bytes = self.bytes().await?;
        // Values as sent: typed ones from JSON, text (one or more) from the query and form.
        let mut sent: Map<String, Value> = Map::new();
        let mut texts: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        if is_json && !bytes.is_empty() {
            self.limits().check_json(&bytes)?;
            sent = json_object(&bytes)?;
        } else if is_form {
            self.limits().check_form(&bytes)?;
            texts.extend(form_urlencoded::parse(&bytes).into_owned());
        }
        // Fields read from headers or cookies come from there only.
        sent.retain(|k, _| options.location_of(k).is_none());
        texts.retain(|(k, _)| options.location_of(k).is_none());
        for (field, header) in &options.headers {
            for v in self.parts.headers.get_all(header.as_str()) {
                if let Ok(v) = v.to_str() {
                    texts.push((field.clone(), v.to_owned()));
                }
            }
        }
        if !options.cookies.is_empty() {
            let cookies = flask::Cookies::parse(
                self.parts
                    .headers
                    .get_all(http::header::COOKIE)
                    .iter()
                    .filter_map(|v| v.to_str().ok()),
            );
            for (field, cookie) in &options.cookies {
                for (_, v) in cookies.iter().filter(|(name, _)| name == cookie) {
                    texts.push((field.clone(), v.to_owned()));
                }
            }
        }
        for (k, v) in &mut texts {
            if options.trims(k) {
                *v = v.trim().to_owned();
            }
        }
        for (k, v) in &mut sent {
            if options.trims(k) {
                trim_json(v);
            }
        }
        let mut text_values: Map<String, Value> = Map::new();
        for (k, v) in texts {
            if sent.contains_key(&k) {
                continue;
            }
            match text_values.get_mut(&k) {
                Some(Value::Array(list)) => list.push(Value::String(v)),
                _ => {
                    text_values.insert(k, Value::Array(vec![Value::String(v)]));
                }
            }
        }
        let mut generator = crate::openapi::generator();
        let root = generator.root_schema_for::<T>().to_value();
        let definitions = generator.take_definitions(false);
        let props = root
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let required = crate::coerce::required_names(&root);
        let mut errors = Map::new();
        // Names the schema does not know stay as sent, for the deserializer to judge.
        let mut values = sent;
        for (name, schema) in &props {
            let read = if let Some(value) = values.remove(name) {
                Some(crate::coerce::from_json(value, schema, &definitions))
            } else if let Some(Value::Array(texts)) = text_values.remove(name) {
                Some(crate::coerce::from_texts(&texts, schema, &definitions))
            } else {
                None
            };
            match read {
                Some(Ok(v)) => {
                    values.insert(name.clone(), v);
                }
                Some(Err(message)) => {
                    errors.insert(name.clone(), Value::String(message));
                }
                None if required.contains(name) => {
                    errors.insert(name.clone(), Value::String(MISSING_ARGUMENT.to_owned()));
                }
                None => {}
            }
        }
        // What the schema cannot tell (a `u8`'s range is, a date's format is not) the
        // deserializer does, for every field still standing.
        let parsed = from_map(values, &mut errors);
        match parsed {
            Some(args) => Ok(args),
            None => {
                options.apply_help(&mut errors);
                Err(bad_request(errors))
            }
        }
    }
}
