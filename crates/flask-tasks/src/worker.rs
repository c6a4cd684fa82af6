//! The worker: consumes the queues, runs each task, stores its result, retries failures
//! with backoff, and acknowledges a message only once its task is done (Celery's
//! `acks_late`): a worker that dies mid-run leaves the message to be delivered again.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt as _;
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicCancelOptions, BasicQosOptions, BasicRejectOptions};
use lapin::{Channel, Consumer};
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::Error;
use crate::backend::{self, Backend};
use crate::broker::Broker;
use crate::protocol::Message;
use crate::task::{Registered, Retry, TaskContext};

/// How a worker runs: `myapp worker -c 4 -Q celery,mail`.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// How many tasks run at once (`-c`; the number of CPUs by default).
    pub concurrency: u16,
    /// The queues to consume (`-Q`; the default queue when empty).
    pub queues: Vec<String>,
    /// How long a shutdown waits for running tasks before it returns them to the queue
    /// (`--shutdown-timeout`, 30 s).
    pub shutdown_timeout: Duration,
    /// How many messages with a future `eta` it holds at most, besides the running ones
    /// (each is kept unacknowledged until its time, as Celery does).
    pub max_scheduled: u16,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            concurrency: std::thread::available_parallelism()
                .map_or(2, |n| u16::try_from(n.get()).unwrap_or(u16::MAX)),
            queues: Vec::new(),
            shutdown_timeout: Duration::from_secs(30),
            max_scheduled: 1000,
        }
    }
}

/// What a worker did, when it stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkerReport {
    /// Tasks that returned a result.
    pub succeeded: u64,
    /// Tasks that failed for good.
    pub failed: u64,
    /// Runs that failed and were sent again to be retried.
    pub retried: u64,
    /// Messages refused: not a task message, or a task this worker has no function for.
    pub rejected: u64,
}

#[derive(Default)]
struct Counters {
    succeeded: AtomicU64,
    failed: AtomicU64,
    retried: AtomicU64,
    rejected: AtomicU64,
}

/// What every running task shares.
pub(crate) struct Shared {
    pub(crate) broker: Arc<Broker>,
    pub(crate) backend: Option<Backend>,
    pub(crate) tasks: Arc<HashMap<&'static str, Registered>>,
    pub(crate) app: Option<flask::App>,
}

