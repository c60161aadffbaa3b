//! Join conditions checked with getChatMember: is a user a member of these channels and
//! groups? And with getUserChatBoosts: how many boosts has a user given a chat? Asked when
//! someone joins and again for each pick of a draw.

use crate::ServiceError;
use crate::botapi::{Meter, classify};
use crate::error::TelegramError;
use teloxide::prelude::Requester;
use teloxide::types::{ChatMemberKind, Recipient, UserId};

/// Whether a user is (still) a member of every chat. Telegram unreachable → error (the
/// caller waits); a chat the bot cannot see does not disqualify anyone.
pub async fn still_member(
    bot: &teloxide::Bot,
    meter: &Meter,
    chats: &[String],
    user_id: i64,
) -> Result<bool, ServiceError> {
    Ok(missing_memberships(bot, meter, chats, user_id)
        .await?
        .is_empty())
}

/// The chats of `chats` the user is not a member of.
pub async fn missing_memberships(
    bot: &teloxide::Bot,
    meter: &Meter,
    chats: &[String],
    user_id: i64,
) -> Result<Vec<String>, ServiceError> {
    let mut missing = Vec::new();
    for chat in chats {
        let answer = bot
            .get_chat_member(recipient(chat), UserId(user_id as u64))
            .await;
        match meter.count("getChatMember", answer) {
            Ok(m) => {
                let member = match &m.kind {
                    ChatMemberKind::Owner(_)
                    | ChatMemberKind::Administrator(_)
                    | ChatMemberKind::Member { .. } => true,
                    ChatMemberKind::Restricted(r) => r.is_member,
                    ChatMemberKind::Left | ChatMemberKind::Banned(_) => false,
                };
                if !member {
                    missing.push(chat.clone());
                }
            }
            Err(e) => match classify("getChatMember", &e) {
                TelegramError::Unavailable | TelegramError::RetryAfter(_) => {
                    return Err(ServiceError::Telegram(TelegramError::Unavailable));
                }
                // An answer we cannot read says nothing of membership: not checked.
                e @ TelegramError::Unreadable(_) => return Err(ServiceError::Telegram(e)),
                // A user who never was in the chat: "user not found" / "member not found".
                TelegramError::Refused if never_member(&e) => missing.push(chat.clone()),
                other => {
                    tracing::warn!(chat = %chat, error = %other, "membership cannot be checked");
                }
            },
        }
    }
    Ok(missing)
}

/// How many boosts `user_id` has given `chat` (getUserChatBoosts; the bot must
/// administer the chat). Telegram unreachable → error; a refusal (the bot is not an
/// administrator, the chat is gone) → an error the caller reports as "cannot check".
pub async fn boosts_of(
    bot: &teloxide::Bot,
    meter: &Meter,
    chat: &str,
    user_id: i64,
) -> Result<u32, ServiceError> {
    let answer = bot
        .get_user_chat_boosts(recipient(chat), UserId(user_id as u64))
        .await;
    match meter.count("getUserChatBoosts", answer) {
        Ok(b) => Ok(b.boosts.len() as u32),
        Err(e) => Err(ServiceError::Telegram(classify("getUserChatBoosts", &e))),
    }
}

/// A chat as the Bot API addresses it: `-100…` ids as ids, `@name` as a username.
pub fn recipient(chat: &str) -> Recipient {
    match chat.parse::<i64>() {
        Ok(id) => Recipient::Id(teloxide::types::ChatId(id)),
        Err(_) => Recipient::ChannelUsername(chat.to_owned()),
    }
}

fn never_member(e: &teloxide::RequestError) -> bool {
    use teloxide::{ApiError, RequestError};
    match e {
        RequestError::Api(ApiError::UserNotFound) => true,
        RequestError::Api(ApiError::Unknown(s)) => s.contains("member not found"),
        _ => false,
    }
}
