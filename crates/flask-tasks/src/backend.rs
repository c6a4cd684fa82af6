//! Results in Redis, as Celery's Redis result backend keeps them: the JSON record under
//! `celery-task-meta-<id>`, kept a day, and published on a channel of the same name (where a
//! waiting Python `AsyncResult.get()` listens).

use std::marker::PhantomData;

use chrono::{SecondsFormat, Utc};
use fred::clients::Client;
use fred::prelude::{
    ClientLike, Config as RedisConfig, KeysInterface, PubsubInterface, ReconnectPolicy,
};
use fred::types::Expiration;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::Error;

/// The connection to the result backend.
#[derive(Clone)]
pub(crate) struct Backend {
    client: Client,
    /// How long a result is kept, in seconds (Celery's `result_expires`, a day).
    expires: i64,
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend").finish_non_exhaustive()
    }
}

fn key(id: &str) -> String {
    format!("celery-task-meta-{id}")
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Micros, false)
}

impl Backend {
    /// Connects to the Redis at `url`.
    pub(crate) async fn connect(url: &str, expires: i64) -> Result<Backend, Error> {
        let shown = redact(url);
        let config = RedisConfig::from_url(url).map_err(|e| {
            Error::Config(format!(
                "the result backend {shown:?} is not a Redis URL: {e}"
            ))
        })?;
        let client = Client::new(
            config,
            None,
            None,
            Some(ReconnectPolicy::new_exponential(0, 100, 5_000, 2)),
        );
        client.init().await.map_err(|e| {
            Error::Backend(format!(
                "cannot connect to the result backend at {shown}: {e}"
            ))
        })?;
        Ok(Backend { client, expires })
    }

    /// Stores `record` as the task's result and publishes it.
    pub(crate) async fn store(&self, id: &str, record: &Value) -> Result<(), Error> {
        let payload = record.to_string();
        let k = key(id);
        self.client
            .set::<(), _, _>(
                k.clone(),
                payload.clone(),
                Some(Expiration::EX(self.expires)),
                None,
                false,
            )
            .await
            .map_err(|e| Error::Backend(format!("cannot store the result of {id}: {e}")))?;
        self.client
            .publish::<i64, _, _>(k, payload)
            .await
            .map_err(|e| Error::Backend(format!("cannot publish the result of {id}: {e}")))?;
        Ok(())
    }

    /// The stored record of the task, if any.
    pub(crate) async fn get(&self, id: &str) -> Result<Option<Value>, Error> {
        let raw: Option<String> = self
            .client
            .get(key(id))
            .await
            .map_err(|e| Error::Backend(format!("cannot read the result of {id}: {e}")))?;
        Ok(raw.and_then(|r| serde_json::from_str(&r).ok()))
    }

    /// Claims `key` for `seconds` (`SET NX EX`): true for the first caller only.
    pub(crate) async fn claim(&self, key: &str, seconds: i64) -> Result<bool, Error> {
        let set: Option<String> = self
            .client
            .set(
                key,
                "1",
                Some(Expiration::EX(seconds)),
                Some(fred::types::SetOptions::NX),
                false,
            )
            .await
            .map_err(|e| Error::Backend(format!("cannot claim {key}: {e}")))?;
        Ok(set.is_some())
    }

    pub(crate) async fn quit(&self) {
        let _ = self.client.quit().await;
    }
}

/// A `redis://user:password@host` URL with its password hidden.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The record of a success.
pub(crate) fn success(id: &str, result: &Value) -> Value {
    json!({"status": "SUCCESS", "result": result, "traceback": null, "children": [],
           "date_done": now(), "task_id": id})
}

/// The record of a failure: an exception as Celery stores one (Python raises it again).
pub(crate) fn failure(id: &str, kind: &str, message: &str) -> Value {
    json!({"status": "FAILURE",
           "result": {"exc_type": kind, "exc_message": [message], "exc_module": "builtins"},
           "traceback": null, "children": [], "date_done": now(), "task_id": id})
}

/// The record of a run that failed and is tried again.
pub(crate) fn retry(id: &str, kind: &str, message: &str) -> Value {
    json!({"status": "RETRY",
           "result": {"exc_type": kind, "exc_message": [message], "exc_module": "builtins"},
           "traceback": null, "children": [], "date_done": null, "task_id": id})
}

/// The record of a task found expired (Celery's `REVOKED`).
pub(crate) fn revoked(id: &str) -> Value {
    json!({"status": "REVOKED",
           "result": {"exc_type": "TaskRevokedError", "exc_message": ["expired"],
                      "exc_module": "celery.exceptions"},
           "traceback": null, "children": [], "date_done": now(), "task_id": id})
}

