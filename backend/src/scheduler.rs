//! Moves giveaways at the right moment — scheduled → open at the start, open → closed at
//! the end (entries frozen and hashed), closed → drawn (the fair draw, winners' notices
//! and the result post written to the outbox in the same transaction) — every second
//! and at start-up, so a restart only delays a move, never loses one.
//!
//! Each move is a conditional update (`… WHERE status = <from>`), so running a step twice
//! or in two processes at once changes nothing the second time; a drawn giveaway is never
//! drawn again. Besides, a process claims the giveaways it closes or draws (for
//! [`CLAIM_SECS`], `FOR UPDATE SKIP LOCKED` on PostgreSQL), so two processes do not both
//! run a draw's eligibility checks.

use crate::ServiceError;
use crate::clock::Clock;
use crate::crypto::TokenCipher;
use crate::entities::{entries, giveaways, tenants};
use crate::outbox::{self, Message, NewMessage};
use crate::telegram::{TelegramApi, TelegramError, classify};
use chrono::Utc;
use domain::Locale;
use domain::bot_text::{BotText, locale_for};
use domain::draw::{self, Drawing, Hash32};
use domain::giveaway::{Status, assign_prizes, total_winners};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait};
use std::sync::Arc;
use std::time::Duration;
use teloxide::prelude::Requester;
use teloxide::types::{ChatMemberKind, Recipient, UserId};
use tokio::sync::Notify;

/// How long a giveaway being closed or drawn is held by one process.
pub const CLAIM_SECS: i64 = 300;
/// After a failed draw, the next attempt waits this long.
const RETRY_SECS: i64 = 5;

#[derive(Clone)]
pub struct Scheduler {
    db: DatabaseConnection,
    cipher: Arc<TokenCipher>,
    api: TelegramApi,
    clock: Clock,
    public_url: String,
    /// Woken to run a round now (e.g. after the test clock moved).
    pub wake: Arc<Notify>,
    /// The sender, woken when notices were written.
    sender_wake: Arc<Notify>,
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub opened: u64,
    pub closed: u64,
    pub drawn: u64,
}

impl Scheduler {
    pub fn new(
        db: DatabaseConnection,
        cipher: Arc<TokenCipher>,
        api: TelegramApi,
        clock: Clock,
        public_url: String,
        sender_wake: Arc<Notify>,
    ) -> Scheduler {
        Scheduler {
            db,
            cipher,
            api,
            clock,
            public_url,
            wake: Arc::new(Notify::new()),
            sender_wake,
        }
    }

