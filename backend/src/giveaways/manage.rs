//! What the dashboard does to a giveaway: create a draft, edit it within its state's
//! rules, publish it, cancel it; list and read them.

use super::form::{GiveawayForm, validate};
use super::{GiveawayView, bot_of_giveaway, find_owned, seed_aad, to_json, view, with_bot};
use crate::ServiceError;
use crate::accounts::plans;
use crate::crypto::TokenCipher;
use crate::deps::Deps;
use crate::entities::{bots, giveaways};
use crate::ids::GiveawayId;
use crate::tenancy::{TenantScope, WriterScope};
use chrono::{DateTime, Utc};
use domain::draw::{self, Hash32};
use domain::giveaway::{self as rules, Status};
use domain::{BotStatus, Conflict, Field, PlanResource, PublicId, ValidationError};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};

/// Creates a draft. Its secret seed is drawn now; the commitment to it is what
/// publication shows. With the deployment's beacon on, the draw is bound to the beacon
/// round just after the end (protocol v3), and the commitment covers that round.
pub async fn create(
    deps: &Deps,
    scope: &WriterScope,
    form: &GiveawayForm,
    now: DateTime<Utc>,
) -> Result<GiveawayView, ServiceError> {
    let (db, cipher) = (&deps.db, &*deps.cipher);
    let v = validate(db, scope, form, now).await?;
    let public_id = crate::ids::new_public_id();
    let seed = Hash32(rand::random());
    let bound = deps
        .beacon
        .as_ref()
        .map(|b| Binding::new(b.chain(), &seed, v.ends_at));
    let row = giveaways::ActiveModel {
        public_id: Set(public_id.clone()),
        tenant_id: Set(scope.tenant_id()),
        bot_id: Set(Some(v.bot_id)),
        title: Set(v.title),
        description: Set(v.description),
        prizes: Set(to_json(&v.prizes)),
        reserves: Set(v.reserves as i32),
        starts_at: Set(v.starts_at),
        ends_at: Set(v.ends_at),
        conditions: Set(to_json(&v.conditions)),
        max_entries: Set(v.max_entries.map(|m| m as i32)),
        captcha: Set(v.captcha),
        referral_cap: Set(v.referral_cap as i32),
        premium_only: Set(v.premium_only),
        past_winner_days: Set(v.past_winner_days as i32),
        min_account_days: Set(v.min_account_days as i32),
        boost_chat: Set(v.boost_chat),
        boost_required: Set(v.boost_required),
        boost_tickets_cap: Set(v.boost_tickets_cap as i32),
        claim_hours: Set(v.claim_hours as i32),
        status: Set(Status::Draft),
        seed_sealed: Set(cipher.seal_bytes(&seed_aad(&public_id), &seed.0)),
        draw_protocol: Set(i16::from(
            bound
                .as_ref()
                .map_or(draw::Protocol::CURRENT, |_| draw::Protocol::V3)
                .number(),
        )),
        commitment: Set(match &bound {
            Some(b) => b.commitment.to_hex(),
            None => draw::commitment(draw::Protocol::CURRENT, &seed).to_hex(),
        }),
        beacon_chain: Set(bound.as_ref().map(|b| b.chain.to_hex())),
        beacon_round: Set(bound.as_ref().map(|b| b.round as i64)),
        beacon_test_key: Set(bound.as_ref().and_then(|b| b.test_key.clone())),
        entries_count: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    tracing::info!(
        tenant = %scope.tenant_id(),
        giveaway = %row.id,
        "giveaway created"
    );
    with_bot(db, cipher, row).await
}

/// Edits what the giveaway's state allows (see `Status::editable`); anything else in the
/// form must be unchanged, or the whole edit is refused.
pub async fn update(
    deps: &Deps,
    scope: &WriterScope,
    public_id: &PublicId,
    form: &GiveawayForm,
    now: DateTime<Utc>,
) -> Result<GiveawayView, ServiceError> {
    let (db, cipher) = (&deps.db, &*deps.cipher);
    let g = find_owned(db, scope, public_id).await?;
    let status = g.status;
    let may = status.editable();
    if !may.anything() {
        return Err(ServiceError::Conflict(Conflict::GiveawayState));
    }
    let v = validate(db, scope, form, now).await?;
    let rules_same = v.prizes == g.prizes()
        && v.reserves as i32 == g.reserves
        && v.conditions == g.conditions()
        && v.max_entries.map(|m| m as i32) == g.max_entries
        && v.captcha == g.captcha
        && v.referral_cap as i32 == g.referral_cap
        && v.premium_only == g.premium_only
        && v.past_winner_days as i32 == g.past_winner_days
        && v.min_account_days as i32 == g.min_account_days
        && v.boost_chat == g.boost_chat
        && v.boost_required == g.boost_required
        && v.boost_tickets_cap as i32 == g.boost_tickets_cap
        && v.claim_hours as i32 == g.claim_hours;
    let schedule_same = v.starts_at == g.starts_at && v.ends_at == g.ends_at;
    let refuse = |what| Err(ServiceError::Conflict(what));
    if !may.rules && !rules_same {
        return refuse(Conflict::GiveawayRulesLocked);
    }
    // Codes are uploaded for a prize's place in the list: the list stays while any exist.
    if v.prizes != g.prizes() && super::codes::any(db, g.id).await? {
        return refuse(Conflict::PrizeCodes);
    }
    if !may.bot && Some(v.bot_id) != g.bot_id {
        return refuse(Conflict::GiveawayBotLocked);
    }
    let later_end = may.end_later && v.starts_at == g.starts_at && v.ends_at > g.ends_at;
    if !(may.schedule || schedule_same || later_end) {
        return refuse(Conflict::GiveawayScheduleLocked);
    }
    // A beacon-bound draw names the round after its end; a new end names another round,
    // and the commitment covers it: allowed only while nobody can have seen the first
    // (the schedule is still editable), never for an end moved while open.
    let rebound = match (g.beacon(), v.ends_at != g.ends_at) {
        (Some(_), true) if !may.schedule => return refuse(Conflict::GiveawayScheduleLocked),
        (Some(b), true) => {
            let chain = b.chain().map_err(|e| {
                ServiceError::Internal(format!("giveaway {}: beacon chain: {e}", g.id))
            })?;
            Some(Binding::new(
                &chain,
                &super::open_seed(cipher, &g)?,
                v.ends_at,
            ))
        }
        _ => None,
    };
    let id = g.id;
    let mut a: giveaways::ActiveModel = g.into();
    if let Some(b) = rebound {
        a.beacon_round = Set(Some(b.round as i64));
        a.commitment = Set(b.commitment.to_hex());
    }
    a.title = Set(v.title);
    a.description = Set(v.description);
    a.prizes = Set(to_json(&v.prizes));
    a.reserves = Set(v.reserves as i32);
    a.starts_at = Set(v.starts_at);
    a.ends_at = Set(v.ends_at);
    a.conditions = Set(to_json(&v.conditions));
    a.max_entries = Set(v.max_entries.map(|m| m as i32));
    a.captcha = Set(v.captcha);
    a.referral_cap = Set(v.referral_cap as i32);
    a.premium_only = Set(v.premium_only);
    a.past_winner_days = Set(v.past_winner_days as i32);
    a.min_account_days = Set(v.min_account_days as i32);
    a.boost_chat = Set(v.boost_chat);
    a.boost_required = Set(v.boost_required);
    a.boost_tickets_cap = Set(v.boost_tickets_cap as i32);
    a.claim_hours = Set(v.claim_hours as i32);
    a.bot_id = Set(Some(v.bot_id));
    a.updated_at = Set(now);
    // Only while it is still in the state we checked.
    update_if(db, cipher, id, a, status).await
}

/// A giveaway's binding to a beacon chain: the round just after its end
/// ([`domain::beacon::ROUND_MARGIN_SECS`]) and the commitment covering it.
struct Binding {
    chain: Hash32,
    round: u64,
    test_key: Option<String>,
    commitment: Hash32,
}

impl Binding {
    fn new(chain: &domain::beacon::Chain, seed: &Hash32, ends_at: DateTime<Utc>) -> Binding {
        let round = chain.round_for_end(ends_at.timestamp());
        let hash = Hash32(chain.hash);
        Binding {
            commitment: draw::commitment_bound(seed, &hash, round),
            chain: hash,
            round,
            test_key: chain.test.then(|| hex::encode(chain.public_key)),
        }
    }
}

/// Writes `a` to giveaway `id` only while its status is `from`; else "giveaway_state".
async fn update_if(
    db: &DatabaseConnection,
    cipher: &TokenCipher,
    id: GiveawayId,
    a: giveaways::ActiveModel,
    from: Status,
) -> Result<GiveawayView, ServiceError> {
    let res = giveaways::Entity::update_many()
        .set(a)
        .filter(giveaways::Column::Id.eq(id))
        .filter(giveaways::Column::Status.eq(from))
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Err(ServiceError::Conflict(Conflict::GiveawayState));
    }
    let row = giveaways::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    with_bot(db, cipher, row).await
}

