//! The fair draw of a closed giveaway (`domain::draw`): the seed and the frozen list's
//! hash give R; picks are taken from R's stream, each re-checked against the join
//! conditions (an ineligible pick is skipped and published as skipped); the result, the
//! winners' notices (with their prize codes, [`super::codes`]) and the result post are
//! written in one transaction, so a draw is never run twice and no notice is lost.
//!
//! A beacon-bound draw (protocol v3) first waits for its round: until the round's time
//! (by the scheduler's clock) nothing is asked; then the deployment's relays are asked
//! ([`crate::beacon`]), and only a round whose signature checks out is used — its
//! signature goes into R and is stored with the result, in the same transaction. No
//! round, no draw: the giveaway stays closed, "waiting for the beacon".

use super::codes;
use super::entries::list_entries;
use super::{bot_of_giveaway, open_seed, protocol_of};
use crate::ServiceError;
use crate::crypto::open_token;
use crate::deps::Deps;
use crate::entities::outbox::Kind;
use crate::entities::{entries, giveaways, tenants};
use crate::error::TelegramError;
use crate::ids::GiveawayId;
use crate::telegram::membership::{boosts_of, still_member};
use crate::telegram::outbox::{self, CodeRef, Message, NewMessage};
use chrono::Utc;
use domain::Locale;
use domain::bot_text::{BotText, locale_for};
use domain::draw::{self, Drawing, Hash32};
use domain::giveaway::{Status, assign_prizes, prize_places, total_winners};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};

/// The outbox key of a winner's notice: one per giveaway and entry number.
pub(super) fn winner_notice_key(giveaway: GiveawayId, number: u32) -> String {
    format!("win:{giveaway}:{number}")
}

/// What a winner's message hands over besides the prize's name.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Handover {
    /// The prize code given to the winner (no claim window).
    pub code: Option<CodeRef>,
    /// The prize has codes: with a claim window, "Claim" brings one.
    pub has_codes: bool,
}

/// A winner's direct message: what they won, their number, the way to verify; their
/// prize code when they have one.
#[allow(clippy::too_many_arguments)]
fn winner_message(
    g: &giveaways::Model,
    tenant: &tenants::Model,
    bot_id: crate::ids::BotId,
    entry: &entries::Model,
    prize: &str,
    handover: Handover,
    verify_url: &str,
    default_locale: Locale,
) -> NewMessage {
    let l = locale_for(entry.language_code.as_deref(), default_locale);
    let number = entry.number.max(0) as u32;
    let mut text = BotText::WinnerDm
        .text(l)
        .replace("{name}", &entry.first_name)
        .replace("{title}", &g.title)
        .replace("{prize}", prize)
        .replace("{number}", &number.to_string())
        .replace("{shop}", &tenant.name);
    if handover.code.is_some() {
        // `{code}` is filled in by the sender, from the sealed code.
        text.push_str("\n\n");
        text.push_str(BotText::PrizeCodeLine.text(l));
    }
    // With a claim window, the winner claims with a button before the next reserve
    // would take the prize.
    let mut callbacks = Vec::new();
    if g.claim_hours > 0 {
        text.push_str("\n\n");
        text.push_str(
            &BotText::ClaimPrompt
                .text(l)
                .replace("{hours}", &g.claim_hours.to_string()),
        );
        if handover.has_codes {
            text.push(' ');
            text.push_str(BotText::ClaimForCode.text(l));
        }
        callbacks.push((
            BotText::ButtonClaim.text(l).to_owned(),
            domain::giveaway::Callback::Claim(g.public_id.to_string()).encode(),
        ));
    }
    NewMessage {
        tenant_id: g.tenant_id,
        bot_id,
        giveaway_id: Some(g.id),
        kind: Kind::WinnerDm,
        chat_id: entry.telegram_user_id,
        message: Message {
            text,
            links: vec![(
                BotText::ButtonVerify.text(l).to_owned(),
                verify_url.to_owned(),
            )],
            callbacks,
            code: handover.code,
        },
        dedupe_key: winner_notice_key(g.id, number),
    }
}

/// What winner `number` of `g` gets with prize `place`: a code now when the giveaway has
/// no claim window and the prize has codes (given in `db`'s transaction).
async fn handover(
    deps: &Deps,
    db: &impl sea_orm::ConnectionTrait,
    g: &giveaways::Model,
    with_codes: &std::collections::HashSet<usize>,
    number: u32,
    place: usize,
) -> Result<Handover, ServiceError> {
    let has_codes = with_codes.contains(&place);
    let code = if has_codes && g.claim_hours <= 0 {
        codes::give(db, g.id, number, place, deps.clock.now()).await?
    } else {
        None
    };
    Ok(Handover { code, has_codes })
}

