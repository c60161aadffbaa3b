//! Replacing a winner after the draw (`domain::draw::reroll`): the organiser's manual
//! reroll with a published reason. The next reserve in the published order takes the
//! prize and is told; the first result is kept, the reroll appended. (Rerolls for an
//! unclaimed prize or an unreachable winner use the same rules.)
//!
//! May import: the foundation, `telegram::outbox`, `super::draw` (the winner's notice).

use super::draw::winner_notice;
use super::find_owned;
use crate::ServiceError;
use crate::deps::Deps;
use crate::entities::giveaways;
use crate::tenancy::WriterScope;
use chrono::Utc;
use domain::draw::reroll::{self, RerollError};
use domain::draw::{Reroll, RerollReason};
use domain::giveaway::{self as rules, Status};
use domain::{Conflict, Field, PublicId, ValidationError};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};

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
    let note =
        rules::clean_line(reason, MAX_REASON).map_err(ServiceError::validation(Field::Reason))?;
    let g = find_owned(&deps.db, scope, public_id).await?;
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
        RerollReason::Manual,
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
    let prize = rules::assign_prizes(&g.prizes(), &now)
        .into_iter()
        .find(|(n, _)| *n == r.replacement)
        .map(|(_, p)| p.to_owned())
        .unwrap_or_default();
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
    if let Some(notice) = winner_notice(deps, &txn, &g, r.replacement, &prize).await? {
        crate::telegram::outbox::enqueue(&txn, vec![notice]).await?;
    }
    txn.commit().await?;
    deps.wake.sender.notify_one();
    tracing::info!(giveaway = %g.id, replaced = r.replaced, replacement = r.replacement, "winner replaced");
    Ok(r)
}
