//! Hourly clean-up: expired sessions, login failures that no longer count, and API call
//! counts older than [`super::usage::KEEP_DAYS`].

use crate::accounts::session_store::SeaOrmSessionStore;
use crate::accounts::throttle::{self, LoginLimits};
use crate::stop::Stop;
use sea_orm::DatabaseConnection;
use std::time::Duration;
use tower_sessions::session_store::ExpiredDeletion;

/// How often the clean-up runs.
pub const EVERY: Duration = Duration::from_secs(3600);

/// One clean-up pass; each part logs its own failure and the others still run.
pub async fn run_once(db: &DatabaseConnection, limits: &LoginLimits) {
    if let Err(e) = SeaOrmSessionStore::new(db.clone()).delete_expired().await {
        tracing::warn!(error = %e, "expired-session clean-up failed");
    }
    if let Err(e) = throttle::prune(db, limits).await {
        tracing::warn!(error = %e, "login-failure clean-up failed");
    }
    if let Err(e) = super::usage::prune(db).await {
        tracing::warn!(error = %e, "API call count clean-up failed");
    }
}

/// Runs [`run_once`] at start and then every [`EVERY`], until `stop`.
pub fn spawn(
    db: DatabaseConnection,
    limits: LoginLimits,
    stop: Stop,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while !stop.is_set() {
            run_once(&db, &limits).await;
            stop.sleep(EVERY).await;
        }
    })
}
