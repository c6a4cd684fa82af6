//! Tasks: a typed name to enqueue by ([`Task`]), the function that runs it, its options,
//! and what it gets and returns ([`TaskContext`], [`TaskError`]).

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// A task's name and types: what a handler enqueues, and what the worker's function is
/// registered for. `A` is its arguments (a tuple for positional arguments, `(user_id,)`
/// for one; a struct for keyword arguments), `R` what it returns.
///
/// ```
/// use flask_tasks::Task;
/// pub const SEND_DIGEST: Task<(i64,), usize> = Task::new("flaskr.tasks.send_digest");
/// assert_eq!(SEND_DIGEST.name(), "flaskr.tasks.send_digest");
/// ```
pub struct Task<A, R = ()> {
    name: &'static str,
    _types: PhantomData<fn(A) -> R>,
}

impl<A, R> Clone for Task<A, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A, R> Copy for Task<A, R> {}

impl<A, R> std::fmt::Debug for Task<A, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Task({})", self.name)
    }
}

impl<A, R> Task<A, R> {
    /// The task named `name`: the name Python's Celery knows it by too
    /// (`"module.function"`), when a Python app shares the queue.
    pub const fn new(name: &'static str) -> Self {
        Task {
            name,
            _types: PhantomData,
        }
    }

    /// Its name.
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

/// The arguments `args` as Celery sends them: a tuple (a JSON list) as positional
/// arguments, a struct or map (a JSON object) as keyword arguments, `()` as none.
pub(crate) fn encode_args<A: Serialize>(
    args: &A,
) -> Result<(Vec<Value>, Map<String, Value>), serde_json::Error> {
    Ok(match serde_json::to_value(args)? {
        Value::Array(list) => (list, Map::new()),
        Value::Object(map) => (Vec::new(), map),
        Value::Null => (Vec::new(), Map::new()),
        one => (vec![one], Map::new()),
    })
}

/// The arguments of a message as `A`: from the positional ones, or from the keyword ones
/// when there are only those.
pub(crate) fn decode_args<A: DeserializeOwned>(
    args: Vec<Value>,
    kwargs: Map<String, Value>,
) -> Result<A, serde_json::Error> {
    if args.is_empty() && !kwargs.is_empty() {
        return serde_json::from_value(Value::Object(kwargs));
    }
    // `()` reads from `null`, not from an empty list.
    if args.is_empty()
        && let Ok(unit) = serde_json::from_value::<A>(Value::Null)
    {
        return Ok(unit);
    }
    serde_json::from_value(Value::Array(args))
}

/// What a task's function gets besides its arguments.
#[derive(Clone)]
pub struct TaskContext {
    pub(crate) app: Option<flask::App>,
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) retries: u32,
}

impl std::fmt::Debug for TaskContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskContext")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("retries", &self.retries)
            .finish_non_exhaustive()
    }
}

impl TaskContext {
    /// The app the worker runs in: its extensions (`ctx.app().extension::<SQLAlchemy>()`),
    /// config and `url_for`.
    ///
    /// # Panics
    /// Not in a worker of an app (a task run by hand with [`TaskContext::detached`]).
    pub fn app(&self) -> &flask::App {
        self.app
            .as_ref()
            .expect("this task runs outside an app's worker: it has no app")
    }

    /// The task's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The task's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many times it was retried before this run (0 the first time).
    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// A context for calling a task's function directly (in a test), without an app.
    pub fn detached(name: &str) -> TaskContext {
        TaskContext {
            app: None,
            id: uuid::Uuid::new_v4().to_string(),
            name: name.to_owned(),
            retries: 0,
        }
    }
}

/// Why a task did not finish: retried while its retries last (with backoff), then a
/// failure stored as its result.
#[derive(Debug)]
pub struct TaskError {
    pub(crate) kind: &'static str,
    pub(crate) message: String,
    pub(crate) retry: Retry,
}

/// Whether an error is retried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Retry {
    /// As the task's options say.
    Default,
    /// Not at all: a failure now.
    Never,
    /// After this delay (Celery's `self.retry(countdown=..)`), while retries last.
    After(Duration),
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for TaskError {
    fn from(e: E) -> Self {
        TaskError {
            kind: short_type_name::<E>(),
            message: e.to_string(),
            retry: Retry::Default,
        }
    }
}

/// `Error` of `my_crate::module::Error`.
fn short_type_name<E>() -> &'static str {
    let full = std::any::type_name::<E>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

impl TaskError {
    /// A failure with this message, retried as the task's options say.
    pub fn new(message: impl Into<String>) -> TaskError {
        TaskError {
            kind: "TaskError",
            message: message.into(),
            retry: Retry::Default,
        }
    }

    /// A failure that is not retried (bad input: trying again cannot help).
    pub fn fatal(message: impl Into<String>) -> TaskError {
        TaskError {
            kind: "TaskError",
            message: message.into(),
            retry: Retry::Never,
        }
    }

