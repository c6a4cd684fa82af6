//! `Api`: resources on their URLs, the representations, the error table.

use std::sync::Arc;

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use flask::routing::MethodHandlers;
use flask::{Extension, RequestContext, Setup, SetupError};
use serde_json::Value;

use crate::negotiate::{RepresentationFn, choose, output_json};
use crate::{ApiError, ApiRequest, ApiResult, Reply, Resource};

/// An entry of the error table: which errors, and the status and message they become.
struct ErrorEntry {
    matches: fn(&flask::Error) -> bool,
    status: u16,
    message: String,
}

/// What every resource of an Api shares at request time.
pub(crate) struct Shared {
    representations: Vec<(String, RepresentationFn)>,
    errors: Vec<ErrorEntry>,
    /// Each resource type's endpoint, with the blueprint's name when the Api has one.
    endpoints: Vec<(std::any::TypeId, String)>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field(
                "representations",
                &self
                    .representations
                    .iter()
                    .map(|(m, _)| m)
                    .collect::<Vec<_>>(),
            )
            .field(
                "endpoints",
                &self.endpoints.iter().map(|(_, e)| e).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// The endpoint `R` was added under (the first, if it was added twice).
    pub(crate) fn endpoint_of<R: 'static>(&self) -> Option<&str> {
        let id = std::any::TypeId::of::<R>();
        self.endpoints
            .iter()
            .find(|(t, _)| *t == id)
            .map(|(_, e)| e.as_str())
    }
}

type MakeRoute = Box<dyn Fn(Arc<Shared>) -> MethodHandlers + Send + Sync>;

/// A resource waiting for `init_app`.
struct Registered {
    urls: Vec<String>,
    make: MakeRoute,
    type_id: std::any::TypeId,
    endpoint: String,
    methods: &'static [&'static str],
    describe: fn(&mut crate::Describe<'_>),
}

/// Flask-RESTful's `Api`: resources on URLs, rendered in the representation the client
/// accepts (JSON by default), with errors as `{"message": ...}`. Register it on the app as
/// an extension.
///
/// ```
/// use flask::Flask;
/// use flask_restful::{Api, ApiRequest, ApiResult, Resource, reply};
///
/// #[flask::view]
/// struct HelloWorld;
/// impl Resource for HelloWorld {
///     const METHODS: &'static [&'static str] = &["GET"];
///     async fn get(&self, _req: ApiRequest) -> ApiResult {
///         Ok(reply(serde_json::json!({"hello": "world"})))
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = Flask::new("api")
///     .extension(Api::new().add_resource(HelloWorld, &["/"]))
///     .test_client();
/// let resp = client.get("/").send().await;
/// assert_eq!(resp.text(), "{\"hello\": \"world\"}\n");
/// assert_eq!(client.post("/").send().await.status(), 405);
/// # }
/// ```
pub struct Api {
    prefix: String,
    /// Flask-RESTful's `catch_all_404s`: every 404 of the app answered as JSON.
    catch_all_404s: bool,
    /// The blueprint the Api's routes go on, with its hooks (Flask-RESTful's `Api(bp)` and
    /// `decorators`); taken at `init_app`.
    blueprint: std::sync::Mutex<Option<flask::Blueprint>>,
    /// The title and version of the OpenAPI document; `None`: no document.
    openapi: Option<(Option<String>, String)>,
    /// CORS for the Api's paths, from the `CORS_*` config keys.
    cors: bool,
    resources: Vec<Registered>,
    /// Resources added with `add_resource` whose type has no `#[flask::view]` name, by type
    /// name (for `init_app`'s error message only).
    unnamed: Vec<&'static str>,
    representations: Vec<(String, RepresentationFn)>,
    errors: Vec<ErrorEntry>,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("prefix", &self.prefix)
            .field("resources", &self.resources.len())
            .finish_non_exhaustive()
    }
}

impl Default for Api {
    fn default() -> Self {
        Self::new()
    }
}

/// Flask-RESTful's default endpoint, the class name lower-cased: the name `#[flask::view]`
/// recorded for the resource's type.
fn default_endpoint<R: 'static>() -> Option<String> {
    flask::routing::view_name::<R>().map(str::to_lowercase)
}

/// Why a resource without a name cannot be added with `add_resource`, and what to do.
fn unnamed_message(type_name: &str) -> String {
    let short = type_name.split('<').next().unwrap_or(type_name);
    let short = short.rsplit("::").next().unwrap_or(short);
    format!(
        "the resource {type_name} has no endpoint name: Flask-RESTful names a resource after its \
         class, and Rust cannot ask a type for its name. Put #[flask::view] on `struct {short}` \
         (its endpoint is then `{}`), or add it with add_resource_as(resource, urls, \"name\")",
        short.to_lowercase()
    )
}

