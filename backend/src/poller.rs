//! Long polling for bots without a public https webhook: one lightweight task per bot
//! this process owns (see [`crate::cluster`]: no bot is polled by two processes),
//! `getUpdates` with the offset persisted in the bot's row, every update written to the
//! same inbox as webhooks before the offset moves past it.

use crate::bots::{self, STATUS_ERROR, STATUS_LIVE, STATUS_REVOKED};
use crate::cluster::Cluster;
use crate::crypto::TokenCipher;
use crate::entities::bots as bot_rows;
use crate::inbox::{self, IncomingUpdate};
use crate::telegram::{TelegramApi, TelegramError};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinHandle;

/// Seconds a getUpdates call waits on the server for something to arrive.
pub const LONG_POLL_SECS: u64 = 25;

/// The running pollers. Cloning shares them.
#[derive(Clone)]
pub struct Pollers {
    db: DatabaseConnection,
    cipher: Arc<TokenCipher>,
    api: TelegramApi,
    cluster: Cluster,
    tasks: Arc<Mutex<HashMap<i32, JoinHandle<()>>>>,
    /// Wakes the inbox workers when updates were stored.
    wake: Arc<tokio::sync::Notify>,
}

impl std::fmt::Debug for Pollers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pollers({} running)", self.running())
    }
}

impl Pollers {
    pub fn new(
        db: DatabaseConnection,
        cipher: Arc<TokenCipher>,
        api: TelegramApi,
        cluster: Cluster,
        wake: Arc<tokio::sync::Notify>,
    ) -> Pollers {
        Pollers {
            db,
            cipher,
            api,
            cluster,
            tasks: Arc::default(),
            wake,
        }
    }

    fn tasks(&self) -> std::sync::MutexGuard<'_, HashMap<i32, JoinHandle<()>>> {
        self.tasks.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many bots are being polled.
    pub fn running(&self) -> usize {
        self.tasks().values().filter(|t| !t.is_finished()).count()
    }

    /// Starts polling a bot (no-op when it already runs). A bot another process owns is
    /// left to it: that process starts polling at its next beat.
    pub fn start(&self, bot_id: i32) {
        let mut tasks = self.tasks();
        if tasks.get(&bot_id).is_some_and(|t| !t.is_finished()) {
            return;
        }
        let me = self.clone();
        tasks.insert(
            bot_id,
            tokio::spawn(tracing::Instrument::instrument(
                async move {
                    if !me.cluster.owns(bot_id) && !me.cluster.claim(bot_id).await.unwrap_or(false)
                    {
                        return;
                    }
                    me.run(bot_id).await
                },
                tracing::info_span!("poller", bot = bot_id),
            )),
        );
    }

    pub fn stop(&self, bot_id: i32) {
        if let Some(t) = self.tasks().remove(&bot_id) {
            t.abort();
        }
    }

    /// Polls exactly the polling bots this process owns: stops the others (a lease given
    /// back or lapsed), starts the missing ones. Run at start-up and after every beat.
    pub async fn sync(&self) -> Result<usize, crate::ServiceError> {
        let stale: Vec<i32> = self
            .tasks()
            .keys()
            .copied()
            .filter(|id| !self.cluster.owns(*id))
            .collect();
        for id in stale {
            self.stop(id);
        }
        let ids = bots::polling_bot_ids(&self.db, self.cluster.node_id()).await?;
        for id in &ids {
            if self.cluster.owns(*id) {
                self.start(*id);
            }
        }
        Ok(self.running())
    }

    /// Stops every poller (at shutdown): an update fetched but not stored is fetched
    /// again, as the offset only moves past stored ones.
    pub fn stop_all(&self) {
        for (_, t) in self.tasks().drain() {
            t.abort();
        }
    }

