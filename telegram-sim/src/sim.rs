//! The simulator's shared state and the world-changing operations behind both APIs.

use crate::error::ApiError;
use crate::limits::{Bucket, RateLimits, retry_after_secs};
use crate::model::*;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;

/// Tunables. Defaults follow Telegram; tests shorten the slow parts.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SimConfig {
    pub rate_limits: RateLimits,
    /// Only https URLs on ports 443, 80, 88 and 8443, as Telegram requires. Off by
    /// default so a local server on http://127.0.0.1:port can receive webhooks.
    pub strict_webhook_urls: bool,
    /// How long an undelivered update is kept (Telegram: 24 h).
    pub retention_ms: u64,
    /// How long a webhook request may take before it counts as failed (Telegram: ~60 s).
    pub webhook_timeout_ms: u64,
    /// First retry delay after a failed delivery; doubles per attempt up to the max.
    pub retry_base_ms: u64,
    pub retry_max_ms: u64,
    /// After this long a callback query can no longer be answered.
    pub callback_answer_timeout_ms: u64,
    /// Deliver every webhook to this base (`http://127.0.0.1:3000`) instead of the
    /// scheme, host and port the bot set, keeping the path: a server under test that
    /// tells Telegram its public `https://` address but serves plain http locally.
    #[serde(default)]
    pub webhook_base_override: Option<String>,
    /// Answer `getUpdates` at once whatever its `timeout`, as some proxies and
    /// third-party emulators do (Telegram holds the call up to `timeout` seconds).
    #[serde(default)]
    pub get_updates_at_once: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            rate_limits: RateLimits::default(),
            strict_webhook_urls: false,
            retention_ms: 24 * 3600 * 1000,
            webhook_timeout_ms: 60_000,
            retry_base_ms: 1_000,
            retry_max_ms: 60_000,
            callback_answer_timeout_ms: 15_000,
            webhook_base_override: None,
            get_updates_at_once: false,
        }
    }
}

#[derive(Debug, Default)]
pub struct World {
    pub bots: HashMap<i64, Bot>,
    pub tokens: HashMap<String, i64>,
    pub users: HashMap<i64, User>,
    pub chats: HashMap<i64, Chat>,
    pub events: HashMap<i64, Vec<Event>>,
    pub callbacks: HashMap<String, CallbackRecord>,
    pub faults: Vec<Fault>,
    next_user_id: i64,
    next_group_id: i64,
}

