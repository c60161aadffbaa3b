//! Giveaways: what the dashboard creates, edits, publishes and cancels ([`form`],
//! [`manage`]); the entries the bot's audience makes ([`entries`], many at once through
//! the join queue [`joiner`]), who may make one ([`admission`]), and the ways in: the
//! bot's chat ([`bot`], a dialog feature) and the Mini App ([`miniapp`]); what is published and announced
//! ([`publication`]); prize codes and who got them ([`codes`]), winners replaced
//! ([`rerolls`]); and the [`scheduler`] that opens, closes and draws them ([`draw`],
//! the fair draw of `domain::draw`).
//!
//! May import: the foundation, `accounts` (plans, settings), `bots` (the tenant's bot),
//! `telegram` (the dialog, the outbox, membership checks). Every function takes a
//! [`TenantScope`] (a [`WriterScope`](crate::tenancy::WriterScope) to change anything);
//! a giveaway id of another tenant is "not found". The edit rules are
//! `domain::giveaway::Status::editable`.

pub mod admission;
pub mod bot;
pub mod codes;
pub mod draw;
pub mod entries;
pub mod form;
pub mod joiner;
pub mod manage;
pub mod miniapp;
pub mod publication;
pub mod referrals;
pub mod rerolls;
pub mod scheduler;

pub use bot::Giveaways;
pub use entries::{
    Entrant, EntryRow, Joined, MyEntry, all_entries, entries_page, has_joined, join, mine,
};
pub use form::GiveawayForm;
pub use manage::{cancel, create, get, list, publish, update};
pub use publication::{PublicRecord, WinnerRow, announce, notice_progress, public_record, winners};
pub use scheduler::Scheduler;

use crate::ServiceError;
use crate::crypto::TokenCipher;
use crate::entities::{bots, giveaways};
use crate::tenancy::TenantScope;
use chrono::{DateTime, Utc};
use domain::PublicId;
use domain::draw::{Hash32, Outcome};
use domain::giveaway::{Prize, Status};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("plain data serialises")
}

/// A giveaway as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GiveawayView {
    pub public_id: PublicId,
    pub title: String,
    pub description: String,
    pub prizes: Vec<Prize>,
    pub reserves: u32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: Status,
    pub bot: Option<PublicId>,
    pub bot_username: Option<String>,
    pub conditions: Vec<String>,
    pub max_entries: Option<u32>,
    pub captcha: bool,
    /// Extra tickets an entrant may earn by referrals (0: none).
    pub referral_cap: u32,
    pub premium_only: bool,
    pub past_winner_days: u32,
    pub min_account_days: u32,
    pub boost_chat: Option<String>,
    pub boost_required: bool,
    pub boost_tickets_cap: u32,
    pub claim_hours: u32,
    pub entries: u32,
    pub commitment: String,
    pub entries_hash: Option<String>,
    /// Revealed once drawn.
    pub seed: Option<String>,
    /// The winners as they stand (after rerolls).
    pub outcome: Option<Outcome>,
    /// Winners replaced since the draw, in order.
    pub rerolls: Vec<domain::draw::Reroll>,
    /// The beacon round the draw is bound to (v3), its signature once drawn.
    pub beacon: Option<domain::draw::BeaconRound>,
}

fn view(
    g: giveaways::Model,
    bot: Option<&bots::Model>,
    cipher: &TokenCipher,
) -> Result<GiveawayView, ServiceError> {
    let status = g.status;
    let seed = if status == Status::Drawn {
        Some(open_seed(cipher, &g)?.to_hex())
    } else {
        None
    };
    Ok(GiveawayView {
        prizes: g.prizes(),
        conditions: g.conditions(),
        outcome: g.current_outcome(),
        rerolls: g.rerolls(),
        beacon: g.beacon(),
        reserves: g.reserves.max(0) as u32,
        max_entries: g.max_entries.map(|m| m.max(0) as u32),
        captcha: g.captcha,
        referral_cap: g.referral_cap.max(0) as u32,
        premium_only: g.premium_only,
        past_winner_days: g.past_winner_days.max(0) as u32,
        min_account_days: g.min_account_days.max(0) as u32,
        boost_chat: g.boost_chat.clone(),
        boost_required: g.boost_required,
        boost_tickets_cap: g.boost_tickets_cap.max(0) as u32,
        claim_hours: g.claim_hours.max(0) as u32,
        entries: g.entries_count.max(0) as u32,
        bot: bot.map(|b| b.public_id.clone()),
        bot_username: bot.map(|b| b.username.clone()),
        public_id: g.public_id,
        title: g.title,
        description: g.description,
        starts_at: g.starts_at,
        ends_at: g.ends_at,
        status,
        commitment: g.commitment,
        entries_hash: g.entries_hash,
        seed,
    })
}

fn seed_aad(public_id: &PublicId) -> String {
    format!("giveaway-seed:{public_id}")
}

/// The giveaway's secret seed (for the draw, and for publication once drawn).
/// The draw protocol of a giveaway; one this build does not know is an internal error.
pub(crate) fn protocol_of(g: &giveaways::Model) -> Result<domain::draw::Protocol, ServiceError> {
    g.protocol()
        .map_err(|e| ServiceError::Internal(format!("giveaway {}: {e}", g.id)))
}

pub(crate) fn open_seed(
    cipher: &TokenCipher,
    g: &giveaways::Model,
) -> Result<Hash32, ServiceError> {
    let bytes = cipher
        .open_bytes(&seed_aad(&g.public_id), &g.seed_sealed)
        .map_err(|e| ServiceError::Internal(format!("giveaway {}: seed: {e}", g.id)))?;
    let arr: [u8; 32] = bytes
        .try_into()
        .map_err(|_| ServiceError::Internal(format!("giveaway {}: seed length", g.id)))?;
    Ok(Hash32(arr))
}

pub(crate) async fn find_owned(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    public_id: &PublicId,
) -> Result<giveaways::Model, ServiceError> {
    giveaways::Entity::find()
        .filter(giveaways::Column::PublicId.eq(public_id.as_str()))
        .filter(giveaways::Column::TenantId.eq(scope.tenant_id()))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// The entry numbers of giveaway `g` whose winners pressed "Claim".
pub(crate) async fn claimed_numbers(
    db: &impl ConnectionTrait,
    g: crate::ids::GiveawayId,
) -> Result<std::collections::HashSet<i32>, ServiceError> {
    Ok(crate::entities::claims::Entity::find()
        .filter(crate::entities::claims::Column::GiveawayId.eq(g))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.number)
        .collect())
}

/// The bot that runs a giveaway, if it still has one.
pub(crate) async fn bot_of_giveaway(
    db: &impl ConnectionTrait,
    g: &giveaways::Model,
) -> Result<Option<bots::Model>, ServiceError> {
    Ok(match g.bot_id {
        Some(id) => bots::Entity::find_by_id(id).one(db).await?,
        None => None,
    })
}

pub(crate) async fn with_bot(
    db: &impl ConnectionTrait,
    cipher: &TokenCipher,
    g: giveaways::Model,
) -> Result<GiveawayView, ServiceError> {
    let bot = bot_of_giveaway(db, &g).await?;
    view(g, bot.as_ref(), cipher)
}
