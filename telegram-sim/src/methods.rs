//! The Bot API methods, with Telegram's validation and error texts.

use crate::error::ApiError;
use crate::model::*;
use crate::params::Params;
use crate::sim::{Sim, World, unix_now};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const SECRET_CHARS: fn(u8) -> bool = |b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';

/// Runs one method for the bot with `bot_id`. `getUpdates` is handled by `get_updates`.
pub fn call(sim: &Sim, bot_id: i64, method: &str, p: &Params) -> Result<Value, ApiError> {
    match method.to_ascii_lowercase().as_str() {
        "getme" => with_bot(sim, bot_id, |_, b| {
            let mut me = b.user_json();
            me["can_join_groups"] = json!(true);
            me["can_read_all_group_messages"] = json!(false);
            me["supports_inline_queries"] = json!(false);
            me["can_connect_to_business"] = json!(false);
            me["has_main_web_app"] = json!(false);
            Ok(me)
        }),
        "setwebhook" => set_webhook(sim, bot_id, p),
        "deletewebhook" => {
            let drop_pending = p.bool("drop_pending_updates")?;
            with_bot(sim, bot_id, |_, b| {
                b.webhook = None;
                if drop_pending {
                    b.queue.clear();
                }
                Ok(json!(true))
            })
            .inspect(|_| sim.changed.notify_waiters())
        }
        "getwebhookinfo" => with_bot(sim, bot_id, |_, b| {
            let pending = b.queue.len();
            Ok(match &b.webhook {
                None => {
                    json!({"url": "", "has_custom_certificate": false, "pending_update_count": pending})
                }
                Some(w) => {
                    let mut v = json!({
                        "url": w.url,
                        "has_custom_certificate": false,
                        "pending_update_count": pending,
                        "max_connections": w.max_connections,
                        "ip_address": "127.0.0.1",
                    });
                    if let Some(d) = w.last_error_date {
                        v["last_error_date"] = json!(d);
                    }
                    if let Some(m) = &w.last_error_message {
                        v["last_error_message"] = json!(m);
                    }
                    if let Some(a) = &w.allowed_updates {
                        v["allowed_updates"] = json!(a);
                    }
                    v
                }
            })
        }),
        "sendmessage" => send(sim, bot_id, p, SendKind::Text),
        "sendphoto" => send(sim, bot_id, p, SendKind::Photo),
        "editmessagetext" => edit(sim, bot_id, p, true),
        "editmessagereplymarkup" => edit(sim, bot_id, p, false),
        "deletemessage" => {
            let chat_id = chat_id_param(sim, p)?;
            let message_id = p
                .i64("message_id")?
                .ok_or_else(|| ApiError::bad_request("message identifier is not specified"))?;
            let mut w = sim.world();
            let bot = w.bots.get_mut(&bot_id).ok_or_else(ApiError::unauthorized)?;
            match bot.messages.get_mut(&(chat_id, message_id)) {
                Some(m) if !m.deleted => m.deleted = true,
                _ => return Err(ApiError::bad_request("message to delete not found")),
            }
            w.events
                .entry(chat_id)
                .or_default()
                .push(Event::Delete { bot_id, message_id });
            Ok(json!(true))
        }
        "answercallbackquery" => {
            let id = p.str("callback_query_id").unwrap_or_default();
            let text = p.str("text");
            if text.as_ref().is_some_and(|t| t.chars().count() > 200) {
                return Err(ApiError::bad_request("MESSAGE_TOO_LONG"));
            }
            let show_alert = p.bool("show_alert")?;
            let timeout = Duration::from_millis(sim.config().callback_answer_timeout_ms);
            let mut w = sim.world();
            let too_old = ApiError::bad_request(
                "query is too old and response timeout expired or query ID is invalid",
            );
            let rec = w
                .callbacks
                .get_mut(&id)
                .filter(|r| r.bot_id == bot_id)
                .ok_or(too_old.clone())?;
            if rec.answered || rec.created.elapsed() > timeout {
                return Err(too_old);
            }
            rec.answered = true;
            let chat_id = rec.chat_id;
            w.events
                .entry(chat_id)
                .or_default()
                .push(Event::CallbackAnswer {
                    bot_id,
                    callback_query_id: id,
                    text,
                    show_alert,
                });
            Ok(json!(true))
        }
        "getchat" => {
            let chat_id = chat_id_param(sim, p)?;
            let w = sim.world();
            chat_json(&w, bot_id, chat_id)
        }
        "getuserchatboosts" => {
            let chat_id = chat_id_param(sim, p)?;
            let user_id = p
                .i64("user_id")?
                .ok_or_else(|| ApiError::bad_request("user not found"))?;
            let w = sim.world();
            let chat = w.chats.get(&chat_id).ok_or_else(ApiError::chat_not_found)?;
            // Telegram requires the bot to be an administrator of the chat.
            if !matches!(
                chat.members.get(&bot_id).map(String::as_str),
                Some("administrator" | "creator")
            ) {
                return Err(ApiError::bad_request("not enough rights"));
            }
            let user = w
                .users
                .get(&user_id)
                .map(User::to_json)
                .ok_or_else(|| ApiError::bad_request("user not found"))?;
            let boosts: Vec<Value> = chat
                .boosts
                .iter()
                .filter(|b| b.user_id == user_id)
                .map(|b| {
                    json!({
                        "boost_id": b.id,
                        "add_date": b.add_date,
                        "expiration_date": b.expiration_date,
                        "source": {"source": "premium", "user": user},
                    })
                })
                .collect();
            Ok(json!({"boosts": boosts}))
        }
        "getchatmember" => {
            let chat_id = chat_id_param(sim, p)?;
            let user_id = p
                .i64("user_id")?
                .ok_or_else(|| ApiError::bad_request("user not found"))?;
            let w = sim.world();
            let user = w
                .users
                .get(&user_id)
                .map(User::to_json)
                .or_else(|| w.bots.get(&user_id).map(Bot::user_json));
            if chat_id > 0 {
                // A private chat: its two parties.
                let user = user.ok_or_else(|| ApiError::bad_request("user not found"))?;
                if chat_id != user_id && chat_id != bot_id {
                    return Err(ApiError::bad_request("user not found"));
                }
                return Ok(json!({"status": "member", "user": user}));
            }
            let chat = w.chats.get(&chat_id).ok_or_else(ApiError::chat_not_found)?;
            let bot_status = chat.members.get(&bot_id).map(String::as_str);
            if bot_status.is_none() || bot_status == Some("kicked") {
                return Err(ApiError::chat_not_found());
            }
            if chat.kind == ChatKind::Channel
                && !matches!(bot_status, Some("administrator" | "creator"))
            {
                return Err(ApiError::bad_request("member list is inaccessible"));
            }
            let user = user.ok_or_else(|| ApiError::bad_request("user not found"))?;
            let status = chat
                .members
                .get(&user_id)
                .cloned()
                .unwrap_or_else(|| "left".into());
            let mut member = json!({"status": status, "user": user});
            if status == "restricted" {
                member["is_member"] = json!(true);
                member["until_date"] = json!(0);
            }
            if status == "kicked" {
                member["until_date"] = json!(0);
            }
            Ok(member)
        }
        "setmycommands" => {
            let commands = p
                .json("commands")?
                .ok_or_else(|| ApiError::bad_request("parameter \"commands\" is required"))?;
            let list = commands
                .as_array()
                .ok_or_else(|| ApiError::bad_request("can't parse commands JSON object"))?;
            if list.len() > 100 {
                return Err(ApiError::bad_request("too many commands"));
            }
            for c in list {
                let cmd = c["command"].as_str().unwrap_or("");
                let desc = c["description"].as_str().unwrap_or("");
                if cmd.is_empty()
                    || cmd.len() > 32
                    || !cmd
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                {
                    return Err(ApiError::bad_request("BOT_COMMAND_INVALID"));
                }
                if desc.is_empty() || desc.chars().count() > 256 {
                    return Err(ApiError::bad_request(
                        "command description must be non-empty",
                    ));
                }
            }
            with_bot(sim, bot_id, |_, b| {
                b.commands = commands.clone();
                Ok(json!(true))
            })
        }
        "getmycommands" => with_bot(sim, bot_id, |_, b| Ok(b.commands.clone())),
        "setchatmenubutton" => {
            if p.str("chat_id").is_some() {
                return Err(ApiError::bad_request(
                    "the simulator keeps only the default menu button",
                ));
            }
            let button = p.json("menu_button")?.unwrap_or(json!({"type": "default"}));
            match button["type"].as_str() {
                Some("default" | "commands") => {}
                Some("web_app") => {
                    if button["text"].as_str().is_none_or(str::is_empty) {
                        return Err(ApiError::bad_request("menu button text is empty"));
                    }
                    web_app_url(&button["web_app"])?;
                }
                _ => return Err(ApiError::bad_request("can't parse menu button")),
            }
            with_bot(sim, bot_id, |_, b| {
                b.menu_button = button.clone();
                Ok(json!(true))
            })
        }
        "getchatmenubutton" => with_bot(sim, bot_id, |_, b| Ok(b.menu_button.clone())),
        "logout" | "close" => Ok(json!(true)),
        _ => Err(ApiError::not_found()),
    }
}

