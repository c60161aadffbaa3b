//! Moves giveaways at the right moment — scheduled → open at the start, open → closed at
//! the end (entries frozen and hashed), closed → drawn (the fair draw, winners' notices
//! and the result post written to the outbox in the same transaction) — every second
//! and at start-up, so a restart only delays a move, never loses one. The draw itself is
//! [`super::draw`]. A drawn giveaway with a claim window has its unclaimed winners
//! replaced once the window closes ([`super::rerolls::expire_claims`]).
//!
//! Each move is a conditional update (`… WHERE status = <from>`), so running a step twice
//! or in two processes at once changes nothing the second time; a drawn giveaway is never
//! drawn again. Besides, a process claims the giveaways it closes or draws (for
//! [`CLAIM_SECS`], `FOR UPDATE SKIP LOCKED` on PostgreSQL), so two processes do not both
//! run a draw's eligibility checks.

use super::entries::canonical_list;
use crate::ServiceError;
use crate::deps::Deps;
use crate::entities::giveaways;
use crate::ids::GiveawayId;
use crate::stop::Stop;
use chrono::Utc;
use domain::draw;
use domain::giveaway::Status;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use std::time::Duration;

/// How long a giveaway being closed or drawn is held by one process.
pub const CLAIM_SECS: i64 = 300;
/// After a failed draw, the next attempt waits this long.
const RETRY_SECS: i64 = 5;

/// Runs the rounds; woken by `deps.wake.scheduler` (a publication, the test clock).
#[derive(Clone)]
pub struct Scheduler {
    deps: Deps,
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub opened: u64,
    pub closed: u64,
    pub drawn: u64,
    /// Winners replaced for not claiming in time.
    pub rerolled: u64,
}

impl Scheduler {
    pub fn new(deps: Deps) -> Scheduler {
        Scheduler { deps }
    }

    /// Runs a round every second (or when woken) until `stop`; a round under way ends first.
    pub fn spawn(self, stop: Stop) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            while !stop.is_set() {
                let notified = self.deps.wake.scheduler.notified();
                if let Err(e) = self.round().await {
                    tracing::warn!(error = %e, "scheduler round failed");
                }
                stop.pause(Duration::from_secs(1), notified).await;
            }
        })
    }

    /// One pass over every due move.
    pub async fn round(&self) -> Result<Round, ServiceError> {
        let now = self.deps.clock.now();
        let opened = giveaways::Entity::update_many()
            .col_expr(giveaways::Column::Status, Expr::value(Status::Open))
            .col_expr(giveaways::Column::UpdatedAt, Expr::value(now))
            .filter(giveaways::Column::Status.eq(Status::Scheduled))
            .filter(giveaways::Column::StartsAt.lte(now))
            .exec(&self.deps.db)
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
            let span = tracing::info_span!("draw", tenant = %g.tenant_id, giveaway = %g.id);
            let drawn =
                tracing::Instrument::instrument(super::draw::draw(&self.deps, &g), span).await;
            use super::draw::Drawn;
            // A round whose time has not come is looked at again next second (nothing was
            // asked); relays that gave nothing, in a few seconds.
            self.unclaim(
                g.id,
                matches!(drawn, Ok(Drawn::Done | Drawn::Taken | Drawn::RoundNotYet)),
            )
            .await?;
            match drawn {
                Ok(Drawn::Done) => r.drawn += 1,
                Ok(Drawn::Taken | Drawn::RoundNotYet) => {}
                Ok(Drawn::BeaconUnavailable) => {
                    tracing::info!(tenant = %g.tenant_id, giveaway = %g.id, "draw waits for the beacon")
                }
                // Telegram unreachable mid-draw: nothing was written; a later round retries.
                Err(e) => {
                    tracing::warn!(tenant = %g.tenant_id, giveaway = %g.id, error = %e, "draw postponed")
                }
            }
        }
        // Winners who let their claim window pass: the next reserve steps in.
        r.rerolled = super::rerolls::expire_claims(&self.deps).await?;
        if r.drawn > 0 {
            self.deps.wake.sender.notify_one();
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
            .filter(giveaways::Column::Status.eq(status))
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
            .exec_with_returning(&self.deps.db)
            .await?;
        rows.sort_by_key(|g| g.id);
        Ok(rows)
    }

    /// Lets go of a claim: at once after the move, or in a little while after a failure.
    async fn unclaim(&self, id: GiveawayId, done: bool) -> Result<(), ServiceError> {
        let until = (!done).then(|| Utc::now() + chrono::Duration::seconds(RETRY_SECS));
        giveaways::Entity::update_many()
            .col_expr(giveaways::Column::ClaimedUntil, Expr::value(until))
            .filter(giveaways::Column::Id.eq(id))
            .exec(&self.deps.db)
            .await?;
        Ok(())
    }

    /// Freezes the entries: no join can add one after this (joins need `open`), and `E`
    /// is computed from the list as it stands.
    async fn close(&self, g: &giveaways::Model) -> Result<bool, ServiceError> {
        let txn = self.deps.db.begin().await?;
        // Taking the row first: a join holding it finishes before the list is read.
        let moved = giveaways::Entity::update_many()
            .col_expr(giveaways::Column::Status, Expr::value(Status::Closed))
            .col_expr(
                giveaways::Column::ClosedAt,
                Expr::value(self.deps.clock.now()),
            )
            .col_expr(giveaways::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(giveaways::Column::Id.eq(g.id))
            .filter(giveaways::Column::Status.eq(Status::Open))
            .exec(&txn)
            .await?
            .rows_affected;
        if moved == 0 {
            return Ok(false);
        }
        let list = canonical_list(&txn, g.id, super::protocol_of(g)?).await?;
        giveaways::Entity::update_many()
            .col_expr(
                giveaways::Column::EntriesHash,
                Expr::value(draw::entries_hash(&list).to_hex()),
            )
            .filter(giveaways::Column::Id.eq(g.id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        tracing::info!(giveaway = %g.id, "giveaway closed");
        Ok(true)
    }
}
