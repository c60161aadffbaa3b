//! What `/metrics` reports about the work queues, read from the database (so every
//! process of a scale-out reports the same shared depths). No tenant data, no secrets.

use crate::ServiceError;
use crate::entities::outbox::Status as OutboxStatus;
use crate::entities::{bots, inbox, outbox};
use crate::ids::BotId;
use chrono::{DateTime, Utc};
use domain::{BotMode, BotStatus};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

/// Queue depths and ages.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Queues {
    pub inbox_pending: u64,
    /// Seconds since the oldest unprocessed update arrived (0 when none).
    pub inbox_oldest_secs: f64,
    pub outbox_pending: u64,
    pub outbox_sent: u64,
    pub outbox_failed: u64,
    pub outbox_oldest_secs: f64,
    /// (mode, status, count) of enabled bots.
    pub bots: Vec<(BotMode, BotStatus, u64)>,
}

fn age(now: DateTime<Utc>, t: DateTime<Utc>) -> f64 {
    (now - t).num_milliseconds().max(0) as f64 / 1e3
}

/// Updates not yet handled (of one bot, or of all) and the oldest one's age in seconds.
pub async fn inbox_backlog(
    db: &impl ConnectionTrait,
    bot: Option<BotId>,
    now: DateTime<Utc>,
) -> Result<(u64, f64), ServiceError> {
    let mut pending = inbox::Entity::find().filter(inbox::Column::ProcessedAt.is_null());
    if let Some(bot) = bot {
        pending = pending.filter(inbox::Column::BotId.eq(bot));
    }
    let n = pending.clone().count(db).await?;
    let oldest = pending
        .order_by_asc(inbox::Column::Id)
        .one(db)
        .await?
        .map_or(0.0, |r| age(now, r.received_at));
    Ok((n, oldest))
}

/// Messages waiting to be sent (of one bot, or of all) and the oldest one's age in seconds.
pub async fn outbox_backlog(
    db: &impl ConnectionTrait,
    bot: Option<BotId>,
    now: DateTime<Utc>,
) -> Result<(u64, f64), ServiceError> {
    let mut pending =
        outbox::Entity::find().filter(outbox::Column::Status.eq(OutboxStatus::Pending));
    if let Some(bot) = bot {
        pending = pending.filter(outbox::Column::BotId.eq(bot));
    }
    let n = pending.clone().count(db).await?;
    let oldest = pending
        .order_by_asc(outbox::Column::Id)
        .one(db)
        .await?
        .map_or(0.0, |r| age(now, r.created_at));
    Ok((n, oldest))
}

pub async fn queues(db: &impl ConnectionTrait) -> Result<Queues, ServiceError> {
    let now = Utc::now();
    let (inbox_pending, inbox_oldest_secs) = inbox_backlog(db, None, now).await?;
    let by_status: Vec<(OutboxStatus, i64)> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Status)
        .column_as(outbox::Column::Id.count(), "n")
        .group_by(outbox::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let count = |s: OutboxStatus| {
        by_status
            .iter()
            .find(|(status, _)| *status == s)
            .map_or(0, |(_, n)| (*n).max(0) as u64)
    };
    let (_, outbox_oldest_secs) = outbox_backlog(db, None, now).await?;
    let bots: Vec<(BotMode, BotStatus, i64)> = bots::Entity::find()
        .select_only()
        .column(bots::Column::Mode)
        .column(bots::Column::Status)
        .column_as(bots::Column::Id.count(), "n")
        .filter(bots::Column::Enabled.eq(true))
        .group_by(bots::Column::Mode)
        .group_by(bots::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    Ok(Queues {
        inbox_pending,
        inbox_oldest_secs,
        outbox_pending: count(OutboxStatus::Pending),
        outbox_sent: count(OutboxStatus::Sent),
        outbox_failed: count(OutboxStatus::Failed),
        outbox_oldest_secs,
        bots: bots
            .into_iter()
            .map(|(m, s, n)| (m, s, n.max(0) as u64))
            .collect(),
    })
}

/// Whether the database answers (for `/readyz`).
pub async fn ready(db: &sea_orm::DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}
