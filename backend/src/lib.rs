//! Tombola's server side: persistence, accounts, sessions and tenancy.
//!
//! Everything a `#[server]` function or the binary needs goes through the services
//! here; no other crate touches SQL. Tenant data is reachable only through a
//! [`tenancy::TenantScope`], which can only be built from an authenticated account or, for the
//! handlers, from a verified bot.

pub mod accounts;
pub mod bots;
pub mod clock;
pub mod cluster;
pub mod crypto;
pub mod db;
pub mod entities;
pub mod error;
pub mod giveaways;
pub mod handlers;
pub mod ids;
pub mod inbox;
pub mod limiter;
pub mod metrics;
pub mod outbox;
pub mod password;
pub mod plans;
pub mod platform;
pub mod poller;
pub mod scheduler;
pub mod session_store;
pub mod shutdown;
pub mod telegram;
pub mod tenancy;
pub mod throttle;
pub mod usage;

pub use error::ServiceError;
pub use sea_orm::DatabaseConnection;
