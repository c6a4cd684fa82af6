//! Background jobs through a real RabbitMQ: how many a second, and what a worker does to the
//! web app beside it.
//!
//! `tasks-bench [--jobs N] [--seconds S]` (the broker from `FLASK_TEST_AMQP_URL`, else
//! RabbitMQ on 127.0.0.1:5672) measures:
//!
//! 1. **Throughput**, in alternating rounds: `N` jobs sent one after another (each waiting
//!    for the broker's confirmation), then run by a worker eight at a time and acknowledged,
//!    through flask-tasks (Celery's message, a task that does nothing, no result) and
//!    through plain lapin with the same messages (publish with confirms; consume, ack). The
//!    ratio is ours over plain lapin's time, both ways (lower is better).
//! 2. **A web route beside a worker**: the p50 and p99 latency of `GET /ping` (one request
//!    a millisecond on a keep-alive connection) alone, then while a worker in the same
//!    process runs a steady stream of jobs that each take a millisecond of CPU.
//!
//! It prints one line per measurement and a Markdown table; `cargo xtask bench` adds the
//! table to its report and to docs/performance.md.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use flask::Flask;
use flask::routing::get;
use flask_tasks::protocol::Message;
use flask_tasks::{Settings, Task, TaskContext, TaskError, TaskOptions, Tasks, WorkerOptions};
use futures_util::StreamExt as _;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, QueueDeclareOptions, QueuePurgeOptions,
};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const USAGE: &str = "usage: tasks-bench [--jobs N] [--seconds S]";
const ROUNDS: usize = 3;
const NOOP: Task<(u64,), ()> = Task::new("bench.noop");
const BUSY: Task<(u64,), ()> = Task::new("bench.busy");

fn broker() -> String {
    std::env::var("FLASK_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672//".to_owned())
}

fn settings(queue: &str) -> Settings {
    Settings {
        broker_url: broker(),
        result_backend: None,
        default_queue: queue.to_owned(),
        ..Settings::default()
    }
}

