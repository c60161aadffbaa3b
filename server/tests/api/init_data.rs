//! The simulator's Mini App `initData` against the server's check: two implementations of
//! Telegram's published algorithm agree; another bot's token, a late `auth_date` and an
//! edited field are refused.

use crate::bots::{TOKEN_A, TOKEN_B, new_user, sim};
use backend::telegram::init_data::{InitDataError, MAX_AGE_SECS, validate};
use domain::BotToken;
use serde_json::Value;

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[tokio::test]
async fn the_simulators_init_data_passes_the_servers_check() {
    let sim = sim().await;
    let user = new_user(&sim, "小明", "zh-hans");
    sim.sim().set_premium(user, true).unwrap();
    // Over the control API, as a browser test would ask for it.
    let opened: Value = reqwest::Client::new()
        .post(format!("{}/sim/users/{user}/open_webapp", sim.api_url()))
        .json(&serde_json::json!({"bot": "@shop_a_bot", "start_param": "g_abc123"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let raw = opened["init_data"].as_str().unwrap();
    let a = BotToken::parse(TOKEN_A).unwrap();
    let d = validate(raw, &a, now()).unwrap();
    assert_eq!(d.user.id, user);
    assert_eq!(d.user.first_name, "小明");
    assert_eq!(d.user.language_code.as_deref(), Some("zh-hans"));
    assert!(d.user.is_premium);
    assert_eq!(d.start_param.as_deref(), Some("g_abc123"));

    // Bot B's app cannot be opened with bot A's data.
    let b = BotToken::parse(TOKEN_B).unwrap();
    assert_eq!(validate(raw, &b, now()), Err(InitDataError::BadSignature));
    // Edited: another start parameter.
    let edited = raw.replace("g_abc123", "g_abc124");
    assert_eq!(
        validate(&edited, &a, now()),
        Err(InitDataError::BadSignature)
    );
    // Replayed too late.
    let bot_a = sim.sim().bot_id("@shop_a_bot").unwrap();
    let old = sim
        .sim()
        .open_webapp(user, bot_a, None, Some(now() - MAX_AGE_SECS - 5))
        .unwrap();
    assert_eq!(
        validate(old["init_data"].as_str().unwrap(), &a, now()),
        Err(InitDataError::Expired)
    );
}
