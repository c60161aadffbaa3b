//! Prize codes over real HTTP and the simulator: uploaded per prize (pasted or CSV),
//! sealed at rest and never in the outbox, shown to their own tenant only, carried in
//! the winner's message; with a claim window a code goes out when the winner claims, and
//! a reserve who steps in for a winner who did not claim gets the code that winner never
//! received.

use crate::bots::{TOKEN_A, TOKEN_B, connect};
use crate::giveaways::{
    Shop, advance, first_callback, form, join_by_link, nth_text, publish_new, running_window, shop,
    utc_tenant, wait_status, winner_numbers,
};
use crate::helpers::*;
use app::error::AppError;
use domain::{Conflict, ValidationError};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Uploads `codes` for prize `prize` of giveaway `id`: (added, already there).
async fn upload(
    app: &TestApp,
    c: &reqwest::Client,
    id: &str,
    prize: &str,
    codes: &str,
) -> (u64, u64) {
    let v: Value = app
        .call_with(
            c,
            "giveaways/codes/add",
            &[("id", id), ("prize", prize), ("codes", codes)],
            &[],
        )
        .await
        .json();
    (v[0].as_u64().unwrap(), v[1].as_u64().unwrap())
}

/// The codes of giveaway `id` as its tenant sees them.
async fn codes(app: &TestApp, c: &reqwest::Client, id: &str) -> Vec<Value> {
    let v: Value = app
        .call_with(c, "giveaways/codes", &[("id", id)], &[])
        .await
        .json();
    v["codes"].as_array().unwrap().clone()
}

/// The code a winner's message carries, after "Your code: ".
fn code_in(text: &str) -> Option<String> {
    text.split("🎟 Your code: ")
        .nth(1)
        .map(|rest| rest.lines().next().unwrap_or_default().to_owned())
}

db_test!(
    codes_reach_the_winners_sealed_and_for_their_tenant_only,
    |db| async move {
        let Shop { sim, app, a, bot } = shop(db).await;
        let (starts, ends) = running_window();

        // A draft first: its prizes cannot change while codes are uploaded for them.
        let mut f = form(&bot, &starts, &ends, "");
        f[3].1 = "Gift card × 2\nMug × 1";
        f[4].1 = "1";
        let draft: Value = app.call_with(&a, "giveaways/save", &f, &[]).await.json();
        let id = draft["id"].as_str().unwrap().to_owned();

        // Refused: another tenant's giveaway, a prize that is not in the list, no codes,
        // a code with a control character.
        let b = utc_tenant(&app, "b@example.com", "Club B").await;
        connect(&app, &b, TOKEN_B).await;
        let add = |c: &reqwest::Client, prize: &'static str, text: &'static str| {
            let (c, id, app) = (c.clone(), id.clone(), &app);
            async move {
                app.call_with(
                    &c,
                    "giveaways/codes/add",
                    &[("id", &id), ("prize", prize), ("codes", text)],
                    &[],
                )
                .await
            }
        };
        assert_eq!(add(&b, "0", "X").await.error(), AppError::NotFound);
        assert_eq!(
            app.call_with(&b, "giveaways/codes", &[("id", &id)], &[])
                .await
                .error(),
            AppError::NotFound
        );
        assert_eq!(
            app.call_with(&b, "giveaways/codes/remove", &[("id", &id)], &[])
                .await
                .error(),
            AppError::NotFound
        );
        assert_eq!(
            add(&a, "2", "X").await.error(),
            AppError::Validation {
                field: domain::Field::CodePrize,
                code: ValidationError::InvalidNumber
            }
        );
        assert_eq!(
            add(&a, "0", " \n ").await.error(),
            AppError::Validation {
                field: domain::Field::Codes,
                code: ValidationError::Required
            }
        );
        assert_eq!(
            add(&a, "0", "GOOD\nBAD\u{1b}[0m").await.error(),
            AppError::Validation {
                field: domain::Field::Codes,
                code: ValidationError::ForbiddenCharacters
            }
        );
        assert_eq!(
            app.count("prize_codes").await,
            0,
            "a refused upload adds nothing"
        );

        // Pasted, pasted again with one already there, and a CSV for the mug.
        assert_eq!(upload(&app, &a, &id, "0", "GC-1\nGC-2\nGC-3").await, (3, 0));
        assert_eq!(upload(&app, &a, &id, "0", "GC-3\nGC-4\n").await, (1, 1));
        assert_eq!(
            upload(&app, &a, &id, "1", "code,note\n\"MUG-1\",blue\n").await,
            (1, 0)
        );
        // Sealed at rest.
        assert_eq!(app.count("prize_codes").await, 5);
        assert_eq!(
            app.count_where("prize_codes", "sealed LIKE '%GC-%'").await,
            0
        );
        assert_eq!(
            app.count_where("prize_codes", "sealed LIKE '%MUG%'").await,
            0
        );

        // The prizes are fixed while codes exist; removing the unused ones frees them.
        let mut changed = f.clone();
        changed[0].1 = &id;
        changed[3].1 = "Mug × 1\nGift card × 2";
        assert_eq!(
            app.call_with(&a, "giveaways/save", &changed, &[])
                .await
                .error(),
            AppError::Conflict {
                what: Conflict::PrizeCodes
            }
        );
        let removed: Value = app
            .call_with(&a, "giveaways/codes/remove", &[("id", &id)], &[])
            .await
            .json();
        assert_eq!(removed, 5);
        upload(&app, &a, &id, "0", "GC-1\nGC-2\nGC-3\nGC-4").await;
        upload(&app, &a, &id, "1", "MUG-1").await;

        // Published and drawn: each winner's message carries a code of their prize.
        let published: Value = app
            .call_with(&a, "giveaways/publish", &[("id", &id)], &[])
            .await
            .json();
        assert_eq!(published["status"], "open");
        let users = join_by_link(&sim, &id, "U", 5).await;
        advance(&app, 2 * 86_400).await;
        let drawn = wait_status(&app, &a, &id, "drawn").await;
        let winners = winner_numbers(&drawn);
        let mut got = Vec::new();
        for (i, n) in winners.iter().enumerate() {
            let (text, _) = nth_text(&sim, users[*n as usize - 1], TOKEN_A, 2).await;
            let code = code_in(&text).unwrap_or_else(|| panic!("no code in {text}"));
            if i < 2 {
                assert!(code.starts_with("GC-"), "{text}");
            } else {
                assert_eq!(code, "MUG-1", "{text}");
            }
            got.push(code);
        }
        got.sort();
        got.dedup();
        assert_eq!(got.len(), 3, "each winner a different code");
        // Only references in the outbox, never a code.
        assert_eq!(app.count_where("outbox", "payload LIKE '%GC-%'").await, 0);
        assert_eq!(app.count_where("outbox", "payload LIKE '%MUG-1%'").await, 0);

        // The tenant sees which code went to whom.
        let listed = codes(&app, &a, &id).await;
        assert_eq!(listed.len(), 5);
        for n in &winners {
            assert_eq!(
                listed.iter().filter(|c| c["number"] == *n).count(),
                1,
                "{listed:?}"
            );
        }

        // A winner replaced by hand after seeing their code keeps it; the reserve gets
        // the next free one.
        let reserve = drawn["reserve_winners"][0].as_u64().unwrap();
        wait_sent(&app, winners.len()).await;
        app.call_with(
            &a,
            "giveaways/reroll",
            &[
                ("id", &id),
                ("number", &winners[0].to_string()),
                ("reason", "duplicate account"),
            ],
            &[],
        )
        .await
        .json::<Value>();
        let (text, _) = nth_text(&sim, users[reserve as usize - 1], TOKEN_A, 2).await;
        let code = code_in(&text).unwrap();
        assert!(code.starts_with("GC-") && !got.contains(&code), "{text}");
        let listed = codes(&app, &a, &id).await;
        assert_eq!(listed.iter().filter(|c| c["number"].is_u64()).count(), 4);
    }
);

