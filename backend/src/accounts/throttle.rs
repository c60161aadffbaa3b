//! Login throttling, per account and per client IP, in the database so that every server
//! process sharing it enforces the same limit.

use crate::ServiceError;
use crate::entities::login_failures as lf;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use std::net::IpAddr;
use std::time::Duration;

/// How many failed logins are tolerated within `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    pub per_account: u32,
    pub per_ip: u32,
    pub window: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            per_account: 5,
            per_ip: 30,
            window: Duration::from_secs(15 * 60),
        }
    }
}

pub(crate) fn account_key(email: &str) -> String {
    format!("acct:{email}")
}

pub(crate) fn ip_key(ip: IpAddr) -> String {
    format!("ip:{ip}")
}

fn window_start(limits: &LoginLimits, now: DateTime<Utc>) -> DateTime<Utc> {
    now - chrono::Duration::from_std(limits.window).unwrap_or(chrono::Duration::minutes(15))
}

/// Refuses with `RateLimited` when any key has reached its limit within the window.
pub(crate) async fn check(
    db: &impl ConnectionTrait,
    limits: &LoginLimits,
    keys: &[(String, u32)],
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let since = window_start(limits, now);
    for (key, limit) in keys {
        let failures = lf::Entity::find()
            .filter(lf::Column::Key.eq(key.as_str()))
            .filter(lf::Column::At.gt(since))
            .count(db)
            .await?;
        if failures >= u64::from(*limit) {
            // The oldest failure that still counts leaves the window first.
            let oldest = lf::Entity::find()
                .filter(lf::Column::Key.eq(key.as_str()))
                .filter(lf::Column::At.gt(since))
                .order_by_asc(lf::Column::At)
                .one(db)
                .await?
                .map_or(now, |r| r.at);
            let retry = (oldest - since).num_seconds().max(1) as u64;
            return Err(ServiceError::RateLimited {
                retry_after_secs: retry,
            });
        }
    }
    Ok(())
}

pub(crate) async fn record_failure(
    db: &impl ConnectionTrait,
    keys: &[(String, u32)],
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let rows = keys.iter().map(|(key, _)| lf::ActiveModel {
        key: Set(key.clone()),
        at: Set(now),
        ..Default::default()
    });
    lf::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub(crate) async fn clear(db: &impl ConnectionTrait, key: &str) -> Result<(), ServiceError> {
    lf::Entity::delete_many()
        .filter(lf::Column::Key.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes failures that no longer count. Run periodically.
pub async fn prune(db: &impl ConnectionTrait, limits: &LoginLimits) -> Result<u64, ServiceError> {
    let res = lf::Entity::delete_many()
        .filter(lf::Column::At.lte(window_start(limits, Utc::now())))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}
