//! Prize codes (`domain::giveaway::codes`): the tenant uploads them per prize; they are
//! sealed at rest (`crypto::seal_code`) and opened only for the tenant's own dashboard and
//! for the message that hands one over. A code is given to a winner when it is revealed:
//! in the winner's message when the giveaway has no claim window, else when they press
//! "Claim" ([`on_claim`]). A reroll takes back the code of a winner who never received it
//! ([`take_back_unsent`]), so the next reserve gets it.
//!
//! May import: the foundation, `telegram::outbox`, `super::{entries, draw}`'s keys.

use super::find_owned;
use crate::ServiceError;
use crate::crypto::{open_code, seal_code};
use crate::deps::Deps;
use crate::entities::outbox::{Kind, Status as OutboxStatus};
use crate::entities::{giveaways, outbox, prize_codes, tenants};
use crate::ids::GiveawayId;
use crate::telegram::outbox::{CodeRef, Message, NewMessage};
use crate::tenancy::{TenantScope, WriterScope};
use chrono::{DateTime, Utc};
use domain::bot_text::{BotText, locale_for};
use domain::giveaway::codes::{MAX_PER_GIVEAWAY, parse_codes};
use domain::giveaway::{Status, prize_place};
use domain::{Conflict, Field, PublicId, ValidationError};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::HashSet;

/// What an upload did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Added {
    pub added: u32,
    /// Codes the giveaway already had, not added again (a code repeated within the
    /// upload counts once).
    pub duplicates: u32,
}

/// A code as its tenant sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeView {
    /// The prize's place in the list (from 0) and its name.
    pub prize: usize,
    pub prize_name: String,
    pub code: String,
    /// The winner it was given to, and when.
    pub number: Option<u32>,
    pub given_at: Option<DateTime<Utc>>,
    /// Whether that winner pressed "Claim".
    pub claimed: bool,
}

/// The outbox key of the message that hands a claimed prize's code over.
fn code_message_key(giveaway: GiveawayId, number: u32) -> String {
    format!("code:{giveaway}:{number}")
}

/// Adds the codes in `text` (one per line, or CSV) for prize `prize` (its place in the
/// list, from 0) of a giveaway that is not cancelled.
pub async fn add(
    deps: &Deps,
    scope: &WriterScope,
    public_id: &PublicId,
    prize: &str,
    text: &str,
) -> Result<Added, ServiceError> {
    let g = find_owned(&deps.db, scope, public_id).await?;
    if g.status == Status::Cancelled {
        return Err(ServiceError::Conflict(Conflict::GiveawayState));
    }
    let prize: usize = prize
        .trim()
        .parse()
        .ok()
        .filter(|p| *p < g.prizes().len())
        .ok_or_else(|| ServiceError::invalid(Field::CodePrize, ValidationError::InvalidNumber))?;
    let codes = parse_codes(text).map_err(ServiceError::validation(Field::Codes))?;
    let existing = prize_codes::Entity::find()
        .filter(prize_codes::Column::GiveawayId.eq(g.id))
        .all(&deps.db)
        .await?;
    let mut known: HashSet<String> = existing
        .iter()
        .map(|r| open_code(&deps.cipher, r))
        .collect::<Result<_, _>>()?;
    let uploaded = codes.len();
    let fresh: Vec<String> = codes
        .into_iter()
        .filter(|c| known.insert(c.clone()))
        .collect();
    let duplicates = (uploaded - fresh.len()) as u32;
    if existing.len() + fresh.len() > MAX_PER_GIVEAWAY {
        return Err(ServiceError::invalid(
            Field::Codes,
            ValidationError::TooMany,
        ));
    }
    let now = Utc::now();
    let added = fresh.len() as u32;
    if !fresh.is_empty() {
        let _turn = deps.writes.enter().await;
        for chunk in fresh.chunks(500) {
            prize_codes::Entity::insert_many(chunk.iter().map(|c| prize_codes::ActiveModel {
                giveaway_id: Set(g.id),
                prize: Set(prize as i32),
                sealed: Set(seal_code(&deps.cipher, g.id, c)),
                number: Set(None),
                given_at: Set(None),
                created_at: Set(now),
                ..Default::default()
            }))
            .exec_without_returning(&deps.db)
            .await?;
        }
    }
    tracing::info!(giveaway = %g.id, prize, added, duplicates, "prize codes added");
    Ok(Added { added, duplicates })
}

