//! The benchmark's load generator: webhook deliveries over keep-alive HTTP/1.1
//! connections, one request in flight on each, timed one by one.
//!
//! It writes each request as prepared bytes and reads the status line, the headers and a
//! `Content-Length` (or chunked) body itself, the way wrk does, so that it takes little of
//! the CPU it shares with the server it measures. (Before 2026-12-03 it was reqwest: a
//! third of the two cores went to the load generator, in its URL parsing, header maps and
//! connection pool.) Every server it drives — the echo, Tombola, the Python peer — gets
//! the same requests the same way. Imports: tokio and std only.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Connections, each with one request in flight (the issue's "32 connections").
pub const CONCURRENCY: usize = 32;

pub struct Load {
    /// Deliveries made (answered or not).
    pub sent: usize,
    pub rps: f64,
    pub p50: Duration,
    pub p99: Duration,
    /// Deliveries not answered 200.
    pub failed: usize,
    /// CPU time the measured server's process used per delivery (user + system), when
    /// its pid was given: what a delivery costs it, whoever else shares the cores.
    pub cpu_per_req: Option<Duration>,
    /// The longest the machine took to fall quiet after one of its slices (see
    /// [`settle`]).
    pub settled: Duration,
}

/// A server to load: where to deliver, the secret header's value, and its process (for
/// its CPU time).
#[derive(Clone)]
pub struct Target {
    pub url: String,
    pub secret: String,
    pub pid: Option<u32>,
}

/// Webhook deliveries of distinct `/start` updates to each target
/// (`http://host:port/path`) over [`CONCURRENCY`] connections, in `turns` slices of
/// `slice` each: a slice to every target in order, then a second to every target, and so
/// on. The figures of each target are over all its slices.
///
/// Why in turns: this machine's speed moves by half within a minute (the echo alone has
/// run at 29k and at 95k req/s within the hour), so a ratio of two figures measured one
/// after the other mostly measures the machine. Taken in turns, every target meets the
/// same changes; slices of equal time give each the same share of ramp-up (connections
/// opened, threads woken) however fast it is.
///
/// After each slice the next waits for the machine to fall quiet ([`settle`]): what a
/// server still does after answering (the Python peer handles each update after its
/// answer; Tombola's workers handle the inbox) must not run in another's slice.
pub async fn load_in_turns(targets: &[Target], turns: usize, slice_len: Duration) -> Vec<Load> {
    let mut slices: Vec<Vec<Slice>> = targets.iter().map(|_| Vec::new()).collect();
    // Update ids go on from slice to slice, so no delivery is a replay of an earlier one.
    let mut first_ids = vec![0usize; targets.len()];
    settle().await;
    for _ in 0..turns.max(1) {
        for ((t, done), first) in targets.iter().zip(&mut slices).zip(&mut first_ids) {
            let mut s = slice(t, *first, slice_len).await;
            s.settled = settle().await;
            *first += s.sent;
            done.push(s);
        }
    }
    slices.into_iter().map(Load::of).collect()
}

/// One slice's answers.
struct Slice {
    sent: usize,
    latencies: Vec<Duration>,
    failed: usize,
    elapsed: Duration,
    cpu: Option<Duration>,
    settled: Duration,
}

/// Quiet: the whole machine's CPU below this share of its cores over [`SETTLE_STEP`].
const QUIET: f64 = 0.10;
const SETTLE_STEP: Duration = Duration::from_millis(100);
/// The longest [`settle`] waits.
pub const SETTLE_MAX: Duration = Duration::from_secs(15);

/// Busy and total clock ticks of all cores since boot (`/proc/stat`).
fn cpu_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let v: Vec<u64> = line
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal …
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3)? + v.get(4)?;
    Some((total - idle, total))
}

/// Waits until the machine is quiet ([`QUIET`]), at most [`SETTLE_MAX`]; how long it
/// waited.
async fn settle() -> Duration {
    let started = Instant::now();
    let Some(mut before) = cpu_ticks() else {
        return Duration::ZERO;
    };
    while started.elapsed() < SETTLE_MAX {
        tokio::time::sleep(SETTLE_STEP).await;
        let Some(now) = cpu_ticks() else {
            break;
        };
        let (busy, total) = (now.0 - before.0, now.1 - before.1);
        before = now;
        if total > 0 && (busy as f64) < QUIET * total as f64 {
            break;
        }
    }
    started.elapsed()
}

impl Load {
    fn of(slices: Vec<Slice>) -> Load {
        let sent = slices.iter().map(|s| s.sent).sum();
        let elapsed: Duration = slices.iter().map(|s| s.elapsed).sum();
        let failed = slices.iter().map(|s| s.failed).sum();
        let cpu: Option<Duration> = slices.iter().map(|s| s.cpu).sum();
        let settled = slices.iter().map(|s| s.settled).max().unwrap_or_default();
        let mut all: Vec<Duration> = slices.into_iter().flat_map(|s| s.latencies).collect();
        all.sort();
        let at = |q: usize| all.get(all.len() * q / 100).copied().unwrap_or_default();
        Load {
            sent,
            rps: sent as f64 / elapsed.as_secs_f64(),
            p50: at(50),
            p99: at(99),
            failed,
            cpu_per_req: cpu.filter(|_| sent > 0).map(|c| c / sent as u32),
            settled,
        }
    }
}

