//! Giveaways: what the dashboard creates, edits, publishes and cancels; what the bot's
//! audience joins; the scheduler's moves and the fair draw (`domain::draw`).
//!
//! Every function takes a [`TenantScope`]; a giveaway id of another tenant is "not
//! found". The edit rules are `domain::giveaway::Status::editable`.

use crate::ServiceError;
use crate::crypto::TokenCipher;
use crate::entities::{bots, entries, giveaways};
use crate::error::on_unique;
use crate::tenancy::TenantScope;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use domain::ValidationError;
use domain::draw::{self, Hash32, Outcome};
use domain::giveaway::{self as rules, Prize, Status};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

/// The dashboard's form, as typed. Times are local to the tenant's time zone
/// (`YYYY-MM-DDTHH:MM`, what `<input type="datetime-local">` sends).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GiveawayForm {
    pub title: String,
    pub description: String,
    pub prizes: String,
    pub reserves: String,
    pub starts_at: String,
    pub ends_at: String,
    /// The public id of the tenant's bot that runs it.
    pub bot: String,
    pub conditions: String,
    pub max_entries: String,
    /// Ask entrants a small question before they join.
    pub captcha: bool,
}

/// A checked form.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Valid {
    title: String,
    description: String,
    prizes: Vec<Prize>,
    reserves: u32,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    bot_id: i32,
    conditions: Vec<String>,
    max_entries: Option<u32>,
    captcha: bool,
}

fn invalid(field: &'static str) -> impl FnOnce(ValidationError) -> ServiceError {
    ServiceError::validation(field)
}

fn local_time(raw: &str, tz: chrono_tz::Tz) -> Result<DateTime<Utc>, ValidationError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(ValidationError::Required);
    }
    let naive = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M"))
        .map_err(|_| ValidationError::InvalidDateTime)?;
    // In a DST gap the earlier reading wins; a time that does not exist is refused.
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or(ValidationError::InvalidDateTime)
}

/// The tenant's time zone.
async fn tenant_tz(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
) -> Result<chrono_tz::Tz, ServiceError> {
    let t = crate::entities::tenants::Entity::find_by_id(scope.tenant_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok(t.time_zone.parse().unwrap_or(chrono_tz::Tz::UTC))
}

async fn validate(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    form: &GiveawayForm,
    now: DateTime<Utc>,
) -> Result<Valid, ServiceError> {
    let tz = tenant_tz(db, scope).await?;
    let limits = crate::plans::limits(db, scope).await?;
    let title = rules::clean_line(&form.title, rules::MAX_TITLE).map_err(invalid("title"))?;
    let description = rules::clean_text(&form.description, rules::MAX_DESCRIPTION)
        .map_err(invalid("description"))?;
    let prizes = rules::parse_prizes(&form.prizes).map_err(invalid("prizes"))?;
    let reserves = rules::parse_count(&form.reserves, 0, rules::MAX_RESERVES)
        .map_err(invalid("reserves"))?
        .unwrap_or(0);
    let starts_at = local_time(&form.starts_at, tz).map_err(invalid("starts_at"))?;
    let ends_at = local_time(&form.ends_at, tz).map_err(invalid("ends_at"))?;
    if ends_at <= starts_at {
        return Err(invalid("ends_at")(ValidationError::EndBeforeStart));
    }
    if ends_at <= now {
        return Err(invalid("ends_at")(ValidationError::InPast));
    }
    let conditions = rules::parse_conditions(&form.conditions).map_err(invalid("conditions"))?;
    let max_entries = rules::parse_count(&form.max_entries, 1, limits.entries_per_giveaway)
        .map_err(|e| match e {
            ValidationError::InvalidNumber
                if form
                    .max_entries
                    .trim()
                    .parse::<u64>()
                    .is_ok_and(|n| n > u64::from(limits.entries_per_giveaway)) =>
            {
                ServiceError::PlanLimit {
                    what: "entries",
                    limit: limits.entries_per_giveaway,
                }
            }
            e => invalid("max_entries")(e),
        })?;
    if max_entries.is_some_and(|m| m < rules::total_winners(&prizes)) {
        return Err(invalid("max_entries")(ValidationError::CapBelowWinners));
    }
    let bot = bots::Entity::find()
        .filter(bots::Column::PublicId.eq(form.bot.trim()))
        .filter(bots::Column::TenantId.eq(scope.tenant_id))
        .one(db)
        .await?
        .ok_or(ServiceError::Validation {
            field: "bot",
            error: ValidationError::Required,
        })?;
    Ok(Valid {
        title,
        description,
        prizes,
        reserves,
        starts_at,
        ends_at,
        bot_id: bot.id,
        conditions,
        max_entries,
        captcha: form.captcha,
    })
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("plain data serialises")
}

/// A giveaway as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GiveawayView {
    pub public_id: String,
    pub title: String,
    pub description: String,
    pub prizes: Vec<Prize>,
    pub reserves: u32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: Status,
    pub bot: Option<String>,
    pub bot_username: Option<String>,
    pub conditions: Vec<String>,
    pub max_entries: Option<u32>,
    pub captcha: bool,
    pub entries: u32,
    pub commitment: String,
    pub entries_hash: Option<String>,
    /// Revealed once drawn.
    pub seed: Option<String>,
    pub outcome: Option<Outcome>,
}

