//! Entry rules over real HTTP and the simulator: Telegram Premium only, no recent
//! winners of the tenant's giveaways, a boost as a condition (at the join and again at
//! the draw) and as extra tickets; a minimum account age estimated from the user id; each
//! refusal says its exact reason.

use crate::bots::{TOKEN_A, new_user};
use crate::giveaways::{
    Shop, advance, form, local, nth_text, publish_new, running_window, shop, shop_with,
    wait_status, winner_numbers,
};
use crate::helpers::*;
use app::error::AppError;
use domain::ValidationError;
use serde_json::Value;
use telegram_sim::ChatKind;

fn window(from_mins: i64, to_days: i64) -> (String, String) {
    let now = chrono::Utc::now();
    (
        local(now + chrono::Duration::minutes(from_mins)),
        local(now + chrono::Duration::days(to_days)),
    )
}

db_test!(premium_only_and_no_recent_winners, |db| async move {
    let Shop { sim, app, a, bot } = shop(db).await;
    let s = sim.sim();
    let bot_a = s.bot_id("@shop_a_bot").unwrap();

    // A first giveaway, won by its only entrant.
    let (starts, ends) = window(-5, 1);
    let mut f = form(&bot, &starts, &ends, "");
    f[3].1 = "Mug × 1";
    f[4].1 = "0";
    let first = publish_new(&app, &a, &f).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let winner = new_user(&sim, "Lucky", "en");
    s.user_sends(winner, bot_a, &format!("/start g_{first}"), None)
        .unwrap();
    nth_text(&sim, winner, TOKEN_A, 1).await;

    // The second: Premium only, no winner of the last 30 days. It opens after the first
    // is drawn (two days on the test clock).
    let (starts, ends) = window(2 * 24 * 60 - 5, 5);
    let mut f = form(&bot, &starts, &ends, "");
    f.push(("premium_only", "on"));
    let mut bad = f.clone();
    bad.push(("past_winner_days", "many"));
    assert_eq!(
        app.call_with(&a, "giveaways/save", &bad, &[]).await.error(),
        AppError::Validation {
            field: domain::Field::PastWinnerDays,
            code: ValidationError::InvalidNumber
        }
    );
    f.push(("past_winner_days", "30"));
    let g = publish_new(&app, &a, &f).await;
    assert_eq!(
        (g["premium_only"].clone(), g["past_winner_days"].clone()),
        (true.into(), 30.into())
    );
    let second = g["id"].as_str().unwrap().to_owned();

    advance(&app, 2 * 86_400).await;
    let drawn = wait_status(&app, &a, &first, "drawn").await;
    assert_eq!(drawn["winners"][0][0], 1);

    let plain = new_user(&sim, "Plain", "en");
    s.user_sends(plain, bot_a, &format!("/start g_{second}"), None)
        .unwrap();
    assert_eq!(
        nth_text(&sim, plain, TOKEN_A, 1).await.0,
        "This giveaway is for Telegram Premium users only."
    );
    s.set_premium(plain, true).unwrap();
    s.user_sends(plain, bot_a, &format!("/start g_{second}"), None)
        .unwrap();
    assert!(
        nth_text(&sim, plain, TOKEN_A, 2)
            .await
            .0
            .contains("entry number is #1")
    );

    assert!(
        nth_text(&sim, winner, TOKEN_A, 2)
            .await
            .0
            .starts_with("🎉 Congratulations Lucky!")
    );
    s.set_premium(winner, true).unwrap();
    s.user_sends(winner, bot_a, &format!("/start g_{second}"), None)
        .unwrap();
    assert_eq!(
        nth_text(&sim, winner, TOKEN_A, 3).await.0,
        "You won one of Shop A's giveaways in the last 30 days, so you cannot join this one."
    );
    let zh = new_user(&sim, "小红", "zh-hans");
    s.user_sends(zh, bot_a, &format!("/start g_{second}"), None)
        .unwrap();
    assert_eq!(
        nth_text(&sim, zh, TOKEN_A, 1).await.0,
        "这个抽奖只限 Telegram Premium 用户参加。"
    );
    assert_eq!(
        app.count_where("entries", &format!("telegram_user_id = {winner}"))
            .await,
        1,
        "the winner is in the first giveaway only"
    );
});

