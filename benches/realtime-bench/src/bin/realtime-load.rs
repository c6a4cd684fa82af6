//! `realtime-load ADDR PID CLIENTS MESSAGES`: opens CLIENTS event streams to
//! `http://ADDR/events`, reads the server's RSS (process PID) before and after, then
//! publishes MESSAGES messages one at a time and times how long each takes to reach
//! every client. Prints one `RESULT key=value ...` line.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

async fn open_stream(addr: &str) -> std::io::Result<(TcpStream, Vec<u8>)> {
    let mut conn = TcpStream::connect(addr).await?;
    conn.write_all(
        format!("GET /events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n")
            .as_bytes(),
    )
    .await?;
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = conn.read(&mut buf).await?;
        if n == 0 {
            return Err(std::io::Error::other("closed before the head"));
        }
        seen.extend_from_slice(&buf[..n]);
    }
    if !seen.starts_with(b"HTTP/1.1 200") {
        return Err(std::io::Error::other(
            String::from_utf8_lossy(&seen).into_owned(),
        ));
    }
    let at = seen.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(0) + 4;
    Ok((conn, seen.split_off(at)))
}

async fn publish(addr: &str, body: &str) -> std::io::Result<()> {
    let mut conn = TcpStream::connect(addr).await?;
    conn.write_all(
        format!(
            "POST /publish HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
    .await?;
    let mut out = Vec::new();
    conn.read_to_end(&mut out).await?;
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[i]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, pid, clients, messages] = args.as_slice() else {
        return Err("usage: realtime-load ADDR PID CLIENTS MESSAGES".into());
    };
    let addr: Arc<str> = addr.as_str().into();
    let pid: u32 = pid.parse()?;
    let clients: usize = clients.parse()?;
    let messages: usize = messages.parse()?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = rss_kib(pid);

    // The clients, opened 200 at a time (the listen queue holds 1024).
    let start = Instant::now();
    let sent_at: Arc<Vec<AtomicU64>> = Arc::new((0..messages).map(|_| AtomicU64::new(0)).collect());
    let received = Arc::new(AtomicUsize::new(0));
    let (lat_tx, mut lat_rx) = tokio::sync::mpsc::unbounded_channel::<Vec<f64>>();
    let gate = Arc::new(tokio::sync::Semaphore::new(200));
    let opened = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let (addr, sent_at, received, lat_tx, gate, opened) = (
            addr.clone(),
            sent_at.clone(),
            received.clone(),
            lat_tx.clone(),
            gate.clone(),
            opened.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let permit = gate.acquire_owned().await.ok()?;
            let (mut conn, mut pending) = open_stream(&addr)
                .await
                .map_err(|e| eprintln!("a client failed: {e}"))
                .ok()?;
            drop(permit);
            opened.fetch_add(1, Ordering::Relaxed);
            let mut latencies = Vec::with_capacity(messages);
            let mut buf = vec![0u8; 4096];
            while latencies.len() < messages {
                // Complete lines: `data: N` is message N.
                while let Some(end) = pending.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = pending.drain(..=end).collect();
                    if let Some(n) = line.strip_prefix(b"data: ").and_then(|rest| {
                        std::str::from_utf8(rest).ok()?.trim().parse::<usize>().ok()
                    }) && n < messages
                    {
                        let at = start.elapsed().as_nanos() as u64;
                        let sent = sent_at[n].load(Ordering::Acquire);
                        latencies.push(at.saturating_sub(sent) as f64 / 1e6);
                        received.fetch_add(1, Ordering::Relaxed);
                    }
                }
                let n = match tokio::time::timeout(Duration::from_secs(60), conn.read(&mut buf))
                    .await
                {
                    Ok(Ok(n)) if n > 0 => n,
                    _ => break,
                };
                pending.extend_from_slice(&buf[..n]);
            }
            let _ = lat_tx.send(latencies);
            Some(conn)
        }));
    }
    drop(lat_tx);
    while opened.load(Ordering::Relaxed) < clients {
        if start.elapsed() > Duration::from_secs(120) {
            return Err(format!(
                "only {} of {clients} clients connected in 120 s",
                opened.load(Ordering::Relaxed)
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let connect_secs = start.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_idle = rss_kib(pid);

    for n in 0..messages {
        let before = received.load(Ordering::Relaxed);
        sent_at[n].store(start.elapsed().as_nanos() as u64, Ordering::Release);
        publish(&addr, &n.to_string()).await?;
        // Wait until every client has it (or 10 s), then a pause.
        let waited = Instant::now();
        while received.load(Ordering::Relaxed) < before + clients
            && waited.elapsed() < Duration::from_secs(10)
        {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rss_after = rss_kib(pid);
    let mut all = Vec::with_capacity(clients * messages);
    let mut done = 0;
    // The clients end once they have every message.
    while let Ok(Some(l)) = tokio::time::timeout(Duration::from_secs(15), lat_rx.recv()).await {
        all.extend(l);
        done += 1;
        if done == clients {
            break;
        }
    }
    all.sort_by(f64::total_cmp);
    println!(
        "RESULT clients={clients} connect_s={connect_secs:.1} rss_before_kib={rss_before} rss_idle_kib={rss_idle} rss_after_kib={rss_after} per_client_kib={:.1} received={} expected={} p50_ms={:.2} p99_ms={:.2} max_ms={:.2}",
        (rss_idle.saturating_sub(rss_before)) as f64 / clients as f64,
        all.len(),
        clients * messages,
        percentile(&all, 50.0),
        percentile(&all, 99.0),
        all.last().copied().unwrap_or(0.0),
    );
    drop(tasks);
    Ok(())
}
