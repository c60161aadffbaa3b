//! [`Deps`]: the parts of the running process that services and background loops share,
//! built once at start-up (by the server, or a test) and cloned cheaply. Every loop of
//! `ops::runtime` and every service that needs more than the database takes `&Deps`.
//!
//! Foundation: imports `botapi`, `clock`, `crypto`, `db`, `ids`, `leases`, `webhook_index`.

use crate::botapi::{Limiter, TelegramApi};
use crate::clock::Clock;
use crate::crypto::TokenCipher;
use crate::db::WriteGate;
use crate::ids::BotId;
use crate::leases::Leases;
use crate::webhook_index::WebhookIndex;
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// Shared by everything that runs; cloning shares the same parts (one `Arc`: a request
/// or a task takes its copy for the cost of one count).
#[derive(Clone)]
pub struct Deps(Arc<Parts>);

/// What [`Deps`] holds; reached through `deps.db`, `deps.api`, … (`Deref`).
pub struct Parts {
    pub db: DatabaseConnection,
    /// This process's queue of hot writes to SQLite ([`crate::db::WriteGate`]).
    pub writes: Arc<WriteGate>,
    /// Seals bot tokens and draw seeds; derives webhook secrets, pseudonyms, captchas.
    pub cipher: Arc<TokenCipher>,
    /// The Bot API (Telegram's, a self-hosted server, or the simulator).
    pub api: TelegramApi,
    /// Keeps each bot within Telegram's rate limits; one per process.
    pub limiter: Arc<Limiter>,
    /// The scheduler's time (moved only by tests with `test-clock`).
    pub clock: Clock,
    /// Which bots this process acts for.
    pub leases: Leases,
    /// Wakes the loops when there is work for them.
    pub wake: Wakes,
    /// The running pollers, so a change to a bot can stop its poller at once.
    pub polls: PollTasks,
    /// Webhook id → bot, from memory.
    pub webhooks: WebhookIndex,
    /// The URL people and Telegram reach the server at, without a trailing slash.
    pub public_url: Arc<str>,
    /// What dates an account from its user id (the "minimum account age" rule).
    pub account_ages: domain::giveaway::account_age::Table,
    /// The randomness beacon new giveaways bind their draws to (`None`: off, v2 draws).
    pub beacon: Option<crate::beacon::Beacon>,
}

impl Deps {
    /// Builds the shared parts around a connected database.
    pub fn new(
        db: DatabaseConnection,
        cipher: TokenCipher,
        api: TelegramApi,
        public_url: &str,
        account_ages: domain::giveaway::account_age::Table,
        beacon: Option<crate::beacon::Beacon>,
    ) -> Deps {
        Deps(Arc::new(Parts {
            leases: Leases::new(db.clone()),
            writes: Arc::new(WriteGate::for_db(&db)),
            db,
            cipher: Arc::new(cipher),
            api,
            limiter: Arc::default(),
            clock: Clock::default(),
            wake: Wakes::default(),
            polls: PollTasks::default(),
            webhooks: WebhookIndex::default(),
            public_url: public_url.trim_end_matches('/').into(),
            account_ages,
            beacon,
        }))
    }

    /// Whether bots can receive updates by webhook: Telegram delivers only to https.
    pub fn webhooks_possible(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// The Mini App page at `path` (e.g. `/m/g/<id>`), when bots can offer it: Telegram
    /// opens Mini Apps only from https addresses (the same condition as webhooks).
    pub fn mini_app_url(&self, path: &str) -> Option<reqwest::Url> {
        if !self.webhooks_possible() {
            return None;
        }
        reqwest::Url::parse(&format!("{}{path}", self.public_url)).ok()
    }
}

impl std::ops::Deref for Deps {
    type Target = Parts;
    fn deref(&self) -> &Parts {
        &self.0
    }
}

impl std::fmt::Debug for Deps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deps")
            .field("api", &self.api)
            .field("leases", &self.leases)
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

/// One wake-up per loop: a service that created work says so, and the loop looks at once
/// instead of at its next tick.
#[derive(Clone, Default, Debug)]
pub struct Wakes {
    /// An update was stored.
    pub inbox: Arc<Notify>,
    /// Messages were written to the outbox, or bots arrived whose messages wait.
    pub sender: Arc<Notify>,
    /// A giveaway was published, or the test clock moved.
    pub scheduler: Arc<Notify>,
    /// A bot was connected, enabled, switched or got a new token: poll what should be.
    pub pollers: Arc<Notify>,
}

/// The poller task of each polled bot. Held here (not by the poller loop alone) so that
/// switching a bot to webhook stops its long poll before `setWebhook`.
#[derive(Clone, Default)]
pub struct PollTasks(Arc<Mutex<HashMap<BotId, JoinHandle<()>>>>);

impl std::fmt::Debug for PollTasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PollTasks({} running)", self.running())
    }
}

impl PollTasks {
    fn tasks(&self) -> std::sync::MutexGuard<'_, HashMap<BotId, JoinHandle<()>>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many bots are being polled.
    pub fn running(&self) -> usize {
        self.tasks().values().filter(|t| !t.is_finished()).count()
    }

    /// Whether `bot` has a live poller.
    pub fn is_running(&self, bot: BotId) -> bool {
        self.tasks().get(&bot).is_some_and(|t| !t.is_finished())
    }

    /// Starts `spawn()` as `bot`'s poller unless one runs.
    pub fn start_with(&self, bot: BotId, spawn: impl FnOnce() -> JoinHandle<()>) {
        let mut tasks = self.tasks();
        if tasks.get(&bot).is_some_and(|t| !t.is_finished()) {
            return;
        }
        tasks.insert(bot, spawn());
    }

    /// Stops `bot`'s poller now (an update fetched but not stored is fetched again).
    pub fn stop(&self, bot: BotId) {
        if let Some(t) = self.tasks().remove(&bot) {
            t.abort();
        }
    }

    /// The bots with a poller.
    pub fn bots(&self) -> Vec<BotId> {
        self.tasks().keys().copied().collect()
    }

    /// Stops every poller (at shutdown).
    pub fn stop_all(&self) {
        for (_, t) in self.tasks().drain() {
            t.abort();
        }
    }
}
