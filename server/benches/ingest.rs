//! `cargo bench -p server --bench ingest` (scripts/bench runs it): webhook ingest — secret
//! check, durable inbox insert, 200 — against a bare axum JSON echo, on SQLite and (with
//! TOMBOLA_TEST_POSTGRES_URL) PostgreSQL; then what 1,000 connected idle bots cost.
//! Prints figures; asserts nothing.

use axum::body::Bytes;
use axum::http::StatusCode;
use backend::crypto::TokenCipher;
use backend::entities::{bots, tenants};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Database, DatabaseConnection, Set};
use server::config::Config;
use server::startup::Application;
use std::sync::Arc;
use std::time::{Duration, Instant};

const KEY: [u8; 32] = [7; 32];
const REQUESTS: usize = 4000;
const CONCURRENCY: usize = 32;

struct Stats {
    rps: f64,
    p50: Duration,
    p99: Duration,
}

async fn load(url: &str, secret: Option<&str>) -> Stats {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .unwrap();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..CONCURRENCY {
        let (client, next, url, secret) = (
            client.clone(),
            next.clone(),
            url.to_owned(),
            secret.map(str::to_owned),
        );
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= REQUESTS {
                    return lat;
                }
                let body = format!(
                    r#"{{"update_id":{i},"message":{{"message_id":{i},"from":{{"id":5550001,"is_bot":false,"first_name":"小明"}},"chat":{{"id":5550001,"type":"private"}},"date":1764120000,"text":"/start"}}}}"#
                );
                let mut req = client.post(&url).header("content-type", "application/json").body(body);
                if let Some(s) = &secret {
                    req = req.header("X-Telegram-Bot-Api-Secret-Token", s);
                }
                let t = Instant::now();
                let status = req.send().await.map(|r| r.status());
                assert_eq!(status.ok(), Some(reqwest::StatusCode::OK), "request {i} failed");
                lat.push(t.elapsed());
            }
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    let elapsed = started.elapsed();
    all.sort();
    Stats {
        rps: REQUESTS as f64 / elapsed.as_secs_f64(),
        p50: all[all.len() / 2],
        p99: all[all.len() * 99 / 100],
    }
}