/// The message telling entry `number` of drawn giveaway `g` that it won prize `place`
/// (after a reroll), its code given in `db`'s transaction; `None` when the giveaway has
/// no bot any more.
pub(super) async fn winner_notice(
    deps: &Deps,
    db: &impl sea_orm::ConnectionTrait,
    g: &giveaways::Model,
    number: u32,
    place: usize,
) -> Result<Option<NewMessage>, ServiceError> {
    let Some(bot) = bot_of_giveaway(db, g).await? else {
        return Ok(None);
    };
    let prizes = g.prizes();
    let prize = prizes
        .get(place)
        .map(|p| p.name.as_str())
        .unwrap_or_default();
    let with_codes = codes::prizes_with_codes(db, g.id).await?;
    let handover = handover(deps, db, g, &with_codes, number, place).await?;
    let entry = entries::Entity::find()
        .filter(entries::Column::GiveawayId.eq(g.id))
        .filter(entries::Column::Number.eq(number as i32))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let tenant = tenants::Entity::find_by_id(g.tenant_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let default_locale = tenant.bot_locale();
    let verify_url = format!("{}/verify/{}", deps.public_url, g.public_id);
    Ok(Some(winner_message(
        g,
        &tenant,
        bot.id,
        &entry,
        prize,
        handover,
        &verify_url,
        default_locale,
    )))
}

/// How an attempt at a draw ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Drawn {
    Done,
    /// Someone else drew it first.
    Taken,
    /// Its beacon round's time has not come (by the scheduler's clock).
    RoundNotYet,
    /// The round's time has come, but no relay gave a valid signature yet.
    BeaconUnavailable,
}

/// The signature of a v3 giveaway's beacon round, when it can be had now.
async fn beacon_signature(
    deps: &Deps,
    g: &giveaways::Model,
) -> Result<Result<Vec<u8>, Drawn>, ServiceError> {
    let internal = |what: &str| ServiceError::Internal(format!("giveaway {}: {what}", g.id));
    let bound = g
        .beacon()
        .ok_or_else(|| internal("protocol 3 without a beacon round"))?;
    let chain = bound.chain().map_err(|e| internal(&e.to_string()))?;
    if deps.clock.now().timestamp() < chain.time_of(bound.round) {
        return Ok(Err(Drawn::RoundNotYet));
    }
    let Some(beacon) = deps
        .beacon
        .as_ref()
        .filter(|b| b.chain().hash == chain.hash)
    else {
        tracing::warn!(giveaway = %g.id, "its beacon chain is not this deployment's: set beacon-urls for it");
        return Ok(Err(Drawn::BeaconUnavailable));
    };
    Ok(match beacon.fetch(bound.round).await {
        Some(r) => Ok(r.signature),
        None => Err(Drawn::BeaconUnavailable),
    })
}

