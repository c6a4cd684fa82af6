//! Testing without a port: `app.test_client()` sends requests to the app in-process.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use http_body_util::BodyExt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::OnceCell;

use crate::App;

mod stream;
mod websocket;
pub use stream::{TestEvents, TestStream};
pub use websocket::{TestMessage, TestWebSocket};

/// Flask's test client: in-process requests with a cookie jar shared across requests.
///
/// Requests go straight to the app's service; no socket is opened. The app's startup
/// tasks run before the first request.
///
/// ```
/// use flask::{Flask, Form, routing::{get, post}, redirect};
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Login { name: String }
/// #[flask::view]
/// async fn login(Form(f): Form<Login>) -> flask::Redirect { redirect(format!("/hi/{}", f.name)) }
/// #[flask::view]
/// async fn hi(flask::Path(name): flask::Path<String>) -> String { format!("Hi {name}") }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = Flask::new("demo")
///     .route("/login", post(login))
///     .route("/hi/<name>", get(hi))
///     .test_client();
/// let resp = client.post("/login").form(&[("name", "ada")]).follow_redirects().send().await;
/// assert_eq!(resp.text(), "Hi ada");
/// # }
/// ```
#[derive(Clone)]
pub struct TestClient {
    app: App,
    jar: Arc<Mutex<BTreeMap<String, String>>>,
    started: Arc<OnceCell<()>>,
}

impl fmt::Debug for TestClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestClient")
            .field("app", &self.app.name())
            .field("cookies", &self.jar.lock().map(|j| j.len()).unwrap_or(0))
            .finish()
    }
}

impl TestClient {
    /// A client for `app` with an empty cookie jar.
    pub fn new(app: App) -> Self {
        TestClient {
            app,
            jar: Arc::default(),
            started: Arc::default(),
        }
    }

    /// The app under test.
    pub fn app(&self) -> &App {
        &self.app
    }

    /// A request with any method.
    pub fn request(&self, method: Method, path: &str) -> TestRequest {
        TestRequest {
            client: self.clone(),
            method,
            path: path.to_owned(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            follow: false,
            remote_addr: TEST_REMOTE_ADDR,
        }
    }

    /// A GET request.
    pub fn get(&self, path: &str) -> TestRequest {
        self.request(Method::GET, path)
    }
    /// A POST request.
    pub fn post(&self, path: &str) -> TestRequest {
        self.request(Method::POST, path)
    }
    /// A PUT request.
    pub fn put(&self, path: &str) -> TestRequest {
        self.request(Method::PUT, path)
    }
    /// A PATCH request.
    pub fn patch(&self, path: &str) -> TestRequest {
        self.request(Method::PATCH, path)
    }
    /// A DELETE request.
    pub fn delete(&self, path: &str) -> TestRequest {
        self.request(Method::DELETE, path)
    }
    /// A HEAD request.
    pub fn head(&self, path: &str) -> TestRequest {
        self.request(Method::HEAD, path)
    }
    /// An OPTIONS request.
    pub fn options(&self, path: &str) -> TestRequest {
        self.request(Method::OPTIONS, path)
    }

    /// The value of a cookie in the jar.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.jar.lock().ok()?.get(name).cloned()
    }

    /// Puts a cookie into the jar (sent with every later request).
    pub fn set_cookie(&self, name: &str, value: &str) {
        if let Ok(mut jar) = self.jar.lock() {
            jar.insert(name.to_owned(), value.to_owned());
        }
    }

    /// Removes a cookie from the jar.
    pub fn delete_cookie(&self, name: &str) {
        if let Ok(mut jar) = self.jar.lock() {
            jar.remove(name);
        }
    }

