//! Hostile clients and odd Bot API servers: half-sent requests, bursts of logins, a
//! `getUpdates` that answers at once, answers of the wrong shape, redirects.

use crate::bots::{TOKEN_A, bot_messages, connect, new_user, sim, sim_get, tenant};
use crate::helpers::*;
use app::error::AppError;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What the test server is given: 2 s for headers and for a body.
const TIMEOUT_SECS: u64 = 2;

/// A server on SQLite talking to `sim` (with `extra` config), and a signed-up tenant.
async fn on_sim(sim: &telegram_sim::RunningSim, extra: &str) -> (TestApp, reqwest::Client) {
    let toml = format!("telegram-api-url = \"{}\"\n{extra}", sim.api_url());
    let app = spawn(Db::Sqlite, &toml).await;
    let tenant = tenant(&app, "hostile@example.com", "Hostile").await;
    (app, tenant)
}

/// Makes the simulator answer the next call of `method` with `{"ok": true, "result": result}`.
fn answer_next(sim: &telegram_sim::RunningSim, method: &str, result: Value) {
    sim.sim().add_fault(
        serde_json::from_value(json!({
            "method": method,
            "kind": {"type": "answer", "result": result}
        }))
        .unwrap(),
    );
}

/// Opens a connection and sends `head` (and no more); the stream stays open.
async fn half_sent(base: &str, head: &str) -> TcpStream {
    let addr = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    s
}

/// Reads until the server closes the connection (or `within` passes): what it sent, and
/// whether it closed in time.
async fn read_to_close(mut s: TcpStream, within: Duration) -> (bool, String) {
    let mut got = Vec::new();
    let closed = tokio::time::timeout(within, s.read_to_end(&mut got))
        .await
        .is_ok();
    (closed, String::from_utf8_lossy(&got).into_owned())
}