fn with_bot(
    sim: &Sim,
    bot_id: i64,
    f: impl FnOnce(&mut World, &mut Bot) -> Result<Value, ApiError>,
) -> Result<Value, ApiError> {
    let mut w = sim.world();
    let mut bot = w.bots.remove(&bot_id).ok_or_else(ApiError::unauthorized)?;
    let res = f(&mut w, &mut bot);
    w.bots.insert(bot_id, bot);
    res
}

/// chat_id as a number, or `@username` of a public group or channel.
fn chat_id_param(sim: &Sim, p: &Params) -> Result<i64, ApiError> {
    let raw = p
        .str("chat_id")
        .ok_or_else(|| ApiError::bad_request("chat_id is empty"))?;
    if let Some(name) = raw.strip_prefix('@') {
        let w = sim.world();
        return w
            .chats
            .values()
            .find(|c| {
                c.username
                    .as_deref()
                    .is_some_and(|u| u.eq_ignore_ascii_case(name))
            })
            .map(|c| c.id)
            .ok_or_else(ApiError::chat_not_found);
    }
    raw.trim().parse().map_err(|_| ApiError::chat_not_found())
}

fn chat_json(w: &World, bot_id: i64, chat_id: i64) -> Result<Value, ApiError> {
    if chat_id > 0 {
        let bot = w.bots.get(&bot_id).ok_or_else(ApiError::unauthorized)?;
        if !bot.started_by.contains(&chat_id) && !bot.blocked_by.contains(&chat_id) {
            return Err(ApiError::chat_not_found());
        }
        return w
            .users
            .get(&chat_id)
            .map(User::private_chat_json)
            .ok_or_else(ApiError::chat_not_found);
    }
    let chat = w.chats.get(&chat_id).ok_or_else(ApiError::chat_not_found)?;
    if chat.members.get(&bot_id).is_none_or(|s| s == "kicked") {
        return Err(ApiError::chat_not_found());
    }
    Ok(chat.to_json())
}

