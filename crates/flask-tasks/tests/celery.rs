//! flask-tasks and a real Python Celery (5.7, from PyPI) share a queue on RabbitMQ and a
//! result backend on Redis: a task sent from Rust runs in a Celery worker, and tasks sent
//! from Python run in ours, their results read back by Python's `AsyncResult.get()`.
//!
//! The virtualenv is made once under `target/` (python3 -m venv, pip); without it the test
//! is skipped, unless `FLASK_TEST_REQUIRE_SERVICES` is set.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use flask_tasks::{Settings, Task, TaskContext, TaskError, TaskState, Tasks, WorkerOptions};

const PACKAGES: [&str; 2] = ["celery==5.7.0", "redis==8.2.0"];

/// The Python of a virtualenv with Celery, made if need be.
fn python() -> Option<PathBuf> {
    test_support::python::venv("flask-tasks-celery-venv", &PACKAGES)
}

const ADD: Task<(i64, i64), i64> = Task::new("tests.add");
const FAILS: Task<(), ()> = Task::new("tests.fails");
const MUL: Task<(i64, i64), i64> = Task::new("tests.mul");
const GREET: Task<Greet, String> = Task::new("tests.greet");
const REFUSES: Task<(), ()> = Task::new("tests.refuses");

#[derive(serde::Serialize, serde::Deserialize)]
struct Greet {
    name: String,
}

/// Kills the child when dropped (a failing assertion must not leave a Celery worker).
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_celery_and_flask_tasks_share_a_queue() {
    let (Ok(amqp), Ok(redis)) = (
        std::env::var("FLASK_TEST_AMQP_URL"),
        std::env::var("FLASK_TEST_REDIS_URL"),
    ) else {
        assert!(
            !test_support::services_required(),
            "FLASK_TEST_AMQP_URL and FLASK_TEST_REDIS_URL are required"
        );
        return;
    };
    let Some(python) = python() else { return };
    let queue = "flask_tasks_test_celery";
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/celery/interop.py");
    let env = [
        ("BROKER", amqp.clone()),
        ("BACKEND", redis.clone()),
        ("QUEUE", queue.to_owned()),
    ];
    let tasks = Tasks::new()
        .task(MUL, |_: TaskContext, (a, b): (i64, i64)| async move {
            Ok::<_, TaskError>(a * b)
        })
        .task(GREET, |_: TaskContext, g: Greet| async move {
            Ok::<_, TaskError>(format!("Hello {}", g.name))
        })
        .task_with(
            REFUSES,
            |_: TaskContext, ()| async { Err::<(), _>(TaskError::fatal("not today")) },
            flask_tasks::TaskOptions::new(),
        )
        .connect(Settings {
            broker_url: amqp.clone(),
            result_backend: Some(redis.clone()),
            default_queue: queue.to_owned(),
            ..Settings::default()
        })
        .await
        .unwrap();
    tasks.purge(None).await.unwrap();

    // Rust sends, Python's Celery runs.
    let sum = tasks.delay(ADD, (2, 3)).await.unwrap();
    let failing = tasks.delay(FAILS, ()).await.unwrap();
    let worker = Child(
        Command::new(&python)
            .arg(&script)
            .arg("worker")
            .envs(env.clone())
            .spawn()
            .unwrap(),
    );
    assert_eq!(
        tasks.wait(&sum, Duration::from_secs(60)).await.unwrap(),
        TaskState::Success(5)
    );
    assert_eq!(
        tasks.wait(&failing, Duration::from_secs(30)).await.unwrap(),
        TaskState::Failure {
            kind: "ValueError".into(),
            message: "kaboom".into()
        }
    );
    drop(worker);
    tasks.purge(None).await.unwrap();

    // Python sends, ours runs, Python reads the results (and our error as an exception).
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let tasks = std::sync::Arc::new(tasks);
    let running = {
        let tasks = tasks.clone();
        tokio::spawn(async move {
            tasks
                .run_worker(None, WorkerOptions::default(), async {
                    let _ = stopped.await;
                })
                .await
        })
    };
    let sender = tokio::task::spawn_blocking(move || {
        Command::new(&python)
            .arg(&script)
            .arg("send")
            .envs(env)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let out = String::from_utf8_lossy(&sender.stdout);
    assert!(
        sender.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&sender.stderr)
    );
    assert_eq!(
        out.trim(),
        "mul 42\ngreet Hello ann\nrefuses TaskError not today",
        "{}",
        String::from_utf8_lossy(&sender.stderr)
    );
    stop.send(()).unwrap();
    let report = running.await.unwrap().unwrap();
    assert_eq!((report.succeeded, report.failed), (2, 1));
    tasks.close().await;
}