    /// Runs a round every second (or when woken) until `stop`; a round under way ends first.
    pub fn spawn(self, stop: crate::shutdown::Stop) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            while !stop.is_set() {
                let notified = self.wake.notified();
                if let Err(e) = self.round().await {
                    tracing::warn!(error = %e, "scheduler round failed");
                }
                stop.pause(Duration::from_secs(1), notified).await;
            }
        })
    }

    /// One pass over every due move.
    pub async fn round(&self) -> Result<Round, ServiceError> {
        let now = self.clock.now();
        let opened = giveaways::Entity::update_many()
            .col_expr(giveaways::Column::Status, Expr::value(Status::Open.code()))
            .col_expr(giveaways::Column::UpdatedAt, Expr::value(now))
            .filter(giveaways::Column::Status.eq(Status::Scheduled.code()))
            .filter(giveaways::Column::StartsAt.lte(now))
            .exec(&self.db)
            .await?
            .rows_affected;
        let mut r = Round {
            opened,
            ..Round::default()
        };
        for g in self.claim(Status::Open, now).await? {
            let closed = self.close(&g).await;
            self.unclaim(g.id, closed.is_ok()).await?;
            if closed? {
                r.closed += 1;
            }
        }
        for g in self.claim(Status::Closed, now).await? {
            let span = tracing::info_span!("draw", tenant = g.tenant_id, giveaway = g.id);
            let drawn = tracing::Instrument::instrument(self.draw(&g), span).await;
            self.unclaim(g.id, drawn.is_ok()).await?;
            match drawn {
                Ok(true) => r.drawn += 1,
                Ok(false) => {}
                // Telegram unreachable mid-draw: nothing was written; a later round retries.
                Err(e) => {
                    tracing::warn!(tenant = g.tenant_id, giveaway = g.id, error = %e, "draw postponed")
                }
            }
        }
        if r.drawn > 0 {
            self.sender_wake.notify_one();
        }
        Ok(r)
    }

    /// Claims up to 20 giveaways in `status` that are due to move on: open ones past their
    /// end, closed ones (to be drawn).
    async fn claim(
        &self,
        status: Status,
        now: chrono::DateTime<Utc>,
    ) -> Result<Vec<giveaways::Model>, ServiceError> {
        use sea_orm::sea_query::{ExprTrait, LockBehavior, LockType};
        use sea_orm::{Condition, QueryOrder, QuerySelect, QueryTrait};
        let real_now = Utc::now();
        let mut due = giveaways::Entity::find()
            .select_only()
            .column(giveaways::Column::Id)
            .filter(giveaways::Column::Status.eq(status.code()))
            .filter(
                Condition::any()
                    .add(giveaways::Column::ClaimedUntil.is_null())
                    .add(giveaways::Column::ClaimedUntil.lt(real_now)),
            );
        if status == Status::Open {
            due = due.filter(giveaways::Column::EndsAt.lte(now));
        }
        let due = due
            .order_by_asc(giveaways::Column::Id)
            .limit(20)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .into_query();
        let mut rows = giveaways::Entity::update_many()
            .col_expr(
                giveaways::Column::ClaimedUntil,
                Expr::value(real_now + chrono::Duration::seconds(CLAIM_SECS)),
            )
            .filter(Expr::col(giveaways::Column::Id).in_subquery(due))
            .exec_with_returning(&self.db)
            .await?;
        rows.sort_by_key(|g| g.id);
        Ok(rows)
    }

    /// Lets go of a claim: at once after the move, or in a little while after a failure.
    async fn unclaim(&self, id: i32, done: bool) -> Result<(), ServiceError> {
        let until = (!done).then(|| Utc::now() + chrono::Duration::seconds(RETRY_SECS));
        giveaways::Entity::update_many()
            .col_expr(giveaways::Column::ClaimedUntil, Expr::value(until))
            .filter(giveaways::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Freezes the entries: no join can add one after this (joins need `open`), and `E`
    /// is computed from the list as it stands.
    async fn close(&self, g: &giveaways::Model) -> Result<bool, ServiceError> {
        let txn = self.db.begin().await?;
        // Taking the row first: a join holding it finishes before the list is read.
        let moved = giveaways::Entity::update_many()
            .col_expr(
                giveaways::Column::Status,
                Expr::value(Status::Closed.code()),
            )
            .col_expr(giveaways::Column::ClosedAt, Expr::value(self.clock.now()))
            .col_expr(giveaways::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(giveaways::Column::Id.eq(g.id))
            .filter(giveaways::Column::Status.eq(Status::Open.code()))
            .exec(&txn)
            .await?
            .rows_affected;
        if moved == 0 {
            return Ok(false);
        }
        let list = crate::giveaways::canonical_list(&txn, g.id).await?;
        giveaways::Entity::update_many()
            .col_expr(
                giveaways::Column::EntriesHash,
                Expr::value(draw::entries_hash(&list).to_hex()),
            )
            .filter(giveaways::Column::Id.eq(g.id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        tracing::info!(giveaway = g.id, "giveaway closed");
        Ok(true)
    }

    /// The fair draw of one closed giveaway. `Ok(false)` when someone else drew it first.
    async fn draw(&self, g: &giveaways::Model) -> Result<bool, ServiceError> {
        let seed = crate::giveaways::open_seed(&self.cipher, g)?;
        let e = Hash32::from_hex(g.entries_hash.as_deref().unwrap_or_default())
            .map_err(|_| ServiceError::Internal(format!("giveaway {}: no entries hash", g.id)))?;
        let prizes = g.prizes();
        let conditions = g.conditions();
        let n = g.entries_count.max(0) as u32;
        let bot_row = crate::giveaways::bot_of_giveaway(&self.db, g).await?;
        let bot = match &bot_row {
            Some(b) => Some((
                self.api.bot(&crate::bots::open_token(&self.cipher, b)?),
                self.api.meter(g.tenant_id, b.id),
            )),
            None => None,
        };

        let mut drawing = Drawing::new(
            &draw::draw_seed(&seed, &e),
            n,
            total_winners(&prizes),
            g.reserves.max(0) as u32,
        );
        let mut picked: Vec<entries::Model> = Vec::new();
        while let Some(pick) = drawing.next_pick() {
            let entry = entries::Entity::find()
                .filter(entries::Column::GiveawayId.eq(g.id))
                .filter(entries::Column::Number.eq(pick as i32))
                .one(&self.db)
                .await?
                .ok_or_else(|| ServiceError::Internal(format!("entry {pick} missing")))?;
            let eligible = match (&bot, conditions.is_empty()) {
                (Some((bot, meter)), false) => {
                    still_member(bot, meter, &conditions, entry.telegram_user_id).await?
                }
                _ => true,
            };
            drawing.record(pick, eligible);
            if eligible {
                picked.push(entry);
            }
        }
        let outcome = drawing.finish();

        let tenant = tenants::Entity::find_by_id(g.tenant_id)
            .one(&self.db)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let default_locale = Locale::from_tag(&tenant.bot_locale).unwrap_or_default();
        let verify_url = format!("{}/verify/{}", self.public_url, g.public_id);
        let mut notices = Vec::new();
        if let Some(b) = &bot_row {
            for (number, prize) in assign_prizes(&prizes, &outcome.winners) {
                let Some(entry) = picked.iter().find(|p| p.number as u32 == number) else {
                    continue;
                };
                let l = locale_for(entry.language_code.as_deref(), default_locale);
                notices.push(NewMessage {
                    tenant_id: g.tenant_id,
                    bot_id: b.id,
                    giveaway_id: Some(g.id),
                    kind: "winner_dm",
                    chat_id: entry.telegram_user_id,
                    message: Message {
                        text: BotText::WinnerDm
                            .text(l)
                            .replace("{name}", &entry.first_name)
                            .replace("{title}", &g.title)
                            .replace("{prize}", prize)
                            .replace("{number}", &number.to_string())
                            .replace("{shop}", &tenant.name),
                        links: vec![(BotText::ButtonVerify.text(l).to_owned(), verify_url.clone())],
                    },
                    dedupe_key: format!("win:{}:{number}", g.id),
                });
            }
            if let Some(chat) = g.announce_chat_id {
                let winners = assign_prizes(&prizes, &outcome.winners)
                    .into_iter()
                    .map(|(n, p)| format!("#{n} — {p}"))
                    .collect::<Vec<_>>()
                    .join("\n");
                notices.push(NewMessage {
                    tenant_id: g.tenant_id,
                    bot_id: b.id,
                    giveaway_id: Some(g.id),
                    kind: "result_post",
                    chat_id: chat,
                    message: Message {
                        text: BotText::ResultPost
                            .text(default_locale)
                            .replace("{title}", &g.title)
                            .replace("{winners}", &winners)
                            .replace("{entries}", &n.to_string()),
                        links: vec![(
                            BotText::ButtonVerify.text(default_locale).to_owned(),
                            verify_url.clone(),
                        )],
                    },
                    dedupe_key: format!("result:{}", g.id),
                });
            }
        }

        let txn = self.db.begin().await?;
        let moved = giveaways::Entity::update_many()
            .col_expr(giveaways::Column::Status, Expr::value(Status::Drawn.code()))
            .col_expr(
                giveaways::Column::Result,
                Expr::value(serde_json::to_string(&outcome).expect("plain data")),
            )
            .col_expr(giveaways::Column::DrawnAt, Expr::value(self.clock.now()))
            .col_expr(giveaways::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(giveaways::Column::Id.eq(g.id))
            .filter(giveaways::Column::Status.eq(Status::Closed.code()))
            .exec(&txn)
            .await?
            .rows_affected;
        if moved == 0 {
            return Ok(false);
        }
        outbox::enqueue(&txn, notices).await?;
        txn.commit().await?;
        tracing::info!(
            giveaway = g.id,
            entries = n,
            winners = outcome.winners.len(),
            skipped = outcome.skipped.len(),
            "giveaway drawn"
        );
        Ok(true)
    }
}

/// Whether a user is (still) a member of every chat. Telegram unreachable → error (the
/// draw waits); a chat the bot cannot see does not disqualify anyone.
pub async fn still_member(
    bot: &teloxide::Bot,
    meter: &crate::usage::Meter,
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
    meter: &crate::usage::Meter,
    chats: &[String],
    user_id: i64,
) -> Result<Vec<String>, ServiceError> {
    let mut missing = Vec::new();
    for chat in chats {
        let recipient = match chat.parse::<i64>() {
            Ok(id) => Recipient::Id(teloxide::types::ChatId(id)),
            Err(_) => Recipient::ChannelUsername(chat.clone()),
        };
        let answer = bot.get_chat_member(recipient, UserId(user_id as u64)).await;
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
            Err(e) => match classify(&e) {
                TelegramError::Unavailable | TelegramError::RetryAfter(_) => {
                    return Err(ServiceError::Telegram(TelegramError::Unavailable));
                }
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

fn never_member(e: &teloxide::RequestError) -> bool {
    use teloxide::{ApiError, RequestError};
    match e {
        RequestError::Api(ApiError::UserNotFound) => true,
        RequestError::Api(ApiError::Unknown(s)) => s.contains("member not found"),
        _ => false,
    }
}