fn set_webhook(sim: &Sim, bot_id: i64, p: &Params) -> Result<Value, ApiError> {
    let url = p.str("url").unwrap_or_default();
    let strict = sim.config().strict_webhook_urls;
    let max_connections = match p.i64("max_connections")? {
        None => 40,
        Some(n) if (1..=100).contains(&n) => n as u32,
        Some(_) => return Err(ApiError::bad_request("bad max_connections")),
    };
    let secret = p.str("secret_token").filter(|s| !s.is_empty());
    if let Some(s) = &secret
        && (s.len() > 256 || !s.bytes().all(SECRET_CHARS))
    {
        return Err(ApiError::bad_request(
            "secret token contains unallowed characters",
        ));
    }
    let allowed_updates = match p.json("allowed_updates")? {
        None => None,
        Some(Value::Array(a)) => Some(
            a.iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| ApiError::bad_request("can't parse allowed updates"))?,
        ),
        Some(_) => return Err(ApiError::bad_request("can't parse allowed updates")),
    };
    let drop_pending = p.bool("drop_pending_updates")?;
    if !url.is_empty() {
        validate_webhook_url(&url, strict)?;
    }
    let res = with_bot(sim, bot_id, |_, b| {
        if drop_pending {
            b.queue.clear();
        }
        if url.is_empty() {
            b.webhook = None;
            return Ok(json!(true));
        }
        let (last_error_date, last_error_message) = match b.webhook.take() {
            Some(old) if old.url == url => (old.last_error_date, old.last_error_message),
            _ => (None, None),
        };
        b.webhook = Some(Webhook {
            url: url.clone(),
            secret_token: secret.clone(),
            max_connections,
            allowed_updates: allowed_updates.clone(),
            last_error_date,
            last_error_message,
        });
        // A waiting getUpdates gives up: the webhook wins.
        b.poll_generation += 1;
        Ok(json!(true))
    });
    sim.changed.notify_waiters();
    res
}

