//! The durable inbox: every update Telegram delivers (by webhook or polling) is written
//! here, keyed (bot, update_id), before Telegram is told it arrived.

use crate::ServiceError;
use crate::entities::inbox;
use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Set};
use serde_json::Value;

/// Why a delivery body is not an update.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadUpdate {
    #[error("not JSON")]
    NotJson,
    #[error("not a JSON object")]
    NotObject,
    #[error("no valid update_id")]
    NoUpdateId,
}

/// An update as the inbox stores it: the raw JSON, and what ordering needs.
#[derive(Debug, Clone, PartialEq)]
pub struct IncomingUpdate {
    pub update_id: i64,
    /// The chat it belongs to, when it has one: workers keep each chat in order.
    pub chat_id: Option<i64>,
    /// `message`, `callback_query`, … or any kind Telegram adds later (stored all the same).
    pub kind: String,
    pub payload: String,
}

impl IncomingUpdate {
    pub fn parse(body: &[u8]) -> Result<IncomingUpdate, BadUpdate> {
        let value: Value = serde_json::from_slice(body).map_err(|_| BadUpdate::NotJson)?;
        let obj = value.as_object().ok_or(BadUpdate::NotObject)?;
        let update_id = obj
            .get("update_id")
            .and_then(Value::as_i64)
            .filter(|id| *id >= 0)
            .ok_or(BadUpdate::NoUpdateId)?;
        let kind = obj
            .keys()
            .find(|k| k.as_str() != "update_id")
            .map(|k| k.chars().take(64).collect::<String>())
            .unwrap_or_default();
        let inner = obj.get(&kind);
        let chat_id = inner.and_then(|u| {
            u.pointer("/chat/id")
                .or_else(|| u.pointer("/message/chat/id"))
                .or_else(|| u.pointer("/from/id"))
                .or_else(|| u.pointer("/user/id"))
                .and_then(Value::as_i64)
        });
        Ok(IncomingUpdate {
            update_id,
            chat_id,
            kind,
            payload: String::from_utf8_lossy(body).into_owned(),
        })
    }
}

/// Stores an update once. `Ok(false)` means it was there already (a replay).
pub async fn store(
    db: &impl ConnectionTrait,
    bot_id: i32,
    update: IncomingUpdate,
) -> Result<bool, ServiceError> {
    let row = inbox::ActiveModel {
        bot_id: Set(bot_id),
        update_id: Set(update.update_id),
        chat_id: Set(update.chat_id),
        kind: Set(update.kind),
        payload: Set(update.payload),
        received_at: Set(Utc::now()),
        processed_at: Set(None),
        attempts: Set(0),
        last_error: Set(None),
        ..Default::default()
    };
    let res = inbox::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([inbox::Column::BotId, inbox::Column::UpdateId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(res > 0)
}

/// The PostgreSQL channel on which a process says it stored an update.
pub const CHANNEL: &str = "tombola_inbox";

/// Tells every process that an update was stored (PostgreSQL only): the bot's owner may
/// be another process than the one Telegram delivered to, and it answers at once instead
/// of at its next look. Best effort: the owner looks every half second anyway.
pub async fn announce(db: &DatabaseConnection) {
    if db.get_database_backend() == sea_orm::DbBackend::Postgres
        && let Err(e) = db.execute_unprepared(&format!("NOTIFY {CHANNEL}")).await
    {
        tracing::debug!(error = %e, "inbox announcement not sent");
    }
}

/// On PostgreSQL: listens on [`CHANNEL`] and wakes `wake` for every announcement, until
/// `stop`; reconnects after a failure. `None` on other databases (one process only).
pub fn spawn_listener(
    db: &DatabaseConnection,
    wake: std::sync::Arc<tokio::sync::Notify>,
    stop: crate::shutdown::Stop,
) -> Option<tokio::task::JoinHandle<()>> {
    if db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return None;
    }
    let pool = db.get_postgres_connection_pool().clone();
    Some(tokio::spawn(async move {
        use sea_orm::sqlx::postgres::PgListener;
        while !stop.is_set() {
            let listening = async {
                let mut l = PgListener::connect_with(&pool).await?;
                l.listen(CHANNEL).await?;
                Ok::<_, sea_orm::sqlx::Error>(l)
            };
            let mut listener = match listening.await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "inbox listener cannot listen; trying again");
                    stop.sleep(std::time::Duration::from_secs(5)).await;
                    continue;
                }
            };
            loop {
                tokio::select! {
                    n = listener.recv() => match n {
                        Ok(_) => wake.notify_one(),
                        Err(e) => {
                            tracing::warn!(error = %e, "inbox listener lost its connection");
                            break;
                        }
                    },
                    _ = stop.wait() => return,
                }
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kinds_and_chats() {
        let u = IncomingUpdate::parse(
            br#"{"update_id":7,"message":{"message_id":1,"chat":{"id":-100},"text":"hi"}}"#,
        )
        .unwrap();
        assert_eq!(
            (u.update_id, u.chat_id, u.kind.as_str()),
            (7, Some(-100), "message")
        );
        let u = IncomingUpdate::parse(br#"{"update_id":8,"callback_query":{"id":"x","from":{"id":5},"message":{"chat":{"id":5}}}}"#).unwrap();
        assert_eq!((u.chat_id, u.kind.as_str()), (Some(5), "callback_query"));
        let u = IncomingUpdate::parse(br#"{"update_id":9,"brand_new_kind":{"whatever":true}}"#)
            .unwrap();
        assert_eq!((u.chat_id, u.kind.as_str()), (None, "brand_new_kind"));
    }

    #[test]
    fn refuses_what_is_not_an_update() {
        assert_eq!(IncomingUpdate::parse(b"{nope"), Err(BadUpdate::NotJson));
        assert_eq!(IncomingUpdate::parse(b"[1,2]"), Err(BadUpdate::NotObject));
        assert_eq!(IncomingUpdate::parse(b"{}"), Err(BadUpdate::NoUpdateId));
        assert_eq!(
            IncomingUpdate::parse(br#"{"update_id":"7"}"#),
            Err(BadUpdate::NoUpdateId)
        );
        assert_eq!(
            IncomingUpdate::parse(br#"{"update_id":-1}"#),
            Err(BadUpdate::NoUpdateId)
        );
        assert_eq!(IncomingUpdate::parse(b""), Err(BadUpdate::NotJson));
    }
}
