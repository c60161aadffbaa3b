//! [`Runtime`]: every background loop of one process, started together over one
//! [`Deps`] and stopped in order.
//!
//! | loop | does |
//! |---|---|
//! | inbox writer | stores webhook deliveries, many per commit (`telegram::inbox::InboxWriter`) |
//! | inbox | claims stored updates and answers them (`telegram::worker`) |
//! | inbox listener | PostgreSQL only: wakes the inbox when another process stored an update |
//! | outbox | sends bulk messages through the per-bot limiter (`telegram::outbox`) |
//! | scheduler | opens, closes and draws giveaways (`giveaways::scheduler`) |
//! | cluster | renews and balances bot leases, and polls exactly the bots it owns |
//! | usage | writes API call counts every few seconds; checks webhooks every few minutes |
//! | upkeep | hourly clean-up of sessions, login failures and old counts |
//! | webhook check | once at start-up, in the background: every webhook bot's webhook |
//!
//! Stopping: the stop signal is set, pollers stop first (an update fetched but not
//! stored is fetched again), then each loop finishes what it holds (an update being
//! answered, a send under way, a draw) within [`SHUTDOWN_GRACE`]; the last API call
//! counts are written, and the bots are given back for another process to take.

use super::cluster::{BEAT, Cluster};
use super::{upkeep, usage};
use crate::ServiceError;
use crate::accounts::LoginLimits;
use crate::deps::Deps;
use crate::giveaways::joiner::WeakJoiner;
use crate::giveaways::{Giveaways, Scheduler};
use crate::stop::{Stop, StopSender};
use crate::telegram::Workers;
use crate::telegram::inbox::{self, InboxWriter};
use crate::telegram::outbox::{Counters, Sender};
use crate::telegram::poller::Pollers;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// How long shutdown waits for work under way before leaving it to the next start.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// How often API call counts are written.
pub const USAGE_FLUSH: Duration = Duration::from_secs(5);
/// Webhooks are checked every this many flushes (five minutes).
const WEBHOOK_CHECK_EVERY: u32 = 60;

/// What the loops need besides [`Deps`].
#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    pub login_limits: LoginLimits,
    /// The inbox writer's connection: on SQLite one of its own (its commits as durable
    /// as `sqlite-synchronous` says); else the pool.
    pub inbox_db: sea_orm::DatabaseConnection,
}

/// The running loops of one process.
pub struct Runtime {
    stop: StopSender,
    deps: Deps,
    cluster: Cluster,
    pollers: Pollers,
    sends: Arc<Counters>,
    inbox: InboxWriter,
    joiner: WeakJoiner,
    loops: Vec<(&'static str, JoinHandle<()>)>,
}

impl Runtime {
    /// Takes this process's share of the bots, then starts every loop. Webhooks are
    /// checked in the background: a slow Telegram must not delay start-up.
    pub async fn start(deps: Deps, options: RuntimeOptions) -> Result<Runtime, ServiceError> {
        let (stop_tx, stop) = Stop::channel();
        crate::bots::reconcile_modes(&deps.db, &deps.public_url).await?;
        let cluster = Cluster::new(deps.leases.clone());
        // Take this process's share of the bots before anything acts for them.
        let beat = cluster.beat().await?;
        tracing::info!(
            node = deps.leases.node_id(),
            nodes = beat.live_nodes,
            bots = beat.owned,
            "joined"
        );
        let mut loops = Vec::new();
        let (inbox, writer) = InboxWriter::spawn(
            options.inbox_db,
            deps.writes.clone(),
            deps.wake.inbox.clone(),
            deps.leases.clone(),
            stop.clone(),
        );
        loops.push(("inbox writer", writer));
        let (giveaways, joins) = Giveaways::spawn(deps.clone());
        let joiner = giveaways.joiner().downgrade();
        let workers = Workers::new(deps.clone(), vec![Arc::new(giveaways)]);
        loops.push(("inbox", workers.spawn(stop.clone())));
        // Ends after the workers, whose feature holds its queue.
        loops.push(("join queue", joins));
        if let Some(listener) =
            inbox::spawn_listener(&deps.db, deps.wake.inbox.clone(), stop.clone())
        {
            loops.push(("inbox listener", listener));
        }
        let sender = Sender::new(deps.clone());
        let sends = sender.counters();
        loops.push(("outbox", sender.spawn(stop.clone())));
        loops.push((
            "scheduler",
            Scheduler::new(deps.clone()).spawn(stop.clone()),
        ));
        let pollers = Pollers::new(deps.clone());
        let resumed = pollers.sync().await?;
        tracing::info!(bots = resumed, "pollers resumed");
        loops.push((
            "cluster",
            spawn_beats(cluster.clone(), pollers.clone(), deps.clone(), stop.clone()),
        ));
        loops.push(("usage", spawn_usage(deps.clone(), stop.clone())));
        loops.push((
            "upkeep",
            upkeep::spawn(deps.db.clone(), options.login_limits, stop.clone()),
        ));
        loops.push(("webhook check", spawn_webhook_check(deps.clone(), stop)));
        Ok(Runtime {
            stop: stop_tx,
            deps,
            cluster,
            pollers,
            sends,
            inbox,
            joiner,
            loops,
        })
    }