/// Deliveries to `target` for `len` (each connection starts no new one after that), their
/// update ids counting from `first`.
async fn slice(target: &Target, first: usize, len: Duration) -> Slice {
    let (addr, path) = split_url(&target.url);
    let next = Arc::new(AtomicUsize::new(first));
    let cpu_before = target.pid.and_then(cpu_time);
    let started = Instant::now();
    let end = started + len;
    let mut workers = Vec::new();
    for _ in 0..CONCURRENCY {
        let (next, addr, path, secret) = (
            next.clone(),
            addr.clone(),
            path.clone(),
            target.secret.clone(),
        );
        workers.push(tokio::spawn(async move {
            let (mut lat, mut failed) = (Vec::new(), 0);
            let mut conn: Option<Conn> = None;
            let mut request = Vec::with_capacity(1024);
            loop {
                if Instant::now() >= end {
                    return (lat, failed);
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                let body = format!(
                    r#"{{"update_id":{i},"message":{{"message_id":{i},"from":{{"id":{u},"is_bot":false,"first_name":"小明"}},"chat":{{"id":{u},"type":"private"}},"date":1764120000,"text":"/start"}}}}"#,
                    u = 5_550_000 + i % 5000
                );
                request.clear();
                request.extend_from_slice(
                    format!(
                        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
                         X-Telegram-Bot-Api-Secret-Token: {secret}\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    )
                    .as_bytes(),
                );
                request.extend_from_slice(body.as_bytes());
                let t = Instant::now();
                let answer = match conn.as_mut() {
                    Some(c) => c.round_trip(&request).await,
                    None => match Conn::open(&addr).await {
                        Ok(c) => conn.insert(c).round_trip(&request).await,
                        Err(e) => Err(e),
                    },
                };
                match answer {
                    Ok((status, keep_alive)) => {
                        if status == 200 {
                            lat.push(t.elapsed());
                        } else {
                            failed += 1;
                        }
                        if !keep_alive {
                            conn = None;
                        }
                    }
                    Err(_) => {
                        failed += 1;
                        conn = None;
                    }
                }
            }
        }));
    }
    let (mut latencies, mut failed) = (Vec::new(), 0);
    for w in workers {
        let (lat, f) = w.await.unwrap();
        latencies.extend(lat);
        failed += f;
    }
    let elapsed = started.elapsed();
    let cpu = match (cpu_before, target.pid.and_then(cpu_time)) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    Slice {
        sent: next.load(Ordering::Relaxed) - first,
        latencies,
        failed,
        elapsed,
        cpu,
        settled: Duration::ZERO,
    }
}

pub fn figure(l: &Load) -> String {
    let cpu = l
        .cpu_per_req
        .map(|c| format!(", {:.0} µs CPU each", c.as_secs_f64() * 1e6))
        .unwrap_or_default();
    format!(
        "{:.0} req/s, p50 {:.2} ms, p99 {:.2} ms{cpu}",
        l.rps,
        l.p50.as_secs_f64() * 1e3,
        l.p99.as_secs_f64() * 1e3
    )
}

/// `http://127.0.0.1:8080/tg/x` → ("127.0.0.1:8080", "/tg/x").
fn split_url(url: &str) -> (String, String) {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (addr, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    (addr.to_owned(), path.to_owned())
}

/// A process's user + system CPU time so far, from `/proc/<pid>/stat`.
fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command's closing parenthesis; utime and stime are the 14th and
    // 15th of the whole line, in clock ticks (100 a second on Linux).
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(addr: &str) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(4096),
        })
    }

    /// Sends one request and reads its whole answer: (status, whether the connection
    /// stays open).
    async fn round_trip(&mut self, request: &[u8]) -> std::io::Result<(u16, bool)> {
        self.stream.write_all(request).await?;
        self.buf.clear();
        let head_end = loop {
            if let Some(p) = find(&self.buf, b"\r\n\r\n") {
                break p + 4;
            }
            self.fill().await?;
        };
        let head = std::str::from_utf8(&self.buf[..head_end]).map_err(bad)?;
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("no status line"))?;
        let (mut length, mut chunked, mut keep_alive) = (None, false, true);
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse::<usize>().ok();
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.eq_ignore_ascii_case("chunked");
            } else if name.eq_ignore_ascii_case("connection") {
                keep_alive = !value.eq_ignore_ascii_case("close");
            }
        }
        if chunked {
            while find(&self.buf[head_end..], b"0\r\n\r\n").is_none() {
                self.fill().await?;
            }
        } else {
            let want = head_end + length.unwrap_or(0);
            while self.buf.len() < want {
                self.fill().await?;
            }
        }
        Ok((status, keep_alive))
    }

    async fn fill(&mut self) -> std::io::Result<()> {
        let mut chunk = [0u8; 4096];
        let got = self.stream.read(&mut chunk).await?;
        if got == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.buf.extend_from_slice(&chunk[..got]);
        Ok(())
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn bad(e: impl ToString) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string())
}
