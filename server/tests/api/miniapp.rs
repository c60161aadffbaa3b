//! The Mini App over HTTP: the page's server functions with `initData` signed by the
//! simulator as Telegram would. A join goes through the captcha and the join queue like a
//! chat's; forged, stale or missing data changes nothing; another tenant's giveaway (or
//! bot) through one bot's app is "not found"; the bots offer the app (menu button, card).

use crate::bots::{TOKEN_A, TOKEN_B, connect, new_user, sim_get};
use crate::giveaways::{Shop, form, nth_text, publish_new, running_window, shop_with};
use crate::helpers::*;
use app::error::AppError;
use reqwest::StatusCode;
use serde_json::Value;

/// A shop whose public URL is https (so bots get webhooks and may offer the Mini App);
/// the simulator delivers the webhooks to the test server's plain-http address.
async fn https_shop(db: Db) -> Shop {
    let shop = shop_with(db, "public-url = \"https://127.0.0.1:9\"\n").await;
    let s = shop.sim.sim();
    let mut c = s.config();
    c.webhook_base_override = Some(shop.app.base.clone());
    s.set_config(c);
    shop
}

/// `initData` of bot `bot`'s app opened by `user` (dated `auth_date`, default now).
fn open(shop: &Shop, user: i64, bot: &str, auth_date: Option<i64>) -> String {
    let s = shop.sim.sim();
    let bot = s.bot_id(bot).unwrap();
    s.open_webapp(user, bot, None, auth_date).unwrap()["init_data"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn page(app: &TestApp, id: &str, init: &str) -> Answer {
    app.call("m/giveaway", &[("id", id), ("init_data", init)])
        .await
}

async fn join(app: &TestApp, id: &str, init: &str, answer: Option<u8>) -> Answer {
    let answer = answer.map(|a| a.to_string());
    let mut f = vec![("id", id), ("init_data", init)];
    if let Some(a) = &answer {
        f.push(("answer", a.as_str()));
    }
    app.call("m/join", &f).await
}

db_test!(
    a_join_from_the_mini_app_takes_the_same_path,
    |db| async move {
        let shop = https_shop(db).await;
        let Shop { sim, app, a, bot } = &shop;
        let s = sim.sim();

        // The bot's menu button opens its page.
        let state = sim_get(sim, &format!("/sim/bots/{TOKEN_A}/state")).await;
        assert_eq!(state["menu_button"]["type"], "web_app", "{state}");
        assert_eq!(
            state["menu_button"]["web_app"]["url"],
            format!("https://127.0.0.1:9/m/b/{bot}")
        );

        let (starts, ends) = running_window();
        let mut f = form(bot, &starts, &ends, "");
        f.push(("captcha", "on"));
        let id = publish_new(app, a, &f).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let u = new_user(sim, "小红", "zh-hans");
        let init = open(&shop, u, "@shop_a_bot", None);

        let g: Value = page(app, &id, &init).await.json();
        assert_eq!(g["status"], "open");
        assert_eq!(g["title"], "Big Autumn Draw");
        assert_eq!(g["locale"], "zh-CN", "the user's language: {g}");
        assert!(g["entry"].is_null());
        let captcha = g["captcha"].as_array().expect("a captcha is asked").clone();
        let sum = (captcha[0].as_u64().unwrap() + captcha[1].as_u64().unwrap()) as u8;
        let wrong = captcha[2]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_u64().unwrap() as u8)
            .find(|c| *c != sum)
            .unwrap();

        // No answer: the question, no entry. A wrong one: refused, no entry.
        let asked: Value = join(app, &id, &init, None).await.json();
        assert_eq!(asked["joined"], false);
        assert!(asked["text"].as_str().unwrap().contains('+'), "{asked}");
        let refused: Value = join(app, &id, &init, Some(wrong)).await.json();
        assert_eq!(refused["joined"], false);
        assert_eq!(app.count("entries").await, 0);

        let joined: Value = join(app, &id, &init, Some(sum)).await.json();
        assert_eq!(joined["joined"], true, "{joined}");
        assert!(joined["text"].as_str().unwrap().contains("#1"), "{joined}");
        assert_eq!(
            app.count_where(
                "entries",
                &format!("via = 'mini_app' AND telegram_user_id = {u}")
            )
            .await,
            1
        );
        // Once: again is "already joined", the same number.
        let again: Value = join(app, &id, &init, Some(sum)).await.json();
        assert_eq!(again["joined"], true);
        assert!(again["text"].as_str().unwrap().contains("#1"), "{again}");
        assert_eq!(app.count("entries").await, 1);
        let g: Value = page(app, &id, &init).await.json();
        assert_eq!(g["entry"][0], 1);
        assert!(g["captcha"].is_null());
        assert_eq!(g["entries"], 1);

        // The bot's page lists the giveaway and the user's entry.
        let b: Value = app
            .call("m/bot", &[("bot", bot), ("init_data", &init)])
            .await
            .json();
        assert_eq!(b["shop"], "Shop A");
        assert_eq!(b["open"][0]["id"], id.as_str());
        assert_eq!(b["mine"][0]["number"], 1);

        // In the chat, the giveaway's card carries a button that opens its page.
        let v = new_user(sim, "Viewer", "en");
        let bot_a = s.bot_id("@shop_a_bot").unwrap();
        s.user_sends(v, bot_a, "/start", None).unwrap();
        let (_, menu) = nth_text(sim, v, TOKEN_A, 1).await;
        s.user_presses(v, bot_a, v, menu["message_id"].as_i64().unwrap(), "m:join")
            .unwrap();
        let (_, card) = nth_text(sim, v, TOKEN_A, 2).await;
        let app_url = card["reply_markup"]["inline_keyboard"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|row| row.as_array().unwrap().iter())
            .find_map(|b| b["web_app"]["url"].as_str().map(str::to_owned));
        assert_eq!(
            app_url,
            Some(format!("https://127.0.0.1:9/m/g/{id}")),
            "{card}"
        );
    }
);

db_test!(
    forged_stale_or_missing_data_changes_nothing,
    |db| async move {
        let shop = https_shop(db).await;
        let Shop { sim, app, a, bot } = &shop;
        let (starts, ends) = running_window();
        let id = publish_new(app, a, &form(bot, &starts, &ends, "")).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let u = new_user(sim, "Mallory", "en");
        let other = new_user(sim, "Victim", "en");
        let init = open(&shop, u, "@shop_a_bot", None);

        // Another user's id put into signed data: the signature no longer matches.
        let forged = init.replace(&u.to_string(), &other.to_string());
        assert_ne!(forged, init);
        for answer in [
            page(app, &id, &forged).await,
            join(app, &id, &forged, None).await,
        ] {
            assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.body);
        }
        // Signed, but an hour and more ago.
        let now = chrono::Utc::now().timestamp();
        let stale = open(&shop, u, "@shop_a_bot", Some(now - 3_700));
        let answer = join(app, &id, &stale, None).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(answer.error(), AppError::MiniAppData { expired: true });
        // No data (the page opened outside Telegram), or not a query string at all.
        for raw in ["", "%%%", "hash=00", "user=%7B%7D&auth_date=1&hash=zz"] {
            let answer = join(app, &id, raw, None).await;
            assert!(
                matches!(
                    answer.status,
                    StatusCode::UNAUTHORIZED | StatusCode::NOT_FOUND
                ),
                "{raw}: {} {}",
                answer.status,
                answer.body
            );
        }
        assert_eq!(
            join(app, &id, "", None).await.error(),
            AppError::MiniAppData { expired: false }
        );
        // Not an id at all, and a draft's id: not found.
        assert_eq!(
            join(app, "../../x", &init, None).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(app.count("entries").await, 0, "nothing joined");

        // The genuine data still works.
        let ok: Value = join(app, &id, &init, None).await.json();
        assert_eq!(ok["joined"], true);
        assert_eq!(app.count("entries").await, 1);
    }
);

db_test!(
    another_tenants_giveaway_is_not_found_through_ones_app,
    |db| async move {
        let shop = https_shop(db).await;
        let Shop { sim, app, a, bot } = &shop;
        let b = utc_b(app).await;
        let bot_b: Value = connect(app, &b, TOKEN_B).await.json();
        let bot_b = bot_b["id"].as_str().unwrap().to_owned();
        let (starts, ends) = running_window();
        let theirs = publish_new(app, &b, &form(&bot_b, &starts, &ends, "")).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let ours = publish_new(app, a, &form(bot, &starts, &ends, "")).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let u = new_user(sim, "Wanderer", "en");
        // Opened from bot A's app, asking for tenant B's giveaway or bot.
        let init = open(&shop, u, "@shop_a_bot", None);
        assert_eq!(
            page(app, &theirs, &init).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            join(app, &theirs, &init, None).await.status,
            StatusCode::NOT_FOUND
        );
        let answer = app
            .call("m/bot", &[("bot", &bot_b), ("init_data", &init)])
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        assert_eq!(app.count("entries").await, 0);
        // Bot B's own app opens it; bot A's opens A's.
        let init_b = open(&shop, u, "@club_b_bot", None);
        assert_eq!(page(app, &theirs, &init_b).await.status, StatusCode::OK);
        assert_eq!(page(app, &ours, &init).await.status, StatusCode::OK);
        assert_eq!(
            page(app, &ours, &init_b).await.status,
            StatusCode::NOT_FOUND
        );
    }
);

async fn utc_b(app: &TestApp) -> reqwest::Client {
    crate::giveaways::utc_tenant(app, "b@example.com", "Club B").await
}

db_test!(
    the_conditions_are_checked_live_for_the_user,
    |db| async move {
        let shop = https_shop(db).await;
        let Shop { sim, app, a, bot } = &shop;
        let s = sim.sim();
        let bot_a = s.bot_id("@shop_a_bot").unwrap();
        let channel = s
            .create_chat(
                telegram_sim::ChatKind::Channel,
                "Mini news".into(),
                Some("mini_news".into()),
            )
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        s.set_member(channel, bot_a, "administrator").unwrap();
        let (starts, ends) = running_window();
        let id = publish_new(app, a, &form(bot, &starts, &ends, "@mini_news")).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let u = new_user(sim, "Newcomer", "en");
        let init = open(&shop, u, "@shop_a_bot", None);

        let g: Value = page(app, &id, &init).await.json();
        assert_eq!(g["conditions"][0]["chat"], "@mini_news");
        assert_eq!(g["conditions"][0]["met"], false);
        let refused: Value = join(app, &id, &init, None).await.json();
        assert_eq!(refused["joined"], false);
        assert!(
            refused["text"].as_str().unwrap().contains("@mini_news"),
            "says which chat: {refused}"
        );
        assert_eq!(app.count("entries").await, 0);

        s.set_member(channel, u, "member").unwrap();
        let g: Value = page(app, &id, &init).await.json();
        assert_eq!(g["conditions"][0]["met"], true);
        let joined: Value = join(app, &id, &init, None).await.json();
        assert_eq!(joined["joined"], true, "{joined}");
        assert_eq!(app.count("entries").await, 1);
    }
);
