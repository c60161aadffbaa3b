//! Several server processes on one database. Each bot belongs to one process at a time
//! through a lease on its row (see [`crate::leases`]). Processes announce themselves in
//! `nodes` every [`BEAT`]; each takes about its share of the enabled bots
//! (`ceil(bots / live processes)`), renews what it holds, gives back what is over its
//! share, and picks up what a dead process left once its lease lapsed.
//!
//! One process alone (the SQLite default) simply owns every bot.

use crate::ServiceError;
use crate::entities::{bots, nodes};
use crate::ids::BotId;
use crate::leases::{LEASE_SECS, Leases, free};
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType, OnConflict};
use sea_orm::{
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
};
use std::time::{Duration, Instant};

/// How often a process renews its leases and looks at its share.
pub const BEAT: Duration = Duration::from_secs(2);
/// A process not seen for this long no longer counts for the shares.
pub const NODE_STALE_SECS: i64 = 15;

/// This process in the cluster: its leases and when it started. Cloning shares them.
#[derive(Clone, Debug)]
pub struct Cluster {
    leases: Leases,
    started_at: DateTime<Utc>,
}

/// What a beat found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Beat {
    pub live_nodes: u64,
    pub share: u64,
    pub owned: usize,
    pub acquired: Vec<BotId>,
    pub released: Vec<BotId>,
}

impl Cluster {
    pub fn new(leases: Leases) -> Cluster {
        Cluster {
            leases,
            started_at: Utc::now(),
        }
    }

    /// The leases this process holds.
    pub fn leases(&self) -> &Leases {
        &self.leases
    }

    /// One round: announce this process, renew its leases, give back what is over its
    /// share, take free bots up to it.
    pub async fn beat(&self) -> Result<Beat, ServiceError> {
        let db = self.leases.db();
        let started = Instant::now();
        let now = Utc::now();
        let me = self.leases.node_id().to_owned();
        nodes::Entity::insert(nodes::ActiveModel {
            id: Set(me.clone()),
            host: Set(self.leases.host().to_owned()),
            started_at: Set(self.started_at),
            seen_at: Set(now),
        })
        .on_conflict(
            OnConflict::column(nodes::Column::Id)
                .update_column(nodes::Column::SeenAt)
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
        self.reap_dead_neighbours().await?;
        let live_nodes = nodes::Entity::find()
            .filter(nodes::Column::SeenAt.gt(now - ChronoDuration::seconds(NODE_STALE_SECS)))
            .count(db)
            .await?
            .max(1);
        let enabled = bots::Entity::find()
            .filter(bots::Column::Enabled.eq(true))
            .count(db)
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
        let mut mine: Vec<BotId> = bots::Entity::find()
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
            self.leases.release(&released);
        }
        let mut acquired = Vec::new();
        let wanted = share.saturating_sub(mine.len() as u64);
        if wanted > 0 {
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
                .filter(bots::Column::Id.in_subquery(free_ones))
                .exec_with_returning(db)
                .await?
                .into_iter()
                .map(|b| b.id)
                .collect();
            acquired.sort_unstable();
            mine.extend(&acquired);
        }
        self.leases
            .hold_exactly(&mine, Leases::local_until(started));
        // Processes gone for an hour are forgotten.
        nodes::Entity::delete_many()
            .filter(nodes::Column::SeenAt.lt(now - ChronoDuration::hours(1)))
            .exec(db)
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
        let db = self.leases.db();
        let neighbours: Vec<String> = nodes::Entity::find()
            .select_only()
            .column(nodes::Column::Id)
            .filter(nodes::Column::Host.eq(self.leases.host()))
            .filter(nodes::Column::Id.ne(self.leases.node_id()))
            .into_tuple()
            .all(db)
            .await?;
        for id in neighbours {
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
            nodes::Entity::delete_by_id(id).exec(db).await?;
        }
        Ok(())
    }

    /// Lets other processes take `bots` (released by a beat, their pollers stopped).
    pub async fn give_back(&self, bot_ids: &[BotId]) -> Result<(), ServiceError> {
        if bot_ids.is_empty() {
            return Ok(());
        }
        bots::Entity::update_many()
            .col_expr(bots::Column::Owner, Expr::value(None::<String>))
            .col_expr(bots::Column::OwnerUntil, Expr::value(None::<DateTime<Utc>>))
            .filter(bots::Column::Id.is_in(bot_ids.to_vec()))
            .filter(bots::Column::Owner.eq(self.leases.node_id()))
            .exec(self.leases.db())
            .await?;
        Ok(())
    }

    /// At shutdown: gives every bot back at once (another process takes them at its next
    /// beat instead of after the lease) and leaves `nodes`.
    pub async fn leave(&self) -> Result<(), ServiceError> {
        self.leases.release_all();
        let db = self.leases.db();
        bots::Entity::update_many()
            .col_expr(bots::Column::Owner, Expr::value(None::<String>))
            .col_expr(bots::Column::OwnerUntil, Expr::value(None::<DateTime<Utc>>))
            .filter(bots::Column::Owner.eq(self.leases.node_id()))
            .exec(db)
            .await?;
        nodes::Entity::delete_by_id(self.leases.node_id().to_owned())
            .exec(db)
            .await?;
        Ok(())
    }
}
