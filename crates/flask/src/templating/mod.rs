//! Templates on minijinja: `render_template`, the app's and blueprints' template folders,
//! autoescape by extension, Flask's template globals, filters, tests and context processors,
//! and reload from disk in debug.

pub(crate) mod request_object;
mod stream;

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Weak};

use axum::response::Html;
use minijinja::value::{Value, merge_maps};
use minijinja::{AutoEscape, Environment};
use minijinja_autoreload::AutoReloader;
use serde::Serialize;

use crate::Error;
use crate::app::AppInner;
use crate::request::{CURRENT, RequestContext};

use request_object::RequestGlobals;
pub use stream::{stream_template, stream_template_string};

/// Registers something (a filter, a test, a global) on every environment the app creates.
pub(crate) type EnvHook = Arc<dyn Fn(&mut Environment<'static>) + Send + Sync>;

/// Computes extra template variables for one request (Flask's context processors).
pub(crate) type ContextProcessor = Arc<dyn Fn(&RequestContext) -> Value + Send + Sync>;

/// What a template hook registers: shared by the app builder and `Setup`.
pub(crate) enum HookKind {
    Filter,
    Test,
    Global,
}

/// A hook registering `f` under `name` as a filter, test or global on every environment.
pub(crate) fn env_hook<F, Rv, Args>(kind: HookKind, name: &'static str, f: F) -> EnvHook
where
    F: minijinja::functions::Function<Rv, Args> + Clone,
    Rv: minijinja::value::FunctionResult,
    Args: for<'a> minijinja::value::FunctionArgs<'a>,
{
    Arc::new(move |env| match kind {
        HookKind::Filter => env.add_filter(name, f.clone()),
        HookKind::Test => env.add_test(name, f.clone()),
        HookKind::Global => env.add_function(name, f.clone()),
    })
}

/// A context processor from a function returning anything serializable.
pub(crate) fn context_processor<F, V>(f: F) -> ContextProcessor
where
    F: Fn(&RequestContext) -> V + Send + Sync + 'static,
    V: Serialize,
{
    Arc::new(move |ctx| Value::from_serialize(f(ctx)))
}

/// A template failed to load or render; shows the template, the line and, in debug, the
/// source around it.
#[derive(Debug)]
pub struct TemplateError(pub minijinja::Error);

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `{:#}` adds the template source around the failing line.
        write!(f, "template error: {:#}", self.0)
    }
}

impl std::error::Error for TemplateError {}

/// Extensions whose templates are HTML or XML, so values are escaped (Flask's list).
const AUTOESCAPE: [&str; 5] = [".html", ".htm", ".xml", ".xhtml", ".svg"];

fn auto_escape(name: &str) -> AutoEscape {
    // `<string>` is `render_template_string`, which Flask escapes too.
    if name == "<string>" || AUTOESCAPE.iter().any(|ext| name.ends_with(ext)) {
        AutoEscape::Html
    } else {
        AutoEscape::None
    }
}

/// Prints values the way Jinja does: `True`/`False`/`None`, and escapes like MarkupSafe
/// (`& < > " '`; minijinja would also escape `/`, which breaks URLs in text).
fn jinja_formatter(
    out: &mut minijinja::Output<'_>,
    state: &minijinja::State<'_, '_>,
    value: &Value,
) -> Result<(), minijinja::Error> {
    use minijinja::value::ValueKind;
    let io = |e: std::fmt::Error| {
        minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string())
    };
    // MarkupSafe's `__html__` protocol: an object that renders itself as HTML (a form
    // field, say) is written as it says, unescaped.
    // The object's own method only (not an `__html__` item of a map), and its result
    // escaped unless it says it is safe HTML.
    if let Some(object) = value.as_object() {
        match object.call_method(state, "__html__", &[]) {
            Ok(html) if html.is_safe() => return out.write_str(&html.to_string()).map_err(io),
            Ok(text) => {
                return write_escaped(out, &text.to_string()).map_err(io);
            }
            Err(e) if e.kind() == minijinja::ErrorKind::UnknownMethod => {}
            Err(e) => return Err(e),
        }
    }
    match value.kind() {
        ValueKind::Bool => out
            .write_str(if value.is_true() { "True" } else { "False" })
            .map_err(io),
        ValueKind::None => out.write_str("None").map_err(io),
        ValueKind::Undefined => Ok(()),
        // Strings are escaped here (MarkupSafe's set); numbers and the rest need nothing
        // different from minijinja's own formatter.
        ValueKind::String
            if matches!(state.auto_escape(), AutoEscape::Html) && !value.is_safe() =>
        {
            write_escaped(out, value.as_str().unwrap_or_default()).map_err(io)
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

/// Writes `s` with `& < > " '` escaped, without building a new string.
fn write_escaped(out: &mut minijinja::Output<'_>, s: &str) -> std::fmt::Result {
    let mut last = 0;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        // The five bytes to escape all lie in '"'..='>': one comparison passes the others.
        if b.wrapping_sub(b'"') > b'>' - b'"' {
            continue;
        }
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&#34;",
            b'\'' => "&#39;",
            _ => continue,
        };
        if last < i {
            out.write_str(&s[last..i])?;
        }
        out.write_str(rep)?;
        last = i + 1;
    }
    if last < s.len() {
        out.write_str(&s[last..])
    } else {
        Ok(())
    }
}