    async fn run(&self, bot_id: i32) {
        let mut backoff = Duration::from_millis(500);
        let mut live = false;
        loop {
            if !self.cluster.owns(bot_id) {
                return; // another process polls it now
            }
            if let Err(Stop) = self.poll_once(bot_id, &mut live).await {
                return;
            }
            if live {
                backoff = Duration::from_millis(500);
            } else {
                // Growing pauses while Telegram or the database is unwell.
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(60));
            }
        }
    }

    /// One getUpdates round. `Err(Stop)` ends the task (bot gone, disabled or revoked).
    async fn poll_once(&self, bot_id: i32, live: &mut bool) -> Result<(), Stop> {
        let row = match bot_rows::Entity::find_by_id(bot_id).one(&self.db).await {
            Ok(Some(r)) if r.enabled && r.mode == bots::MODE_POLLING => r,
            Ok(_) => return Err(Stop),
            Err(e) => {
                tracing::warn!(bot = bot_id, error = %e, "poller cannot read its bot");
                *live = false;
                return Ok(());
            }
        };
        let token = match self.cipher.open(&row.public_id, &row.token_sealed) {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(bot = bot_id, error = %e, "bot token does not open; polling stops");
                let _ = bots::set_status(&self.db, bot_id, STATUS_ERROR, Some("token_unreadable"))
                    .await;
                return Err(Stop);
            }
        };
        // Until the bot is live, ask without waiting: the answer is what makes it live.
        let timeout = if *live { LONG_POLL_SECS } else { 0 };
        let body = json!({
            "offset": row.poll_offset,
            "timeout": timeout,
            "allowed_updates": crate::handlers::allowed_updates(),
        });
        let res = self
            .api
            .http()
            .post(self.api.method_url(&token, "getUpdates"))
            .timeout(Duration::from_secs(LONG_POLL_SECS + 15))
            .json(&body)
            .send()
            .await;
        let meter = self.api.meter(row.tenant_id, bot_id);
        meter.count_status(
            "getUpdates",
            res.as_ref().map_or(0, |r| r.status().as_u16()),
        );
        // Errors are classified, never printed: reqwest's text would carry the URL.
        let answer: Result<Value, TelegramError> = match res {
            Err(_) => Err(TelegramError::Unavailable),
            Ok(r) => match (r.status().as_u16(), r.json::<Value>().await) {
                (200, Ok(v)) if v["ok"] == true => Ok(v),
                (401, _) => Err(TelegramError::TokenRejected),
                (429, Ok(v)) => Err(TelegramError::RetryAfter(
                    v["parameters"]["retry_after"].as_u64().unwrap_or(5),
                )),
                (409, _) => {
                    // A webhook is set (or another poller runs): polling wins for this bot.
                    let deleted = self
                        .api
                        .http()
                        .post(self.api.method_url(&token, "deleteWebhook"))
                        .send()
                        .await;
                    meter.count_status(
                        "deleteWebhook",
                        deleted.as_ref().map_or(0, |r| r.status().as_u16()),
                    );
                    Err(TelegramError::Refused)
                }
                (s, _) if s >= 500 => Err(TelegramError::Unavailable),
                _ => Err(TelegramError::Refused),
            },
        };
        let updates = match answer {
            Ok(v) => v["result"].as_array().cloned().unwrap_or_default(),
            Err(TelegramError::TokenRejected) => {
                tracing::warn!(bot = bot_id, "token revoked; polling stops");
                let _ = bots::set_status(&self.db, bot_id, STATUS_REVOKED, Some("token_rejected"))
                    .await;
                return Err(Stop);
            }
            Err(e) => {
                tracing::warn!(bot = bot_id, error = %e, "getUpdates failed");
                let _ = bots::set_status(&self.db, bot_id, STATUS_ERROR, Some(e.code())).await;
                if let TelegramError::RetryAfter(s) = e {
                    tokio::time::sleep(Duration::from_secs(s.min(300))).await;
                }
                *live = false;
                return Ok(());
            }
        };
        if !*live {
            let _ = bots::set_status(&self.db, bot_id, STATUS_LIVE, None).await;
            *live = true;
        }
        let mut next = row.poll_offset;
        for raw in &updates {
            let bytes = raw.to_string();
            let Ok(update) = IncomingUpdate::parse(bytes.as_bytes()) else {
                continue;
            };
            let id = update.update_id;
            if let Err(e) = inbox::store(&self.db, bot_id, update).await {
                // Not stored: the offset stays, Telegram hands it out again.
                tracing::error!(bot = bot_id, error = %e, "inbox insert failed");
                *live = false;
                return Ok(());
            }
            next = next.max(id + 1);
        }
        if !updates.is_empty() {
            self.wake.notify_one();
        }
        if next != row.poll_offset {
            let mut active: bot_rows::ActiveModel = row.into();
            active.poll_offset = Set(next);
            if let Err(e) = active.update(&self.db).await {
                tracing::warn!(bot = bot_id, error = %e, "poll offset not saved; updates will repeat (harmless)");
            }
        }
        Ok(())
    }
}

/// The poller's task should end.
struct Stop;