    /// Where webhook deliveries are stored.
    pub fn inbox(&self) -> InboxWriter {
        self.inbox.clone()
    }

    /// The join queue, for joins from outside the bots' chats (the Mini App); it does not
    /// keep the queue running past [`Runtime::stop`].
    pub fn joiner(&self) -> WeakJoiner {
        self.joiner.clone()
    }

    /// The process's shared parts.
    pub fn deps(&self) -> &Deps {
        &self.deps
    }

    /// Outbox send outcomes since start.
    pub fn sends(&self) -> Arc<Counters> {
        self.sends.clone()
    }

    /// The pollers (how many run).
    pub fn pollers(&self) -> &Pollers {
        &self.pollers
    }

    /// Stops every loop in order (see the module's doc) and gives the bots back.
    pub async fn stop(self) {
        self.stop.stop();
        // Polling first: an update fetched but not stored is fetched again next time.
        self.pollers.stop_all();
        for (name, task) in self.loops {
            match tokio::time::timeout(SHUTDOWN_GRACE, task).await {
                Ok(_) => tracing::info!(part = name, "stopped"),
                Err(_) => {
                    tracing::warn!(part = name, "did not stop in time; its work stays queued")
                }
            }
        }
        // Everything that calls Telegram has stopped: the last counts.
        if let Err(e) = usage::flush(&self.deps.db, self.deps.api.counts()).await {
            tracing::warn!(error = %e, "last API call counts not written");
        }
        // The bots go back at once, so another process takes them at its next beat.
        if let Err(e) = self.cluster.leave().await {
            tracing::warn!(error = %e, "bot leases not given back; they lapse on their own");
        }
    }
}

/// Every [`BEAT`]: renews this process's bot leases, balances the bots between
/// processes, and polls exactly the polling bots it owns; wakes the sender when bots
/// arrived (their queued messages are now this process's to send). Woken early by
/// `deps.wake.pollers` (a bot changed), it only brings the pollers in line.
fn spawn_beats(cluster: Cluster, pollers: Pollers, deps: Deps, stop: Stop) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut next_beat = tokio::time::Instant::now() + BEAT;
        loop {
            let woken = tokio::select! {
                _ = tokio::time::sleep_until(next_beat) => false,
                _ = deps.wake.pollers.notified() => true,
                _ = stop.wait() => return,
            };
            if woken {
                if let Err(e) = pollers.sync().await {
                    tracing::warn!(error = %e, "pollers not synchronised");
                }
                continue;
            }
            next_beat = tokio::time::Instant::now() + BEAT;
            let beat = cluster.beat().await;
            // Also after a failed beat: a lease that lapsed locally stops its poller.
            if let Err(e) = pollers.sync().await {
                tracing::warn!(error = %e, "pollers not synchronised");
            }
            match beat {
                Ok(b) => {
                    // Their pollers are stopped now: another process may take them.
                    if let Err(e) = cluster.give_back(&b.released).await {
                        tracing::warn!(error = %e, "bots not given back; their leases lapse");
                    }
                    if !b.acquired.is_empty() || !b.released.is_empty() {
                        tracing::info!(
                            nodes = b.live_nodes,
                            share = b.share,
                            owned = b.owned,
                            acquired = b.acquired.len(),
                            released = b.released.len(),
                            "bots rebalanced"
                        );
                        deps.wake.sender.notify_one();
                    }
                }
                Err(e) => tracing::warn!(error = %e, "bot leases not renewed"),
            }
        }
    })
}

/// Every [`USAGE_FLUSH`] the Bot API call counts go to the database; every five minutes
/// the webhook bots this process owns have their webhook's health read. The last counts
/// are written by [`Runtime::stop`], after every loop ended.
fn spawn_usage(deps: Deps, stop: Stop) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut round: u32 = 0;
        while !stop.is_set() {
            stop.sleep(USAGE_FLUSH).await;
            if let Err(e) = usage::flush(&deps.db, deps.api.counts()).await {
                tracing::warn!(error = %e, "API call counts not written; kept for the next try");
            }
            round = round.wrapping_add(1);
            if round % WEBHOOK_CHECK_EVERY == 1
                && !stop.is_set()
                && let Err(e) = crate::bots::check_webhooks(&deps).await
            {
                tracing::warn!(error = %e, "webhook health check failed");
            }
        }
    })
}

/// Once, at start-up: every webhook bot's webhook checked and set again where Telegram
/// lost it. Stopping ends it where it is (the next start checks again).
fn spawn_webhook_check(deps: Deps, stop: Stop) -> JoinHandle<()> {
    tokio::spawn(async move {
        tokio::select! {
            checked = crate::bots::resume_webhooks(&deps) => match checked {
                Ok(n) => tracing::info!(bots = n, "webhooks checked"),
                Err(e) => tracing::warn!(error = %e, "webhook check at start-up failed"),
            },
            _ = stop.wait() => {}
        }
    })
}
