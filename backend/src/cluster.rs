//! Several server processes on one database. Each bot belongs to one process at a time
//! through a lease on its row (`bots.owner`, `bots.owner_until`): the owner polls it (so
//! no bot is polled twice), answers its updates and sends its outbox (so its per-bot rate
//! limit, kept in the owner's memory, holds across processes). Processes announce
//! themselves in `nodes` every [`BEAT`]; each takes about its share of the enabled bots
//! (`ceil(bots / live processes)`), renews what it holds, gives back what is over its
//! share, and picks up what a dead process left once its lease lapsed.
//!
//! One process alone (the SQLite default) simply owns every bot.

use crate::ServiceError;
use crate::db::statement;
use crate::entities::bots;
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often a process renews its leases and looks at its share.
pub const BEAT: Duration = Duration::from_secs(2);
/// How long a lease lasts without renewal: a dead process's bots move after this.
pub const LEASE_SECS: i64 = 10;
/// A process not seen for this long no longer counts for the shares.
pub const NODE_STALE_SECS: i64 = 15;
/// A lease is used locally only until this long before it ends in the database, so a
/// process that cannot renew stops before another may start.
const MARGIN: Duration = Duration::from_secs(4);

/// This process's view of which bots it owns. Cloning shares it.
#[derive(Clone)]
pub struct Cluster {
    inner: Arc<Inner>,
}

struct Inner {
    node: String,
    host: String,
    started_at: DateTime<Utc>,
    db: DatabaseConnection,
    /// Bot → until when this process may act for it (by its own clock).
    owned: Mutex<HashMap<i32, Instant>>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Cluster({}, {} bots)",
            self.inner.node,
            self.owned_ids().len()
        )
    }
}

/// What a beat found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Beat {
    pub live_nodes: u64,
    pub share: u64,
    pub owned: usize,
    pub acquired: Vec<i32>,
    pub released: Vec<i32>,
}

impl Cluster {
    pub fn new(db: DatabaseConnection) -> Cluster {
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
        Cluster {
            inner: Arc::new(Inner {
                node,
                host,
                started_at: Utc::now(),
                db,
                owned: Mutex::default(),
            }),
        }
    }

    /// This process's name in `nodes` and `bots.owner`.
    pub fn node_id(&self) -> &str {
        &self.inner.node
    }

    fn owned(&self) -> std::sync::MutexGuard<'_, HashMap<i32, Instant>> {
        self.inner.owned.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether this process may poll, answer and send for `bot_id` now.
    pub fn owns(&self, bot_id: i32) -> bool {
        self.owned()
            .get(&bot_id)
            .is_some_and(|until| *until > Instant::now())
    }

    /// The bots this process may act for now, in id order.
    pub fn owned_ids(&self) -> Vec<i32> {
        let now = Instant::now();
        let mut ids: Vec<i32> = self
            .owned()
            .iter()
            .filter(|(_, until)| **until > now)
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        ids
    }

    fn local_until(&self, at: Instant) -> Instant {
        at + Duration::from_secs(LEASE_SECS as u64) - MARGIN
    }

