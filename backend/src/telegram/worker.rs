//! Inbox workers: claim stored updates ([`super::inbox::claim`]), answer them through the
//! [`super::dialog`] tree, record how each ended.
//!
//! A process claims only updates of bots it owns (`crate::leases`), and never an update
//! whose chat has an earlier one still waiting: each (bot, chat) stays in update order
//! while different chats are answered side by side. A claimed row is held for
//! [`super::inbox::CLAIM_SECS`]; a process that dies holding it leaves it to be claimed
//! again then. A failed answer is retried with the row (up to [`MAX_ATTEMPTS`], its chat
//! waiting meanwhile), never lost, never endless.
//!
//! A process runs [`LOOPS`] batches side by side. The handlers of one bot's updates in a
//! batch share their reads through a [`BatchMemo`] (the giveaway hundreds of presses of
//! one Join button name is read once).

use super::dialog::{self, Ctx, Feature, Features, Tree};
use super::memo::BatchMemo;
use super::{inbox, set_bot_status};
use crate::ServiceError;
use crate::crypto::open_token;
use crate::deps::Deps;
use crate::entities::inbox::Outcome;
use crate::entities::{bots, inbox as rows, tenants};
use crate::error::TelegramError;
use crate::ids::{BotId, TenantId};
use crate::stop::Stop;
use crate::tenancy::{TenantScope, WriterScope};
use chrono::Utc;
use domain::{BotStatus, StatusReason};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Duration;
use teloxide::dptree;
use teloxide::types::Update;

/// After this many failed attempts an update is set aside with its last error.
pub const MAX_ATTEMPTS: i32 = 5;
/// Updates claimed at once. The joins of a batch meet in the join queue and are written
/// in few transactions, so a bigger batch writes fewer: 400 claimed and 128 answered at
/// once gave 2,650–2,880 joins a second in the bench against 1,770–1,970 with 200 and 64
/// (docs/performance.md). A batch of one bot's interactive replies (30 a second) takes
/// at most 400 / 30 ≈ 14 s, well inside the claim's [`super::inbox::CLAIM_SECS`].
const BATCH: u64 = 400;
/// Updates of different chats answered at once by one process. Each spends most of its
/// time waiting (for Telegram, for its turn to write), so many run side by side.
const CONCURRENCY: usize = 128;

/// Batches under way at once in one process. While one batch's handlers wait (for the
/// join queue's commit, for Telegram's answers to its presses), the other claims,
/// decodes and records its senders: in the join bench two loops made 2,588–3,123 joins a
/// second against 1,705–2,521 with one, interleaved (docs/performance.md). The claim
/// keeps each chat in order across loops as it does across processes: it never takes an
/// update whose chat has an earlier one still unanswered.
const LOOPS: usize = 2;

#[derive(Clone)]
pub struct Workers {
    deps: Deps,
    features: Features,
    tree: Arc<Tree>,
}

impl Workers {
    /// Workers running every update through the dialog with `features` plugged in.
    pub fn new(deps: Deps, features: Vec<Arc<dyn Feature>>) -> Workers {
        Workers {
            deps,
            features: features.into(),
            tree: Arc::new(dialog::tree()),
        }
    }

