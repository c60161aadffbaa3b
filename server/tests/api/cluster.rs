//! Two server processes on one PostgreSQL database, sharing twenty bots: each bot is
//! polled, answered and sent for by one process at a time, every update is handled once,
//! every notice sent once, and no bot goes over Telegram's rate limit — as the
//! simulator counts it.

use crate::bots::{new_user, sim_get, tenant};
use crate::helpers::*;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::Value;
use std::time::{Duration, Instant};
use telegram_sim::SimConfig;

const BOTS: usize = 20;
const JOINS: usize = 2_000;
/// The big giveaway's winners (bot 0); every other bot's giveaway has one.
const BIG_WINNERS: usize = 500;

fn token(i: usize) -> String {
    format!("{}:AAHdqTcvCH1vGWJxfSeofSAs0K5PALD{i:04}", 500_000_000 + i)
}

/// Which bot user `u` joins through: the first 500 users join bot 0's giveaway (its 500
/// winners are every one of them), the rest spread over the other nineteen.
fn bot_of_user(u: usize) -> usize {
    if u < BIG_WINNERS {
        0
    } else {
        1 + (u - BIG_WINNERS) % (BOTS - 1)
    }
}

async fn scalar(db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// One sample of a process's /metrics.
async fn metric(base: &str, name: &str) -> f64 {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} not in /metrics"))
}

