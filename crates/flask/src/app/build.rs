//! Building the app: extensions' `init_app`, then every scope flattened into the URL map,
//! the hook chains and the error handler tables.

use std::any::TypeId;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, Weak};

use axum::extract::DefaultBodyLimit;
use tower::util::BoxCloneSyncService;

use super::service::{AppInner, WeakDispatch};
use super::{App, Flask, Route};
use crate::extension::{Registry, Setup, SetupError};
use crate::registrar::{Hooks, ScopeDef};
use crate::routing::blueprint::join_rule;
use crate::routing::method_routing::MethodHandlers;
use crate::routing::rule::Rule;
use crate::routing::url_for::UrlSettings;
use crate::routing::url_map::{DomainMode, RuleEntry, UrlMap};

impl Flask {
    /// Builds the app: runs the extensions' `init_app`, compiles every rule, and checks
    /// endpoints, blueprints and error handlers. Every mistake is reported here.
    pub fn build(mut self) -> Result<App, SetupError> {
        if let Some(e) = self.errors.drain(..).next() {
            return Err(e);
        }
        // Before the extensions read it.
        crate::secret_key::load_from_file(&mut self.config, &self.root_path.join("instance"))?;
        let extensions = std::mem::take(&mut self.extensions);
        let registry: Registry = extensions
            .iter()
            .map(|(_, id, any, name)| (*id, (any.clone(), *name)))
            .collect();
        // Extensions' hooks go where Flask's `ext.init_app(app)`, called right after the app
        // is made, puts them: their before_request hooks run before the app's own, their
        // after_request and teardown hooks after the app's (so a cookie an extension sets
        // is not lost to a hook of the app that builds a new response).
        let app_before = std::mem::take(&mut self.scope.local.before);
        let app_after = std::mem::take(&mut self.scope.local.after);
        let app_teardown = std::mem::take(&mut self.scope.local.teardown);
        // The app's own startup and serve tasks run after the extensions' (and the session
        // store's): a task seeding data finds the pool connected and the tables made.
        let app_startup = std::mem::take(&mut self.startup);
        let app_serve = std::mem::take(&mut self.serve);
        for (ext, ..) in &extensions {
            self.scope.owner = Some(ext.name());
            let mut setup = Setup {
                app: &mut self,
                owner: ext.name(),
                registry: &registry,
            };
            let result = ext.init_app(&mut setup);
            self.scope.owner = None;
            result?;
        }
        self.scope.local.before.extend(app_before);
        self.scope.local.after.extend(app_after);
        self.scope.local.teardown.extend(app_teardown);
        let extension_names = extensions.iter().map(|e| e.0.name()).collect();

        let max_age: Option<u64> = self.config.get("SEND_FILE_MAX_AGE_DEFAULT")?;
        if let Some((folder, url)) = self.static_files.take() {
            let source = match self.embedded_static.take() {
                Some(files) => crate::static_files::StaticSource::Embedded(files),
                None => crate::static_files::StaticSource::Folder(self.root_path.join(folder)),
            };
            let route = self
                .domain
                .static_host(crate::static_files::static_route(source, max_age));
            self.scope
                .routes
                .insert(0, (format!("{url}/<path:filename>"), route));
        }
        let mut flat = Flat {
            root: self.root_path.clone(),
            max_age,
            converters: std::mem::take(&mut self.converters),
            domain: self.domain.clone(),
            ..Flat::default()
        };
        let mut scope = std::mem::take(&mut self.scope);
        // Blueprints' `before_app_request`, `app_errorhandler`, ...: the app's, after its own.
        let mut app_wide = Hooks::default();
        collect_app_wide(&mut scope.blueprints, &mut app_wide);
        scope.local.extend(app_wide);
        flat.add_scope(scope, None, "", None, None, None)?;

        let url_settings = UrlSettings {
            server_name: self.config.get("SERVER_NAME")?,
            application_root: self
                .config
                .get("APPLICATION_ROOT")?
                .unwrap_or_else(|| "/".to_owned()),
            preferred_scheme: self
                .config
                .get("PREFERRED_URL_SCHEME")?
                .unwrap_or_else(|| "http".to_owned()),
        };
        let domain_mode = match &self.domain {
            super::Domain::Off => DomainMode::Off,
            super::Domain::Host { .. } => DomainMode::Host,
            super::Domain::Subdomain => match &url_settings.server_name {
                Some(name) if !name.is_empty() => DomainMode::Subdomain {
                    server_name: name.to_ascii_lowercase(),
                },
                _ => {
                    return Err(SetupError::InvalidRule {
                        rule: "(every rule)".to_owned(),
                        reason: "subdomain_matching needs SERVER_NAME, the domain subdomains are \
                                 of: set it in the config (\"example.com\")"
                            .to_owned(),
                    });
                }
            },
        };
        let trusted_hosts = crate::request::trusted_hosts::TrustedHosts::from_config(&self.config)?;
        let proxy_x_for: usize = self.config.get("PROXY_FIX_X_FOR")?.unwrap_or(0);
        let proxy_x_proto: usize = self.config.get("PROXY_FIX_X_PROTO")?.unwrap_or(0);
        let automatic_options = self
            .config
            .get::<bool>("PROVIDE_AUTOMATIC_OPTIONS")?
            .unwrap_or(true);
        let body_limit = match self.config.get::<u64>("MAX_CONTENT_LENGTH")? {
            Some(n) => DefaultBodyLimit::max(usize::try_from(n).unwrap_or(usize::MAX)),
            None => DefaultBodyLimit::disable(),
        };
        let app_templates = self.root_path.join("templates");
        let embedded_templates = self.embedded_templates.take();
        // Embedded templates replace the app's folder, which is then only watched.
        let (folders, watch) = if embedded_templates.is_some() {
            (Vec::new(), vec![app_templates])
        } else {
            (vec![app_templates], Vec::new())
        };
        let mut template_setup = crate::templating::TemplateSetup {
            folders,
            embedded: embedded_templates,
            watch,
            hooks: std::mem::take(&mut flat.template_hooks),
            before_stream: std::mem::take(&mut self.template_stream_hooks),
            sources: std::mem::take(&mut self.template_sources),
        };
        for folder in flat.template_folders.drain(..) {
            template_setup.folders.push(self.root_path.join(folder));
        }
        let reload_templates = self
            .config
            .get::<bool>("TEMPLATES_AUTO_RELOAD")?
            .unwrap_or_else(|| self.config.debug());
        let config_value = minijinja::Value::from_serialize(&self.config);
        let store: Option<Arc<dyn tower_sessions_core::SessionStore>> = match self
            .session_store
            .take()
        {
            Some(store) => Some(store),
            None => match crate::sessions::store::StoreKind::from_config(&self.config)? {
                crate::sessions::store::StoreKind::Cookie => None,
                crate::sessions::store::StoreKind::Memory => {
                    let capacity = self
                        .config
                        .get::<usize>("SESSION_MEMORY_CAPACITY")?
                        .unwrap_or(crate::sessions::DEFAULT_MEMORY_CAPACITY);
                    Some(Arc::new(crate::sessions::MemoryStore::with_capacity(
                        capacity,
                    )))
                }
                kind => {
                    let store = Arc::new(crate::sessions::store::ConnectedAtStartup::new(kind));
                    let connect = store.clone();
                    self.push_startup("sessions", move |_| async move { connect.connect().await });
                    Some(store)
                }
            },
        };
        let streams = Arc::new(crate::realtime::limits::Streams::new(
            crate::realtime::limits::StreamLimits::from_config(&self.config)
                .map_err(|e| SetupError::Setting(e.to_string()))?,
            self.config
                .get::<Vec<String>>("WEBSOCKET_ALLOWED_ORIGINS")?
                .unwrap_or_default(),
        ));
        let hub = crate::realtime::Hub::new(
            crate::realtime::hub::HubSettings::from_config(&self.config)
                .map_err(|e| SetupError::Setting(e.to_string()))?,
        );
        if hub.inner().settings.queue.is_some() {
            let connect = hub.clone();
            self.push_startup("realtime", move |_| async move {
                crate::realtime::connect(&connect).await
            });
            let disconnect = hub.clone();
            self.push_shutdown(
                move |_| async move { crate::realtime::disconnect(&disconnect).await },
            );
        }
        self.startup.extend(app_startup);
        self.serve.extend(app_serve);
        let sessions =
            crate::sessions::SessionBackend::from_config(&self.config, store)?.map(Arc::new);
        let debugger = if self.config.debug() {
            // Records where handlers panic, for the debug page.
            crate::dev::backtrace::install_panic_hook();
            Some(Arc::new(crate::dev::debugger::Debugger::from_config(
                &self.name,
                &self.config,
            )?))
        } else {
            None
        };
        let request_extras = !self.signals.is_empty()
            || !self.appcontext_teardown.is_empty()
            || flat
                .scopes
                .iter()
                .any(|s| !s.hooks.url_value_preprocessors.is_empty());
        let inner = Arc::new_cyclic(|weak: &Weak<AppInner>| {
            let layered = if self.layers.is_empty() {
                None
            } else {
                let mut route: Route = BoxCloneSyncService::new(WeakDispatch {
                    app: weak.clone(),
                    body_limit,
                });
                for layer in self.layers.drain(..) {
                    route = layer(route);
                }
                Some(route)
            };
            AppInner {
                name: self.name,
                root_path: self.root_path,
                debug: self.config.debug(),
                config: self.config,
                url_map: UrlMap::new(
                    flat.rules,
                    automatic_options,
                    flat.url_defaults,
                    domain_mode,
                ),
                url_settings,
                handlers: flat.handlers,
                scopes: flat.scopes,
                extensions: registry.into_iter().map(|(k, (v, _))| (k, v)).collect(),
                extension_names,
                state: self.state,
                body_limit,
                proxy_x_for,
                proxy_x_proto,
                trusted_hosts,
                commands: flat.commands,
                sessions,
                templates: crate::templating::Templates::new(
                    template_setup,
                    weak.clone(),
                    config_value,
                    reload_templates,
                ),
                layered,
                startup: tokio::sync::Mutex::new(self.startup),
                serve: tokio::sync::Mutex::new(self.serve),
                shutdown: Mutex::new(self.shutdown),
                debug_panels: self.debug_panels,
                signals: self.signals,
                request_extras,
                appcontext_teardown: self.appcontext_teardown,
                shell_context: self.shell_context,
                debugger,
                streams,
                hub,
            }
        });
        Ok(App { inner })
    }
}

