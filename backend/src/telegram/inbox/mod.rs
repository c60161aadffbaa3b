//! The durable inbox: every update Telegram delivers (by webhook or polling) is written
//! here, keyed (bot, update_id), before Telegram is told it arrived; the workers claim
//! it from here ([`claim`]), each chat in update order.
//!
//! Here: what an update is to the inbox ([`IncomingUpdate`]), the workers' [`claim`], and
//! the PostgreSQL channel on which processes tell each other of new rows. The insert
//! statements and the connection they run on are in [`store`]; the group commit of
//! webhook deliveries in [`writer`].
//!
//! May import: the foundation (`db`, `entities`, `ids`, `leases`, `stop`, `error`).

mod store;
mod writer;

pub use store::{MAX_BATCH, store_many};
pub use writer::{ANNOUNCE_GAP, InboxWriter};

use crate::ServiceError;
use crate::entities::{bots, inbox};
use crate::stop::Stop;
use chrono::Utc;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, LockBehavior, LockType, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait,
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
    /// The conversation it belongs to, when it has one — its chat, or for a button press
    /// the user who pressed: workers keep each conversation in order.
    pub chat_id: Option<i64>,
    /// `message`, `callback_query`, … or any kind Telegram adds later (stored all the same).
    pub kind: String,
    pub payload: String,
}

impl IncomingUpdate {
    /// Reads what the inbox needs from a delivery body. Every update Telegram sends has
    /// the shape [`Shaped`] reads straight from the bytes; anything else (another shape,
    /// an odd type somewhere, a second kind) is read as a JSON value, with the same result
    /// for whatever both read.
    pub fn parse(body: &[u8]) -> Result<IncomingUpdate, BadUpdate> {
        if let Ok(Shaped(Some((update_id, kind, inner)))) = serde_json::from_slice(body) {
            return Ok(IncomingUpdate {
                update_id,
                chat_id: inner.chat_id(&kind),
                kind,
                payload: String::from_utf8_lossy(body).into_owned(),
            });
        }
        Self::parse_value(body)
    }

    fn parse_value(body: &[u8]) -> Result<IncomingUpdate, BadUpdate> {
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
        // A button press belongs with its presser's conversation (the answer goes to
        // them), not with the chat the button was in: presses of one button in a busy
        // group are answered side by side.
        let presser = (kind == "callback_query")
            .then(|| {
                inner
                    .and_then(|u| u.pointer("/from/id"))
                    .and_then(Value::as_i64)
            })
            .flatten();
        let chat_id = presser.or_else(|| {
            inner.and_then(|u| {
                u.pointer("/chat/id")
                    .or_else(|| u.pointer("/message/chat/id"))
                    .or_else(|| u.pointer("/from/id"))
                    .or_else(|| u.pointer("/user/id"))
                    .and_then(Value::as_i64)
            })
        });
        Ok(IncomingUpdate {
            update_id,
            chat_id,
            kind,
            payload: String::from_utf8_lossy(body).into_owned(),
        })
    }
}

/// An update of the usual shape, `{"update_id": n, "<kind>": {…}}` with `n ≥ 0` and the
/// kind's object holding ids where Telegram puts them; `Shaped(None)` or an error for
/// anything else, which [`IncomingUpdate::parse`] then reads the slow way.
struct Shaped(Option<(i64, String, Inner)>);

/// The ids of a kind's object that tell its conversation (unknown fields skipped).
#[derive(serde::Deserialize)]
struct Inner {
    chat: Option<HasId>,
    message: Option<HasChat>,
    from: Option<HasId>,
    user: Option<HasId>,
}

#[derive(serde::Deserialize)]
struct HasId {
    id: i64,
}

#[derive(serde::Deserialize)]
struct HasChat {
    chat: Option<HasId>,
}

impl Inner {
    /// As [`IncomingUpdate::parse_value`] finds it: a presser's id for a button press,
    /// otherwise the chat, the message's chat, the sender or the user.
    fn chat_id(&self, kind: &str) -> Option<i64> {
        let id = |h: &Option<HasId>| h.as_ref().map(|h| h.id);
        if kind == "callback_query"
            && let Some(presser) = id(&self.from)
        {
            return Some(presser);
        }
        id(&self.chat)
            .or_else(|| self.message.as_ref().and_then(|m| id(&m.chat)))
            .or_else(|| id(&self.from))
            .or_else(|| id(&self.user))
    }
}