async fn wait_until<F, Fut>(what: &str, secs: u64, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        match check().await {
            Ok(()) => return,
            Err(state) => assert!(Instant::now() < deadline, "{what}: {state}"),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_share_twenty_bots_without_doing_anything_twice() {
    if postgres_or_skip("cluster::two_processes_share_twenty_bots_without_doing_anything_twice")
        .is_none()
    {
        return;
    }
    let sim = telegram_sim::start(SimConfig::default()).await.unwrap();
    let s = sim.sim();
    let bot_ids: Vec<i64> = (0..BOTS)
        .map(|i| {
            s.create_bot(Some(token(i)), &format!("cluster_{i}_bot"), None)
                .unwrap();
            s.bot_id(&format!("@cluster_{i}_bot")).unwrap()
        })
        .collect();

    let database_url = fresh_database(Db::Postgres).await;
    let api = sim.api_url();
    let env = [
        ("TOMBOLA_TELEGRAM_API_URL", api.as_str()),
        ("TOMBOLA_TEST_CLOCK", "true"),
    ];
    let (mut p1, base1) = spawn_binary(&database_url, &env).await;
    let (mut p2, base2) = spawn_binary(&database_url, &env).await;
    let app1 = TestApp::of_process(&database_url, base1.clone()).await;
    let app2 = TestApp::of_process(&database_url, base2.clone()).await;
    let db = app1.db.clone();

    // Two tenants on the Pro plan (10 bots each), each working through "its" process as
    // a load balancer would send it: ten bots connected through each.
    let a = tenant(&app1, "north@example.com", "North Shop").await;
    let b = tenant(&app2, "south@example.com", "South Shop").await;
    db.execute_unprepared("UPDATE tenants SET plan = 'pro', time_zone = 'UTC'")
        .await
        .unwrap();
    let mut public_ids = Vec::new();
    for i in 0..BOTS {
        let (app, c) = if i < BOTS / 2 {
            (&app1, &a)
        } else {
            (&app2, &b)
        };
        let r = app
            .call_with(c, "bots/connect", &[("token", &token(i))], &[])
            .await;
        assert_eq!(r.status, reqwest::StatusCode::OK, "bot {i}: {}", r.body);
        let bot: Value = r.json();
        assert_eq!(bot["mode"], "polling");
        public_ids.push(bot["id"].as_str().unwrap().to_owned());
    }

    // The bots end up split evenly, and each process polls exactly its own.
    wait_until("bots split between the processes", 30, || async {
        let owned1 = metric(&base1, "tombola_bots_owned").await;
        let owned2 = metric(&base2, "tombola_bots_owned").await;
        let polled1 = metric(&base1, "tombola_pollers_running").await;
        let polled2 = metric(&base2, "tombola_pollers_running").await;
        if (owned1, owned2, polled1, polled2) == (10.0, 10.0, 10.0, 10.0) {
            Ok(())
        } else {
            Err(format!(
                "owned {owned1}/{owned2}, polled {polled1}/{polled2}"
            ))
        }
    })
    .await;

    // One giveaway per bot, running now: bot 0's has 500 prizes, the others one each.
    let now = chrono::Utc::now();
    let starts = (now - chrono::Duration::minutes(1))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let ends = (now + chrono::Duration::days(1))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let mut giveaways = Vec::new();
    for (i, bot) in public_ids.iter().enumerate() {
        let (app, c) = if i < BOTS / 2 {
            (&app1, &a)
        } else {
            (&app2, &b)
        };
        let prizes = if i == 0 {
            format!("Voucher × {BIG_WINNERS}")
        } else {
            "Voucher × 1".to_owned()
        };
        let form = [
            ("id", ""),
            ("title", "Cluster draw"),
            ("description", ""),
            ("prizes", prizes.as_str()),
            ("reserves", "0"),
            ("starts_at", starts.as_str()),
            ("ends_at", ends.as_str()),
            ("bot", bot.as_str()),
            ("conditions", ""),
            ("max_entries", ""),
        ];
        let draft: Value = app.call_with(c, "giveaways/save", &form, &[]).await.json();
        let id = draft["id"].as_str().unwrap().to_owned();
        let published: Value = app
            .call_with(c, "giveaways/publish", &[("id", &id)], &[])
            .await
            .json();
        assert_eq!(published["status"], "open", "{published}");
        giveaways.push(id);
    }

    // 2,000 users join by deep link, as fast as the simulator takes them.
    for u in 0..JOINS {
        let user = new_user(&sim, &format!("U{u}"), "en");
        let bot = bot_of_user(u);
        s.user_sends(
            user,
            bot_ids[bot],
            &format!("/start g_{}", giveaways[bot]),
            None,
        )
        .unwrap();
    }
    wait_until("every join answered", 180, || async {
        let entries = scalar(&db, "SELECT COUNT(*) FROM entries").await;
        let handled = scalar(
            &db,
            "SELECT COUNT(*) FROM inbox WHERE processed_at IS NOT NULL",
        )
        .await;
        if entries == JOINS as i64 && handled == JOINS as i64 {
            Ok(())
        } else {
            Err(format!("{entries} entries, {handled} updates handled"))
        }
    })
    .await;

    // The end of the giveaways, on both processes' clocks: their schedulers race for
    // the draws.
    for base in [&base1, &base2] {
        let r = new_client()
            .post(format!("{base}/test/clock"))
            .json(&serde_json::json!({ "advance_secs": 2 * 86_400 }))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }
    let notices = (BIG_WINNERS + BOTS - 1) as i64;
    wait_until("every notice sent", 180, || async {
        let sent = scalar(&db, "SELECT COUNT(*) FROM outbox WHERE status = 'sent'").await;
        let all = scalar(&db, "SELECT COUNT(*) FROM outbox").await;
        if sent == notices && all == notices {
            Ok(())
        } else {
            Err(format!("{sent} of {all} sent, {notices} expected"))
        }
    })
    .await;
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM giveaways WHERE status = 'drawn'").await,
        BOTS as i64
    );
    // Both processes did part of the work.
    let sent1 = metric(&base1, "tombola_sends_total{outcome=\"sent\"}").await;
    let sent2 = metric(&base2, "tombola_sends_total{outcome=\"sent\"}").await;
    assert_eq!(sent1 + sent2, notices as f64);
    assert!(sent1 > 0.0 && sent2 > 0.0, "sends {sent1}/{sent2}");

    // What Telegram saw, bot by bot: one answer per join and one message per notice —
    // nothing twice — no 429, and never two getUpdates at once.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for (i, t) in (0..BOTS).map(|i| (i, token(i))) {
        let joins = (0..JOINS).filter(|u| bot_of_user(*u) == i).count();
        let winners = if i == 0 { BIG_WINNERS } else { 1 };
        let calls = sim_get(&sim, &format!("/sim/bots/{t}/calls")).await;
        assert_eq!(
            calls["SendMessage"]["ok"].as_u64(),
            Some((joins + winners) as u64),
            "bot {i}: {calls}"
        );
        let too_many: u64 = calls
            .as_object()
            .unwrap()
            .values()
            .map(|c| c["too_many_requests"].as_u64().unwrap_or(0))
            .sum();
        assert_eq!(too_many, 0, "bot {i} went over its rate limit: {calls}");
        let state = sim_get(&sim, &format!("/sim/bots/{t}/state")).await;
        assert_eq!(
            state["max_polls_in_flight"], 1,
            "bot {i} polled twice: {state}"
        );
        assert_eq!(
            state["polls_terminated"], 0,
            "bot {i} polled twice: {state}"
        );
    }
    p1.kill().unwrap();
    p2.kill().unwrap();
    p1.wait().unwrap();
    p2.wait().unwrap();
}