    /// Flask's `session_transaction()`: opens the session the jar's cookie points to (a new
    /// one without), lets `f` read and change it, then saves it and updates the cookie, as
    /// a request would. For setting up a test ("this client is logged in") without going
    /// through the app's forms.
    ///
    /// ```
    /// use flask::{Flask, Session, routing::get};
    ///
    /// #[flask::view]
    /// async fn whoami(session: Session) -> String {
    ///     session.get::<String>("user").unwrap_or_default()
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = Flask::new("demo")
    ///     .configure(|c| c.set("SECRET_KEY", "dev"))
    ///     .route("/", get(whoami))
    ///     .test_client();
    /// client.session_transaction(|s| s.insert("user", "ada")).await;
    /// assert_eq!(client.get("/").send().await.text(), "ada");
    /// assert_eq!(client.session_transaction(|s| s.get::<String>("user")).await.as_deref(), Some("ada"));
    /// # }
    /// ```
    ///
    /// # Panics
    /// If the app has no `SECRET_KEY` (it has no sessions then).
    pub async fn session_transaction<R>(&self, f: impl FnOnce(&crate::Session) -> R) -> R {
        self.ensure_started().await;
        let backend = self.app.inner.sessions.clone().unwrap_or_else(|| {
            panic!("session_transaction: the app has no sessions; set SECRET_KEY in its config")
        });
        let mut headers = HeaderMap::new();
        if let Some(c) = self.cookie_header() {
            headers.insert(header::COOKIE, c);
        }
        let session = match backend.load(&headers, headers.get(header::COOKIE)).await {
            Some(session) => session,
            None => backend.empty(),
        };
        let result = f(&session);
        let mut resp = Response::new(Body::empty());
        session.save(&mut resp).await;
        self.store_cookies(resp.headers());
        result
    }

    fn cookie_header(&self) -> Option<HeaderValue> {
        let jar = self.jar.lock().ok()?;
        if jar.is_empty() {
            return None;
        }
        let s = jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        HeaderValue::from_str(&s).ok()
    }

    fn store_cookies(&self, headers: &HeaderMap) {
        let Ok(mut jar) = self.jar.lock() else { return };
        for v in headers.get_all(header::SET_COOKIE) {
            let Ok(s) = v.to_str() else { continue };
            let Ok(c) = cookie::Cookie::parse(s.to_owned()) else {
                continue;
            };
            let expired = c.max_age().is_some_and(|a| a.is_zero() || a.is_negative())
                || c.expires_datetime()
                    .is_some_and(|t| t <= cookie::time::OffsetDateTime::now_utc());
            if expired {
                jar.remove(c.name());
            } else {
                jar.insert(c.name().to_owned(), c.value().to_owned());
            }
        }
    }

    async fn ensure_started(&self) {
        self.started
            .get_or_init(|| async {
                if let Err(e) = self.app.startup().await {
                    panic!("the app's startup failed: {e}");
                }
            })
            .await;
    }
}

/// A request being built by a [`TestClient`]; finish with [`TestRequest::send`].
#[must_use = "call .send().await"]
pub struct TestRequest {
    client: TestClient,
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
    follow: bool,
    remote_addr: std::net::IpAddr,
}

/// Where test requests come from unless told otherwise (Werkzeug's test client says the same).
const TEST_REMOTE_ADDR: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

