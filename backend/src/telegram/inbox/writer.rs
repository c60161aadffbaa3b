//! Group commit of webhook deliveries ([`InboxWriter`]), and the NOTIFY that tells other
//! processes of new rows.
//!
//! May import: what its parent module may.

use super::store::{Held, MAX_BATCH};
use super::{IncomingUpdate, announce};
use crate::ServiceError;
use crate::db::WriteGate;
use crate::ids::BotId;
use crate::leases::Leases;
use crate::stop::Stop;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Group commit of webhook deliveries: every request hands its update to one writer
/// task and waits; the writer stores all that are waiting in one statement and one
/// commit, then answers each. A request is answered 200 only after its row is committed
/// (as durably as the writer's connection commits: see [`crate::db::Durability`]), and
/// a batch forms by itself while the previous one commits — no request waits for a
/// timer. Batches commit one at a time on both databases: on PostgreSQL two, three or
/// four at once were slower, because each batch was smaller and PostgreSQL's cost per
/// batch (statement, commit, WAL flush) was paid more often (docs/performance.md). On
/// PostgreSQL other processes are told (NOTIFY) only of updates of bots
/// this process does not hold, at most once per [`ANNOUNCE_GAP`] and off the requests'
/// path. Cloning shares the writer.
#[derive(Clone)]
pub struct InboxWriter {
    tx: mpsc::Sender<Delivery>,
}

struct Delivery {
    bot: BotId,
    update: IncomingUpdate,
    done: oneshot::Sender<Result<bool, String>>,
}

/// Deliveries waiting for the writer before new ones wait to be queued.
const QUEUE: usize = 8192;

impl std::fmt::Debug for InboxWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InboxWriter")
    }
}

impl InboxWriter {
    /// Starts the writer on `db` (its own connection on SQLite). It wakes `wake` after
    /// each batch with new rows, and on PostgreSQL tells the other processes when a
    /// batch has new rows of a bot this process does not hold (`leases`). It ends when
    /// `stop` is set, after storing what it holds.
    pub fn spawn(
        db: DatabaseConnection,
        writes: Arc<WriteGate>,
        wake: Arc<tokio::sync::Notify>,
        leases: Leases,
        stop: Stop,
    ) -> (InboxWriter, tokio::task::JoinHandle<()>) {
        let (tx, mut rx) = mpsc::channel::<Delivery>(QUEUE);
        let postgres = db.get_database_backend() == sea_orm::DbBackend::Postgres;
        let stored = Arc::new(tokio::sync::Notify::new());
        let task = tokio::spawn(async move {
            let announcer =
                postgres.then(|| spawn_announcer(db.clone(), stored.clone(), stop.clone()));
            let mut held: Option<Held> = None;
            loop {
                let first = tokio::select! {
                    d = rx.recv() => match d {
                        Some(d) => d,
                        None => break,
                    },
                    _ = stop.wait() => {
                        rx.close();
                        match rx.recv().await {
                            Some(d) => d,
                            None => break,
                        }
                    }
                };
                // What arrived while the previous batch committed joins this one.
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(d) => batch.push(d),
                        Err(_) => break,
                    }
                }
                // One batch at a time: the next forms while this one commits.
                let new = write(&db, &mut held, &writes, batch).await;
                if !new.is_empty() {
                    wake.notify_one();
                    if new.iter().any(|bot| !leases.owns(*bot)) {
                        stored.notify_one();
                    }
                }
            }
            if let Some(a) = announcer {
                a.abort();
            }
        });
        (InboxWriter { tx }, task)
    }

    /// Stores an update once, durably; `Ok(false)`: it was there already (a replay).
    pub async fn store(&self, bot: BotId, update: IncomingUpdate) -> Result<bool, ServiceError> {
        let (done, answer) = oneshot::channel();
        self.tx
            .send(Delivery { bot, update, done })
            .await
            .map_err(|_| ServiceError::Internal("the inbox writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| ServiceError::Internal("the inbox writer has stopped".into()))?
            .map_err(ServiceError::Internal)
    }
}

/// Stores one batch and answers each of its requests; the bots that have new rows.
async fn write(
    db: &DatabaseConnection,
    held: &mut Option<Held>,
    writes: &WriteGate,
    batch: Vec<Delivery>,
) -> Vec<BotId> {
    let (rows, dones): (Vec<_>, Vec<_>) = batch
        .into_iter()
        .map(|d| ((d.bot, d.update), (d.bot, d.done)))
        .unzip();
    let stored = async {
        let conn = match held {
            Some(conn) => conn,
            None => held.insert(Held::acquire(db).await?),
        };
        let _turn = writes.enter().await;
        conn.insert(rows).await
    }
    .await;
    if stored.is_err() {
        // The connection may be what failed: the next batch takes a fresh one.
        *held = None;
    }
    match stored {
        Ok(new) => {
            let mut with_new: Vec<BotId> = Vec::new();
            for ((bot, done), new) in dones.into_iter().zip(new) {
                if new && !with_new.contains(&bot) {
                    with_new.push(bot);
                }
                let _ = done.send(Ok(new));
            }
            with_new
        }
        Err(e) => {
            // Not stored, so not acknowledged: Telegram delivers them again.
            tracing::error!(error = %e, rows = dones.len(), "inbox insert failed");
            for (_, done) in dones {
                let _ = done.send(Err(e.to_string()));
            }
            Vec::new()
        }
    }
}

/// Least time between two NOTIFYs of one process. A NOTIFY is a transaction of its own
/// and a signal to every listening backend: after each batch it took a fifth to a third
/// of PostgreSQL's batch-insert rate (`scripts/pg-insert-bench`: 2,430–2,590 batches of
/// 8 rows a second alone, 1,560–2,010 with a NOTIFY after each). Another process learns
/// of an update within this gap instead of at its half-second look.
pub const ANNOUNCE_GAP: std::time::Duration = std::time::Duration::from_millis(10);

/// Tells the other processes about new rows (PostgreSQL): one NOTIFY in flight at a time
/// and at most one per [`ANNOUNCE_GAP`]; stores meanwhile are told by the next, off the
/// requests' path.
fn spawn_announcer(
    db: DatabaseConnection,
    stored: Arc<tokio::sync::Notify>,
    stop: Stop,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = stored.notified() => announce(&db).await,
                _ = stop.wait() => return,
            }
            stop.sleep(ANNOUNCE_GAP).await;
        }
    })
}