/// Waits until the server has closed every one of `conns`; what each was sent.
async fn all_closed(conns: Vec<TcpStream>, within: Duration, what: &str) -> Vec<String> {
    let waits: Vec<_> = conns
        .into_iter()
        .map(|s| tokio::spawn(read_to_close(s, within)))
        .collect();
    let mut answers = Vec::new();
    for w in waits {
        let (closed, answer) = w.await.unwrap();
        assert!(closed, "a connection with {what} stayed open");
        answers.push(answer);
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_are_cut_off_while_others_are_answered() {
    let app = spawn(
        Db::Sqlite,
        &format!("header-timeout-secs = {TIMEOUT_SECS}\nbody-timeout-secs = {TIMEOUT_SECS}\n"),
    )
    .await;
    let started = Instant::now();
    let mut heads = Vec::new();
    let mut bodies = Vec::new();
    for i in 0..100 {
        // Unfinished headers, on a page, the login and the webhook.
        let path = ["/", "/login", "/tg/abc"][i % 3];
        heads.push(
            half_sent(
                &app.base,
                &format!("GET {path} HTTP/1.1\r\nHost: x\r\nX-Slow: "),
            )
            .await,
        );
        // Whole headers, half a body.
        let path = ["/api/auth/login", "/tg/abc"][i % 2];
        bodies.push(
            half_sent(
                &app.base,
                &format!(
                    "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nemail=a%40b.c&pass"
                ),
            )
            .await,
        );
    }
    // Meanwhile a normal request is answered at once.
    let t = Instant::now();
    let res = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    let took = t.elapsed();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(took < Duration::from_millis(100), "healthz took {took:?}");

    // Every half-sent request is cut off within the timeout (plus scheduling slack).
    let limit = Duration::from_secs(TIMEOUT_SECS) + Duration::from_millis(1500);
    let within = limit + Duration::from_secs(5);
    all_closed(heads, within, "unfinished headers").await;
    for answer in all_closed(bodies, within, "half a body").await {
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    }
    let all = started.elapsed();
    assert!(
        all < limit + Duration::from_secs(1),
        "cut off after {all:?}"
    );
    // Nothing was stored from the half bodies; the server still answers.
    assert_eq!(app.count("inbox").await, 0);
    assert_eq!(app.get_page("/healthz").await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let app = spawn(Db::Sqlite, "header-timeout-secs = 1\n").await;
    let mut s = half_sent(&app.base, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let mut first = [0u8; 12];
    s.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    // Kept alive for the next request, but not for ever.
    let (closed, _) = read_to_close(s, Duration::from_secs(4)).await;
    assert!(closed, "an idle keep-alive connection stayed open");
}

/// Peak resident memory of a process, in MiB (`VmHWM`).
fn peak_rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap();
    kb / 1024
}

/// The ceiling stated in docs/deploy.md for 4 hashing jobs: the server's own memory plus
/// four argon2 hashes of 19 MiB at once.
pub const LOGIN_BURST_RSS_CEILING_MIB: u64 = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_logins_is_bounded_in_memory_and_all_answered() {
    let url = fresh_database(Db::Sqlite).await;
    let (proc, base) = spawn_binary(&url, &[("TOMBOLA_PASSWORD_HASH_JOBS", "4")]).await;
    let app = TestApp::of_process(&url, base).await;
    assert_eq!(
        app.sign_up("burst@example.com", PASSWORD, "Burst")
            .await
            .status,
        StatusCode::OK
    );
    let before = peak_rss_mib(proc.pid());
    let mut tries = tokio::task::JoinSet::new();
    for _ in 0..64 {
        let (base, client) = (app.base.clone(), new_client());
        tries.spawn(async move {
            client
                .post(format!("{base}/api/auth/login"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(encode_form(&[
                    ("email", "burst@example.com"),
                    ("password", PASSWORD),
                ]))
                .send()
                .await
                .map(|r| r.status())
        });
    }
    let answers = tries.join_all().await;
    let ok = answers
        .iter()
        .filter(|a| matches!(a, Ok(StatusCode::OK)))
        .count();
    let busy = answers
        .iter()
        .filter(|a| matches!(a, Ok(StatusCode::SERVICE_UNAVAILABLE)))
        .count();
    assert_eq!(ok + busy, 64, "every login answers: {answers:?}");
    // 32 places in the queue (and 4 threads taking from it): at least those get in.
    assert!(ok >= 32, "{ok} logged in, {busy} told to try again");
    let peak = peak_rss_mib(proc.pid());
    let (_, _, metrics) = app.get_page("/metrics").await;

    println!(
        "64 concurrent logins: {ok} logged in, {busy} told to try again; peak RSS {before} MiB before, {peak} MiB after (ceiling {LOGIN_BURST_RSS_CEILING_MIB} MiB)"
    );
    assert!(
        peak <= LOGIN_BURST_RSS_CEILING_MIB,
        "peak RSS {peak} MiB over {LOGIN_BURST_RSS_CEILING_MIB} MiB"
    );
    assert!(
        metrics.contains("tombola_password_hashes_peak 4"),
        "{metrics}"
    );
    assert!(metrics.contains(&format!("tombola_password_hashes_refused_total {busy}")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_updates_that_answers_at_once_is_asked_at_most_once_a_second() {
    let sim = sim().await;
    sim.sim().set_config(telegram_sim::SimConfig {
        get_updates_at_once: true,
        ..sim.sim().config()
    });
    let (app, a) = on_sim(&sim, "").await;
    assert_eq!(connect(&app, &a, TOKEN_A).await.status, StatusCode::OK);
    let bot = sim.sim().bot_id("@shop_a_bot").unwrap();
    let polls = |v: &Value| v["getUpdates"]["calls"].as_u64().unwrap_or(0);
    let first = polls(&sim_get(&sim, &format!("/sim/bots/{bot}/calls")).await);
    let window = Duration::from_secs(6);
    tokio::time::sleep(window).await;
    let n = polls(&sim_get(&sim, &format!("/sim/bots/{bot}/calls")).await) - first;
    // MIN_POLL_INTERVAL is 1 s: at most 60 a minute, 6 (+1 in flight) in 6 s.
    assert!((3..=7).contains(&n), "{n} polls in {window:?}");
    // And it still takes updates: a /start is answered.
    let user = new_user(&sim, "Ann", "en");
    sim.sim().user_sends(user, bot, "/start", None).unwrap();
    bot_messages(&sim, user, TOKEN_A, 1).await;
    // The polls reach the counts the Usage page and /metrics read (flushed every 5 s),
    // never more than the simulator answered.
    let (deadline, now) = (Instant::now() + Duration::from_secs(10), chrono::Utc::now());
    loop {
        let mut counted = 0;
        for at in [now - chrono::TimeDelta::minutes(1), now] {
            let per_bot = backend::ops::usage::polls_in_minute(&app.db, None, at)
                .await
                .unwrap();
            assert!(per_bot.len() <= 1, "{per_bot:?}");
            counted += per_bot.first().map_or(0, |(_, n)| *n);
        }
        let answered = polls(&sim_get(&sim, &format!("/sim/bots/{bot}/calls")).await);
        assert!(
            counted <= answered,
            "{counted} counted, {answered} answered"
        );
        if counted >= first + n {
            break;
        }
        assert!(Instant::now() < deadline, "{counted} polls counted");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_me_we_cannot_read_is_not_called_unreachable() {
    let sim = sim().await;
    let (app, a) = on_sim(&sim, "").await;
    // A getMe answer without `is_bot`, as an odd Bot API server might give.
    answer_next(
        &sim,
        "getMe",
        json!({"id": 111111111, "first_name": "Shop"}),
    );
    let answer = connect(&app, &a, TOKEN_A).await;
    assert_eq!(answer.status, StatusCode::BAD_GATEWAY);
    assert_eq!(
        answer.error(),
        AppError::TelegramUnreadable {
            method: "getMe".into()
        }
    );
    assert!(!answer.body.contains("AAHdqTcv"), "no token in the answer");
    assert_eq!(app.count("bots").await, 0);
    // Unreachable is still unreachable.
    let down = spawn(Db::Sqlite, "telegram-api-url = \"http://127.0.0.1:9\"\n").await;
    let d = tenant(&down, "down@example.com", "Down").await;
    assert_eq!(
        connect(&down, &d, TOKEN_A).await.error(),
        AppError::TelegramUnavailable
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_callback_answer_does_not_fail_the_update() {
    let sim = sim().await;
    let (app, a) = on_sim(&sim, "").await;
    assert_eq!(connect(&app, &a, TOKEN_A).await.status, StatusCode::OK);
    let s = sim.sim();
    let bot = s.bot_id("@shop_a_bot").unwrap();
    let user = new_user(&sim, "Ann", "en");
    s.user_sends(user, bot, "/start", None).unwrap();
    let menu = bot_messages(&sim, user, TOKEN_A, 1).await[0]["message"].clone();
    answer_next(&sim, "answerCallbackQuery", Value::Null);
    s.user_presses(
        user,
        bot,
        user,
        menu["message_id"].as_i64().unwrap(),
        "m:help",
    )
    .unwrap();
    // Help is sent once; the press was answered once; no update is retried.
    let messages = bot_messages(&sim, user, TOKEN_A, 2).await;
    assert_ne!(
        messages[1]["message"]["text"], menu["text"],
        "help, not the menu"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        bot_messages(&sim, user, TOKEN_A, 2).await.len(),
        2,
        "help sent once"
    );
    let calls = sim_get(&sim, &format!("/sim/bots/{bot}/calls")).await;
    assert_eq!(calls["AnswerCallbackQuery"]["calls"], 1, "{calls}");
    assert_eq!(app.count_where("inbox", "attempts > 0").await, 0);
    assert_eq!(app.count_where("inbox", "processed_at IS NULL").await, 0);
}

db_test!(
    a_protected_page_without_a_session_redirects_whatever_accept_says,
    |db| async move {
        let app = spawn(db, "").await;
        for accept in ["*/*", "text/html", "application/json", ""] {
            let mut req = app.client.get(format!("{}/giveaways/abc", app.base));
            if !accept.is_empty() {
                req = req.header("accept", accept);
            }
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), StatusCode::FOUND, "Accept: {accept:?}");
            assert_eq!(res.headers()["location"], "/login");
            assert!(
                res.text().await.unwrap().is_empty(),
                "no page behind a redirect"
            );
        }
        // The login page itself is a page, not a redirect.
        let res = app
            .client
            .get(format!("{}/login", app.base))
            .header("accept", "*/*")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
);

/// Log lines of this test binary, from the moment [`capture_logs`] is first called.
#[derive(Clone, Default)]
struct Capture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures the inbox workers' debug lines (the only subscriber of this binary).
fn capture_logs() -> Capture {
    static CAPTURE: std::sync::OnceLock<Capture> = std::sync::OnceLock::new();
    CAPTURE
        .get_or_init(|| {
            let capture = Capture::default();
            let writer = capture.clone();
            tracing_subscriber::fmt()
                .with_env_filter("backend::telegram::worker=debug")
                .with_writer(move || writer.clone())
                .with_ansi(false)
                .init();
            capture
        })
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_update_is_logged_with_its_kind() {
    let logs = capture_logs();
    let sim = sim().await;
    let (app, a) = on_sim(&sim, "public-url = \"https://127.0.0.1:9\"\n").await;
    assert_eq!(connect(&app, &a, TOKEN_A).await.status, StatusCode::OK);
    use sea_orm::EntityTrait;
    let webhook_id: String = backend::entities::bots::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .webhook_id;
    let secret = backend::crypto::TokenCipher::single(&TEST_MASTER_KEY).webhook_secret(&webhook_id);
    // A button press without its message (and without the chat_instance every press
    // has): teloxide cannot read it, no handler takes it.
    let press = json!({
        "update_id": 900001,
        "callback_query": {"id": "q1", "from": {"id": 5005, "is_bot": false, "first_name": "Eve"}, "data": "m:help"}
    });
    let res = app
        .client
        .post(format!("{}/tg/{webhook_id}", app.base))
        .header("content-type", "application/json")
        .header("X-Telegram-Bot-Api-Secret-Token", &secret)
        .body(press.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.count_where("inbox", "processed_at IS NOT NULL").await < 1 {
        assert!(Instant::now() < deadline, "the update was not handled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.count_where("inbox", "attempts > 0").await, 0);
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("update dropped") && l.contains("update=900001"))
        .unwrap_or_else(|| panic!("no log line for the dropped update:\n{text}"));
    assert!(
        line.contains("DEBUG") && line.contains("callback_query"),
        "{line}"
    );
    assert_eq!(
        text.lines()
            .filter(|l| l.contains("update=900001") && l.contains("update dropped"))
            .count(),
        1,
        "logged once"
    );
}
