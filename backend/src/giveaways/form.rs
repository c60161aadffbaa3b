//! The dashboard's giveaway form and its rules: every field parsed and checked (in the
//! tenant's time zone, within its plan) before anything is stored.

use crate::ServiceError;
use crate::ids::BotId;
use crate::tenancy::TenantScope;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use domain::giveaway::{self as rules, Prize};
use domain::{Field, PlanResource, PublicId, ValidationError};
use sea_orm::ConnectionTrait;

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
    /// The most extra tickets friends joining through an entrant's link earn; empty or 0:
    /// no referrals.
    pub referral_cap: String,
    /// Only Telegram Premium users may join.
    pub premium_only: bool,
    /// No user who won one of the tenant's giveaways in this many days (empty or 0: off).
    pub past_winner_days: String,
    /// Entrants' accounts must be estimated this many days old (empty or 0: off).
    pub min_account_days: String,
    /// The chat whose boosts count (empty: none).
    pub boost_chat: String,
    /// Joining needs a boost of that chat.
    pub boost_required: bool,
    /// One extra ticket per boost, at most this many.
    pub boost_tickets_cap: String,
    /// Hours a winner has to claim (empty or 0: no claiming).
    pub claim_hours: String,
}

/// A checked form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Valid {
    pub title: String,
    pub description: String,
    pub prizes: Vec<Prize>,
    pub reserves: u32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub bot_id: BotId,
    pub conditions: Vec<String>,
    pub max_entries: Option<u32>,
    pub captcha: bool,
    pub referral_cap: u32,
    pub premium_only: bool,
    pub past_winner_days: u32,
    pub min_account_days: u32,
    pub boost_chat: Option<String>,
    pub boost_required: bool,
    pub boost_tickets_cap: u32,
    pub claim_hours: u32,
}

fn invalid(field: Field) -> impl FnOnce(ValidationError) -> ServiceError {
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
pub(super) async fn tenant_tz(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
) -> Result<chrono_tz::Tz, ServiceError> {
    let s = crate::accounts::settings(db, scope).await?;
    Ok(s.time_zone.parse().unwrap_or(chrono_tz::Tz::UTC))
}

/// Checks every field of the form against the rules and the tenant's plan.
pub(super) async fn validate(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    form: &GiveawayForm,
    now: DateTime<Utc>,
) -> Result<Valid, ServiceError> {
    let tz = tenant_tz(db, scope).await?;
    let limits = crate::accounts::plans::limits(db, scope).await?;
    let title = rules::clean_line(&form.title, rules::MAX_TITLE).map_err(invalid(Field::Title))?;
    let description = rules::clean_text(&form.description, rules::MAX_DESCRIPTION)
        .map_err(invalid(Field::Description))?;
    let prizes = rules::parse_prizes(&form.prizes).map_err(invalid(Field::Prizes))?;
    let reserves = rules::parse_count(&form.reserves, 0, rules::MAX_RESERVES)
        .map_err(invalid(Field::Reserves))?
        .unwrap_or(0);
    let starts_at = local_time(&form.starts_at, tz).map_err(invalid(Field::StartsAt))?;
    let ends_at = local_time(&form.ends_at, tz).map_err(invalid(Field::EndsAt))?;
    if ends_at <= starts_at {
        return Err(invalid(Field::EndsAt)(ValidationError::EndBeforeStart));
    }
    if ends_at <= now {
        return Err(invalid(Field::EndsAt)(ValidationError::InPast));
    }
    let conditions =
        rules::parse_conditions(&form.conditions).map_err(invalid(Field::Conditions))?;
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
                    what: PlanResource::Entries,
                    limit: limits.entries_per_giveaway,
                }
            }
            e => invalid(Field::MaxEntries)(e),
        })?;
    if max_entries.is_some_and(|m| m < rules::total_winners(&prizes)) {
        return Err(invalid(Field::MaxEntries)(ValidationError::CapBelowWinners));
    }
    let referral_cap = rules::parse_count(&form.referral_cap, 0, rules::MAX_REFERRAL_CAP)
        .map_err(invalid(Field::ReferralCap))?
        .unwrap_or(0);
    let past_winner_days =
        rules::parse_count(&form.past_winner_days, 0, rules::MAX_PAST_WINNER_DAYS)
            .map_err(invalid(Field::PastWinnerDays))?
            .unwrap_or(0);
    let min_account_days = rules::parse_count(&form.min_account_days, 0, rules::MAX_ACCOUNT_DAYS)
        .map_err(invalid(Field::MinAccountDays))?
        .unwrap_or(0);
    let boost_chat =
        rules::parse_boost_chat(&form.boost_chat).map_err(invalid(Field::BoostChat))?;
    let boost_tickets_cap =
        rules::parse_count(&form.boost_tickets_cap, 0, rules::MAX_BOOST_TICKETS)
            .map_err(invalid(Field::BoostTicketsCap))?
            .unwrap_or(0);
    if boost_chat.is_none() && (form.boost_required || boost_tickets_cap > 0) {
        return Err(invalid(Field::BoostChat)(ValidationError::Required));
    }
    let claim_hours = rules::parse_count(&form.claim_hours, 0, rules::MAX_CLAIM_HOURS)
        .map_err(invalid(Field::ClaimHours))?
        .unwrap_or(0);
    let bot = match PublicId::parse(form.bot.trim()) {
        Some(id) => match crate::bots::find_owned(db, scope, &id).await {
            Ok(b) => Some(b),
            Err(ServiceError::NotFound) => None,
            Err(e) => return Err(e),
        },
        None => None,
    }
    .ok_or(ServiceError::invalid(Field::Bot, ValidationError::Required))?;
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
        referral_cap,
        premium_only: form.premium_only,
        past_winner_days,
        min_account_days,
        boost_required: form.boost_required && boost_chat.is_some(),
        boost_chat,
        boost_tickets_cap,
        claim_hours,
    })
}
