//! Giveaways end to end over real HTTP: the dashboard's server functions, simulated users
//! joining through the tenant's bot, the scheduler moved by the test clock, the fair draw,
//! the winners' notices through the outbox, and the public record verified.

use crate::bots::{TOKEN_A, TOKEN_B, bot_messages, connect, new_user, sim, sim_get, tenant};
use crate::helpers::*;
use app::error::AppError;
use domain::ValidationError;
use domain::draw::CheckKind;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::{Duration, Instant};
use telegram_sim::{ChatKind, RunningSim};

pub(crate) fn local(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M").to_string()
}

/// The dashboard's giveaway form, filled in; times in UTC (the tenant's zone in tests).
pub(crate) fn form<'a>(
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

pub(crate) async fn utc_tenant(app: &TestApp, email: &str, company: &str) -> reqwest::Client {
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

/// The text of the newest bot message in a chat, once there are `n`.
pub(crate) async fn nth_text(
    sim: &RunningSim,
    chat: i64,
    token: &str,
    n: usize,
) -> (String, Value) {
    let m = bot_messages(sim, chat, token, n).await;
    let msg = m[n - 1]["message"].clone();
    (msg["text"].as_str().unwrap_or_default().to_owned(), msg)
}

/// The callback data of a message's first callback button (e.g. a winner's Claim).
pub(crate) fn first_callback(msg: &Value) -> String {
    msg["reply_markup"]["inline_keyboard"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row.as_array().unwrap().iter())
        .find_map(|b| b["callback_data"].as_str().map(str::to_owned))
        .unwrap()
}

/// From a minute ago until tomorrow, in UTC (the tests' tenants use UTC), as the form's
/// start and end fields take them.
pub(crate) fn running_window() -> (String, String) {
    let now = chrono::Utc::now();
    (
        local(now - chrono::Duration::minutes(1)),
        local(now + chrono::Duration::days(1)),
    )
}

/// `n` new English-speaking users ("<prefix>0", "<prefix>1", …) who each join giveaway `id`
/// on bot A through its t.me link, one after the other (each answered before the next).
pub(crate) async fn join_by_link(sim: &RunningSim, id: &str, prefix: &str, n: usize) -> Vec<i64> {
    let s = sim.sim();
    let bot_a = s.bot_id("@shop_a_bot").unwrap();
    let mut users = Vec::new();
    for i in 0..n {
        let u = new_user(sim, &format!("{prefix}{i}"), "en");
        s.user_sends(u, bot_a, &format!("/start g_{id}"), None)
            .unwrap();
        nth_text(sim, u, TOKEN_A, 1).await;
        users.push(u);
    }
    users
}

/// The entry numbers of a drawn giveaway's winners (as `giveaways/get` shows it), in prize
/// order.
pub(crate) fn winner_numbers(g: &Value) -> Vec<u64> {
    g["winners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w[0].as_u64().unwrap())
        .collect()
}

/// Saves a new giveaway from `f`, publishes it, and returns it as published.
pub(crate) async fn publish_new(app: &TestApp, c: &reqwest::Client, f: &[(&str, &str)]) -> Value {
    let draft: Value = app.call_with(c, "giveaways/save", f, &[]).await.json();
    let id = draft["id"].as_str().unwrap();
    app.call_with(c, "giveaways/publish", &[("id", id)], &[])
        .await
        .json()
}

/// Most tests' setting: the simulator, a server with the test clock, tenant "Shop A"
/// (UTC) with bot A connected.
pub(crate) struct Shop {
    pub sim: RunningSim,
    pub app: TestApp,
    pub a: reqwest::Client,
    /// Bot A's public id.
    pub bot: String,
}

pub(crate) async fn shop(db: Db) -> Shop {
    shop_with(db, "").await
}

/// [`shop`] on a server with more `[tombola]` settings (`{sim}` in them stands for the
/// simulator's address).
pub(crate) async fn shop_with(db: Db, tombola_toml: &str) -> Shop {
    let sim = sim().await;
    let tombola_toml = tombola_toml.replace("{sim}", &sim.api_url());
    let app = spawn(
        db,
        &format!(
            "telegram-api-url = \"{}\"\ntest-clock = true\n{tombola_toml}",
            sim.api_url()
        ),
    )
    .await;
    let a = utc_tenant(&app, "a@example.com", "Shop A").await;
    let bot: Value = connect(&app, &a, TOKEN_A).await.json();
    let bot = bot["id"].as_str().unwrap().to_owned();
    Shop { sim, app, a, bot }
}

pub(crate) async fn advance(app: &TestApp, secs: i64) {
    let r = app
        .client
        .post(format!("{}/test/clock", app.base))
        .json(&serde_json::json!({ "advance_secs": secs }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

pub(crate) async fn wait_status(
    app: &TestApp,
    c: &reqwest::Client,
    id: &str,
    status: &str,
) -> Value {
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
                field: domain::Field::Prizes,
                code: ValidationError::InvalidNumber
            }
        );
        let backwards = form(&a_bot, &ends, &starts, "");
        assert_eq!(
            save(&a, backwards).await.error(),
            AppError::Validation {
                field: domain::Field::EndsAt,
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
                field: domain::Field::Bot,
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
                what: domain::Conflict::GiveawayRulesLocked
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

        // The entries table: search by name and #number, any page number.
        let page = |q: &str, p: &str| {
            let (a, q, p, id) = (a.clone(), q.to_owned(), p.to_owned(), id.clone());
            let app = &app;
            async move {
                app.call_with(
                    &a,
                    "giveaways/entries",
                    &[("id", &id), ("q", &q), ("page", &p)],
                    &[],
                )
                .await
            }
        };
        let all: Value = page("", "0").await.json();
        assert_eq!(
            (all["total"].clone(), all["rows"].as_array().unwrap().len()),
            (8.into(), 8)
        );
        let one: Value = page("Button1", "0").await.json();
        assert_eq!(one["rows"][0]["number"], 2);
        let third: Value = page("#3", "0").await.json();
        assert_eq!(third["rows"][0]["name"], "Button2");
        let far: Value = page("", &u64::MAX.to_string()).await.json();
        assert_eq!(
            (far["total"].clone(), far["rows"].as_array().unwrap().len()),
            (8.into(), 0)
        );
        assert_eq!(page("", "-1").await.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            app.call_with(
                &b,
                "giveaways/entries",
                &[("id", &id), ("q", ""), ("page", "0")],
                &[]
            )
            .await
            .error(),
            AppError::NotFound
        );

        // One winner leaves the channel before the draw: picks are re-checked.
        s.set_member(channel, joined[7], "left").unwrap();

        advance(&app, 2 * 86_400).await;
        let drawn = wait_status(&app, &a, &id, "drawn").await;
        let winners = winner_numbers(&drawn);
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
        // New giveaways draw by protocol v2: each line carries its ticket count.
        assert_eq!(published.protocol, domain::draw::Protocol::V2);
        assert!(
            list.lines()
                .all(|l| l.split(' ').count() == 3 && l.ends_with(" 1")),
            "{list}"
        );
        let checks = domain::draw::verify(&list, &published).unwrap();
        assert!(checks.iter().all(|c| c.ok), "{checks:?}");
        let first_line = list.lines().next().unwrap();
        let tampered = list.replacen(first_line, "1 0000000000 1", 1);
        let checks = domain::draw::verify(&tampered, &published).unwrap();
        assert!(
            checks
                .iter()
                .any(|c| c.what == CheckKind::EntriesHash && !c.ok)
        );

        // The same files offline: `tombola verify` says ✓, and ✗ for a changed list.
        let get = |path: String| {
            let c = reqwest::Client::new();
            async move { c.get(path).send().await.unwrap() }
        };
        let txt = get(format!("{}/verify/{id}/entries.txt", app.base)).await;
        assert_eq!(txt.status(), StatusCode::OK);
        let txt = txt.text().await.unwrap();
        assert_eq!(txt, list);
        let json = get(format!("{}/verify/{id}/draw.json", app.base))
            .await
            .text()
            .await
            .unwrap();
        let dir = std::env::temp_dir().join(format!("tombola-verify-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("entries.txt"), &txt).unwrap();
        std::fs::write(dir.join("tampered.txt"), &tampered).unwrap();
        std::fs::write(dir.join("draw.json"), &json).unwrap();
        let run = |list: &str| {
            std::process::Command::new(env!("CARGO_BIN_EXE_tombola"))
                .current_dir(&dir)
                .args(["verify", "--list", list, "--draw", "draw.json"])
                .output()
                .unwrap()
        };
        let ok = run("entries.txt");
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stdout)
        );
        assert!(String::from_utf8_lossy(&ok.stdout).contains("verified"));
        assert!(String::from_utf8_lossy(&ok.stdout).contains("draw protocol v2"));
        let bad = run("tampered.txt");
        assert!(!bad.status.success());
        assert!(String::from_utf8_lossy(&bad.stdout).contains("✗ the list matches the hash"));

        // CSV for the tenant only.
        let csv = a
            .get(format!("{}/giveaways/{id}/entries.csv", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(csv.status(), StatusCode::OK);
        let csv = csv.text().await.unwrap();
        assert_eq!(csv.lines().count(), 9, "header and 8 entries");
        assert!(csv.contains("Button0"));
        let anon = get(format!("{}/giveaways/{id}/entries.csv", app.base)).await;
        assert_eq!(anon.status(), StatusCode::UNAUTHORIZED);
        let theirs = b
            .get(format!("{}/giveaways/{id}/winners.csv", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(theirs.status(), StatusCode::NOT_FOUND);

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
        let winners_csv = a
            .get(format!("{}/giveaways/{id}/winners.csv", app.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(
            winners_csv.lines().count(),
            5,
            "header, 3 winners, 1 reserve"
        );
        assert_eq!(winners_csv.matches(",sent").count(), 3, "{winners_csv}");
        let posts: Vec<Value> =
            serde_json::from_value(sim_get(&sim, &format!("/sim/chats/{channel}/events")).await)
                .unwrap();
        let result = posts.iter().rfind(|e| e["kind"] == "message").unwrap()["message"]["text"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            result.contains("Results of “Big Autumn Draw” (8 entries)"),
            "{result}"
        );

        // "My giveaways" tells a winner what they won (an English-speaking one: #1–#6).
        let english = winners
            .iter()
            .find(|w| **w <= 6)
            .expect("only #7 is not #1–#6");
        let w0 = joined[(*english - 1) as usize];
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
        // The draw's notices (three winners, one result post) and nothing more; joins'
        // receipts are the outbox's other rows.
        assert_eq!(app.count_where("outbox", "kind <> 'reply'").await, 4);
    }
);

db_test!(concurrent_joins_get_one_entry_each, |db| async move {
    use backend::giveaways::{Entrant, Joined, join};
    let Shop {
        sim: _sim,
        app,
        a,
        bot,
    } = shop(db).await;
    let (starts, ends) = running_window();
    let f = form(&bot, &starts, &ends, "");
    let published = publish_new(&app, &a, &f).await;
    let id = published["id"].as_str().unwrap().to_owned();

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
    let scope = backend::tenancy::WriterScope::for_bot_in_tests(
        backend::ids::TenantId(tenant_id),
        backend::ids::BotId(bot_id),
    );
    let id = domain::PublicId::parse(&id).unwrap();
    let cipher = std::sync::Arc::new(backend::crypto::TokenCipher::single(&TEST_MASTER_KEY));
    // The same user ten times at once, and twenty others, all concurrently.
    let mut tasks = Vec::new();
    for i in 0..30i64 {
        let (db, cipher, id) = (app.db.clone(), cipher.clone(), id.clone());
        let who = Entrant {
            boost_tickets: 0,
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
                    // An open gate: the database alone must keep the joins apart.
                    &backend::db::WriteGate::default(),
                    &scope,
                    &cipher,
                    &id,
                    &who,
                    domain::giveaway::Via::Button,
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

db_test!(
    a_burst_of_presses_in_a_group_numbers_every_entry_once,
    |db| async move {
        // Presses arrive together and go through the join queue in batches: each user gets
        // one entry, numbers are dense, a second press finds the first entry, every press is
        // answered and gets one receipt, sent to the presser's private chat.
        let Shop { sim, app, a, bot } = shop(db).await;
        let s = sim.sim();
        let bot_a = s.bot_id("@shop_a_bot").unwrap();
        let (starts, ends) = running_window();
        let published = publish_new(&app, &a, &form(&bot, &starts, &ends, "")).await;
        let id = published["id"].as_str().unwrap().to_owned();
        let group = s
            .create_chat(telegram_sim::ChatKind::Supergroup, "Fans".into(), None)
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        s.set_member(group, bot_a, "administrator").unwrap();
        let data = domain::giveaway::Callback::Join(id.clone()).encode();
        let posted: Value = reqwest::Client::new()
            .post(format!("{}/bot{TOKEN_A}/sendMessage", sim.api_url()))
            .json(&serde_json::json!({
                "chat_id": group,
                "text": "🎁",
                "reply_markup": {"inline_keyboard": [[{"text": "Join", "callback_data": data}]]},
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let message_id = posted["result"]["message_id"].as_i64().unwrap();
        let users: Vec<i64> = (0..25)
            .map(|i| new_user(&sim, &format!("Fan{i}"), "en"))
            .collect();
        for u in users.iter().chain(&users[..5]) {
            s.set_member(group, *u, "member").unwrap();
        }
        for u in users.iter().chain(&users[..5]) {
            s.user_presses(*u, bot_a, group, message_id, &data).unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let answered = sim_get(&sim, &format!("/sim/bots/{TOKEN_A}/calls")).await
            ["AnswerCallbackQuery"]["ok"]
            .as_u64()
            .unwrap_or(0);
            if answered >= 30 && app.count_where("outbox", "kind = 'reply'").await >= 30 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{answered} presses answered: {} entries; calls {}",
                app.count("entries").await,
                sim_get(&sim, &format!("/sim/bots/{TOKEN_A}/calls")).await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(app.count("entries").await, 25);
        assert_eq!(
            app.count_where("entries", "number BETWEEN 1 AND 25").await,
            25,
            "numbers dense and unique"
        );
        assert_eq!(
            app.count_where("outbox", "kind = 'reply'").await,
            30,
            "one receipt per press"
        );
        assert_eq!(
            app.count_where("outbox", &format!("kind = 'reply' AND chat_id = {group}"))
                .await,
            0,
            "no receipt in the group"
        );
        let g: Value = app
            .call_with(&a, "giveaways/get", &[("id", &id)], &[])
            .await
            .json();
        assert_eq!(g["entries"], 25, "{g}");
    }
);

db_test!(
    killed_while_notifying_every_winner_is_told_and_none_twice,
    |db| restart_while_notifying(db, false)
);

db_test!(
    stopped_while_notifying_every_winner_is_told_exactly_once,
    |db| restart_while_notifying(db, true)
);

/// A server stopped while it sends 40 winners' notices — killed (`graceful` false) or sent
/// SIGTERM — and started again: every winner is told; after SIGTERM exactly once, after a
/// kill at most the one message in flight twice.
async fn restart_while_notifying(db: Db, graceful: bool) {
    {
        use telegram_sim::{Fault, FaultKind};
        let sim = sim().await;
        let s = sim.sim();
        let bot_a = s.bot_id("@shop_a_bot").unwrap();
        let database_url = fresh_database(db).await;
        let api = sim.api_url();
        let env = [
            ("TOMBOLA_TELEGRAM_API_URL", api.as_str()),
            ("TOMBOLA_TEST_CLOCK", "true"),
        ];
        let (mut first, base) = spawn_binary(&database_url, &env).await;
        let app = TestApp::of_process(&database_url, base).await;
        let a = utc_tenant(&app, "kill@example.com", "Kill Shop").await;
        let bot: Value = connect(&app, &a, TOKEN_A).await.json();
        let (starts, ends) = running_window();
        let mut f = form(bot["id"].as_str().unwrap(), &starts, &ends, "");
        f[3].1 = "Voucher × 40";
        f[4].1 = "0";
        let published = publish_new(&app, &a, &f).await;
        let id = published["id"].as_str().unwrap().to_owned();
        let users: Vec<i64> = (0..40)
            .map(|i| new_user(&sim, &format!("K{i}"), "en"))
            .collect();
        for u in &users {
            s.user_sends(*u, bot_a, &format!("/start g_{id}"), None)
                .unwrap();
        }
        for u in &users {
            nth_text(&sim, *u, TOKEN_A, 1).await;
        }

        // Every send now takes 150 ms: the notices take seconds, long enough to be cut.
        s.add_fault(Fault {
            token: Some(TOKEN_A.into()),
            method: Some("sendMessage".into()),
            kind: FaultKind::Slow { millis: 150 },
            count: 1000,
        });
        advance(&app, 2 * 86_400).await;
        let dms = |users: Vec<i64>| {
            let sim = &sim;
            async move {
                let mut per_user = Vec::new();
                for u in users {
                    let m = bot_messages(sim, u, TOKEN_A, 1).await;
                    per_user.push(
                        m.iter()
                            .filter(|e| {
                                e["message"]["text"]
                                    .as_str()
                                    .is_some_and(|t| t.starts_with("🎉"))
                            })
                            .count(),
                    );
                }
                per_user
            }
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let told = dms(users.clone()).await.iter().filter(|n| **n > 0).count();
            if told >= 5 {
                assert!(told < 40, "too late to interrupt: all {told} sent");
                break;
            }
            assert!(Instant::now() < deadline, "no notice sent");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if graceful {
            first.terminate();
            let stopped = Instant::now();
            let status = first.wait().unwrap();
            assert!(status.success(), "{status}");
            // The send under way finishes; nothing is left claimed.
            assert!(stopped.elapsed() < Duration::from_secs(10));
            assert_eq!(
                app.count_where("outbox", "status = 'pending' AND claimed_until IS NOT NULL")
                    .await,
                0
            );
            assert!(app.count_where("outbox", "status = 'pending'").await > 0);
        } else {
            first.kill().unwrap(); // SIGKILL: no shutdown, no flush
            first.wait().unwrap();
        }

        let (mut second, _) = spawn_binary(&database_url, &env).await;
        let deadline = Instant::now() + Duration::from_secs(60);
        let counts = loop {
            let counts = dms(users.clone()).await;
            if counts.iter().all(|n| *n >= 1) {
                break counts;
            }
            assert!(
                Instant::now() < deadline,
                "not every winner told: {counts:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        // At most the one message in flight at a kill can repeat (sent, not yet marked);
        // a shutdown finishes that send first.
        let twice = counts.iter().filter(|n| **n > 1).count();
        assert!(twice <= usize::from(!graceful), "{counts:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(dms(users.clone()).await, counts, "nothing more is sent");
        second.kill().unwrap();
        second.wait().unwrap();
    }
}

db_test!(a_captcha_stands_before_the_entry, |db| async move {
    let Shop { sim, app, a, bot } = shop(db).await;
    let s = sim.sim();
    let bot_a = s.bot_id("@shop_a_bot").unwrap();
    let (starts, ends) = running_window();
    let mut f = form(&bot, &starts, &ends, "");
    f.push(("captcha", "on"));
    let published = publish_new(&app, &a, &f).await;
    assert_eq!(published["captcha"], true);
    let id = published["id"].as_str().unwrap().to_owned();

    let u = new_user(&sim, "Careful", "en");
    s.user_sends(u, bot_a, &format!("/start g_{id}"), None)
        .unwrap();
    let (question, msg) = nth_text(&sim, u, TOKEN_A, 1).await;
    assert!(
        question.starts_with("Before you join, a quick question: "),
        "{question}"
    );
    let sum: u32 = question
        .trim_start_matches("Before you join, a quick question: ")
        .trim_end_matches(" = ?")
        .split(" + ")
        .map(|n| n.parse::<u32>().unwrap())
        .sum();
    let choices: Vec<String> = msg["reply_markup"]["inline_keyboard"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["callback_data"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(choices.len(), 3);
    let right = choices
        .iter()
        .find(|c| c.ends_with(&format!(":{sum}")))
        .unwrap()
        .clone();
    let wrong = choices.iter().find(|c| **c != right).unwrap().clone();
    assert_eq!(app.count("entries").await, 0, "no entry before the answer");

    let message_id = msg["message_id"].as_i64().unwrap();
    s.user_presses(u, bot_a, u, message_id, &wrong).unwrap();
    assert_eq!(
        nth_text(&sim, u, TOKEN_A, 2).await.0,
        "Not quite; try again."
    );
    let (again, again_msg) = nth_text(&sim, u, TOKEN_A, 3).await;
    assert_eq!(again, question, "the same question again");
    assert_eq!(app.count("entries").await, 0);
    s.user_presses(
        u,
        bot_a,
        u,
        again_msg["message_id"].as_i64().unwrap(),
        &right,
    )
    .unwrap();
    let (joined, _) = nth_text(&sim, u, TOKEN_A, 4).await;
    assert!(
        joined.starts_with("✅ You're in! Your entry number is #1"),
        "{joined}"
    );
    assert_eq!(app.count("entries").await, 1);
});

db_test!(
    a_winner_who_blocked_the_bot_is_recorded_not_retried,
    |db| async move {
        let Shop { sim, app, a, bot } = shop(db).await;
        let s = sim.sim();
        let bot_a = s.bot_id("@shop_a_bot").unwrap();
        let (starts, ends) = running_window();
        let mut f = form(&bot, &starts, &ends, "");
        f[3].1 = "Gift × 2";
        f[4].1 = "0";
        let published = publish_new(&app, &a, &f).await;
        let id = published["id"].as_str().unwrap().to_owned();
        let stays = new_user(&sim, "Stays", "en");
        let leaves = new_user(&sim, "Leaves", "en");
        for u in [stays, leaves] {
            s.user_sends(u, bot_a, &format!("/start g_{id}"), None)
                .unwrap();
            nth_text(&sim, u, TOKEN_A, 1).await;
        }
        s.user_blocks(leaves, bot_a, true).unwrap();

        advance(&app, 2 * 86_400).await;
        let deadline = Instant::now() + Duration::from_secs(20);
        let g = loop {
            let g: Value = app
                .call_with(&a, "giveaways/get", &[("id", &id)], &[])
                .await
                .json();
            if g["notices"]["pending"] == 0 && g["notices"]["sent"] == 1 {
                break g;
            }
            assert!(Instant::now() < deadline, "{}", g["notices"]);
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(g["notices"]["failed"], 1);
        assert_eq!(g["notices"]["reasons"], serde_json::json!([["blocked", 1]]));
        let sends = || async {
            sim_get(&sim, &format!("/sim/bots/{TOKEN_A}/calls")).await["sendMessage"].clone()
        };
        let before = sends().await;
        tokio::time::sleep(Duration::from_millis(2500)).await;
        assert_eq!(sends().await, before, "a blocked user is not tried again");
    }
);

db_test!(
    plan_limits_on_giveaways_hold_at_their_edges,
    |db| async move {
        let Shop { sim, app, a, bot } = shop(db).await;
        let s = sim.sim();
        let bot_a = s.bot_id("@shop_a_bot").unwrap();
        let (starts, ends) = running_window();

        // Entries per giveaway (Starter: 5,000): the cap may be the plan's, not above.
        let mut f = form(&bot, &starts, &ends, "");
        f[9].1 = "5001";
        assert_eq!(
            app.call_with(&a, "giveaways/save", &f, &[]).await.error(),
            AppError::PlanLimit {
                what: domain::PlanResource::Entries,
                limit: 5000
            }
        );
        f[9].1 = "5000";
        app.call_with(&a, "giveaways/save", &f, &[])
            .await
            .json::<Value>();

        // Giveaways scheduled or open at once (Starter: 3).
        let mut ids = Vec::new();
        for _ in 0..3 {
            let d: Value = app
                .call_with(&a, "giveaways/save", &form(&bot, &starts, &ends, ""), &[])
                .await
                .json();
            ids.push(d["id"].as_str().unwrap().to_owned());
        }
        let mut f = form(&bot, &starts, &ends, "");
        f[9].1 = "3";
        let capped: Value = app.call_with(&a, "giveaways/save", &f, &[]).await.json();
        let capped = capped["id"].as_str().unwrap().to_owned();
        for id in &ids {
            let r = app
                .call_with(&a, "giveaways/publish", &[("id", id)], &[])
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
        let fourth = app
            .call_with(&a, "giveaways/publish", &[("id", &capped)], &[])
            .await;
        assert_eq!(fourth.status, StatusCode::FORBIDDEN);
        assert_eq!(
            fourth.error(),
            AppError::PlanLimit {
                what: domain::PlanResource::OpenGiveaways,
                limit: 3
            }
        );
        app.call_with(&a, "giveaways/cancel", &[("id", &ids[0])], &[])
            .await
            .json::<Value>();
        app.call_with(&a, "giveaways/publish", &[("id", &capped)], &[])
            .await
            .json::<Value>();

        // `n` new users open a giveaway's t.me link, one after the other: what each hears.
        let join_by_link = |giveaway: String, prefix: &'static str, n: usize| {
            let sim = &sim;
            async move {
                let mut told = Vec::new();
                for i in 0..n {
                    let u = new_user(sim, &format!("{prefix}{i}"), "en");
                    sim.sim()
                        .user_sends(u, bot_a, &format!("/start g_{giveaway}"), None)
                        .unwrap();
                    told.push(nth_text(sim, u, TOKEN_A, 1).await.0);
                }
                told
            }
        };

        // A giveaway's own cap: the fourth entrant hears it is full.
        let told = join_by_link(capped.clone(), "C", 4).await;
        assert!(
            told[2].starts_with("✅ You're in! Your entry number is #3"),
            "{told:?}"
        );
        assert_eq!(told[3], "This giveaway is full.");

        // The plan's cap at join (Starter: 5,000), for a giveaway without its own: the
        // 5,000th entrant gets in, the next one hears it is full. 4,999 entries stand in
        // as the counter the join takes its number from.
        let uncapped = ids[1].clone();
        sea_orm::ConnectionTrait::execute_unprepared(
            &app.db,
            &format!("UPDATE giveaways SET entries_count = 4999 WHERE public_id = '{uncapped}'"),
        )
        .await
        .unwrap();
        let told = join_by_link(uncapped, "P", 2).await;
        assert!(
            told[0].starts_with("✅ You're in! Your entry number is #5000"),
            "{told:?}"
        );
        assert_eq!(told[1], "This giveaway is full.");
    }
);

db_test!(
    a_giveaway_committed_under_v1_draws_and_verifies_by_v1,
    |db| async move {
        use domain::draw::{Protocol, commitment};
        let Shop { sim, app, a, bot } = shop(db).await;
        let (starts, ends) = running_window();
        let g = publish_new(&app, &a, &form(&bot, &starts, &ends, "")).await;
        let id = g["id"].as_str().unwrap().to_owned();

        // Made as it was before protocol v2: the row says 1, the commitment has v1's
        // prefix (the seed is the one sealed in the row).
        let sealed: String =
            sea_orm::FromQueryResult::find_by_statement(sea_orm::Statement::from_string(
                app.db.get_database_backend(),
                format!("SELECT seed_sealed FROM giveaways WHERE public_id = '{id}'"),
            ))
            .one(&app.db)
            .await
            .unwrap()
            .map(|row: sea_orm::JsonValue| row["seed_sealed"].as_str().unwrap().to_owned())
            .unwrap();
        let seed = backend::crypto::TokenCipher::single(&TEST_MASTER_KEY)
            .open_bytes(&format!("giveaway-seed:{id}"), &sealed)
            .unwrap();
        let seed = domain::draw::Hash32(seed.try_into().unwrap());
        let v1 = commitment(Protocol::V1, &seed).to_hex();
        sea_orm::ConnectionTrait::execute_unprepared(
            &app.db,
            &format!(
                "UPDATE giveaways SET draw_protocol = 1, commitment = '{v1}' WHERE public_id = '{id}'"
            ),
        )
        .await
        .unwrap();

        for u in join_by_link(&sim, &id, "Old", 5).await {
            let (text, _) = nth_text(&sim, u, TOKEN_A, 1).await;
            assert!(text.starts_with("✅ You're in!"), "{text}");
        }
        // Tickets mean nothing under v1: not published, not weighed.
        sea_orm::ConnectionTrait::execute_unprepared(&app.db, "UPDATE entries SET tickets = 7")
            .await
            .unwrap();

        advance(&app, 2 * 86_400).await;
        wait_status(&app, &a, &id, "drawn").await;
        let record: Value = app.call("verify/record", &[("id", &id)]).await.json();
        let list = record["entry_list"].as_str().unwrap().to_owned();
        let published: domain::draw::Published =
            serde_json::from_value(record["published"].clone()).unwrap();
        assert_eq!(published.protocol, Protocol::V1);
        assert_eq!(published.commitment.to_hex(), v1);
        assert_eq!(list.lines().count(), 5);
        assert!(list.lines().all(|l| l.split(' ').count() == 2), "{list}");
        let checks = domain::draw::verify(&list, &published).unwrap();
        assert!(checks.iter().all(|c| c.ok), "{checks:?}");
        // draw.json of a v1 draw as earlier releases wrote it (no "protocol") reads as v1.
        let mut old = record["published"].clone();
        old.as_object_mut().unwrap().remove("protocol");
        let old: domain::draw::Published = serde_json::from_value(old).unwrap();
        assert!(
            domain::draw::verify(&list, &old)
                .unwrap()
                .iter()
                .all(|c| c.ok)
        );
    }
);