fn validate_webhook_url(url: &str, strict: bool) -> Result<(), ApiError> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| ApiError::bad_request("bad webhook: invalid URL"))?;
    let host_port = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host_port.is_empty() || host_port.contains('@') {
        return Err(ApiError::bad_request("bad webhook: invalid URL"));
    }
    let port = host_port
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse::<u16>().ok());
    match scheme {
        "https" => {}
        "http" if !strict => {}
        _ => {
            return Err(ApiError::bad_request(
                "bad webhook: An HTTPS URL must be provided for webhook",
            ));
        }
    }
    if strict && !matches!(port.unwrap_or(443), 443 | 80 | 88 | 8443) {
        return Err(ApiError::bad_request(
            "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
        ));
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SendKind {
    Text,
    Photo,
}

/// A `WebAppInfo`'s URL: Telegram opens only https addresses.
fn web_app_url(info: &Value) -> Result<(), ApiError> {
    let url = info["url"].as_str().unwrap_or_default();
    if !url.starts_with("https://") {
        return Err(ApiError::bad_request(&format!(
            "inline keyboard button Web App URL '{url}' is invalid: Only HTTPS links are allowed"
        )));
    }
    Ok(())
}

/// An inline keyboard as Telegram checks it; `web_app` buttons only in private chats.
fn validate_markup(markup: &Value, private: bool) -> Result<(), ApiError> {
    let Some(rows) = markup.get("inline_keyboard") else {
        return Ok(());
    };
    let rows = rows.as_array().ok_or_else(|| {
        ApiError::bad_request(
            "can't parse inline keyboard button: InlineKeyboardMarkup must be an Array of Arrays",
        )
    })?;
    for row in rows {
        let row = row.as_array().ok_or_else(|| ApiError::bad_request("can't parse inline keyboard button: InlineKeyboardMarkup must be an Array of Arrays"))?;
        for button in row {
            if button["text"].as_str().is_none_or(str::is_empty) {
                return Err(ApiError::bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
                ));
            }
            if let Some(data) = button.get("callback_data") {
                let len = data.as_str().map_or(0, str::len);
                if !(1..=64).contains(&len) {
                    return Err(ApiError::bad_request("BUTTON_DATA_INVALID"));
                }
            } else if let Some(info) = button.get("web_app") {
                if !private {
                    return Err(ApiError::bad_request("BUTTON_TYPE_INVALID"));
                }
                web_app_url(info)?;
            } else if button.get("url").is_none()
                && button.get("switch_inline_query").is_none()
                && button.get("login_url").is_none()
            {
                return Err(ApiError::bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
                ));
            }
        }
    }
    Ok(())
}

fn validate_parse_mode(p: &Params) -> Result<(), ApiError> {
    match p.str("parse_mode").as_deref() {
        None | Some("") | Some("HTML") | Some("Markdown") | Some("MarkdownV2") => Ok(()),
        Some(other) => Err(ApiError::bad_request(&format!(
            "unsupported parse_mode \"{other}\""
        ))),
    }
}

/// Whether the bot may write to `chat_id`; the chat's JSON and whether it is a group.
fn destination(w: &World, bot: &Bot, chat_id: i64) -> Result<(Value, bool), ApiError> {
    if chat_id > 0 {
        let user = w.users.get(&chat_id).ok_or_else(ApiError::chat_not_found)?;
        if bot.blocked_by.contains(&chat_id) {
            return Err(ApiError::forbidden("bot was blocked by the user"));
        }
        if !bot.started_by.contains(&chat_id) {
            return Err(ApiError::forbidden(
                "bot can't initiate conversation with a user",
            ));
        }
        return Ok((user.private_chat_json(), false));
    }
    let chat = w.chats.get(&chat_id).ok_or_else(ApiError::chat_not_found)?;
    match chat.members.get(&bot.id).map(String::as_str) {
        None | Some("left") => Err(ApiError::forbidden(
            "bot is not a member of the channel chat",
        )),
        Some("kicked") => Err(ApiError::forbidden("bot was kicked from the group chat")),
        Some(status)
            if chat.kind == ChatKind::Channel && !matches!(status, "administrator" | "creator") =>
        {
            Err(ApiError::bad_request(
                "need administrator rights in the channel chat",
            ))
        }
        _ => Ok((chat.to_json(), true)),
    }
}

