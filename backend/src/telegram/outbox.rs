//! The durable outbox: bulk messages (winner notices, result posts) are written here in
//! the same transaction as the change that causes them, and a sender delivers them
//! through the per-bot limiter. A restart loses none: an unsent row is sent after it.
//! A row is sent once as far as we can know; a crash between Telegram's answer and our
//! "sent" mark is the only window for a repeat.
//!
//! Only the process that owns a bot ([`crate::leases`]) sends for it, so its rate limit
//! (kept in that process's limiter) holds however many processes run; each row is
//! claimed just before its send with `FOR UPDATE SKIP LOCKED` on PostgreSQL.
//!
//! A message may carry a prize code by reference ([`CodeRef`]); it is opened only for the
//! send, and not sent if a reroll gave the code to someone else meanwhile.
//!
//! Users who blocked the bot or never started it are recorded ("failed" with the reason)
//! and not retried; a 429 waits as told; other failures retry with back-off, then fail.

use super::set_bot_status;
use crate::ServiceError;
use crate::botapi::{SEND_TIMEOUT_SECS, classify, refusal};
use crate::crypto::{open_code, open_token};
use crate::deps::Deps;
use crate::entities::outbox::{Kind, Status};
use crate::entities::{bots, outbox, prize_codes, tenants};
use crate::error::TelegramError;
use crate::ids::{BotId, GiveawayId, TenantId};
use crate::stop::Stop;
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use domain::{BotStatus, StatusReason};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use teloxide::payloads::SendMessageSetters;
use teloxide::prelude::Requester;
use teloxide::types::{ChatId, InlineKeyboardButton, InlineKeyboardMarkup};
/// Attempts before a row that keeps failing for other reasons is given up.
pub const MAX_ATTEMPTS: i32 = 8;

/// What to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub text: String,
    /// Optional URL buttons, one per row: (label, url).
    #[serde(default)]
    pub links: Vec<(String, String)>,
    /// Optional callback buttons, one per row after the links: (label, callback data).
    #[serde(default)]
    pub callbacks: Vec<(String, String)>,
    /// A prize code to put in place of `{code}` in the text, opened only for the send:
    /// the code never sits in the outbox in the clear.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeRef>,
}

/// Which prize code a message carries, and the entry number it must still be given to
/// when sent (a code taken back by a reroll is not sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRef {
    pub id: i64,
    pub number: i32,
}

/// Puts the prize code a message carries into its text; `None` when the code is gone or
/// has been given to someone else since the message was written.
async fn fill_code(deps: &Deps, mut message: Message) -> Result<Option<Message>, ServiceError> {
    let Some(c) = message.code else {
        return Ok(Some(message));
    };
    let row = prize_codes::Entity::find_by_id(c.id).one(&deps.db).await?;
    let Some(row) = row.filter(|r| r.number == Some(c.number)) else {
        return Ok(None);
    };
    message.text = message
        .text
        .replace("{code}", &open_code(&deps.cipher, &row)?);
    Ok(Some(message))
}

/// A row to write.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub tenant_id: TenantId,
    pub bot_id: BotId,
    pub giveaway_id: Option<GiveawayId>,
    pub kind: Kind,
    pub chat_id: i64,
    pub message: Message,
    /// Unique per purpose, e.g. `win:<giveaway>:<entry>`; writing it twice is a no-op.
    pub dedupe_key: String,
}

/// Writes messages on their own (in this process's turn to write) and wakes the sender.
pub async fn enqueue_now(deps: &Deps, rows: Vec<NewMessage>) -> Result<(), ServiceError> {
    let turn = deps.writes.enter().await;
    enqueue(&deps.db, rows).await?;
    drop(turn);
    deps.wake.sender.notify_one();
    Ok(())
}

