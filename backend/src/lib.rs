//! Tombola's server side: persistence, accounts, bots, giveaways, the Telegram pipeline
//! and the process's background loops. No other crate touches SQL. Tenant data is
//! reachable only through a [`tenancy::TenantScope`] (a [`tenancy::WriterScope`] to
//! change it), built from an authenticated account or, for the handlers, a verified bot.
//!
//! # Layers
//!
//! Each module may import only the ones below it; `tests/layers.rs` checks it (and that
//! no import cycle exists between the top-level modules).
//!
//! | layer | modules | holds |
//! |---|---|---|
//! | foundation | `error`, `ids`, `entities`, `db`, `crypto`, `clock`, `stop`, `tenancy`, `leases`, `webhook_index`, `botapi`, `beacon`, `deps` | typed errors and ids, the tables, token sealing, time, the stop signal, scopes, bot leases, webhook id → bot, the Bot API client and limiter, the randomness beacon's relays, the shared [`deps::Deps`] |
//! | `accounts/` | accounts, passwords, login throttle, sessions, settings, platform, plans | who the tenants are and what they may have |
//! | `telegram/` | inbox, workers, dialog, poller, outbox, membership | the bots' side of the pipeline; knows no feature |
//! | `bots/` | connect, lifecycle, mode, webhooks | a tenant's bots |
//! | `giveaways/` | form, manage, entries, admission, joiner, bot, miniapp, publication, scheduler, draw | giveaways, the join queue, and the ways in: the dialog feature and the Mini App |
//! | `ops/` | runtime, cluster, usage, metrics, upkeep | running the process |

pub mod accounts;
pub mod beacon;
pub mod botapi;
pub mod bots;
pub mod clock;
pub mod crypto;
pub mod db;
pub mod deps;
pub mod entities;
pub mod error;
pub mod giveaways;
pub mod ids;
pub mod leases;
pub mod ops;
pub mod stop;
pub mod telegram;
pub mod tenancy;
pub mod webhook_index;

pub use deps::Deps;
pub use error::ServiceError;
pub use sea_orm::DatabaseConnection;
