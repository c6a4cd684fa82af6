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
    /// or the query string"}}`.
    pub async fn args<T: DeserializeOwned>(&mut self) -> Result<T, ApiError> {
        let is_json = self
            .content_type()
            .is_some_and(|ct| ct == "application/json" || ct.ends_with("+json"));
        let query = self.parts.uri.query().unwrap_or("").to_owned();
        let bytes = self.bytes().await?;
        if is_json && !bytes.is_empty() {
            let body: Value = serde_json::from_slice(&bytes).map_err(|e| {
                ApiError::new(400).message(format!("Failed to decode JSON object: {e}"))
            })?;
            let Value::Object(mut map) = body else {
                return Err(ApiError::new(400)
                    .message("The JSON body must be an object of argument names to values."));
            };
            // Arguments not in the body may come from the query string ("values").
            for (k, v) in form_urlencoded::parse(query.as_bytes()) {
                map.entry(k.into_owned())
                    .or_insert_with(|| Value::String(v.into_owned()));
            }
            return from_map(map);
        }
        let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let is_form = self
            .content_type()
            .is_none_or(|ct| ct == "application/x-www-form-urlencoded");
        if is_form {
            pairs.extend(form_urlencoded::parse(&bytes).into_owned());
        }
        let encoded = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&pairs)
            .finish();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(encoded.as_bytes()));
        serde_path_to_error::deserialize(de).map_err(|e| argument_error(&e))
    }
}

fn from_map<T: DeserializeOwned>(map: Map<String, Value>) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(Value::Object(map)).map_err(|e| argument_error(&e))
}

/// `{"message": {"field": "what was wrong"}}`, Flask-RESTful's shape.
fn argument_error<E: std::fmt::Display>(e: &serde_path_to_error::Error<E>) -> ApiError {
    let inner = e.inner().to_string();
    let (field, message) = match inner
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        Some(field) => (field.to_owned(), MISSING_ARGUMENT.to_owned()),
        None => {
            let path = e.path().to_string();
            let field = if path == "." { "body".to_owned() } else { path };
            (field, inner)
        }
    };
    let mut errors = Map::new();
    errors.insert(field, Value::String(message));
    ApiError::new(400).message(Value::Object(errors))
}

/// Where some arguments of [`ApiRequest::parse_args_with`] come from, and how they are
/// read: reqparse's `location=`, `trim=` and `help=`.
///
/// ```
/// use flask_restful::ArgOptions;
/// let options = ArgOptions::new()
///     .header("api_key", "X-API-Key")        // location="headers"
///     .cookie("theme", "theme")              // location="cookies"
///     .trim()                                // trim=True
///     .help("rate", "Rate must be a number: {error_msg}");
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Default)]
pub struct ArgOptions {
    headers: Vec<(String, String)>,
    cookies: Vec<(String, String)>,
    trim: bool,
    help: Vec<(String, String)>,
}

impl ArgOptions {
    /// Options that change nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// `field` is read from the request header `header` (only there).
    pub fn header(mut self, field: &str, header: &str) -> Self {
        self.headers.push((field.to_owned(), header.to_owned()));
        self
    }

    /// `field` is read from the cookie `cookie` (only there).
    pub fn cookie(mut self, field: &str, cookie: &str) -> Self {
        self.cookies.push((field.to_owned(), cookie.to_owned()));
        self
    }

    /// Text values lose their surrounding whitespace (`trim=True`).
    pub fn trim(mut self) -> Self {
        self.trim = true;
        self
    }

    /// The message when `field` is wrong (`help=`); `{error_msg}` in it is the message it
    /// replaces.
    pub fn help(mut self, field: &str, message: &str) -> Self {
        self.help.push((field.to_owned(), message.to_owned()));
        self
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
    ///   (`action="append"`: `?tag=a&tag=b`);
    /// - text from the query or a form becomes the field's type (integer, number, boolean,
    ///   one of an enum's values), with Flask-RESTful's messages when it cannot
    ///   (`invalid literal for int() with base 10: 'x'`, `x is not a valid choice`);
    /// - every failing field is reported at once (`bundle_errors=True`).
    pub async fn parse_args<T: DeserializeOwned + schemars::JsonSchema>(
        &mut self,
    ) -> Result<T, ApiError> {
        self.parse_args_inner::<T>(&ArgOptions::default()).await
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
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(map)) => sent = map,
                Ok(_) => {
                    return Err(ApiError::new(400)
                        .message("The JSON body must be an object of argument names to values."));
                }
                Err(e) => {
                    return Err(
                        ApiError::new(400).message(format!("Failed to decode JSON object: {e}"))
                    );
                }
            }
        } else if is_form {
            texts.extend(form_urlencoded::parse(&bytes).into_owned());
        }
        // Fields read from headers or cookies come from there only.
        let elsewhere = |k: &str| {
            options.headers.iter().any(|(f, _)| f == k)
                || options.cookies.iter().any(|(f, _)| f == k)
        };
        sent.retain(|k, _| !elsewhere(k));
        texts.retain(|(k, _)| !elsewhere(k));
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
                if let Some(v) = cookies.get(cookie) {
                    texts.push((field.clone(), v.to_owned()));
                }
            }
        }
        if options.trim {
            for (_, v) in &mut texts {
                *v = v.trim().to_owned();
            }
            for v in sent.values_mut() {
                if let Value::String(s) = v {
                    *s = s.trim().to_owned();
                }
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
        let lookup = |schema: &Value| -> Value { crate::coerce::resolve(schema, &definitions) };
        let props = root
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let required: Vec<String> = root
            .get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let mut errors = Map::new();
        let mut values = sent;
        for (name, schema) in &props {
            let schema = lookup(schema);
            if let Some(Value::Array(texts)) = text_values.remove(name) {
                match crate::coerce::from_texts(&texts, &schema, &definitions) {
                    Ok(v) => {
                        values.insert(name.clone(), v);
                    }
                    Err(message) => {
                        errors.insert(name.clone(), Value::String(message));
                    }
                }
            }
            if !values.contains_key(name) && !errors.contains_key(name) && required.contains(name) {
                errors.insert(name.clone(), Value::String(MISSING_ARGUMENT.to_owned()));
            }
        }
        if !errors.is_empty() {
            for (field, help) in &options.help {
                if let Some(Value::String(message)) = errors.get_mut(field) {
                    *message = help.replace("{error_msg}", message);
                }
            }
            return Err(ApiError::new(400).message(Value::Object(errors)));
        }
        from_map(values)
    }
}