/// Writes messages (inside the caller's transaction), due at once by the real clock.
/// Duplicates are ignored.
pub async fn enqueue(db: &impl ConnectionTrait, rows: Vec<NewMessage>) -> Result<(), ServiceError> {
    let now = Utc::now();
    if rows.is_empty() {
        return Ok(());
    }
    for chunk in rows.chunks(500) {
        let models = chunk.iter().map(|m| outbox::ActiveModel {
            tenant_id: Set(m.tenant_id),
            bot_id: Set(m.bot_id),
            giveaway_id: Set(m.giveaway_id),
            kind: Set(m.kind),
            chat_id: Set(m.chat_id),
            payload: Set(serde_json::to_string(&m.message).expect("plain data")),
            dedupe_key: Set(m.dedupe_key.clone()),
            status: Set(Status::Pending),
            attempts: Set(0),
            not_before: Set(now),
            created_at: Set(now),
            ..Default::default()
        });
        outbox::Entity::insert_many(models)
            .on_conflict(
                OnConflict::column(outbox::Column::DedupeKey)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// How a giveaway's draw messages stand (winners' notices and the result post; not
/// what joins and referrals sent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub sent: u64,
    pub pending: u64,
    pub failed: u64,
    /// Failure reasons and how many of each.
    pub reasons: BTreeMap<String, u64>,
}

pub async fn progress(
    db: &impl ConnectionTrait,
    giveaway_id: GiveawayId,
) -> Result<Progress, ServiceError> {
    let rows: Vec<(Status, Option<String>, i64)> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Status)
        .column(outbox::Column::LastError)
        .column_as(outbox::Column::Id.count(), "n")
        .filter(outbox::Column::GiveawayId.eq(giveaway_id))
        // The draw's messages only, not what joins and referrals sent before it.
        .filter(outbox::Column::Kind.is_in([Kind::WinnerDm, Kind::ResultPost]))
        .group_by(outbox::Column::Status)
        .group_by(outbox::Column::LastError)
        .into_tuple()
        .all(db)
        .await?;
    let mut p = Progress::default();
    for (status, reason, n) in rows {
        let n = n.max(0) as u64;
        match status {
            Status::Sent => p.sent += n,
            Status::Failed => {
                p.failed += n;
                *p.reasons
                    .entry(reason.unwrap_or_else(|| "unknown".into()))
                    .or_default() += n;
            }
            Status::Pending => p.pending += n,
        }
    }
    Ok(p)
}

/// Delivers the outbox. One per process; per bot it owns, one task at a time sends its
/// rows in order through the limiter, so bots do not wait for each other.
#[derive(Clone)]
pub struct Sender {
    deps: Deps,
    busy: Arc<Mutex<HashSet<BotId>>>,
    counters: Arc<Counters>,
    stop: Stop,
}

/// Send outcomes since start (for metrics and the benchmark).
#[derive(Debug, Default)]
pub struct Counters {
    pub sent: std::sync::atomic::AtomicU64,
    pub failed: std::sync::atomic::AtomicU64,
    pub retried: std::sync::atomic::AtomicU64,
    pub too_many_requests: std::sync::atomic::AtomicU64,
}

/// How long a claimed row stays ours before another sender may take it: a row is claimed
/// just before its send, which gives up after `SEND_TIMEOUT_SECS`, so a row held by a
/// process that died is free again this long after.
const LEASE: i64 = SEND_TIMEOUT_SECS as i64 + 10;
/// The shortest time between two looks for bots with due rows.
const DISPATCH_GAP: Duration = Duration::from_millis(50);
/// Rows a bot's sender claims at once: about a second of sending at Telegram's rate.
const CLAIM_BATCH: u64 = 30;

/// Waits for a row's "sent" mark written in the background.
async fn await_mark(
    mark: Option<tokio::task::JoinHandle<Result<(), ServiceError>>>,
) -> Result<(), ServiceError> {
    match mark {
        Some(h) => h
            .await
            .map_err(|e| ServiceError::Internal(format!("marking a sent row: {e}")))?,
        None => Ok(()),
    }
}

/// The sendMessage request for a row: its text and buttons (links, then callbacks).
fn request(
    bot: &teloxide::Bot,
    row: &outbox::Model,
    message: Message,
) -> teloxide::requests::JsonRequest<teloxide::payloads::SendMessage> {
    let mut req = bot.send_message(ChatId(row.chat_id), message.text);
    let rows: Vec<Vec<InlineKeyboardButton>> =
        message
            .links
            .iter()
            .filter_map(|(label, url)| {
                url.parse()
                    .ok()
                    .map(|u| vec![InlineKeyboardButton::url(label.clone(), u)])
            })
            .chain(message.callbacks.iter().map(|(label, data)| {
                vec![InlineKeyboardButton::callback(label.clone(), data.clone())]
            }))
            .collect();
    if !rows.is_empty() {
        req = req.reply_markup(InlineKeyboardMarkup::new(rows));
    }
    req
}

impl Sender {
    /// A sender over the process's parts; woken by `deps.wake.sender`.
    pub fn new(deps: Deps) -> Sender {
        Sender {
            deps,
            busy: Arc::default(),
            counters: Arc::default(),
            stop: Stop::never(),
        }
    }

    pub fn counters(&self) -> Arc<Counters> {
        self.counters.clone()
    }

    /// Runs until `stop`: looks for due rows when woken and every second. When stopping,
    /// each bot's task finishes the send under way and claims no more; the task returned
    /// ends when they all have. Unsent rows stay in the outbox for the next start.
    pub fn spawn(mut self, stop: Stop) -> tokio::task::JoinHandle<()> {
        self.stop = stop.clone();
        tokio::spawn(async move {
            while !stop.is_set() {
                let notified = self.deps.wake.sender.notified();
                if let Err(e) = self.dispatch().await {
                    tracing::warn!(error = %e, "outbox round failed");
                }
                // A bot already sending picks up its new rows itself; a look for bots
                // with none running scans the due rows, so there are at most twenty a
                // second however many rows are written (a join writes one each).
                stop.sleep(DISPATCH_GAP).await;
                stop.pause(Duration::from_secs(1), notified).await;
            }
            while !self.busy().is_empty() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    }

    /// Starts a sending task for every bot this process owns with due rows and no task.
    pub async fn dispatch(&self) -> Result<usize, ServiceError> {
        let now = Utc::now();
        let bot_ids: Vec<BotId> = outbox::Entity::find()
            .select_only()
            .column(outbox::Column::BotId)
            .distinct()
            .filter(due(now))
            .into_tuple()
            .all(&self.deps.db)
            .await?;
        let mut started = 0;
        for bot_id in bot_ids {
            if !self.deps.leases.owns(bot_id) || !self.busy().insert(bot_id) {
                continue;
            }
            started += 1;
            let me = self.clone();
            let span = tracing::info_span!("outbox", bot = %bot_id);
            tokio::spawn(tracing::Instrument::instrument(
                async move {
                    if let Err(e) = me.drain(bot_id).await {
                        tracing::warn!(bot = %bot_id, error = %e, "outbox sending stopped");
                    }
                    me.busy().remove(&bot_id);
                },
                span,
            ));
        }
        Ok(started)
    }

    fn busy(&self) -> std::sync::MutexGuard<'_, HashSet<BotId>> {
        self.busy.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends a bot's due rows, oldest first, until none is due or the bot is no longer
    /// this process's.
    ///
    /// Rows are claimed [`CLAIM_BATCH`] at a time (one statement), and each row's mark is
    /// written while the next one waits for its slot, so a bot's sending keeps the
    /// limiter's pace instead of adding two database round trips to every message.
    /// Rows claimed but not sent (stop, lost lease, bot turned off) are released at once.
    async fn drain(&self, bot_id: BotId) -> Result<(), ServiceError> {
        let deps = &self.deps;
        loop {
            let Some((bot_row, tenant)) = bots::Entity::find_by_id(bot_id)
                .find_also_related(tenants::Entity)
                .one(&deps.db)
                .await?
                .and_then(|(b, t)| t.map(|t| (b, t)))
            else {
                return Ok(());
            };
            if !bot_row.enabled
                || bot_row.status == BotStatus::Revoked
                || tenant.suspended_at.is_some()
            {
                // Kept for when the bot is on again, has a new token, or the tenant resumes.
                return Ok(());
            }
            let bot = deps.api.sending_bot(&open_token(&deps.cipher, &bot_row)?);
            let meter = deps.api.meter(bot_row.tenant_id, bot_id);
            // Then some batches, the bot read again afterwards in case it was turned off.
            let mut marking: Option<tokio::task::JoinHandle<Result<(), ServiceError>>> = None;
            for _ in 0..4 {
                let batch = self.claim_batch(bot_id).await?;
                if batch.is_empty() {
                    break;
                }
                let claimed_at = std::time::Instant::now();
                let mut rows = batch.into_iter();
                while let Some(row) = rows.next() {
                    if self.stop.is_set() || !deps.leases.owns(bot_id) {
                        let left = std::iter::once(row.id).chain(rows.map(|r| r.id)).collect();
                        await_mark(marking.take()).await?;
                        return self.release(left).await;
                    }
                    let Ok(message) = serde_json::from_str::<Message>(&row.payload) else {
                        self.finish(row.id, Status::Failed, Some("bad_payload"), None)
                            .await?;
                        continue;
                    };
                    let Some(message) = fill_code(deps, message).await? else {
                        self.finish(row.id, Status::Failed, Some("code_withdrawn"), None)
                            .await?;
                        continue;
                    };
                    deps.limiter.acquire(bot_id, row.chat_id).await;
                    if claimed_at.elapsed() > Duration::from_secs(5) {
                        // A long wait (a 429's pause): the claim must still cover the send.
                        self.extend(row.id).await?;
                    }
                    let sent = meter.count("sendMessage", request(&bot, &row, message).await);
                    // The previous row's mark has had the whole wait to finish.
                    await_mark(marking.take()).await?;
                    match sent {
                        Ok(m) => {
                            self.count(&self.counters.sent);
                            let me = self.clone();
                            marking = Some(tokio::spawn(async move {
                                me.finish(row.id, Status::Sent, None, Some(i64::from(m.id.0)))
                                    .await
                            }));
                        }
                        Err(e) => match classify("sendMessage", &e) {
                            TelegramError::RetryAfter(s) => {
                                self.count(&self.counters.too_many_requests);
                                deps.limiter.retry_after(bot_id, row.chat_id, s);
                                self.later(&row, Some(s), "retry_after", false).await?;
                            }
                            TelegramError::TokenRejected => {
                                set_bot_status(
                                    deps,
                                    bot_id,
                                    BotStatus::Revoked,
                                    Some(StatusReason::TokenRejected),
                                )
                                .await?;
                                self.later(&row, None, "token_rejected", false).await?;
                                return self.release(rows.map(|r| r.id).collect()).await;
                            }
                            TelegramError::Unavailable => {
                                self.count(&self.counters.retried);
                                self.later(&row, None, "unavailable", true).await?;
                            }
                            TelegramError::Unreadable(method) => {
                                // Telegram took the message and answered in a shape we
                                // cannot read: sent (sending again would repeat it).
                                tracing::warn!(bot = %bot_id, method, "Telegram answered something we could not read; counted as sent");
                                self.count(&self.counters.sent);
                                self.finish(row.id, Status::Sent, None, None).await?;
                            }
                            TelegramError::Refused => {
                                // Blocked, never started, deleted: recorded, not retried.
                                self.finish(
                                    row.id,
                                    Status::Failed,
                                    Some(refusal("sendMessage", &e)),
                                    None,
                                )
                                .await?;
                                self.count(&self.counters.failed);
                            }
                        },
                    }
                }
            }
            await_mark(marking.take()).await?;
            if !self.any_due(bot_id).await? {
                return Ok(());
            }
        }
    }

    fn count(&self, c: &std::sync::atomic::AtomicU64) {
        c.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Claims up to [`CLAIM_BATCH`] of the bot's oldest due rows for `LEASE` seconds,
    /// oldest first; rows another sender holds (or is claiming right now) are skipped.
    async fn claim_batch(&self, bot_id: BotId) -> Result<Vec<outbox::Model>, ServiceError> {
        use sea_orm::sea_query::{ExprTrait, LockBehavior, LockType};
        let now = Utc::now();
        // SQLite has no row locks (sea-query leaves the clause out); its single writer
        // serialises the claims instead.
        let next = outbox::Entity::find()
            .select_only()
            .column(outbox::Column::Id)
            .filter(outbox::Column::BotId.eq(bot_id))
            .filter(due(now))
            .order_by_asc(outbox::Column::Id)
            .limit(CLAIM_BATCH)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .into_query();
        let _turn = self.deps.writes.enter().await;
        let mut rows = outbox::Entity::update_many()
            .col_expr(
                outbox::Column::ClaimedUntil,
                Expr::value(now + ChronoDuration::seconds(LEASE)),
            )
            .filter(Expr::col(outbox::Column::Id).in_subquery(next))
            .exec_with_returning(&self.deps.db)
            .await?;
        rows.sort_by_key(|r| r.id);
        Ok(rows)
    }

    /// Whether the bot has a row due now.
    async fn any_due(&self, bot_id: BotId) -> Result<bool, ServiceError> {
        Ok(outbox::Entity::find()
            .select_only()
            .column(outbox::Column::Id)
            .filter(outbox::Column::BotId.eq(bot_id))
            .filter(due(Utc::now()))
            .into_tuple::<i64>()
            .one(&self.deps.db)
            .await?
            .is_some())
    }

    /// Gives claimed rows back unsent, for whoever sends next.
    async fn release(&self, ids: Vec<i64>) -> Result<(), ServiceError> {
        if ids.is_empty() {
            return Ok(());
        }
        let _turn = self.deps.writes.enter().await;
        outbox::Entity::update_many()
            .col_expr(
                outbox::Column::ClaimedUntil,
                Expr::value(None::<DateTime<Utc>>),
            )
            .filter(outbox::Column::Id.is_in(ids))
            .filter(outbox::Column::Status.eq(Status::Pending))
            .exec(&self.deps.db)
            .await?;
        Ok(())
    }

    async fn extend(&self, id: i64) -> Result<(), ServiceError> {
        let _turn = self.deps.writes.enter().await;
        outbox::Entity::update_many()
            .col_expr(
                outbox::Column::ClaimedUntil,
                Expr::value(Utc::now() + ChronoDuration::seconds(LEASE)),
            )
            .filter(outbox::Column::Id.eq(id))
            .filter(outbox::Column::Status.eq(Status::Pending))
            .exec(&self.deps.db)
            .await?;
        Ok(())
    }

    async fn finish(
        &self,
        id: i64,
        status: Status,
        reason: Option<&str>,
        message_id: Option<i64>,
    ) -> Result<(), ServiceError> {
        let _turn = self.deps.writes.enter().await;
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value(status))
            .col_expr(
                outbox::Column::LastError,
                Expr::value(reason.map(str::to_owned)),
            )
            .col_expr(outbox::Column::MessageId, Expr::value(message_id))
            .col_expr(
                outbox::Column::SentAt,
                Expr::value((status == Status::Sent).then(Utc::now)),
            )
            .col_expr(
                outbox::Column::ClaimedUntil,
                Expr::value(None::<DateTime<Utc>>),
            )
            .col_expr(
                outbox::Column::Attempts,
                sea_orm::sea_query::ExprTrait::add(Expr::col(outbox::Column::Attempts), 1),
            )
            .filter(outbox::Column::Id.eq(id))
            .exec(&self.deps.db)
            .await?;
        Ok(())
    }

    /// Puts a row back for later: after `wait` seconds, or a growing back-off.
    async fn later(
        &self,
        row: &outbox::Model,
        wait: Option<u64>,
        reason: &str,
        counts: bool,
    ) -> Result<(), ServiceError> {
        let attempts = row.attempts + i32::from(counts);
        if attempts >= MAX_ATTEMPTS {
            self.count(&self.counters.failed);
            return self
                .finish(row.id, Status::Failed, Some(reason), None)
                .await;
        }
        let secs = wait.unwrap_or_else(|| 2u64.pow(attempts.clamp(0, 10) as u32)) as i64;
        let _turn = self.deps.writes.enter().await;
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Attempts, Expr::value(attempts))
            .col_expr(outbox::Column::LastError, Expr::value(reason))
            .col_expr(
                outbox::Column::NotBefore,
                Expr::value(Utc::now() + ChronoDuration::seconds(secs)),
            )
            .col_expr(
                outbox::Column::ClaimedUntil,
                Expr::value(None::<DateTime<Utc>>),
            )
            .filter(outbox::Column::Id.eq(row.id))
            .exec(&self.deps.db)
            .await?;
        Ok(())
    }
}

/// Pending, due, and not held by a sender.
fn due(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(outbox::Column::Status.eq(Status::Pending))
        .add(outbox::Column::NotBefore.lte(now))
        .add(
            Condition::any()
                .add(outbox::Column::ClaimedUntil.is_null())
                .add(outbox::Column::ClaimedUntil.lt(now)),
        )
}