impl fmt::Debug for TestRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl TestRequest {
    /// Adds a header.
    ///
    /// # Panics
    /// If the name or value is not valid in a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::from_bytes(name.as_bytes())
            .unwrap_or_else(|e| panic!("bad header name {name:?}: {e}"));
        let value = HeaderValue::from_str(value)
            .unwrap_or_else(|e| panic!("bad header value {value:?}: {e}"));
        self.headers.append(name, value);
        self
    }

    /// A urlencoded form body (`application/x-www-form-urlencoded`).
    ///
    /// # Panics
    /// If `form` does not serialize as a flat form.
    pub fn form<T: Serialize + ?Sized>(mut self, form: &T) -> Self {
        let body = serde_urlencoded::to_string(form)
            .unwrap_or_else(|e| panic!("cannot encode the form: {e}"));
        self.body = Bytes::from(body);
        self.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        self
    }

    /// A JSON body (`application/json`).
    ///
    /// # Panics
    /// If `value` does not serialize.
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        self.body = Bytes::from(
            serde_json::to_vec(value).unwrap_or_else(|e| panic!("cannot encode JSON: {e}")),
        );
        self.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        self
    }

    /// A `multipart/form-data` body, as a browser sends a form with files.
    pub fn multipart(mut self, form: MultipartForm) -> Self {
        let boundary = format!("flask-test-{}", uuid::Uuid::new_v4().simple());
        // As browsers write them (WHATWG): a quote or line break in a name is escaped.
        let quoted = |s: &str| {
            s.replace('"', "%22")
                .replace('\r', "%0D")
                .replace('\n', "%0A")
        };
        let mut body = Vec::new();
        for mut part in form.parts {
            part.name = quoted(&part.name);
            part.filename = part.filename.as_deref().map(quoted);
            part.content_type = part.content_type.replace(['\r', '\n'], "");
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            match &part.filename {
                Some(filename) => body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
                        part.name, filename, part.content_type
                    )
                    .as_bytes(),
                ),
                None => body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{}\"\r\n\r\n", part.name)
                        .as_bytes(),
                ),
            }
            body.extend_from_slice(&part.data);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        self.body = Bytes::from(body);
        if let Ok(v) = HeaderValue::from_str(&format!("multipart/form-data; boundary={boundary}")) {
            self.headers.insert(header::CONTENT_TYPE, v);
        }
        self
    }

    /// A raw body, with no content type unless you set one.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Sends the request as if from `addr` (`ctx.remote_addr()`; `127.0.0.1` by default).
    pub fn remote_addr(mut self, addr: std::net::IpAddr) -> Self {
        self.remote_addr = addr;
        self
    }

    /// Follows redirects (up to 10), like `follow_redirects=True`. 301-303 become GETs
    /// without a body; 307 and 308 repeat the method and body.
    pub fn follow_redirects(mut self) -> Self {
        self.follow = true;
        self
    }

    /// Sends the request and reads the whole response.
    pub async fn send(self) -> TestResponse {
        self.client.ensure_started().await;
        let TestRequest {
            client,
            mut method,
            mut path,
            headers,
            mut body,
            follow,
            remote_addr,
        } = self;
        let mut history = Vec::new();
        loop {
            let resp = client
                .send_once(&method, &path, &headers, body.clone(), remote_addr)
                .await;
            if !follow || !resp.status.is_redirection() || history.len() >= 10 {
                return TestResponse { history, ..resp };
            }
            let Some(location) = resp
                .headers
                .get(header::LOCATION)
                .and_then(|l| l.to_str().ok())
            else {
                return TestResponse { history, ..resp };
            };
            let next = resolve(&path, location);
            if !matches!(resp.status.as_u16(), 307 | 308) {
                method = if method == Method::HEAD {
                    Method::HEAD
                } else {
                    Method::GET
                };
                body = Bytes::new();
            }
            history.push(path);
            path = next;
        }
    }
}

/// The fields and files of a [`TestRequest::multipart`] body.
///
/// ```
/// use flask::testing::MultipartForm;
/// let form = MultipartForm::new()
///     .text("title", "Holidays")
///     .file("photo", "beach.jpg", "image/jpeg", b"\xff\xd8...".to_vec());
/// # let _ = form;
/// ```
#[derive(Debug, Default, Clone)]
pub struct MultipartForm {
    parts: Vec<Part>,
}

#[derive(Debug, Clone)]
struct Part {
    name: String,
    filename: Option<String>,
    content_type: String,
    data: Vec<u8>,
}

impl MultipartForm {
    /// An empty form.
    pub fn new() -> Self {
        Self::default()
    }

    /// A text field.
    pub fn text(mut self, name: &str, value: &str) -> Self {
        self.parts.push(Part {
            name: name.to_owned(),
            filename: None,
            content_type: String::new(),
            data: value.as_bytes().to_vec(),
        });
        self
    }

    /// A file field: the file's name as the browser would send it, its type and bytes.
    pub fn file(
        mut self,
        name: &str,
        filename: &str,
        content_type: &str,
        data: impl Into<Vec<u8>>,
    ) -> Self {
        self.parts.push(Part {
            name: name.to_owned(),
            filename: Some(filename.to_owned()),
            content_type: content_type.to_owned(),
            data: data.into(),
        });
        self
    }
}

/// Resolves a `Location` against the current path; absolute URLs keep only their path.
fn resolve(current: &str, location: &str) -> String {
    if let Some(rest) = location.split_once("://").map(|(_, r)| r) {
        return rest
            .find('/')
            .map_or_else(|| "/".to_owned(), |i| rest[i..].to_owned());
    }
    if location.starts_with('/') {
        return location.to_owned();
    }
    let base = current.split('?').next().unwrap_or("/");
    let dir = &base[..base.rfind('/').map_or(0, |i| i + 1)];
    format!("{dir}{location}")
}