/// Publishes a draft: scheduled, or open at once when its start has passed. Counts
/// against the plan's limit of giveaways scheduled or open at once.
pub async fn publish(
    db: &DatabaseConnection,
    scope: &WriterScope,
    cipher: &TokenCipher,
    public_id: &PublicId,
    now: DateTime<Utc>,
) -> Result<GiveawayView, ServiceError> {
    let txn = db.begin().await?;
    let limits = plans::lock_tenant(&txn, scope).await?;
    let g = find_owned(&txn, scope, public_id).await?;
    let Some(next) = g.status.on(rules::Event::Publish {
        started: g.starts_at <= now,
    }) else {
        return Err(ServiceError::Conflict(Conflict::GiveawayState));
    };
    if g.ends_at <= now {
        return Err(ServiceError::invalid(
            Field::EndsAt,
            ValidationError::InPast,
        ));
    }
    let bot_ok = bot_of_giveaway(&txn, &g)
        .await?
        .is_some_and(|b| b.enabled && b.status != BotStatus::Revoked);
    if !bot_ok {
        return Err(ServiceError::invalid(Field::Bot, ValidationError::Required));
    }
    let live = giveaways::Entity::find()
        .filter(giveaways::Column::TenantId.eq(scope.tenant_id()))
        .filter(giveaways::Column::Status.is_in([Status::Scheduled, Status::Open]))
        .count(&txn)
        .await?;
    plans::ensure_below(limits, PlanResource::OpenGiveaways, live)?;
    let mut a: giveaways::ActiveModel = g.into();
    a.status = Set(next);
    a.published_at = Set(Some(now));
    a.updated_at = Set(now);
    let row = a.update(&txn).await?;
    txn.commit().await?;
    tracing::info!(
        tenant = %scope.tenant_id(),
        giveaway = %row.id,
        status = next.code(),
        "giveaway published"
    );
    with_bot(db, cipher, row).await
}

