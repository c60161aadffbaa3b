//! Connecting tenants' bots, against the Telegram simulator over real HTTP.

use crate::helpers::*;
use app::error::AppError;
use domain::ValidationError;
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use telegram_sim::{RunningSim, SimConfig};

pub(crate) const TOKEN_A: &str = "111111111:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0";
pub(crate) const TOKEN_B: &str = "222222222:BBHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0";

pub(crate) async fn sim() -> RunningSim {
    let sim = telegram_sim::start(SimConfig::default()).await.unwrap();
    sim.sim()
        .create_bot(Some(TOKEN_A.into()), "shop_a_bot", None)
        .unwrap();
    sim.sim()
        .create_bot(Some(TOKEN_B.into()), "club_b_bot", None)
        .unwrap();
    sim
}

/// A simulated Telegram user; returns its id.
pub(crate) fn new_user(sim: &RunningSim, name: &str, lang: &str) -> i64 {
    sim.sim()
        .create_user(None, name.into(), None, None, Some(lang.into()))
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

/// Signs up on `app` with its own cookie jar; returns that client.
pub(crate) async fn tenant(app: &TestApp, email: &str, company: &str) -> reqwest::Client {
    let client = new_client();
    let a = app
        .call_with(
            &client,
            "auth/signup",
            &[
                ("email", email),
                ("password", PASSWORD),
                ("company", company),
            ],
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    client
}

pub(crate) async fn connect(app: &TestApp, client: &reqwest::Client, token: &str) -> Answer {
    app.call_with(client, "bots/connect", &[("token", token)], &[])
        .await
}

pub(crate) async fn list(app: &TestApp, client: &reqwest::Client) -> Vec<Value> {
    let page: Value = app.call_with(client, "bots/list", &[], &[]).await.json();
    page["bots"].as_array().expect("a list of bots").clone()
}

pub(crate) async fn sim_get(sim: &RunningSim, path: &str) -> Value {
    reqwest::get(format!("{}{path}", sim.api_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

db_test!(
    connect_by_webhook_checks_seals_and_isolates,
    |db| async move {
        let sim = sim().await;
        // An https public URL means webhooks. Nothing listens on port 9, and nothing is
        // queued for delivery here, so the simulator never needs to reach it.
        let toml = format!(
            "public-url = \"https://127.0.0.1:9\"\ntelegram-api-url = \"{}\"\n",
            sim.api_url()
        );
        let app = spawn(db, &toml).await;
        let a = tenant(&app, "a@example.com", "Shop A").await;
        let b = tenant(&app, "b@example.com", "Club B").await;

        let bad = connect(&app, &a, "not a token").await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            bad.error(),
            AppError::Validation {
                field: domain::Field::Token,
                code: ValidationError::InvalidBotToken
            }
        );
        let unknown = connect(&app, &a, "333333333:CCHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0").await;
        assert_eq!(unknown.error(), AppError::TelegramRejectedToken);
        assert_eq!(app.count("bots").await, 0);

        let ok = connect(&app, &a, &format!("  {TOKEN_A} ")).await;
        let bot: Value = ok.json();
        assert!(
            !ok.body.contains(TOKEN_A) && !ok.body.contains("AAHdqTcv"),
            "the token never comes back: {}",
            ok.body
        );
        assert_eq!(bot["username"], "shop_a_bot");
        assert_eq!(bot["mode"], "webhook");
        assert_eq!(bot["status"], "live", "{bot}");
        let hook_url = bot["webhook_url"].as_str().unwrap().to_owned();
        assert!(
            hook_url.starts_with("https://127.0.0.1:9/tg/"),
            "{hook_url}"
        );

        // Telegram (the simulator) holds the webhook with a secret and our update kinds.
        let state = sim_get(&sim, &format!("/sim/bots/{TOKEN_A}/state")).await;
        assert_eq!(state["webhook"]["url"], hook_url.as_str());
        assert_eq!(state["has_secret_token"], true);
        assert_eq!(
            state["webhook"]["allowed_updates"],
            json!(["message", "callback_query", "my_chat_member"])
        );

        // The same token again: from its owner, and from another tenant.
        assert_eq!(
            connect(&app, &a, TOKEN_A).await.error(),
            AppError::Conflict {
                what: domain::Conflict::Bot
            }
        );
        let stolen = connect(&app, &b, TOKEN_A).await;
        assert_eq!(stolen.status, StatusCode::CONFLICT);
        assert_eq!(
            stolen.error(),
            AppError::Conflict {
                what: domain::Conflict::BotElsewhere
            }
        );
        assert_eq!(app.count("bots").await, 1);

        // Each tenant sees only its own bots.
        assert_eq!(list(&app, &a).await.len(), 1);
        assert_eq!(list(&app, &b).await, Vec::<Value>::new());
        let b_bot: Value = connect(&app, &b, TOKEN_B).await.json();
        assert_eq!(
            list(&app, &a)
                .await
                .iter()
                .map(|x| x["username"].clone())
                .collect::<Vec<_>>(),
            vec![json!("shop_a_bot")]
        );
        assert_ne!(b_bot["webhook_url"], bot["webhook_url"]);

        // No column of the stored row holds the token in clear.
        let rows = app
            .db
            .query_all_raw(sea_orm::Statement::from_string(
                app.db.get_database_backend(),
                "SELECT * FROM bots".to_owned(),
            ))
            .await
            .unwrap();
        for row in rows {
            let text = format!("{row:?}");
            assert!(
                !text.contains("AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0") && !text.contains("BBHdqTcv"),
                "token in clear: {text}"
            );
        }
    }
);

db_test!(telegram_unreachable_is_a_clear_error, |db| async move {
    let app = spawn(db, "telegram-api-url = \"http://127.0.0.1:9\"\n").await;
    let a = tenant(&app, "a@example.com", "Shop A").await;
    let res = connect(&app, &a, TOKEN_A).await;
    assert_eq!(res.status, StatusCode::BAD_GATEWAY);
    assert_eq!(res.error(), AppError::TelegramUnavailable);
    assert_eq!(app.count("bots").await, 0);
});

db_test!(
    without_https_the_bot_is_polled_into_the_inbox,
    |db| async move {
        let sim = sim().await;
        let app = spawn(db, &format!("telegram-api-url = \"{}\"\n", sim.api_url())).await;
        let a = tenant(&app, "a@example.com", "Shop A").await;
        let bot: Value = connect(&app, &a, TOKEN_A).await.json();
        assert_eq!(bot["mode"], "polling");
        assert!(bot["webhook_url"].is_null());

        // The poller marks it live once getUpdates answers.
        let deadline = Instant::now() + Duration::from_secs(10);
        while list(&app, &a).await[0]["status"] != "live" {
            assert!(Instant::now() < deadline, "the poller never went live");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // A user writes to the bot: the update lands in the inbox, once.
        let user = new_user(&sim, "小明", "zh-hans");
        let bot_id = sim.sim().bot_id("@shop_a_bot").unwrap();
        sim.sim().user_sends(user, bot_id, "/start", None).unwrap();
        sim.sim().user_sends(user, bot_id, "/help", None).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while app.count("inbox").await < 2 {
            assert!(Instant::now() < deadline, "updates never reached the inbox");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            app.count("inbox").await,
            2,
            "confirmed updates are not fetched again"
        );
        let calls = sim_get(&sim, &format!("/sim/bots/{TOKEN_A}/calls")).await;
        assert!(calls["getUpdates"]["ok"].as_u64().unwrap() >= 2);
        assert!(
            calls.get("setWebhook").is_none(),
            "no webhook without https"
        );
    }
);

db_test!(a_revoked_token_shows_on_the_bots_page, |db| async move {
    let sim = sim().await;
    let app = spawn(db, &format!("telegram-api-url = \"{}\"\n", sim.api_url())).await;
    let a = tenant(&app, "a@example.com", "Shop A").await;
    connect(&app, &a, TOKEN_A).await.json::<Value>();
    sim.sim().revoke(TOKEN_A).unwrap();
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let bots = list(&app, &a).await;
        if bots[0]["status"] == "revoked" {
            assert_eq!(bots[0]["status_reason"], "token_rejected");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "revocation never noticed: {bots:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
});

/// Waits until the simulated chat holds `n` bot messages; returns the chat's events.
pub(crate) async fn bot_messages(
    sim: &RunningSim,
    chat: i64,
    bot_token: &str,
    n: usize,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let events: Vec<Value> = serde_json::from_value(
            sim_get(sim, &format!("/sim/chats/{chat}/events?bot={bot_token}")).await,
        )
        .unwrap();
        let messages: Vec<Value> = events
            .into_iter()
            .filter(|e| e["kind"] == "message")
            .collect();
        if messages.len() >= n {
            return messages;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {n} bot messages arrived",
            messages.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

db_test!(
    start_gets_each_tenants_menu_in_the_users_language,
    |db| async move {
        let sim = sim().await;
        let app = spawn(db, &format!("telegram-api-url = \"{}\"\n", sim.api_url())).await;
        let a = tenant(&app, "a@example.com", "幸运小铺").await;
        let b = tenant(&app, "b@example.com", "Club B").await;
        connect(&app, &a, TOKEN_A).await.json::<Value>();
        connect(&app, &b, TOKEN_B).await.json::<Value>();
        let s = sim.sim();
        let zh = new_user(&sim, "小明", "zh-hans");
        let en = new_user(&sim, "Ann", "en");
        let bot_a = s.bot_id("@shop_a_bot").unwrap();
        let bot_b = s.bot_id("@club_b_bot").unwrap();

        s.user_sends(zh, bot_a, "/start", None).unwrap();
        let menu = &bot_messages(&sim, zh, TOKEN_A, 1).await[0]["message"];
        assert_eq!(menu["text"], "👋 你好，小明！欢迎来到「幸运小铺」的抽奖。");
        let buttons: Vec<(String, String)> = menu["reply_markup"]["inline_keyboard"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| {
                (
                    row[0]["text"].as_str().unwrap().to_owned(),
                    row[0]["callback_data"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            buttons,
            [
                ("🎁 参与抽奖", "m:join"),
                ("🎊 我的抽奖", "m:mine"),
                ("❓ 帮助", "m:help")
            ]
            .map(|(t, d)| (t.to_owned(), d.to_owned()))
        );

        // Help, answered at once, then back to the menu.
        let press = s
            .user_presses(
                zh,
                bot_a,
                zh,
                menu["message_id"].as_i64().unwrap(),
                "m:help",
            )
            .unwrap();
        let messages = bot_messages(&sim, zh, TOKEN_A, 2).await;
        assert!(
            messages[1]["message"]["text"]
                .as_str()
                .unwrap()
                .starts_with("点「🎁 参与抽奖」")
        );
        let events: Vec<Value> =
            serde_json::from_value(sim_get(&sim, &format!("/sim/chats/{zh}/events")).await)
                .unwrap();
        assert!(events.iter().any(|e| e["kind"] == "callback_answer"
            && e["callback_query_id"] == press["callback_query_id"]));
        let back = messages[1]["message"]["message_id"].as_i64().unwrap();
        s.user_presses(zh, bot_a, zh, back, "m:menu").unwrap();
        assert!(
            bot_messages(&sim, zh, TOKEN_A, 3).await[2]["message"]["text"]
                .as_str()
                .unwrap()
                .starts_with("👋 你好")
        );

        // Another user, another language; another tenant's bot, its own name.
        s.user_sends(en, bot_a, "/start", None).unwrap();
        assert_eq!(
            bot_messages(&sim, en, TOKEN_A, 1).await[0]["message"]["text"],
            "👋 Hi Ann! Welcome to 幸运小铺's giveaways."
        );
        s.user_sends(en, bot_b, "/start", None).unwrap();
        assert_eq!(
            bot_messages(&sim, en, TOKEN_B, 1).await[0]["message"]["text"],
            "👋 Hi Ann! Welcome to Club B's giveaways."
        );

        // Each tenant knows its own audience.
        assert_eq!(
            app.count("telegram_users").await,
            3,
            "小明 and Ann for A, Ann for B"
        );
    }
);

db_test!(a_restart_resumes_every_bot, |db| async move {
    let sim = sim().await;
    let database_url = fresh_database(db).await;
    let env = [("TOMBOLA_TELEGRAM_API_URL", sim.api_url())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (mut first, base) = spawn_binary(&database_url, &env).await;
    let app = TestApp::of_process(&database_url, base).await;
    let client = app.client.clone();
    app.sign_up("restart@example.com", PASSWORD, "Restart Shop")
        .await;
    assert_eq!(
        connect(&app, &client, TOKEN_A).await.json::<Value>()["mode"],
        "polling"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while list(&app, &client).await[0]["status"] != "live" {
        assert!(Instant::now() < deadline, "never live");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.kill().unwrap();
    first.wait().unwrap();

    // While nobody polls, a user writes; a new process must pick the bot up by itself.
    let s = sim.sim();
    let user = new_user(&sim, "Bo", "en");
    s.user_sends(user, s.bot_id("@shop_a_bot").unwrap(), "/start", None)
        .unwrap();
    let (mut second, _) = spawn_binary(&database_url, &env).await;
    let menu = &bot_messages(&sim, user, TOKEN_A, 1).await[0]["message"];
    assert_eq!(
        menu["text"],
        "👋 Hi Bo! Welcome to Restart Shop's giveaways."
    );
    second.kill().unwrap();
    second.wait().unwrap();
});

db_test!(
    bots_are_disabled_enabled_and_removed_at_run_time,
    |db| async move {
        let sim = sim().await;
        let toml = format!(
            "public-url = \"https://127.0.0.1:9\"\ntelegram-api-url = \"{}\"\n",
            sim.api_url()
        );
        let app = spawn(db, &toml).await;
        let a = tenant(&app, "a@example.com", "Shop A").await;
        let b = tenant(&app, "b@example.com", "Club B").await;
        let bot: Value = connect(&app, &a, TOKEN_A).await.json();
        let id = bot["id"].as_str().unwrap().to_owned();
        let hook_url = bot["webhook_url"].as_str().unwrap().to_owned();
        let hook_id = hook_url.rsplit('/').next().unwrap().to_owned();
        let secret =
            backend::crypto::TokenCipher::single(&TEST_MASTER_KEY).webhook_secret(&hook_id);
        let deliver = |client: reqwest::Client, base: String| {
            let (hook_id, secret) = (hook_id.clone(), secret.clone());
            async move {
                client
                .post(format!("{base}/tg/{hook_id}"))
                .header("X-Telegram-Bot-Api-Secret-Token", secret)
                .body(r#"{"update_id":1,"message":{"message_id":1,"chat":{"id":1,"type":"private"},"date":0,"text":"x"}}"#)
                .send()
                .await
                .unwrap()
                .status()
            }
        };

        // Another tenant cannot touch it.
        let theirs = app
            .call_with(
                &b,
                "bots/enabled",
                &[("id", &id), ("enabled", "false")],
                &[],
            )
            .await;
        assert_eq!(theirs.error(), AppError::NotFound);
        assert_eq!(
            app.call_with(&b, "bots/remove", &[("id", &id)], &[])
                .await
                .error(),
            AppError::NotFound
        );

        let off: Value = app
            .call_with(
                &a,
                "bots/enabled",
                &[("id", &id), ("enabled", "false")],
                &[],
            )
            .await
            .json();
        assert_eq!(
            (off["enabled"].clone(), off["status"].clone()),
            (json!(false), json!("stopped"))
        );
        assert!(
            sim_get(&sim, &format!("/sim/bots/{TOKEN_A}/state")).await["webhook"].is_null(),
            "deleteWebhook was called"
        );
        assert_eq!(
            deliver(app.client.clone(), app.base.clone()).await,
            StatusCode::NOT_FOUND
        );

        let on: Value = app
            .call_with(&a, "bots/enabled", &[("id", &id), ("enabled", "true")], &[])
            .await
            .json();
        assert_eq!(on["status"], "live");
        assert_eq!(
            sim_get(&sim, &format!("/sim/bots/{TOKEN_A}/state")).await["webhook"]["url"],
            hook_url.as_str()
        );
        assert_eq!(
            deliver(app.client.clone(), app.base.clone()).await,
            StatusCode::OK
        );
        assert_eq!(app.count("inbox").await, 1);

        assert_eq!(
            app.call_with(&a, "bots/remove", &[("id", &id)], &[])
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(list(&app, &a).await, Vec::<Value>::new());
        assert_eq!((app.count("bots").await, app.count("inbox").await), (0, 0));
        assert_eq!(
            deliver(app.client.clone(), app.base.clone()).await,
            StatusCode::NOT_FOUND
        );
        // The token is free again.
        assert_eq!(
            connect(&app, &b, TOKEN_A).await.json::<Value>()["username"],
            "shop_a_bot"
        );
    }
);

db_test!(
    start_up_checks_webhooks_and_notices_revoked_tokens,
    |db| async move {
        let sim = sim().await;
        let toml = format!(
            "public-url = \"https://127.0.0.1:9\"\ntelegram-api-url = \"{}\"\n",
            sim.api_url()
        );
        let app = spawn(db, &toml).await;
        let a = tenant(&app, "a@example.com", "Shop A").await;
        let bot: Value = connect(&app, &a, TOKEN_A).await.json();
        connect(&app, &a, TOKEN_B).await.json::<Value>();
        // Telegram forgets A's webhook (someone called deleteWebhook), and B's token is revoked.
        reqwest::Client::new()
            .post(format!("{}/bot{TOKEN_A}/deleteWebhook", sim.api_url()))
            .send()
            .await
            .unwrap();
        sim.sim().revoke(TOKEN_B).unwrap();

        let again = spawn_on(app.database_url.clone(), &toml).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let hook = sim_get(&sim, &format!("/sim/bots/{TOKEN_A}/state")).await["webhook"]["url"]
                .clone();
            let bots = list(&again, &a).await;
            let b_status =
                bots.iter().find(|x| x["username"] == "club_b_bot").unwrap()["status"].clone();
            if hook == bot["webhook_url"] && b_status == "revoked" {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "start-up did not restore the webhook ({hook}) or notice the revocation ({b_status})"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
);

db_test!(
    a_revoked_bot_gets_a_new_token_and_keeps_its_data,
    |db| async move {
        let sim = sim().await;
        let app = spawn(db, &format!("telegram-api-url = \"{}\"\n", sim.api_url())).await;
        let a = tenant(&app, "a@example.com", "Shop A").await;
        let bot: Value = connect(&app, &a, TOKEN_A).await.json();
        let id = bot["id"].as_str().unwrap().to_owned();
        let s = sim.sim();
        let bot_a = s.bot_id("@shop_a_bot").unwrap();
        let user = new_user(&sim, "Cy", "en");
        s.user_sends(user, bot_a, "/start", None).unwrap();
        bot_messages(&sim, user, TOKEN_A, 1).await;

        // /revoke in @BotFather: the old token dies, the poller notices.
        let fresh = s.reissue_token(bot_a, None).unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let deadline = Instant::now() + Duration::from_secs(10);
        while list(&app, &a).await[0]["status"] != "revoked" {
            assert!(Instant::now() < deadline, "revocation not noticed");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Another bot's token is refused; the new one of the same bot is taken.
        let wrong = app
            .call_with(&a, "bots/token", &[("id", &id), ("token", TOKEN_B)], &[])
            .await;
        assert_eq!(
            wrong.error(),
            AppError::Validation {
                field: domain::Field::Token,
                code: ValidationError::DifferentBot
            }
        );
        let replaced: Value = app
            .call_with(&a, "bots/token", &[("id", &id), ("token", &fresh)], &[])
            .await
            .json();
        assert_eq!(replaced["id"], bot["id"], "same bot, same id");
        let deadline = Instant::now() + Duration::from_secs(10);
        while list(&app, &a).await[0]["status"] != "live" {
            assert!(Instant::now() < deadline, "not live again");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        s.user_sends(user, bot_a, "/start", None).unwrap();
        bot_messages(&sim, user, &fresh, 2).await;
        assert_eq!(
            app.count("telegram_users").await,
            1,
            "its audience is still there"
        );
    }
);

db_test!(each_plan_limits_bots_at_its_edge, |db| async move {
    let sim = sim().await;
    const TOKEN_C: &str = "333333333:CCHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0";
    sim.sim()
        .create_bot(Some(TOKEN_C.into()), "third_bot", None)
        .unwrap();
    let app = spawn(db, &format!("telegram-api-url = \"{}\"\n", sim.api_url())).await;
    // The first account is the operator.
    let op = tenant(&app, "op@example.com", "Platform").await;
    let a = tenant(&app, "a@example.com", "Shop A").await;

    // Starter allows two bots: the second fits, the third is refused before Telegram.
    connect(&app, &a, TOKEN_A).await.json::<Value>();
    connect(&app, &a, TOKEN_B).await.json::<Value>();
    let page: Value = app.call_with(&a, "bots/list", &[], &[]).await.json();
    assert_eq!(page["max_bots"], 2);
    let third = connect(&app, &a, TOKEN_C).await;
    assert_eq!(third.status, StatusCode::FORBIDDEN);
    assert_eq!(
        third.error(),
        AppError::PlanLimit {
            what: domain::PlanResource::Bots,
            limit: 2
        }
    );
    assert_eq!(app.count("bots").await, 2);

    // Only the operator sets plans; unknown plans and tenants are refused.
    let tenants: Vec<Value> = app
        .call_with(&op, "operator/tenants", &[], &[])
        .await
        .json();
    let shop = tenants.iter().find(|t| t["name"] == "Shop A").unwrap();
    let shop_id = shop["id"].as_str().unwrap();
    assert_eq!(
        (shop["plan"].clone(), shop["bots"].clone()),
        (json!("Starter"), json!(2))
    );
    assert_eq!(
        app.call_with(
            &a,
            "operator/plan",
            &[("tenant", shop_id), ("plan", "business")],
            &[]
        )
        .await
        .error(),
        AppError::Forbidden
    );
    assert_eq!(
        app.call_with(
            &op,
            "operator/plan",
            &[("tenant", shop_id), ("plan", "gold")],
            &[]
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.call_with(
            &op,
            "operator/plan",
            &[("tenant", "nope"), ("plan", "pro")],
            &[]
        )
        .await
        .error(),
        AppError::NotFound
    );
    let ok = app
        .call_with(
            &op,
            "operator/plan",
            &[("tenant", shop_id), ("plan", "pro")],
            &[],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(
        connect(&app, &a, TOKEN_C).await.json::<Value>()["username"],
        "third_bot"
    );
    let page: Value = app.call_with(&a, "bots/list", &[], &[]).await.json();
    assert_eq!(page["max_bots"], 10);

    // Back to Starter: what the tenant has stays, nothing new fits.
    app.call_with(
        &op,
        "operator/plan",
        &[("tenant", shop_id), ("plan", "starter")],
        &[],
    )
    .await;
    assert_eq!(list(&app, &a).await.len(), 3);
    let id = list(&app, &a).await[0]["id"].as_str().unwrap().to_owned();
    app.call_with(&a, "bots/remove", &[("id", &id)], &[]).await;
    assert_eq!(
        connect(&app, &a, TOKEN_A).await.error(),
        AppError::PlanLimit {
            what: domain::PlanResource::Bots,
            limit: 2
        }
    );
});

async fn webhook_of(sim: &RunningSim, token: &str) -> Value {
    sim_get(sim, &format!("/sim/bots/{token}/state")).await["webhook"].clone()
}

db_test!(
    a_bot_moves_between_webhook_and_polling_at_run_time,
    |db| async move {
        let sim = sim().await;
        let toml = format!(
            "public-url = \"https://127.0.0.1:9\"\ntelegram-api-url = \"{}\"\n",
            sim.api_url()
        );
        let app = spawn(db, &toml).await;
        let a = tenant(&app, "a@example.com", "Shop A").await;
        let b = tenant(&app, "b@example.com", "Club B").await;
        let bot: Value = connect(&app, &a, TOKEN_A).await.json();
        let id = bot["id"].as_str().unwrap().to_owned();
        let hook_url = bot["webhook_url"].as_str().unwrap().to_owned();
        assert_eq!(webhook_of(&sim, TOKEN_A).await["url"], hook_url.as_str());

        for bad in [("mode", "carrier-pigeon")] {
            let r = app
                .call_with(&a, "bots/mode", &[("id", &id), bad], &[])
                .await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST);
        }
        assert_eq!(
            app.call_with(&b, "bots/mode", &[("id", &id), ("mode", "polling")], &[])
                .await
                .error(),
            AppError::NotFound
        );

        let polling: Value = app
            .call_with(&a, "bots/mode", &[("id", &id), ("mode", "polling")], &[])
            .await
            .json();
        assert_eq!(polling["mode"], "polling");
        assert!(polling["webhook_url"].is_null());
        assert!(webhook_of(&sim, TOKEN_A).await.is_null(), "webhook deleted");
        let s = sim.sim();
        let user = new_user(&sim, "Ann", "en");
        s.user_sends(user, s.bot_id("@shop_a_bot").unwrap(), "/start", None)
            .unwrap();
        assert!(
            bot_messages(&sim, user, TOKEN_A, 1).await[0]["message"]["text"]
                .as_str()
                .unwrap()
                .starts_with("👋 Hi Ann"),
            "answered by polling"
        );

        let webhook: Value = app
            .call_with(&a, "bots/mode", &[("id", &id), ("mode", "webhook")], &[])
            .await
            .json();
        assert_eq!(
            (webhook["mode"].clone(), webhook["status"].clone()),
            (json!("webhook"), json!("live"))
        );
        // The poller is gone: nothing takes the webhook away again.
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(webhook_of(&sim, TOKEN_A).await["url"], hook_url.as_str());
    }
);

db_test!(
    without_a_public_https_url_webhooks_are_refused_and_bots_poll,
    |db| async move {
        let sim = sim().await;
        let app = spawn(db, &format!("telegram-api-url = \"{}\"\n", sim.api_url())).await;
        let a = tenant(&app, "a@example.com", "Shop A").await;
        let bot: Value = connect(&app, &a, TOKEN_A).await.json();
        assert_eq!(bot["mode"], "polling");
        let page: Value = app.call_with(&a, "bots/list", &[], &[]).await.json();
        assert_eq!(page["webhooks_possible"], false);
        let id = bot["id"].as_str().unwrap();
        assert_eq!(
            app.call_with(&a, "bots/mode", &[("id", id), ("mode", "webhook")], &[])
                .await
                .error(),
            AppError::Validation {
                field: domain::Field::Mode,
                code: ValidationError::WebhookNeedsHttps
            }
        );
        assert_eq!(list(&app, &a).await[0]["mode"], "polling");
    }
);

db_test!(
    a_restart_moves_bots_to_what_the_public_url_allows,
    |db| async move {
        let sim = sim().await;
        let database_url = fresh_database(db).await;
        let api = sim.api_url();
        let with_domain = [
            ("TOMBOLA_TELEGRAM_API_URL", api.as_str()),
            ("TOMBOLA_PUBLIC_URL", "https://127.0.0.1:9"),
        ];
        let without = [("TOMBOLA_TELEGRAM_API_URL", api.as_str())];
        let (mut first, base) = spawn_binary(&database_url, &with_domain).await;
        let app = TestApp::of_process(&database_url, base).await;
        let client = app.client.clone();
        app.sign_up("move@example.com", PASSWORD, "Move Shop").await;
        assert_eq!(
            connect(&app, &client, TOKEN_A).await.json::<Value>()["mode"],
            "webhook"
        );
        first.kill().unwrap();
        first.wait().unwrap();

        // The domain is gone: the bot polls by itself and answers.
        let (mut second, base) = spawn_binary(&database_url, &without).await;
        let s = sim.sim();
        let user = new_user(&sim, "Bo", "en");
        s.user_sends(user, s.bot_id("@shop_a_bot").unwrap(), "/start", None)
            .unwrap();
        assert!(
            bot_messages(&sim, user, TOKEN_A, 1).await[0]["message"]["text"]
                .as_str()
                .unwrap()
                .starts_with("👋 Hi Bo")
        );
        assert!(webhook_of(&sim, TOKEN_A).await.is_null());
        let app = TestApp { base, ..app };
        app.log_in("move@example.com", PASSWORD).await;
        assert_eq!(list(&app, &client).await[0]["mode"], "polling");
        second.kill().unwrap();
        second.wait().unwrap();

        // The domain is back: the bot (its tenant never chose) returns to its webhook.
        let (mut third, _) = spawn_binary(&database_url, &with_domain).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        while webhook_of(&sim, TOKEN_A).await["url"].is_null() {
            assert!(Instant::now() < deadline, "webhook never set again");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        third.kill().unwrap();
        third.wait().unwrap();
    }
);

db_test!(
    a_suspended_tenant_is_silent_until_resumed,
    |db| async move {
        let sim = sim().await;
        let app = spawn(db, &format!("telegram-api-url = \"{}\"\n", sim.api_url())).await;
        let op = tenant(&app, "op@example.com", "Platform").await; // the first account
        let a = tenant(&app, "a@example.com", "Shop A").await;
        let bot: Value = connect(&app, &a, TOKEN_A).await.json();
        assert_eq!(bot["mode"], "polling");
        let s = sim.sim();
        let bot_a = s.bot_id("@shop_a_bot").unwrap();
        let user = new_user(&sim, "Su", "en");
        s.user_sends(user, bot_a, "/start", None).unwrap();
        assert_eq!(bot_messages(&sim, user, TOKEN_A, 1).await.len(), 1);

        let tenants: Vec<Value> = app
            .call_with(&op, "operator/tenants", &[], &[])
            .await
            .json();
        let shop = tenants.iter().find(|t| t["name"] == "Shop A").unwrap();
        let shop_id = shop["id"].as_str().unwrap().to_owned();
        assert_eq!(shop["suspended"], Value::Null);
        assert_eq!(shop["bots"], 1);
        assert!(shop["last_activity"].is_string(), "{shop}");
        // Only the operator suspends, and never the operator's own tenant.
        let by_tenant = app
            .call_with(
                &a,
                "operator/suspend",
                &[("tenant", &shop_id), ("action", "suspend")],
                &[],
            )
            .await;
        assert_eq!(by_tenant.error(), AppError::Forbidden);
        let own = tenants.iter().find(|t| t["name"] == "Platform").unwrap();
        let own = app
            .call_with(
                &op,
                "operator/suspend",
                &[
                    ("tenant", own["id"].as_str().unwrap()),
                    ("action", "suspend"),
                ],
                &[],
            )
            .await;
        assert_eq!(own.error(), AppError::Forbidden);
        let bad = app
            .call_with(
                &op,
                "operator/suspend",
                &[("tenant", &shop_id), ("action", "maybe")],
                &[],
            )
            .await;
        assert_eq!(bad.error(), AppError::BadRequest);

        let r = app
            .call_with(
                &op,
                "operator/suspend",
                &[
                    ("tenant", &shop_id),
                    ("action", "suspend"),
                    ("reason", "unpaid invoice"),
                ],
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);

        // The bot is silent: the update is taken (and acknowledged) but not answered.
        s.user_sends(user, bot_a, "/start", None).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while app.count_where("inbox", "processed_at IS NOT NULL").await < 2 {
            assert!(Instant::now() < deadline, "the update was never taken");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(bot_messages(&sim, user, TOKEN_A, 0).await.len(), 1);

        // The dashboard says why, and refuses changes; reading still works.
        let me: Value = app.call_with(&a, "auth/me", &[], &[]).await.json();
        assert_eq!(me["suspended"], "unpaid invoice");
        let refused = app
            .call_with(
                &a,
                "bots/enabled",
                &[("id", bot["id"].as_str().unwrap()), ("enabled", "false")],
                &[],
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(
            refused.error(),
            AppError::Suspended {
                reason: Some("unpaid invoice".into())
            }
        );
        assert_eq!(list(&app, &a).await.len(), 1);
        let (status, _, page) = app.get_page_as(&a, "/bots").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("suspended by the platform operator (unpaid invoice)"),
            "{page}"
        );
        let tenants: Vec<Value> = app
            .call_with(&op, "operator/tenants", &[], &[])
            .await
            .json();
        let shop = tenants.iter().find(|t| t["name"] == "Shop A").unwrap();
        assert_eq!(shop["suspended"], "unpaid invoice");

        // Resumed: it answers again (the update sent meanwhile stays unanswered).
        let r = app
            .call_with(
                &op,
                "operator/suspend",
                &[("tenant", &shop_id), ("action", "resume")],
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        s.user_sends(user, bot_a, "/start", None).unwrap();
        let messages = bot_messages(&sim, user, TOKEN_A, 2).await;
        assert_eq!(messages.len(), 2);
        assert!(
            messages[1]["message"]["text"]
                .as_str()
                .unwrap()
                .contains("Shop A")
        );
        let me: Value = app.call_with(&a, "auth/me", &[], &[]).await.json();
        assert_eq!(me["suspended"], Value::Null);
    }
);

db_test!(
    usage_counts_a_bots_api_calls_for_its_tenant_only,
    |db| async move {
        let sim = sim().await;
        let app = spawn(db, &format!("telegram-api-url = \"{}\"\n", sim.api_url())).await;
        let a = tenant(&app, "a@example.com", "Shop A").await;
        let b = tenant(&app, "b@example.com", "Shop B").await;
        let bot: Value = connect(&app, &a, TOKEN_A).await.json();
        let bot_id = bot["id"].as_str().unwrap().to_owned();
        let s = sim.sim();
        let bot_a = s.bot_id("@shop_a_bot").unwrap();
        for name in ["Ua", "Ub", "Uc"] {
            let user = new_user(&sim, name, "en");
            s.user_sends(user, bot_a, "/start", None).unwrap();
            bot_messages(&sim, user, TOKEN_A, 1).await;
        }
        // Counted in memory, written every few seconds.
        let deadline = Instant::now() + Duration::from_secs(20);
        let usage = loop {
            let u: Value = app
                .call_with(&a, "usage/get", &[("bot", &bot_id), ("range", "hour")], &[])
                .await
                .json();
            let sent = u["by_method"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m[0] == "sendMessage")
                .map(|m| m[1][0].as_u64().unwrap());
            if sent == Some(3) {
                break u;
            }
            assert!(Instant::now() < deadline, "calls not counted: {u}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        assert_eq!(usage["bot"], bot_id.as_str());
        assert_eq!(usage["mode"], "polling");
        assert_eq!(usage["labels"].as_array().unwrap().len(), 60);
        let in_buckets: u64 = usage["counts"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|b| b.as_array().unwrap().iter().map(|n| n.as_u64().unwrap()))
            .sum();
        let by_method: u64 = usage["by_method"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|m| m[1].as_array().unwrap().iter().map(|n| n.as_u64().unwrap()))
            .sum();
        assert_eq!(in_buckets, by_method, "{usage}");
        assert!(
            usage["by_method"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m[0] == "getUpdates"),
            "{usage}"
        );
        assert_eq!(usage["entries_per_day"].as_array().unwrap().len(), 30);
        assert_eq!(usage["inbox_pending"], 0);
        // The dashboard's own calls for the bot count too: a token pasted again is
        // checked with getMe.
        let r = app
            .call_with(
                &a,
                "bots/token",
                &[("id", &bot_id), ("token", TOKEN_A)],
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let u: Value = app
                .call_with(&a, "usage/get", &[("bot", &bot_id), ("range", "hour")], &[])
                .await
                .json();
            if u["by_method"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m[0] == "getMe")
            {
                break;
            }
            assert!(Instant::now() < deadline, "getMe not counted: {u}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        // The day and month views hold the same calls.
        let day: Value = app
            .call_with(
                &a,
                "usage/get",
                &[("bot", &bot_id), ("range", "month")],
                &[],
            )
            .await
            .json();
        assert_eq!(day["labels"].as_array().unwrap().len(), 30);
        // Another tenant cannot read it; a made-up range is refused.
        let other = app
            .call_with(&b, "usage/get", &[("bot", &bot_id), ("range", "hour")], &[])
            .await;
        assert_eq!(other.error(), AppError::NotFound);
        let bad = app
            .call_with(&a, "usage/get", &[("bot", &bot_id), ("range", "year")], &[])
            .await;
        assert_eq!(bad.error(), AppError::BadRequest);
        // The page, without JavaScript: chart and table.
        let (status, _, page) = app.get_page_as(&a, "/usage?range=hour").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("data-testid=\"calls-chart\""), "{page}");
        assert!(page.contains("<code>sendMessage"), "{page}");
        assert!(page.contains("long polling"), "{page}");
    }
);