db_test!(boosts_as_a_condition_and_as_tickets, |db| async move {
    let Shop { sim, app, a, bot } = shop(db).await;
    let s = sim.sim();
    let bot_a = s.bot_id("@shop_a_bot").unwrap();
    let channel = s
        .create_chat(
            ChatKind::Channel,
            "Boost news".into(),
            Some("boost_news".into()),
        )
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    s.set_member(channel, bot_a, "administrator").unwrap();

    let (starts, ends) = window(-5, 1);
    let mut f = form(&bot, &starts, &ends, "");
    let mut no_chat = f.clone();
    no_chat.push(("boost_tickets_cap", "2"));
    assert_eq!(
        app.call_with(&a, "giveaways/save", &no_chat, &[])
            .await
            .error(),
        AppError::Validation {
            field: domain::Field::BoostChat,
            code: ValidationError::Required
        }
    );
    f.extend([
        ("boost_chat", "t.me/boost_news"),
        ("boost_required", "on"),
        ("boost_tickets_cap", "2"),
    ]);
    let g = publish_new(&app, &a, &f).await;
    assert_eq!(g["boost_chat"], "@boost_news");
    let id = g["id"].as_str().unwrap().to_owned();

    let none = new_user(&sim, "NoBoost", "en");
    s.user_sends(none, bot_a, &format!("/start g_{id}"), None)
        .unwrap();
    assert_eq!(
        nth_text(&sim, none, TOKEN_A, 1).await.0,
        "One more step: boost @boost_news first, then tap Join again."
    );
    // Three boosts: two extra tickets (the cap). One boost: one extra.
    let big = new_user(&sim, "BigFan", "en");
    s.set_premium(big, true).unwrap();
    for _ in 0..3 {
        s.add_boost(channel, big).unwrap();
    }
    let small = new_user(&sim, "SmallFan", "en");
    s.set_premium(small, true).unwrap();
    let small_boost = s.add_boost(channel, small).unwrap();
    for (u, n) in [(big, 1), (small, 2)] {
        s.user_sends(u, bot_a, &format!("/start g_{id}"), None)
            .unwrap();
        let text = nth_text(&sim, u, TOKEN_A, 1).await.0;
        assert!(text.contains(&format!("entry number is #{n}")), "{text}");
    }
    // The small fan's boost goes before the draw: their pick is skipped.
    s.remove_boost(channel, &small_boost).unwrap();
    advance(&app, 2 * 86_400).await;
    let drawn = wait_status(&app, &a, &id, "drawn").await;
    let winners = winner_numbers(&drawn);
    assert_eq!(winners, [1]);
    assert_eq!(drawn["skipped"], serde_json::json!([2]));

    let record: Value = app.call("verify/record", &[("id", &id)]).await.json();
    let list = record["entry_list"].as_str().unwrap();
    let tickets: Vec<&str> = list
        .lines()
        .map(|l| l.rsplit(' ').next().unwrap())
        .collect();
    assert_eq!(tickets, ["3", "2"], "{list}");
    let published: domain::draw::Published =
        serde_json::from_value(record["published"].clone()).unwrap();
    assert!(
        domain::draw::verify(list, &published)
            .unwrap()
            .iter()
            .all(|c| c.ok)
    );
});

db_test!(
    a_minimum_account_age_refuses_new_accounts,
    |db| async move {
        // The deployment knows a newer point: id 7,000,000,000 signed up ten days ago.
        let ten_days_ago = (chrono::Utc::now() - chrono::Duration::days(10)).format("%Y-%m-%d");
        let Shop { sim, app, a, bot } = shop_with(
            db,
            &format!("account-age-points = \"7000000000={ten_days_ago}\"\n"),
        )
        .await;
        let s = sim.sim();
        let bot_a = s.bot_id("@shop_a_bot").unwrap();
        let (starts, ends) = running_window();
        let mut f = form(&bot, &starts, &ends, "");
        let mut bad = f.clone();
        bad.push(("min_account_days", "3651"));
        assert_eq!(
            app.call_with(&a, "giveaways/save", &bad, &[]).await.error(),
            AppError::Validation {
                field: domain::Field::MinAccountDays,
                code: ValidationError::InvalidNumber
            }
        );
        f.push(("min_account_days", "30"));
        let g = publish_new(&app, &a, &f).await;
        assert_eq!(g["min_account_days"], 30);
        let id = g["id"].as_str().unwrap().to_owned();

        let user = |id: i64, name: &str, lang: &str| {
            s.create_user(Some(id), name.into(), None, None, Some(lang.into()))
                .unwrap();
            id
        };
        // 2013, and between the 2021 point and ten days ago: old enough.
        let old = user(1_000_000, "Old", "en");
        let middle = user(4_000_000_000, "Middle", "en");
        // Past the newest point: younger than ten days, so not 30 days old.
        let fresh = user(7_100_000_000, "Fresh", "en");
        let fresh_zh = user(7_100_000_001, "新号", "zh-hans");
        for u in [old, middle, fresh, fresh_zh] {
            s.user_sends(u, bot_a, &format!("/start g_{id}"), None)
                .unwrap();
        }
        for u in [old, middle] {
            let (text, _) = nth_text(&sim, u, TOKEN_A, 1).await;
            assert!(text.contains("entry number is #"), "{text}");
        }
        assert_eq!(
            nth_text(&sim, fresh, TOKEN_A, 1).await.0,
            "This giveaway is for accounts at least 30 days old (estimated from the user id)."
        );
        assert_eq!(
            nth_text(&sim, fresh_zh, TOKEN_A, 1).await.0,
            "这个抽奖只限注册满 30 天的账号参加（按用户 ID 估算）。"
        );
        assert_eq!(app.count("entries").await, 2);
    }
);
