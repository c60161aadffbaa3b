//! The usage record: the Bot API calls `botapi::meter` counted in memory are added to
//! `api_calls` every few seconds (and at shutdown); the Usage page reads them back per
//! bot, with its queues and its entries per day.

use crate::ServiceError;
use crate::botapi::{CallCounts, CallOutcome};
use crate::entities::api_calls;
use crate::ids::BotId;
use crate::tenancy::TenantScope;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use domain::PublicId;
use sea_orm::sea_query::{Alias, Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};

/// Writes what `counts` holds (adding to rows already there). On failure the counts are
/// put back for the next flush. Returns how many (bot, minute, method, outcome) rows
/// were written.
pub async fn flush(db: &impl ConnectionTrait, counts: &CallCounts) -> Result<usize, ServiceError> {
    let batch = counts.drain();
    if batch.is_empty() {
        return Ok(0);
    }
    let n = batch.len();
    for (i, chunk) in batch.chunks(200).enumerate() {
        let rows = chunk.iter().map(|(k, calls)| api_calls::ActiveModel {
            tenant_id: Set(k.tenant),
            bot_id: Set(k.bot),
            minute: Set(DateTime::from_timestamp(k.minute * 60, 0).unwrap_or_default()),
            method: Set(k.method.to_owned()),
            outcome: Set(k.outcome.code().to_owned()),
            calls: Set(*calls),
            ..Default::default()
        });
        let res = api_calls::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([
                    api_calls::Column::BotId,
                    api_calls::Column::Minute,
                    api_calls::Column::Method,
                    api_calls::Column::Outcome,
                ])
                .value(
                    api_calls::Column::Calls,
                    sea_orm::sea_query::ExprTrait::add(
                        Expr::col((api_calls::Entity, api_calls::Column::Calls)),
                        Expr::col((Alias::new("excluded"), api_calls::Column::Calls)),
                    ),
                )
                .to_owned(),
            )
            .exec_without_returning(db)
            .await;
        if let Err(e) = res {
            counts.restore(&batch[i * 200..]);
            return Err(e.into());
        }
    }
    Ok(n)
}

/// The granularity of a usage chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// The last 60 minutes, by minute.
    Hour,
    /// The last 24 hours, by hour.
    Day,
    /// The last 30 days, by day.
    Month,
}

impl Range {
    pub fn from_code(code: &str) -> Option<Range> {
        match code {
            "hour" => Some(Range::Hour),
            "day" => Some(Range::Day),
            "month" => Some(Range::Month),
            _ => None,
        }
    }

    /// (bucket width, number of buckets).
    pub fn buckets(self) -> (TimeDelta, usize) {
        match self {
            Range::Hour => (TimeDelta::minutes(1), 60),
            Range::Day => (TimeDelta::hours(1), 24),
            Range::Month => (TimeDelta::days(1), 30),
        }
    }
}

/// Calls of one bot over a range: per bucket and outcome, and per method and outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallStats {
    /// The start of each bucket (UTC), oldest first.
    pub starts: Vec<DateTime<Utc>>,
    /// `counts[i][o]`: calls in bucket `i` with outcome `CallOutcome::ALL[o]`.
    pub counts: Vec<[u64; 5]>,
    /// Method → calls by outcome, over the whole range.
    pub by_method: Vec<(String, [u64; 5])>,
}

/// One bot's calls over `range`, ending now. The caller has checked the bot is the
/// tenant's.
pub async fn call_stats(
    db: &impl ConnectionTrait,
    bot_id: BotId,
    range: Range,
    now: DateTime<Utc>,
) -> Result<CallStats, ServiceError> {
    let (width, n) = range.buckets();
    let last = now.duration_trunc(width).unwrap_or(now);
    let first = last - width * (n as i32 - 1);
    let rows = api_calls::Entity::find()
        .filter(api_calls::Column::BotId.eq(bot_id))
        .filter(api_calls::Column::Minute.gte(first))
        .all(db)
        .await?;
    let mut stats = CallStats {
        starts: (0..n).map(|i| first + width * i as i32).collect(),
        counts: vec![[0; 5]; n],
        by_method: Vec::new(),
    };
    let mut methods: std::collections::BTreeMap<String, [u64; 5]> = Default::default();
    for r in rows {
        let Some(o) = CallOutcome::from_code(&r.outcome) else {
            continue;
        };
        let o = o as usize;
        let calls = r.calls.max(0) as u64;
        let i = ((r.minute - first).num_seconds() / width.num_seconds()) as usize;
        if let Some(bucket) = stats.counts.get_mut(i) {
            bucket[o] += calls;
        }
        methods.entry(r.method).or_default()[o] += calls;
    }
    stats.by_method = methods.into_iter().collect();
    Ok(stats)
}

