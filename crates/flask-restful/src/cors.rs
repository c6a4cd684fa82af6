//! CORS for single-page front ends (Flask-CORS's config keys), on tower-http's `CorsLayer`:
//! app-wide, or for the paths of one Api.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use flask::routing::Route;
use flask::{Config, Extension, Setup, SetupError};
use http::{HeaderName, HeaderValue, Method};
use tower::{Layer, Service, ServiceExt};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

/// Cross-origin requests from browsers (Flask-CORS's `CORS(app)`), configured by
/// Flask-CORS's keys:
///
/// | key | default | |
/// |---|---|---|
/// | `CORS_ORIGINS` | `"*"` | an origin or a list (`["https://app.example"]`) |
/// | `CORS_METHODS` | GET, HEAD, POST, OPTIONS, PUT, PATCH, DELETE | |
/// | `CORS_ALLOW_HEADERS` | `"*"` | or a list |
/// | `CORS_EXPOSE_HEADERS` | none | a list |
/// | `CORS_SUPPORTS_CREDENTIALS` | `false` | cookies: the listed origins only (with `*` the app does not start) |
/// | `CORS_MAX_AGE` | none | seconds a browser keeps a preflight's answer |
///
/// Preflight requests (`OPTIONS` with `Access-Control-Request-Method`) are answered before
/// routing.
///
/// ```
/// use flask::{Flask, routing::get};
/// use flask_restful::Cors;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = Flask::new("spa-api")
///     .configure(|c| c.set("CORS_ORIGINS", ["https://app.example"]))
///     .extension(Cors::only("/api"))
///     .route("/api/items", get(|| async { "[]" }).endpoint("items"))
///     .test_client();
/// let resp = client.get("/api/items").header("Origin", "https://app.example").send().await;
/// assert_eq!(resp.header("access-control-allow-origin"), Some("https://app.example"));
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Cors {
    prefix: Option<String>,
}

impl Cors {
    /// CORS for every path of the app.
    pub fn new() -> Self {
        Self::default()
    }

    /// CORS for the paths under `prefix` only (an API beside HTML pages).
    pub fn only(prefix: impl Into<String>) -> Self {
        Cors {
            prefix: Some(prefix.into()),
        }
    }
}

fn strings(config: &Config, key: &str) -> Result<Option<Vec<String>>, SetupError> {
    match config.get::<serde_json::Value>(key)? {
        None => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(vec![s])),
        Some(v) => serde_json::from_value(v.clone()).map(Some).map_err(|_| {
            SetupError::extension(
                "flask-restful cors",
                format!("{key} is {v}; use a string or a list of strings"),
            )
        }),
    }
}

fn bad(key: &str, value: &str) -> SetupError {
    SetupError::extension(
        "flask-restful cors",
        format!("{key} holds {value:?}, which is not valid there"),
    )
}

/// The `CorsLayer` the config describes.
pub(crate) fn layer_from_config(config: &Config) -> Result<CorsLayer, SetupError> {
    let credentials: bool = config.get("CORS_SUPPORTS_CREDENTIALS")?.unwrap_or(false);
    let origins = strings(config, "CORS_ORIGINS")?.unwrap_or_else(|| vec!["*".to_owned()]);
    let origin = if origins.iter().any(|o| o == "*") {
        if credentials {
            // Echoing any origin with credentials lets every site on the web make requests
            // with the user's cookies and read the answers.
            return Err(SetupError::extension(
                "flask-restful cors",
                "CORS_SUPPORTS_CREDENTIALS is true while CORS_ORIGINS allows any origin (\"*\", \
                 the default): any website could then call the API with its users' cookies and \
                 read the answers. List the origins that may: \
                 CORS_ORIGINS = [\"https://app.example\"]",
            ));
        }
        AllowOrigin::any()
    } else {
        let list = origins
            .iter()
            .map(|o| HeaderValue::from_str(o).map_err(|_| bad("CORS_ORIGINS", o)))
            .collect::<Result<Vec<_>, _>>()?;
        AllowOrigin::list(list)
    };
    let methods = strings(config, "CORS_METHODS")?.unwrap_or_else(|| {
        ["GET", "HEAD", "POST", "OPTIONS", "PUT", "PATCH", "DELETE"]
            .map(str::to_owned)
            .to_vec()
    });
    let methods = methods
        .iter()
        .map(|m| {
            Method::from_bytes(m.to_ascii_uppercase().as_bytes())
                .map_err(|_| bad("CORS_METHODS", m))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let headers = match strings(config, "CORS_ALLOW_HEADERS")? {
        None => AllowHeaders::mirror_request(),
        Some(list) if list.iter().any(|h| h == "*") => AllowHeaders::mirror_request(),
        Some(list) => AllowHeaders::list(
            list.iter()
                .map(|h| {
                    HeaderName::from_bytes(h.as_bytes()).map_err(|_| bad("CORS_ALLOW_HEADERS", h))
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    let mut layer = CorsLayer::new()
        .allow_origin(origin)
        .allow_methods(methods)
        .allow_headers(headers)
        .allow_credentials(credentials);
    if let Some(expose) = strings(config, "CORS_EXPOSE_HEADERS")? {
        let expose = expose
            .iter()
            .map(|h| {
                HeaderName::from_bytes(h.as_bytes()).map_err(|_| bad("CORS_EXPOSE_HEADERS", h))
            })
            .collect::<Result<Vec<_>, _>>()?;
        layer = layer.expose_headers(expose);
    }
    if let Some(secs) = config.get::<u64>("CORS_MAX_AGE")? {
        layer = layer.max_age(Duration::from_secs(secs));
    }
    Ok(layer)
}

impl Extension for Cors {
    fn name(&self) -> &'static str {
        "flask-restful cors"
    }

    fn init_app(&self, setup: &mut Setup<'_>) -> Result<(), SetupError> {
        let cors = layer_from_config(setup.config())?;
        setup.layer(OnPaths {
            prefix: self.prefix.clone(),
            cors,
        });
        Ok(())
    }
}

/// The CORS layer for the paths under a prefix (all paths without one).
#[derive(Clone)]
pub(crate) struct OnPaths {
    pub(crate) prefix: Option<String>,
    pub(crate) cors: CorsLayer,
}

impl Layer<Route> for OnPaths {
    type Service = OnPathsService;

    fn layer(&self, inner: Route) -> Self::Service {
        OnPathsService {
            prefix: self.prefix.clone(),
            cors: Route::new(
                self.cors
                    .layer(inner.clone())
                    .map_response(IntoResponse::into_response),
            ),
            inner,
        }
    }
}

/// Its service.
#[derive(Clone)]
pub(crate) struct OnPathsService {
    prefix: Option<String>,
    cors: Route,
    inner: Route,
}

impl Service<Request> for OnPathsService {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let applies = self.prefix.as_deref().is_none_or(|p| {
            let path = req.uri().path();
            path == p || path.starts_with(&format!("{}/", p.trim_end_matches('/')))
        });
        let svc = if applies {
            self.cors.clone()
        } else {
            self.inner.clone()
        };
        Box::pin(svc.oneshot(req))
    }
}
