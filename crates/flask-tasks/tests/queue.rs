//! Tasks through a real RabbitMQ, results in a real Redis: sent, run, retried, failed,
//! delayed; two workers splitting a burst with each job run once; a job surviving its
//! worker killed mid-run.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flask_tasks::{
    AsyncResult, Settings, Task, TaskContext, TaskError, TaskOptions, TaskState, Tasks,
    WorkerOptions,
};

/// The tests of this file take turns (one closes its process's broker connections).
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// RabbitMQ and Redis, or `None` to skip (a failure when services are required).
fn services() -> Option<(String, String)> {
    let amqp = std::env::var("FLASK_TEST_AMQP_URL");
    let redis = std::env::var("FLASK_TEST_REDIS_URL");
    match (amqp, redis) {
        (Ok(a), Ok(r)) => Some((a, r)),
        _ if test_support::services_required() => {
            panic!("FLASK_TEST_AMQP_URL and FLASK_TEST_REDIS_URL are required")
        }
        _ => {
            eprintln!("skipped: FLASK_TEST_AMQP_URL or FLASK_TEST_REDIS_URL is not set");
            None
        }
    }
}

/// Settings with a queue of this test's own (emptied by [`connect`]).
fn settings(amqp: &str, redis: &str, queue: &str) -> Settings {
    Settings {
        broker_url: amqp.to_owned(),
        result_backend: Some(redis.to_owned()),
        default_queue: format!("flask_tasks_test_{queue}"),
        ..Settings::default()
    }
}

/// `tasks` connected with `settings`, its queue emptied of what an earlier run left.
async fn connect(tasks: Tasks, settings: Settings) -> Tasks {
    let tasks = tasks.connect(settings).await.unwrap();
    tasks.purge(None).await.unwrap();
    tasks
}

const ADD: Task<(i64, i64), i64> = Task::new("tests.add");
const GREET: Task<Greeting, String> = Task::new("tests.greet");
const FLAKY: Task<(), ()> = Task::new("tests.flaky");
const PANICS: Task<(), ()> = Task::new("tests.panics");
const SLOW: Task<(u64,), ()> = Task::new("tests.slow");
const UNKNOWN: Task<(), ()> = Task::new("tests.nobody_runs_this");

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Greeting {
    name: String,
    punctuation: String,
}

async fn add(_: TaskContext, (a, b): (i64, i64)) -> Result<i64, TaskError> {
    Ok(a + b)
}

async fn greet(_: TaskContext, g: Greeting) -> Result<String, TaskError> {
    Ok(format!("Hello {}{}", g.name, g.punctuation))
}

