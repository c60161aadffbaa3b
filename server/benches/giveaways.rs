//! `cargo bench -p server --bench giveaways` (scripts/bench runs it):
//! 1. the fair draw over 1,000,000 entries with 1,000 winners and 100 reserves: the
//!    canonical list, its hash E, the sampler — and a second run giving the same winners;
//! 2. 10,000 winner notices (TOMBOLA_BENCH_NOTICES to change) through the durable outbox
//!    and the per-bot limiter to the Telegram simulator at its default per-bot limit
//!    (30 messages/s): elapsed time against the ideal N/30 s, and the 429s seen.
//!
//! Prints figures; asserts nothing but that the work was done.

use backend::crypto::TokenCipher;
use backend::entities::outbox::Kind;
use backend::entities::{bots, tenants};
use backend::telegram::outbox::{Message, NewMessage, Sender};
use domain::draw::{self, Entry, Hash32};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

fn draw_bench() {
    const N: u32 = 1_000_000;
    let t = Instant::now();
    let entries: Vec<Entry> = (1..=N)
        .map(|number| Entry {
            number,
            pseudonym: format!(
                "{:010x}",
                u64::from(number).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 24
            ),
        })
        .collect();
    let list = draw::canonical_list(&entries);
    let build = t.elapsed();
    let t = Instant::now();
    let e = draw::entries_hash(&list);
    let hash = t.elapsed();
    let seed = Hash32([42; 32]);
    let r = draw::draw_seed(&seed, &e);
    let t = Instant::now();
    let outcome = draw::draw(&r, N, 1000, 100, |_| true);
    let pick = t.elapsed();
    let again = draw::draw(&r, N, 1000, 100, |_| true);
    assert_eq!(outcome, again);
    assert_eq!(outcome.winners.len(), 1000);
    let t = Instant::now();
    let published = draw::Published {
        seed,
        commitment: draw::commitment(&seed),
        entries_hash: e,
        winners_wanted: 1000,
        reserves_wanted: 100,
        skipped: vec![],
        winners: outcome.winners,
        reserves: outcome.reserves,
    };
    let ok = draw::verify(&list, &published)
        .unwrap()
        .iter()
        .all(|c| c.ok);
    let verify = t.elapsed();
    println!("draw over {N} entries, 1,000 winners + 100 reserves:");
    println!(
        "  canonical list {:.0} ms ({:.1} MB), hash E {:.0} ms, picks {:.2} ms, full verify {:.0} ms ({})",
        build.as_secs_f64() * 1e3,
        list.len() as f64 / 1e6,
        hash.as_secs_f64() * 1e3,
        pick.as_secs_f64() * 1e3,
        verify.as_secs_f64() * 1e3,
        if ok { "✓" } else { "✗" }
    );
}

async fn notices_bench() {
    let n: usize = std::env::var("TOMBOLA_BENCH_NOTICES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let sim = telegram_sim::start(telegram_sim::SimConfig::default())
        .await
        .unwrap();
    const TOKEN: &str = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0";
    let s = sim.sim();
    let bot_tg = s.create_bot(Some(TOKEN.into()), "bench_bot", None).unwrap()["id"]
        .as_i64()
        .unwrap();
    let mut users = Vec::with_capacity(n);
    for i in 0..n {
        let u = s
            .create_user(None, format!("U{i}"), None, None, Some("en".into()))
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        s.user_sends(u, bot_tg, "/start", None).unwrap();
        users.push(u);
    }

    let dir = std::env::temp_dir().join(format!("tombola-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = backend::db::connect_and_migrate(&format!(
        "sqlite://{}/notices.db?mode=rwc",
        dir.display()
    ))
    .await
    .unwrap();
    let cipher = TokenCipher::single(&[9; 32]);
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
    .insert(&db)
    .await
    .unwrap();
    let public_id = backend::ids::new_public_id();
    let token = domain::BotToken::parse(TOKEN).unwrap();
    let bot = bots::ActiveModel {
        public_id: Set(public_id.clone()),
        tenant_id: Set(tenant.id),
        telegram_id: Set(bot_tg),
        username: Set("bench_bot".into()),
        token_sealed: Set(cipher.seal(public_id.as_str(), &token)),
        token_fingerprint: Set(cipher.fingerprint(&token)),
        webhook_id: Set(backend::ids::new_public_id().to_string()),
        enabled: Set(true),
        mode: Set(domain::BotMode::Polling),
        status: Set(domain::BotStatus::Live),
        status_reason: Set(None),
        poll_offset: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    let rows: Vec<NewMessage> = users
        .iter()
        .enumerate()
        .map(|(i, u)| NewMessage {
            tenant_id: tenant.id,
            bot_id: bot.id,
            giveaway_id: None,
            kind: Kind::WinnerDm,
            chat_id: *u,
            message: Message {
                text: format!("🎉 You won! Entry #{}", i + 1),
                links: vec![],
            },
            dedupe_key: format!("bench:{i}"),
        })
        .collect();
    let txn_start = Instant::now();
    backend::telegram::outbox::enqueue(&db, rows).await.unwrap();
    let enqueue = txn_start.elapsed();

    let api = backend::botapi::TelegramApi::new(&sim.api_url()).unwrap();
    let deps = backend::Deps::new(db.clone(), cipher, api, "http://127.0.0.1");
    let cluster = backend::ops::Cluster::new(deps.leases.clone());
    cluster.beat().await.unwrap(); // this process alone: it owns the bot
    let sender = Sender::new(deps);
    let counters = sender.clone();
    let started = Instant::now();
    sender.spawn(backend::stop::Stop::never());
    let pending = || async {
        db.query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) FROM outbox WHERE status = 'pending'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
    };
    while pending().await > 0 {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let ideal = n as f64 / 30.0;
    let c = counters.counters();
    println!("{n} notices through the outbox to the simulator (its limit: 30/s per bot):");
    println!(
        "  enqueued in {:.0} ms; sent {} / failed {} in {elapsed:.1} s — ideal {ideal:.1} s ({:.0}% of ideal), {:.1} msg/s; 429s seen: {}",
        enqueue.as_secs_f64() * 1e3,
        c.sent.load(Ordering::Relaxed),
        c.failed.load(Ordering::Relaxed),
        100.0 * ideal / elapsed,
        n as f64 / elapsed,
        c.too_many_requests.load(Ordering::Relaxed),
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    draw_bench();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(notices_bench());
}
