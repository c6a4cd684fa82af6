//! Background jobs for flask-rs, in the role Celery plays for Flask: tasks are async
//! functions with typed arguments, sent from a handler to a real queue (RabbitMQ), run by
//! workers (`myapp worker`), retried with backoff, with their results in Redis. Messages
//! are Celery's own (protocol 2), so Python Celery workers and ours can share a queue.
//!
//! ```no_run
//! use flask::{Flask, Ext};
//! use flask_tasks::{Task, TaskContext, TaskError, Tasks};
//!
//! /// The task's name and types: `(user_id,)` in, the number of lines written out.
//! pub const SEND_DIGEST: Task<(i64,), usize> = Task::new("myapp.tasks.send_digest");
//!
//! async fn send_digest(_ctx: TaskContext, (user_id,): (i64,)) -> Result<usize, TaskError> {
//!     // ... write the mail; an `Err` is retried with backoff, then stored as a failure.
//!     Ok(user_id as usize)
//! }
//!
//! #[flask::view]
//! async fn digest(tasks: Ext<Tasks>) -> Result<String, flask_tasks::Error> {
//!     let sent = tasks.delay(SEND_DIGEST, (5,)).await?;
//!     Ok(sent.id().to_owned())
//! }
//!
//! let app = Flask::new(flask::app_root!())
//!     .configure(|c| {
//!         c.set("CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//");
//!         c.set("CELERY_RESULT_BACKEND", "redis://127.0.0.1:6379/0");
//!     })
//!     .extension(Tasks::new().task(SEND_DIGEST, send_digest))
//!     .route("/digest", flask::routing::post(digest));
//! // `myapp worker` runs the tasks; `myapp run` serves the handlers that send them.
//! ```
//!
//! The whole guide page, from the repository's `docs/tasks.md`, is the [`guide`] module.

mod backend;
mod broker;
pub mod guide;
pub mod protocol;
mod schedule;
mod task;
mod worker;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, OnceLock};

use std::time::Duration;

use chrono::{DateTime, Utc};
use flask::cli::{Arg, CliContext, Command};
use flask::{BoxError, Setup, SetupError};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use backend::{AsyncResult, TaskState};
pub use task::{Task, TaskContext, TaskError, TaskOptions};
pub use worker::{WorkerOptions, WorkerReport};

use backend::Backend;
use broker::Broker;
use protocol::Message;
use task::Registered;

/// What can go wrong sending tasks or running a worker.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The settings cannot be used; the message says which and why.
    #[error("{0}")]
    Config(String),
    /// The broker (RabbitMQ) could not be reached, or refused an operation.
    #[error("{0}")]
    Broker(String),
    /// The result backend (Redis) could not be reached, or refused an operation.
    #[error("{0}")]
    Backend(String),
    /// The task's arguments cannot be sent as JSON.
    #[error("the arguments of {task} cannot be sent: {source}")]
    Arguments {
        /// The task.
        task: &'static str,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// Results are asked for, and no result backend is configured.
    #[error(
        "no result backend is configured: set CELERY_RESULT_BACKEND (redis://...) to keep \
         results"
    )]
    NoBackend,
}

impl flask::IntoResponse for Error {
    fn into_response(self) -> flask::Response {
        // The queue being down is the server's trouble, not the client's.
        tracing::error!(target: "flask_tasks", "{self}");
        flask::IntoResponse::into_response((
            flask::StatusCode::SERVICE_UNAVAILABLE,
            "The task queue is not available; try again later.",
        ))
    }
}

/// Where tasks go and results are kept.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The broker: `amqp://user:password@host:5672/vhost` (`//` for the default vhost).
    pub broker_url: String,
    /// The result backend, `redis://host:6379/0`; `None` keeps no results.
    pub result_backend: Option<String>,
    /// The queue tasks go to by default (`celery`, as Celery's).
    pub default_queue: String,
    /// How long results are kept (a day, as Celery's `result_expires`).
    pub result_expires: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            broker_url: "amqp://guest:guest@127.0.0.1:5672//".to_owned(),
            result_backend: None,
            default_queue: "celery".to_owned(),
            result_expires: Duration::from_secs(86_400),
        }
    }
}