/// Removes the codes of a giveaway that were not given to anyone. Returns how many.
pub async fn remove_unused(
    deps: &Deps,
    scope: &WriterScope,
    public_id: &PublicId,
) -> Result<u64, ServiceError> {
    let g = find_owned(&deps.db, scope, public_id).await?;
    let _turn = deps.writes.enter().await;
    Ok(prize_codes::Entity::delete_many()
        .filter(prize_codes::Column::GiveawayId.eq(g.id))
        .filter(prize_codes::Column::Number.is_null())
        .exec(&deps.db)
        .await?
        .rows_affected)
}

/// Every code of a giveaway of the tenant's, opened, by prize then upload order.
pub async fn list(
    deps: &Deps,
    scope: &TenantScope,
    public_id: &PublicId,
) -> Result<Vec<CodeView>, ServiceError> {
    let g = find_owned(&deps.db, scope, public_id).await?;
    let prizes = g.prizes();
    let claimed = super::claimed_numbers(&deps.db, g.id).await?;
    prize_codes::Entity::find()
        .filter(prize_codes::Column::GiveawayId.eq(g.id))
        .order_by_asc(prize_codes::Column::Prize)
        .order_by_asc(prize_codes::Column::Id)
        .all(&deps.db)
        .await?
        .into_iter()
        .map(|r| {
            Ok(CodeView {
                prize: r.prize.max(0) as usize,
                prize_name: prizes
                    .get(r.prize.max(0) as usize)
                    .map(|p| p.name.clone())
                    .unwrap_or_default(),
                code: open_code(&deps.cipher, &r)?,
                number: r.number.map(|n| n.max(0) as u32),
                given_at: r.given_at,
                claimed: r.number.is_some_and(|n| claimed.contains(&n)),
            })
        })
        .collect()
}

/// Whether giveaway `g` has codes uploaded (what an edit of its prizes must keep).
pub(super) async fn any(db: &impl ConnectionTrait, g: GiveawayId) -> Result<bool, ServiceError> {
    Ok(prize_codes::Entity::find()
        .select_only()
        .column(prize_codes::Column::Id)
        .filter(prize_codes::Column::GiveawayId.eq(g))
        .into_tuple::<i64>()
        .one(db)
        .await?
        .is_some())
}

/// The prizes (places in the list) of `g` that have codes uploaded.
pub(super) async fn prizes_with_codes(
    db: &impl ConnectionTrait,
    g: GiveawayId,
) -> Result<HashSet<usize>, ServiceError> {
    let rows: Vec<i32> = prize_codes::Entity::find()
        .select_only()
        .column(prize_codes::Column::Prize)
        .distinct()
        .filter(prize_codes::Column::GiveawayId.eq(g))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|p| p.max(0) as usize).collect())
}

/// Gives winner `number` a code of prize `prize`: the one they hold already, else the
/// oldest free one. `None` when none is left.
pub(super) async fn give(
    db: &impl ConnectionTrait,
    g: GiveawayId,
    number: u32,
    prize: usize,
    now: DateTime<Utc>,
) -> Result<Option<CodeRef>, ServiceError> {
    let number = number as i32;
    let held = prize_codes::Entity::find()
        .filter(prize_codes::Column::GiveawayId.eq(g))
        .filter(prize_codes::Column::Number.eq(number))
        .one(db)
        .await?;
    if let Some(h) = held {
        return Ok(Some(CodeRef { id: h.id, number }));
    }
    // Another process may take the same free code first: then the next one.
    for _ in 0..8 {
        let free = prize_codes::Entity::find()
            .select_only()
            .column(prize_codes::Column::Id)
            .filter(prize_codes::Column::GiveawayId.eq(g))
            .filter(prize_codes::Column::Prize.eq(prize as i32))
            .filter(prize_codes::Column::Number.is_null())
            .order_by_asc(prize_codes::Column::Id)
            .into_tuple::<i64>()
            .one(db)
            .await?;
        let Some(id) = free else {
            return Ok(None);
        };
        let taken = prize_codes::Entity::update_many()
            .col_expr(prize_codes::Column::Number, Expr::value(number))
            .col_expr(prize_codes::Column::GivenAt, Expr::value(now))
            .filter(prize_codes::Column::Id.eq(id))
            .filter(prize_codes::Column::Number.is_null())
            .exec(db)
            .await?
            .rows_affected;
        if taken == 1 {
            return Ok(Some(CodeRef { id, number }));
        }
    }
    Err(ServiceError::Internal(format!(
        "giveaway {g}: no free prize code could be taken"
    )))
}

