//! Replacing a winner after the draw (`domain::draw::reroll`): the organiser's manual
//! reroll with a published reason, and a winner who did not press "Claim" within the
//! giveaway's claim window ([`claim`], [`expire_claims`], run by the scheduler). The next
//! reserve in the published order takes the prize (and the replaced winner's prize code,
//! if they never received it) and is told; the first result is kept, the reroll appended.
//!
//! May import: the foundation, `telegram::outbox`, `super::draw` (the winner's notice),
//! `super::codes`.

use super::draw::winner_notice;
use super::find_owned;
use crate::ServiceError;
use crate::deps::Deps;
use crate::entities::outbox::{Kind as OutboxKind, Status as OutboxStatus};
use crate::entities::{claims, giveaways, outbox};
use crate::tenancy::WriterScope;
use chrono::{DateTime, Utc};
use domain::draw::reroll::{self, RerollError};
use domain::draw::{Reroll, RerollReason};
use domain::giveaway::{self as rules, Status};
use domain::{Conflict, Field, PublicId, ValidationError};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};

/// The longest reason a manual reroll may give.
pub const MAX_REASON: usize = 200;

/// Replaces winner `number` of a drawn giveaway by the next reserve, with `reason`
/// published; tells the new winner. Returns the reroll.
pub async fn reroll(
    deps: &Deps,
    scope: &WriterScope,
    public_id: &PublicId,
    number: &str,
    reason: &str,
) -> Result<Reroll, ServiceError> {
    let number: u32 = number
        .trim()
        .parse()
        .map_err(|_| ServiceError::invalid(Field::RerollNumber, ValidationError::InvalidNumber))?;
    let note = rules::clean_line(reason, MAX_REASON)
        .map_err(ServiceError::validation(Field::RerollReason))?;
    let g = find_owned(&deps.db, scope, public_id).await?;
    replace(deps, &g, number, RerollReason::Manual, note).await
}

/// Replaces current winner `number` of drawn giveaway `g` by the next reserve: the reroll
/// appended (only over the rerolls read), the new winner's notice in the same
/// transaction.
async fn replace(
    deps: &Deps,
    g: &giveaways::Model,
    number: u32,
    reason: RerollReason,
    note: String,
) -> Result<Reroll, ServiceError> {
    let outcome = match (g.status, g.outcome()) {
        (Status::Drawn, Some(o)) => o,
        _ => return Err(ServiceError::Conflict(Conflict::GiveawayState)),
    };
    let done = g.rerolls();
    let r = reroll::next(
        &outcome.winners,
        &outcome.reserves,
        &done,
        number,
        reason,
        note,
        deps.clock.now().to_rfc3339(),
    )
    .map_err(|e| match e {
        RerollError::NoReserveLeft => ServiceError::Conflict(Conflict::NoReserveLeft),
        _ => ServiceError::invalid(Field::RerollNumber, ValidationError::InvalidNumber),
    })?;
    let mut all = done;
    all.push(r.clone());
    let (now, _) = reroll::apply(&outcome.winners, &outcome.reserves, &all)
        .map_err(|e| ServiceError::Internal(format!("reroll: {e}")))?;
    let place = rules::prize_place(&g.prizes(), &now, r.replacement)
        .ok_or_else(|| ServiceError::Internal(format!("reroll: {} has no prize", r.replacement)))?;
    let json = serde_json::to_string(&all).expect("plain data");

    let _turn = deps.writes.enter().await;
    let txn = deps.db.begin().await?;
    // Only over the rerolls we read: two organisers at once do not both take a reserve.
    let unchanged = match &g.rerolls {
        Some(old) => giveaways::Column::Rerolls.eq(old.clone()),
        None => giveaways::Column::Rerolls.is_null(),
    };
    let moved = giveaways::Entity::update_many()
        .col_expr(giveaways::Column::Rerolls, Expr::value(json))
        .col_expr(giveaways::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(giveaways::Column::Id.eq(g.id))
        .filter(giveaways::Column::Status.eq(Status::Drawn))
        .filter(unchanged)
        .exec(&txn)
        .await?
        .rows_affected;
    if moved == 0 {
        return Err(ServiceError::Conflict(Conflict::GiveawayState));
    }
    // A code the replaced winner never received goes to the replacement.
    super::codes::take_back_unsent(&txn, g.id, r.replaced).await?;
    if let Some(notice) = winner_notice(deps, &txn, g, r.replacement, place).await? {
        crate::telegram::outbox::enqueue(&txn, vec![notice]).await?;
    }
    txn.commit().await?;
    deps.wake.sender.notify_one();
    tracing::info!(giveaway = %g.id, replaced = r.replaced, replacement = r.replacement, ?reason, "winner replaced");
    Ok(r)
}

/// How a press of "Claim" ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    Claimed,
    /// The window closed (the prize goes, or went, to the next reserve).
    TooLate,
    /// Not a winner of this giveaway (now).
    NotAWinner,
}

/// When winner `number`'s claim window closes: from the draw, or for a reserve that
/// stepped in, from its reroll.
fn deadline(g: &giveaways::Model, number: u32) -> Option<DateTime<Utc>> {
    let since = g
        .rerolls()
        .iter()
        .rev()
        .find(|r| r.replacement == number)
        .and_then(|r| DateTime::parse_from_rfc3339(&r.at).ok())
        .map(|t| t.with_timezone(&Utc))
        .or(g.drawn_at)?;
    Some(since + chrono::Duration::hours(i64::from(g.claim_hours)))
}

