//! `cargo bench -p server --bench perf` (scripts/bench runs it): Tombola's speed against
//! its limits, measured in one run on this machine and printed as one table.
//!
//! - webhook ingest (secret check, durable insert, 200) of the release binary on SQLite
//!   and PostgreSQL, against a bare axum JSON echo in a process of its own, and against
//!   a Python peer (aiogram 3's multibot webhook storing each update in SQLite, installed
//!   with pip into a throw-away venv): the same load generator drives all four, in turns
//!   of one second each (`load::load_in_turns`), so every ratio is taken under the same
//!   machine;
//! - the join flow: presses of a Join button arrive from the Telegram simulator by
//!   webhook, each becomes an entry with its number and the press is answered; the
//!   entries are counted afterwards (the run fails if one is missing or doubled);
//! - winner notices through the outbox at one bot's limit, then 20 bots at once;
//! - 10,000 connected idle bots: start-up time and the process's memory.
//!
//! Exits non-zero when an entry was lost or doubled, or an update did not arrive once.
//! The goals are the figures issue 12 asked for; a miss is printed, not an error.
//! `TOMBOLA_BENCH_QUICK=1` runs every part smaller (for a smoke test).

use backend::crypto::TokenCipher;
use backend::entities::outbox::{Kind, Status as OutboxStatus};
use backend::entities::{bots, outbox, tenants};
use backend::ids::{BotId, TenantId};
use domain::{BotMode, BotStatus};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QuerySelect, Set,
};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[path = "perf/load.rs"]
mod load;
use load::{CONCURRENCY, Load, SETTLE_MAX, Target, figure, load_in_turns};

const KEY: [u8; 32] = [7; 32];
/// Telegram's (and the simulator's) per-bot sending limit.
const PER_BOT_LIMIT: f64 = 30.0;
/// Slices in which the ingest servers are loaded in turns (`load::load_in_turns`).
const TURNS: usize = 5;

fn quick() -> bool {
    std::env::var("TOMBOLA_BENCH_QUICK").is_ok_and(|v| v == "1")
}

/// `TOMBOLA_BENCH_ONLY=ingest,joins,…` runs those parts alone (to profile one).
fn wanted(part: &str) -> bool {
    std::env::var("TOMBOLA_BENCH_ONLY").map_or(true, |v| v.split(',').any(|p| p.trim() == part))
}

fn scaled(full: usize, small: usize) -> usize {
    if quick() { small } else { full }
}

/// One line of the table.
struct Row {
    what: String,
    figure: String,
    ratio: String,
    goal: String,
    met: Option<bool>,
}

/// A line of the table, also printed at once (a long run shows where it is).
fn row(what: &str, figure: String, ratio: String, goal: &str, met: Option<bool>) -> Row {
    println!("  {what}: {figure} {ratio}");
    Row {
        what: what.to_owned(),
        figure,
        ratio,
        goal: goal.to_owned(),
        met,
    }
}

// ----- processes -----

/// A child process killed when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Proc {
    fn pid(&self) -> u32 {
        self.0.id()
    }

    fn stop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_for(url: &str, timeout: Duration) -> Duration {
    let client = reqwest::Client::new();
    let started = Instant::now();
    while client.get(url).send().await.is_err() {
        assert!(started.elapsed() < timeout, "{url} did not come up");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    started.elapsed()
}

/// The release `tombola` binary on `database_url`, talking to the Bot API at `api`.
/// Returns the process, its base URL and how long it took to answer `/healthz`.
async fn tombola(database_url: &str, api: &str) -> (Proc, String, Duration) {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("tombola-perf-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_tombola"))
        .current_dir(&dir)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_SITE_ROOT", &dir)
        .env("TOMBOLA_DATABASE_URL", database_url)
        .env("TOMBOLA_SECRET_KEY", hex::encode(KEY))
        .env("TOMBOLA_PUBLIC_URL", "https://bench.invalid")
        .env("TOMBOLA_TELEGRAM_API_URL", api)
        .env("TOMBOLA_LOG", "error")
        .env("TOMBOLA_BEACON", "off")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let proc = Proc(child);
    wait_for(&format!("{base}/healthz"), Duration::from_secs(120)).await;
    (proc, base, started.elapsed())
}

fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .map_or(0.0, |kib: f64| kib / 1024.0)
}

// ----- databases -----

/// A fresh database: a SQLite file, or a new PostgreSQL database.
async fn fresh_db(pg: Option<&str>, name: &str) -> String {
    match pg {
        None => {
            let dir = std::env::temp_dir().join(format!("tombola-perf-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(format!("{name}.db"));
            let _ = std::fs::remove_file(&path);
            format!("sqlite://{}", path.display())
        }
        Some(url) => {
            let db_name = format!("tombola_perf_{name}_{}", std::process::id());
            let admin = Database::connect(url).await.unwrap();
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {db_name} WITH (FORCE)"))
                .await
                .unwrap();
            admin
                .execute_unprepared(&format!("CREATE DATABASE {db_name}"))
                .await
                .unwrap();
            format!("{}/{db_name}", url.rsplit_once('/').unwrap().0)
        }
    }
}

async fn new_tenant(db: &DatabaseConnection) -> TenantId {
    let now = chrono::Utc::now();
    tenants::ActiveModel {
        public_id: Set(backend::ids::new_public_id()),
        name: Set("Bench".into()),
        time_zone: Set("UTC".into()),
        bot_locale: Set("en".into()),
        plan: Set(domain::Plan::Business),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap()
    .id
}

/// A webhook bot of `tenant` with `token` (sealed as the server seals it). Returns its
/// row id and webhook id.
async fn new_bot(db: &DatabaseConnection, tenant: TenantId, token: &str) -> (BotId, String) {
    let cipher = TokenCipher::single(&KEY);
    let token = domain::BotToken::parse(token).unwrap();
    let public_id = backend::ids::new_public_id();
    let webhook_id = format!(
        "{}{}",
        backend::ids::new_public_id(),
        backend::ids::new_public_id()
    );
    let now = chrono::Utc::now();
    let row = bots::ActiveModel {
        token_sealed: Set(cipher.seal(public_id.as_str(), &token)),
        public_id: Set(public_id),
        tenant_id: Set(tenant),
        telegram_id: Set(token.bot_id() as i64),
        username: Set(format!("bench_{}_bot", token.bot_id())),
        token_fingerprint: Set(cipher.fingerprint(&token)),
        webhook_id: Set(webhook_id.clone()),
        enabled: Set(true),
        mode: Set(BotMode::Webhook),
        mode_chosen: Set(true),
        status: Set(BotStatus::Live),
        status_reason: Set(None),
        poll_offset: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    (row.id, webhook_id)
}

/// A counter of the simulator's for `method` and `field` (`ok`, `too_many_requests`…),
/// however the client spelled the method (the Bot API takes any case: teloxide writes
/// `SendMessage`).
fn sim_count(calls: &serde_json::Value, method: &str, field: &str) -> u64 {
    calls
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(m, _)| m.eq_ignore_ascii_case(method))
        .map(|(_, c)| c[field].as_u64().unwrap_or(0))
        .sum()
}

fn token(n: u64) -> String {
    format!("{}:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0", 100_000_000 + n)
}

// ----- the parts -----

/// The bare echo: this benchmark's own binary, started again as a server.
async fn echo() -> (Proc, String) {
    let port = free_port();
    let child = Command::new(std::env::current_exe().unwrap())
        .env("TOMBOLA_BENCH_ECHO_PORT", port.to_string())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    wait_for(&format!("{base}/echo"), Duration::from_secs(30)).await;
    (Proc(child), format!("{base}/echo"))
}

fn serve_echo(port: u16) {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move {
            let app = axum::Router::new().route(
                "/echo",
                axum::routing::post(|body: axum::body::Bytes| async move {
                    match serde_json::from_slice::<serde_json::Value>(&body) {
                        Ok(_) => axum::http::StatusCode::OK,
                        Err(_) => axum::http::StatusCode::BAD_REQUEST,
                    }
                })
                .get(|| async { "echo" }),
            );
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
                .await
                .unwrap();
            axum::serve(listener, app).await.unwrap();
        });
}

/// The real binary ready for webhook ingest of one bot: its process, where to deliver,
/// and what to count afterwards.
struct IngestServer {
    /// Kept so that the server runs as long as this lives.
    _proc: Proc,
    target: Target,
    db: DatabaseConnection,
    bot: BotId,
}

/// Ingest servers started so far: their databases are `ingest0`, `ingest1`, ….
static INGEST_SERVERS: AtomicUsize = AtomicUsize::new(0);

async fn ingest_server(pg: Option<&str>, sim: &telegram_sim::RunningSim) -> IngestServer {
    let api = &sim.api_url();
    // Known to the simulator, so the start-up webhook check finds the bot's token good.
    let _ = sim
        .sim()
        .create_bot(Some(token(1)), "ingest_bench_bot", None);
    // Each server its own database (`ingest0`, `ingest1`, …), all dropped at the end.
    let name = format!("ingest{}", INGEST_SERVERS.fetch_add(1, Ordering::Relaxed));
    let url = fresh_db(pg, &name).await;
    let db = backend::db::connect_and_migrate(&url).await.unwrap();
    let tenant = new_tenant(&db).await;
    let (bot, hook) = new_bot(&db, tenant, &token(1)).await;
    let (proc, base, _) = tombola(&url, api).await;
    let target = Target {
        url: format!("{base}/tg/{hook}"),
        secret: TokenCipher::single(&KEY).webhook_secret(&hook),
        pid: Some(proc.pid()),
    };
    IngestServer {
        _proc: proc,
        target,
        db,
        bot,
    }
}

impl IngestServer {
    /// Whether every delivery answered 200 is stored, once, and none was refused.
    async fn all_stored(&self, l: &Load) -> bool {
        let n = l.sent;
        let stored = backend::entities::inbox::Entity::find()
            .filter(backend::entities::inbox::Column::BotId.eq(self.bot))
            .count(&self.db)
            .await
            .unwrap();
        if stored != (n - l.failed) as u64 || l.failed > 0 {
            eprintln!(
                "FAIL: {} deliveries answered 200, {} refused, {stored} stored",
                n - l.failed,
                l.failed
            );
            return false;
        }
        true
    }
}

/// The Python peer, in a venv made for this run (removed when the peer is dropped).
struct Peer {
    proc: Proc,
    target: Target,
    dir: std::path::PathBuf,
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.proc.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn python_peer() -> Result<Peer, String> {
    let dir = std::env::temp_dir().join(format!("tombola-peer-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let venv = dir.join("venv");
    let run = |cmd: &mut Command| -> Result<(), String> {
        let out = cmd.output().map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr)
                .chars()
                .take(400)
                .collect())
        }
    };
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    run(Command::new(venv.join("bin/pip")).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "aiogram>=3.20,<4",
    ]))?;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scripts/peer/aiogram_peer.py"
    );
    let port = free_port();
    let secret = "bench-secret";
    let child = Command::new(venv.join("bin/python"))
        .arg(script)
        .arg(port.to_string())
        .arg(dir.join("peer.db"))
        .arg(secret)
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let proc = Proc(child);
    let base = format!("http://127.0.0.1:{port}");
    wait_for(&format!("{base}/"), Duration::from_secs(60)).await;
    let target = Target {
        url: format!("{base}/webhook/{}", token(1)),
        secret: secret.into(),
        pid: Some(proc.pid()),
    };
    Ok(Peer { proc, target, dir })
}

