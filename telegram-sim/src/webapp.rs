//! Opening a bot's Mini App as a user: the signed `initData` Telegram would hand the page
//! (`POST /sim/users/{id}/open_webapp`). Signed here by its own code, independently of
//! the server's check, with the algorithm Telegram publishes: the fields but `hash`,
//! sorted, as `key=value` lines; `secret = HMAC-SHA-256(key "WebAppData", token)`;
//! `hash = hex(HMAC-SHA-256(key secret, lines))`.

use crate::sim::{Sim, unix_now};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

fn hmac(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
    m.update(msg);
    m.finalize().into_bytes().to_vec()
}

impl Sim {
    /// The `initData` of bot `bot_id`'s Mini App opened by `user_id` (optionally from a
    /// `startapp` link, optionally dated `auth_date` instead of now).
    pub fn open_webapp(
        &self,
        user_id: i64,
        bot_id: i64,
        start_param: Option<&str>,
        auth_date: Option<i64>,
    ) -> Result<Value, String> {
        let w = self.world();
        let user = w.users.get(&user_id).ok_or("no such user")?;
        let bot = w.bots.get(&bot_id).ok_or("no such bot")?;
        let mut user_json = json!({"id": user.id, "first_name": user.first_name});
        for (k, v) in [
            ("last_name", &user.last_name),
            ("username", &user.username),
            ("language_code", &user.language_code),
        ] {
            if let Some(v) = v {
                user_json[k] = json!(v);
            }
        }
        if user.is_premium {
            user_json["is_premium"] = json!(true);
        }
        user_json["allows_write_to_pm"] = json!(true);
        let mut fields: Vec<(String, String)> = vec![
            (
                "query_id".into(),
                format!("AAQ{}{}", user.id, rand::random::<u32>()),
            ),
            ("user".into(), user_json.to_string()),
            (
                "auth_date".into(),
                auth_date.unwrap_or_else(unix_now).to_string(),
            ),
        ];
        if let Some(p) = start_param {
            fields.push(("start_param".into(), p.to_owned()));
        }
        let mut sorted = fields.clone();
        sorted.sort();
        let lines = sorted
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("\n");
        let secret = hmac(b"WebAppData", bot.token.as_bytes());
        let hash = hex::encode(hmac(&secret, lines.as_bytes()));
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &fields {
            q.append_pair(k, v);
        }
        q.append_pair("hash", &hash);
        Ok(json!({"init_data": q.finish(), "user": user_json}))
    }
}