/// Counts older than this are deleted by the hourly upkeep.
pub const KEEP_DAYS: i64 = 31;

pub async fn prune(db: &impl ConnectionTrait) -> Result<u64, ServiceError> {
    Ok(api_calls::Entity::delete_many()
        .filter(api_calls::Column::Minute.lt(Utc::now() - TimeDelta::days(KEEP_DAYS)))
        .exec(db)
        .await?
        .rows_affected)
}

/// What the Usage page shows for one of the tenant's bots.
#[derive(Debug, Clone, PartialEq)]
pub struct BotUsage {
    pub bot: crate::entities::bots::Model,
    pub calls: CallStats,
    /// Updates stored and not yet answered, and the age of the oldest (seconds).
    pub inbox_pending: u64,
    pub inbox_lag_secs: f64,
    /// Messages waiting in the outbox, and the age of the oldest (seconds).
    pub outbox_pending: u64,
    pub outbox_oldest_secs: f64,
    /// Entries per UTC day over the last 30 days, in the bot's giveaways: ("YYYY-MM-DD", n).
    pub entries_per_day: Vec<(String, u64)>,
    /// `getUpdates` calls in the last whole minute (a polling bot's polls per minute).
    pub polls_last_minute: u64,
}

/// The Usage page's figures for the tenant's bot `public_id`.
pub async fn bot_usage(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    public_id: &PublicId,
    range: Range,
    now: DateTime<Utc>,
) -> Result<BotUsage, ServiceError> {
    use crate::entities::{entries, giveaways};
    let bot = crate::bots::find_owned(db, scope, public_id).await?;
    let calls = call_stats(db, bot.id, range, now).await?;
    let polls_last_minute = polls_in_minute(db, Some(bot.id), now - TimeDelta::minutes(1))
        .await?
        .first()
        .map_or(0, |(_, n)| *n);
    let (inbox_pending, inbox_lag_secs) =
        super::metrics::inbox_backlog(db, Some(bot.id), now).await?;
    let (outbox_pending, outbox_oldest_secs) =
        super::metrics::outbox_backlog(db, Some(bot.id), now).await?;
    let first_day = (now - TimeDelta::days(29))
        .duration_trunc(TimeDelta::days(1))
        .unwrap_or(now);
    let joined: Vec<DateTime<Utc>> = entries::Entity::find()
        .select_only()
        .column(entries::Column::JoinedAt)
        .inner_join(giveaways::Entity)
        .filter(giveaways::Column::BotId.eq(bot.id))
        .filter(entries::Column::TenantId.eq(scope.tenant_id()))
        .filter(entries::Column::JoinedAt.gte(first_day))
        .into_tuple()
        .all(db)
        .await?;
    let mut per_day: Vec<(String, u64)> = (0..30)
        .map(|i| {
            (
                (first_day + TimeDelta::days(i))
                    .format("%Y-%m-%d")
                    .to_string(),
                0,
            )
        })
        .collect();
    for t in joined {
        let i = (t - first_day).num_days();
        if let Some(d) = usize::try_from(i).ok().and_then(|i| per_day.get_mut(i)) {
            d.1 += 1;
        }
    }
    Ok(BotUsage {
        calls,
        inbox_pending,
        inbox_lag_secs,
        outbox_pending,
        outbox_oldest_secs,
        entries_per_day: per_day,
        polls_last_minute,
        bot,
    })
}

/// `getUpdates` calls per bot (of `only`, or of every bot that polled) in the whole
/// minute that holds `at`, every outcome, from every process (their counts reach
/// `api_calls` within seconds): the Usage page's and `/metrics`' polls per minute.
pub async fn polls_in_minute(
    db: &impl ConnectionTrait,
    only: Option<BotId>,
    at: DateTime<Utc>,
) -> Result<Vec<(BotId, u64)>, ServiceError> {
    let minute = at.duration_trunc(TimeDelta::minutes(1)).unwrap_or(at);
    let mut query = api_calls::Entity::find()
        .select_only()
        .column(api_calls::Column::BotId)
        .column(api_calls::Column::Calls)
        .filter(api_calls::Column::Method.eq("getUpdates"))
        .filter(api_calls::Column::Minute.eq(minute));
    if let Some(bot) = only {
        query = query.filter(api_calls::Column::BotId.eq(bot));
    }
    // One row per outcome: added up here (SUM is `numeric` on PostgreSQL).
    let rows: Vec<(BotId, i64)> = query.into_tuple().all(db).await?;
    let mut per_bot = std::collections::BTreeMap::<BotId, u64>::new();
    for (bot, calls) in rows {
        *per_bot.entry(bot).or_default() += calls.max(0) as u64;
    }
    Ok(per_bot.into_iter().collect())
}