/// `jobs` noop tasks through flask-tasks: sent, then run eight at a time; the time.
async fn ours(jobs: u64) -> Result<Duration, String> {
    let done = Arc::new(AtomicU64::new(0));
    let counted = done.clone();
    let tasks = Tasks::new()
        .task_with(
            NOOP,
            move |_: TaskContext, (_n,): (u64,)| {
                let counted = counted.clone();
                async move {
                    counted.fetch_add(1, Ordering::Relaxed);
                    Ok::<(), TaskError>(())
                }
            },
            TaskOptions::new().ignore_result(),
        )
        .connect(settings("bench_tasks_ours"))
        .await
        .map_err(|e| e.to_string())?;
    tasks.purge(None).await.map_err(|e| e.to_string())?;
    let tasks = Arc::new(tasks);
    let started = Instant::now();
    for n in 0..jobs {
        tasks.delay(NOOP, (n,)).await.map_err(|e| e.to_string())?;
    }
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = {
        let tasks = tasks.clone();
        tokio::spawn(async move {
            tasks
                .run_worker(
                    None,
                    WorkerOptions {
                        concurrency: 8,
                        ..WorkerOptions::default()
                    },
                    async {
                        let _ = stopped.await;
                    },
                )
                .await
        })
    };
    while done.load(Ordering::Relaxed) < jobs {
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    let took = started.elapsed();
    let _ = stop.send(());
    worker
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    tasks.close().await;
    Ok(took)
}

/// The same messages through plain lapin: published with confirms one after another, then
/// consumed eight unacknowledged at a time and acknowledged; the time.
async fn plain(jobs: u64) -> Result<Duration, String> {
    let url = broker();
    let url = match url.strip_suffix("//") {
        Some(base) => format!("{base}/%2f"),
        None => url,
    };
    let conn = Connection::connect(&url, ConnectionProperties::default())
        .await
        .map_err(|e| e.to_string())?;
    let queue = "bench_tasks_plain";
    let publisher = conn.create_channel().await.map_err(|e| e.to_string())?;
    publisher
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    let durable = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    publisher
        .queue_declare(queue.into(), durable, FieldTable::default())
        .await
        .map_err(|e| e.to_string())?;
    publisher
        .queue_purge(queue.into(), QueuePurgeOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    for n in 0..jobs {
        let message = Message::new(NOOP.name(), vec![n.into()], serde_json::Map::new());
        publisher
            .basic_publish(
                "".into(),
                queue.into(),
                BasicPublishOptions::default(),
                &message.body(),
                message.properties(),
            )
            .await
            .map_err(|e| e.to_string())?
            .await
            .map_err(|e| e.to_string())?;
    }
    let consumer_channel = conn.create_channel().await.map_err(|e| e.to_string())?;
    consumer_channel
        .basic_qos(8, BasicQosOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    let mut consumer = consumer_channel
        .basic_consume(
            queue.into(),
            "plain".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(|e| e.to_string())?;
    let mut got = 0;
    while got < jobs {
        let delivery = consumer
            .next()
            .await
            .ok_or("the consumer ended")?
            .map_err(|e| e.to_string())?;
        // What a worker does at least: read the message.
        let _ = Message::decode(&delivery.properties, &delivery.data);
        delivery
            .acker
            .ack(BasicAckOptions::default())
            .await
            .map_err(|e| e.to_string())?;
        got += 1;
    }
    let took = started.elapsed();
    let _ = conn.close(200, "bye".into()).await;
    Ok(took)
}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(port: u16) -> Result<Self, String> {
        let stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| format!("cannot connect: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(4096),
        })
    }

    async fn get_ping(&mut self) -> Result<(), String> {
        self.stream
            .write_all(b"GET /ping HTTP/1.1\r\nHost: bench\r\n\r\n")
            .await
            .map_err(|e| format!("write: {e}"))?;
        self.buf.clear();
        loop {
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buf[..end]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                if self.buf.len() >= end + 4 + length {
                    return if head.starts_with("http/1.1 200") {
                        Ok(())
                    } else {
                        Err(format!("GET /ping answered {head}"))
                    };
                }
            }
            let mut chunk = [0u8; 4096];
            let n = self
                .stream
                .read(&mut chunk)
                .await
                .map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                return Err("the server closed the connection".to_owned());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

/// Latencies of `GET /ping`, one a millisecond for `seconds`, in microseconds, sorted.
fn probe(port: u16, seconds: u64) -> Result<Vec<u64>, String> {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async move {
            let mut conn = Conn::open(port).await?;
            for _ in 0..200 {
                conn.get_ping().await?;
            }
            let mut out = Vec::new();
            let end = Instant::now() + Duration::from_secs(seconds);
            let mut tick = tokio::time::interval(Duration::from_millis(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            while Instant::now() < end {
                tick.tick().await;
                let start = Instant::now();
                conn.get_ping().await?;
                out.push(u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX));
            }
            out.sort_unstable();
            Ok(out)
        })
    })
    .join()
    .map_err(|_| "the probe panicked".to_owned())?
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// A millisecond of CPU.
fn spin_a_millisecond() {
    let until = Instant::now() + Duration::from_millis(1);
    let mut x = 0u64;
    while Instant::now() < until {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
    }
    std::hint::black_box(x);
}

/// `GET /ping`'s latency alone, then beside a worker running a steady stream of jobs;
/// (p50, p99) of each, in microseconds, and the jobs run meanwhile.
async fn beside_a_worker(seconds: u64) -> Result<((u64, u64), (u64, u64), u64), String> {
    let ran = Arc::new(AtomicU64::new(0));
    let counted = ran.clone();
    let tasks = Tasks::new()
        .task_with(
            BUSY,
            move |_: TaskContext, (_n,): (u64,)| {
                let counted = counted.clone();
                async move {
                    spin_a_millisecond();
                    counted.fetch_add(1, Ordering::Relaxed);
                    Ok::<(), TaskError>(())
                }
            },
            TaskOptions::new().ignore_result(),
        )
        .settings(settings("bench_tasks_busy"));
    let app = Flask::new("tasks-bench")
        .configure(|c| c.set("SECRET_KEY", "bench"))
        .extension(tasks)
        .route("/ping", get(|| async { "pong" }))
        .build()
        .map_err(|e| e.to_string())?;
    app.startup().await.map_err(|e| e.to_string())?;
    let tasks = app.extension::<Tasks>().ok_or("no tasks")?;
    tasks.purge(None).await.map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let server = {
        let app = app.clone();
        tokio::spawn(async move { app.serve(listener).await })
    };
    let alone = tokio::task::spawn_blocking(move || probe(port, seconds))
        .await
        .map_err(|e| e.to_string())??;

    // A sender keeping the queue fed, and a worker running it, in this process.
    let stop = Arc::new(AtomicBool::new(false));
    let feeder = {
        let (tasks, stop) = (tasks.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                if tasks.delay(BUSY, (n,)).await.is_err() {
                    break;
                }
                n += 1;
            }
        })
    };
    let (quit, quitting) = tokio::sync::oneshot::channel::<()>();
    let worker = {
        let tasks = tasks.clone();
        tokio::spawn(async move {
            tasks
                .run_worker(
                    None,
                    WorkerOptions {
                        concurrency: 4,
                        ..WorkerOptions::default()
                    },
                    async {
                        let _ = quitting.await;
                    },
                )
                .await
        })
    };
    let before = ran.load(Ordering::Relaxed);
    let beside = tokio::task::spawn_blocking(move || probe(port, seconds))
        .await
        .map_err(|e| e.to_string())??;
    let jobs = ran.load(Ordering::Relaxed) - before;
    stop.store(true, Ordering::Relaxed);
    let _ = feeder.await;
    let _ = quit.send(());
    let _ = worker.await;
    let _ = tasks.purge(None).await;
    server.abort();
    Ok((
        (percentile(&alone, 0.50), percentile(&alone, 0.99)),
        (percentile(&beside, 0.50), percentile(&beside, 0.99)),
        jobs,
    ))
}

fn main() -> ExitCode {
    let mut jobs = 5_000u64;
    let mut seconds = 5u64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().and_then(|v| v.parse().ok());
        match (arg.as_str(), value) {
            ("--jobs", Some(v)) => jobs = v,
            ("--seconds", Some(v)) => seconds = v,
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tasks-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(jobs, seconds)) {
        Ok(table) => {
            println!("{table}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tasks-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(jobs: u64, seconds: u64) -> Result<String, String> {
    let mut ours_times = Vec::new();
    let mut plain_times = Vec::new();
    for round in 0..ROUNDS {
        // Who goes first alternates.
        let (o, p) = if round % 2 == 0 {
            let o = ours(jobs).await?;
            (o, plain(jobs).await?)
        } else {
            let p = plain(jobs).await?;
            (ours(jobs).await?, p)
        };
        let per_sec = |d: Duration| jobs as f64 / d.as_secs_f64();
        println!(
            "tasks-bench: round {}/{ROUNDS}: flask-tasks {:.0} jobs/s, plain lapin {:.0} jobs/s, ratio {:.3}",
            round + 1,
            per_sec(o),
            per_sec(p),
            o.as_secs_f64() / p.as_secs_f64()
        );
        ours_times.push(o);
        plain_times.push(p);
    }
    let mut ratios: Vec<f64> = ours_times
        .iter()
        .zip(&plain_times)
        .map(|(o, p)| o.as_secs_f64() / p.as_secs_f64())
        .collect();
    ratios.sort_by(f64::total_cmp);
    let best = |times: &[Duration]| times.iter().min().copied().unwrap_or_default();
    let rate = |d: Duration| jobs as f64 / d.as_secs_f64();
    let ((a50, a99), (b50, b99), busy) = beside_a_worker(seconds).await?;
    println!(
        "tasks-bench: GET /ping alone p50 {a50} us p99 {a99} us; beside a worker ({busy} jobs in {seconds} s) p50 {b50} us p99 {b99} us"
    );
    Ok(format!(
        "## Bench: background jobs through RabbitMQ\n\n\
         {jobs} jobs sent one after another (each confirmed by the broker), then run eight at a \
         time and acknowledged; {ROUNDS} rounds, the two sides alternating. The rates are each \
         side's best round; the ratio is the median of ours over plain lapin's time.\n\n\
         | path | jobs/s (send + run) | ratio to plain lapin (median) |\n|---|---:|---:|\n\
         | plain lapin (Celery's message, publish + consume + ack) | {:.0} | 1.000 |\n\
         | flask-tasks (`delay`, then `myapp worker`'s loop, no result kept) | {:.0} | {:.3} |\n\n\
         `GET /ping`, one request a millisecond for {seconds} s, alone and beside a worker in \
         the same process running a steady stream of jobs of 1 ms of CPU each ({busy} jobs):\n\n\
         | | p50 | p99 |\n|---|---:|---:|\n\
         | alone | {a50} us | {a99} us |\n\
         | beside a worker | {b50} us | {b99} us |\n",
        rate(best(&plain_times)),
        rate(best(&ours_times)),
        ratios[ratios.len() / 2],
    ))
}