/// Presses of one Join button by `n` users, delivered by the simulator's webhook.
struct Joins {
    per_sec: f64,
    stored: u64,
    distinct_users: u64,
    numbers_dense: bool,
    answered: u64,
}

async fn join_flow(n: usize) -> Joins {
    let sim = telegram_sim::start(telegram_sim::SimConfig::default())
        .await
        .unwrap();
    let s = sim.sim();
    let tok = token(7);
    let bot_tg = s
        .create_bot(Some(tok.clone()), "join_bench_bot", None)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let url = fresh_db(None, "joins").await;
    let db = backend::db::connect_and_migrate(&url).await.unwrap();
    let tenant = new_tenant(&db).await;
    let (bot, hook) = new_bot(&db, tenant, &tok).await;
    // An open giveaway on the bot, made as the dashboard makes one.
    let now = chrono::Utc::now();
    let cipher = TokenCipher::single(&KEY);
    let seed = domain::draw::Hash32(rand::random());
    let gid = backend::ids::new_public_id();
    backend::entities::giveaways::ActiveModel {
        seed_sealed: Set(cipher.seal_bytes(&format!("giveaway-seed:{gid}"), &seed.0)),
        public_id: Set(gid.clone()),
        tenant_id: Set(tenant),
        bot_id: Set(Some(bot)),
        title: Set("Bench".into()),
        description: Set(String::new()),
        prizes: Set(r#"[{"name":"Gift","winners":10}]"#.into()),
        reserves: Set(0),
        starts_at: Set(now - chrono::Duration::minutes(1)),
        ends_at: Set(now + chrono::Duration::days(1)),
        conditions: Set("[]".into()),
        max_entries: Set(None),
        captcha: Set(false),
        status: Set(domain::giveaway::Status::Open),
        draw_protocol: Set(i16::from(domain::draw::Protocol::CURRENT.number())),
        commitment: Set(domain::draw::commitment(domain::draw::Protocol::CURRENT, &seed).to_hex()),
        entries_count: Set(0),
        published_at: Set(Some(now)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    let (_proc, base, _) = tombola(&url, &sim.api_url()).await;
    // The simulator delivers to the local server, though the webhook says https.
    s.set_config(telegram_sim::SimConfig {
        webhook_base_override: Some(base.clone()),
        ..s.config()
    });
    let client = reqwest::Client::new();
    let api = |m: &str| format!("{}/bot{tok}/{m}", sim.api_url());
    let set = client
        .post(api("setWebhook"))
        .json(&serde_json::json!({
            "url": format!("https://bench.invalid/tg/{hook}"),
            "secret_token": cipher.webhook_secret(&hook),
            "max_connections": 100,
            "allowed_updates": ["message", "callback_query", "my_chat_member"],
        }))
        .send()
        .await
        .unwrap();
    assert!(set.status().is_success(), "setWebhook");
    // The giveaway posted in a group with a Join button; everyone presses it.
    let chat = s
        .create_chat(
            telegram_sim::ChatKind::Supergroup,
            "Bench group".into(),
            None,
        )
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    s.set_member(chat, bot_tg, "administrator").unwrap();
    let data = domain::giveaway::Callback::Join(gid.to_string()).encode();
    let posted: serde_json::Value = client
        .post(api("sendMessage"))
        .json(&serde_json::json!({
            "chat_id": chat,
            "text": "🎁 Bench giveaway",
            "reply_markup": {"inline_keyboard": [[{"text": "Join", "callback_data": data}]]},
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let message_id = posted["result"]["message_id"].as_i64().unwrap();
    let users: Vec<i64> = (0..n)
        .map(|i| {
            s.create_user(
                Some(8_000_000 + i as i64),
                format!("U{i}"),
                None,
                None,
                Some("en".into()),
            )
            .unwrap()["id"]
                .as_i64()
                .unwrap()
        })
        .collect();

    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let users = Arc::new(users);
    let mut pressers = Vec::new();
    for _ in 0..CONCURRENCY {
        let (sim, next, users, data) = (s.clone(), next.clone(), users.clone(), data.clone());
        pressers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= users.len() {
                    return;
                }
                sim.user_presses(users[i], bot_tg, chat, message_id, &data)
                    .unwrap();
                tokio::task::yield_now().await;
            }
        }));
    }
    for p in pressers {
        p.await.unwrap();
    }
    let answered = || async {
        let calls: serde_json::Value = client
            .get(format!("{}/sim/bots/{bot_tg}/calls", sim.api_url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        sim_count(&calls, "answerCallbackQuery", "ok")
    };
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let stored = backend::entities::entries::Entity::find()
            .count(&db)
            .await
            .unwrap();
        if (stored >= n as u64 && answered().await >= n as u64) || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    let (stored, distinct, min, max): (i64, i64, Option<i32>, Option<i32>) = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*), COUNT(DISTINCT telegram_user_id), MIN(number), MAX(number) FROM entries",
        ))
        .await
        .unwrap()
        .map(|r| {
            (
                r.try_get_by_index(0).unwrap(),
                r.try_get_by_index(1).unwrap(),
                r.try_get_by_index(2).unwrap(),
                r.try_get_by_index(3).unwrap(),
            )
        })
        .unwrap();
    Joins {
        per_sec: n as f64 / elapsed.as_secs_f64(),
        stored: stored as u64,
        distinct_users: distinct as u64,
        numbers_dense: min == Some(1) && max == Some(n as i32),
        answered: answered().await,
    }
}

/// Per bot: notices sent per second (first to last send, from the outbox's own
/// timestamps) and the 429s the simulator answered.
struct Notices {
    rates: Vec<f64>,
    too_many: u64,
}

async fn notices(bots_n: usize, per_bot: usize) -> Notices {
    let sim = telegram_sim::start(telegram_sim::SimConfig::default())
        .await
        .unwrap();
    let s = sim.sim();
    let url = fresh_db(None, &format!("notices{bots_n}")).await;
    let db = backend::db::connect_and_migrate(&url).await.unwrap();
    let tenant = new_tenant(&db).await;
    let client = reqwest::Client::new();
    let mut bot_ids = Vec::new();
    let mut tg_ids = Vec::new();
    for b in 0..bots_n {
        let tok = token(1000 + b as u64);
        let tg = s
            .create_bot(Some(tok.clone()), &format!("notice_{b}_bot"), None)
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let (bot, _) = new_bot(&db, tenant, &tok).await;
        let mut rows = Vec::with_capacity(per_bot);
        for i in 0..per_bot {
            let user = 9_000_000 + (b * per_bot + i) as i64;
            s.create_user(Some(user), format!("W{i}"), None, None, Some("en".into()))
                .unwrap();
            s.user_sends(user, tg, "/start", None).unwrap();
            rows.push(backend::telegram::outbox::NewMessage {
                tenant_id: tenant,
                bot_id: bot,
                giveaway_id: None,
                kind: Kind::WinnerDm,
                chat_id: user,
                message: backend::telegram::outbox::Message {
                    text: format!("🎉 You won! Entry #{}", i + 1),
                    links: vec![],
                    callbacks: vec![],
                    code: None,
                },
                dedupe_key: format!("bench:{b}:{i}"),
            });
        }
        // The users' /start updates are taken off the queue: only the notices are sent.
        client
            .get(format!(
                "{}/bot{tok}/getUpdates?offset=999999999999",
                sim.api_url()
            ))
            .send()
            .await
            .unwrap();
        backend::telegram::outbox::enqueue(&db, rows).await.unwrap();
        bot_ids.push(bot);
        tg_ids.push(tg);
    }
    let (_proc, _base, _) = tombola(&url, &sim.api_url()).await;
    let total = (bots_n * per_bot) as u64;
    let deadline = Instant::now() + Duration::from_secs(1200);
    loop {
        let done = outbox::Entity::find()
            .filter(outbox::Column::Status.ne(OutboxStatus::Pending))
            .count(&db)
            .await
            .unwrap();
        if done >= total || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut rates = Vec::new();
    for bot in &bot_ids {
        let (first, last, sent): (
            Option<chrono::DateTime<chrono::Utc>>,
            Option<chrono::DateTime<chrono::Utc>>,
            i64,
        ) = outbox::Entity::find()
            .select_only()
            .column_as(outbox::Column::SentAt.min(), "first")
            .column_as(outbox::Column::SentAt.max(), "last")
            .column_as(outbox::Column::Id.count(), "n")
            .filter(outbox::Column::BotId.eq(*bot))
            .filter(outbox::Column::Status.eq(OutboxStatus::Sent))
            .into_tuple()
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        let secs = match (first, last) {
            (Some(f), Some(l)) => (l - f).num_milliseconds() as f64 / 1e3,
            _ => 0.0,
        };
        rates.push(if secs > 0.0 {
            (sent - 1) as f64 / secs
        } else {
            0.0
        });
    }
    let mut too_many = 0;
    for tg in tg_ids {
        let calls: serde_json::Value = client
            .get(format!("{}/sim/bots/{tg}/calls", sim.api_url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        too_many += sim_count(&calls, "sendMessage", "too_many_requests");
    }
    Notices { rates, too_many }
}

/// 10,000 connected webhook bots that receive nothing: start-up and memory.
struct Idle {
    start: Duration,
    rss_started: f64,
    rss_checked: f64,
    webhook_checks: u64,
}

async fn idle_bots(n: usize) -> Idle {
    let sim = telegram_sim::start(telegram_sim::SimConfig::default())
        .await
        .unwrap();
    let s = sim.sim();
    let url = fresh_db(None, "idle").await;
    let db = backend::db::connect_and_migrate(&url).await.unwrap();
    let tenant = new_tenant(&db).await;
    for b in 0..n {
        let tok = token(100_000 + b as u64);
        s.create_bot(Some(tok.clone()), &format!("idle_{b}_bot"), None)
            .unwrap();
        new_bot(&db, tenant, &tok).await;
    }
    let (proc, _base, start) = tombola(&url, &sim.api_url()).await;
    let rss_started = rss_mib(proc.pid());
    // Start-up checks every webhook in the background; wait until it has.
    let client = reqwest::Client::new();
    let checks = || async {
        let mut total = 0;
        for b in [0, n - 1] {
            let calls: serde_json::Value = client
                .get(format!(
                    "{}/sim/bots/{}/calls",
                    sim.api_url(),
                    100_000_000 + 100_000 + b as u64
                ))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            total += sim_count(&calls, "getWebhookInfo", "calls");
        }
        total
    };
    let deadline = Instant::now() + Duration::from_secs(600);
    while checks().await < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let checked = bots::Entity::find()
        .filter(bots::Column::WebhookCheckedAt.is_not_null())
        .count(&db)
        .await
        .unwrap();
    Idle {
        start,
        rss_started,
        rss_checked: rss_mib(proc.pid()),
        webhook_checks: checked,
    }
}

#[tokio::main]
async fn run() -> bool {
    let mut ok = true;
    let mut rows = Vec::new();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let slice = Duration::from_millis(
        std::env::var("TOMBOLA_BENCH_SLICE_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(scaled(1_000, 200) as u64),
    );
    let pg = std::env::var("TOMBOLA_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty());
    println!(
        "perf: {cores} cores; webhook ingest over {CONCURRENCY} connections, the servers \
         taken in {TURNS} turns of {} ms each",
        slice.as_millis()
    );

    // A simulator only so that the servers' start-up webhook checks are answered.
    let quiet_sim = telegram_sim::start(telegram_sim::SimConfig::default())
        .await
        .unwrap();
    if wanted("ingest") {
        // Every server is started first, then all are loaded in turns (see
        // `load::load_in_turns`), so the ratios compare them under the same machine.
        let (echo_proc, echo_url) = echo().await;
        let sq = ingest_server(None, &quiet_sim).await;
        let pgs = match &pg {
            Some(url) => Some(ingest_server(Some(url), &quiet_sim).await),
            None => None,
        };
        let peer = if wanted("peer") {
            Some(python_peer().await)
        } else {
            None
        };
        // Each target with its name, for the line on waiting between slices.
        let mut targets = vec![
            Target {
                url: echo_url,
                secret: String::new(),
                pid: Some(echo_proc.pid()),
            },
            sq.target.clone(),
        ];
        let mut names = vec!["echo", "SQLite"];
        if let Some(p) = &pgs {
            targets.push(p.target.clone());
            names.push("PostgreSQL");
        }
        if let Some(Ok(p)) = &peer {
            targets.push(p.target.clone());
            names.push("Python peer");
        }
        let loads = load_in_turns(&targets, TURNS, slice).await;
        let settled: Vec<String> = names
            .iter()
            .zip(&loads)
            .map(|(n, l)| {
                let never = if l.settled >= SETTLE_MAX {
                    " (not quiet)"
                } else {
                    ""
                };
                format!("{n} {:.1} s{never}", l.settled.as_secs_f64())
            })
            .collect();
        println!(
            "  after each slice the next waited for the machine to fall quiet (at most {} s); \
             longest wait after one: {}",
            SETTLE_MAX.as_secs(),
            settled.join(", ")
        );
        let mut loads = loads.into_iter();
        let e = loads.next().unwrap();
        let sql = loads.next().unwrap();
        ok &= sq.all_stored(&sql).await;
        rows.push(row(
            "bare axum JSON echo",
            figure(&e),
            "1.00× echo".into(),
            "—",
            None,
        ));
        let r = sql.rps / e.rps;
        rows.push(row(
            "/tg/ ingest, SQLite",
            figure(&sql),
            format!("{:.0} % of echo", r * 100.0),
            "≥ 25 % of echo, p99 < 20 ms",
            Some(r >= 0.25 && sql.p99 < Duration::from_millis(20)),
        ));
        match &pgs {
            Some(server) => {
                let p = loads.next().unwrap();
                ok &= server.all_stored(&p).await;
                let r = p.rps / e.rps;
                rows.push(row(
                    "/tg/ ingest, PostgreSQL",
                    figure(&p),
                    format!("{:.0} % of echo", r * 100.0),
                    "≥ 15 % of echo, p99 < 20 ms",
                    Some(r >= 0.15 && p.p99 < Duration::from_millis(20)),
                ));
            }
            None => rows.push(row(
                "/tg/ ingest, PostgreSQL",
                "skipped: TOMBOLA_TEST_POSTGRES_URL is not set".into(),
                String::new(),
                "≥ 15 % of echo",
                None,
            )),
        }
        match peer {
            Some(Ok(_)) => {
                let p = loads.next().unwrap();
                let r = sql.rps / p.rps;
                rows.push(row(
                    "Python peer (aiogram 3, SQLite)",
                    figure(&p),
                    format!("Tombola on SQLite: {r:.1}×"),
                    "Tombola ≥ 10×",
                    Some(r >= 10.0),
                ));
            }
            Some(Err(e)) => rows.push(row(
                "Python peer (aiogram 3, SQLite)",
                format!("not run: {e}"),
                String::new(),
                "Tombola ≥ 10×",
                None,
            )),
            None => {}
        }
        drop((sq, pgs));
    }

    if wanted("joins") {
        let jn = std::env::var("TOMBOLA_BENCH_JOINS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(scaled(10_000, 1_000));
        let j = join_flow(jn).await;
        let whole = j.stored == jn as u64 && j.distinct_users == jn as u64 && j.numbers_dense;
        if !whole {
            eprintln!(
                "FAIL: {jn} presses gave {} entries of {} users (numbers 1..{jn}: {})",
                j.stored, j.distinct_users, j.numbers_dense
            );
            ok = false;
        }
        rows.push(row(
            "join flow by webhook, SQLite, one bot",
            format!(
                "{:.0} joins/s ({jn} users; {} entries, numbers 1..{jn} {}; {} presses answered)",
                j.per_sec,
                j.stored,
                if j.numbers_dense {
                    "dense"
                } else {
                    "NOT dense"
                },
                j.answered
            ),
            String::new(),
            "≥ 2,000 joins/s, none lost or doubled",
            Some(j.per_sec >= 2000.0 && whole && j.answered >= jn as u64),
        ));
    }

    if wanted("notices") {
        let one = notices(1, scaled(1500, 300)).await;
        let rate = one.rates[0];
        rows.push(row(
            "winner notices, one bot",
            format!("{rate:.2} msg/s, {} × 429", one.too_many),
            format!("{:.1} % of the limit", rate / PER_BOT_LIMIT * 100.0),
            "≥ 98 %, no 429",
            Some(rate / PER_BOT_LIMIT >= 0.98 && one.too_many == 0),
        ));
        let many = notices(20, scaled(600, 120)).await;
        let min = many.rates.iter().copied().fold(f64::INFINITY, f64::min);
        let mean = many.rates.iter().sum::<f64>() / many.rates.len() as f64;
        rows.push(row(
            "winner notices, 20 bots at once",
            format!(
                "each {min:.2}–{:.2} msg/s (mean {mean:.2}), {} × 429",
                many.rates.iter().copied().fold(0.0, f64::max),
                many.too_many
            ),
            format!("slowest {:.1} % of the limit", min / PER_BOT_LIMIT * 100.0),
            "each ≥ 98 %, no 429",
            Some(min / PER_BOT_LIMIT >= 0.98 && many.too_many == 0),
        ));
    }

    if wanted("idle") {
        let idle_n = scaled(10_000, 1_000);
        let i = idle_bots(idle_n).await;
        rows.push(row(
        "connected idle webhook bots",
        format!(
            "{idle_n}: up in {:.2} s; RSS {:.0} MiB at start, {:.0} MiB after checking {} webhooks",
            i.start.as_secs_f64(),
            i.rss_started,
            i.rss_checked,
            i.webhook_checks
        ),
        String::new(),
        "10,000: start < 5 s, RSS < 150 MiB",
        Some(i.start < Duration::from_secs(5) && i.rss_checked.max(i.rss_started) < 150.0),
    ));
    }

    println!();
    let w = [
        rows.iter()
            .map(|r| r.what.chars().count())
            .max()
            .unwrap_or(0),
        rows.iter()
            .map(|r| r.figure.chars().count())
            .max()
            .unwrap_or(0),
        rows.iter()
            .map(|r| r.ratio.chars().count())
            .max()
            .unwrap_or(0),
        rows.iter()
            .map(|r| r.goal.chars().count())
            .max()
            .unwrap_or(0),
    ];
    let pad = |s: &str, n: usize| format!("{s}{}", " ".repeat(n.saturating_sub(s.chars().count())));
    println!(
        "| {} | {} | {} | {} | met |",
        pad("what", w[0]),
        pad("figure", w[1]),
        pad("ratio", w[2]),
        pad("goal", w[3])
    );
    println!(
        "|{}|{}|{}|{}|-----|",
        "-".repeat(w[0] + 2),
        "-".repeat(w[1] + 2),
        "-".repeat(w[2] + 2),
        "-".repeat(w[3] + 2)
    );
    for r in &rows {
        let met = match r.met {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "",
        };
        println!(
            "| {} | {} | {} | {} | {met:<3} |",
            pad(&r.what, w[0]),
            pad(&r.figure, w[1]),
            pad(&r.ratio, w[2]),
            pad(&r.goal, w[3])
        );
    }
    println!("\n{cores} cores; one run; the load generator shares them with the servers.");
    if let Some(url) = &pg {
        let admin = Database::connect(url).await.unwrap();
        for i in 0..INGEST_SERVERS.load(Ordering::Relaxed) {
            let _ = admin
                .execute_unprepared(&format!(
                    "DROP DATABASE IF EXISTS tombola_perf_ingest{i}_{} WITH (FORCE)",
                    std::process::id()
                ))
                .await;
        }
    }
    let _ = std::fs::remove_dir_all(
        std::env::temp_dir().join(format!("tombola-perf-{}", std::process::id())),
    );
    ok
}

fn main() -> std::process::ExitCode {
    if let Some(port) = std::env::var("TOMBOLA_BENCH_ECHO_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
    {
        serve_echo(port);
        return std::process::ExitCode::SUCCESS;
    }
    if run() {
        std::process::ExitCode::SUCCESS
    } else {
        eprintln!("perf: an update or an entry was lost or doubled");
        std::process::ExitCode::FAILURE
    }
}