    /// Try again after `delay` (Celery's `self.retry(countdown=..)`), while retries last.
    pub fn retry_after(message: impl Into<String>, delay: Duration) -> TaskError {
        TaskError {
            kind: "Retry",
            message: message.into(),
            retry: Retry::After(delay),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for TaskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

/// How a task is retried and how long it may run.
#[derive(Debug, Clone)]
pub struct TaskOptions {
    pub(crate) max_retries: u32,
    pub(crate) backoff: Duration,
    pub(crate) backoff_max: Duration,
    pub(crate) time_limit: Option<Duration>,
    pub(crate) ignore_result: bool,
}

impl Default for TaskOptions {
    fn default() -> Self {
        // Celery's: max_retries 3, retry_backoff on with 1 s doubling up to 600 s.
        TaskOptions {
            max_retries: 3,
            backoff: Duration::from_secs(1),
            backoff_max: Duration::from_secs(600),
            time_limit: None,
            ignore_result: false,
        }
    }
}

impl TaskOptions {
    /// Celery's defaults: 3 retries, 1 s backoff doubling up to 10 minutes, no time limit.
    pub fn new() -> Self {
        TaskOptions::default()
    }

    /// How many times a failing run is tried again (0: never).
    #[must_use]
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// The first retry's delay, doubled for each next one (Celery's `retry_backoff`), up
    /// to `max`.
    #[must_use]
    pub fn backoff(mut self, first: Duration, max: Duration) -> Self {
        self.backoff = first;
        self.backoff_max = max;
        self
    }

    /// A run taking longer is stopped and counts as a failure (Celery's `time_limit`).
    #[must_use]
    pub fn time_limit(mut self, limit: Duration) -> Self {
        self.time_limit = Some(limit);
        self
    }

    /// Stores no result (Celery's `ignore_result`).
    #[must_use]
    pub fn ignore_result(mut self) -> Self {
        self.ignore_result = true;
        self
    }

    /// The delay before retry number `retries + 1`.
    pub(crate) fn delay(&self, retries: u32) -> Duration {
        let factor = 2u32.saturating_pow(retries.min(30));
        self.backoff.saturating_mul(factor).min(self.backoff_max)
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// A registered task's function, type-erased: arguments in, a JSON result out.
pub(crate) type Runner = Arc<
    dyn Fn(TaskContext, Vec<Value>, Map<String, Value>) -> BoxFuture<Result<Value, TaskError>>
        + Send
        + Sync,
>;

/// A task the worker can run.
#[derive(Clone)]
pub(crate) struct Registered {
    pub(crate) run: Runner,
    pub(crate) options: TaskOptions,
}

/// `f` for `task`, type-erased.
pub(crate) fn register<A, R, F, Fut>(f: F, options: TaskOptions) -> Registered
where
    A: DeserializeOwned + Send + 'static,
    R: Serialize + Send + 'static,
    F: Fn(TaskContext, A) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, TaskError>> + Send + 'static,
{
    let f = Arc::new(f);
    let run: Runner = Arc::new(move |ctx, args, kwargs| {
        let f = f.clone();
        Box::pin(async move {
            let args: A = decode_args(args, kwargs).map_err(|e| TaskError {
                kind: "TypeError",
                message: format!(
                    "the arguments do not fit {}: {e}",
                    std::any::type_name::<A>()
                ),
                retry: Retry::Never,
            })?;
            let out = f(ctx, args).await?;
            serde_json::to_value(out)
                .map_err(|e| TaskError::fatal(format!("the result cannot be stored: {e}")))
        })
    });
    Registered { run, options }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
    struct Digest {
        user_id: i64,
        when: String,
    }

    #[test]
    fn arguments_go_as_celery_sends_them() {
        let (args, kwargs) = encode_args(&(2, "x")).unwrap();
        assert_eq!((args.len(), kwargs.len()), (2, 0));
        assert_eq!(
            decode_args::<(i32, String)>(args, kwargs).unwrap(),
            (2, "x".to_owned())
        );
        let d = Digest {
            user_id: 5,
            when: "daily".into(),
        };
        let (args, kwargs) = encode_args(&d).unwrap();
        assert_eq!((args.len(), kwargs.len()), (0, 2));
        assert_eq!(decode_args::<Digest>(args, kwargs).unwrap(), d);
        let (args, kwargs) = encode_args(&()).unwrap();
        assert!(args.is_empty() && kwargs.is_empty());
        decode_args::<()>(args, kwargs).unwrap();
        assert!(decode_args::<(i32,)>(vec!["x".into()], Map::new()).is_err());
    }

    #[test]
    fn retries_back_off_doubling_up_to_the_maximum() {
        let o = TaskOptions::new().backoff(Duration::from_secs(2), Duration::from_secs(10));
        assert_eq!(o.delay(0), Duration::from_secs(2));
        assert_eq!(o.delay(1), Duration::from_secs(4));
        assert_eq!(o.delay(2), Duration::from_secs(8));
        assert_eq!(o.delay(3), Duration::from_secs(10));
        assert_eq!(o.delay(1000), Duration::from_secs(10));
    }

    #[test]
    fn errors_keep_their_type_name() {
        let e: TaskError = std::io::Error::other("disk full").into();
        assert_eq!(e.to_string(), "Error: disk full");
        let e: TaskError = "x".parse::<i32>().unwrap_err().into();
        assert_eq!(e.kind, "ParseIntError");
    }
}
