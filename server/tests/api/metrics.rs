//! `/readyz` and `/metrics`: readiness from the database, Prometheus text with the queue
//! depths and this process's counters, and no secret in it.

use crate::bots::{TOKEN_A, bot_messages, connect, new_user, sim, tenant};
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::{Duration, Instant};

async fn metrics(app: &TestApp) -> String {
    let r = reqwest::get(format!("{}/metrics", app.base)).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    r.text().await.unwrap()
}

fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.strip_prefix(' ')))
        .unwrap_or_else(|| panic!("{series} missing in:\n{text}"))
        .parse()
        .unwrap()
}

db_test!(ready_and_metrics_report_the_queues, |db| async move {
    let sim = sim().await;
    let app = spawn(db, &format!("telegram-api-url = \"{}\"\n", sim.api_url())).await;
    let ready = reqwest::get(format!("{}/readyz", app.base)).await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(ready.text().await.unwrap(), "ready");

    let before = metrics(&app).await;
    for name in [
        "tombola_inbox_pending",
        "tombola_outbox_messages",
        "tombola_sends_total",
        "tombola_telegram_429_total",
        "tombola_limiter_waits_total",
        "tombola_http_responses_total",
    ] {
        assert!(before.contains(&format!("# TYPE {name} ")), "{name}");
    }
    assert_eq!(value(&before, "tombola_inbox_pending"), 0.0);

    let a = tenant(&app, "a@example.com", "Shop A").await;
    connect(&app, &a, TOKEN_A).await.json::<Value>();
    let s = sim.sim();
    let user = new_user(&sim, "Ann", "en");
    s.user_sends(user, s.bot_id("@shop_a_bot").unwrap(), "/start", None)
        .unwrap();
    bot_messages(&sim, user, TOKEN_A, 1).await;
    // The reply goes out while its update is handled; the update counts as handled
    // when the worker's batch is marked done, a moment later.
    let deadline = Instant::now() + Duration::from_secs(10);
    let after = loop {
        let m = metrics(&app).await;
        if m.contains("tombola_bots{mode=\"polling\",status=\"live\"} 1")
            && value(&m, "tombola_inbox_pending") == 0.0
        {
            break m;
        }
        assert!(
            Instant::now() < deadline,
            "the bot is not live or the /start not handled:\n{m}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(value(&after, "tombola_pollers_running"), 1.0);
    assert!(value(&after, "tombola_http_responses_total{class=\"2xx\"}") >= 3.0);
    assert!(
        !after.contains(TOKEN_A.split(':').nth(1).unwrap()),
        "no token"
    );
    assert!(!after.contains("Shop A") && !after.contains("a@example.com"));
});