impl Settings {
    /// The settings of an app's config: Flask's Celery pattern (`CELERY` holding
    /// `broker_url`, `result_backend`, `task_default_queue`, `result_expires`), or the
    /// flat `CELERY_BROKER_URL`, `CELERY_RESULT_BACKEND`, `CELERY_TASK_DEFAULT_QUEUE`.
    pub fn from_config(config: &flask::Config) -> Result<Settings, String> {
        let mut s = Settings::default();
        let nested: Option<serde_json::Value> = config.get("CELERY").map_err(|e| e.to_string())?;
        let nested = nested.unwrap_or(serde_json::Value::Null);
        let text = |key: &str, flat: &str| -> Result<Option<String>, String> {
            if let Some(v) = nested.get(key).and_then(|v| v.as_str()) {
                return Ok(Some(v.to_owned()));
            }
            config.get::<String>(flat).map_err(|e| e.to_string())
        };
        if let Some(url) = text("broker_url", "CELERY_BROKER_URL")? {
            s.broker_url = url;
        }
        s.result_backend = text("result_backend", "CELERY_RESULT_BACKEND")?;
        if let Some(q) = text("task_default_queue", "CELERY_TASK_DEFAULT_QUEUE")? {
            s.default_queue = q;
        }
        if let Some(secs) = nested
            .get("result_expires")
            .and_then(serde_json::Value::as_u64)
        {
            s.result_expires = Duration::from_secs(secs);
        }
        if !s.broker_url.starts_with("amqp://") && !s.broker_url.starts_with("amqps://") {
            return Err(format!(
                "CELERY_BROKER_URL {:?} is not an AMQP URL: flask-tasks speaks to RabbitMQ \
                 (amqp://user:password@host:5672//)",
                backend::redact(&s.broker_url)
            ));
        }
        if let Some(r) = &s.result_backend
            && !r.starts_with("redis://")
            && !r.starts_with("rediss://")
        {
            return Err(format!(
                "CELERY_RESULT_BACKEND {:?} is not a Redis URL: results are kept in Redis \
                 (redis://host:6379/0)",
                backend::redact(r)
            ));
        }
        Ok(s)
    }
}

/// The connections, once made.
struct Connected {
    broker: Arc<Broker>,
    backend: Option<Backend>,
    settings: Settings,
}

/// The extension: the tasks this app runs and sends. Register it with the tasks'
/// functions; handlers send tasks through it (`Ext<Tasks>`), and `myapp worker` runs them.
#[derive(Default)]
pub struct Tasks {
    registered: HashMap<&'static str, Registered>,
    schedules: Vec<schedule::Schedule>,
    settings: Option<Settings>,
    /// The settings, from the app's config once it is built.
    configured: OnceLock<Settings>,
    /// Connected on first use (the app starts, and `myapp routes` runs, without a broker),
    /// and again when the connection was lost (a broker restart).
    connected: tokio::sync::Mutex<Option<Arc<Connected>>>,
}

impl std::fmt::Debug for Tasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&&str> = self.registered.keys().collect();
        names.sort();
        f.debug_struct("Tasks")
            .field("tasks", &names)
            .finish_non_exhaustive()
    }
}

impl<A, R> std::fmt::Debug for SendTask<'_, A, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendTask")
            .field("task", &self.task)
            .field("eta", &self.eta)
            .field("queue", &self.queue)
            .finish_non_exhaustive()
    }
}

/// Sending one task, with its options: [`Tasks::send`].
#[must_use = "nothing is sent until .await"]
pub struct SendTask<'t, A, R> {
    tasks: &'t Tasks,
    task: Task<A, R>,
    args: A,
    eta: Option<DateTime<Utc>>,
    expires: Option<DateTime<Utc>>,
    queue: Option<String>,
    id: Option<String>,
}

impl<A: Serialize, R> SendTask<'_, A, R> {
    /// Run it `delay` from now at the earliest (Celery's `countdown`).
    pub fn countdown(mut self, delay: Duration) -> Self {
        self.eta = Some(Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default());
        self
    }

    /// Run it at `eta` at the earliest.
    pub fn eta(mut self, eta: DateTime<Utc>) -> Self {
        self.eta = Some(eta);
        self
    }

    /// Drop it if no worker started it within `after` (stored as revoked).
    pub fn expires(mut self, after: Duration) -> Self {
        self.expires = Some(Utc::now() + chrono::Duration::from_std(after).unwrap_or_default());
        self
    }

    /// Send it to this queue instead of the default one.
    pub fn queue(mut self, queue: &str) -> Self {
        self.queue = Some(queue.to_owned());
        self
    }

    /// Give it this id (a UUID is made otherwise).
    pub fn task_id(mut self, id: &str) -> Self {
        self.id = Some(id.to_owned());
        self
    }

    async fn go(self) -> Result<AsyncResult<R>, Error> {
        let connected = self.tasks.connected().await?;
        let (args, kwargs) = task::encode_args(&self.args).map_err(|source| Error::Arguments {
            task: self.task.name(),
            source,
        })?;
        let mut message = Message::new(self.task.name(), args, kwargs);
        if let Some(id) = self.id {
            message.root_id.clone_from(&id);
            message.id = id;
        }
        message.eta = self.eta;
        message.expires = self.expires;
        message.ignore_result = self
            .tasks
            .registered
            .get(self.task.name())
            .is_some_and(|r| r.options.ignore_result);
        let queue = self
            .queue
            .unwrap_or_else(|| connected.settings.default_queue.clone());
        connected.broker.publish(&queue, &message).await?;
        Ok(AsyncResult::from_id(message.id))
    }
}

