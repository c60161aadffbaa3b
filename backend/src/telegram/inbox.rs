//! The durable inbox: every update Telegram delivers (by webhook or polling) is written
//! here, keyed (bot, update_id), before Telegram is told it arrived; the workers claim
//! it from here ([`claim`]), each chat in update order.

use crate::ServiceError;
use crate::db::WriteGate;
use crate::entities::{bots, inbox};
use crate::ids::BotId;
use crate::leases::Leases;
use crate::stop::Stop;
use chrono::Utc;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, LockBehavior, LockType, OnConflict, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set, Statement,
};
use serde_json::Value;
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

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

/// Stores updates of one bot (a batch of getUpdates), each once, in one statement.
/// Returns, per update, whether it was new (`false`: a replay).
pub async fn store_many(
    db: &impl ConnectionTrait,
    bot_id: BotId,
    updates: Vec<IncomingUpdate>,
) -> Result<Vec<bool>, ServiceError> {
    insert_batch(db, updates.into_iter().map(|u| (bot_id, u)).collect()).await
}

/// One `INSERT … ON CONFLICT DO NOTHING RETURNING bot_id, update_id` for every row:
/// which rows were new, in the order given.
///
/// SQLite: the statement's row count is rounded up to one of a few [`statement_rows`]
/// sizes by repeating the last row (a repeat is a conflict, skipped): the driver keeps
/// each distinct statement prepared, so the database parses the insert of a batch once
/// per size instead of once per batch. PostgreSQL: [`insert_unnest`].
async fn insert_batch(
    db: &impl ConnectionTrait,
    mut rows: Vec<(BotId, IncomingUpdate)>,
) -> Result<Vec<bool>, ServiceError> {
    let Some(last) = rows.last().cloned() else {
        return Ok(Vec::new());
    };
    let keys: Vec<(BotId, i64)> = rows.iter().map(|(b, u)| (*b, u.update_id)).collect();
    if db.get_database_backend() == DbBackend::Postgres {
        return insert_unnest(db, rows, keys).await;
    }
    rows.resize(statement_rows(rows.len()), last);
    let now = Utc::now();
    let models = rows.into_iter().map(|(bot_id, u)| inbox::ActiveModel {
        bot_id: Set(bot_id),
        update_id: Set(u.update_id),
        chat_id: Set(u.chat_id),
        kind: Set(u.kind),
        payload: Set(u.payload),
        received_at: Set(now),
        processed_at: Set(None),
        attempts: Set(0),
        last_error: Set(None),
        claimed_until: Set(None),
        outcome: Set(None),
        ..Default::default()
    });
    let mut insert = inbox::Entity::insert_many(models)
        .on_conflict(
            OnConflict::columns([inbox::Column::BotId, inbox::Column::UpdateId])
                .do_nothing()
                .to_owned(),
        )
        .into_query();
    insert.returning(Query::returning().columns([inbox::Column::BotId, inbox::Column::UpdateId]));
    let stored = db
        .query_all_raw(db.get_database_backend().build(&insert))
        .await?;
    which_new(stored, &keys)
}

/// Per key, whether the insert's `RETURNING bot_id, update_id` rows name it (a key twice
/// in one batch is new once).
fn which_new(
    stored: Vec<sea_orm::QueryResult>,
    keys: &[(BotId, i64)],
) -> Result<Vec<bool>, ServiceError> {
    let mut new = HashSet::with_capacity(stored.len());
    for row in stored {
        new.insert((
            row.try_get_by_index::<BotId>(0)?,
            row.try_get_by_index::<i64>(1)?,
        ));
    }
    Ok(keys.iter().map(|k| new.remove(k)).collect())
}