fn send(sim: &Sim, bot_id: i64, p: &Params, kind: SendKind) -> Result<Value, ApiError> {
    let chat_id = chat_id_param(sim, p)?;
    let markup = p.json("reply_markup")?;
    if let Some(m) = &markup {
        validate_markup(m, chat_id > 0)?;
    }
    validate_parse_mode(p)?;
    let mut message = json!({});
    match kind {
        SendKind::Text => {
            let text = p.str("text").unwrap_or_default();
            if text.trim().is_empty() {
                return Err(ApiError::bad_request("message text is empty"));
            }
            if text.chars().count() > 4096 {
                return Err(ApiError::bad_request("message is too long"));
            }
            message["text"] = json!(text);
        }
        SendKind::Photo => {
            let photo = p
                .str("photo")
                .filter(|s| !s.is_empty())
                .ok_or_else(|| ApiError::bad_request("there is no photo in the request"))?;
            let caption = p.str("caption").unwrap_or_default();
            if caption.chars().count() > 1024 {
                return Err(ApiError::bad_request("message caption is too long"));
            }
            if !(photo.starts_with("http://")
                || photo.starts_with("https://")
                || photo.starts_with("attach://")
                || photo.bytes().all(SECRET_CHARS))
            {
                return Err(ApiError::bad_request(
                    "wrong remote file identifier specified: Wrong character in the string",
                ));
            }
            let file_id = if photo.bytes().all(SECRET_CHARS) {
                photo.clone()
            } else {
                format!("AgAC{:x}", rand::random::<u64>())
            };
            message["photo"] = json!([{"file_id": file_id, "file_unique_id": format!("AQAD{:x}", rand::random::<u32>()), "width": 800, "height": 600}]);
            if !caption.is_empty() {
                message["caption"] = json!(caption);
            }
        }
    }
    with_bot(sim, bot_id, |w, bot| {
        let (chat, is_group) = destination(w, bot, chat_id)?;
        sim.check_rate(bot, chat_id, is_group)?;
        let message_id = bot.next_message_id(chat_id);
        message["message_id"] = json!(message_id);
        message["from"] = bot.user_json();
        message["chat"] = chat;
        message["date"] = json!(unix_now());
        if let Some(m) = &markup
            && m.get("inline_keyboard").is_some()
        {
            message["reply_markup"] = m.clone();
        }
        bot.messages.insert(
            (chat_id, message_id),
            StoredMessage {
                json: message.clone(),
                deleted: false,
            },
        );
        w.events.entry(chat_id).or_default().push(Event::Message {
            bot_id,
            message: message.clone(),
        });
        Ok(message.clone())
    })
}

fn edit(sim: &Sim, bot_id: i64, p: &Params, text: bool) -> Result<Value, ApiError> {
    if p.has("inline_message_id") {
        return Err(ApiError::bad_request("message to edit not found"));
    }
    let chat_id = chat_id_param(sim, p)?;
    let message_id = p
        .i64("message_id")?
        .ok_or_else(|| ApiError::bad_request("message identifier is not specified"))?;
    let markup = p.json("reply_markup")?;
    if let Some(m) = &markup {
        validate_markup(m, chat_id > 0)?;
    }
    validate_parse_mode(p)?;
    let new_text = if text {
        let t = p.str("text").unwrap_or_default();
        if t.trim().is_empty() {
            return Err(ApiError::bad_request("message text is empty"));
        }
        if t.chars().count() > 4096 {
            return Err(ApiError::bad_request("MESSAGE_TOO_LONG"));
        }
        Some(t)
    } else {
        None
    };
    with_bot(sim, bot_id, |w, bot| {
        destination(w, bot, chat_id)?;
        let stored = bot
            .messages
            .get(&(chat_id, message_id))
            .filter(|m| !m.deleted)
            .ok_or_else(|| ApiError::bad_request("message to edit not found"))?;
        let mut updated = stored.json.clone();
        if let Some(t) = &new_text {
            updated["text"] = json!(t);
        }
        match &markup {
            Some(m) if m.get("inline_keyboard").is_some() => updated["reply_markup"] = m.clone(),
            _ => {
                if let Some(o) = updated.as_object_mut() {
                    o.remove("reply_markup");
                }
            }
        }
        if updated == stored.json {
            return Err(ApiError::bad_request(
                "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
            ));
        }
        // Edits have flood limits of their own that Telegram does not publish; only
        // sends are metered here.
        updated["edit_date"] = json!(unix_now());
        bot.messages.insert(
            (chat_id, message_id),
            StoredMessage {
                json: updated.clone(),
                deleted: false,
            },
        );
        w.events.entry(chat_id).or_default().push(Event::Edit {
            bot_id,
            message: updated.clone(),
        });
        Ok(updated)
    })
}

