//! Bot tokens never reach a log line: every log record of this test process — Tombola's
//! crates at DEBUG, everything else at INFO — is captured while bots are connected,
//! refused, polled and revoked, then searched for the tokens.

#[path = "api/helpers.rs"]
#[allow(dead_code, unused_macros, unused_imports)]
mod helpers;

use helpers::*;
use reqwest::StatusCode;
use serde_json::Value;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TOKEN: &str = "444444444:SECRETvCH1vGWJxfSeofSAs0K5PALDsaw0X";
const UNKNOWN: &str = "555555555:OTHERSECRETfSeofSAs0K5PALDsaw0abcde";

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_never_reach_the_logs() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_env_filter("info,server=debug,backend=debug,app=debug,tower_http=debug")
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let sim = telegram_sim::start(telegram_sim::SimConfig::default())
        .await
        .unwrap();
    sim.sim()
        .create_bot(Some(TOKEN.into()), "secretive_bot", None)
        .unwrap();
    let app = spawn(
        Db::Sqlite,
        &format!("telegram-api-url = \"{}\"\n", sim.api_url()),
    )
    .await;
    app.sign_up("logs@example.com", PASSWORD, "Logs").await;

    // Failure paths: a rejected token, Telegram unreachable (another server), a bad shape.
    let rejected = app.call("bots/connect", &[("token", UNKNOWN)]).await;
    assert_eq!(rejected.status, StatusCode::BAD_REQUEST);
    let down = spawn(Db::Sqlite, "telegram-api-url = \"http://127.0.0.1:9\"\n").await;
    down.sign_up("down@example.com", PASSWORD, "Down").await;
    assert_eq!(
        down.call("bots/connect", &[("token", TOKEN)]).await.status,
        StatusCode::BAD_GATEWAY
    );
    assert_eq!(
        app.call("bots/connect", &[("token", "1:short")])
            .await
            .status,
        StatusCode::BAD_REQUEST
    );

    // The happy path, polling, then a revocation the poller notices.
    let bot: Value = app.call("bots/connect", &[("token", TOKEN)]).await.json();
    assert_eq!(bot["username"], "secretive_bot");
    let user = sim
        .sim()
        .create_user(None, "U".into(), None, None, None)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let bot_id = sim.sim().bot_id("@secretive_bot").unwrap();
    sim.sim().user_sends(user, bot_id, "/start", None).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.count("inbox").await < 1 {
        assert!(Instant::now() < deadline, "update never polled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sim.sim().revoke(TOKEN).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let page: Value = app.call("bots/list", &[]).await.json();
        let bots = page["bots"].as_array().unwrap().clone();
        if bots[0]["status"] == "revoked" {
            break;
        }
        assert!(Instant::now() < deadline, "revocation not noticed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let logs = String::from_utf8_lossy(&capture.0.lock().unwrap()).into_owned();
    assert!(logs.contains("bot connected"), "the capture works: {logs}");
    assert!(
        logs.contains("token revoked"),
        "the failure paths logged: {logs}"
    );
    // Lines carry who they are about: the request's span names its tenant once the
    // session is known, the poller's span its bot.
    let span_fields = |line: &str, span: &str| {
        line.split_once(&format!("{span}{{"))
            .and_then(|(_, rest)| rest.split_once('}'))
            .map(|(fields, _)| fields.to_owned())
            .unwrap_or_default()
    };
    let connected = logs.lines().find(|l| l.contains("bot connected")).unwrap();
    let fields = span_fields(connected, "request");
    assert!(
        fields.contains("id=")
            && fields.contains("path=/api/bots/connect")
            && fields.contains("tenant="),
        "{connected}"
    );
    // Noticed by the poller or while answering: either way the span names the bot.
    let revoked = logs.lines().find(|l| l.contains("token revoked")).unwrap();
    let spans = revoked.split("backend::").next().unwrap_or_default();
    assert!(spans.contains("bot="), "{revoked}");
    for secret in [TOKEN, UNKNOWN, "SECRETvCH1v", "OTHERSECRET"] {
        assert!(!logs.contains(secret), "a token reached the logs:\n{logs}");
    }
}