/// PostgreSQL: the batch as one array per column, in one constant statement, so it is
/// parsed and planned once per connection whatever the batch's size (a `VALUES` list of
/// hundreds of rows is planned again on each execution).
async fn insert_unnest(
    db: &impl ConnectionTrait,
    rows: Vec<(BotId, IncomingUpdate)>,
    keys: Vec<(BotId, i64)>,
) -> Result<Vec<bool>, ServiceError> {
    use sea_orm::sea_query::{ArrayType, Value as V};
    // The driver binds arrays without NULL elements: an update without a chat is sent as
    // `NO_CHAT` (no chat has that id) and stored as NULL.
    const NO_CHAT: i64 = i64::MIN;
    const SQL: &str = "INSERT INTO inbox (bot_id, update_id, chat_id, kind, payload, received_at, attempts) \
        SELECT b, u, NULLIF(c, -9223372036854775808), k, p, $6, 0 \
        FROM UNNEST($1::int4[], $2::int8[], $3::int8[], $4::text[], $5::text[]) AS t(b, u, c, k, p) \
        ON CONFLICT (bot_id, update_id) DO NOTHING RETURNING bot_id, update_id";
    let n = rows.len();
    let (mut bots, mut updates, mut chats, mut kinds, mut payloads) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for (bot, u) in rows {
        bots.push(V::Int(Some(bot.0)));
        updates.push(V::BigInt(Some(u.update_id)));
        chats.push(V::BigInt(Some(u.chat_id.unwrap_or(NO_CHAT))));
        kinds.push(V::String(Some(u.kind)));
        payloads.push(V::String(Some(u.payload)));
    }
    let array = |t: ArrayType, v: Vec<V>| V::Array(t, Some(Box::new(v)));
    let stored = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            SQL,
            [
                array(ArrayType::Int, bots),
                array(ArrayType::BigInt, updates),
                array(ArrayType::BigInt, chats),
                array(ArrayType::String, kinds),
                array(ArrayType::String, payloads),
                Utc::now().into(),
            ],
        ))
        .await?;
    which_new(stored, &keys)
}

/// The row count of the insert statement for `n` rows: `n` up to 8, beyond that the next
/// of a series growing by a quarter (10, 12, 15, … 891, [`MAX_BATCH`]) — 31 sizes, each at
/// most a quarter larger than needed. Above [`MAX_BATCH`], `n` itself.
fn statement_rows(n: usize) -> usize {
    if n <= 8 || n > MAX_BATCH {
        return n;
    }
    let mut size = 8;
    while size < n {
        size = (size + size / 4).min(MAX_BATCH);
    }
    size
}

/// Group commit of webhook deliveries: every request hands its update to one writer
/// task and waits; the writer stores all that are waiting in one statement and one
/// commit, then answers each. A request is answered 200 only after its row is committed
/// (as durably as the writer's connection commits: see [`crate::db::Durability`]), and
/// a batch forms by itself while the previous one commits — no request waits for a
/// timer. Batches commit one at a time on both databases: on PostgreSQL two, three or
/// four at once were slower, because each batch was smaller and PostgreSQL's cost per
/// batch (statement, commit, WAL flush) was paid more often (docs/performance.md). On
/// PostgreSQL other processes are told (NOTIFY) only of updates of bots
/// this process does not hold, at most once per [`ANNOUNCE_GAP`] and off the requests'
/// path. Cloning shares the writer.
#[derive(Clone)]
pub struct InboxWriter {
    tx: mpsc::Sender<Delivery>,
}

struct Delivery {
    bot: BotId,
    update: IncomingUpdate,
    done: oneshot::Sender<Result<bool, String>>,
}

/// Most rows in one statement (SQLite allows 32,766 bound values; a row has 10).
pub const MAX_BATCH: usize = 1024;
/// Deliveries waiting for the writer before new ones wait to be queued.
const QUEUE: usize = 8192;

impl std::fmt::Debug for InboxWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InboxWriter")
    }
}