/// What the environment is built from, collected by the builder.
#[derive(Clone, Default)]
pub(crate) struct TemplateSetup {
    /// Template folders, the app's first (it wins), then the blueprints' in registration order.
    pub(crate) folders: Vec<PathBuf>,
    /// The app's templates compiled into the binary; searched before the folders.
    pub(crate) embedded: Option<crate::embed::EmbeddedSource>,
    /// Folders watched for reload besides `folders` (the app's, when embedded).
    pub(crate) watch: Vec<PathBuf>,
    pub(crate) hooks: Vec<EnvHook>,
    /// Run in the request before a streamed template starts (see [`stream_template`]).
    pub(crate) before_stream: Vec<StreamHook>,
    /// Templates extensions ship (`template_source`), searched after the folders; a later
    /// one of the same name wins.
    pub(crate) sources: Vec<(String, std::borrow::Cow<'static, str>)>,
}

/// A function an extension runs before a template is streamed, while the session can
/// still be saved (flask-wtf puts the CSRF secret into the session there).
pub(crate) type StreamHook = Arc<dyn Fn(&RequestContext) -> Result<(), Error> + Send + Sync>;

/// The app's template environment.
pub(crate) struct Templates {
    source: EnvSource,
    before_stream: Vec<StreamHook>,
}

/// Where renders get the environment.
enum EnvSource {
    /// `TEMPLATES_AUTO_RELOAD` (on in debug mode): rebuilt when a watched file changes. The
    /// reloader lends it under a lock, so renders take turns.
    Reloading(Box<AutoReloader>),
    /// Built once: renders run side by side (minijinja locks only to load a template).
    Fixed(Box<Environment<'static>>),
}

/// The environment for one render.
pub(crate) enum EnvRef<'a> {
    Guard(minijinja_autoreload::EnvironmentGuard<'a>),
    Plain(&'a Environment<'static>),
}

impl std::ops::Deref for EnvRef<'_> {
    type Target = Environment<'static>;

    fn deref(&self) -> &Environment<'static> {
        match self {
            EnvRef::Guard(guard) => guard,
            EnvRef::Plain(env) => env,
        }
    }
}

/// A new environment with the app's loaders, globals, filters and hooks.
fn build_env(setup: &TemplateSetup, app: &Weak<AppInner>, config: &Value) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(auto_escape);
    env.set_formatter(jinja_formatter);
    let loaders: Vec<_> = setup.folders.iter().map(minijinja::path_loader).collect();
    let embedded = setup.embedded.clone();
    let sources: std::collections::HashMap<String, std::borrow::Cow<'static, str>> =
        setup.sources.iter().cloned().collect();
    env.set_loader(move |name| {
        if let Some(asset) = embedded.as_ref().and_then(|get| get(name)) {
            let source = String::from_utf8(asset.data.into_owned()).map_err(|e| {
                minijinja::Error::new(
                    minijinja::ErrorKind::CannotDeserialize,
                    format!("the embedded template {name} is not UTF-8: {e}"),
                )
            })?;
            return Ok(Some(source));
        }
        for load in &loaders {
            if let Some(source) = load(name)? {
                return Ok(Some(source));
            }
        }
        Ok(sources.get(name).map(|s| s.clone().into_owned()))
    });
    env.add_global("config", config.clone());
    let weak = app.clone();
    env.add_function(
        "url_for",
        move |endpoint: String, kwargs: minijinja::value::Kwargs| {
            url_for(&weak, &endpoint, &kwargs)
        },
    );
    env.add_function("get_flashed_messages", get_flashed_messages);
    for hook in &setup.hooks {
        hook(&mut env);
    }
    env
}