impl Api {
    /// An Api answering JSON.
    pub fn new() -> Self {
        Api {
            prefix: String::new(),
            catch_all_404s: false,
            blueprint: std::sync::Mutex::new(None),
            openapi: Some((None, "1.0".to_owned())),
            cors: false,
            resources: Vec::new(),
            unnamed: Vec::new(),
            representations: vec![("application/json".to_owned(), Arc::new(output_json))],
            errors: Vec::new(),
        }
    }

    /// `prefix=`: put before every URL of this Api (`"/api/v1"`).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Flask-RESTful's `catch_all_404s=True`: every 404 of the app, not only the Api's, is
    /// answered `{"message": ...}` (for an app that is only an API; the app's own 404
    /// handler then never runs).
    pub fn catch_all_404s(mut self) -> Self {
        self.catch_all_404s = true;
        self
    }

    /// Flask-RESTful's `Api(blueprint)`: the Api's routes go on a blueprint named `name`
    /// (endpoints `name.todo`), under the Api's prefix.
    pub fn blueprint(self, name: &str) -> Self {
        *self
            .blueprint
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(flask::Blueprint::new(name));
        self
    }

    /// Flask-RESTful's `decorators=[...]`: a `before_request` hook (extractors as
    /// arguments; a response or error answers instead) for every route of this Api. The
    /// routes go on a blueprint for it (named `api` unless [`blueprint`](Self::blueprint)
    /// named it).
    pub fn before_request<H, T>(self, hook: H) -> Self
    where
        H: flask::BeforeRequestHook<T>,
        T: 'static,
    {
        let mut slot = self
            .blueprint
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bp = slot.take().unwrap_or_else(|| flask::Blueprint::new("api"));
        *slot = Some(bp.before_request(hook));
        drop(slot);
        self
    }

    /// The OpenAPI document's title (the app's name by default) and version, served at
    /// `{prefix}/openapi.json` with an interactive page at `{prefix}/docs`.
    pub fn openapi(mut self, title: &str, version: &str) -> Self {
        self.openapi = Some((Some(title.to_owned()), version.to_owned()));
        self
    }

    /// No OpenAPI document or docs page.
    pub fn without_openapi(mut self) -> Self {
        self.openapi = None;
        self
    }

    /// The OpenAPI 3.1 document of this Api for an app named `app_name`.
    pub fn openapi_document(&self, app_name: &str) -> Value {
        let (title, version) = self.openapi.clone().unwrap_or((None, "1.0".to_owned()));
        let mut generator = crate::openapi::generator();
        let mut paths: std::collections::BTreeMap<String, serde_json::Map<String, Value>> =
            std::collections::BTreeMap::new();
        for resource in &self.resources {
            let mut ops = std::collections::BTreeMap::new();
            (resource.describe)(&mut crate::Describe {
                generator: &mut generator,
                ops: &mut ops,
            });
            for (i, url) in resource.urls.iter().enumerate() {
                let (path, params) = crate::openapi::path_of(&format!("{}{url}", self.prefix));
                let item = paths.entry(path).or_default();
                if !params.is_empty() {
                    item.insert("parameters".into(), Value::Array(params.clone()));
                }
                for method in resource.methods {
                    let method = method.to_ascii_lowercase();
                    if method == "head" || method == "options" {
                        continue;
                    }
                    let op = ops.get(&method).cloned().unwrap_or_default();
                    let id = if i == 0 {
                        format!("{}_{method}", resource.endpoint)
                    } else {
                        format!("{}_{method}_{i}", resource.endpoint)
                    };
                    item.insert(method, op.to_value(&id, !params.is_empty()));
                }
            }
        }
        let mut schemas = generator.take_definitions(true);
        schemas.insert("Error".into(), crate::openapi::error_schema());
        serde_json::json!({
            "openapi": "3.1.0",
            "info": {"title": title.unwrap_or_else(|| app_name.to_owned()), "version": version},
            "paths": paths,
            "components": {"schemas": schemas},
        })
    }

    /// CORS for this Api's paths (its prefix), configured by Flask-CORS's keys (see
    /// [`Cors`](crate::Cors), which does it app-wide).
    pub fn cors(mut self) -> Self {
        self.cors = true;
        self
    }

    /// `api.add_resource(Todo, "/todos/<todo_id>")`: `resource` on these URLs (Flask rules),
    /// with the endpoint its type's name lower-cased (`todo`), as Flask-RESTful names it
    /// after the class. The name comes from [`#[flask::view]`](flask::view) on the type
    /// (`#[flask::view] struct Todo;`); building an app with a resource without it fails,
    /// saying so. [`Api::add_resource_as`] names the endpoint itself.
    pub fn add_resource<R: Resource>(mut self, resource: R, urls: &[&str]) -> Self {
        match default_endpoint::<R>() {
            Some(endpoint) => self.add_resource_as(resource, urls, &endpoint),
            None => {
                // The type's name, for the error message only.
                self.unnamed.push(std::any::type_name::<R>());
                self
            }
        }
    }