/// Waits until `n` winners' messages were sent.
async fn wait_sent(app: &TestApp, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while app
        .count_where("outbox", "kind = 'winner_dm' AND status = 'sent'")
        .await
        < n as i64
    {
        assert!(Instant::now() < deadline, "winners' messages not sent");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

db_test!(
    with_a_claim_window_the_code_goes_to_whoever_claims,
    |db| async move {
        let Shop { sim, app, a, bot } = shop(db).await;
        let s = sim.sim();
        let bot_a = s.bot_id("@shop_a_bot").unwrap();
        let (starts, ends) = running_window();
        let mut f = form(&bot, &starts, &ends, "");
        f[3].1 = "Gift card × 1";
        f[4].1 = "1";
        f.push(("claim_hours", "24"));
        let id = publish_new(&app, &a, &f).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(upload(&app, &a, &id, "0", "ONLY-1").await, (1, 0));
        let users = join_by_link(&sim, &id, "U", 3).await;
        advance(&app, 2 * 86_400).await;
        let drawn = wait_status(&app, &a, &id, "drawn").await;
        let winner = winner_numbers(&drawn)[0];
        let reserve = drawn["reserve_winners"][0].as_u64().unwrap();

        // The winner is told to claim for the code; no code yet, none given.
        let (text, _) = nth_text(&sim, users[winner as usize - 1], TOKEN_A, 2).await;
        assert!(
            text.contains("Press “✅ Claim” to receive your code."),
            "{text}"
        );
        assert!(code_in(&text).is_none(), "{text}");
        assert_eq!(
            app.count_where("prize_codes", "number IS NOT NULL").await,
            0
        );

        // They let the window pass: the reserve steps in, claims, and gets the code.
        advance(&app, 25 * 3600).await;
        let u = users[reserve as usize - 1];
        let (text, msg) = nth_text(&sim, u, TOKEN_A, 2).await;
        assert!(text.contains("to receive your code"), "{text}");
        let data = first_callback(&msg);
        let press = || {
            s.user_presses(u, bot_a, u, msg["message_id"].as_i64().unwrap(), &data)
                .unwrap()
        };
        press();
        let m = crate::bots::bot_messages(&sim, u, TOKEN_A, 4).await;
        let texts: Vec<&str> = m[2..4]
            .iter()
            .map(|x| x["message"]["text"].as_str().unwrap())
            .collect();
        assert!(
            texts.contains(&"✅ Claimed! The organiser will be in touch."),
            "{texts:?}"
        );
        assert!(
            texts.contains(&"✅ Claimed! Your code for Gift card in “Big Autumn Draw”:\nONLY-1"),
            "{texts:?}"
        );
        // A second press sends no second code.
        press();
        nth_text(&sim, u, TOKEN_A, 5).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(app.count_where("outbox", "kind = 'prize_code'").await, 1);
        let listed = codes(&app, &a, &id).await;
        assert_eq!(listed[0]["number"], reserve);
        assert_eq!(listed[0]["claimed"], true);
        assert_eq!(listed[0]["code"], "ONLY-1");
    }
);