impl Templates {
    pub(crate) fn new(
        setup: TemplateSetup,
        app: Weak<AppInner>,
        config: Value,
        reload: bool,
    ) -> Self {
        let before_stream = setup.before_stream.clone();
        let source = if reload {
            EnvSource::Reloading(Box::new(AutoReloader::new(move |notifier| {
                for folder in setup.folders.iter().chain(&setup.watch) {
                    notifier.watch_path(folder, true);
                }
                Ok(build_env(&setup, &app, &config))
            })))
        } else {
            EnvSource::Fixed(Box::new(build_env(&setup, &app, &config)))
        };
        Templates {
            source,
            before_stream,
        }
    }

    /// The environment to render with.
    pub(crate) fn env(&self) -> Result<EnvRef<'_>, Error> {
        match &self.source {
            EnvSource::Reloading(reloader) => reloader
                .acquire_env()
                .map(EnvRef::Guard)
                .map_err(template_error),
            EnvSource::Fixed(env) => Ok(EnvRef::Plain(env)),
        }
    }

    /// Renders template `name` with `context`, plus the request's globals and the context
    /// processors' values (the caller's context wins on a name clash, as in Flask).
    pub(crate) fn render(
        &self,
        name: Option<&str>,
        source: Option<&str>,
        context: Value,
        extra: Value,
        signals: &crate::signals::Signals,
    ) -> Result<String, Error> {
        let env = self.env()?;
        // Later maps win: the caller's context over processors and builtins.
        let ctx = merge_maps([extra, context]);
        signals.send(&crate::signals::Signal::BeforeRenderTemplate {
            template: name,
            context: &ctx,
        });
        // A panicking filter or global must not unwind through the reloader's lock: a
        // poisoned lock would fail every later render of the app. The panic goes on once
        // the lock is released (and the request answers a 500).
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match (name, source) {
            (Some(name), _) => env.get_template(name).and_then(|t| t.render(&ctx)),
            (None, Some(source)) => env.render_str(source, &ctx),
            (None, None) => unreachable_render(),
        }));
        drop(env);
        let out = out
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            .map_err(template_error)?;
        signals.send(&crate::signals::Signal::TemplateRendered {
            template: name,
            context: &ctx,
        });
        Ok(out)
    }
}

fn unreachable_render() -> Result<String, minijinja::Error> {
    Err(minijinja::Error::new(
        minijinja::ErrorKind::InvalidOperation,
        "neither a template name nor a source was given",
    ))
}

fn template_error(e: minijinja::Error) -> Error {
    Error::internal(TemplateError(e))
}

/// `url_for` in templates: relative to the current request, or external outside one.
fn url_for(
    app: &Weak<AppInner>,
    endpoint: &str,
    kwargs: &minijinja::value::Kwargs,
) -> Result<String, minijinja::Error> {
    let build = |mut builder: crate::routing::UrlFor<'_>| -> Result<String, minijinja::Error> {
        for key in kwargs.args() {
            let value: Value = kwargs.get(key)?;
            // As Werkzeug: a list is one query argument per item, `none` is left out.
            builder = if value.is_none() || value.is_undefined() {
                builder
            } else if value.kind() == minijinja::value::ValueKind::Seq {
                builder.value_list(key, value.try_iter()?)
            } else {
                builder.value(key, value)
            };
        }
        builder.build().map_err(|e| {
            minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string())
        })
    };
    if let Ok(result) = CURRENT.try_with(|ctx| build(ctx.url_for(endpoint))) {
        return result;
    }
    let app = app.upgrade().map(crate::App::from_inner).ok_or_else(|| {
        minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, "the app is gone")
    })?;
    build(app.url_for(endpoint))
}

