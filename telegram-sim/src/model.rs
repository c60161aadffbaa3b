//! The simulated world: bots, users, chats, what each chat received, pending updates.

use crate::limits::Bucket;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::Instant;

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: i64,
    pub first_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language_code: Option<String>,
    /// Telegram sends `is_premium: true` only for Premium users.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_premium: bool,
}

impl User {
    pub fn to_json(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        v["is_bot"] = json!(false);
        v
    }

    pub fn private_chat_json(&self) -> Value {
        let mut v = json!({"id": self.id, "type": "private", "first_name": self.first_name});
        if let Some(l) = &self.last_name {
            v["last_name"] = json!(l);
        }
        if let Some(u) = &self.username {
            v["username"] = json!(u);
        }
        v
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatKind {
    Private,
    Group,
    Supergroup,
    Channel,
}

/// A group, supergroup or channel (private chats are implied by users).
#[derive(Debug, Clone)]
pub struct Chat {
    pub id: i64,
    pub kind: ChatKind,
    pub title: String,
    pub username: Option<String>,
    /// user or bot id → status (creator, administrator, member, restricted, left, kicked)
    pub members: HashMap<i64, String>,
    /// Boosts users gave the chat (what getUserChatBoosts reads).
    pub boosts: Vec<Boost>,
}

/// A Premium user's boost of a chat.
#[derive(Debug, Clone)]
pub struct Boost {
    pub id: String,
    pub user_id: i64,
    pub add_date: i64,
    pub expiration_date: i64,
}

impl Chat {
    pub fn to_json(&self) -> Value {
        let kind = serde_json::to_value(self.kind).unwrap_or_default();
        let mut v = json!({"id": self.id, "type": kind, "title": self.title});
        if let Some(u) = &self.username {
            v["username"] = json!(u);
        }
        v
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Webhook {
    pub url: String,
    #[serde(skip)]
    pub secret_token: Option<String>,
    pub max_connections: u32,
    pub allowed_updates: Option<Vec<String>>,
    pub last_error_date: Option<i64>,
    pub last_error_message: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Queued {
    pub update_id: i64,
    pub update: Value,
    pub enqueued_at: Instant,
    pub next_attempt: Instant,
    pub attempts: u32,
    pub in_flight: bool,
}

/// A message as the bot sent it, kept so edits and button presses can refer to it.
#[derive(Debug, Clone)]
pub struct StoredMessage {
    pub json: Value,
    pub deleted: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct MethodCount {
    pub calls: u64,
    pub ok: u64,
    pub client_errors: u64,
    pub too_many_requests: u64,
    pub server_errors: u64,
}

#[derive(Debug)]
pub struct Bot {
    pub id: i64,
    pub token: String,
    pub username: String,
    pub first_name: String,
    pub revoked: bool,
    pub webhook: Option<Webhook>,
    /// Updates not yet confirmed (polling) or delivered (webhook), in update_id order.
    pub queue: VecDeque<Queued>,
    pub next_update_id: i64,
    /// allowed_updates from the last getUpdates call, for polling.
    pub polling_allowed: Option<Vec<String>>,
    /// Bumped by each getUpdates call; a waiting call that sees it change answers 409.
    pub poll_generation: u64,
    pub commands: Value,
    /// The default menu button (setChatMenuButton without a chat).
    pub menu_button: Value,
    /// Users who have written to the bot (it may message them) and who blocked it.
    pub started_by: HashSet<i64>,
    pub blocked_by: HashSet<i64>,
    pub messages: HashMap<(i64, i64), StoredMessage>,
    pub next_message_id: HashMap<i64, i64>,
    pub bot_bucket: Option<Bucket>,
    pub chat_buckets: HashMap<i64, Bucket>,
    pub counters: BTreeMap<String, MethodCount>,
    pub in_flight: usize,
    pub max_in_flight_seen: usize,
    /// getUpdates calls being answered now, the most ever at once (more than one means
    /// two pollers), and how many calls another call cut short (409 "terminated").
    pub polls_in_flight: usize,
    pub max_polls_in_flight: usize,
    pub polls_terminated: u64,
}

impl Bot {
    pub fn user_json(&self) -> Value {
        json!({"id": self.id, "is_bot": true, "first_name": self.first_name, "username": self.username})
    }

    pub fn next_message_id(&mut self, chat_id: i64) -> i64 {
        let n = self.next_message_id.entry(chat_id).or_insert(0);
        *n += 1;
        *n
    }

    /// The allowed_updates in force for this bot (webhook's, else the last poll's).
    pub fn allowed(&self) -> Option<&Vec<String>> {
        match &self.webhook {
            Some(w) => w.allowed_updates.as_ref(),
            None => self.polling_allowed.as_ref(),
        }
    }
}

/// What a chat saw, in order: for tests and demos to read back.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    Message {
        bot_id: i64,
        message: Value,
    },
    Edit {
        bot_id: i64,
        message: Value,
    },
    Delete {
        bot_id: i64,
        message_id: i64,
    },
    CallbackAnswer {
        bot_id: i64,
        callback_query_id: String,
        text: Option<String>,
        show_alert: bool,
    },
    /// Something a user did (sent a text, pressed a button), for a complete transcript.
    UserAction {
        bot_id: i64,
        update: Value,
    },
}

#[derive(Debug, Clone)]
pub struct CallbackRecord {
    pub bot_id: i64,
    pub chat_id: i64,
    pub created: Instant,
    pub answered: bool,
}

/// An injected fault: the next `remaining` matching calls misbehave.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Fault {
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub method: Option<String>,
    pub kind: FaultKind,
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer with this status and Telegram-style envelope.
    Status {
        code: u16,
        #[serde(default)]
        description: Option<String>,
    },
    /// Answer normally after a delay.
    Slow { millis: u64 },
    /// Send the headers, then cut the connection.
    Drop,
    /// Answer 200 `{"ok": true, "result": <result>}` with this result, whatever the
    /// method: an answer of the wrong shape, as an odd Bot API server might give.
    Answer { result: serde_json::Value },
}

/// Update kinds delivered when `allowed_updates` is empty or unset.
pub const DEFAULT_EXCLUDED: [&str; 3] =
    ["chat_member", "message_reaction", "message_reaction_count"];

pub fn update_kind(update: &Value) -> String {
    update
        .as_object()
        .and_then(|o| o.keys().find(|k| k.as_str() != "update_id").cloned())
        .unwrap_or_default()
}

pub fn kind_allowed(allowed: Option<&Vec<String>>, kind: &str) -> bool {
    match allowed {
        Some(list) if !list.is_empty() => list.iter().any(|k| k == kind),
        _ => !DEFAULT_EXCLUDED.contains(&kind),
    }
}