async fn echo_server() -> String {
    let app = axum::Router::new().route(
        "/echo",
        axum::routing::post(|body: Bytes| async move {
            match serde_json::from_slice::<serde_json::Value>(&body) {
                Ok(_) => StatusCode::OK,
                Err(_) => StatusCode::BAD_REQUEST,
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/echo")
}

async fn tombola(database_url: &str) -> (String, DatabaseConnection) {
    let toml = format!(
        "[leptos]\nsite-addr = \"127.0.0.1:0\"\n[tombola]\ndatabase-url = \"{database_url}\"\nlog = \"warn\"\n"
    );
    let config = Config::from_toml_and_env(&toml, |_| None).unwrap();
    let key = secrecy::SecretBox::new(Box::new(KEY));
    let app = Application::build(config, &key).await.unwrap();
    let base = format!("http://{}", app.local_addr());
    let db = app.db().clone();
    tokio::spawn(app.run(std::future::pending()));
    (base, db)
}

async fn add_bots(db: &DatabaseConnection, n: usize) -> Vec<String> {
    let now = chrono::Utc::now();
    let tenant = tenants::ActiveModel {
        public_id: Set(backend::ids::new_public_id()),
        name: Set("Bench".into()),
        time_zone: Set("UTC".into()),
        bot_locale: Set("en".into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    let mut hooks = Vec::new();
    for _ in 0..n {
        let hook = backend::ids::new_public_id().to_string();
        bots::ActiveModel {
            public_id: Set(backend::ids::new_public_id()),
            tenant_id: Set(tenant.id),
            telegram_id: Set(1),
            username: Set("bench_bot".into()),
            token_sealed: Set("v1.bench.sealed".into()),
            token_fingerprint: Set(backend::ids::new_public_id().to_string()),
            webhook_id: Set(hook.clone()),
            enabled: Set(true),
            mode: Set(domain::BotMode::Webhook),
            status: Set(domain::BotStatus::Live),
            status_reason: Set(None),
            poll_offset: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
        hooks.push(hook);
    }
    hooks
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse()
                    .unwrap_or(0)
            })
        })
        .unwrap_or(0)
}

fn print(name: &str, s: &Stats, base: Option<&Stats>) {
    let ratio = base
        .map(|b| format!("{:.2}× the echo's time per request", b.rps / s.rps))
        .unwrap_or_default();
    println!(
        "{name:<28} {:>8.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   {ratio}",
        s.rps,
        s.p50.as_secs_f64() * 1e3,
        s.p99.as_secs_f64() * 1e3
    );
}

#[tokio::main]
async fn main() {
    println!(
        "webhook ingest: {REQUESTS} updates, {CONCURRENCY} concurrent connections, one process, this machine"
    );
    let echo = load(&echo_server().await, None).await;
    print("bare axum JSON echo", &echo, None);

    let dir = std::env::temp_dir().join(format!("tombola-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite = format!("sqlite://{}/bench.db", dir.display());
    let (base, db) = tombola(&sqlite).await;
    let hook = add_bots(&db, 1).await.remove(0);
    let secret = TokenCipher::single(&KEY).webhook_secret(&hook);
    let s = load(&format!("{base}/tg/{hook}"), Some(&secret)).await;
    print("tombola /tg/ on SQLite", &s, Some(&echo));

    match std::env::var("TOMBOLA_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(url) => {
            let name = format!("tombola_bench_{}", std::process::id());
            let admin = Database::connect(&url).await.unwrap();
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            let pg = format!("{}/{name}", url.rsplit_once('/').unwrap().0);
            let (base, db) = tombola(&pg).await;
            let hook = add_bots(&db, 1).await.remove(0);
            let secret = TokenCipher::single(&KEY).webhook_secret(&hook);
            let s = load(&format!("{base}/tg/{hook}"), Some(&secret)).await;
            print("tombola /tg/ on PostgreSQL", &s, Some(&echo));
            db.close().await.ok();
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await
                .ok();
        }
        None => {
            println!("tombola /tg/ on PostgreSQL     skipped: TOMBOLA_TEST_POSTGRES_URL is not set")
        }
    }

    println!("\n1,000 connected idle bots (webhook mode), SQLite:");
    let (base, db) = tombola(&format!("sqlite://{}/idle.db", dir.display())).await;
    let metrics = tokio::runtime::Handle::current().metrics();
    let (rss0, tasks0) = (rss_kib(), metrics.num_alive_tasks());
    let hooks = add_bots(&db, 1000).await;
    // Every bot receives one update, so each has really been used once.
    let client = reqwest::Client::new();
    let cipher = TokenCipher::single(&KEY);
    for (i, hook) in hooks.iter().enumerate() {
        let body = format!(r#"{{"update_id":{i},"some_future_update":{{}}}}"#);
        let status = client
            .post(format!("{base}/tg/{hook}"))
            .header(
                "X-Telegram-Bot-Api-Secret-Token",
                cipher.webhook_secret(hook),
            )
            .body(body)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, reqwest::StatusCode::OK);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (rss1, tasks1) = (rss_kib(), metrics.num_alive_tasks());
    println!(
        "  tokio tasks alive: {tasks0} before, {tasks1} after (per bot: {:.3})",
        (tasks1 as f64 - tasks0 as f64) / 1000.0
    );
    println!(
        "  process RSS: {} KiB before, {} KiB after (per bot: {:.1} KiB, includes SQLite's page cache)",
        rss0,
        rss1,
        (rss1 as f64 - rss0 as f64) / 1000.0
    );
    let _ = std::fs::remove_dir_all(dir);
}