/// `get_flashed_messages(with_categories=false, category_filter=[])` in templates.
#[allow(clippy::needless_pass_by_value)] // minijinja passes Kwargs by value
fn get_flashed_messages(kwargs: minijinja::value::Kwargs) -> Result<Value, minijinja::Error> {
    let with_categories: bool = kwargs
        .get::<Option<bool>>("with_categories")?
        .unwrap_or(false);
    let filter: Vec<String> = kwargs
        .get::<Option<Vec<String>>>("category_filter")?
        .unwrap_or_default();
    kwargs.assert_all_used()?;
    let Some(session) = CURRENT.try_with(RequestContext::session).ok().flatten() else {
        return Ok(Value::from(Vec::<Value>::new()));
    };
    let filter: Vec<&str> = filter.iter().map(String::as_str).collect();
    let flashes = session.get_flashed_messages(&filter);
    Ok(if with_categories {
        Value::from_serialize(
            flashes
                .iter()
                .map(|f| (&f.category, &f.message))
                .collect::<Vec<_>>(),
        )
    } else {
        Value::from_serialize(flashes.iter().map(|f| &f.message).collect::<Vec<_>>())
    })
}

/// The values every template of a request sees besides the caller's: `request`, `g`,
/// `session` (made when first looked up), and what the context processors of the app and
/// the request's blueprints return.
pub(crate) fn request_values(ctx: &RequestContext) -> Value {
    let app = ctx.app_inner();
    let globals = Value::from_object(RequestGlobals::new(ctx.clone()));
    // Later maps win: builtins, then the app's processors, then the blueprints' (outer to
    // inner).
    let mut maps = Vec::new();
    for &scope in ctx.scope_chain() {
        for processor in &app.scopes[scope].hooks.context_processors {
            if maps.is_empty() {
                maps.push(globals.clone());
            }
            maps.push(processor(ctx));
        }
    }
    if maps.is_empty() {
        globals
    } else {
        merge_maps(maps)
    }
}

/// Flask's `render_template`: renders `name` from the template folders with `context`, in
/// the current request (so `url_for`, `request`, `g` and context processors work).
///
/// Templates ending in `.html`, `.htm`, `.xml`, `.xhtml` or `.svg` escape their values. A
/// missing template or an error in one is a 500 whose cause names the template and line
/// (shown in the page when `DEBUG` is on).
///
/// ```no_run
/// use flask::{Error, Html, render_template, context};
/// #[flask::view]
/// async fn index() -> Result<Html<String>, Error> {
///     render_template("index.html", context! { title => "Home", posts => vec!["a", "b"] })
/// }
/// ```
pub fn render_template(name: &str, context: impl Serialize) -> Result<Html<String>, Error> {
    render(Some(name), None, context)
}

/// Flask's `render_template_string`: renders `source` (escaped like an `.html` template).
///
/// ```
/// use flask::{Flask, render_template_string, context, routing::get};
/// #[flask::view]
/// async fn hello(flask::Path(name): flask::Path<String>) -> Result<flask::Html<String>, flask::Error> {
///     render_template_string("Hello {{ name }}!", context! { name })
/// }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = Flask::new("demo").route("/hello/<name>", get(hello)).test_client();
/// assert_eq!(client.get("/hello/%3Cb%3E").send().await.text(), "Hello &lt;b&gt;!");
/// # }
/// ```
pub fn render_template_string(
    source: &str,
    context: impl Serialize,
) -> Result<Html<String>, Error> {
    render(None, Some(source), context)
}

fn render(
    name: Option<&str>,
    source: Option<&str>,
    context: impl Serialize,
) -> Result<Html<String>, Error> {
    let ctx = CURRENT.try_with(RequestContext::clone).map_err(|_| {
        Error::internal(
            "render_template was called outside a request; use App::render_template there",
        )
    })?;
    let extra = request_values(&ctx);
    let app = ctx.app_inner();
    app.templates
        .render(
            name,
            source,
            Value::from_serialize(&context),
            extra,
            &app.signals,
        )
        .map(Html)
}

impl crate::App {
    /// Renders a template outside a request (a script, an email): no `request`, `g` or
    /// context processors; `url_for` builds external URLs (set `SERVER_NAME`).
    pub fn render_template(&self, name: &str, context: impl Serialize) -> Result<String, Error> {
        self.inner.templates.render(
            Some(name),
            None,
            Value::from_serialize(&context),
            Value::from(()),
            &self.inner.signals,
        )
    }
}
