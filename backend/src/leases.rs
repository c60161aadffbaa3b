//! Which bots this process may act for now: each bot belongs to one process at a time
//! through a lease on its row (`bots.owner`, `bots.owner_until`). The owner polls it,
//! answers its updates and sends its messages, so its per-bot rate limit, kept in the
//! owner's memory, holds however many processes share the database. `ops::cluster`
//! renews and balances the leases; everything that acts for a bot asks [`Leases::owns`].
//!
//! Foundation: imports `entities`, `error`, `ids`.

use crate::ServiceError;
use crate::entities::bots;
use crate::ids::BotId;
use chrono::{Duration as ChronoDuration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a lease lasts without renewal: a dead process's bots move after this.
pub const LEASE_SECS: i64 = 10;
/// A lease is used locally only until this long before it ends in the database, so a
/// process that cannot renew stops before another may start.
const MARGIN: Duration = Duration::from_secs(4);

/// This process's name and the bots it holds. Cloning shares them.
#[derive(Clone)]
pub struct Leases {
    inner: Arc<Inner>,
}

struct Inner {
    node: String,
    host: String,
    db: DatabaseConnection,
    /// Bot → until when this process may act for it (by its own clock).
    owned: Mutex<HashMap<BotId, Instant>>,
}

impl std::fmt::Debug for Leases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Leases({}, {} bots)",
            self.inner.node,
            self.owned_ids().len()
        )
    }
}

impl Leases {
    /// A new process: `<host>:<pid>:<random>`, holding nothing yet.
    pub fn new(db: DatabaseConnection) -> Leases {
        let host = std::env::var("HOSTNAME")
            .ok()
            .or_else(|| {
                std::fs::read_to_string("/etc/hostname")
                    .ok()
                    .map(|s| s.trim().to_owned())
            })
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".into());
        let node = format!(
            "{}:{}:{:08x}",
            host.chars().take(40).collect::<String>(),
            std::process::id(),
            rand::random::<u32>()
        );
        Leases {
            inner: Arc::new(Inner {
                node,
                host,
                db,
                owned: Mutex::default(),
            }),
        }
    }

    /// This process's name in `nodes` and `bots.owner`.
    pub fn node_id(&self) -> &str {
        &self.inner.node
    }

    /// The host this process runs on.
    pub fn host(&self) -> &str {
        &self.inner.host
    }

    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.inner.db
    }

    fn owned(&self) -> std::sync::MutexGuard<'_, HashMap<BotId, Instant>> {
        self.inner.owned.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether this process may poll, answer and send for `bot` now.
    pub fn owns(&self, bot: BotId) -> bool {
        self.owned()
            .get(&bot)
            .is_some_and(|until| *until > Instant::now())
    }

    /// The bots this process may act for now, in id order.
    pub fn owned_ids(&self) -> Vec<BotId> {
        let now = Instant::now();
        let mut ids: Vec<BotId> = self
            .owned()
            .iter()
            .filter(|(_, until)| **until > now)
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Until when a lease written at `at` may be used here.
    pub(crate) fn local_until(at: Instant) -> Instant {
        at + Duration::from_secs(LEASE_SECS as u64) - MARGIN
    }

    /// Holds exactly `bots` until `until` (after a beat renewed them).
    pub(crate) fn hold_exactly(&self, bots: &[BotId], until: Instant) {
        let mut owned = self.owned();
        owned.retain(|id, _| bots.contains(id));
        for id in bots {
            owned.insert(*id, until);
        }
    }

    /// Stops acting for `bots` now (they are about to be given back).
    pub(crate) fn release(&self, bots: &[BotId]) {
        let mut owned = self.owned();
        for id in bots {
            owned.remove(id);
        }
    }

    /// Stops acting for every bot (at shutdown).
    pub(crate) fn release_all(&self) {
        self.owned().clear();
    }

    /// Takes one bot now if nobody holds it (a bot just connected or switched to
    /// polling); renews it if this process holds it. `false`: another process has it.
    pub async fn claim(&self, bot: BotId) -> Result<bool, ServiceError> {
        let started = Instant::now();
        let now = Utc::now();
        let res = bots::Entity::update_many()
            .col_expr(bots::Column::Owner, Expr::value(self.inner.node.clone()))
            .col_expr(
                bots::Column::OwnerUntil,
                Expr::value(now + ChronoDuration::seconds(LEASE_SECS)),
            )
            .filter(bots::Column::Id.eq(bot))
            .filter(free(now).add(bots::Column::Owner.eq(self.inner.node.as_str())))
            .exec(&self.inner.db)
            .await?;
        if res.rows_affected == 1 {
            self.owned().insert(bot, Self::local_until(started));
            Ok(true)
        } else {
            Ok(false)
        }
    }
}

/// Nobody holds the bot, or its lease lapsed.
pub(crate) fn free(now: chrono::DateTime<Utc>) -> Condition {
    Condition::any()
        .add(bots::Column::Owner.is_null())
        .add(bots::Column::OwnerUntil.is_null())
        .add(bots::Column::OwnerUntil.lt(now))
}