    /// `add_resource(..., endpoint="...")`: the same, with the endpoint named.
    pub fn add_resource_as<R: Resource>(
        mut self,
        resource: R,
        urls: &[&str],
        endpoint: &str,
    ) -> Self {
        let resource = Arc::new(resource);
        let endpoint = endpoint.to_owned();
        let endpoint_name = endpoint.clone();
        let make: MakeRoute = Box::new(move |shared: Arc<Shared>| {
            let resource = resource.clone();
            let handler = {
                let shared = shared.clone();
                move |req: Request| {
                    let (resource, shared) = (resource.clone(), shared.clone());
                    async move { dispatch(resource, shared, req).await }
                }
            };
            // A method the resource lacks is the Api's 405, in the negotiated
            // representation, not the app's HTML page (the core adds `Allow`).
            let not_allowed = move |req: Request| {
                let shared = shared.clone();
                async move { not_allowed(&shared, &req) }
            };
            flask::routing::route(R::METHODS, handler)
                .endpoint(endpoint.clone())
                .method_not_allowed(not_allowed)
        });
        self.resources.push(Registered {
            urls: urls.iter().map(|u| (*u).to_owned()).collect(),
            make,
            type_id: std::any::TypeId::of::<R>(),
            endpoint: endpoint_name,
            methods: R::METHODS,
            describe: R::describe,
        });
        self
    }

    /// Flask-RESTful's `@api.representation(mediatype)`: answer clients that accept
    /// `mediatype` with `render(data, status, debug)` (CSV, XML, msgpack...).
    pub fn representation<F>(mut self, mediatype: &str, render: F) -> Self
    where
        F: Fn(&Value, http::StatusCode, bool) -> Response + Send + Sync + 'static,
    {
        let mediatype = mediatype.to_ascii_lowercase();
        self.representations.retain(|(m, _)| *m != mediatype);
        self.representations.push((mediatype, Arc::new(render)));
        self
    }

    /// `default_mediatype=`: what clients that send no `Accept` (or `*/*`) get.
    pub fn default_mediatype(mut self, mediatype: &str) -> Self {
        let mediatype = mediatype.to_ascii_lowercase();
        if let Some(i) = self
            .representations
            .iter()
            .position(|(m, _)| *m == mediatype)
        {
            let entry = self.representations.remove(i);
            self.representations.insert(0, entry);
        }
        self
    }

    /// Flask-RESTful's `errors=` table: an error of type `E` (reached with `?` from a
    /// resource) is answered with this status and message, as `{"message": ..., "status":
    /// ...}`.
    pub fn error<E: std::error::Error + 'static>(mut self, status: u16, message: &str) -> Self {
        self.errors.push(ErrorEntry {
            matches: |e| e.downcast_ref::<E>().is_some(),
            status,
            message: message.to_owned(),
        });
        self
    }
}

impl Extension for Api {
    fn name(&self) -> &'static str {
        "flask-restful"
    }

    fn init_app(&self, setup: &mut Setup<'_>) -> Result<(), SetupError> {
        if let Some(type_name) = self.unnamed.first() {
            return Err(SetupError::extension(
                self.name(),
                unnamed_message(type_name),
            ));
        }
        let blueprint = self
            .blueprint
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        let bp_name = blueprint.as_ref().map(|bp| bp.name().to_owned());
        let shared = Arc::new(Shared {
            representations: self.representations.clone(),
            errors: self
                .errors
                .iter()
                .map(|e| ErrorEntry {
                    matches: e.matches,
                    status: e.status,
                    message: e.message.clone(),
                })
                .collect(),
            endpoints: self
                .resources
                .iter()
                .map(|r| {
                    let endpoint = match &bp_name {
                        Some(bp) => format!("{bp}.{}", r.endpoint),
                        None => r.endpoint.clone(),
                    };
                    (r.type_id, endpoint)
                })
                .collect(),
        });
        if self.cors {
            let cors = crate::cors::layer_from_config(setup.config())?;
            setup.layer(crate::cors::OnPaths {
                prefix: (!self.prefix.is_empty()).then(|| self.prefix.clone()),
                cors,
            });
        }
        if self.catch_all_404s {
            setup.errorhandler(404, || async { ApiError::new(404).into_response() });
        }
        let mut routes: Vec<(String, MethodHandlers)> = Vec::new();
        for resource in &self.resources {
            for url in &resource.urls {
                routes.push((url.clone(), (resource.make)(shared.clone())));
            }
        }
        if self.openapi.is_some() {
            let document = Arc::new(self.openapi_document(setup.app_name()));
            let spec_url = format!("{}/openapi.json", self.prefix);
            let page = Arc::new(include_str!("docs.html").replace("__SPEC_URL__", &spec_url));
            routes.push((
                "/openapi.json".to_owned(),
                flask::routing::get(move || {
                    let document = document.clone();
                    async move { flask::Json((*document).clone()) }
                })
                .endpoint("openapi_json"),
            ));
            routes.push((
                "/docs".to_owned(),
                flask::routing::get(move || {
                    let page = page.clone();
                    async move { flask::Html((*page).clone()) }
                })
                .endpoint("openapi_docs"),
            ));
        }
        match blueprint {
            Some(mut bp) => {
                if !self.prefix.is_empty() {
                    bp = bp.url_prefix(self.prefix.clone());
                }
                for (rule, handlers) in routes {
                    bp = bp.route(&rule, handlers);
                }
                setup.blueprint(bp);
            }
            None => {
                for (rule, handlers) in routes {
                    setup.route(&format!("{}{rule}", self.prefix), handlers);
                }
            }
        }
        Ok(())
    }
}

