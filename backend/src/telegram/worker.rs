//! Inbox workers: claim stored updates ([`super::inbox::claim`]), answer them through the
//! [`super::dialog`] tree, record how each ended.
//!
//! A process claims only updates of bots it owns (`crate::leases`), and never an update
//! whose chat has an earlier one still waiting: each (bot, chat) stays in update order
//! while different chats are answered side by side. A claimed row is held for
//! [`super::inbox::CLAIM_SECS`]; a process that dies holding it leaves it to be claimed
//! again then. A failed answer is retried with the row (up to [`MAX_ATTEMPTS`], its chat
//! waiting meanwhile), never lost, never endless.

use super::dialog::{self, Ctx, Feature, Features, Tree};
use super::{inbox, set_bot_status};
use crate::ServiceError;
use crate::crypto::open_token;
use crate::deps::Deps;
use crate::entities::inbox::Outcome;
use crate::entities::{bots, inbox as rows, tenants};
use crate::error::TelegramError;
use crate::stop::Stop;
use crate::tenancy::{TenantScope, WriterScope};
use chrono::Utc;
use domain::{BotStatus, Locale, StatusReason};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Duration;
use teloxide::dptree;
use teloxide::types::Update;

/// After this many failed attempts an update is set aside with its last error.
pub const MAX_ATTEMPTS: i32 = 5;
const BATCH: u64 = 50;
/// Updates of different chats answered at once by one process.
const CONCURRENCY: usize = 16;

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

    /// Runs until `stop`: a batch whenever woken, and at least every half second. A batch
    /// under way is finished first (its handlers answer, its rows are marked).
    pub fn spawn(self, stop: Stop) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            while !stop.is_set() {
                let notified = self.deps.wake.inbox.notified();
                match self.run_once().await {
                    Ok(n) if n > 0 => continue,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "inbox batch failed"),
                }
                stop.pause(Duration::from_millis(500), notified).await;
            }
        })
    }

    /// Claims and answers up to one batch of updates; returns how many were claimed.
    pub async fn run_once(&self) -> Result<usize, ServiceError> {
        let rows = inbox::claim(&self.deps.db, self.deps.leases.node_id(), BATCH).await?;
        let n = rows.len();
        let permits = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
        let mut tasks = tokio::task::JoinSet::new();
        for row in rows {
            let (me, permits) = (self.clone(), permits.clone());
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                me.process(row).await
            });
        }
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "inbox row not updated"),
                Err(e) => tracing::error!(error = %e, "inbox handler panicked"),
            }
        }
        Ok(n)
    }

    /// Answers one claimed update and records the outcome.
    async fn process(&self, row: rows::Model) -> Result<(), ServiceError> {
        let span = tracing::info_span!(
            "update",
            tenant = tracing::field::Empty,
            bot = %row.bot_id,
            update = row.update_id,
            kind = %row.kind
        );
        // An error: not answered; retried later (or set aside after MAX_ATTEMPTS).
        let handled = tracing::Instrument::instrument(self.answer(&row), span).await;
        let now = Utc::now();
        let mut q = rows::Entity::update_many()
            .col_expr(
                rows::Column::ClaimedUntil,
                Expr::value(None::<chrono::DateTime<Utc>>),
            )
            .filter(rows::Column::Id.eq(row.id));
        match handled {
            Ok(outcome) => {
                q = q
                    .col_expr(rows::Column::ProcessedAt, Expr::value(Some(now)))
                    .col_expr(rows::Column::Outcome, Expr::value(Some(outcome)));
            }
            Err(e) => {
                let attempts = row.attempts + 1;
                tracing::warn!(bot = %row.bot_id, update = row.update_id, attempts, error = %e, "update not handled");
                q = q
                    .col_expr(rows::Column::Attempts, Expr::value(attempts))
                    .col_expr(rows::Column::LastError, Expr::value(e.to_string()));
                if attempts >= MAX_ATTEMPTS {
                    q = q
                        .col_expr(rows::Column::ProcessedAt, Expr::value(Some(now)))
                        .col_expr(rows::Column::Outcome, Expr::value(Some(Outcome::Failed)));
                } else {
                    // Held a growing while; its chat's later updates wait behind it.
                    let wait = chrono::Duration::seconds(1 << attempts.clamp(0, 8));
                    q = q.col_expr(rows::Column::ClaimedUntil, Expr::value(Some(now + wait)));
                }
            }
        }
        q.exec(&self.deps.db).await?;
        Ok(())
    }

    /// Answers one update: how it ended, or why it could not be answered now.
    async fn answer(&self, row: &rows::Model) -> Result<Outcome, ServiceError> {
        let Ok(update) = serde_json::from_str::<Update>(&row.payload) else {
            return Ok(Outcome::Ignored); // a kind we do not know: stored, acknowledged
        };
        let Some((bot_row, tenant)) = bots::Entity::find_by_id(row.bot_id)
            .find_also_related(tenants::Entity)
            .one(&self.deps.db)
            .await?
            .and_then(|(b, t)| t.map(|t| (b, t)))
        else {
            return Ok(Outcome::Ignored); // the bot was removed meanwhile
        };
        if !bot_row.enabled || bot_row.status == BotStatus::Revoked {
            return Ok(Outcome::Ignored);
        }
        tracing::Span::current().record("tenant", tenant.id.0);
        if tenant.suspended_at.is_some() {
            // The operator suspended the tenant: its bots are silent; the update is
            // acknowledged, not answered later.
            tracing::debug!(tenant = %tenant.id, bot = %bot_row.id, "tenant suspended; update ignored");
            return Ok(Outcome::Ignored);
        }
        let ctx = Arc::new(Ctx {
            bot: self.deps.api.bot(&open_token(&self.deps.cipher, &bot_row)?),
            bot_id: bot_row.id,
            meter: self.deps.api.meter(tenant.id, bot_row.id),
            deps: self.deps.clone(),
            // The update came for this bot and its tenant is not suspended (just read).
            scope: WriterScope::of_active(TenantScope::for_bot(tenant.id, bot_row.id)),
            default_locale: Locale::from_tag(&tenant.bot_locale).unwrap_or_default(),
            tenant,
        });
        let res = match self
            .tree
            .dispatch(dptree::deps![ctx, self.features.clone(), update])
            .await
        {
            ControlFlow::Break(res) => res,
            ControlFlow::Continue(_) => return Ok(Outcome::Ignored), // nothing of ours
        };
        match res {
            Ok(()) => Ok(Outcome::Answered),
            // The user blocked the bot or never started it: nothing to retry.
            Err(ServiceError::Telegram(TelegramError::Refused)) => Ok(Outcome::Ignored),
            Err(ServiceError::Telegram(TelegramError::TokenRejected)) => {
                // Revoked in @BotFather: stop its traffic until the tenant pastes a new token.
                tracing::warn!(bot = %bot_row.id, "token revoked while answering");
                set_bot_status(
                    &self.deps.db,
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