impl TestClient {
    /// The request as the app receives it: the jar's cookies, `Host: localhost`, the
    /// client's address.
    fn build_request(
        &self,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
        body: Bytes,
        remote_addr: std::net::IpAddr,
    ) -> http::Request<Body> {
        let len = body.len();
        let mut req = http::Request::builder()
            .method(method.clone())
            .uri(path)
            .body(Body::from(body))
            .unwrap_or_else(|e| panic!("cannot build a request for {path:?}: {e}"));
        *req.headers_mut() = headers.clone();
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::new(
                remote_addr,
                0,
            )));
        if !req.headers().contains_key(header::HOST) {
            req.headers_mut()
                .insert(header::HOST, HeaderValue::from_static("localhost"));
        }
        if len > 0 {
            req.headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        }
        if let Some(c) = self.cookie_header() {
            req.headers_mut().insert(header::COOKIE, c);
        }
        req
    }

    async fn send_once(
        &self,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
        body: Bytes,
        remote_addr: std::net::IpAddr,
    ) -> TestResponse {
        let req = self.build_request(method, path, headers, body, remote_addr);
        let resp: Response = self.app.handle(req).await;
        let (parts, body) = resp.into_parts();
        self.store_cookies(&parts.headers);
        let bytes = body
            .collect()
            .await
            .map(http_body_util::Collected::to_bytes)
            .unwrap_or_else(|e| panic!("reading the response body failed: {e}"));
        TestResponse {
            status: parts.status,
            headers: parts.headers,
            body: bytes,
            history: Vec::new(),
        }
    }
}

impl TestRequest {
    /// Sends the request and returns as soon as the response starts, its body still to
    /// read: for event streams and other long responses (see [`TestStream`]).
    pub async fn stream(self) -> TestStream {
        self.client.ensure_started().await;
        let req = self.client.build_request(
            &self.method,
            &self.path,
            &self.headers,
            self.body,
            self.remote_addr,
        );
        let resp: Response = self.client.app.handle(req).await;
        let (parts, body) = resp.into_parts();
        self.client.store_cookies(&parts.headers);
        TestStream::new(parts.status, parts.headers, body)
    }

    /// Opens a WebSocket to the request's path: the handshake goes through the app as a
    /// real client's would (hooks, session, `Origin` check), over an in-memory connection.
    /// A refused handshake gives the app's response instead.
    ///
    /// ```
    /// use flask::{Flask, routing::websocket, ws::{WebSocket, WebSocketUpgrade}};
    /// #[flask::view]
    /// async fn echo(ws: WebSocketUpgrade) -> flask::Response {
    ///     ws.on_upgrade(|mut socket: WebSocket| async move {
    ///         while let Some(msg) = socket.recv().await {
    ///             if socket.send(msg).await.is_err() { break }
    ///         }
    ///     })
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = Flask::new("demo").route("/echo", websocket(echo)).test_client();
    /// let mut ws = client.get("/echo").websocket().await.unwrap();
    /// ws.send_text("hello").await;
    /// assert_eq!(ws.recv_text().await.as_deref(), Some("hello"));
    /// # }
    /// ```
    ///
    /// # Errors
    /// The response, when the app does not switch protocols (a 403 for another origin, a
    /// 429 past the limits, whatever a `before_request` hook answers).
    pub async fn websocket(self) -> Result<TestWebSocket, TestResponse> {
        self.client.ensure_started().await;
        let req = self.client.build_request(
            &Method::GET,
            &self.path,
            &self.headers,
            Bytes::new(),
            self.remote_addr,
        );
        websocket::connect(self.client.clone(), req).await
    }
}

/// A response read by the [`TestClient`].
#[derive(Debug, Clone)]
pub struct TestResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    history: Vec<String>,
}

impl TestResponse {
    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// One header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as text (lossy UTF-8), like `response.text`.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The raw body, like `response.data`.
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }

    /// The body as JSON, like `response.json`.
    ///
    /// # Panics
    /// If the body is not JSON of type `T` (the message shows the body).
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "the response is not the expected JSON ({e}); body: {}",
                self.text()
            )
        })
    }

    /// The paths redirected from, when following redirects.
    pub fn history(&self) -> &[String] {
        &self.history
    }
}

#[cfg(test)]
mod tests {
    use super::resolve;

    #[test]
    fn resolves_locations() {
        assert_eq!(resolve("/a/b", "/c"), "/c");
        assert_eq!(resolve("/a/b", "c"), "/a/c");
        assert_eq!(resolve("/a/b", "http://localhost/x?y=1"), "/x?y=1");
    }
}