/// A winner being replaced gives their code back unless a message carrying it was sent:
/// a code they never saw goes to whoever is next (a code they saw stays theirs, and
/// the tenant sees to whom it went).
pub(super) async fn take_back_unsent(
    db: &impl ConnectionTrait,
    g: GiveawayId,
    number: u32,
) -> Result<(), ServiceError> {
    let Some(code) = prize_codes::Entity::find()
        .filter(prize_codes::Column::GiveawayId.eq(g))
        .filter(prize_codes::Column::Number.eq(number as i32))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let sent = outbox::Entity::find()
        .filter(outbox::Column::GiveawayId.eq(g))
        .filter(outbox::Column::DedupeKey.is_in([
            super::draw::winner_notice_key(g, number),
            code_message_key(g, number),
        ]))
        .filter(outbox::Column::Status.eq(OutboxStatus::Sent))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|m| serde_json::from_str::<Message>(&m.payload).ok())
        .any(|m| m.code.is_some_and(|c| c.id == code.id));
    if !sent {
        prize_codes::Entity::update_many()
            .col_expr(prize_codes::Column::Number, Expr::value(None::<i32>))
            .col_expr(
                prize_codes::Column::GivenAt,
                Expr::value(None::<DateTime<Utc>>),
            )
            .filter(prize_codes::Column::Id.eq(code.id))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// After winner `number` of drawn giveaway `g` claimed: gives them a code of their prize,
/// if it has codes, and queues the message that carries it (once, however often they
/// press).
pub(super) async fn on_claim(
    deps: &Deps,
    g: &giveaways::Model,
    number: u32,
    language_code: Option<&str>,
    chat_id: i64,
) -> Result<(), ServiceError> {
    let winners = g.current_outcome().map(|o| o.winners).unwrap_or_default();
    let prizes = g.prizes();
    let Some(place) = prize_place(&prizes, &winners, number) else {
        return Ok(());
    };
    if !prizes_with_codes(&deps.db, g.id).await?.contains(&place) {
        return Ok(());
    }
    let Some(bot) = super::bot_of_giveaway(&deps.db, g).await? else {
        return Ok(());
    };
    let tenant = tenants::Entity::find_by_id(g.tenant_id)
        .one(&deps.db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let l = locale_for(language_code, tenant.bot_locale());
    let _turn = deps.writes.enter().await;
    let txn = sea_orm::TransactionTrait::begin(&deps.db).await?;
    let Some(code) = give(&txn, g.id, number, place, deps.clock.now()).await? else {
        tracing::warn!(giveaway = %g.id, prize = place, "a winner claimed; no code left");
        return Ok(());
    };
    crate::telegram::outbox::enqueue(
        &txn,
        vec![NewMessage {
            tenant_id: g.tenant_id,
            bot_id: bot.id,
            giveaway_id: Some(g.id),
            kind: Kind::PrizeCode,
            chat_id,
            message: Message {
                text: BotText::PrizeCodeDm
                    .text(l)
                    .replace("{title}", &g.title)
                    .replace("{prize}", &prizes[place].name),
                links: vec![],
                callbacks: vec![],
                code: Some(code),
            },
            dedupe_key: code_message_key(g.id, number),
        }],
    )
    .await?;
    txn.commit().await?;
    deps.wake.sender.notify_one();
    Ok(())
}
