//! Giveaways end to end over real HTTP: the dashboard's server functions, simulated users
//! joining through the tenant's bot, the scheduler moved by the test clock, the fair draw,
//! the winners' notices through the outbox, and the public record verified.

use crate::bots::{TOKEN_A, TOKEN_B, bot_messages, connect, sim, sim_get, tenant};
use crate::helpers::*;
use app::error::AppError;
use domain::ValidationError;
use domain::draw::CheckKind;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::{Duration, Instant};
use telegram_sim::{ChatKind, RunningSim};

fn local(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M").to_string()
}

/// The dashboard's giveaway form, filled in; times in UTC (the tenant's zone in tests).
fn form<'a>(
    bot: &'a str,
    starts: &'a str,
    ends: &'a str,
    conditions: &'a str,
) -> Vec<(&'static str, &'a str)> {
    vec![
        ("id", ""),
        ("title", "Big Autumn Draw"),
        ("description", "Two gift cards and a sticker pack."),
        ("prizes", "Gift card × 2\nSticker pack × 1"),
        ("reserves", "1"),
        ("starts_at", starts),
        ("ends_at", ends),
        ("bot", bot),
        ("conditions", conditions),
        ("max_entries", ""),
    ]
}

async fn utc_tenant(app: &TestApp, email: &str, company: &str) -> reqwest::Client {
    let c = tenant(app, email, company).await;
    let r = app
        .call_with(
            &c,
            "settings/save",
            &[
                ("company", company),
                ("time_zone", "UTC"),
                ("bot_locale", "en"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    c
}

fn new_user(sim: &RunningSim, name: &str, lang: &str) -> i64 {
    sim.sim()
        .create_user(None, name.into(), None, None, Some(lang.into()))
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

/// The text of the newest bot message in a chat, once there are `n`.
async fn nth_text(sim: &RunningSim, chat: i64, token: &str, n: usize) -> (String, Value) {
    let m = bot_messages(sim, chat, token, n).await;
    let msg = m[n - 1]["message"].clone();
    (msg["text"].as_str().unwrap_or_default().to_owned(), msg)
}

async fn advance(app: &TestApp, secs: i64) {
    let r = app
        .client
        .post(format!("{}/test/clock", app.base))
        .json(&serde_json::json!({ "advance_secs": secs }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

async fn wait_status(app: &TestApp, c: &reqwest::Client, id: &str, status: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let g: Value = app
            .call_with(c, "giveaways/get", &[("id", id)], &[])
            .await
            .json();
        if g["status"] == status {
            return g;
        }
        assert!(Instant::now() < deadline, "never {status}: {g}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

db_test!(
    a_giveaway_from_the_form_to_verified_winners,
    |db| async move {
        let sim = sim().await;
        let s = sim.sim();
        let bot_a = s.bot_id("@shop_a_bot").unwrap();
        let bot_b = s.bot_id("@club_b_bot").unwrap();
        let channel = s
            .create_chat(
                ChatKind::Channel,
                "Shop news".into(),
                Some("shop_news".into()),
            )
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        s.set_member(channel, bot_a, "administrator").unwrap();
        let app = spawn(
            db,
            &format!(
                "telegram-api-url = \"{}\"\ntest-clock = true\n",
                sim.api_url()
            ),
        )
        .await;
        let a = utc_tenant(&app, "a@example.com", "Shop A").await;
        let b = utc_tenant(&app, "b@example.com", "Club B").await;
        let a_bot: Value = connect(&app, &a, TOKEN_A).await.json();
        let b_bot: Value = connect(&app, &b, TOKEN_B).await.json();
        let a_bot = a_bot["id"].as_str().unwrap().to_owned();
        let b_bot = b_bot["id"].as_str().unwrap().to_owned();

        let now = chrono::Utc::now();
        let (starts, ends) = (
            local(now - chrono::Duration::minutes(5)),
            local(now + chrono::Duration::days(1)),
        );

        // Bad input: each refused with its field, nothing written.
        let save = |c: &reqwest::Client, f: Vec<(&'static str, &str)>| {
            let c = c.clone();
            let f: Vec<(String, String)> = f
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            let app = &app;
            async move {
                let f: Vec<(&str, &str)> =
                    f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                app.call_with(&c, "giveaways/save", &f, &[]).await
            }
        };
        let mut bad = form(&a_bot, &starts, &ends, "@shop_news");
        bad[3].1 = "Car × 0";
        assert_eq!(
            save(&a, bad).await.error(),
            AppError::Validation {
                field: "prizes".into(),
                code: ValidationError::InvalidNumber
            }
        );
        let backwards = form(&a_bot, &ends, &starts, "");
        assert_eq!(
            save(&a, backwards).await.error(),
            AppError::Validation {
                field: "ends_at".into(),
                code: ValidationError::EndBeforeStart
            }
        );
        let mut hostile = form(&a_bot, &starts, &ends, "");
        hostile[1].1 = "evil\u{202E}gnp";
        assert_eq!(save(&a, hostile).await.status, StatusCode::BAD_REQUEST);
        // Another tenant's bot is no choice.
        assert_eq!(
            save(&a, form(&b_bot, &starts, &ends, "")).await.error(),
            AppError::Validation {
                field: "bot".into(),
                code: ValidationError::Required
            }
        );
        assert_eq!(app.count("giveaways").await, 0);

        let draft: Value = save(&a, form(&a_bot, &starts, &ends, "@shop_news"))
            .await
            .json();
        assert_eq!(draft["status"], "draft");
        let id = draft["id"].as_str().unwrap().to_owned();
        let commitment = draft["commitment"].as_str().unwrap().to_owned();
        assert_eq!(commitment.len(), 64);
        assert!(
            draft["seed"].is_null(),
            "the seed stays secret until the draw"
        );

        // Another tenant cannot see, publish or cancel it.
        for ep in ["giveaways/get", "giveaways/publish", "giveaways/cancel"] {
            assert_eq!(
                app.call_with(&b, ep, &[("id", &id)], &[]).await.error(),
                AppError::NotFound,
                "{ep}"
            );
        }

        let open: Value = app
            .call_with(&a, "giveaways/publish", &[("id", &id)], &[])
            .await
            .json();
        assert_eq!(open["status"], "open", "its start has passed");
        assert_eq!(open["commitment"], commitment.as_str());
        // Open: the words may change, the prizes may not.
        let mut prizes_changed = form(&a_bot, &starts, &ends, "@shop_news");
        prizes_changed[0].1 = &id;
        prizes_changed[3].1 = "Car × 1";
        assert_eq!(
            save(&a, prizes_changed).await.error(),
            AppError::Conflict {
                what: "giveaway_rules_locked".into()
            }
        );
        // The announcement in the channel, with a Join link to the bot.
        let announced = app
            .call_with(
                &a,
                "giveaways/announce",
                &[("id", &id), ("chat", "@shop_news")],
                &[],
            )
            .await;
        assert_eq!(announced.status, StatusCode::OK, "{}", announced.body);
        let posts: Vec<Value> =
            serde_json::from_value(sim_get(&sim, &format!("/sim/chats/{channel}/events")).await)
                .unwrap();
        let post = posts
            .iter()
            .find(|e| e["kind"] == "message")
            .expect("announcement");
        assert!(
            post["message"]["text"]
                .as_str()
                .unwrap()
                .contains("Big Autumn Draw")
        );
        assert_eq!(
            post["message"]["reply_markup"]["inline_keyboard"][0][0]["url"],
            format!("https://t.me/shop_a_bot?start=g_{id}")
        );

        // Six users join with the button, two by the t.me link, two are not in the channel.
        let mut joined = Vec::new();
        for i in 0..6 {
            let u = new_user(&sim, &format!("Button{i}"), "en");
            s.set_member(channel, u, "member").unwrap();
            s.user_sends(u, bot_a, "/start", None).unwrap();
            let (_, menu) = nth_text(&sim, u, TOKEN_A, 1).await;
            s.user_presses(u, bot_a, u, menu["message_id"].as_i64().unwrap(), "m:join")
                .unwrap();
            let (card, card_msg) = nth_text(&sim, u, TOKEN_A, 2).await;
            assert!(
                card.contains("Big Autumn Draw") && card.contains(&commitment[..16]),
                "{card}"
            );
            let join = card_msg["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
                .as_str()
                .unwrap()
                .to_owned();
            assert_eq!(join, format!("j:{id}"));
            s.user_presses(u, bot_a, u, card_msg["message_id"].as_i64().unwrap(), &join)
                .unwrap();
            let (text, _) = nth_text(&sim, u, TOKEN_A, 3).await;
            assert!(
                text.starts_with(&format!("✅ You're in! Your entry number is #{}", i + 1)),
                "{text}"
            );
            joined.push(u);
        }
        for i in 0..2 {
            let u = new_user(&sim, &format!("Link{i}"), "zh-hans");
            s.set_member(channel, u, "member").unwrap();
            s.user_sends(u, bot_a, &format!("/start g_{id}"), None)
                .unwrap();
            let (text, _) = nth_text(&sim, u, TOKEN_A, 1).await;
            assert!(
                text.starts_with(&format!("✅ 参与成功！你的编号是 #{}", 7 + i)),
                "{text}"
            );
            joined.push(u);
        }
        for i in 0..2 {
            let u = new_user(&sim, &format!("Outsider{i}"), "en");
            s.user_sends(u, bot_a, &format!("/start g_{id}"), None)
                .unwrap();
            let (text, _) = nth_text(&sim, u, TOKEN_A, 1).await;
            assert_eq!(
                text,
                "One more step: join @shop_news first, then tap Join again."
            );
        }
        // A second join is "already joined"; the count does not move.
        s.user_sends(joined[0], bot_a, &format!("/start g_{id}"), None)
            .unwrap();
        let (again, _) = nth_text(&sim, joined[0], TOKEN_A, 4).await;
        assert_eq!(again, "You have already joined: entry #1.");
        assert_eq!(app.count("entries").await, 8);
        // Another tenant's bot does not know this giveaway.
        let stranger = new_user(&sim, "Stranger", "en");
        s.user_sends(stranger, bot_b, &format!("/start g_{id}"), None)
            .unwrap();
        assert_eq!(
            nth_text(&sim, stranger, TOKEN_B, 1).await.0,
            "Giveaway not found."
        );

        // One winner leaves the channel before the draw: picks are re-checked.
        s.set_member(channel, joined[7], "left").unwrap();

        advance(&app, 2 * 86_400).await;
        let drawn = wait_status(&app, &a, &id, "drawn").await;
        let winners: Vec<u64> = drawn["winners"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w[0].as_u64().unwrap())
            .collect();
        assert_eq!(winners.len(), 3);
        assert_eq!(drawn["reserve_winners"].as_array().unwrap().len(), 1);
        assert!(!winners.contains(&8), "entry #8 left the channel");
        let seed = drawn["seed"].as_str().unwrap().to_owned();

        // The record anyone can check: ✓, and ✗ once one entry is changed.
        let record: Value = app.call("verify/record", &[("id", &id)]).await.json();
        let list = record["entry_list"].as_str().unwrap().to_owned();
        assert_eq!(list.lines().count(), 8);
        let published: domain::draw::Published =
            serde_json::from_value(record["published"].clone()).unwrap();
        assert_eq!(published.seed.to_hex(), seed);
        let checks = domain::draw::verify(&list, &published).unwrap();
        assert!(checks.iter().all(|c| c.ok), "{checks:?}");
        let first_line = list.lines().next().unwrap();
        let tampered = list.replacen(first_line, "1 0000000000", 1);
        let checks = domain::draw::verify(&tampered, &published).unwrap();
        assert!(
            checks
                .iter()
                .any(|c| c.what == CheckKind::EntriesHash && !c.ok)
        );

        // Winners hear it in their language; the result is posted in the channel.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let g: Value = app
                .call_with(&a, "giveaways/get", &[("id", &id)], &[])
                .await
                .json();
            if g["notices"]["sent"] == 4 {
                break;
            }
            assert!(Instant::now() < deadline, "notices: {}", g["notices"]);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for w in &winners {
            let user = joined[(*w - 1) as usize];
            let msgs = bot_messages(&sim, user, TOKEN_A, 1).await;
            let dm = msgs.last().unwrap()["message"]["text"]
                .as_str()
                .unwrap()
                .to_owned();
            if *w <= 6 {
                assert!(dm.starts_with("🎉 Congratulations"), "{dm}");
            } else {
                assert!(dm.starts_with("🎉 恭喜"), "{dm}");
            }
            assert!(dm.contains(&format!("#{w}")), "{dm}");
        }
        let posts: Vec<Value> =
            serde_json::from_value(sim_get(&sim, &format!("/sim/chats/{channel}/events")).await)
                .unwrap();
        let result = posts
            .iter()
            .filter(|e| e["kind"] == "message")
            .last()
            .unwrap()["message"]["text"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            result.contains("Results of “Big Autumn Draw” (8 entries)"),
            "{result}"
        );

        // "My giveaways" tells a winner what they won.
        let w0 = joined[(winners[0] - 1) as usize];
        let before = bot_messages(&sim, w0, TOKEN_A, 1).await.len();
        s.user_sends(w0, bot_a, "/start", None).unwrap();
        let (_, menu) = nth_text(&sim, w0, TOKEN_A, before + 1).await;
        s.user_presses(
            w0,
            bot_a,
            w0,
            menu["message_id"].as_i64().unwrap(),
            "m:mine",
        )
        .unwrap();
        let (mine, _) = nth_text(&sim, w0, TOKEN_A, before + 2).await;
        assert!(
            mine.contains("Big Autumn Draw") && mine.contains("won:"),
            "{mine}"
        );

        // Time moves on; the draw never runs again.
        advance(&app, 86_400).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let again: Value = app
            .call_with(&a, "giveaways/get", &[("id", &id)], &[])
            .await
            .json();
        assert_eq!(again["winners"], drawn["winners"]);
        assert_eq!(app.count("outbox").await, 4);
    }
);

db_test!(concurrent_joins_get_one_entry_each, |db| async move {
    use backend::giveaways::{Entrant, Joined, join};
    let sim = sim().await;
    let app = spawn(
        db,
        &format!(
            "telegram-api-url = \"{}\"\ntest-clock = true\n",
            sim.api_url()
        ),
    )
    .await;
    let a = utc_tenant(&app, "a@example.com", "Shop A").await;
    let bot: Value = connect(&app, &a, TOKEN_A).await.json();
    let now = chrono::Utc::now();
    let (starts, ends) = (
        local(now - chrono::Duration::minutes(1)),
        local(now + chrono::Duration::days(1)),
    );
    let f = form(bot["id"].as_str().unwrap(), &starts, &ends, "");
    let draft: Value = app.call_with(&a, "giveaways/save", &f, &[]).await.json();
    let id = draft["id"].as_str().unwrap().to_owned();
    app.call_with(&a, "giveaways/publish", &[("id", &id)], &[])
        .await
        .json::<Value>();

    let row = |sql: &str| {
        let db = app.db.clone();
        let sql = sql.to_owned();
        async move {
            use sea_orm::ConnectionTrait;
            let r = db
                .query_one_raw(sea_orm::Statement::from_string(
                    db.get_database_backend(),
                    sql,
                ))
                .await
                .unwrap()
                .unwrap();
            (
                r.try_get_by_index::<i32>(0).unwrap(),
                r.try_get_by_index::<i32>(1).unwrap(),
            )
        }
    };
    let (tenant_id, bot_id) = row("SELECT tenant_id, id FROM bots").await;
    let scope = backend::tenancy::TenantScope::for_bot_in_tests(tenant_id, bot_id);
    let cipher = std::sync::Arc::new(backend::crypto::TokenCipher::single(&TEST_MASTER_KEY));
    // The same user ten times at once, and twenty others, all concurrently.
    let mut tasks = Vec::new();
    for i in 0..30i64 {
        let (db, cipher, id) = (app.db.clone(), cipher.clone(), id.clone());
        let who = Entrant {
            telegram_user_id: if i < 10 { 4242 } else { 5000 + i },
            first_name: format!("U{i}"),
            username: None,
            language_code: None,
        };
        tasks.push(tokio::spawn(async move {
            // SQLite may report a busy database under this contention: try again, as the
            // inbox worker would.
            for _ in 0..20 {
                match join(
                    &db,
                    &scope,
                    &cipher,
                    &id,
                    &who,
                    "button",
                    chrono::Utc::now(),
                )
                .await
                {
                    Ok(j) => return j,
                    Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                }
            }
            panic!("join kept failing");
        }));
    }
    let mut numbers = Vec::new();
    let mut repeated = Vec::new();
    for (i, t) in tasks.into_iter().enumerate() {
        match t.await.unwrap() {
            Joined::New { number, .. } => numbers.push(number),
            Joined::Already { number, .. } => repeated.push((i, number)),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        numbers.len(),
        21,
        "one entry for the repeated user, one each for the others"
    );
    numbers.sort_unstable();
    assert_eq!(
        numbers,
        (1..=21).collect::<Vec<_>>(),
        "numbers dense and unique"
    );
    assert_eq!(repeated.len(), 9);
    assert_eq!(app.count("entries").await, 21);
});
