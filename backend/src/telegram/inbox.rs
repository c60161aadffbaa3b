//! The durable inbox: every update Telegram delivers (by webhook or polling) is written
//! here, keyed (bot, update_id), before Telegram is told it arrived; the workers claim
//! it from here ([`claim`]), each chat in update order.

use crate::ServiceError;
use crate::entities::{bots, inbox};
use crate::ids::BotId;
use crate::stop::Stop;
use chrono::Utc;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, LockBehavior, LockType, OnConflict, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Set,
};
use serde_json::Value;

/// How long a claimed update is held before another worker may take it.
pub const CLAIM_SECS: i64 = 60;

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
    bot_id: BotId,
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
        claimed_until: Set(None),
        outcome: Set(None),
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

/// Takes up to `limit` updates of bots `owner` holds, oldest first, at most the first
/// waiting one of each chat (no earlier unhandled update of the same bot and chat), and
/// holds them for [`CLAIM_SECS`]. PostgreSQL skips rows another process is claiming.
pub async fn claim(
    db: &DatabaseConnection,
    owner: &str,
    limit: u64,
) -> Result<Vec<inbox::Model>, ServiceError> {
    let now = Utc::now();
    let earlier = Alias::new("earlier");
    let col = |c: inbox::Column| Expr::col((earlier.clone(), c));
    let outer = |c: inbox::Column| Expr::col((inbox::Entity, c));
    let earlier_waiting = Query::select()
        .expr(Expr::val(1))
        .from_as(inbox::Entity, earlier.clone())
        .and_where(col(inbox::Column::ProcessedAt).is_null())
        .and_where(col(inbox::Column::BotId).eq(outer(inbox::Column::BotId)))
        .and_where(col(inbox::Column::ChatId).eq(outer(inbox::Column::ChatId)))
        .and_where(col(inbox::Column::UpdateId).lt(outer(inbox::Column::UpdateId)))
        .to_owned();
    let owned_bots = Query::select()
        .column(bots::Column::Id)
        .from(bots::Entity)
        .and_where(bots::Column::Owner.eq(owner))
        .to_owned();
    let due = inbox::Entity::find()
        .select_only()
        .column(inbox::Column::Id)
        .filter(inbox::Column::ProcessedAt.is_null())
        .filter(
            Condition::any()
                .add(inbox::Column::ClaimedUntil.is_null())
                .add(inbox::Column::ClaimedUntil.lt(now)),
        )
        .filter(inbox::Column::BotId.in_subquery(owned_bots))
        .filter(Expr::exists(earlier_waiting).not())
        .order_by_asc(inbox::Column::Id)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .into_query();
    let mut rows = inbox::Entity::update_many()
        .col_expr(
            inbox::Column::ClaimedUntil,
            Expr::value(now + chrono::Duration::seconds(CLAIM_SECS)),
        )
        .filter(Expr::col(inbox::Column::Id).in_subquery(due))
        .exec_with_returning(db)
        .await?;
    rows.sort_by_key(|r| r.id);
    Ok(rows)
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
    stop: Stop,
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