fn view(
    g: giveaways::Model,
    bot: Option<&bots::Model>,
    cipher: &TokenCipher,
) -> Result<GiveawayView, ServiceError> {
    let status = Status::from_code(&g.status)
        .ok_or_else(|| ServiceError::Internal(format!("giveaway {}: bad status", g.id)))?;
    let seed = if status == Status::Drawn {
        Some(open_seed(cipher, &g)?.to_hex())
    } else {
        None
    };
    Ok(GiveawayView {
        prizes: g.prizes(),
        conditions: g.conditions(),
        outcome: g.outcome(),
        reserves: g.reserves.max(0) as u32,
        max_entries: g.max_entries.map(|m| m.max(0) as u32),
        captcha: g.captcha,
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

fn seed_aad(public_id: &str) -> String {
    format!("giveaway-seed:{public_id}")
}

/// The giveaway's secret seed (for the draw, and for publication once drawn).
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

async fn find_owned(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    public_id: &str,
) -> Result<giveaways::Model, ServiceError> {
    giveaways::Entity::find()
        .filter(giveaways::Column::PublicId.eq(public_id))
        .filter(giveaways::Column::TenantId.eq(scope.tenant_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)
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

async fn with_bot(
    db: &impl ConnectionTrait,
    cipher: &TokenCipher,
    g: giveaways::Model,
) -> Result<GiveawayView, ServiceError> {
    let bot = bot_of_giveaway(db, &g).await?;
    view(g, bot.as_ref(), cipher)
}

/// Creates a draft. Its secret seed is drawn now; the commitment to it is what
/// publication shows.
pub async fn create(
    db: &DatabaseConnection,
    scope: &TenantScope,
    cipher: &TokenCipher,
    form: &GiveawayForm,
    now: DateTime<Utc>,
) -> Result<GiveawayView, ServiceError> {
    let v = validate(db, scope, form, now).await?;
    let public_id = crate::ids::new_public_id();
    let seed = Hash32(rand::random());
    let row = giveaways::ActiveModel {
        public_id: Set(public_id.clone()),
        tenant_id: Set(scope.tenant_id),
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
        status: Set(Status::Draft.code().to_owned()),
        seed_sealed: Set(cipher.seal_bytes(&seed_aad(&public_id), &seed.0)),
        commitment: Set(draw::commitment(&seed).to_hex()),
        entries_count: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    tracing::info!(
        tenant = scope.tenant_id,
        giveaway = row.id,
        "giveaway created"
    );
    with_bot(db, cipher, row).await
}

/// Edits what the giveaway's state allows (see `Status::editable`); anything else in the
/// form must be unchanged, or the whole edit is refused.
pub async fn update(
    db: &DatabaseConnection,
    scope: &TenantScope,
    cipher: &TokenCipher,
    public_id: &str,
    form: &GiveawayForm,
    now: DateTime<Utc>,
) -> Result<GiveawayView, ServiceError> {
    let g = find_owned(db, scope, public_id).await?;
    let status = g.status();
    let may = status.editable();
    if !may.anything() {
        return Err(ServiceError::Conflict("giveaway_state"));
    }
    let v = validate(db, scope, form, now).await?;
    let rules_same = v.prizes == g.prizes()
        && v.reserves as i32 == g.reserves
        && v.conditions == g.conditions()
        && v.max_entries.map(|m| m as i32) == g.max_entries
        && v.captcha == g.captcha;
    let schedule_same = v.starts_at == g.starts_at && v.ends_at == g.ends_at;
    let refuse = |what| Err(ServiceError::Conflict(what));
    if !may.rules && !rules_same {
        return refuse("giveaway_rules_locked");
    }
    if !may.bot && Some(v.bot_id) != g.bot_id {
        return refuse("giveaway_bot_locked");
    }
    let later_end = may.end_later && v.starts_at == g.starts_at && v.ends_at > g.ends_at;
    if !(may.schedule || schedule_same || later_end) {
        return refuse("giveaway_schedule_locked");
    }
    let id = g.id;
    let mut a: giveaways::ActiveModel = g.into();
    a.title = Set(v.title);
    a.description = Set(v.description);
    a.prizes = Set(to_json(&v.prizes));
    a.reserves = Set(v.reserves as i32);
    a.starts_at = Set(v.starts_at);
    a.ends_at = Set(v.ends_at);
    a.conditions = Set(to_json(&v.conditions));
    a.max_entries = Set(v.max_entries.map(|m| m as i32));
    a.captcha = Set(v.captcha);
    a.bot_id = Set(Some(v.bot_id));
    a.updated_at = Set(now);
    // Only while it is still in the state we checked.
    update_if(db, cipher, id, a, status.code()).await
}

/// Writes `a` to giveaway `id` only while its status is `from`; else "giveaway_state".
async fn update_if(
    db: &DatabaseConnection,
    cipher: &TokenCipher,
    id: i32,
    a: giveaways::ActiveModel,
    from: &str,
) -> Result<GiveawayView, ServiceError> {
    let res = giveaways::Entity::update_many()
        .set(a)
        .filter(giveaways::Column::Id.eq(id))
        .filter(giveaways::Column::Status.eq(from))
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Err(ServiceError::Conflict("giveaway_state"));
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
    scope: &TenantScope,
    cipher: &TokenCipher,
    public_id: &str,
    now: DateTime<Utc>,
) -> Result<GiveawayView, ServiceError> {
    let txn = db.begin().await?;
    let limits = crate::plans::lock_tenant(&txn, scope).await?;
    let g = find_owned(&txn, scope, public_id).await?;
    let Some(next) = g.status().on(rules::Event::Publish {
        started: g.starts_at <= now,
    }) else {
        return Err(ServiceError::Conflict("giveaway_state"));
    };
    if g.ends_at <= now {
        return Err(ServiceError::Validation {
            field: "ends_at",
            error: ValidationError::InPast,
        });
    }
    let bot_ok = bot_of_giveaway(&txn, &g)
        .await?
        .is_some_and(|b| b.enabled && b.status != crate::bots::STATUS_REVOKED);
    if !bot_ok {
        return Err(ServiceError::Validation {
            field: "bot",
            error: ValidationError::Required,
        });
    }
    let live = giveaways::Entity::find()
        .filter(giveaways::Column::TenantId.eq(scope.tenant_id))
        .filter(giveaways::Column::Status.is_in([Status::Scheduled.code(), Status::Open.code()]))
        .count(&txn)
        .await?;
    if live >= u64::from(limits.open_giveaways) {
        return Err(ServiceError::PlanLimit {
            what: "open_giveaways",
            limit: limits.open_giveaways,
        });
    }
    let mut a: giveaways::ActiveModel = g.into();
    a.status = Set(next.code().to_owned());
    a.published_at = Set(Some(now));
    a.updated_at = Set(now);
    let row = a.update(&txn).await?;
    txn.commit().await?;
    tracing::info!(
        tenant = scope.tenant_id,
        giveaway = row.id,
        status = next.code(),
        "giveaway published"
    );
    with_bot(db, cipher, row).await
}

/// Cancels a giveaway that has not closed. Its entries stay for the record.
pub async fn cancel(
    db: &DatabaseConnection,
    scope: &TenantScope,
    cipher: &TokenCipher,
    public_id: &str,
    now: DateTime<Utc>,
) -> Result<GiveawayView, ServiceError> {
    let g = find_owned(db, scope, public_id).await?;
    let from = g.status.clone();
    if g.status().on(rules::Event::Cancel).is_none() {
        return Err(ServiceError::Conflict("giveaway_state"));
    }
    let id = g.id;
    let a = giveaways::ActiveModel {
        status: Set(Status::Cancelled.code().to_owned()),
        cancelled_at: Set(Some(now)),
        updated_at: Set(now),
        ..Default::default()
    };
    update_if(db, cipher, id, a, &from).await
}

/// The tenant's giveaways, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    cipher: &TokenCipher,
) -> Result<Vec<GiveawayView>, ServiceError> {
    let rows = giveaways::Entity::find()
        .filter(giveaways::Column::TenantId.eq(scope.tenant_id))
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
    public_id: &str,
) -> Result<GiveawayView, ServiceError> {
    let g = find_owned(db, scope, public_id).await?;
    with_bot(db, cipher, g).await
}

/// An entry as the dashboard's table shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryRow {
    pub number: u32,
    pub pseudonym: String,
    pub first_name: String,
    pub username: Option<String>,
    pub telegram_user_id: i64,
    pub via: String,
    pub joined_at: DateTime<Utc>,
}

fn entry_row(e: entries::Model) -> EntryRow {
    EntryRow {
        number: e.number.max(0) as u32,
        pseudonym: e.pseudonym,
        first_name: e.first_name,
        username: e.username,
        telegram_user_id: e.telegram_user_id,
        via: e.via,
        joined_at: e.joined_at,
    }
}

/// A page of entries (by number), optionally filtered by a search over name, username,
/// pseudonym and number. Returns the page and the number of matches.
pub async fn entries_page(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    public_id: &str,
    search: &str,
    page: u64,
    per_page: u64,
) -> Result<(Vec<EntryRow>, u64), ServiceError> {
    let g = find_owned(db, scope, public_id).await?;
    let mut q = entries::Entity::find().filter(entries::Column::GiveawayId.eq(g.id));
    let search = search.trim();
    if !search.is_empty() {
        let s = search.chars().take(64).collect::<String>();
        let mut any = Condition::any()
            .add(entries::Column::FirstName.contains(&s))
            .add(entries::Column::Username.contains(s.trim_start_matches('@')))
            .add(entries::Column::Pseudonym.contains(&s));
        if let Ok(n) = s.trim_start_matches('#').parse::<i32>() {
            any = any.add(entries::Column::Number.eq(n));
        }
        q = q.filter(any);
    }
    let total = q.clone().count(db).await?;
    let per_page = per_page.clamp(1, 200);
    // Any page number is accepted; past the end is simply empty.
    let offset = page.min(u64::from(u32::MAX)).saturating_mul(per_page);
    let rows = q
        .order_by_asc(entries::Column::Number)
        .offset(offset)
        .limit(per_page)
        .all(db)
        .await?;
    Ok((rows.into_iter().map(entry_row).collect(), total))
}

/// Every entry, by number (for the CSV export).
pub async fn all_entries(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    public_id: &str,
) -> Result<Vec<EntryRow>, ServiceError> {
    let g = find_owned(db, scope, public_id).await?;
    Ok(entries::Entity::find()
        .filter(entries::Column::GiveawayId.eq(g.id))
        .order_by_asc(entries::Column::Number)
        .all(db)
        .await?
        .into_iter()
        .map(entry_row)
        .collect())
}

// ----- the bot's side -----

/// A giveaway as the bot shows it to its audience.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub public_id: String,
    pub title: String,
    pub description: String,
    pub prizes: Vec<Prize>,
    pub ends_at: DateTime<Utc>,
    pub entries: u32,
    pub commitment: String,
    pub conditions: Vec<String>,
    pub captcha: bool,
    pub status: Status,
}

fn offer(g: giveaways::Model) -> Offer {
    Offer {
        prizes: g.prizes(),
        conditions: g.conditions(),
        status: g.status(),
        captcha: g.captcha,
        entries: g.entries_count.max(0) as u32,
        public_id: g.public_id,
        title: g.title,
        description: g.description,
        ends_at: g.ends_at,
        commitment: g.commitment,
    }
}

fn bot_of(scope: &TenantScope) -> Result<i32, ServiceError> {
    match scope.actor {
        crate::tenancy::Actor::Bot(id) => Ok(id),
        crate::tenancy::Actor::Account(_) => Err(ServiceError::Forbidden),
    }
}

/// The giveaways open for joining on the bot the scope acts for.
pub async fn open_on_bot(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
) -> Result<Vec<Offer>, ServiceError> {
    let bot_id = bot_of(scope)?;
    Ok(giveaways::Entity::find()
        .filter(giveaways::Column::TenantId.eq(scope.tenant_id))
        .filter(giveaways::Column::BotId.eq(bot_id))
        .filter(giveaways::Column::Status.eq(Status::Open.code()))
        .order_by_asc(giveaways::Column::EndsAt)
        .limit(10)
        .all(db)
        .await?
        .into_iter()
        .map(offer)
        .collect())
}

/// One giveaway of this tenant on this bot, in any state but draft; another tenant's
/// id (or another bot's) is "not found".
pub async fn offer_on_bot(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    public_id: &str,
) -> Result<Offer, ServiceError> {
    let bot_id = bot_of(scope)?;
    giveaways::Entity::find()
        .filter(giveaways::Column::PublicId.eq(public_id))
        .filter(giveaways::Column::TenantId.eq(scope.tenant_id))
        .filter(giveaways::Column::BotId.eq(bot_id))
        .filter(giveaways::Column::Status.ne(Status::Draft.code()))
        .one(db)
        .await?
        .map(offer)
        .ok_or(ServiceError::NotFound)
}

/// Who joins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entrant {
    pub telegram_user_id: i64,
    pub first_name: String,
    pub username: Option<String>,
    pub language_code: Option<String>,
}

/// What a join came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Joined {
    New { number: u32, pseudonym: String },
    Already { number: u32, pseudonym: String },
    NotOpen(Status),
    Full,
}

/// Joins a giveaway (conditions already checked by the caller). Race-safe: the unique
/// (giveaway, user) key makes a concurrent second join fail and roll back its number.
pub async fn join(
    db: &DatabaseConnection,
    scope: &TenantScope,
    cipher: &TokenCipher,
    public_id: &str,
    who: &Entrant,
    via: &str,
    now: DateTime<Utc>,
) -> Result<Joined, ServiceError> {
    let bot_id = bot_of(scope)?;
    let g = giveaways::Entity::find()
        .filter(giveaways::Column::PublicId.eq(public_id))
        .filter(giveaways::Column::TenantId.eq(scope.tenant_id))
        .filter(giveaways::Column::BotId.eq(bot_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if let Some(e) = entry_of(db, g.id, who.telegram_user_id).await? {
        return Ok(Joined::Already {
            number: e.number as u32,
            pseudonym: e.pseudonym,
        });
    }
    let status = g.status();
    if status != Status::Open || g.ends_at <= now {
        return Ok(Joined::NotOpen(status));
    }
    let plan_cap = crate::plans::limits(db, scope).await?.entries_per_giveaway as i32;
    let cap = g.max_entries.map_or(plan_cap, |m| m.min(plan_cap));
    let txn = db.begin().await?;
    // Takes the next number; holds the giveaway's row until commit.
    let taken = giveaways::Entity::update_many()
        .col_expr(
            giveaways::Column::EntriesCount,
            sea_orm::sea_query::ExprTrait::add(Expr::col(giveaways::Column::EntriesCount), 1),
        )
        .filter(giveaways::Column::Id.eq(g.id))
        .filter(giveaways::Column::Status.eq(Status::Open.code()))
        .filter(giveaways::Column::EntriesCount.lt(cap))
        .exec(&txn)
        .await?;
    if taken.rows_affected == 0 {
        drop(txn);
        let g = giveaways::Entity::find_by_id(g.id).one(db).await?;
        return Ok(match g.map(|g| g.status()) {
            Some(Status::Open) => Joined::Full,
            Some(s) => Joined::NotOpen(s),
            None => Joined::NotOpen(Status::Cancelled),
        });
    }
    let number = giveaways::Entity::find_by_id(g.id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?
        .entries_count;
    let pseudonym = cipher.pseudonym(&g.public_id, who.telegram_user_id);
    let insert = entries::ActiveModel {
        giveaway_id: Set(g.id),
        tenant_id: Set(scope.tenant_id),
        telegram_user_id: Set(who.telegram_user_id),
        number: Set(number),
        pseudonym: Set(pseudonym.clone()),
        first_name: Set(who.first_name.chars().take(256).collect()),
        username: Set(who.username.clone()),
        language_code: Set(who.language_code.clone()),
        via: Set(via.to_owned()),
        joined_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(on_unique("entry"));
    match insert {
        Ok(_) => {
            txn.commit().await?;
            Ok(Joined::New {
                number: number as u32,
                pseudonym,
            })
        }
        Err(ServiceError::Conflict(_)) => {
            // A concurrent join of the same user won; ours (and its number) rolls back.
            drop(txn);
            let e = entry_of(db, g.id, who.telegram_user_id)
                .await?
                .ok_or(ServiceError::Conflict("entry"))?;
            Ok(Joined::Already {
                number: e.number as u32,
                pseudonym: e.pseudonym,
            })
        }
        Err(e) => Err(e),
    }
}

/// A user's entry in a giveaway, if any.
async fn entry_of(
    db: &impl ConnectionTrait,
    giveaway_id: i32,
    telegram_user_id: i64,
) -> Result<Option<entries::Model>, ServiceError> {
    Ok(entries::Entity::find()
        .filter(entries::Column::GiveawayId.eq(giveaway_id))
        .filter(entries::Column::TelegramUserId.eq(telegram_user_id))
        .one(db)
        .await?)
}

/// Whether the user has an entry in this tenant's giveaway.
pub async fn has_joined(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    public_id: &str,
    telegram_user_id: i64,
) -> Result<bool, ServiceError> {
    let g = find_owned(db, scope, public_id).await?;
    Ok(entry_of(db, g.id, telegram_user_id).await?.is_some())
}

/// A giveaway the user joined, for "my giveaways".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MyEntry {
    pub public_id: String,
    pub title: String,
    pub status: Status,
    pub number: u32,
    pub ends_at: DateTime<Utc>,
    /// Drawn: whether this entry won (and what).
    pub prize: Option<String>,
}

/// The giveaways of this tenant the user joined, newest first.
pub async fn mine(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    telegram_user_id: i64,
) -> Result<Vec<MyEntry>, ServiceError> {
    let rows = entries::Entity::find()
        .filter(entries::Column::TenantId.eq(scope.tenant_id))
        .filter(entries::Column::TelegramUserId.eq(telegram_user_id))
        .order_by_desc(entries::Column::Id)
        .limit(20)
        .find_also_related(giveaways::Entity)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(e, g)| g.map(|g| (e, g)))
        .filter(|(_, g)| g.tenant_id == scope.tenant_id)
        .map(|(e, g)| {
            let prizes = g.prizes();
            let prize = g.outcome().and_then(|o| {
                rules::assign_prizes(&prizes, &o.winners)
                    .into_iter()
                    .find(|(n, _)| *n == e.number as u32)
                    .map(|(_, p)| p.to_owned())
            });
            MyEntry {
                status: g.status(),
                public_id: g.public_id,
                title: g.title,
                number: e.number as u32,
                ends_at: g.ends_at,
                prize,
            }
        })
        .collect())
}

/// Remembers where the bot announced a giveaway (the result is posted there).
pub async fn set_announcement(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    public_id: &str,
    chat_id: i64,
    message_id: i64,
) -> Result<(), ServiceError> {
    giveaways::Entity::update_many()
        .col_expr(giveaways::Column::AnnounceChatId, Expr::value(chat_id))
        .col_expr(
            giveaways::Column::AnnounceMessageId,
            Expr::value(message_id),
        )
        .filter(giveaways::Column::PublicId.eq(public_id))
        .filter(giveaways::Column::TenantId.eq(scope.tenant_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The bot's internal id and sealed token for a giveaway (the announcement is sent from
/// the dashboard through it).
pub async fn bot_row(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    public_id: &str,
) -> Result<(giveaways::Model, bots::Model), ServiceError> {
    let g = find_owned(db, scope, public_id).await?;
    let bot = bot_of_giveaway(db, &g)
        .await?
        .ok_or(ServiceError::Validation {
            field: "bot",
            error: ValidationError::Required,
        })?;
    Ok((g, bot))
}

// ----- publication: what /verify shows -----

/// Everything public about a giveaway, for `/verify/<id>` and the `verify` CLI. Before
/// the draw only the commitment; after it, the list, the hashes and the seed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PublicRecord {
    pub public_id: String,
    pub title: String,
    pub status: Status,
    pub commitment: String,
    pub prizes: Vec<Prize>,
    /// The frozen list's canonical text, from the close on.
    pub entry_list: Option<String>,
    /// From the draw on.
    pub published: Option<draw::Published>,
}

/// The public record of any giveaway by its public id (it is public by design: the id is
/// in the bot's messages). Drafts are not public.
pub async fn public_record(
    db: &impl ConnectionTrait,
    cipher: &TokenCipher,
    public_id: &str,
) -> Result<PublicRecord, ServiceError> {
    let g = giveaways::Entity::find()
        .filter(giveaways::Column::PublicId.eq(public_id))
        .one(db)
        .await?
        .filter(|g| g.status != Status::Draft.code())
        .ok_or(ServiceError::NotFound)?;
    let status = g.status();
    let closed = matches!(status, Status::Closed | Status::Drawn);
    let entry_list = if closed {
        Some(canonical_list(db, g.id).await?)
    } else {
        None
    };
    let published = match (&g.result, &g.entries_hash) {
        (Some(result), Some(e)) if status == Status::Drawn => {
            let o: Outcome = serde_json::from_str(result)
                .map_err(|e| ServiceError::Internal(format!("giveaway result: {e}")))?;
            Some(draw::Published {
                seed: open_seed(cipher, &g)?,
                commitment: Hash32::from_hex(&g.commitment)
                    .map_err(|_| ServiceError::Internal("commitment".into()))?,
                entries_hash: Hash32::from_hex(e)
                    .map_err(|_| ServiceError::Internal("entries hash".into()))?,
                winners_wanted: rules::total_winners(&g.prizes()),
                reserves_wanted: g.reserves.max(0) as u32,
                skipped: o.skipped,
                winners: o.winners,
                reserves: o.reserves,
            })
        }
        _ => None,
    };
    Ok(PublicRecord {
        prizes: g.prizes(),
        public_id: g.public_id,
        title: g.title,
        status,
        commitment: g.commitment,
        entry_list,
        published,
    })
}

/// The canonical list text of a giveaway's entries.
pub(crate) async fn canonical_list(
    db: &impl ConnectionTrait,
    giveaway_id: i32,
) -> Result<String, ServiceError> {
    let rows: Vec<(i32, String)> = entries::Entity::find()
        .select_only()
        .column(entries::Column::Number)
        .column(entries::Column::Pseudonym)
        .filter(entries::Column::GiveawayId.eq(giveaway_id))
        .order_by_asc(entries::Column::Number)
        .into_tuple()
        .all(db)
        .await?;
    let list: Vec<draw::Entry> = rows
        .into_iter()
        .map(|(number, pseudonym)| draw::Entry {
            number: number as u32,
            pseudonym,
        })
        .collect();
    Ok(draw::canonical_list(&list))
}

/// The text a bot shows for a giveaway: title, description, prizes, end (in the tenant's
/// time zone), entries so far and the start of the fairness commitment.
pub fn card_text(l: domain::Locale, o: &Offer, tz: chrono_tz::Tz) -> String {
    use domain::bot_text::BotText;
    let prizes = o
        .prizes
        .iter()
        .map(|p| format!("• {} × {}", p.name, p.winners))
        .collect::<Vec<_>>()
        .join("\n");
    BotText::GiveawayCard
        .text(l)
        .replace("{title}", &o.title)
        .replace("{description}", &o.description)
        .replace("{prizes}", &prizes)
        .replace(
            "{ends}",
            &o.ends_at
                .with_timezone(&tz)
                .format("%Y-%m-%d %H:%M %Z")
                .to_string(),
        )
        .replace("{entries}", &o.entries.to_string())
        .replace("{commitment}", &o.commitment[..16.min(o.commitment.len())])
}

/// Posts a scheduled or open giveaway in a channel or group the bot administers, with a
/// Join button that opens the bot (`t.me/<bot>?start=g_<id>`: one tap joins). The result
/// is posted in the same chat after the draw.
pub async fn announce(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    cipher: &TokenCipher,
    api: &crate::telegram::TelegramApi,
    public_id: &str,
    chat: &str,
) -> Result<(), ServiceError> {
    use domain::bot_text::BotText;
    use teloxide::payloads::SendMessageSetters;
    use teloxide::prelude::Requester;
    use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, Recipient};
    let chat = match rules::parse_conditions(chat)
        .map_err(invalid("chat"))?
        .as_slice()
    {
        [one] => one.clone(),
        _ => return Err(invalid("chat")(ValidationError::InvalidChat)),
    };
    let (g, bot) = bot_row(db, scope, public_id).await?;
    if !g.status().is_live() {
        return Err(ServiceError::Conflict("giveaway_state"));
    }
    let tenant = crate::entities::tenants::Entity::find_by_id(scope.tenant_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let l = domain::Locale::from_tag(&tenant.bot_locale).unwrap_or_default();
    let tz = tenant.time_zone.parse().unwrap_or(chrono_tz::Tz::UTC);
    let token = crate::bots::open_token(cipher, &bot)?;
    let link: reqwest::Url = format!(
        "https://t.me/{}?start={}",
        bot.username,
        rules::deep_link_payload(&g.public_id)
    )
    .parse()
    .map_err(|_| ServiceError::Internal("join link".into()))?;
    let recipient = match chat.parse::<i64>() {
        Ok(id) => Recipient::Id(teloxide::types::ChatId(id)),
        Err(_) => Recipient::ChannelUsername(chat.clone()),
    };
    let text = card_text(l, &offer(g.clone()), tz);
    let sent = api
        .bot(&token)
        .send_message(recipient, text)
        .reply_markup(InlineKeyboardMarkup::new([[InlineKeyboardButton::url(
            BotText::ButtonJoin.text(l),
            link,
        )]]))
        .await
        .map_err(|e| ServiceError::Telegram(crate::telegram::classify(&e)))?;
    set_announcement(db, scope, public_id, sent.chat.id.0, i64::from(sent.id.0)).await?;
    tracing::info!(
        tenant = scope.tenant_id,
        giveaway = g.id,
        "giveaway announced"
    );
    Ok(())
}

/// A winner for the export: the entry, what it won (`None` for a reserve), and how the
/// winner's notice stands ("sent", "pending", "failed: <reason>").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WinnerRow {
    pub entry: EntryRow,
    pub prize: Option<String>,
    pub notice: String,
}

/// How the winners' notices of a giveaway stand; `None` when it has no bot (its rows
/// went with the bot).
pub async fn notice_progress(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    public_id: &str,
) -> Result<Option<crate::outbox::Progress>, ServiceError> {
    let g = find_owned(db, scope, public_id).await?;
    if bot_of_giveaway(db, &g).await?.is_none() {
        return Ok(None);
    }
    Ok(Some(crate::outbox::progress(db, g.id).await?))
}

/// The drawn winners (in pick order) and then the reserves.
pub async fn winners(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    public_id: &str,
) -> Result<Vec<WinnerRow>, ServiceError> {
    use crate::entities::outbox;
    let g = find_owned(db, scope, public_id).await?;
    let Some(outcome) = g.outcome() else {
        return Ok(vec![]);
    };
    let prizes = g.prizes();
    let assigned = rules::assign_prizes(&prizes, &outcome.winners);
    let picks: Vec<(u32, Option<String>)> = assigned
        .into_iter()
        .map(|(n, p)| (n, Some(p.to_owned())))
        .chain(outcome.reserves.iter().map(|n| (*n, None)))
        .collect();
    let mut out = Vec::with_capacity(picks.len());
    for (number, prize) in picks {
        let Some(e) = entries::Entity::find()
            .filter(entries::Column::GiveawayId.eq(g.id))
            .filter(entries::Column::Number.eq(number as i32))
            .one(db)
            .await?
        else {
            continue;
        };
        let notice = if prize.is_some() {
            match outbox::Entity::find()
                .filter(outbox::Column::DedupeKey.eq(format!("win:{}:{number}", g.id)))
                .one(db)
                .await?
            {
                Some(o) if o.status == crate::outbox::FAILED => {
                    format!("failed: {}", o.last_error.unwrap_or_default())
                }
                Some(o) => o.status,
                None => "none".into(),
            }
        } else {
            String::new()
        };
        out.push(WinnerRow {
            entry: entry_row(e),
            prize,
            notice,
        });
    }
    Ok(out)
}