struct PollInFlight<'a> {
    sim: &'a Sim,
    bot_id: i64,
}

impl Drop for PollInFlight<'_> {
    fn drop(&mut self) {
        if let Some(bot) = self.sim.world().bots.get_mut(&self.bot_id) {
            bot.polls_in_flight = bot.polls_in_flight.saturating_sub(1);
        }
    }
}

/// getUpdates: long polling with offsets; 409 while a webhook is set or when a newer
/// getUpdates call replaces this one.
pub async fn get_updates(
    sim: &Sim,
    bot_id: i64,
    token: &str,
    p: &Params,
) -> Result<Value, ApiError> {
    let offset = p.i64("offset")?;
    let limit = match p.i64("limit")? {
        None => 100,
        Some(n) => n.clamp(1, 100) as usize,
    };
    let timeout = match sim.config().get_updates_at_once {
        true => Duration::ZERO,
        false => Duration::from_secs(p.i64("timeout")?.unwrap_or(0).clamp(0, 50) as u64),
    };
    let allowed = match p.json("allowed_updates")? {
        Some(Value::Array(a)) => Some(
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect::<Vec<_>>(),
        ),
        _ => None,
    };
    let deadline = Instant::now() + timeout;
    let generation = {
        let mut w = sim.world();
        let bot = w.bots.get_mut(&bot_id).ok_or_else(ApiError::unauthorized)?;
        if bot.webhook.is_some() {
            return Err(ApiError::conflict(
                "can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            ));
        }
        bot.poll_generation += 1;
        bot.polls_in_flight += 1;
        bot.max_polls_in_flight = bot.max_polls_in_flight.max(bot.polls_in_flight);
        if allowed.is_some() {
            bot.polling_allowed = allowed;
        }
        if let Some(off) = offset {
            // Confirms every update below the offset; a negative offset keeps the last -offset.
            if off >= 0 {
                bot.queue.retain(|q| q.update_id >= off);
            } else {
                let keep = off.unsigned_abs() as usize;
                let drop = bot.queue.len().saturating_sub(keep);
                bot.queue.drain(..drop);
            }
        }
        bot.poll_generation
    };
    // Counts the call out when it ends, however it ends (answered, or the client left).
    let _in_flight = PollInFlight { sim, bot_id };
    sim.changed.notify_waiters();
    loop {
        let notified = sim.changed.notified();
        {
            let mut w = sim.world();
            let retention = Duration::from_millis(sim.config().retention_ms);
            let bot = w.bots.get_mut(&bot_id).ok_or_else(ApiError::unauthorized)?;
            // Revoked, or replaced by a new token (@BotFather's /revoke) while waiting.
            if bot.revoked || bot.token != token {
                return Err(ApiError::unauthorized());
            }
            if bot.poll_generation != generation {
                bot.polls_terminated += 1;
                return Err(ApiError::conflict(
                    "terminated by other getUpdates request; make sure that only one bot instance is running",
                ));
            }
            if bot.webhook.is_some() {
                return Err(ApiError::conflict(
                    "can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
                ));
            }
            bot.queue.retain(|q| q.enqueued_at.elapsed() < retention);
            let allowed = bot.polling_allowed.clone();
            let updates: Vec<Value> = bot
                .queue
                .iter()
                .filter(|q| kind_allowed(allowed.as_ref(), &update_kind(&q.update)))
                .take(limit)
                .map(|q| q.update.clone())
                .collect();
            if !updates.is_empty() || Instant::now() >= deadline {
                return Ok(Value::Array(updates));
            }
        }
        let _ = tokio::time::timeout_at(deadline.into(), notified).await;
    }
}