/// One blueprint (or the app, scope 0) after flattening.
pub(crate) struct Scope {
    /// The full dotted name; `None` for the app.
    pub(crate) name: Option<String>,
    /// Scope ids from the app down to this one.
    pub(crate) chain: Vec<usize>,
    /// Its hooks and error handlers (error codes checked; `url_defaults` moved to the URL map).
    pub(crate) hooks: Hooks,
}

impl Scope {
    fn new(name: Option<&str>, chain: Vec<usize>, hooks: Hooks) -> Result<Self, SetupError> {
        if let Some((code, _)) = hooks
            .err_code
            .iter()
            .find(|(code, _)| !(400..600).contains(code))
        {
            return Err(SetupError::InvalidErrorCode { code: *code });
        }
        Ok(Scope {
            name: name.map(str::to_owned),
            chain,
            hooks,
        })
    }
}

#[derive(Default)]
struct Flat {
    rules: Vec<RuleEntry>,
    handlers: Vec<MethodHandlers>,
    scopes: Vec<Scope>,
    endpoints: HashMap<String, (Option<TypeId>, String)>,
    /// Blueprints' template folders, in registration order.
    template_folders: Vec<PathBuf>,
    /// The app's root, for blueprints' static folders.
    root: PathBuf,
    commands: Vec<crate::cli::CustomCommand>,
    max_age: Option<u64>,
    /// Every scope's template filters, tests and globals, the app's first.
    template_hooks: Vec<crate::templating::EnvHook>,
    /// `url_defaults` functions by blueprint name (`""` for the app's).
    url_defaults: crate::routing::url_map::UrlDefaults,
    /// The app's own URL converters.
    converters: crate::routing::converters::CustomConverters,
    /// How rules match the host.
    domain: super::Domain,
}