/// Cheap to clone; every clone is the same simulator.
#[derive(Clone)]
pub struct Sim {
    pub(crate) world: Arc<Mutex<World>>,
    pub(crate) config: Arc<Mutex<SimConfig>>,
    /// Woken whenever an update is queued or a webhook changes.
    pub(crate) changed: Arc<Notify>,
    pub(crate) http: reqwest::Client,
    /// The drand relay answers 503 to everything while set.
    pub(crate) drand_down: Arc<std::sync::atomic::AtomicBool>,
}

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn valid_token_shape(token: &str) -> bool {
    let Some((id, secret)) = token.split_once(':') else {
        return false;
    };
    !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_digit())
        && secret.len() == 35
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl Sim {
    pub fn new(config: SimConfig) -> Sim {
        Sim {
            world: Arc::new(Mutex::new(World {
                next_user_id: 5_550_000,
                next_group_id: 1_000_000,
                ..Default::default()
            })),
            config: Arc::new(Mutex::new(config)),
            changed: Arc::new(Notify::new()),
            http: reqwest::Client::builder().build().expect("http client"),
            drand_down: Arc::default(),
        }
    }

    /// Takes the drand relay down (every request 503) or brings it back.
    pub fn set_drand_down(&self, down: bool) {
        self.drand_down
            .store(down, std::sync::atomic::Ordering::SeqCst);
    }

    pub(crate) fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn config(&self) -> SimConfig {
        self.config
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn set_config(&self, c: SimConfig) {
        *self.config.lock().unwrap_or_else(|p| p.into_inner()) = c;
    }

    // ----- the world, as the control API changes it -----

    /// Creates a bot. A token is generated unless given; it must have Telegram's shape.
    pub fn create_bot(
        &self,
        token: Option<String>,
        username: &str,
        first_name: Option<String>,
    ) -> Result<Value, String> {
        let token = token.unwrap_or_else(|| {
            let id: u32 = rand::random::<u32>() % 900_000_000 + 100_000_000;
            const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
            let secret: String = (0..35)
                .map(|_| A[rand::random::<u32>() as usize % A.len()] as char)
                .collect();
            format!("{id}:{secret}")
        });
        if !valid_token_shape(&token) {
            return Err("token must look like <digits>:<35 characters of A-Z a-z 0-9 _ ->".into());
        }
        let username = username.trim_start_matches('@').to_owned();
        if username.is_empty() {
            return Err("username is required".into());
        }
        let id: i64 = token
            .split(':')
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or("bad token id")?;
        let mut w = self.world();
        if w.bots.contains_key(&id) {
            return Err("a bot with this id exists".into());
        }
        let bot = Bot {
            id,
            token: token.clone(),
            first_name: first_name.unwrap_or_else(|| username.clone()),
            username,
            revoked: false,
            webhook: None,
            queue: VecDeque::new(),
            next_update_id: 1 + i64::from(rand::random::<u16>()) * 1000,
            polling_allowed: None,
            poll_generation: 0,
            commands: json!([]),
            menu_button: json!({"type": "default"}),
            started_by: HashSet::new(),
            blocked_by: HashSet::new(),
            messages: HashMap::new(),
            next_message_id: HashMap::new(),
            bot_bucket: None,
            chat_buckets: HashMap::new(),
            counters: BTreeMap::new(),
            in_flight: 0,
            max_in_flight_seen: 0,
            polls_in_flight: 0,
            max_polls_in_flight: 0,
            polls_terminated: 0,
        };
        let json = json!({"id": id, "token": token, "username": bot.username, "first_name": bot.first_name});
        w.tokens.insert(token, id);
        w.bots.insert(id, bot);
        Ok(json)
    }

    pub fn create_user(
        &self,
        id: Option<i64>,
        first_name: String,
        last_name: Option<String>,
        username: Option<String>,
        language_code: Option<String>,
    ) -> Result<Value, String> {
        let mut w = self.world();
        let id = match id {
            Some(id) if id > 0 => id,
            Some(_) => return Err("user ids are positive".into()),
            None => {
                w.next_user_id += 1;
                w.next_user_id
            }
        };
        if w.users.contains_key(&id) || w.bots.contains_key(&id) {
            return Err("id taken".into());
        }
        let user = User {
            id,
            first_name,
            last_name,
            username,
            language_code,
            is_premium: false,
        };
        let json = user.to_json();
        w.users.insert(id, user);
        Ok(json)
    }

    pub fn create_chat(
        &self,
        kind: ChatKind,
        title: String,
        username: Option<String>,
    ) -> Result<Value, String> {
        if kind == ChatKind::Private {
            return Err("private chats exist between a user and a bot; create a user".into());
        }
        let mut w = self.world();
        w.next_group_id += 1;
        let id = match kind {
            ChatKind::Group => -w.next_group_id,
            _ => -1_000_000_000_000 - w.next_group_id,
        };
        let chat = Chat {
            id,
            kind,
            title,
            username: username.map(|u| u.trim_start_matches('@').to_owned()),
            members: HashMap::new(),
            boosts: Vec::new(),
        };
        let json = chat.to_json();
        w.chats.insert(id, chat);
        Ok(json)
    }

    /// Makes a user a Telegram Premium user, or not (the updates they send say so).
    pub fn set_premium(&self, user_id: i64, premium: bool) -> Result<(), String> {
        let mut w = self.world();
        let user = w.users.get_mut(&user_id).ok_or("no such user")?;
        user.is_premium = premium;
        Ok(())
    }

    /// A boost of `chat_id` by `user_id` (a Premium user), lasting 30 days; its id.
    pub fn add_boost(&self, chat_id: i64, user_id: i64) -> Result<String, String> {
        let mut w = self.world();
        if !w.users.get(&user_id).ok_or("no such user")?.is_premium {
            return Err("only Premium users boost chats".into());
        }
        let chat = w.chats.get_mut(&chat_id).ok_or("no such chat")?;
        let id = format!("boost-{chat_id}-{user_id}-{}", chat.boosts.len() + 1);
        chat.boosts.push(crate::model::Boost {
            id: id.clone(),
            user_id,
            add_date: unix_now(),
            expiration_date: unix_now() + 30 * 86_400,
        });
        Ok(id)
    }

    /// Removes a boost (it expired or the user moved it).
    pub fn remove_boost(&self, chat_id: i64, boost_id: &str) -> Result<(), String> {
        let mut w = self.world();
        let chat = w.chats.get_mut(&chat_id).ok_or("no such chat")?;
        let before = chat.boosts.len();
        chat.boosts.retain(|b| b.id != boost_id);
        if chat.boosts.len() == before {
            return Err("no such boost".into());
        }
        Ok(())
    }

    /// Sets a user's or bot's status in a chat (`left` removes).
    pub fn set_member(&self, chat_id: i64, member_id: i64, status: &str) -> Result<(), String> {
        const STATUSES: [&str; 6] = [
            "creator",
            "administrator",
            "member",
            "restricted",
            "left",
            "kicked",
        ];
        if !STATUSES.contains(&status) {
            return Err(format!("status must be one of {STATUSES:?}"));
        }
        let mut w = self.world();
        if !w.users.contains_key(&member_id) && !w.bots.contains_key(&member_id) {
            return Err("no such user or bot".into());
        }
        let chat = w.chats.get_mut(&chat_id).ok_or("no such chat")?;
        if status == "left" {
            chat.members.remove(&member_id);
        } else {
            chat.members.insert(member_id, status.to_owned());
        }
        Ok(())
    }

    pub fn revoke(&self, token: &str) -> Result<(), String> {
        let mut w = self.world();
        let id = *w.tokens.get(token).ok_or("no such bot")?;
        let bot = w.bots.get_mut(&id).ok_or("no such bot")?;
        bot.revoked = true;
        bot.webhook = None;
        drop(w);
        self.changed.notify_waiters();
        Ok(())
    }

    /// What @BotFather's /revoke does: the bot gets a new token, the old one stops working.
    /// `token` must keep the bot's id before the colon; `None` generates one.
    pub fn reissue_token(&self, bot_id: i64, token: Option<String>) -> Result<Value, String> {
        let token = match token {
            Some(t) => t,
            None => {
                const A: &[u8] =
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
                let secret: String = (0..35)
                    .map(|_| A[rand::random::<u32>() as usize % A.len()] as char)
                    .collect();
                format!("{bot_id}:{secret}")
            }
        };
        if !valid_token_shape(&token) || !token.starts_with(&format!("{bot_id}:")) {
            return Err("the new token must be <bot id>:<35 characters>".into());
        }
        let mut w = self.world();
        if w.tokens.contains_key(&token) {
            return Err("token in use".into());
        }
        let bot = w.bots.get_mut(&bot_id).ok_or("no such bot")?;
        let old = std::mem::replace(&mut bot.token, token.clone());
        bot.revoked = false;
        bot.webhook = None;
        w.tokens.remove(&old);
        w.tokens.insert(token.clone(), bot_id);
        drop(w);
        self.changed.notify_waiters();
        Ok(json!({"id": bot_id, "token": token}))
    }

    pub fn add_fault(&self, fault: Fault) {
        self.world().faults.push(fault);
    }

    /// Takes the first fault matching this call, if any.
    pub(crate) fn take_fault(&self, token: &str, method: &str) -> Option<FaultKind> {
        let mut w = self.world();
        let i = w.faults.iter().position(|f| {
            f.count > 0
                && f.token.as_deref().is_none_or(|t| t == token)
                && f.method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method))
        })?;
        let f = &mut w.faults[i];
        f.count -= 1;
        let kind = f.kind.clone();
        if f.count == 0 {
            w.faults.remove(i);
        }
        Some(kind)
    }

    /// Finds a bot by token or by @username.
    pub fn bot_id(&self, key: &str) -> Option<i64> {
        let w = self.world();
        if let Some(id) = w.tokens.get(key) {
            return Some(*id);
        }
        let name = key.trim_start_matches('@');
        w.bots
            .values()
            .find(|b| b.username.eq_ignore_ascii_case(name))
            .map(|b| b.id)
    }

    // ----- users acting -----

    /// A user sends `text` to a bot: privately (chat_id None) or in a group.
    pub fn user_sends(
        &self,
        user_id: i64,
        bot_id: i64,
        text: &str,
        chat_id: Option<i64>,
    ) -> Result<Value, String> {
        if text.is_empty() || text.chars().count() > 4096 {
            return Err("text must be 1–4096 characters".into());
        }
        let mut w = self.world();
        let user = w.users.get(&user_id).ok_or("no such user")?.clone();
        let chat_json = match chat_id {
            None => user.private_chat_json(),
            Some(cid) => {
                let chat = w.chats.get(&cid).ok_or("no such chat")?;
                if chat.members.get(&user_id).is_none_or(|s| s == "kicked") {
                    return Err("the user is not a member of that chat".into());
                }
                chat.to_json()
            }
        };
        let chat_id = chat_id.unwrap_or(user_id);
        let bot = w.bots.get_mut(&bot_id).ok_or("no such bot")?;
        if bot.revoked {
            return Err("the bot's token is revoked".into());
        }
        if chat_id == user_id {
            bot.started_by.insert(user_id);
            bot.blocked_by.remove(&user_id);
        }
        let message_id = bot.next_message_id(chat_id);
        let mut message = json!({
            "message_id": message_id,
            "from": user.to_json(),
            "chat": chat_json,
            "date": unix_now(),
            "text": text,
        });
        if text.starts_with('/') {
            let len = text
                .split_whitespace()
                .next()
                .map_or(0, |c| c.encode_utf16().count());
            message["entities"] = json!([{"offset": 0, "length": len, "type": "bot_command"}]);
        }
        drop(w);
        self.enqueue(bot_id, chat_id, "message", message)
    }

    /// A user presses an inline button with `data` under a message the bot sent.
    pub fn user_presses(
        &self,
        user_id: i64,
        bot_id: i64,
        chat_id: i64,
        message_id: i64,
        data: &str,
    ) -> Result<Value, String> {
        let mut w = self.world();
        let user = w.users.get(&user_id).ok_or("no such user")?.clone();
        let bot = w.bots.get(&bot_id).ok_or("no such bot")?;
        let msg = bot
            .messages
            .get(&(chat_id, message_id))
            .filter(|m| !m.deleted)
            .ok_or("no such message")?;
        let has_button = msg.json["reply_markup"]["inline_keyboard"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|row| row.as_array().into_iter().flatten())
            .any(|b| b["callback_data"].as_str() == Some(data));
        if !has_button {
            return Err("the message has no button with that callback_data".into());
        }
        let message = msg.json.clone();
        let id: String = format!("{:x}{:x}", rand::random::<u64>(), rand::random::<u32>());
        w.callbacks.insert(
            id.clone(),
            CallbackRecord {
                bot_id,
                chat_id,
                created: Instant::now(),
                answered: false,
            },
        );
        drop(w);
        let cq = json!({
            "id": id,
            "from": user.to_json(),
            "message": message,
            "chat_instance": format!("{}", -(chat_id.abs() * 7 + bot_id % 1000)),
            "data": data,
        });
        let mut res = self.enqueue(bot_id, chat_id, "callback_query", cq)?;
        res["callback_query_id"] = json!(id);
        Ok(res)
    }

    /// A user blocks (or unblocks) a bot: `my_chat_member` reaches the bot.
    pub fn user_blocks(&self, user_id: i64, bot_id: i64, blocked: bool) -> Result<Value, String> {
        let mut w = self.world();
        let user = w.users.get(&user_id).ok_or("no such user")?.clone();
        let bot = w.bots.get_mut(&bot_id).ok_or("no such bot")?;
        let (old, new) = if blocked {
            bot.blocked_by.insert(user_id);
            ("member", "kicked")
        } else {
            bot.blocked_by.remove(&user_id);
            bot.started_by.insert(user_id);
            ("kicked", "member")
        };
        let bot_user = bot.user_json();
        drop(w);
        let mut new_member = json!({"user": bot_user, "status": new});
        if blocked {
            new_member["until_date"] = json!(0);
        }
        let payload = json!({
            "chat": user.private_chat_json(),
            "from": user.to_json(),
            "date": unix_now(),
            "old_chat_member": {"user": bot_user, "status": old},
            "new_chat_member": new_member,
        });
        self.enqueue(bot_id, user_id, "my_chat_member", payload)
    }

    /// Queues an update for a bot (if its allowed_updates take that kind) and records
    /// the user's action in the chat transcript. Returns `{update_id, delivered_kind}`.
    pub(crate) fn enqueue(
        &self,
        bot_id: i64,
        chat_id: i64,
        kind: &str,
        payload: Value,
    ) -> Result<Value, String> {
        let mut w = self.world();
        let bot = w.bots.get_mut(&bot_id).ok_or("no such bot")?;
        let update_id = bot.next_update_id;
        bot.next_update_id += 1;
        let mut update = json!({"update_id": update_id});
        update[kind] = payload;
        let queued = kind_allowed(bot.allowed(), kind);
        if queued {
            let now = Instant::now();
            bot.queue.push_back(Queued {
                update_id,
                update: update.clone(),
                enqueued_at: now,
                next_attempt: now,
                attempts: 0,
                in_flight: false,
            });
        }
        w.events
            .entry(chat_id)
            .or_default()
            .push(Event::UserAction {
                bot_id,
                update: update.clone(),
            });
        drop(w);
        self.changed.notify_waiters();
        Ok(json!({"update_id": update_id, "queued": queued, "update": update}))
    }

    // ----- helpers for the Bot API side -----

    /// Applies the send limits for `chat_id`; `Err` is Telegram's 429.
    pub(crate) fn check_rate(
        &self,
        bot: &mut Bot,
        chat_id: i64,
        is_group: bool,
    ) -> Result<(), ApiError> {
        let limits = self.config().rate_limits;
        if !limits.enabled {
            return Ok(());
        }
        let now = Instant::now();
        let chat_rate = if is_group {
            limits.per_group
        } else {
            limits.per_chat
        };
        let bot_bucket = bot
            .bot_bucket
            .get_or_insert_with(|| Bucket::new(limits.per_bot, now));
        let wait_bot = bot_bucket.wait(limits.per_bot, now);
        let chat_bucket = bot
            .chat_buckets
            .entry(chat_id)
            .or_insert_with(|| Bucket::new(chat_rate, now));
        let wait_chat = chat_bucket.wait(chat_rate, now);
        let wait = wait_bot.max(wait_chat);
        if wait > Duration::ZERO {
            return Err(ApiError::too_many(retry_after_secs(wait)));
        }
        chat_bucket.take();
        if let Some(b) = bot.bot_bucket.as_mut() {
            b.take();
        }
        Ok(())
    }
}