impl<'de> serde::Deserialize<'de> for Shaped {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Shaped, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Shaped;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an update")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Shaped, A::Error> {
                let (mut update_id, mut kind) = (None, None);
                while let Some(key) = m.next_key::<std::borrow::Cow<'de, str>>()? {
                    if key == "update_id" && update_id.is_none() {
                        update_id = Some(m.next_value::<i64>()?);
                    } else if kind.is_none() && key != "update_id" && key.chars().count() <= 64 {
                        kind = Some((key.into_owned(), m.next_value::<Inner>()?));
                    } else {
                        // A second kind or a repeated key: the slow way decides.
                        return Ok(Shaped(None));
                    }
                }
                Ok(Shaped(match (update_id, kind) {
                    (Some(id), Some((kind, inner))) if id >= 0 => Some((id, kind, inner)),
                    _ => None,
                }))
            }
        }
        d.deserialize_map(Visit)
    }
}

/// Takes up to `limit` updates of bots `owner` holds, oldest first, at most the first
/// waiting one of each chat (no earlier unhandled update of the same bot and chat), and
/// holds them for [`CLAIM_SECS`]. PostgreSQL skips rows another process is claiming, and
/// walks its partial index of the waiting rows (`idx_inbox_waiting`) so that a claim stays
/// cheap under a backlog even before the table has statistics; SQLite, without
/// statistics, still reads every waiting row of the bot (docs/performance.md).
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
        // A press under a group's message is the presser's, not the group's.
        let u = IncomingUpdate::parse(br#"{"update_id":10,"callback_query":{"id":"y","from":{"id":77},"message":{"chat":{"id":-1001}}}}"#).unwrap();
        assert_eq!(u.chat_id, Some(77));
        let u = IncomingUpdate::parse(br#"{"update_id":9,"brand_new_kind":{"whatever":true}}"#)
            .unwrap();
        assert_eq!((u.chat_id, u.kind.as_str()), (None, "brand_new_kind"));
    }

    #[test]
    fn the_quick_reading_agrees_with_the_full_one() {
        for body in [
            &br#"{"update_id":7,"message":{"message_id":1,"chat":{"id":-100},"text":"hi"}}"#[..],
            br#"{"message":{"from":{"id":3,"is_bot":false},"chat":{"id":3}},"update_id":1}"#,
            br#"{"update_id":8,"callback_query":{"id":"x","from":{"id":5},"message":{"chat":{"id":-5}}}}"#,
            br#"{"update_id":9,"callback_query":{"id":"x","message":{"chat":{"id":-5}}}}"#,
            br#"{"update_id":10,"my_chat_member":{"chat":{"id":-9},"from":{"id":4}}}"#,
            br#"{"update_id":11,"poll":{"id":"p"}}"#,
            br#"{"update_id":12,"chat_boost":{"chat":{"id":-7},"boost":{}}}"#,
            br#"{"update_id":13,"message_reaction_count":{"user":{"id":4}}}"#,
            br#"{"update_id":14,"message":{"chat":{"id":"not a number"},"from":{"id":6}}}"#,
            br#"{"update_id":15,"message":{"chat":{"id":1}},"edited_message":{"chat":{"id":2}}}"#,
            br#"{"update_id":16,"update_id":17,"message":{"chat":{"id":1}}}"#,
            br#"{"update_id":18,"message":null}"#,
            br#"{"update_id":19,"message":{"chat":{"id":1.5},"from":{"id":2}}}"#,
            br#"{"update_id":20,"x\u00e9":{"chat":{"id":1}}}"#,
        ] {
            let text = String::from_utf8_lossy(body);
            assert_eq!(
                IncomingUpdate::parse(body),
                IncomingUpdate::parse_value(body),
                "{text}"
            );
        }
        let quick = |b: &[u8]| matches!(serde_json::from_slice(b), Ok(Shaped(Some(_))));
        assert!(quick(
            br#"{"update_id":7,"message":{"chat":{"id":1},"text":"hi"}}"#
        ));
        assert!(!quick(br#"{"update_id":7,"message":{"chat":{"id":"1"}}}"#));
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
