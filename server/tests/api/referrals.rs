//! Invite-a-friend tickets over real HTTP and the simulator: personal links, counting
//! (self, twice, cap), the inviter told, another tenant's bot refused, the form's
//! checks, and the tickets published in the list and weighed by a draw that verifies.

use crate::bots::{TOKEN_A, TOKEN_B, connect, new_user};
use crate::giveaways::{
    Shop, advance, form, nth_text, publish_new, running_window, shop, utc_tenant, wait_status,
};
use crate::helpers::*;
use app::error::AppError;
use domain::ValidationError;
use domain::draw::Protocol;
use serde_json::Value;

/// (number, tickets, referrals, referred_by) of every entry of giveaway `id`, by number.
async fn entries_of(app: &TestApp, id: &str) -> Vec<(i32, i32, i32, Option<i32>)> {
    use backend::entities::{entries, giveaways};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let g = giveaways::Entity::find()
        .filter(giveaways::Column::PublicId.eq(id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    entries::Entity::find()
        .filter(entries::Column::GiveawayId.eq(g.id))
        .order_by_asc(entries::Column::Number)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.number, e.tickets, e.referrals, e.referred_by))
        .collect()
}

db_test!(
    friends_who_join_through_a_link_give_tickets_up_to_the_cap,
    |db| async move {
        let Shop { sim, app, a, bot } = shop(db).await;
        let s = sim.sim();
        let bot_a = s.bot_id("@shop_a_bot").unwrap();
        let (starts, ends) = running_window();
        let mut f = form(&bot, &starts, &ends, "");

        // The cap is checked like every field.
        for bad in ["101", "-1", "two"] {
            let mut g = f.clone();
            g.push(("referral_cap", bad));
            let r = app.call_with(&a, "giveaways/save", &g, &[]).await;
            assert_eq!(
                r.error(),
                AppError::Validation {
                    field: domain::Field::ReferralCap,
                    code: ValidationError::InvalidNumber
                },
                "{bad}"
            );
        }
        f.push(("referral_cap", "2"));
        let g = publish_new(&app, &a, &f).await;
        assert_eq!(g["referral_cap"], 2, "{g}");
        let id = g["id"].as_str().unwrap().to_owned();

        // The first entrant is told their own link.
        let inviter = new_user(&sim, "Inviter", "en");
        s.user_sends(inviter, bot_a, &format!("/start g_{id}"), None)
            .unwrap();
        let (text, _) = nth_text(&sim, inviter, TOKEN_A, 1).await;
        let link = format!("https://t.me/shop_a_bot?start=r_{id}_1");
        assert!(
            text.contains("entry number is #1")
                && text.contains(&link)
                && text.contains("up to 2 more"),
            "{text}"
        );

        // Three friends come through it: two tickets gained, the third one is past the cap.
        let mut friends = Vec::new();
        for i in 0..3 {
            let u = new_user(&sim, &format!("Friend{i}"), "zh-hans");
            s.user_sends(u, bot_a, &format!("/start r_{id}_1"), None)
                .unwrap();
            let (text, _) = nth_text(&sim, u, TOKEN_A, 1).await;
            assert!(
                text.starts_with(&format!("✅ 参与成功！你的编号是 #{}", i + 2)),
                "{text}"
            );
            assert!(text.contains(&format!("start=r_{id}_{}", i + 2)), "{text}");
            friends.push(u);
            let (told, _) = nth_text(&sim, inviter, TOKEN_A, 2 + i).await;
            let expected = match i {
                0 => {
                    "🎟 A friend joined “Big Autumn Draw” through your link! You now have 2 tickets."
                }
                1 => {
                    "🎟 A friend joined “Big Autumn Draw” through your link! You now have 3 tickets."
                }
                _ => {
                    "🎟 A friend joined “Big Autumn Draw” through your link. You already have the most tickets this giveaway allows: 3."
                }
            };
            assert_eq!(told, expected);
        }
        // A friend who opens the link again, and the inviter opening their own: already in,
        // nothing counted again.
        s.user_sends(friends[0], bot_a, &format!("/start r_{id}_1"), None)
            .unwrap();
        let (text, _) = nth_text(&sim, friends[0], TOKEN_A, 2).await;
        assert!(text.starts_with("你已经参与过了，编号 #2"), "{text}");
        s.user_sends(inviter, bot_a, &format!("/start r_{id}_1"), None)
            .unwrap();
        let (text, _) = nth_text(&sim, inviter, TOKEN_A, 5).await;
        assert!(
            text.starts_with("You have already joined: entry #1"),
            "{text}"
        );
        // A link naming no entry: the user joins, nobody is credited.
        let stray = new_user(&sim, "Stray", "en");
        s.user_sends(stray, bot_a, &format!("/start r_{id}_99"), None)
            .unwrap();
        let (text, _) = nth_text(&sim, stray, TOKEN_A, 1).await;
        assert!(text.contains("entry number is #5"), "{text}");

        // Another tenant's bot does not know the giveaway: nothing joined, nothing kept.
        let b = utc_tenant(&app, "b@example.com", "Club B").await;
        connect(&app, &b, TOKEN_B).await;
        let bot_b = s.bot_id("@club_b_bot").unwrap();
        let outsider = new_user(&sim, "Outsider", "en");
        s.user_sends(outsider, bot_b, &format!("/start r_{id}_1"), None)
            .unwrap();
        assert_eq!(
            nth_text(&sim, outsider, TOKEN_B, 1).await.0,
            "Giveaway not found."
        );

        assert_eq!(
            entries_of(&app, &id).await,
            vec![
                (1, 3, 3, None),
                (2, 1, 0, Some(1)),
                (3, 1, 0, Some(1)),
                (4, 1, 0, Some(1)),
                (5, 1, 0, None),
            ]
        );
        assert_eq!(
            app.count_where("referral_links", &format!("telegram_user_id = {outsider}"))
                .await,
            0
        );

        // The tenant sees tickets and referrals in the entries table and the CSV.
        let table: Value = app
            .call_with(
                &a,
                "giveaways/entries",
                &[("id", &id), ("q", ""), ("page", "0")],
                &[],
            )
            .await
            .json();
        assert_eq!(
            (
                table["rows"][0]["tickets"].clone(),
                table["rows"][0]["referrals"].clone()
            ),
            (3.into(), 3.into())
        );
        let csv = a
            .get(format!("{}/giveaways/{id}/entries.csv", app.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let mut lines = csv.lines();
        assert!(lines.next().unwrap().ends_with(",tickets,referrals"));
        assert!(lines.next().unwrap().ends_with(",3,3"), "{csv}");

        // The draw weighs the published tickets and verifies.
        advance(&app, 2 * 86_400).await;
        wait_status(&app, &a, &id, "drawn").await;
        let record: Value = app.call("verify/record", &[("id", &id)]).await.json();
        let list = record["entry_list"].as_str().unwrap().to_owned();
        let published: domain::draw::Published =
            serde_json::from_value(record["published"].clone()).unwrap();
        assert_eq!(published.protocol, Protocol::V2);
        let tickets: Vec<&str> = list
            .lines()
            .map(|l| l.rsplit(' ').next().unwrap())
            .collect();
        assert_eq!(tickets, ["3", "1", "1", "1", "1"], "{list}");
        let checks = domain::draw::verify(&list, &published).unwrap();
        assert!(checks.iter().all(|c| c.ok), "{checks:?}");
        // One ticket fewer for the inviter in the list: ✗.
        let edited = list.replacen(" 3\n", " 2\n", 1);
        assert!(
            !domain::draw::verify(&edited, &published)
                .unwrap()
                .iter()
                .all(|c| c.ok)
        );
    }
);

db_test!(
    a_link_survives_the_captcha_and_the_first_one_opened_counts,
    |db| async move {
        let Shop { sim, app, a, bot } = shop(db).await;
        let s = sim.sim();
        let bot_a = s.bot_id("@shop_a_bot").unwrap();
        let (starts, ends) = running_window();
        let mut f = form(&bot, &starts, &ends, "");
        f.push(("captcha", "on"));
        f.push(("referral_cap", "5"));
        let id = publish_new(&app, &a, &f).await["id"]
            .as_str()
            .unwrap()
            .to_owned();

        // Two entrants, each through the captcha.
        let answer = |u: i64, n: usize| {
            let sim = &sim;
            async move {
                let (question, msg) = nth_text(sim, u, TOKEN_A, n).await;
                let sum: u32 = question
                    .trim_start_matches("Before you join, a quick question: ")
                    .trim_end_matches(" = ?")
                    .split(" + ")
                    .map(|n| n.parse::<u32>().unwrap())
                    .sum();
                let right = msg["reply_markup"]["inline_keyboard"][0]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|b| b["callback_data"].as_str().unwrap().to_owned())
                    .find(|c| c.ends_with(&format!(":{sum}")))
                    .unwrap();
                sim.sim()
                    .user_presses(u, bot_a, u, msg["message_id"].as_i64().unwrap(), &right)
                    .unwrap();
            }
        };
        let mut inviters = Vec::new();
        for i in 0..2 {
            let u = new_user(&sim, &format!("Inviter{i}"), "en");
            s.user_sends(u, bot_a, &format!("/start g_{id}"), None)
                .unwrap();
            answer(u, 1).await;
            let (joined, _) = nth_text(&sim, u, TOKEN_A, 2).await;
            assert!(joined.contains(&format!("#{}", i + 1)), "{joined}");
            inviters.push(u);
        }
        // A friend opens #1's link, then #2's, and only then answers the second captcha:
        // the first link opened is the one that counts.
        let friend = new_user(&sim, "Friend", "en");
        s.user_sends(friend, bot_a, &format!("/start r_{id}_1"), None)
            .unwrap();
        nth_text(&sim, friend, TOKEN_A, 1).await;
        s.user_sends(friend, bot_a, &format!("/start r_{id}_2"), None)
            .unwrap();
        answer(friend, 2).await;
        let (joined, _) = nth_text(&sim, friend, TOKEN_A, 3).await;
        assert!(joined.contains("entry number is #3"), "{joined}");
        let (told, _) = nth_text(&sim, inviters[0], TOKEN_A, 3).await;
        assert!(told.contains("You now have 2 tickets"), "{told}");
        assert_eq!(
            entries_of(&app, &id).await,
            vec![(1, 2, 1, None), (2, 1, 0, None), (3, 1, 0, Some(1))]
        );
        // Inviter #2 heard nothing.
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert_eq!(
            crate::bots::bot_messages(&sim, inviters[1], TOKEN_A, 2)
                .await
                .len(),
            2
        );
    }
);