/// Where a current winner of a giveaway with a claim window stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimState {
    pub number: u32,
    pub claimed: bool,
    /// When their window closes (from the draw, or from the reroll that made them winner).
    pub deadline: Option<DateTime<Utc>>,
}

/// The current winners' claims of a drawn giveaway of the tenant's; empty without a
/// claim window or before the draw.
pub async fn claim_states(
    deps: &Deps,
    scope: &crate::tenancy::TenantScope,
    public_id: &PublicId,
) -> Result<Vec<ClaimState>, ServiceError> {
    let g = find_owned(&deps.db, scope, public_id).await?;
    if g.status != Status::Drawn || g.claim_hours <= 0 {
        return Ok(Vec::new());
    }
    let claimed = super::claimed_numbers(&deps.db, g.id).await?;
    let winners = g.current_outcome().map(|o| o.winners).unwrap_or_default();
    Ok(winners
        .into_iter()
        .map(|n| ClaimState {
            number: n,
            claimed: claimed.contains(&(n as i32)),
            deadline: deadline(&g, n),
        })
        .collect())
}

/// A press of "Claim" by `user` for drawn giveaway `g`.
pub(super) async fn claim(
    deps: &Deps,
    g: &giveaways::Model,
    user: i64,
) -> Result<Claim, ServiceError> {
    let Some(entry) = super::entries::entry_of(&deps.db, g.id, user).await? else {
        return Ok(Claim::NotAWinner);
    };
    let number = entry.number.max(0) as u32;
    let winners = g.current_outcome().map(|o| o.winners).unwrap_or_default();
    if g.status != Status::Drawn || g.claim_hours <= 0 {
        return Ok(Claim::NotAWinner);
    }
    if !winners.contains(&number) {
        // Replaced since: their window had closed.
        let was = g.outcome().is_some_and(|o| o.winners.contains(&number))
            || g.rerolls().iter().any(|r| r.replacement == number);
        return Ok(if was {
            Claim::TooLate
        } else {
            Claim::NotAWinner
        });
    }
    if deadline(g, number).is_some_and(|d| deps.clock.now() > d) {
        return Ok(Claim::TooLate);
    }
    let turn = deps.writes.enter().await;
    claims::Entity::insert(claims::ActiveModel {
        giveaway_id: Set(g.id),
        number: Set(number as i32),
        claimed_at: Set(deps.clock.now()),
    })
    .on_conflict(
        OnConflict::columns([claims::Column::GiveawayId, claims::Column::Number])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&deps.db)
    .await?;
    drop(turn);
    super::codes::on_claim(
        deps,
        g,
        number,
        entry.language_code.as_deref(),
        entry.telegram_user_id,
    )
    .await?;
    Ok(Claim::Claimed)
}

/// Winners of `g` whose notice could not be delivered because they blocked the bot, never
/// started it or deleted their account.
async fn unreachable_winners(deps: &Deps, g: &giveaways::Model) -> Result<Vec<u32>, ServiceError> {
    Ok(outbox::Entity::find()
        .filter(outbox::Column::GiveawayId.eq(g.id))
        .filter(outbox::Column::Kind.eq(OutboxKind::WinnerDm))
        .filter(outbox::Column::Status.eq(OutboxStatus::Failed))
        .filter(outbox::Column::LastError.is_in(crate::botapi::client::UNREACHABLE))
        .all(&deps.db)
        .await?
        .into_iter()
        // A winner's notice is keyed `win:<giveaway>:<entry number>`.
        .filter_map(|m| {
            m.dedupe_key
                .rsplit_once(':')
                .and_then(|(_, n)| n.parse().ok())
        })
        .collect())
}

/// Replaces, while reserves last, every winner of a giveaway with a claim window who
/// could not be told (reason "unreachable") or whose window closed without a claim
/// ("unclaimed"). Returns how many were replaced.
pub(super) async fn expire_claims(deps: &Deps) -> Result<u64, ServiceError> {
    let now = deps.clock.now();
    let drawn = giveaways::Entity::find()
        .filter(giveaways::Column::Status.eq(Status::Drawn))
        .filter(giveaways::Column::ClaimHours.gt(0))
        .filter(
            giveaways::Column::DrawnAt
                .gte(now - chrono::Duration::hours(2 * i64::from(rules::MAX_CLAIM_HOURS))),
        )
        .all(&deps.db)
        .await?;
    let mut replaced = 0;
    for mut g in drawn {
        // Read once per giveaway: a reserve stepping in below has neither claimed nor
        // been found unreachable yet (its notice is only queued).
        let claimed = super::claimed_numbers(&deps.db, g.id).await?;
        let unreachable = unreachable_winners(deps, &g).await?;
        loop {
            let winners = g.current_outcome().map(|o| o.winners).unwrap_or_default();
            let next = winners.iter().find_map(|n| {
                if claimed.contains(&(*n as i32)) {
                    None
                } else if unreachable.contains(n) {
                    Some((*n, RerollReason::Unreachable))
                } else if deadline(&g, *n).is_some_and(|d| now > d) {
                    Some((*n, RerollReason::Unclaimed))
                } else {
                    None
                }
            });
            let Some((late, reason)) = next else {
                break;
            };
            match replace(deps, &g, late, reason, String::new()).await {
                Ok(_) => replaced += 1,
                // No reserve left: the winner keeps the prize.
                Err(ServiceError::Conflict(Conflict::NoReserveLeft)) => break,
                Err(e) => return Err(e),
            }
            g = giveaways::Entity::find_by_id(g.id)
                .one(&deps.db)
                .await?
                .ok_or(ServiceError::NotFound)?;
        }
    }
    Ok(replaced)
}