/// Runs a worker until `shutdown` completes: then it stops taking messages, waits for
/// the running tasks up to the shutdown timeout, and returns the rest to the queue.
pub(crate) async fn run(
    shared: Arc<Shared>,
    options: WorkerOptions,
    default_queue: &str,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<WorkerReport, Error> {
    let queues = if options.queues.is_empty() {
        vec![default_queue.to_owned()]
    } else {
        options.queues.clone()
    };
    let concurrency = options.concurrency.max(1);
    let prefetch = concurrency;
    let tag = format!("flask-tasks-{}", uuid::Uuid::new_v4());
    let mut channels: Vec<(Channel, String)> = Vec::new();
    let mut consumers: Vec<Consumer> = Vec::new();
    for queue in &queues {
        let (channel, consumer) = shared.broker.consume(queue, prefetch, &tag).await?;
        channels.push((channel, queue.clone()));
        consumers.push(consumer);
    }
    let mut deliveries = futures_util::stream::select_all(
        consumers
            .into_iter()
            .enumerate()
            .map(|(i, c)| c.map(move |d| (i, d))),
    );
    let permits = Arc::new(Semaphore::new(usize::from(concurrency)));
    let counters = Arc::new(Counters::default());
    let held = Arc::new(AtomicU64::new(0));
    // Running tasks, waited for at shutdown; messages waiting for their `eta`, not.
    let mut running = tokio::task::JoinSet::new();
    let mut scheduled = tokio::task::JoinSet::new();
    let (due_tx, mut due) =
        tokio::sync::mpsc::unbounded_channel::<(Job, Registered, Message, Delivery)>();
    tracing::info!(target: "flask_tasks", "worker ready: {} at a time, queues {}", concurrency, queues.join(", "));
    tokio::pin!(shutdown);
    let outcome = loop {
        // Finished tasks are reaped as they end, so the sets stay as large as the work.
        while running.try_join_next().is_some() {}
        while scheduled.try_join_next().is_some() {}
        let next = tokio::select! {
            () = &mut shutdown => break Ok(()),
            Some((job, task, message, delivery)) = due.recv() => {
                let permits = permits.clone();
                running.spawn(async move {
                    let Ok(_permit) = permits.acquire_owned().await else { return };
                    job.run(task, message, delivery).await;
                });
                continue;
            }
            next = deliveries.next() => next,
        };
        let (i, delivery) = match next {
            None => {
                break Err(Error::Broker(
                    "the broker cancelled the consumer or closed the connection".into(),
                ));
            }
            Some((_, Err(e))) => {
                break Err(Error::Broker(format!("the broker connection failed: {e}")));
            }
            Some((i, Ok(delivery))) => (i, delivery),
        };
        let (channel, queue) = channels[i].clone();
        let job = Job {
            shared: shared.clone(),
            counters: counters.clone(),
            queue,
        };
        let Some((task, message)) = job.accept(&delivery).await else {
            continue;
        };
        if message.eta.is_some_and(|eta| eta > Utc::now()) {
            // Held unacknowledged until its time; the prefetch grows by one meanwhile, as
            // Celery's does, so that waiting messages do not stop the others.
            let now_held = held.fetch_add(1, Ordering::SeqCst) + 1;
            if now_held <= u64::from(options.max_scheduled) {
                set_prefetch(&channel, prefetch, now_held).await;
            }
            let held = held.clone();
            let max = options.max_scheduled;
            let due_tx = due_tx.clone();
            scheduled.spawn(async move {
                let wait = message.eta.map_or(Duration::ZERO, |eta| {
                    (eta - Utc::now()).to_std().unwrap_or(Duration::ZERO)
                });
                tokio::time::sleep(wait).await;
                let left = held.fetch_sub(1, Ordering::SeqCst) - 1;
                if left < u64::from(max) {
                    set_prefetch(&channel, prefetch, left).await;
                }
                let _ = due_tx.send((job, task, message, delivery));
            });
            continue;
        }
        let permits = permits.clone();
        running.spawn(async move {
            let Ok(_permit) = permits.acquire_owned().await else {
                return;
            };
            job.run(task, message, delivery).await;
        });
    };
    // Stop taking messages, then let the running tasks finish; waiting ones go back.
    for (channel, _) in &channels {
        let _ = channel
            .basic_cancel(tag.as_str().into(), BasicCancelOptions::default())
            .await;
    }
    scheduled.abort_all();
    while scheduled.join_next().await.is_some() {}
    drop(due);
    let finished = tokio::time::timeout(options.shutdown_timeout, async {
        while running.join_next().await.is_some() {}
    })
    .await;
    if finished.is_err() {
        tracing::warn!(target: "flask_tasks", "{} task(s) still running after the shutdown timeout: returned to the queue", running.len());
        running.abort_all();
        while running.join_next().await.is_some() {}
    }
    // Closing the channels returns every message not acknowledged (held ones too).
    for (channel, _) in &channels {
        let _ = channel.close(200, "worker stopped".into()).await;
    }
    let report = WorkerReport {
        succeeded: counters.succeeded.load(Ordering::SeqCst),
        failed: counters.failed.load(Ordering::SeqCst),
        retried: counters.retried.load(Ordering::SeqCst),
        rejected: counters.rejected.load(Ordering::SeqCst),
    };
    outcome.map(|()| report)
}

async fn set_prefetch(channel: &Channel, base: u16, held: u64) {
    let count = u16::try_from(u64::from(base) + held).unwrap_or(u16::MAX);
    if let Err(e) = channel.basic_qos(count, BasicQosOptions::default()).await {
        tracing::warn!(target: "flask_tasks", "cannot change the prefetch count: {e}");
    }
}

/// One delivery's handling.
#[derive(Clone)]
struct Job {
    shared: Arc<Shared>,
    counters: Arc<Counters>,
    queue: String,
}

impl Job {
    /// The delivery's task and message, when it is one to run: a malformed message or an
    /// unknown task is refused (not requeued), an expired one dropped as revoked.
    async fn accept(&self, delivery: &Delivery) -> Option<(Registered, Message)> {
        let message = match Message::decode(&delivery.properties, &delivery.data) {
            Ok(m) => m,
            Err(e) => {
                tracing::error!(target: "flask_tasks", "refused a message on {}: {e}", self.queue);
                self.counters.rejected.fetch_add(1, Ordering::SeqCst);
                reject(delivery).await;
                return None;
            }
        };
        let Some(task) = self.shared.tasks.get(message.task.as_str()).cloned() else {
            tracing::error!(target: "flask_tasks", "received the unregistered task {} ({}): discarded", message.task, message.id);
            self.counters.rejected.fetch_add(1, Ordering::SeqCst);
            self.store(
                &message,
                &backend::not_registered(&message.id, &message.task),
            )
            .await;
            reject(delivery).await;
            return None;
        };
        if message.expires.is_some_and(|e| e < Utc::now()) {
            tracing::info!(target: "flask_tasks", "discarding the expired task {} ({})", message.task, message.id);
            self.store(&message, &backend::revoked(&message.id)).await;
            ack(delivery).await;
            return None;
        }
        Some((task, message))
    }

    async fn store(&self, message: &Message, record: &Value) {
        if message.ignore_result {
            return;
        }
        if let Some(backend) = &self.shared.backend
            && let Err(e) = backend.store(&message.id, record).await
        {
            tracing::error!(target: "flask_tasks", "{e}");
        }
    }

    /// Runs the task, stores what came of it, retries it or not, then acknowledges it.
    async fn run(self, task: Registered, message: Message, delivery: Delivery) {
        let ctx = TaskContext {
            app: self.shared.app.clone(),
            id: message.id.clone(),
            name: message.task.clone(),
            retries: message.retries,
        };
        // In a task of its own: a panic is the task's failure, not the worker's.
        let call = tokio::spawn((task.run)(
            ctx,
            message.args.clone(),
            message.kwargs.clone(),
        ));
        let abort = call.abort_handle();
        // A worker stopping past its timeout stops the task too.
        let _stop = AbortOnDrop(call.abort_handle());
        let outcome = match task.options.time_limit {
            Some(limit) => match tokio::time::timeout(limit, call).await {
                Ok(joined) => joined,
                Err(_) => {
                    abort.abort();
                    Ok(Err(crate::task::TaskError {
                        kind: "TimeLimitExceeded",
                        message: format!("ran longer than {} s", limit.as_secs_f64()),
                        retry: Retry::Default,
                    }))
                }
            },
            None => call.await,
        };
        let outcome = outcome.unwrap_or_else(|e| {
            Err(crate::task::TaskError {
                kind: "Panic",
                message: if e.is_panic() {
                    panic_message(&*e.into_panic())
                } else {
                    "the task was cancelled".to_owned()
                },
                // A bug: running it again cannot help.
                retry: Retry::Never,
            })
        });
        let ignore = message.ignore_result || task.options.ignore_result;
        match outcome {
            Ok(value) => {
                if !ignore {
                    self.store(&message, &backend::success(&message.id, &value))
                        .await;
                }
                self.counters.succeeded.fetch_add(1, Ordering::SeqCst);
                ack(&delivery).await;
            }
            Err(error) => {
                let retry = match error.retry {
                    Retry::Never => None,
                    _ if message.retries >= task.options.max_retries => None,
                    Retry::After(d) => Some(d),
                    Retry::Default => Some(task.options.delay(message.retries)),
                };
                let Some(delay) = retry else {
                    tracing::error!(target: "flask_tasks", "task {} ({}) failed: {error}", message.task, message.id);
                    if !ignore {
                        self.store(
                            &message,
                            &backend::failure(&message.id, error.kind, &error.message),
                        )
                        .await;
                    }
                    self.counters.failed.fetch_add(1, Ordering::SeqCst);
                    ack(&delivery).await;
                    return;
                };
                // Sent again with the same id, one retry more, due after the backoff; the
                // first copy is acknowledged only once the broker holds the second.
                let mut again = message.clone();
                again.retries += 1;
                again.parent_id = Some(message.id.clone());
                again.eta =
                    Some(Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default());
                match self.shared.broker.publish(&self.queue, &again).await {
                    Ok(()) => {
                        tracing::warn!(target: "flask_tasks", "task {} ({}) failed, retry {} in {:?}: {error}", message.task, message.id, again.retries, delay);
                        if !ignore {
                            self.store(
                                &message,
                                &backend::retry(&message.id, error.kind, &error.message),
                            )
                            .await;
                        }
                        self.counters.retried.fetch_add(1, Ordering::SeqCst);
                        ack(&delivery).await;
                    }
                    Err(e) => {
                        tracing::error!(target: "flask_tasks", "cannot send task {} ({}) again to retry it: {e}; returned to the queue", message.task, message.id);
                        let _ = delivery
                            .acker
                            .reject(BasicRejectOptions { requeue: true })
                            .await;
                    }
                }
            }
        }
    }
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        format!("panicked: {s}")
    } else if let Some(s) = payload.downcast_ref::<String>() {
        format!("panicked: {s}")
    } else {
        "panicked".to_owned()
    }
}

async fn ack(delivery: &Delivery) {
    if let Err(e) = delivery.acker.ack(BasicAckOptions::default()).await {
        tracing::error!(target: "flask_tasks", "cannot acknowledge a message (it will be delivered again): {e}");
    }
}

async fn reject(delivery: &Delivery) {
    if let Err(e) = delivery
        .acker
        .reject(BasicRejectOptions { requeue: false })
        .await
    {
        tracing::error!(target: "flask_tasks", "cannot reject a message: {e}");
    }
}