    /// Takes one bot now if nobody holds it (a bot just connected or switched to
    /// polling); renews it if this process holds it. `false`: another process has it.
    pub async fn claim(&self, bot_id: i32) -> Result<bool, ServiceError> {
        let started = Instant::now();
        let now = Utc::now();
        let res = bots::Entity::update_many()
            .col_expr(bots::Column::Owner, Expr::value(self.inner.node.clone()))
            .col_expr(
                bots::Column::OwnerUntil,
                Expr::value(now + ChronoDuration::seconds(LEASE_SECS)),
            )
            .filter(bots::Column::Id.eq(bot_id))
            .filter(free_or_mine(&self.inner.node, now))
            .exec(&self.inner.db)
            .await?;
        if res.rows_affected == 1 {
            self.owned().insert(bot_id, self.local_until(started));
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// One round: announce this process, renew its leases, give back what is over its
    /// share, take free bots up to it.
    pub async fn beat(&self) -> Result<Beat, ServiceError> {
        let db = &self.inner.db;
        let backend = db.get_database_backend();
        let started = Instant::now();
        let now = Utc::now();
        let me = self.inner.node.clone();
        db.execute_raw(statement(
            backend,
            "INSERT INTO nodes (id, host, started_at, seen_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
            [
                me.clone().into(),
                self.inner.host.clone().into(),
                self.inner.started_at.into(),
                now.into(),
            ],
        ))
        .await?;
        self.reap_dead_neighbours().await?;
        let live_nodes = count(
            db,
            "SELECT COUNT(*) AS n FROM nodes WHERE seen_at > ?",
            [(now - ChronoDuration::seconds(NODE_STALE_SECS)).into()],
        )
        .await?
        .max(1);
        let enabled = count(
            db,
            "SELECT COUNT(*) AS n FROM bots WHERE enabled = ?",
            [true.into()],
        )
        .await?;
        let share = enabled.div_ceil(live_nodes);

        // Renew, then read back what is ours (a lease that lapsed may have been taken).
        let until = now + ChronoDuration::seconds(LEASE_SECS);
        bots::Entity::update_many()
            .col_expr(bots::Column::OwnerUntil, Expr::value(until))
            .filter(bots::Column::Owner.eq(me.clone()))
            .filter(bots::Column::Enabled.eq(true))
            .exec(db)
            .await?;
        let mut mine: Vec<i32> = bots::Entity::find()
            .select_only()
            .column(bots::Column::Id)
            .filter(bots::Column::Owner.eq(me.clone()))
            .filter(bots::Column::Enabled.eq(true))
            .order_by_asc(bots::Column::Id)
            .into_tuple()
            .all(db)
            .await?;

        let mut released = Vec::new();
        if mine.len() as u64 > share {
            // Over the share: this process stops acting for these now; the caller stops
            // their pollers and then gives them back ([`Cluster::give_back`]).
            released = mine.split_off(share as usize);
            let mut owned = self.owned();
            for id in &released {
                owned.remove(id);
            }
        }
        let mut acquired = Vec::new();
        let wanted = share.saturating_sub(mine.len() as u64);
        if wanted > 0 {
            use sea_orm::QueryTrait;
            use sea_orm::sea_query::{ExprTrait, LockBehavior, LockType};
            let free_ones = bots::Entity::find()
                .select_only()
                .column(bots::Column::Id)
                .filter(bots::Column::Enabled.eq(true))
                .filter(free(now))
                .order_by_asc(bots::Column::Id)
                .limit(wanted)
                .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
                .into_query();
            acquired = bots::Entity::update_many()
                .col_expr(bots::Column::Owner, Expr::value(me.clone()))
                .col_expr(bots::Column::OwnerUntil, Expr::value(until))
                .filter(Expr::col(bots::Column::Id).in_subquery(free_ones))
                .exec_with_returning(db)
                .await?
                .into_iter()
                .map(|b| b.id)
                .collect();
            acquired.sort_unstable();
            mine.extend(&acquired);
        }
        {
            let local = self.local_until(started);
            let mut owned = self.owned();
            owned.retain(|id, _| mine.contains(id));
            for id in &mine {
                owned.insert(*id, local);
            }
        }
        // Processes gone for an hour are forgotten.
        db.execute_raw(statement(
            backend,
            "DELETE FROM nodes WHERE seen_at < ?",
            [(now - ChronoDuration::hours(1)).into()],
        ))
        .await?;
        Ok(Beat {
            live_nodes,
            share,
            owned: mine.len(),
            acquired,
            released,
        })
    }

    /// A process of this host that died without leaving (killed, crashed) is noticed at
    /// once, by its pid, rather than when its leases lapse: a restart after a crash picks
    /// its bots up at its first beat. (A reused pid only means waiting for the lease.)
    async fn reap_dead_neighbours(&self) -> Result<(), ServiceError> {
        if !std::path::Path::new("/proc/self").exists() {
            return Ok(());
        }
        let db = &self.inner.db;
        let backend = db.get_database_backend();
        let rows = db
            .query_all_raw(statement(
                backend,
                "SELECT id FROM nodes WHERE host = ? AND id <> ?",
                [
                    self.inner.host.clone().into(),
                    self.inner.node.clone().into(),
                ],
            ))
            .await?;
        for r in rows {
            let id: String = r.try_get_by_index(0)?;
            let Some(pid) = id.rsplit(':').nth(1).and_then(|p| p.parse::<u32>().ok()) else {
                continue;
            };
            if std::path::Path::new(&format!("/proc/{pid}")).exists() {
                continue;
            }
            tracing::info!(node = %id, "a process of this host is gone; its bots are free");
            bots::Entity::update_many()
                .col_expr(bots::Column::Owner, Expr::value(None::<String>))
                .col_expr(bots::Column::OwnerUntil, Expr::value(None::<DateTime<Utc>>))
                .filter(bots::Column::Owner.eq(id.clone()))
                .exec(db)
                .await?;
            db.execute_raw(statement(
                backend,
                "DELETE FROM nodes WHERE id = ?",
                [id.into()],
            ))
            .await?;
        }
        Ok(())
    }

    /// Lets other processes take `bots` (released by a beat, their pollers stopped).
    pub async fn give_back(&self, bots_ids: &[i32]) -> Result<(), ServiceError> {
        if bots_ids.is_empty() {
            return Ok(());
        }
        bots::Entity::update_many()
            .col_expr(bots::Column::Owner, Expr::value(None::<String>))
            .col_expr(bots::Column::OwnerUntil, Expr::value(None::<DateTime<Utc>>))
            .filter(bots::Column::Id.is_in(bots_ids.to_vec()))
            .filter(bots::Column::Owner.eq(self.inner.node.clone()))
            .exec(&self.inner.db)
            .await?;
        Ok(())
    }

    /// At shutdown: gives every bot back at once (another process takes them at its next
    /// beat instead of after the lease) and leaves `nodes`.
    pub async fn leave(&self) -> Result<(), ServiceError> {
        self.owned().clear();
        let db = &self.inner.db;
        bots::Entity::update_many()
            .col_expr(bots::Column::Owner, Expr::value(None::<String>))
            .col_expr(bots::Column::OwnerUntil, Expr::value(None::<DateTime<Utc>>))
            .filter(bots::Column::Owner.eq(self.inner.node.clone()))
            .exec(db)
            .await?;
        db.execute_raw(statement(
            db.get_database_backend(),
            "DELETE FROM nodes WHERE id = ?",
            [self.inner.node.clone().into()],
        ))
        .await?;
        Ok(())
    }
}

/// Nobody holds the bot, or its lease lapsed.
fn free(now: DateTime<Utc>) -> sea_orm::Condition {
    sea_orm::Condition::any()
        .add(bots::Column::Owner.is_null())
        .add(bots::Column::OwnerUntil.is_null())
        .add(bots::Column::OwnerUntil.lt(now))
}

/// Free, or ours.
fn free_or_mine(me: &str, now: DateTime<Utc>) -> sea_orm::Condition {
    free(now).add(bots::Column::Owner.eq(me))
}

async fn count(
    db: &DatabaseConnection,
    sql: &str,
    values: impl IntoIterator<Item = sea_orm::Value>,
) -> Result<u64, ServiceError> {
    let row = db
        .query_one_raw(statement(db.get_database_backend(), sql, values))
        .await?;
    let n: i64 = match row {
        Some(r) => r.try_get_by_index(0)?,
        None => 0,
    };
    Ok(n.max(0) as u64)
}