impl Flat {
    fn add_scope(
        &mut self,
        scope: ScopeDef,
        name: Option<&str>,
        prefix: &str,
        parent: Option<usize>,
        owner: Option<&str>,
        subdomain: Option<&str>,
    ) -> Result<(), SetupError> {
        let id = self.scopes.len();
        let mut chain = parent
            .map(|p| self.scopes[p].chain.clone())
            .unwrap_or_default();
        chain.push(id);
        for (group, command, handler, starts_app) in scope.commands {
            self.commands.push(crate::cli::CustomCommand {
                command,
                handler,
                starts_app,
                group: group.or_else(|| name.map(str::to_owned)),
            });
        }
        self.template_hooks.extend(scope.template_hooks);
        let mut hooks = scope.local;
        let url_defaults = std::mem::take(&mut hooks.url_defaults);
        if !url_defaults.is_empty() {
            self.url_defaults
                .0
                .entry(name.unwrap_or_default().to_owned())
                .or_default()
                .extend(url_defaults);
        }
        self.scopes.push(Scope::new(name, chain, hooks)?);
        for (rule_text, mut mh) in scope.routes {
            let full = join_rule(prefix, &rule_text);
            let rule =
                Rule::parse_with(&full, &self.converters).map_err(|e| SetupError::InvalidRule {
                    rule: full.clone(),
                    reason: e.to_string(),
                })?;
            if let Some(bad) = mh.invalid_methods.first() {
                return Err(SetupError::InvalidRule {
                    rule: full,
                    reason: format!("{bad:?} is not an HTTP method"),
                });
            }
            if mh.handlers.is_empty() {
                return Err(SetupError::InvalidRule {
                    rule: full,
                    reason: "no handler was given".to_owned(),
                });
            }
            if let Some(advice) = mh.unfilled_extractor {
                return Err(SetupError::InvalidRule {
                    rule: full,
                    reason: format!("a handler takes {advice}"),
                });
            }
            let local = mh
                .endpoint
                .clone()
                .or_else(|| mh.view_name.map(str::to_owned))
                .unwrap_or_else(|| full.clone());
            let endpoint = match name {
                Some(bp) => format!("{bp}.{local}"),
                None => local,
            };
            match self.endpoints.get(&endpoint) {
                Some((id, first)) if mh.handler_id.is_none() || *id != mh.handler_id => {
                    return Err(SetupError::DuplicateEndpoint {
                        endpoint,
                        first: first.clone(),
                        second: full,
                    });
                }
                Some(_) => {}
                None => {
                    self.endpoints
                        .insert(endpoint.clone(), (mh.handler_id, full.clone()));
                }
            }
            let domain = self.domain_of(&full, &mh, subdomain)?;
            let rule_owner = mh
                .owner
                .take()
                .or_else(|| owner.map(str::to_owned))
                .or_else(|| name.map(str::to_owned))
                .unwrap_or_else(|| "app".to_owned());
            self.rules.push(RuleEntry {
                rule,
                endpoint,
                methods: mh.methods(),
                handler: self.handlers.len(),
                scope: id,
                owner: rule_owner,
                domain,
            });
            self.handlers.push(mh);
        }
        for mut bp in scope.blueprints {
            if bp.name.is_empty() || bp.name.contains('.') {
                return Err(SetupError::Blueprint {
                    name: bp.name,
                    reason: "a blueprint name must not be empty or contain a dot".to_owned(),
                });
            }
            let full_name = match name {
                Some(n) => format!("{n}.{}", bp.name),
                None => bp.name.clone(),
            };
            if self
                .scopes
                .iter()
                .any(|s| s.name.as_deref() == Some(&full_name))
            {
                return Err(SetupError::Blueprint {
                    name: full_name,
                    reason: "registered twice; blueprint names must be unique".to_owned(),
                });
            }
            let bp_prefix = match &bp.url_prefix {
                Some(p) => join_rule(prefix, p),
                None => prefix.to_owned(),
            };
            let bp_owner = bp.owner.as_deref().or(owner);
            if let Some(folder) = &bp.template_folder {
                self.template_folders.push(folder.clone());
            }
            if let Some((folder, url)) = bp.static_files.take() {
                let route = self.domain.static_host(crate::static_files::static_route(
                    crate::static_files::StaticSource::Folder(self.root.join(folder)),
                    self.max_age,
                ));
                bp.scope
                    .routes
                    .insert(0, (format!("{url}/<path:filename>"), route));
            }
            // Flask joins a nested blueprint's subdomain before its parent's.
            let bp_subdomain = match (bp.subdomain.as_deref(), subdomain) {
                (Some(child), Some(parent)) => Some(format!("{child}.{parent}")),
                (Some(child), None) => Some(child.to_owned()),
                (None, parent) => parent.map(str::to_owned),
            };
            self.add_scope(
                bp.scope,
                Some(&full_name),
                &bp_prefix,
                Some(id),
                bp_owner,
                bp_subdomain.as_deref(),
            )?;
        }
        Ok(())
    }

