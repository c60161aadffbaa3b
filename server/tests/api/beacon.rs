//! Draws bound to a public randomness beacon (protocol v3), over HTTP with the test clock
//! and the simulator playing a drand relay for a test chain: the giveaway names its round
//! at creation; after the end it waits for the round's time, then for a relay to serve a
//! valid signature (relays down: no draw, it retries); then it draws, and the published
//! facts verify — the beacon's signature first.

use crate::bots::new_user;
use crate::giveaways::{Shop, advance, form, local, publish_new, shop_with, wait_status};
use crate::helpers::*;
use domain::draw::{CheckKind, Protocol, Published};
use serde_json::Value;
use std::time::Duration;

/// A shop whose draws are bound to the simulator's test chain; the first relay listed is
/// down for good (nothing listens there), the second is the simulator's.
async fn beacon_shop(db: Db) -> Shop {
    let key = telegram_sim::beacon::TEST_PUBLIC_KEY;
    shop_with(
        db,
        &format!(
            "beacon = \"drand\"\nbeacon-urls = \"http://127.0.0.1:9/drand, {{sim}}/drand\"\nbeacon-test-key = \"{key}\"\n"
        ),
    )
    .await
}

db_test!(
    a_draw_waits_for_its_beacon_round_then_verifies,
    |db| async move {
        let Shop { sim, app, a, bot } = beacon_shop(db).await;
        let s = sim.sim();
        let now = chrono::Utc::now();
        let (starts, ends) = (
            local(now - chrono::Duration::minutes(1)),
            local(now + chrono::Duration::hours(1)),
        );
        let mut f = form(&bot, &starts, &ends, "");
        f[3].1 = "Mug × 2";
        f[4].1 = "1";
        let g = publish_new(&app, &a, &f).await;
        let id = g["id"].as_str().unwrap().to_owned();
        let round = g["beacon"][0].as_u64().expect("a beacon round is named");
        assert_eq!(g["beacon"][1], true, "the test chain, marked so");

        let bot_a = s.bot_id("@shop_a_bot").unwrap();
        for i in 0..5 {
            let u = new_user(&sim, &format!("Fan{i}"), "en");
            s.user_sends(u, bot_a, &format!("/start g_{id}"), None)
                .unwrap();
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while app.count("entries").await < 5 {
            assert!(
                std::time::Instant::now() < deadline,
                "the joins did not land"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

        // Past the end but before the round's time: closed, the list frozen, no draw.
        s.set_drand_down(true);
        advance(&app, 3600 + 5).await;
        let closed = wait_status(&app, &a, &id, "closed").await;
        assert!(closed["entries_hash"].is_string());
        // Past the round's time with the relays down: still closed, retried.
        advance(&app, 120).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        let still: Value = app
            .call_with(&a, "giveaways/get", &[("id", &id)], &[])
            .await
            .json();
        assert_eq!(still["status"], "closed", "no draw without the beacon");
        assert!(
            still["seed"].is_null(),
            "the seed stays secret while waiting"
        );
        // Public already: E (the frozen list's hash) and the round the draw waits for.
        let pending: Value = app.call("verify/record", &[("id", &id)]).await.json();
        assert_eq!(pending["entries_hash"], closed["entries_hash"]);
        assert_eq!(pending["beacon"][0], round);
        assert!(pending["published"].is_null());

        // The relay is back: the draw runs within the retry delay.
        s.set_drand_down(false);
        let drawn = wait_status(&app, &a, &id, "drawn").await;
        assert_eq!(drawn["winners"].as_array().unwrap().len(), 2);

        let record: Value = app.call("verify/record", &[("id", &id)]).await.json();
        let published: Published = serde_json::from_value(record["published"].clone()).unwrap();
        let list = record["entry_list"].as_str().unwrap();
        assert_eq!(published.protocol, Protocol::V3);
        let b = published.beacon.clone().expect("the round is published");
        assert_eq!(b.round, round);
        assert!(b.chain().unwrap().test);
        assert_eq!(b.check(), Ok(()));
        let checks = domain::draw::verify(list, &published).unwrap();
        assert_eq!(checks[0].what, CheckKind::Beacon);
        assert!(checks.iter().all(|c| c.ok), "{checks:?}");

        // Another signature (the next round's, valid for it) in the facts: ✗, beacon first.
        let mut forged = published.clone();
        forged.beacon.as_mut().unwrap().signature =
            hex::encode(telegram_sim::beacon::sign(round + 1));
        let checks = domain::draw::verify(list, &forged).unwrap();
        assert!(!checks[0].ok && !checks.iter().all(|c| c.ok));

        // Offline, `tombola verify` on the downloads: ✓ with the round named; ✗ for a
        // draw.json whose signature was edited.
        let json = reqwest::get(format!("{}/verify/{id}/draw.json", app.base))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let dir = std::env::temp_dir().join(format!("tombola-beacon-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("entries.txt"), list).unwrap();
        std::fs::write(dir.join("draw.json"), &json).unwrap();
        std::fs::write(
            dir.join("forged.json"),
            serde_json::to_string(&forged).unwrap(),
        )
        .unwrap();
        let run = |draw: &str| {
            std::process::Command::new(env!("CARGO_BIN_EXE_tombola"))
                .current_dir(&dir)
                .args(["verify", "--list", "entries.txt", "--draw", draw])
                .output()
                .unwrap()
        };
        let ok = run("draw.json");
        let out = String::from_utf8_lossy(&ok.stdout).into_owned();
        assert!(ok.status.success(), "{out}");
        assert!(out.contains("draw protocol v3"), "{out}");
        assert!(
            out.contains(&format!("beacon: round {round} of a TEST beacon")),
            "{out}"
        );
        assert!(
            out.contains("✓ the beacon round's signature is the chain's"),
            "{out}"
        );
        let bad = run("forged.json");
        let out = String::from_utf8_lossy(&bad.stdout).into_owned();
        assert!(!bad.status.success());
        assert!(
            out.contains("✗ the beacon round's signature is the chain's"),
            "{out}"
        );
    }
);

db_test!(without_the_beacon_draws_stay_as_before, |db| async move {
    // The default of these tests: `beacon = "off"`; new giveaways draw by v2.
    let Shop { app, a, bot, .. } = crate::giveaways::shop(db).await;
    let (starts, ends) = crate::giveaways::running_window();
    let g = publish_new(&app, &a, &form(&bot, &starts, &ends, "")).await;
    assert!(g["beacon"].is_null());
    let id = g["id"].as_str().unwrap().to_owned();
    advance(&app, 2 * 86_400).await;
    wait_status(&app, &a, &id, "drawn").await;
    let record: Value = app.call("verify/record", &[("id", &id)]).await.json();
    let published: Published = serde_json::from_value(record["published"].clone()).unwrap();
    assert_eq!(published.protocol, Protocol::V2);
    assert!(published.beacon.is_none());
    let checks = domain::draw::verify(record["entry_list"].as_str().unwrap(), &published).unwrap();
    assert!(checks.iter().all(|c| c.ok && c.what != CheckKind::Beacon));
});

db_test!(
    the_round_moves_with_a_drafts_end_but_not_an_open_ones,
    |db| async move {
        let Shop { app, a, bot, .. } = beacon_shop(db).await;
        let now = chrono::Utc::now();
        let starts = local(now - chrono::Duration::minutes(1));
        let (end1, end2, end3) = (
            local(now + chrono::Duration::hours(1)),
            local(now + chrono::Duration::hours(2)),
            local(now + chrono::Duration::hours(3)),
        );
        let draft: Value = app
            .call_with(&a, "giveaways/save", &form(&bot, &starts, &end1, ""), &[])
            .await
            .json();
        let id = draft["id"].as_str().unwrap().to_owned();
        let mut f = form(&bot, &starts, &end2, "");
        f[0].1 = &id;
        let moved: Value = app.call_with(&a, "giveaways/save", &f, &[]).await.json();
        // An hour later is 1,200 quicknet rounds later, and the commitment covers the round.
        assert_eq!(
            moved["beacon"][0].as_u64().unwrap(),
            draft["beacon"][0].as_u64().unwrap() + 1_200
        );
        assert_ne!(moved["commitment"], draft["commitment"]);

        let open: Value = app
            .call_with(&a, "giveaways/publish", &[("id", &id)], &[])
            .await
            .json();
        assert_eq!(open["status"], "open");
        let mut later = form(&bot, &starts, &end3, "");
        later[0].1 = &id;
        let refused = app.call_with(&a, "giveaways/save", &later, &[]).await;
        assert_eq!(
            refused.error(),
            app::error::AppError::Conflict {
                what: domain::Conflict::GiveawayScheduleLocked
            }
        );
        let same: Value = app
            .call_with(&a, "giveaways/get", &[("id", &id)], &[])
            .await
            .json();
        assert_eq!(
            same["commitment"], moved["commitment"],
            "the commitment stands"
        );
    }
);