/// The record of a task no worker has a function for.
pub(crate) fn not_registered(id: &str, name: &str) -> Value {
    json!({"status": "FAILURE",
           "result": {"exc_type": "NotRegistered", "exc_message": [name],
                      "exc_module": "celery.exceptions"},
           "traceback": null, "children": [], "date_done": now(), "task_id": id})
}

/// Where a task is, as its result record says (Celery's states).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TaskState<R> {
    /// Not run yet, or unknown (Celery cannot tell them apart either).
    Pending,
    /// Running (stored only when a worker tracks it).
    Started,
    /// Failed, and will be tried again.
    Retry {
        /// Why it failed.
        error: String,
    },
    /// Done, with its result.
    Success(R),
    /// Failed for good.
    Failure {
        /// The error's type (`"NotRegistered"`, `"ValueError"`, a Rust error's name).
        kind: String,
        /// Its message.
        message: String,
    },
    /// Dropped: it expired before a worker ran it.
    Revoked,
}

impl<R> TaskState<R> {
    /// Whether it is done, one way or the other (success, failure, revoked).
    pub fn is_ready(&self) -> bool {
        matches!(
            self,
            TaskState::Success(_) | TaskState::Failure { .. } | TaskState::Revoked
        )
    }
}

/// Reads a stored record as a state; a result that is not an `R` is a failure saying so.
pub(crate) fn state_of<R: DeserializeOwned>(record: Option<Value>) -> TaskState<R> {
    let Some(record) = record else {
        return TaskState::Pending;
    };
    let exception = |r: &Value| {
        let kind = r["result"]["exc_type"]
            .as_str()
            .unwrap_or("Exception")
            .to_owned();
        let message = match &r["result"]["exc_message"] {
            Value::Array(parts) => parts
                .iter()
                .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join(", "),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        (kind, message)
    };
    match record["status"].as_str().unwrap_or("PENDING") {
        "SUCCESS" => match serde_json::from_value(record["result"].clone()) {
            Ok(r) => TaskState::Success(r),
            Err(e) => TaskState::Failure {
                kind: "TypeError".into(),
                message: format!("the stored result is not the task's type: {e}"),
            },
        },
        "FAILURE" => {
            let (kind, message) = exception(&record);
            TaskState::Failure { kind, message }
        }
        "RETRY" => TaskState::Retry {
            error: exception(&record).1,
        },
        "STARTED" => TaskState::Started,
        "REVOKED" => TaskState::Revoked,
        _ => TaskState::Pending,
    }
}

/// A task sent to the queue: its id, to read its state with
/// [`Tasks::state`](crate::Tasks::state) or wait for it with
/// [`Tasks::wait`](crate::Tasks::wait).
#[derive(Debug)]
pub struct AsyncResult<R> {
    pub(crate) id: String,
    pub(crate) _types: PhantomData<fn() -> R>,
}

impl<R> Clone for AsyncResult<R> {
    fn clone(&self) -> Self {
        AsyncResult {
            id: self.id.clone(),
            _types: PhantomData,
        }
    }
}

impl<R> AsyncResult<R> {
    /// The result of the task with this id (one a handler was given back, say).
    pub fn from_id(id: impl Into<String>) -> Self {
        AsyncResult {
            id: id.into(),
            _types: PhantomData,
        }
    }

    /// The task's id.
    pub fn id(&self) -> &str {
        &self.id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back_as_states() {
        assert_eq!(state_of::<i64>(None), TaskState::Pending);
        assert_eq!(
            state_of::<i64>(Some(success("a", &json!(5)))),
            TaskState::Success(5)
        );
        assert_eq!(
            state_of::<i64>(Some(failure("a", "ValueError", "kaboom"))),
            TaskState::Failure {
                kind: "ValueError".into(),
                message: "kaboom".into()
            }
        );
        assert!(matches!(
            state_of::<i64>(Some(success("a", &json!("text")))),
            TaskState::Failure { .. }
        ));
        assert_eq!(state_of::<i64>(Some(revoked("a"))), TaskState::Revoked);
        assert!(matches!(
            state_of::<i64>(Some(retry("a", "E", "later"))),
            TaskState::Retry { .. }
        ));
        // What Python's Celery stores for a failure.
        let python = json!({"status": "FAILURE", "result": {"exc_type": "ValueError",
            "exc_message": ["kaboom"], "exc_module": "builtins"}, "traceback": "Traceback ...",
            "children": [], "date_done": "2026-12-08T02:48:09.980557+00:00", "task_id": "r2"});
        assert_eq!(
            state_of::<i64>(Some(python)),
            TaskState::Failure {
                kind: "ValueError".into(),
                message: "kaboom".into()
            }
        );
    }

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            redact("redis://:s3cret@host:6379/0"),
            "redis://:***@host:6379/0"
        );
        assert_eq!(redact("redis://host:6379/0"), "redis://host:6379/0");
    }
}
