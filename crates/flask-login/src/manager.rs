//! `LoginManager<U>`: the extension, its options, and what it reads from the config.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use axum::response::{IntoResponse, Response};
use flask::signing::Signer;
use flask::{Extension, RequestContext, Setup, SetupError};

use crate::UserMixin;
use crate::loader::{
    ErasedRequestLoader, ErasedUserLoader, RequestLoader, UserLoader, erase_request_loader,
    erase_user_loader,
};

/// Flask-Login's `session_protection`: what happens when a logged-in session comes back
/// from another client (another IP address or User-Agent than at login).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SessionProtection {
    /// Nothing is checked.
    Off,
    /// The login is marked not fresh: views behind `FreshLoginRequired` ask for the
    /// password again. Flask-Login's default.
    #[default]
    Basic,
    /// The user is logged out (remember-me cookie included). A permanent session is
    /// treated as `Basic`, as Flask-Login does.
    Strong,
}

impl SessionProtection {
    fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "basic" => Some(SessionProtection::Basic),
            "strong" => Some(SessionProtection::Strong),
            "" | "off" | "none" => Some(SessionProtection::Off),
            _ => None,
        }
    }
}

/// Something that happened to a login (Flask-Login's signals), for
/// [`LoginManager::on_event`].
#[derive(Debug)]
#[non_exhaustive]
pub enum LoginEvent<'a, U> {
    /// `login_user` logged this user in (`user_logged_in`).
    LoggedIn(&'a U),
    /// `logout_user` logged this user out (`user_logged_out`); `None` if nobody was in.
    LoggedOut(Option<&'a U>),
    /// The user was loaded from a remember-me cookie (`user_loaded_from_cookie`).
    LoadedFromCookie(&'a U),
    /// The `request_loader` found this user (`user_loaded_from_request`).
    LoadedFromRequest(&'a U),
    /// `confirm_login` made the login fresh again (`user_login_confirmed`).
    LoginConfirmed,
    /// A view that needs a login was asked for without one (`user_unauthorized`).
    Unauthorized,
    /// A view that needs a fresh login was asked for with a stale one (`user_needs_refresh`).
    NeedsRefresh,
    /// Session protection saw the session come from another client (`session_protected`).
    SessionProtected,
}

type EventFn<U> = Arc<dyn Fn(&RequestContext, &LoginEvent<'_, U>) + Send + Sync>;
type ResponseFn = Arc<dyn Fn(&RequestContext) -> Response + Send + Sync>;

/// What `init_app` read from the config.
pub(crate) struct Settings {
    pub(crate) signer: Signer,
    pub(crate) protection: SessionProtection,
    pub(crate) login_disabled: bool,
    pub(crate) use_session_for_next: bool,
    pub(crate) cookie: crate::remember::CookieSettings,
}

/// Flask-Login's `LoginManager`, for users of type `U`: loads the user of each request,
/// guards views, and keeps the remember-me cookie.
///
/// ```
/// use flask::{Flask, G, routing::get};
/// use flask_login::{CurrentUser, LoginManager, LoginRequired, UserMixin};
///
/// #[derive(Clone, serde::Serialize)]
/// struct User { id: i64, name: String }
/// impl UserMixin for User {
///     fn get_id(&self) -> String { self.id.to_string() }
/// }
///
/// async fn load_user(id: String) -> Option<User> {
///     (id == "1").then(|| User { id: 1, name: "ada".into() })
/// }
/// #[flask::view]
/// async fn profile(LoginRequired(user): LoginRequired<User>) -> String {
///     format!("hello {}", user.name)
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = Flask::new("demo")
///     .configure(|c| c.set("SECRET_KEY", "dev"))
///     .extension(LoginManager::<User>::new().user_loader(|id: String| load_user(id)))
///     .route("/profile", get(profile))
///     .test_client();
/// // No login_view: a 401.
/// assert_eq!(client.get("/profile").send().await.status(), 401);
/// use flask_login::testing::LoginClient;
/// client.login_as(&User { id: 1, name: "ada".into() }).await;
/// assert_eq!(client.get("/profile").send().await.text(), "hello ada");
/// # }
/// ```
pub struct LoginManager<U: UserMixin> {
    pub(crate) user_loader: Option<Arc<dyn ErasedUserLoader<U>>>,
    pub(crate) request_loader: Option<Arc<dyn ErasedRequestLoader<U>>>,
    pub(crate) login_view: Option<String>,
    pub(crate) blueprint_login_views: HashMap<String, String>,
    pub(crate) login_message: Option<String>,
    pub(crate) login_message_category: String,
    pub(crate) refresh_view: Option<String>,
    pub(crate) needs_refresh_message: Option<String>,
    pub(crate) needs_refresh_message_category: String,
    pub(crate) unauthorized_handler: Option<ResponseFn>,
    pub(crate) needs_refresh_handler: Option<ResponseFn>,
    pub(crate) anonymous_user: serde_json::Value,
    pub(crate) session_protection: SessionProtection,
    pub(crate) events: Vec<EventFn<U>>,
    pub(crate) settings: OnceLock<Settings>,
}

impl<U: UserMixin> std::fmt::Debug for LoginManager<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginManager")
            .field("user", &std::any::type_name::<U>())
            .field("login_view", &self.login_view)
            .field("session_protection", &self.session_protection)
            .finish_non_exhaustive()
    }
}

impl<U: UserMixin> Default for LoginManager<U> {
    fn default() -> Self {
        Self::new()
    }
}

impl<U: UserMixin> LoginManager<U> {
    /// A manager with Flask-Login's defaults: no login view (401s), basic session
    /// protection, "Please log in to access this page." as the login message.
    pub fn new() -> Self {
        LoginManager {
            user_loader: None,
            request_loader: None,
            login_view: None,
            blueprint_login_views: HashMap::new(),
            login_message: Some("Please log in to access this page.".to_owned()),
            login_message_category: "message".to_owned(),
            refresh_view: None,
            needs_refresh_message: Some("Please reauthenticate to access this page.".to_owned()),
            needs_refresh_message_category: "message".to_owned(),
            unauthorized_handler: None,
            needs_refresh_handler: None,
            anonymous_user: serde_json::Value::Object(serde_json::Map::new()),
            session_protection: SessionProtection::Basic,
            events: Vec::new(),
            settings: OnceLock::new(),
        }
    }

    /// Flask-Login's `@login_manager.user_loader`: loads a user by the id
    /// [`UserMixin::get_id`] gave; `None` (a deleted user) means nobody is logged in. Its
    /// other arguments are extractors (`Db`, `G`, ...). See [`UserLoader`].
    pub fn user_loader<L: UserLoader<U, T>, T: 'static>(mut self, loader: L) -> Self {
        self.user_loader = Some(erase_user_loader(loader));
        self
    }

    /// Flask-Login's `@login_manager.request_loader`: finds a user from the request when
    /// the session has none (API keys, tokens, Basic auth). See [`RequestLoader`].
    pub fn request_loader<L: RequestLoader<U, T>, T: 'static>(mut self, loader: L) -> Self {
        self.request_loader = Some(erase_request_loader(loader));
        self
    }

    /// Where anonymous users are sent when they need to log in: an endpoint
    /// (`"auth.login"`) or a path (`"/login"`). Without one they get a 401.
    pub fn login_view(mut self, view: impl Into<String>) -> Self {
        self.login_view = Some(view.into());
        self
    }

    /// The login view for the views of one blueprint (Flask-Login's
    /// `blueprint_login_views`); others use [`login_view`](Self::login_view).
    pub fn blueprint_login_view(
        mut self,
        blueprint: impl Into<String>,
        view: impl Into<String>,
    ) -> Self {
        self.blueprint_login_views
            .insert(blueprint.into(), view.into());
        self
    }

    /// The message flashed when redirecting to the login view (`None`: nothing flashed).
    pub fn login_message(mut self, message: Option<&str>) -> Self {
        self.login_message = message.map(str::to_owned);
        self
    }

    /// The category of the login message (`"message"` by default).
    pub fn login_message_category(mut self, category: impl Into<String>) -> Self {
        self.login_message_category = category.into();
        self
    }

    /// Where a user with a stale login is sent to type the password again, for
    /// [`FreshLoginRequired`](crate::FreshLoginRequired) views. Without one: a 401.
    pub fn refresh_view(mut self, view: impl Into<String>) -> Self {
        self.refresh_view = Some(view.into());
        self
    }

    /// The message flashed when redirecting to the refresh view (`None`: nothing flashed).
    pub fn needs_refresh_message(mut self, message: Option<&str>) -> Self {
        self.needs_refresh_message = message.map(str::to_owned);
        self
    }

    /// The category of the refresh message (`"message"` by default).
    pub fn needs_refresh_message_category(mut self, category: impl Into<String>) -> Self {
        self.needs_refresh_message_category = category.into();
        self
    }

    /// Flask-Login's `@login_manager.unauthorized_handler`: answers a request that needs a
    /// login instead of the redirect or 401 (a JSON error for an API, say).
    pub fn unauthorized_handler<F, R>(mut self, handler: F) -> Self
    where
        F: Fn(&RequestContext) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        self.unauthorized_handler = Some(Arc::new(move |ctx| handler(ctx).into_response()));
        self
    }

    /// Flask-Login's `@login_manager.needs_refresh_handler`: answers a request that needs a
    /// fresh login instead of the redirect or 401.
    pub fn needs_refresh_handler<F, R>(mut self, handler: F) -> Self
    where
        F: Fn(&RequestContext) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        self.needs_refresh_handler = Some(Arc::new(move |ctx| handler(ctx).into_response()));
        self
    }

    /// Flask-Login's `anonymous_user`: what templates see as `current_user` when nobody is
    /// logged in, besides `is_authenticated` (false), `is_active` (false) and
    /// `is_anonymous` (true). For example `json!({"name": "Guest"})`.
    ///
    /// # Panics
    /// If `attributes` cannot be serialized.
    pub fn anonymous_user(mut self, attributes: impl serde::Serialize) -> Self {
        self.anonymous_user = serde_json::to_value(attributes)
            .unwrap_or_else(|e| panic!("anonymous_user: cannot serialize the attributes: {e}"));
        self
    }

    /// Flask-Login's `session_protection` (`SESSION_PROTECTION` in the config wins: `"basic"`,
    /// `"strong"`, or `"off"` / `false` for Flask-Login's `None`, since a null config value
    /// counts as unset here).
    pub fn session_protection(mut self, mode: SessionProtection) -> Self {
        self.session_protection = mode;
        self
    }

    /// Calls `f` on each [`LoginEvent`] (Flask-Login's signals: logged in, logged out,
    /// loaded from cookie, unauthorized, ...). Called in the request, synchronously: keep
    /// it short, or spawn a task.
    pub fn on_event<F>(mut self, f: F) -> Self
    where
        F: Fn(&RequestContext, &LoginEvent<'_, U>) + Send + Sync + 'static,
    {
        self.events.push(Arc::new(f));
        self
    }

    pub(crate) fn emit(&self, ctx: &RequestContext, event: &LoginEvent<'_, U>) {
        for f in &self.events {
            f(ctx, event);
        }
    }

    pub(crate) fn settings(&self) -> &Settings {
        self.settings
            .get()
            .unwrap_or_else(|| unreachable!("LoginManager is used only after init_app ran"))
    }

    fn read_settings(&self, setup: &Setup<'_>) -> Result<Settings, SetupError> {
        let config = setup.config();
        let signer = Signer::from_config(config, "flask-login remember-me")?.ok_or_else(|| {
            SetupError::extension(
                "flask-login",
                "flask-login needs sessions, which need a secret key: set SECRET_KEY in the \
                 config (for example FLASK_SECRET_KEY in the environment)",
            )
        })?;
        let protection = match config.get::<serde_json::Value>("SESSION_PROTECTION")? {
            None => self.session_protection,
            Some(serde_json::Value::Bool(false)) => SessionProtection::Off,
            Some(serde_json::Value::String(s)) if SessionProtection::parse(&s).is_some() => {
                SessionProtection::parse(&s).unwrap_or_default()
            }
            Some(other) => {
                return Err(SetupError::extension(
                    "flask-login",
                    format!("SESSION_PROTECTION is {other}; use \"basic\", \"strong\" or \"off\""),
                ));
            }
        };
        Ok(Settings {
            signer,
            protection,
            login_disabled: config.get_bool("LOGIN_DISABLED"),
            use_session_for_next: config.get_bool("USE_SESSION_FOR_NEXT"),
            cookie: crate::remember::CookieSettings::from_config(config)?,
        })
    }
}

