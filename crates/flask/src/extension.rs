//! The `Extension` trait every extension implements, and the `Setup` handle it receives.

use std::any::{Any, TypeId, type_name};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::Config;
use crate::app::{BoxError, Flask};
use crate::registrar::{ScopeDef, app_methods, hook_methods, scope_methods, template_methods};

/// An extension: plugs into the app once, at startup, like Flask's `ext.init_app(app)`.
///
/// `init_app` reads config, sets defaults, adds state, routes, blueprints, hooks, layers
/// and startup/shutdown tasks through [`Setup`]. It runs once, in registration order,
/// when the app is built; every registered extension can already be found by type then,
/// so a missing dependency is a startup error ([`Setup::require`]), not a request-time panic.
///
/// ```
/// use flask::{Extension, Flask, Setup, SetupError};
///
/// struct Motd;
/// impl Extension for Motd {
///     fn name(&self) -> &'static str { "motd" }
///     fn init_app(&self, setup: &mut Setup<'_>) -> Result<(), SetupError> {
///         setup.config_mut().set_default("MOTD", "hello");
///         let text: String = setup.config().get("MOTD")?.unwrap_or_default();
///         setup.state(text);
///         Ok(())
///     }
/// }
/// let app = Flask::new("demo").extension(Motd).build().unwrap();
/// assert_eq!(app.state::<String>().unwrap().as_str(), "hello");
/// ```
pub trait Extension: Send + Sync + 'static {
    /// A short name for messages and `flask routes` (`"flask-login"`).
    fn name(&self) -> &'static str;

    /// Wires the extension into the app. Called once, in registration order.
    fn init_app(&self, setup: &mut Setup<'_>) -> Result<(), SetupError>;
}

/// Why the app could not be built. Each message names the cause and the fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// A rule could not be parsed.
    #[error("invalid rule {rule:?}: {reason}")]
    InvalidRule {
        /// The rule (with its blueprint prefix).
        rule: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Two different handlers were given the same endpoint name.
    #[error(
        "endpoint {endpoint:?} is used by two different handlers (rules {first:?} and {second:?}); give one of them another name with .endpoint(\"...\")"
    )]
    DuplicateEndpoint {
        /// The endpoint.
        endpoint: String,
        /// The rule that had it first.
        first: String,
        /// The rule that wanted it too.
        second: String,
    },
    /// A blueprint name is empty, has a dot, or is registered twice.
    #[error("blueprint {name:?}: {reason}")]
    Blueprint {
        /// The blueprint's (full) name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// An error handler for a status that is not an error status.
    #[error("errorhandler({code}): only 400-599 can be handled")]
    InvalidErrorCode {
        /// The code given.
        code: u16,
    },
    /// An extension needs another one that is not registered.
    #[error(
        "{needed_by} needs the extension {missing}, which is not registered: add .extension(..) for it to the app"
    )]
    MissingExtension {
        /// The extension that needs it.
        needed_by: String,
        /// The missing extension's type.
        missing: String,
    },
    /// The same extension type was registered twice.
    #[error("the extension {name} is registered twice: register it once")]
    DuplicateExtension {
        /// Its name.
        name: String,
    },
    /// A config source or value is wrong.
    #[error(transparent)]
    Config(#[from] crate::ConfigError),
    /// A setting's value is out of range or of the wrong kind (`REALTIME_*`,
    /// `WEBSOCKET_*`, `SSE_*`): the message names the key and what it takes.
    #[error("{0}")]
    Setting(String),
    /// An extension's own setup failed.
    #[error("extension {name} failed to set up: {source}")]
    Extension {
        /// The extension's name.
        name: String,
        /// Its error.
        #[source]
        source: BoxError,
    },
}

impl SetupError {
    /// An extension's own error, for [`Extension::init_app`].
    pub fn extension(name: &str, source: impl Into<BoxError>) -> Self {
        SetupError::Extension {
            name: name.to_owned(),
            source: source.into(),
        }
    }
}

/// Registered extensions, by type.
pub(crate) type Registry = HashMap<TypeId, (Arc<dyn Any + Send + Sync>, &'static str)>;

/// What an extension's `init_app` works with: the app being built.
pub struct Setup<'a> {
    pub(crate) app: &'a mut Flask,
    pub(crate) owner: &'static str,
    pub(crate) registry: &'a Registry,
}

impl std::fmt::Debug for Setup<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Setup")
            .field("extension", &self.owner)
            .finish()
    }
}

impl Setup<'_> {
    /// The name of the extension being set up.
    pub fn extension_name(&self) -> &'static str {
        self.owner
    }

    /// The app's name.
    pub fn app_name(&self) -> &str {
        &self.app.name
    }

    /// The app's root folder (where `templates/`, `static/` and `instance/` live).
    pub fn root_path(&self) -> &Path {
        &self.app.root_path
    }

    /// The app's config (already filled from every source).
    pub fn config(&self) -> &Config {
        &self.app.config
    }

    /// The config, to set defaults (`set_default`) for the extension's own keys.
    pub fn config_mut(&mut self) -> &mut Config {
        &mut self.app.config
    }

    /// A value stored with [`Setup::state`] (by the app or an extension set up earlier).
    pub fn get_state<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.app
            .state
            .get(&TypeId::of::<T>())
            .and_then(|v| v.downcast_ref::<T>())
    }

    fn registrar(&mut self) -> &mut ScopeDef {
        &mut self.app.scope
    }

    fn builder(&mut self) -> &mut Flask {
        self.app
    }

    fn task_owner(&self) -> &'static str {
        self.owner
    }

    scope_methods!([&mut] &mut Self);
    hook_methods!(
        [&mut] &mut Self, app_wide: false, scope: "the app's requests",
        before_request, after_request, teardown_request, errorhandler, errorhandler_for,
        errorhandler_any, errorhandler_http, context_processor, url_value_preprocessor,
        url_defaults
    );
    template_methods!([&mut] &mut Self, template_filter, template_test, template_global);
    app_methods!([&mut] &mut Self);

    /// Another registered extension, by type.
    pub fn extension<E: Send + Sync + 'static>(&self) -> Option<Arc<E>> {
        let (any, _) = self.registry.get(&TypeId::of::<E>())?;
        any.clone().downcast::<E>().ok()
    }

    /// Another extension this one cannot work without: a [`SetupError::MissingExtension`]
    /// naming both when it is not registered.
    pub fn require<E: Send + Sync + 'static>(&self) -> Result<Arc<E>, SetupError> {
        self.extension::<E>()
            .ok_or_else(|| SetupError::MissingExtension {
                needed_by: self.owner.to_owned(),
                missing: type_name::<E>().to_owned(),
            })
    }
}