    /// The subdomain or host pattern of a rule, checked against how the app matches hosts.
    fn domain_of(
        &self,
        rule: &str,
        mh: &MethodHandlers,
        subdomain: Option<&str>,
    ) -> Result<Option<Rule>, SetupError> {
        let invalid = |reason: String| SetupError::InvalidRule {
            rule: rule.to_owned(),
            reason,
        };
        let text = match &self.domain {
            super::Domain::Off => {
                if mh.subdomain.is_some() || subdomain.is_some() {
                    return Err(invalid(
                        "it has a subdomain, which only matches with .subdomain_matching() on the app"
                            .to_owned(),
                    ));
                }
                if mh.host.is_some() {
                    return Err(invalid(
                        "it has a host, which only matches with .host_matching(..) on the app"
                            .to_owned(),
                    ));
                }
                return Ok(None);
            }
            super::Domain::Subdomain => mh
                .subdomain
                .clone()
                .or_else(|| subdomain.map(str::to_owned))
                .filter(|s| !s.is_empty()),
            super::Domain::Host { .. } => match &mh.host {
                Some(host) => Some(host.clone()),
                None => {
                    return Err(invalid(
                        "host_matching is on: give the rule the host it answers with .host(\"example.com\")"
                            .to_owned(),
                    ));
                }
            },
        };
        text.map(|t| Rule::parse_domain(&t, &self.converters).map_err(|e| invalid(e.to_string())))
            .transpose()
    }
}

/// Takes the app-wide hooks of `blueprints` and of the blueprints nested in them, in
/// registration order.
fn collect_app_wide(blueprints: &mut [crate::Blueprint], into: &mut Hooks) {
    for bp in blueprints {
        into.extend(std::mem::take(&mut bp.scope.app_wide));
        collect_app_wide(&mut bp.scope.blueprints, into);
    }
}