/// A worker running in this process until the returned sender is dropped or sent to.
fn start_worker(
    tasks: Arc<Tasks>,
    options: WorkerOptions,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<Result<flask_tasks::WorkerReport, flask_tasks::Error>>,
) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        tasks
            .run_worker(None, options, async move {
                let _ = stopped.await;
            })
            .await
    });
    (stop, handle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_run_and_their_results_are_kept() {
    let _serial = SERIAL.lock().await;
    let Some((amqp, redis)) = services() else {
        return;
    };
    let runs = Arc::new(Mutex::new(0u32));
    let flaky_runs = runs.clone();
    let tasks = Tasks::new()
        .task(ADD, add)
        .task(GREET, greet)
        .task_with(
            FLAKY,
            move |ctx: TaskContext, ()| {
                let runs = flaky_runs.clone();
                async move {
                    *runs.lock().unwrap() += 1;
                    Err::<(), _>(TaskError::new(format!("try {}", ctx.retries())))
                }
            },
            TaskOptions::new()
                .max_retries(2)
                .backoff(Duration::from_millis(10), Duration::from_millis(50)),
        )
        .task(PANICS, |_: TaskContext, ()| async {
            if true {
                panic!("the task's bug");
            }
            Ok::<(), TaskError>(())
        })
        .task_with(
            SLOW,
            |_: TaskContext, (ms,): (u64,)| async move {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Ok::<(), TaskError>(())
            },
            TaskOptions::new()
                .max_retries(0)
                .time_limit(Duration::from_millis(200)),
        );
    let tasks = Arc::new(connect(tasks, settings(&amqp, &redis, "run")).await);

    // Sent before a worker runs: they wait in the queue.
    let sum = tasks.delay(ADD, (2, 3)).await.unwrap();
    let greeting = tasks
        .delay(
            GREET,
            Greeting {
                name: "ann".into(),
                punctuation: "!".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(tasks.state(&sum).await.unwrap(), TaskState::Pending);
    let flaky = tasks.delay(FLAKY, ()).await.unwrap();
    let panics = tasks.delay(PANICS, ()).await.unwrap();
    let too_slow = tasks.delay(SLOW, (5_000,)).await.unwrap();
    let unknown = tasks.delay(UNKNOWN, ()).await.unwrap();
    let later = tasks
        .send(ADD, (40, 2))
        .countdown(Duration::from_millis(700))
        .await
        .unwrap();

    let (stop, worker) = start_worker(
        tasks.clone(),
        WorkerOptions {
            concurrency: 4,
            ..WorkerOptions::default()
        },
    );
    let wait = |r: AsyncResult<i64>| {
        let tasks = tasks.clone();
        async move { tasks.wait(&r, Duration::from_secs(10)).await.unwrap() }
    };
    assert_eq!(wait(sum).await, TaskState::Success(5));
    assert_eq!(
        tasks
            .wait(&greeting, Duration::from_secs(10))
            .await
            .unwrap(),
        TaskState::Success("Hello ann!".to_owned())
    );
    // Not before its time.
    assert_eq!(tasks.state(&later).await.unwrap(), TaskState::Pending);
    assert_eq!(wait(later).await, TaskState::Success(42));

    // Tried three times (two retries), then a failure with the last error.
    assert_eq!(
        tasks.wait(&flaky, Duration::from_secs(10)).await.unwrap(),
        TaskState::Failure {
            kind: "TaskError".into(),
            message: "try 2".into()
        }
    );
    assert_eq!(*runs.lock().unwrap(), 3);
    let TaskState::Failure { kind, message } =
        tasks.wait(&panics, Duration::from_secs(10)).await.unwrap()
    else {
        panic!("a panic is a failure");
    };
    assert_eq!(
        (kind.as_str(), message.as_str()),
        ("Panic", "panicked: the task's bug")
    );
    let TaskState::Failure { kind, .. } = tasks
        .wait(&too_slow, Duration::from_secs(10))
        .await
        .unwrap()
    else {
        panic!("over its time limit");
    };
    assert_eq!(kind, "TimeLimitExceeded");
    assert_eq!(
        tasks.wait(&unknown, Duration::from_secs(10)).await.unwrap(),
        TaskState::Failure {
            kind: "NotRegistered".into(),
            message: "tests.nobody_runs_this".into()
        }
    );

    stop.send(()).unwrap();
    let report = worker.await.unwrap().unwrap();
    assert_eq!(
        (
            report.succeeded,
            report.failed,
            report.retried,
            report.rejected
        ),
        (3, 3, 2, 1),
        "{report:?}"
    );
    tasks.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_split_a_burst_and_run_each_job_once() {
    let _serial = SERIAL.lock().await;
    let Some((amqp, redis)) = services() else {
        return;
    };
    const JOB: Task<(u32,), ()> = Task::new("tests.job");
    let settings = settings(&amqp, &redis, "burst");
    let seen: Arc<Mutex<HashMap<u32, Vec<&'static str>>>> = Arc::default();
    let worker_tasks = |name: &'static str| {
        let seen = seen.clone();
        Tasks::new().task_with(
            JOB,
            move |_: TaskContext, (n,): (u32,)| {
                let seen = seen.clone();
                async move {
                    seen.lock().unwrap().entry(n).or_default().push(name);
                    // A little work, so both workers get some.
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    Ok::<(), TaskError>(())
                }
            },
            TaskOptions::new().ignore_result(),
        )
    };
    let a = Arc::new(connect(worker_tasks("a"), settings.clone()).await);
    let b = Arc::new(worker_tasks("b").connect(settings.clone()).await.unwrap());
    let sender = Tasks::new().connect(settings).await.unwrap();
    for n in 0..1000u32 {
        sender.delay(JOB, (n,)).await.unwrap();
    }
    let options = WorkerOptions {
        concurrency: 8,
        ..WorkerOptions::default()
    };
    let (stop_a, worker_a) = start_worker(a.clone(), options.clone());
    let (stop_b, worker_b) = start_worker(b.clone(), options);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while seen.lock().unwrap().len() < 1000 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the burst did not finish"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop_a.send(()).unwrap();
    stop_b.send(()).unwrap();
    let (ra, rb) = (
        worker_a.await.unwrap().unwrap(),
        worker_b.await.unwrap().unwrap(),
    );
    let twice = seen.lock().unwrap().values().any(|runs| runs.len() > 1);
    assert!(!twice, "a job ran twice");
    assert_eq!(ra.succeeded + rb.succeeded, 1000);
    assert!(
        ra.succeeded > 0 && rb.succeeded > 0,
        "both workers take jobs: {} and {}",
        ra.succeeded,
        rb.succeeded
    );
    for t in [&*a, &*b, &sender] {
        t.close().await;
    }
}

/// The task of the kill test: appends a line to `file` each time it starts, then, the
/// first time only, hangs (the worker is killed meanwhile).
const RECORD: Task<(String,), usize> = Task::new("tests.record_then_hang");

async fn record_then_hang(_: TaskContext, (file,): (String,)) -> Result<usize, TaskError> {
    use std::io::Write as _;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&file)?;
    writeln!(f, "started")?;
    drop(f);
    let runs = std::fs::read_to_string(&file)?.lines().count();
    if runs == 1 {
        tokio::time::sleep(Duration::from_secs(600)).await;
    }
    Ok(runs)
}

/// The worker of `a_job_survives_its_worker_killed_mid_run`, in a child process of this
/// test binary (killed with SIGKILL there).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_worker() {
    let Ok(queue) = std::env::var("FLASK_TASKS_CHILD_QUEUE") else {
        return; // not started by the kill test
    };
    let (amqp, redis) = services().expect("the parent has the services");
    let mut settings = settings(&amqp, &redis, "x");
    settings.default_queue = queue;
    let tasks = Tasks::new()
        .task(RECORD, record_then_hang)
        .connect(settings)
        .await
        .unwrap();
    tasks
        .run_worker(None, WorkerOptions::default(), std::future::pending())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_survives_its_worker_killed_mid_run() {
    let _serial = SERIAL.lock().await;
    let Some((amqp, redis)) = services() else {
        return;
    };
    let settings = settings(&amqp, &redis, "kill");
    let file = std::env::temp_dir().join(format!("flask-tasks-kill-{}", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let tasks = Arc::new(
        connect(
            Tasks::new().task(RECORD, record_then_hang),
            settings.clone(),
        )
        .await,
    );
    let job = tasks
        .delay(RECORD, (file.display().to_string(),))
        .await
        .unwrap();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_worker", "--nocapture"])
        .env("FLASK_TASKS_CHILD_QUEUE", &settings.default_queue)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the child to start the job, then kill it without warning.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while std::fs::read_to_string(&file).map_or(0, |s| s.lines().count()) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the child never started the job"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(tasks.state(&job).await.unwrap(), TaskState::Pending);

    // Delivered again to the next worker, which finishes it.
    let (stop, worker) = start_worker(tasks.clone(), WorkerOptions::default());
    assert_eq!(
        tasks.wait(&job, Duration::from_secs(30)).await.unwrap(),
        TaskState::Success(2)
    );
    stop.send(()).unwrap();
    let report = worker.await.unwrap().unwrap();
    assert_eq!(report.succeeded, 1);
    tasks.close().await;
    let _ = std::fs::remove_file(&file);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_sends_its_task_once_per_time_however_many_beats_run() {
    let _serial = SERIAL.lock().await;
    let Some((amqp, redis)) = services() else {
        return;
    };
    const TICK: Task<(String,), ()> = Task::new("tests.tick");
    let ticks = Arc::new(Mutex::new(Vec::<String>::new()));
    let recorded = ticks.clone();
    // Named afresh each run: the claims of a time are kept a day.
    let name = format!("tick-{}", uuid_like());
    let beat = |tasks: Tasks| {
        tasks.schedule(
            &name,
            "*/5 * * * *",
            TICK,
            ("every five minutes".to_owned(),),
        )
    };
    let settings = settings(&amqp, &redis, "beat");
    let a = connect(
        beat(
            Tasks::new().task(TICK, move |_: TaskContext, (what,): (String,)| {
                let recorded = recorded.clone();
                async move {
                    recorded.lock().unwrap().push(what);
                    Ok::<(), TaskError>(())
                }
            }),
        ),
        settings.clone(),
    )
    .await;
    let b = beat(Tasks::new()).connect(settings).await.unwrap();
    let on_time: chrono::DateTime<chrono::Utc> = "2026-12-08T07:05:30Z".parse().unwrap();
    assert_eq!(
        a.beat_tick(on_time).await.unwrap(),
        std::slice::from_ref(&name)
    );
    assert!(
        b.beat_tick(on_time).await.unwrap().is_empty(),
        "claimed by a"
    );
    let off_time = on_time + chrono::Duration::minutes(1);
    assert!(
        a.beat_tick(off_time).await.unwrap().is_empty(),
        "not on the schedule"
    );
    let a = Arc::new(a);
    let (stop, worker) = start_worker(a.clone(), WorkerOptions::default());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while ticks.lock().unwrap().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the scheduled task never ran"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.send(()).unwrap();
    worker.await.unwrap().unwrap();
    assert_eq!(*ticks.lock().unwrap(), ["every five minutes"]);
    a.close().await;
    b.close().await;
}

/// A name no earlier run used.
fn uuid_like() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

#[tokio::test]
async fn an_app_starts_without_its_broker_and_a_send_is_a_503() {
    let _serial = SERIAL.lock().await;
    const LATER: Task<(), ()> = Task::new("tests.later");
    #[flask::view]
    async fn send(tasks: flask::Ext<Tasks>) -> Result<String, flask_tasks::Error> {
        Ok(tasks.delay(LATER, ()).await?.id().to_owned())
    }
    let client = flask::Flask::new("no-broker")
        .configure(|c| c.set("CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:1//"))
        .extension(Tasks::new())
        .route("/send", flask::routing::post(send))
        .route("/", flask::routing::get(|| async { "up" }))
        .test_client();
    assert_eq!(client.get("/").send().await.text(), "up");
    let r = client.post("/send").send().await;
    assert_eq!(r.status(), 503);
    assert_eq!(
        r.text(),
        "The task queue is not available; try again later."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_lets_short_jobs_finish_and_returns_the_others() {
    let _serial = SERIAL.lock().await;
    let Some((amqp, redis)) = services() else {
        return;
    };
    const NAP: Task<(u64,), u64> = Task::new("tests.nap");
    static LONG_RUNS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let started = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counted = started.clone();
    let tasks = Arc::new(
        connect(
            Tasks::new().task(NAP, move |_: TaskContext, (ms,): (u64,)| {
                let counted = counted.clone();
                async move {
                    counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    // The long job hangs the first time only.
                    let ms = if ms > 1_000
                        && LONG_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) > 0
                    {
                        1
                    } else {
                        ms
                    };
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    Ok::<u64, TaskError>(ms)
                }
            }),
            settings(&amqp, &redis, "shutdown"),
        )
        .await,
    );
    let short = tasks.delay(NAP, (300,)).await.unwrap();
    let long = tasks.delay(NAP, (600_000,)).await.unwrap();
    let options = WorkerOptions {
        concurrency: 4,
        shutdown_timeout: Duration::from_secs(2),
        ..WorkerOptions::default()
    };
    let (stop, worker) = start_worker(tasks.clone(), options.clone());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while started.load(std::sync::atomic::Ordering::SeqCst) < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the jobs never started"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Stopped while both run: the short one finishes, the long one outlasts the timeout.
    let asked = tokio::time::Instant::now();
    stop.send(()).unwrap();
    let report = worker.await.unwrap().unwrap();
    let took = asked.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(10),
        "the shutdown took {took:?}"
    );
    assert_eq!(report.succeeded, 1, "{report:?}");
    assert_eq!(tasks.state(&short).await.unwrap(), TaskState::Success(300));
    assert_eq!(tasks.state(&long).await.unwrap(), TaskState::Pending);

    // The long one went back to the queue: the next worker runs it.
    let (stop, worker) = start_worker(tasks.clone(), options);
    assert_eq!(
        tasks.wait(&long, Duration::from_secs(10)).await.unwrap(),
        TaskState::Success(1)
    );
    stop.send(()).unwrap();
    worker.await.unwrap().unwrap();
    tasks.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sending_connects_again_after_the_broker_closed_the_connection() {
    let _serial = SERIAL.lock().await;
    let Some((amqp, redis)) = services() else {
        return;
    };
    if which_rabbitmqctl().is_none() {
        assert!(
            !test_support::services_required(),
            "rabbitmqctl is needed to close a connection from the broker's side"
        );
        return;
    }
    const PING: Task<(), ()> = Task::new("tests.ping");
    let tasks = connect(Tasks::new(), settings(&amqp, &redis, "reconnect")).await;
    tasks.delay(PING, ()).await.unwrap();
    // The broker closes this process's connection, as a restart does.
    let name = format!("flask-tasks {}", std::process::id());
    let listed = std::process::Command::new("rabbitmqctl")
        .args(["list_connections", "pid", "client_properties", "--silent"])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    let ours: Vec<&str> = listed
        .lines()
        // `<rabbit@host.1.2.3>\t[{"connection_name",longstr,"flask-tasks 123"}, ..]`
        .filter(|l| l.contains(&format!("\"{name}\"")))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(!ours.is_empty(), "our connection is listed: {listed}");
    for pid in ours {
        let closed = std::process::Command::new("rabbitmqctl")
            .args(["close_connection", pid, "closed by the test"])
            .status()
            .unwrap();
        assert!(closed.success());
    }
    // The next send connects again.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match tasks.delay(PING, ()).await {
            Ok(_) => break,
            Err(e) => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "never reconnected: {e}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    assert_eq!(tasks.purge(None).await.unwrap(), 2);
    tasks.close().await;
}

fn which_rabbitmqctl() -> Option<()> {
    std::process::Command::new("rabbitmqctl")
        .arg("version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| ())
}
