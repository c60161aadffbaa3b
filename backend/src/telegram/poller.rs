//! Long polling for bots without a public https webhook: one lightweight task per bot
//! this process owns (see [`crate::leases`]: no bot is polled by two processes),
//! `getUpdates` with the offset persisted in the bot's row, every update written to the
//! same inbox as webhooks before the offset moves past it.

use super::dialog::allowed_updates;
use super::inbox::{self, IncomingUpdate};
use super::set_bot_status;
use crate::deps::Deps;
use crate::entities::bots as bot_rows;
use crate::error::TelegramError;
use crate::ids::BotId;
use domain::{BotMode, BotStatus, StatusReason};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use serde_json::{Value, json};
use std::time::Duration;

/// Seconds a getUpdates call waits on the server for something to arrive.
pub const LONG_POLL_SECS: u64 = 25;

/// After an answer with no update (Telegram's comes after [`LONG_POLL_SECS`]; a proxy or
/// an emulator that does not hold the call answers at once), the next `getUpdates` starts
/// at least this long after the previous one did: at most 60 polls a minute for a bot,
/// however fast the server answers. An answer with updates is followed at once.
pub const MIN_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// The first pause after a failed poll; it doubles per failure up to [`MAX_BACKOFF`],
/// each pause drawn between half and all of it (jitter, so that many bots failing
/// together do not retry together).
pub const FIRST_BACKOFF: Duration = Duration::from_millis(500);
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Starts and stops the pollers; their tasks are `deps.polls`. Cloning shares them.
#[derive(Clone)]
pub struct Pollers {
    deps: Deps,
}

impl std::fmt::Debug for Pollers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pollers({} running)", self.running())
    }
}

impl Pollers {
    pub fn new(deps: Deps) -> Pollers {
        Pollers { deps }
    }

    /// How many bots are being polled.
    pub fn running(&self) -> usize {
        self.deps.polls.running()
    }

    /// Starts polling a bot (no-op when it already runs). A bot another process owns is
    /// left to it: that process starts polling at its next beat.
    pub fn start(&self, bot_id: BotId) {
        let me = self.clone();
        self.deps.polls.start_with(bot_id, move || {
            tokio::spawn(tracing::Instrument::instrument(
                async move {
                    let leases = &me.deps.leases;
                    if !leases.owns(bot_id) && !leases.claim(bot_id).await.unwrap_or(false) {
                        return;
                    }
                    me.run(bot_id).await
                },
                tracing::info_span!("poller", bot = %bot_id),
            ))
        });
    }

    /// Polls exactly the polling bots this process owns: stops the others (a lease given
    /// back or lapsed), starts the missing ones. Run at start-up, after every beat and
    /// when a service says a bot changed (`deps.wake.pollers`).
    pub async fn sync(&self) -> Result<usize, crate::ServiceError> {
        let leases = &self.deps.leases;
        for id in self.deps.polls.bots() {
            if !leases.owns(id) {
                self.deps.polls.stop(id);
            }
        }
        let ids: Vec<BotId> = bot_rows::Entity::find()
            .select_only()
            .column(bot_rows::Column::Id)
            .filter(bot_rows::Column::Owner.eq(leases.node_id()))
            .filter(bot_rows::Column::Enabled.eq(true))
            .filter(bot_rows::Column::Mode.eq(BotMode::Polling))
            .filter(bot_rows::Column::Status.ne(BotStatus::Revoked))
            .into_tuple()
            .all(&self.deps.db)
            .await?;
        for id in ids {
            if leases.owns(id) {
                self.start(id);
            }
        }
        Ok(self.running())
    }

    /// Stops every poller (at shutdown): an update fetched but not stored is fetched
    /// again, as the offset only moves past stored ones.
    pub fn stop_all(&self) {
        self.deps.polls.stop_all();
    }