/// The fair draw of one closed giveaway, its winners' notices and its result post.
pub(super) async fn draw(deps: &Deps, g: &giveaways::Model) -> Result<Drawn, ServiceError> {
    let seed = open_seed(&deps.cipher, g)?;
    let e = Hash32::from_hex(g.entries_hash.as_deref().unwrap_or_default())
        .map_err(|_| ServiceError::Internal(format!("giveaway {}: no entries hash", g.id)))?;
    let protocol = protocol_of(g)?;
    let signature = match protocol {
        draw::Protocol::V3 => match beacon_signature(deps, g).await? {
            Ok(sig) => Some(sig),
            Err(wait) => return Ok(wait),
        },
        _ => None,
    };
    let r = match &signature {
        Some(sig) => draw::draw_seed_with_beacon(&seed, &e, sig),
        None => draw::draw_seed(&seed, &e),
    };
    let prizes = g.prizes();
    let conditions = g.conditions();
    let n = g.entries_count.max(0) as u32;
    // The frozen list, tickets included (its hash is E; the draw reads the same rows).
    let list = list_entries(&deps.db, g.id).await?;
    let bot_row = bot_of_giveaway(&deps.db, g).await?;
    let bot = match &bot_row {
        Some(b) => Some((
            deps.api.bot(&open_token(&deps.cipher, b)?),
            deps.api.meter(g.tenant_id, b.id),
        )),
        None => None,
    };

    let mut drawing = Drawing::for_entries(
        protocol,
        &r,
        &list,
        total_winners(&prizes),
        g.reserves.max(0) as u32,
    );
    let mut picked: Vec<entries::Model> = Vec::new();
    while let Some(pick) = drawing.next_pick() {
        let entry = entries::Entity::find()
            .filter(entries::Column::GiveawayId.eq(g.id))
            .filter(entries::Column::Number.eq(pick as i32))
            .one(&deps.db)
            .await?
            .ok_or_else(|| ServiceError::Internal(format!("entry {pick} missing")))?;
        let eligible = match (&bot, conditions.is_empty()) {
            (Some((bot, meter)), false) => {
                still_member(bot, meter, &conditions, entry.telegram_user_id).await?
            }
            _ => true,
        };
        // A boost the giveaway requires is checked again: a pick whose boost is gone is
        // skipped like one who left a channel. (Telegram unreachable: the draw waits.)
        let eligible = match (&bot, &g.boost_chat) {
            (Some((bot, meter)), Some(chat)) if eligible && g.boost_required => {
                match boosts_of(bot, meter, chat, entry.telegram_user_id).await {
                    Ok(n) => n > 0,
                    Err(ServiceError::Telegram(
                        e @ (TelegramError::Unavailable | TelegramError::RetryAfter(_)),
                    )) => return Err(ServiceError::Telegram(e)),
                    Err(e) => {
                        tracing::warn!(giveaway = %g.id, error = %e, "boost cannot be checked");
                        true
                    }
                }
            }
            _ => eligible,
        };
        drawing.record(pick, eligible);
        if eligible {
            picked.push(entry);
        }
    }
    let outcome = drawing.finish();

    let tenant = tenants::Entity::find_by_id(g.tenant_id)
        .one(&deps.db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let default_locale = tenant.bot_locale();
    let verify_url = format!("{}/verify/{}", deps.public_url, g.public_id);
    // The result post, sent after the winners' messages.
    let mut post = None;
    if let (Some(b), Some(chat)) = (&bot_row, g.announce_chat_id) {
        let winners = assign_prizes(&prizes, &outcome.winners)
            .into_iter()
            .map(|(n, p)| format!("#{n} — {p}"))
            .collect::<Vec<_>>()
            .join("\n");
        post = Some(NewMessage {
            tenant_id: g.tenant_id,
            bot_id: b.id,
            giveaway_id: Some(g.id),
            kind: Kind::ResultPost,
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
                callbacks: vec![],
                code: None,
            },
            dedupe_key: format!("result:{}", g.id),
        });
    }

    let txn = deps.db.begin().await?;
    let moved = giveaways::Entity::update_many()
        .col_expr(giveaways::Column::Status, Expr::value(Status::Drawn))
        .col_expr(
            giveaways::Column::Result,
            Expr::value(serde_json::to_string(&outcome).expect("plain data")),
        )
        .col_expr(giveaways::Column::DrawnAt, Expr::value(deps.clock.now()))
        .col_expr(
            giveaways::Column::BeaconSignature,
            Expr::value(signature.as_ref().map(hex::encode)),
        )
        .col_expr(giveaways::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(giveaways::Column::Id.eq(g.id))
        .filter(giveaways::Column::Status.eq(Status::Closed))
        .exec(&txn)
        .await?
        .rows_affected;
    if moved == 0 {
        return Ok(Drawn::Taken);
    }
    // The winners' messages, their codes given in this transaction, before the post.
    let mut messages = Vec::new();
    if let Some(b) = &bot_row {
        let with_codes = codes::prizes_with_codes(&txn, g.id).await?;
        for (number, place) in prize_places(&prizes, &outcome.winners) {
            let Some(entry) = picked.iter().find(|p| p.number as u32 == number) else {
                continue;
            };
            let handover = handover(deps, &txn, g, &with_codes, number, place).await?;
            messages.push(winner_message(
                g,
                &tenant,
                b.id,
                entry,
                &prizes[place].name,
                handover,
                &verify_url,
                default_locale,
            ));
        }
    }
    messages.extend(post);
    outbox::enqueue(&txn, messages).await?;
    txn.commit().await?;
    tracing::info!(
        giveaway = %g.id,
        entries = n,
        winners = outcome.winners.len(),
        skipped = outcome.skipped.len(),
        "giveaway drawn"
    );
    Ok(Drawn::Done)
}