impl<U: UserMixin> Extension for LoginManager<U> {
    fn name(&self) -> &'static str {
        "flask-login"
    }

    fn init_app(&self, setup: &mut Setup<'_>) -> Result<(), SetupError> {
        if self.user_loader.is_none() && self.request_loader.is_none() {
            return Err(SetupError::extension(
                "flask-login",
                format!(
                    "LoginManager<{}> has no user_loader: add .user_loader(|id: String, ...| \
                     async move {{ ... }}) that loads a user by the id get_id() gave",
                    std::any::type_name::<U>()
                ),
            ));
        }
        // One manager per app: two would share the session keys and the cookie, and a login
        // as one user type would be taken for a login as the other.
        if let Some(OneManager(other)) = setup.get_state::<OneManager>() {
            return Err(SetupError::extension(
                "flask-login",
                format!(
                    "a LoginManager<{other}> is registered already, and an app has one \
                     LoginManager; make one user type (an enum of kinds, say) instead of \
                     LoginManager<{}>",
                    std::any::type_name::<U>()
                ),
            ));
        }
        setup.state(OneManager(std::any::type_name::<U>()));
        let config = setup.config_mut();
        config.set_default("REMEMBER_COOKIE_NAME", "remember_token");
        config.set_default("REMEMBER_COOKIE_DURATION", 365 * 24 * 3600);
        config.set_default("REMEMBER_COOKIE_PATH", "/");
        config.set_default("REMEMBER_COOKIE_SECURE", false);
        config.set_default("REMEMBER_COOKIE_HTTPONLY", true);
        config.set_default("REMEMBER_COOKIE_SAMESITE", "Lax");
        config.set_default("REMEMBER_COOKIE_REFRESH_EACH_REQUEST", false);
        config.set_default("LOGIN_DISABLED", false);
        config.set_default("USE_SESSION_FOR_NEXT", false);
        config.set_default(
            "PASSWORD_HASH_QUEUE_LIMIT",
            crate::passwords::DEFAULT_HASH_QUEUE_LIMIT,
        );
        let limit: usize = setup
            .config()
            .get("PASSWORD_HASH_QUEUE_LIMIT")?
            .unwrap_or(crate::passwords::DEFAULT_HASH_QUEUE_LIMIT);
        if limit == 0 {
            return Err(SetupError::extension(
                "flask-login",
                "PASSWORD_HASH_QUEUE_LIMIT is 0: no password could ever be checked; give the \
                 number of hashes that may wait (32 by default)",
            ));
        }
        crate::passwords::set_hash_queue_limit(limit);
        // A full hash queue is a 503 with Retry-After, not a 500 (nor "wrong password").
        setup.errorhandler_for::<crate::passwords::HashQueueFull, _, _>(hash_queue_full);
        let settings = self.read_settings(setup)?;
        // A second init_app of the same manager (another app) keeps the first's settings.
        let _ = self.settings.set(settings);
        let views: Vec<String> = self
            .login_view
            .iter()
            .chain(self.refresh_view.iter())
            .chain(self.blueprint_login_views.values())
            .filter(|v| !is_url(v))
            .cloned()
            .collect();
        setup.on_startup(move |app| async move {
            let rules = app.rules();
            for view in views {
                if !rules.iter().any(|r| r.endpoint == view) {
                    return Err(format!(
                        "flask-login: the login view {view:?} is not an endpoint of the app; \
                         give LoginManager an endpoint that exists (such as \"auth.login\") \
                         or a path"
                    )
                    .into());
                }
            }
            Ok(())
        });
        setup.before_request(crate::hooks::LoadUser::<U>::new());
        setup.after_request(|ctx: RequestContext, resp| async move {
            crate::remember::after_request::<U>(&ctx, resp)
        });
        setup.context_processor(crate::template::current_user::<U>);
        Ok(())
    }
}

/// Marks the app as having a `LoginManager` (of the named user type).
struct OneManager(&'static str);

/// A login view given as a path or URL rather than an endpoint.
pub(crate) fn is_url(view: &str) -> bool {
    view.starts_with('/') || view.starts_with("http://") || view.starts_with("https://")
}

/// The answer to a request whose password could not be checked because the hash queue is
/// full: 503, and when to try again.
async fn hash_queue_full() -> Result<(), flask::Error> {
    Err(flask::Error::with_description(
        http::StatusCode::SERVICE_UNAVAILABLE,
        "Too many passwords are being checked right now. Please try again in a moment.",
    )
    .with_header(
        http::header::RETRY_AFTER,
        http::HeaderValue::from_static("1"),
    ))
}