    async fn run(&self, bot_id: BotId) {
        let mut backoff = FIRST_BACKOFF;
        let mut live = false;
        loop {
            if !self.deps.leases.owns(bot_id) {
                return; // another process polls it now
            }
            let started = tokio::time::Instant::now();
            match self.poll_once(bot_id, &mut live).await {
                Err(Stop) => return,
                Ok(Polled::Updates) => backoff = FIRST_BACKOFF,
                Ok(Polled::Nothing) => {
                    backoff = FIRST_BACKOFF;
                    tokio::time::sleep_until(started + MIN_POLL_INTERVAL).await;
                }
                Ok(Polled::Failed) => {
                    // Growing pauses while Telegram or the database is unwell.
                    tokio::time::sleep(jittered(backoff)).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// One getUpdates round. `Err(Stop)` ends the task (bot gone, disabled or revoked).
    async fn poll_once(&self, bot_id: BotId, live: &mut bool) -> Result<Polled, Stop> {
        let deps = &self.deps;
        let row = match bot_rows::Entity::find_by_id(bot_id).one(&deps.db).await {
            Ok(Some(r)) if r.enabled && r.mode == BotMode::Polling => r,
            Ok(_) => return Err(Stop),
            Err(e) => {
                tracing::warn!(bot = %bot_id, error = %e, "poller cannot read its bot");
                *live = false;
                return Ok(Polled::Failed);
            }
        };
        let token = match deps.cipher.open(row.public_id.as_str(), &row.token_sealed) {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(bot = %bot_id, error = %e, "bot token does not open; polling stops");
                let _ = set_bot_status(
                    deps,
                    bot_id,
                    BotStatus::Error,
                    Some(StatusReason::TokenUnreadable),
                )
                .await;
                return Err(Stop);
            }
        };
        // Until the bot is live, ask without waiting: the answer is what makes it live.
        let timeout = if *live { LONG_POLL_SECS } else { 0 };
        let body = json!({
            "offset": row.poll_offset,
            "timeout": timeout,
            "allowed_updates": allowed_updates(),
        });
        let res = deps
            .api
            .http()
            .post(deps.api.method_url(&token, "getUpdates"))
            .timeout(Duration::from_secs(LONG_POLL_SECS + 15))
            .json(&body)
            .send()
            .await;
        let meter = deps.api.meter(row.tenant_id, bot_id);
        meter.count_status(
            "getUpdates",
            res.as_ref().map_or(0, |r| r.status().as_u16()),
        );
        // Errors are classified, never printed: reqwest's text would carry the URL.
        let answer: Result<Vec<Value>, TelegramError> = match res {
            Err(_) => Err(TelegramError::Unavailable),
            Ok(r) => match (r.status().as_u16(), r.json::<Value>().await) {
                (200, Ok(mut v)) if v["ok"] == true => match v["result"].take() {
                    Value::Array(updates) => Ok(updates),
                    _ => Err(TelegramError::Unreadable("getUpdates")),
                },
                // A 200 whose body is not JSON, or JSON without `"ok": true`.
                (200, _) => Err(TelegramError::Unreadable("getUpdates")),
                (401, _) => Err(TelegramError::TokenRejected),
                (429, Ok(v)) => Err(TelegramError::RetryAfter(
                    v["parameters"]["retry_after"].as_u64().unwrap_or(5),
                )),
                (409, _) => {
                    // A webhook is set (or another poller runs): polling wins for this bot.
                    let deleted = deps
                        .api
                        .http()
                        .post(deps.api.method_url(&token, "deleteWebhook"))
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
            Ok(updates) => updates,
            Err(TelegramError::TokenRejected) => {
                tracing::warn!(bot = %bot_id, "token revoked; polling stops");
                let _ = set_bot_status(
                    deps,
                    bot_id,
                    BotStatus::Revoked,
                    Some(StatusReason::TokenRejected),
                )
                .await;
                return Err(Stop);
            }
            Err(e) => {
                tracing::warn!(bot = %bot_id, error = %e, "getUpdates failed");
                let _ = set_bot_status(deps, bot_id, BotStatus::Error, Some(e.reason())).await;
                if let TelegramError::RetryAfter(s) = e {
                    tokio::time::sleep(Duration::from_secs(s.min(300))).await;
                }
                *live = false;
                return Ok(Polled::Failed);
            }
        };
        if !*live {
            let _ = set_bot_status(deps, bot_id, BotStatus::Live, None).await;
            *live = true;
        }
        let mut next = row.poll_offset;
        let mut batch = Vec::with_capacity(updates.len());
        for raw in &updates {
            // Past every update seen, even one that is not an update we can store.
            if let Some(id) = raw["update_id"].as_i64() {
                next = next.max(id + 1);
            }
            if let Ok(update) = IncomingUpdate::parse(raw.to_string().as_bytes()) {
                batch.push(update);
            }
        }
        let stored = {
            let _turn = deps.writes.enter().await;
            inbox::store_many(&deps.db, bot_id, batch).await
        };
        if let Err(e) = stored {
            // Not stored: the offset stays, Telegram hands them out again.
            tracing::error!(bot = %bot_id, error = %e, "inbox insert failed");
            *live = false;
            return Ok(Polled::Failed);
        }
        if !updates.is_empty() {
            deps.wake.inbox.notify_one();
        }
        if next != row.poll_offset {
            let mut active: bot_rows::ActiveModel = row.into();
            active.poll_offset = Set(next);
            if let Err(e) = active.update(&deps.db).await {
                tracing::warn!(bot = %bot_id, error = %e, "poll offset not saved; updates will repeat (harmless)");
            }
        }
        Ok(if updates.is_empty() {
            Polled::Nothing
        } else {
            Polled::Updates
        })
    }
}

/// The poller's task should end.
struct Stop;

/// How a getUpdates round went.
enum Polled {
    /// Updates came and were stored: ask again at once.
    Updates,
    /// An answer without updates: ask again after [`MIN_POLL_INTERVAL`].
    Nothing,
    /// No usable answer: ask again after a growing pause.
    Failed,
}

/// A pause between half and all of `d`.
fn jittered(d: Duration) -> Duration {
    use rand::Rng;
    let ms = d.as_millis() as u64;
    Duration::from_millis(rand::rng().random_range(ms / 2..=ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_between_half_and_all() {
        for _ in 0..1000 {
            let j = jittered(Duration::from_secs(8));
            assert!((Duration::from_secs(4)..=Duration::from_secs(8)).contains(&j));
        }
        assert_eq!(jittered(Duration::ZERO), Duration::ZERO);
    }
}
