//! Replacing a winner after the draw, over real HTTP: the next reserve takes the prize and
//! is told, the first result stays published with the reroll beside it, the verifier
//! replays it; bad input and another tenant's ids are refused.

use crate::bots::{TOKEN_A, TOKEN_B, connect};
use crate::giveaways::{
    Shop, advance, first_callback, form, join_by_link, nth_text, publish_new, running_window, shop,
    utc_tenant, wait_status, winner_numbers,
};
use crate::helpers::*;
use app::error::AppError;
use domain::draw::{CheckKind, Published, RerollReason};
use domain::{Conflict, ValidationError};
use serde_json::Value;
use std::time::{Duration, Instant};

/// The published record of drawn giveaway `id` — its entry list and facts — once `ready`
/// holds of the facts, polled until `within` has passed.
async fn record_when(
    app: &TestApp,
    id: &str,
    within: Duration,
    ready: impl Fn(&Published) -> bool,
) -> (String, Published) {
    let deadline = Instant::now() + within;
    loop {
        let record: Value = app.call("verify/record", &[("id", id)]).await.json();
        let p: Published = serde_json::from_value(record["published"].clone()).unwrap();
        if ready(&p) {
            return (record["entry_list"].as_str().unwrap().to_owned(), p);
        }
        assert!(Instant::now() < deadline, "not yet: {record}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

db_test!(
    a_winner_replaced_by_hand_is_published_beside_the_first_result,
    |db| async move {
        let Shop { sim, app, a, bot } = shop(db).await;
        let (starts, ends) = running_window();
        let mut f = form(&bot, &starts, &ends, "");
        f[4].1 = "2";
        let id = publish_new(&app, &a, &f).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let users = join_by_link(&sim, &id, "U", 6).await;
        advance(&app, 2 * 86_400).await;
        let drawn = wait_status(&app, &a, &id, "drawn").await;
        let first = winner_numbers(&drawn);
        let reserves: Vec<u64> = drawn["reserve_winners"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_u64().unwrap())
            .collect();
        assert_eq!((first.len(), reserves.len()), (3, 2));
        let loser = (1..=6u64)
            .find(|n| !first.contains(n) && !reserves.contains(n))
            .unwrap();

        let reroll = |c: &reqwest::Client, number: String, reason: &'static str| {
            let (c, id, app) = (c.clone(), id.clone(), &app);
            async move {
                app.call_with(
                    &c,
                    "giveaways/reroll",
                    &[("id", &id), ("number", &number), ("reason", reason)],
                    &[],
                )
                .await
            }
        };
        // Another tenant, a reason left out, a number that is not a winner: refused.
        let b = utc_tenant(&app, "b@example.com", "Club B").await;
        connect(&app, &b, TOKEN_B).await;
        assert_eq!(
            reroll(&b, first[0].to_string(), "x").await.error(),
            AppError::NotFound
        );
        assert_eq!(
            reroll(&a, first[0].to_string(), "  ").await.error(),
            AppError::Validation {
                field: domain::Field::RerollReason,
                code: ValidationError::Required
            }
        );
        assert_eq!(
            reroll(&a, loser.to_string(), "x").await.error(),
            AppError::Validation {
                field: domain::Field::RerollNumber,
                code: ValidationError::InvalidNumber
            }
        );

        // The first winner is replaced: the first reserve takes the same prize and is told.
        let after: Value = reroll(&a, first[0].to_string(), "did not answer for a week")
            .await
            .json();
        assert_eq!(after["winners"][0][0], reserves[0]);
        assert_eq!(after["winners"][0][1], "Gift card");
        assert_eq!(after["rerolls"][0]["reason"], "manual");
        let replacement = users[reserves[0] as usize - 1];
        let (told, _) = nth_text(&sim, replacement, TOKEN_A, 2).await;
        assert!(
            told.starts_with(&format!("🎉 Congratulations U{}!", reserves[0] - 1)),
            "{told}"
        );
        // The Mini App and "my giveaways" show the winners as they stand: the replacement
        // won, the replaced winner no longer (initData dated by the server's moved clock).
        let now: Value = app
            .client
            .post(format!("{}/test/clock", app.base))
            .json(&serde_json::json!({ "advance_secs": 0 }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let now = chrono::DateTime::parse_from_rfc3339(now["now"].as_str().unwrap())
            .unwrap()
            .timestamp();
        let bot_a = sim.sim().bot_id("@shop_a_bot").unwrap();
        let opened = |user: i64| {
            sim.sim().open_webapp(user, bot_a, None, Some(now)).unwrap()["init_data"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let page: Value = app
            .call(
                "m/giveaway",
                &[("id", &id), ("init_data", &opened(replacement))],
            )
            .await
            .json();
        assert_eq!(page["winners"][0][0], reserves[0]);
        let mine = |user: i64| {
            let (app, bot, init) = (&app, bot.clone(), opened(user));
            async move {
                let b: Value = app
                    .call("m/bot", &[("bot", &bot), ("init_data", &init)])
                    .await
                    .json();
                b["mine"][0]["prize"].clone()
            }
        };
        assert_eq!(mine(replacement).await, "Gift card");
        assert!(mine(users[first[0] as usize - 1]).await.is_null());

        // Published: the first result as it was, the reroll beside it, ✓ by the verifier.
        let record: Value = app.call("verify/record", &[("id", &id)]).await.json();
        let list = record["entry_list"].as_str().unwrap().to_owned();
        let p: Published = serde_json::from_value(record["published"].clone()).unwrap();
        assert_eq!(
            p.winners.iter().map(|w| u64::from(*w)).collect::<Vec<_>>(),
            first
        );
        assert_eq!(p.rerolls.len(), 1);
        assert_eq!(
            (
                u64::from(p.rerolls[0].replaced),
                u64::from(p.rerolls[0].replacement)
            ),
            (first[0], reserves[0])
        );
        assert_eq!(p.rerolls[0].reason, RerollReason::Manual);
        assert_eq!(p.rerolls[0].note, "did not answer for a week");
        let checks = domain::draw::verify(&list, &p).unwrap();
        assert_eq!(checks.len(), 4);
        assert!(checks.iter().all(|c| c.ok), "{checks:?}");
        // A published reroll that skipped the first reserve would be caught.
        let mut forged = p.clone();
        forged.rerolls[0].replacement = reserves[1] as u32;
        let checks = domain::draw::verify(&list, &forged).unwrap();
        assert!(checks.iter().any(|c| c.what == CheckKind::Rerolls && !c.ok));

        // The second reserve next; then none is left.
        let after: Value = reroll(&a, first[1].to_string(), "asked to pass")
            .await
            .json();
        assert_eq!(after["winners"][1][0], reserves[1]);
        assert_eq!(
            reroll(&a, first[2].to_string(), "x").await.error(),
            AppError::Conflict {
                what: Conflict::NoReserveLeft
            }
        );
    }
);

db_test!(
    a_prize_not_claimed_in_time_goes_to_the_next_reserve,
    |db| async move {
        let Shop { sim, app, a, bot } = shop(db).await;
        let s = sim.sim();
        let bot_a = s.bot_id("@shop_a_bot").unwrap();
        let (starts, ends) = running_window();
        let mut f = form(&bot, &starts, &ends, "");
        f[3].1 = "Gift card × 2";
        f[4].1 = "1";
        let mut bad = f.clone();
        bad.push(("claim_hours", "721"));
        assert_eq!(
            app.call_with(&a, "giveaways/save", &bad, &[]).await.error(),
            AppError::Validation {
                field: domain::Field::ClaimHours,
                code: ValidationError::InvalidNumber
            }
        );
        f.push(("claim_hours", "24"));
        let g = publish_new(&app, &a, &f).await;
        assert_eq!(g["claim_hours"], 24);
        let id = g["id"].as_str().unwrap().to_owned();
        let users = join_by_link(&sim, &id, "U", 4).await;
        advance(&app, 2 * 86_400).await;
        let drawn = wait_status(&app, &a, &id, "drawn").await;
        let winners = winner_numbers(&drawn);
        let reserve = drawn["reserve_winners"][0].as_u64().unwrap();
        let user_of = |n: u64| users[n as usize - 1];

        // Each winner's message asks them to claim, with the button.
        let press_claim = |u: i64| {
            let sim = &sim;
            async move {
                let (text, msg) = nth_text(sim, u, TOKEN_A, 2).await;
                assert!(text.contains("Press “✅ Claim” within 24 hours"), "{text}");
                let data = first_callback(&msg);
                sim.sim()
                    .user_presses(u, bot_a, u, msg["message_id"].as_i64().unwrap(), &data)
                    .unwrap();
            }
        };
        press_claim(user_of(winners[0])).await;
        assert_eq!(
            nth_text(&sim, user_of(winners[0]), TOKEN_A, 3).await.0,
            "✅ Claimed! The organiser will be in touch."
        );
        // The second winner lets the 24 hours pass: the reserve takes the prize and is told.
        advance(&app, 25 * 3600).await;
        let (list, p) = record_when(&app, &id, Duration::from_secs(20), |p| {
            !p.rerolls.is_empty()
        })
        .await;
        assert_eq!(p.rerolls.len(), 1, "the claimed prize stays");
        assert_eq!(
            (
                u64::from(p.rerolls[0].replaced),
                u64::from(p.rerolls[0].replacement)
            ),
            (winners[1], reserve)
        );
        assert_eq!(p.rerolls[0].reason, RerollReason::Unclaimed);
        assert!(
            domain::draw::verify(&list, &p)
                .unwrap()
                .iter()
                .all(|c| c.ok)
        );
        let (told, _) = nth_text(&sim, user_of(reserve), TOKEN_A, 2).await;
        assert!(
            told.starts_with("🎉 Congratulations") && told.contains("within 24 hours"),
            "{told}"
        );
        // The late winner's press now says so.
        press_claim(user_of(winners[1])).await;
        assert_eq!(
            nth_text(&sim, user_of(winners[1]), TOKEN_A, 3).await.0,
            "The time to claim has passed; the prize goes to the next reserve."
        );
        let g: Value = app
            .call_with(&a, "giveaways/get", &[("id", &id)], &[])
            .await
            .json();
        assert_eq!(g["winners"][1][0], reserve);
        // The dashboard's claims: the first claimed; the reserve's own window open.
        assert_eq!(g["claims"][0][0], winners[0]);
        assert_eq!(g["claims"][0][1], true);
        assert_eq!(g["claims"][1][0], reserve);
        assert_eq!(g["claims"][1][1], false);
        assert!(g["claims"][1][2].as_str().unwrap().len() == 16, "{g}");
    }
);

db_test!(
    a_winner_who_cannot_be_told_hands_the_prize_on,
    |db| async move {
        let Shop { sim, app, a, bot } = shop(db).await;
        let s = sim.sim();
        let bot_a = s.bot_id("@shop_a_bot").unwrap();
        let (starts, ends) = running_window();
        let mut f = form(&bot, &starts, &ends, "");
        f[3].1 = "Gift card × 3";
        f[4].1 = "3";
        f.push(("claim_hours", "48"));
        let id = publish_new(&app, &a, &f).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let users = join_by_link(&sim, &id, "U", 6).await;
        // Everyone but one blocks the bot before the draw: whoever of them wins cannot be told.
        for u in &users[1..] {
            s.user_blocks(*u, bot_a, true).unwrap();
        }
        advance(&app, 2 * 86_400).await;
        wait_status(&app, &a, &id, "drawn").await;
        // Done when every unreachable winner was replaced or the reserves ran out.
        let (list, p) = record_when(&app, &id, Duration::from_secs(30), |p| {
            let blocked_winners = p.winners.iter().filter(|w| **w != 1).count();
            p.rerolls.len() >= blocked_winners.min(3) && !p.rerolls.is_empty()
        })
        .await;
        assert!(
            p.rerolls
                .iter()
                .all(|r| r.reason == RerollReason::Unreachable),
            "{:?}",
            p.rerolls
        );
        assert!(
            p.rerolls.iter().all(|r| r.replaced != 1),
            "entry #1 was told and keeps its prize"
        );
        assert!(
            domain::draw::verify(&list, &p)
                .unwrap()
                .iter()
                .all(|c| c.ok)
        );
    }
);