    /// Runs [`LOOPS`] loops until `stop`, each a batch whenever woken and at least every
    /// half second. A batch under way is finished first (its handlers answer, its rows
    /// are marked).
    pub fn spawn(self, stop: Stop) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..LOOPS {
                let (me, stop) = (self.clone(), stop.clone());
                set.spawn(async move {
                    while !stop.is_set() {
                        let notified = me.deps.wake.inbox.notified();
                        match me.run_once().await {
                            Ok(n) if n > 0 => continue,
                            Ok(_) => {}
                            Err(e) => tracing::warn!(error = %e, "inbox batch failed"),
                        }
                        stop.pause(Duration::from_millis(500), notified).await;
                    }
                });
            }
            while set.join_next().await.is_some() {}
        })
    }

    /// Claims and answers up to one batch of updates; returns how many were claimed.
    ///
    /// The batch's bots and tenants are read once, its senders recorded in one statement
    /// per tenant, its handlers run side by side (one chat's updates are never in one
    /// batch together), and the rows that were answered are marked in one statement per
    /// outcome.
    pub async fn run_once(&self) -> Result<usize, ServiceError> {
        let rows = {
            let _turn = self.deps.writes.enter().await;
            inbox::claim(&self.deps.db, self.deps.leases.node_id(), BATCH).await?
        };
        let n = rows.len();
        if n == 0 {
            return Ok(0);
        }
        let mut ids: Vec<BotId> = rows.iter().map(|r| r.bot_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let bots: HashMap<BotId, (bots::Model, tenants::Model)> = bots::Entity::find()
            .filter(bots::Column::Id.is_in(ids))
            .find_also_related(tenants::Entity)
            .all(&self.deps.db)
            .await?
            .into_iter()
            .filter_map(|(b, t)| t.map(|t| (b.id, (b, t))))
            .collect();
        // One memo per bot of the batch: a handler shares reads only with its own bot's.
        let memos: HashMap<BotId, Arc<BatchMemo>> = bots
            .keys()
            .map(|&id| (id, Arc::new(BatchMemo::default())))
            .collect();
        let mut jobs = Vec::with_capacity(n);
        let mut senders: HashMap<TenantId, Vec<(teloxide::types::User, bool)>> = HashMap::new();
        for row in rows {
            let job = Job::of(row, &bots, &memos);
            if let (Some(update), Some((_, tenant))) = (&job.update, &job.answerable)
                && let Some(who) = dialog::who(update)
            {
                senders.entry(tenant.id).or_default().push(who);
            }
            jobs.push(job);
        }
        let mut unrecorded = HashSet::new();
        for (tenant, users) in senders {
            let _turn = self.deps.writes.enter().await;
            if let Err(e) = dialog::remember_all(&self.deps.db, tenant, users).await {
                tracing::warn!(tenant = %tenant, error = %e, "senders not recorded; their updates wait");
                unrecorded.insert(tenant);
            }
        }
        let permits = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
        let mut tasks = tokio::task::JoinSet::new();
        for job in jobs {
            let (me, permits) = (self.clone(), permits.clone());
            let blocked = job
                .answerable
                .as_ref()
                .is_some_and(|(_, t)| unrecorded.contains(&t.id));
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                let span = tracing::info_span!(
                    "update",
                    tenant = tracing::field::Empty,
                    bot = %job.row.bot_id,
                    update = job.row.update_id,
                    kind = %job.row.kind
                );
                let handled = if blocked {
                    Err(ServiceError::Internal(
                        "the update's sender was not recorded".into(),
                    ))
                } else {
                    tracing::Instrument::instrument(me.answer(&job), span).await
                };
                (job.row, handled)
            });
        }
        let mut done: HashMap<Outcome, Vec<i64>> = HashMap::new();
        let mut failed = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((row, Ok(outcome))) => done.entry(outcome).or_default().push(row.id),
                Ok((row, Err(e))) => failed.push((row, e)),
                Err(e) => tracing::error!(error = %e, "inbox handler panicked"),
            }
        }
        let now = Utc::now();
        let turn = self.deps.writes.enter().await;
        for (outcome, ids) in done {
            rows::Entity::update_many()
                .col_expr(rows::Column::ProcessedAt, Expr::value(Some(now)))
                .col_expr(rows::Column::Outcome, Expr::value(Some(outcome)))
                .col_expr(
                    rows::Column::ClaimedUntil,
                    Expr::value(None::<chrono::DateTime<Utc>>),
                )
                .filter(rows::Column::Id.is_in(ids))
                .exec(&self.deps.db)
                .await?;
        }
        drop(turn);
        for (row, e) in failed {
            self.failed(&row, e).await?;
        }
        Ok(n)
    }

    /// An update that could not be answered now: retried after a growing pause (its
    /// chat's later updates wait behind it), set aside after [`MAX_ATTEMPTS`].
    async fn failed(&self, row: &rows::Model, e: ServiceError) -> Result<(), ServiceError> {
        let attempts = row.attempts + 1;
        tracing::warn!(bot = %row.bot_id, update = row.update_id, attempts, error = %e, "update not handled");
        let now = Utc::now();
        let mut q = rows::Entity::update_many()
            .col_expr(rows::Column::Attempts, Expr::value(attempts))
            .col_expr(rows::Column::LastError, Expr::value(e.to_string()))
            .filter(rows::Column::Id.eq(row.id));
        if attempts >= MAX_ATTEMPTS {
            q = q
                .col_expr(rows::Column::ProcessedAt, Expr::value(Some(now)))
                .col_expr(rows::Column::Outcome, Expr::value(Some(Outcome::Failed)))
                .col_expr(
                    rows::Column::ClaimedUntil,
                    Expr::value(None::<chrono::DateTime<Utc>>),
                );
        } else {
            let wait = chrono::Duration::seconds(1 << attempts.clamp(0, 8));
            q = q.col_expr(rows::Column::ClaimedUntil, Expr::value(Some(now + wait)));
        }
        let _turn = self.deps.writes.enter().await;
        q.exec(&self.deps.db).await?;
        Ok(())
    }

    /// Answers one update: how it ended, or why it could not be answered now.
    async fn answer(&self, job: &Job) -> Result<Outcome, ServiceError> {
        let kind = job.row.kind.as_str();
        let Some(update) = job.update.clone() else {
            // A kind we do not know (or one teloxide cannot read): stored, acknowledged.
            tracing::debug!(kind, "update dropped: not readable as an update we know");
            return Ok(Outcome::Ignored);
        };
        let Some((bot_row, tenant)) = job.answerable.clone() else {
            // The bot was removed, disabled or revoked meanwhile, or the operator
            // suspended its tenant (its bots are silent; the update is acknowledged, not
            // answered later).
            tracing::debug!(kind, "update dropped: its bot may not answer now");
            return Ok(Outcome::Ignored);
        };
        tracing::Span::current().record("tenant", tenant.id.0);
        let ctx = Arc::new(Ctx {
            bot: self.deps.api.bot(&open_token(&self.deps.cipher, &bot_row)?),
            bot_id: bot_row.id,
            update_id: job.row.update_id,
            memo: job.memo.clone(),
            meter: self.deps.api.meter(tenant.id, bot_row.id),
            deps: self.deps.clone(),
            // The update came for this bot and its tenant is not suspended (just read).
            scope: WriterScope::of_active(TenantScope::for_bot(tenant.id, bot_row.id)),
            default_locale: tenant.bot_locale(),
            tenant,
        });
        let res = match self
            .tree
            .dispatch(dptree::deps![ctx, self.features.clone(), update])
            .await
        {
            ControlFlow::Break(res) => res,
            ControlFlow::Continue(_) => {
                // Nothing of ours: a group's message, a reaction, a kind teloxide could
                // not read (`UpdateKind::Error`, e.g. a button press without its chat).
                tracing::debug!(kind, "update dropped: no handler takes it");
                return Ok(Outcome::Ignored);
            }
        };
        match res {
            Ok(()) => Ok(Outcome::Answered),
            // The user blocked the bot or never started it: nothing to retry.
            Err(ServiceError::Telegram(TelegramError::Refused)) => Ok(Outcome::Ignored),
            // Telegram took the call and answered in a shape we cannot read: doing the
            // update again would repeat what was sent.
            Err(ServiceError::Telegram(e @ TelegramError::Unreadable(_))) => {
                tracing::warn!(bot = %bot_row.id, error = %e, "update answered; Telegram's reply was unreadable");
                Ok(Outcome::Answered)
            }
            Err(ServiceError::Telegram(TelegramError::TokenRejected)) => {
                // Revoked in @BotFather: stop its traffic until the tenant pastes a new token.
                tracing::warn!(bot = %bot_row.id, "token revoked while answering");
                set_bot_status(
                    &self.deps,
                    bot_row.id,
                    BotStatus::Revoked,
                    Some(StatusReason::TokenRejected),
                )
                .await?;
                Ok(Outcome::Ignored)
            }
            Err(e) => Err(e),
        }
    }
}

/// One claimed update, decoded, with its bot and tenant when they may answer it, and
/// the reads its bot's updates of this batch share.
struct Job {
    row: rows::Model,
    update: Option<Update>,
    answerable: Option<(bots::Model, tenants::Model)>,
    memo: Arc<BatchMemo>,
}

impl Job {
    fn of(
        row: rows::Model,
        bots: &HashMap<BotId, (bots::Model, tenants::Model)>,
        memos: &HashMap<BotId, Arc<BatchMemo>>,
    ) -> Job {
        let memo = memos.get(&row.bot_id).cloned().unwrap_or_default();
        let update = serde_json::from_str::<Update>(&row.payload).ok();
        let answerable = bots
            .get(&row.bot_id)
            .filter(|(b, t)| {
                b.enabled && b.status != BotStatus::Revoked && t.suspended_at.is_none()
            })
            .cloned();
        Job {
            row,
            update,
            answerable,
            memo,
        }
    }
}