/// Calls the resource's method for the request and renders what it returns.
async fn dispatch<R: Resource>(resource: Arc<R>, shared: Arc<Shared>, req: Request) -> Response {
    let Some(ctx) = RequestContext::try_current() else {
        return flask::Error::internal("an Api resource outside a flask request").into_response();
    };
    let accept = req
        .headers()
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let debug = ctx.app().debug();
    let (parts, body) = req.into_parts();
    let method = parts.method.clone();
    let mut api_req = ApiRequest {
        ctx,
        parts,
        body: Some(body),
        read: None,
        shared: Some(shared.clone()),
    };
    if let Err(e) = resource.before(&mut api_req).await {
        return render(&shared, accept.as_deref(), debug, Err(e));
    }
    let result: ApiResult = match method {
        http::Method::GET | http::Method::HEAD => resource.get(api_req).await,
        http::Method::POST => resource.post(api_req).await,
        http::Method::PUT => resource.put(api_req).await,
        http::Method::PATCH => resource.patch(api_req).await,
        http::Method::DELETE => resource.delete(api_req).await,
        _ => Err(ApiError::new(405)),
    };
    render(&shared, accept.as_deref(), debug, result)
}

/// The 405 of a method the resource has no handler for.
fn not_allowed(shared: &Shared, req: &Request) -> Response {
    let accept = req
        .headers()
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    let debug = RequestContext::try_current().is_some_and(|ctx| ctx.app().debug());
    render(shared, accept, debug, Err(ApiError::new(405)))
}

/// The response of a result, in the negotiated representation.
fn render(shared: &Shared, accept: Option<&str>, debug: bool, result: ApiResult) -> Response {
    let (data, status, headers) = match result {
        Ok(Reply {
            fault: Some(cause), ..
        }) => {
            tracing::error!("an API resource's reply cannot be sent: {cause}");
            let e = apply_table(shared, ApiError::new(500));
            (Value::Object(e.body), e.status, e.headers)
        }
        Ok(reply) => (reply.data, reply.status, reply.headers),
        Err(e) => {
            if e.status.is_server_error()
                && let Some(source) = &e.source
            {
                tracing::error!("error in an API resource: {}", source.chain().join(": "));
            }
            let e = apply_table(shared, e);
            (Value::Object(e.body), e.status, e.headers)
        }
    };
    let names: Vec<String> = shared
        .representations
        .iter()
        .map(|(m, _)| m.clone())
        .collect();
    let Some(chosen) = choose(accept, &names) else {
        let e = ApiError::new(406);
        return output_json(&Value::Object(e.body), e.status, debug);
    };
    let render = shared
        .representations
        .iter()
        .find(|(m, _)| m == chosen)
        .map(|(_, r)| r.clone());
    let mut resp = match render {
        Some(render) => render(&data, status, debug),
        None => output_json(&data, status, debug),
    };
    for (name, value) in headers {
        resp.headers_mut().append(name, value);
    }
    // Werkzeug sends no body with a 204 or a 304, and drops a 304's entity headers; a 204
    // keeps its Content-Type (Flask-RESTful's `return '', 204`).
    if status == http::StatusCode::NO_CONTENT || status == http::StatusCode::NOT_MODIFIED {
        *resp.body_mut() = axum::body::Body::empty();
    }
    if status == http::StatusCode::NOT_MODIFIED {
        resp.headers_mut().remove(http::header::CONTENT_TYPE);
    }
    resp
}

/// The error table: an error whose cause is listed gets the listed status and message.
fn apply_table(shared: &Shared, e: ApiError) -> ApiError {
    let Some(source) = &e.source else {
        return e;
    };
    match shared.errors.iter().find(|entry| (entry.matches)(source)) {
        Some(entry) => ApiError::new(entry.status)
            .message(entry.message.clone())
            .with("status", entry.status),
        None => e,
    }
}