/// Cancels a giveaway that has not closed. Its entries stay for the record.
pub async fn cancel(
    db: &DatabaseConnection,
    scope: &WriterScope,
    cipher: &TokenCipher,
    public_id: &PublicId,
    now: DateTime<Utc>,
) -> Result<GiveawayView, ServiceError> {
    let g = find_owned(db, scope, public_id).await?;
    let from = g.status;
    if g.status.on(rules::Event::Cancel).is_none() {
        return Err(ServiceError::Conflict(Conflict::GiveawayState));
    }
    let id = g.id;
    let a = giveaways::ActiveModel {
        status: Set(Status::Cancelled),
        cancelled_at: Set(Some(now)),
        updated_at: Set(now),
        ..Default::default()
    };
    update_if(db, cipher, id, a, from).await
}

/// The tenant's giveaways, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    cipher: &TokenCipher,
) -> Result<Vec<GiveawayView>, ServiceError> {
    let rows = giveaways::Entity::find()
        .filter(giveaways::Column::TenantId.eq(scope.tenant_id()))
        .order_by_desc(giveaways::Column::Id)
        .find_also_related(bots::Entity)
        .all(db)
        .await?;
    rows.into_iter()
        .map(|(g, b)| view(g, b.as_ref(), cipher))
        .collect()
}

/// One of the tenant's giveaways.
pub async fn get(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    cipher: &TokenCipher,
    public_id: &PublicId,
) -> Result<GiveawayView, ServiceError> {
    let g = find_owned(db, scope, public_id).await?;
    with_bot(db, cipher, g).await
}