impl InboxWriter {
    /// Starts the writer on `db` (its own connection on SQLite). It wakes `wake` after
    /// each batch with new rows, and on PostgreSQL tells the other processes when a
    /// batch has new rows of a bot this process does not hold (`leases`). It ends when
    /// `stop` is set, after storing what it holds.
    pub fn spawn(
        db: DatabaseConnection,
        writes: Arc<WriteGate>,
        wake: Arc<tokio::sync::Notify>,
        leases: Leases,
        stop: Stop,
    ) -> (InboxWriter, tokio::task::JoinHandle<()>) {
        let (tx, mut rx) = mpsc::channel::<Delivery>(QUEUE);
        let postgres = db.get_database_backend() == sea_orm::DbBackend::Postgres;
        let stored = Arc::new(tokio::sync::Notify::new());
        let task = tokio::spawn(async move {
            let announcer =
                postgres.then(|| spawn_announcer(db.clone(), stored.clone(), stop.clone()));
            loop {
                let first = tokio::select! {
                    d = rx.recv() => match d {
                        Some(d) => d,
                        None => break,
                    },
                    _ = stop.wait() => {
                        rx.close();
                        match rx.recv().await {
                            Some(d) => d,
                            None => break,
                        }
                    }
                };
                // What arrived while the previous batch committed joins this one.
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(d) => batch.push(d),
                        Err(_) => break,
                    }
                }
                // One batch at a time: the next forms while this one commits.
                let new = write(&db, &writes, batch).await;
                if !new.is_empty() {
                    wake.notify_one();
                    if new.iter().any(|bot| !leases.owns(*bot)) {
                        stored.notify_one();
                    }
                }
            }
            if let Some(a) = announcer {
                a.abort();
            }
        });
        (InboxWriter { tx }, task)
    }

    /// Stores an update once, durably; `Ok(false)`: it was there already (a replay).
    pub async fn store(&self, bot: BotId, update: IncomingUpdate) -> Result<bool, ServiceError> {
        let (done, answer) = oneshot::channel();
        self.tx
            .send(Delivery { bot, update, done })
            .await
            .map_err(|_| ServiceError::Internal("the inbox writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| ServiceError::Internal("the inbox writer has stopped".into()))?
            .map_err(ServiceError::Internal)
    }
}

/// Stores one batch and answers each of its requests; the bots that have new rows.
async fn write(db: &DatabaseConnection, writes: &WriteGate, batch: Vec<Delivery>) -> Vec<BotId> {
    let (rows, dones): (Vec<_>, Vec<_>) = batch
        .into_iter()
        .map(|d| ((d.bot, d.update), (d.bot, d.done)))
        .unzip();
    let stored = {
        let _turn = writes.enter().await;
        insert_batch(db, rows).await
    };
    match stored {
        Ok(new) => {
            let mut with_new: Vec<BotId> = Vec::new();
            for ((bot, done), new) in dones.into_iter().zip(new) {
                if new && !with_new.contains(&bot) {
                    with_new.push(bot);
                }
                let _ = done.send(Ok(new));
            }
            with_new
        }
        Err(e) => {
            // Not stored, so not acknowledged: Telegram delivers them again.
            tracing::error!(error = %e, rows = dones.len(), "inbox insert failed");
            for (_, done) in dones {
                let _ = done.send(Err(e.to_string()));
            }
            Vec::new()
        }
    }
}

/// Least time between two NOTIFYs of one process. A NOTIFY is a transaction of its own
/// and a signal to every listening backend: after each batch it took a fifth to a third
/// of PostgreSQL's batch-insert rate (`scripts/pg-insert-bench`: 2,430–2,590 batches of
/// 8 rows a second alone, 1,560–2,010 with a NOTIFY after each). Another process learns
/// of an update within this gap instead of at its half-second look.
pub const ANNOUNCE_GAP: std::time::Duration = std::time::Duration::from_millis(10);

/// Tells the other processes about new rows (PostgreSQL): one NOTIFY in flight at a time
/// and at most one per [`ANNOUNCE_GAP`]; stores meanwhile are told by the next, off the
/// requests' path.
fn spawn_announcer(
    db: DatabaseConnection,
    stored: Arc<tokio::sync::Notify>,
    stop: Stop,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = stored.notified() => announce(&db).await,
                _ = stop.wait() => return,
            }
            stop.sleep(ANNOUNCE_GAP).await;
        }
    })
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
    fn statement_sizes_are_few_and_close_to_the_batch() {
        let sizes: HashSet<usize> = (1..=MAX_BATCH).map(statement_rows).collect();
        assert_eq!(sizes.len(), 31, "{sizes:?}");
        for n in 1..=MAX_BATCH {
            let size = statement_rows(n);
            assert!(size >= n && size <= MAX_BATCH, "{n} → {size}");
            assert!(size <= 8 || size * 4 <= n * 5 + 4, "{n} → {size}");
        }
        assert_eq!(statement_rows(9), 10);
        assert_eq!(statement_rows(MAX_BATCH + 5), MAX_BATCH + 5);
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