impl<'t, A: Serialize + Send + 't, R: 't> std::future::IntoFuture for SendTask<'t, A, R> {
    type Output = Result<AsyncResult<R>, Error>;
    type IntoFuture = std::pin::Pin<Box<dyn Future<Output = Self::Output> + Send + 't>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.go())
    }
}

impl Tasks {
    /// No tasks yet; the settings come from the app's config.
    pub fn new() -> Self {
        Tasks::default()
    }

    /// These settings instead of the app's config.
    #[must_use]
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = Some(settings);
        self
    }

    /// Runs `task` with `f` in this app's workers, with Celery's default options (3
    /// retries with backoff).
    #[must_use]
    pub fn task<A, R, F, Fut>(self, task: Task<A, R>, f: F) -> Self
    where
        A: DeserializeOwned + Send + 'static,
        R: Serialize + Send + 'static,
        F: Fn(TaskContext, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, TaskError>> + Send + 'static,
    {
        self.task_with(task, f, TaskOptions::default())
    }

    /// Runs `task` with `f`, with these options (retries, backoff, time limit).
    #[must_use]
    pub fn task_with<A, R, F, Fut>(mut self, task: Task<A, R>, f: F, options: TaskOptions) -> Self
    where
        A: DeserializeOwned + Send + 'static,
        R: Serialize + Send + 'static,
        F: Fn(TaskContext, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, TaskError>> + Send + 'static,
    {
        self.registered
            .insert(task.name(), task::register(f, options));
        self
    }

    /// Sends `task` with `args` at the times of `cron`, a 5-field cron expression in UTC
    /// (`"0 7 * * 1-5"`: 07:00 on weekdays; Celery's `beat_schedule` with a `crontab`),
    /// from the workers started with `--beat` ([`Tasks::run_beat`]). `name` names the
    /// schedule in logs and in the claims that keep several beats from sending a time twice.
    /// A malformed expression stops the app's build with the reason.
    #[must_use]
    pub fn schedule<A: Serialize, R>(
        mut self,
        name: &str,
        cron: &str,
        task: Task<A, R>,
        args: A,
    ) -> Self {
        let args = task::encode_args(&args).unwrap_or_default();
        self.schedules.push(schedule::Schedule {
            name: name.to_owned(),
            expression: cron.to_owned(),
            cron: schedule::parse(cron).ok(),
            task: task.name(),
            args: Arc::new(args),
        });
        self
    }

    /// Why the first schedule with a malformed cron expression cannot run, if one has.
    fn bad_schedule(&self) -> Option<String> {
        let bad = self.schedules.iter().find(|s| s.cron.is_none())?;
        let why = schedule::parse(&bad.expression).err().unwrap_or_default();
        Some(format!("the schedule {}: {why}", bad.name))
    }

    /// Sends the tasks whose schedules fire at `now`'s minute (what the beat of
    /// [`Tasks::run_beat`] does each minute); returns the schedules sent. With a result
    /// backend, each schedule's minute is claimed first, so a minute is sent once however
    /// many beats run.
    pub async fn beat_tick(&self, now: DateTime<Utc>) -> Result<Vec<String>, Error> {
        let connected = self.connected().await?;
        let minute = schedule::minute_of(now);
        let mut sent = Vec::new();
        for s in self.schedules.iter().filter(|s| s.fires_at(minute)) {
            if let Some(backend) = &connected.backend {
                let key = format!("flask-tasks:beat:{}:{}", s.name, minute.timestamp());
                if !backend.claim(&key, 86_400).await? {
                    continue;
                }
            }
            let (args, kwargs) = (*s.args).clone();
            let message = Message::new(s.task, args, kwargs);
            connected
                .broker
                .publish(&connected.settings.default_queue, &message)
                .await?;
            tracing::info!(target: "flask_tasks", "beat: sent {} for the schedule {} ({})", s.task, s.name, s.expression);
            sent.push(s.name.clone());
        }
        Ok(sent)
    }

    /// Runs the beat until `shutdown`: at each minute some schedule fires, sends its task.
    pub async fn run_beat(&self, shutdown: impl Future<Output = ()>) -> Result<(), Error> {
        self.connected().await?;
        if self.schedules.is_empty() {
            shutdown.await;
            return Ok(());
        }
        tokio::pin!(shutdown);
        loop {
            let now = Utc::now();
            let Some(next) = self
                .schedules
                .iter()
                .filter_map(|s| s.next_after(now))
                .min()
            else {
                shutdown.await;
                return Ok(());
            };
            let wait = (next - now).to_std().unwrap_or_default();
            tokio::select! {
                () = &mut shutdown => return Ok(()),
                () = tokio::time::sleep(wait) => {}
            }
            if let Err(e) = self.beat_tick(next).await {
                tracing::error!(target: "flask_tasks", "beat: {e}");
            }
        }
    }

    /// Connects to the broker (and the result backend) with `settings`, outside an app:
    /// for a program of its own, a test or a benchmark. In an app, the connections are
    /// made on first use, with the settings of its config.
    pub async fn connect(self, settings: Settings) -> Result<Tasks, Error> {
        let _ = self.configured.set(settings);
        self.connected().await?;
        Ok(self)
    }

    /// The connections, made now if they are not yet, or made again when the broker's
    /// connection was lost.
    async fn connected(&self) -> Result<Arc<Connected>, Error> {
        let mut slot = self.connected.lock().await;
        if let Some(c) = slot.as_ref() {
            if c.broker.is_open() {
                return Ok(c.clone());
            }
            tracing::warn!(target: "flask_tasks", "the broker's connection was lost: connecting again");
            c.broker.close().await;
        }
        let settings = self
            .settings
            .clone()
            .or_else(|| self.configured.get().cloned())
            .ok_or_else(|| {
                Error::Config(
                    "flask-tasks has no settings: register Tasks with an app, or call \
                     Tasks::connect"
                        .into(),
                )
            })?;
        if let Some(why) = self.bad_schedule() {
            return Err(Error::Config(why));
        }
        // The result backend's client reconnects by itself: kept.
        let backend = match (slot.as_ref(), &settings.result_backend) {
            (Some(old), _) if old.backend.is_some() => old.backend.clone(),
            (_, Some(url)) => Some(
                Backend::connect(
                    url,
                    i64::try_from(settings.result_expires.as_secs()).unwrap_or(86_400),
                )
                .await?,
            ),
            (_, None) => None,
        };
        let broker = Broker::connect(&settings.broker_url).await?;
        let connected = Arc::new(Connected {
            broker: Arc::new(broker),
            backend,
            settings,
        });
        *slot = Some(connected.clone());
        Ok(connected)
    }

    /// Sends `task` with `args` to run as soon as a worker can (Celery's `delay`).
    pub async fn delay<A: Serialize + Send, R>(
        &self,
        task: Task<A, R>,
        args: A,
    ) -> Result<AsyncResult<R>, Error> {
        self.send(task, args).await
    }

    /// Sends `task` with `args` and options (Celery's `apply_async`):
    /// `tasks.send(REPORT, (7,)).countdown(Duration::from_secs(60)).await?`.
    pub fn send<A: Serialize, R>(&self, task: Task<A, R>, args: A) -> SendTask<'_, A, R> {
        SendTask {
            tasks: self,
            task,
            args,
            eta: None,
            expires: None,
            queue: None,
            id: None,
        }
    }

    /// Where the task is, from its stored result (`Pending` until a worker stores one).
    pub async fn state<R: DeserializeOwned>(
        &self,
        result: &AsyncResult<R>,
    ) -> Result<TaskState<R>, Error> {
        let connected = self.connected().await?;
        let backend = connected.backend.as_ref().ok_or(Error::NoBackend)?;
        Ok(backend::state_of(backend.get(result.id()).await?))
    }

    /// Waits up to `timeout` for the task to be done (Celery's `result.get(timeout=..)`);
    /// returns its state then, done or not.
    pub async fn wait<R: DeserializeOwned>(
        &self,
        result: &AsyncResult<R>,
        timeout: Duration,
    ) -> Result<TaskState<R>, Error> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let state = self.state(result).await?;
            if state.is_ready() || tokio::time::Instant::now() >= deadline {
                return Ok(state);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Runs a worker in this process until `shutdown` completes (what `myapp worker`
    /// does until SIGTERM or Ctrl-C): tasks get `app` in their context.
    pub async fn run_worker(
        &self,
        app: Option<flask::App>,
        options: WorkerOptions,
        shutdown: impl Future<Output = ()>,
    ) -> Result<WorkerReport, Error> {
        let connected = self.connected().await?;
        let shared = Arc::new(worker::Shared {
            broker: connected.broker.clone(),
            backend: connected.backend.clone(),
            tasks: Arc::new(self.registered.clone()),
            app,
        });
        worker::run(shared, options, &connected.settings.default_queue, shutdown).await
    }

    /// Drops every task waiting in `queue` (the default queue when `None`), as `celery
    /// purge` does; returns how many.
    pub async fn purge(&self, queue: Option<&str>) -> Result<u32, Error> {
        let connected = self.connected().await?;
        let queue = queue.unwrap_or(&connected.settings.default_queue);
        connected.broker.purge(queue).await
    }

    /// Closes the connections.
    pub async fn close(&self) {
        if let Some(c) = self.connected.lock().await.take() {
            c.broker.close().await;
            if let Some(b) = &c.backend {
                b.quit().await;
            }
        }
    }
}

impl flask::Extension for Tasks {
    fn name(&self) -> &'static str {
        "tasks"
    }

    fn init_app(&self, app: &mut Setup) -> Result<(), SetupError> {
        if let Some(why) = self.bad_schedule() {
            return Err(SetupError::extension("tasks", why));
        }
        let settings = match &self.settings {
            Some(s) => s.clone(),
            None => Settings::from_config(app.config())
                .map_err(|e| SetupError::extension("tasks", e))?,
        };
        let _ = self.configured.set(settings);
        app.on_shutdown(|app: flask::App| async move {
            if let Some(tasks) = app.extension::<Tasks>() {
                tasks.close().await;
            }
        });
        app.command(
            Command::new("worker")
                .about("Run the app's tasks from the queue until SIGTERM or Ctrl-C.")
                .arg(
                    Arg::new("concurrency")
                        .short('c')
                        .long("concurrency")
                        .help("How many tasks run at once (default: the number of CPUs)."),
                )
                .arg(
                    Arg::new("queues")
                        .short('Q')
                        .long("queues")
                        .value_delimiter(',')
                        .help("The queues to consume (default: the default queue)."),
                )
                .arg(
                    Arg::new("beat")
                        .short('B')
                        .long("beat")
                        .action(flask::cli::ArgAction::SetTrue)
                        .help("Also send the scheduled tasks (Celery's worker -B)."),
                )
                .arg(
                    Arg::new("shutdown-timeout")
                        .long("shutdown-timeout")
                        .value_name("SECONDS")
                        .default_value("30")
                        .help("How long a shutdown waits for running tasks before returning them to the queue."),
                ),
            worker_command,
        );
        Ok(())
    }
}

async fn worker_command(ctx: CliContext) -> Result<(), BoxError> {
    let tasks = ctx
        .app()
        .extension::<Tasks>()
        .ok_or("the Tasks extension is not registered")?;
    let mut options = WorkerOptions::default();
    let number = |name: &str| -> Result<Option<u64>, BoxError> {
        match ctx.matches().get_one::<String>(name) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| format!("--{name} takes a number, not {v:?}").into()),
        }
    };
    if let Some(c) = number("concurrency")? {
        options.concurrency = u16::try_from(c).unwrap_or(u16::MAX).max(1);
    }
    if let Some(q) = ctx.matches().get_many::<String>("queues") {
        options.queues = q.cloned().collect();
    }
    if let Some(s) = number("shutdown-timeout")? {
        options.shutdown_timeout = Duration::from_secs(s);
    }
    // One signal stops both the worker and the beat.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    });
    let until_stopped = || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        }
    };
    let beat = async {
        if ctx.matches().get_flag("beat") {
            tasks.run_beat(until_stopped()).await
        } else {
            Ok(())
        }
    };
    let (report, beat) = tokio::join!(
        tasks.run_worker(Some(ctx.app().clone()), options, until_stopped()),
        beat
    );
    beat?;
    let report = report?;
    ctx.echo(format!(
        "worker stopped: {} succeeded, {} failed, {} retried, {} rejected",
        report.succeeded, report.failed, report.retried, report.rejected
    ));
    Ok(())
}

/// SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = async {
                match term.as_mut() {
                    Some(t) => { t.recv().await; }
                    None => std::future::pending::<()>().await,
                }
            } => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
