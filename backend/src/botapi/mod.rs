//! How this process calls the Bot API: one HTTP client for every bot ([`TelegramApi`]),
//! the count of every call for the Usage page ([`meter`]), and the per-bot rate limiter
//! that interactive answers and bulk sends share ([`Limiter`]).
//!
//! Foundation: imports `error` and `ids` only. It sits below `deps` (which holds a client
//! and a limiter) so that every folder, `telegram/` included, can reach Telegram without
//! an import cycle.

pub mod client;
pub mod limiter;
pub mod meter;

pub use client::{SEND_TIMEOUT_SECS, TelegramApi, classify, refusal};
pub use limiter::{Limiter, Rate, Rates};
pub use meter::{CallCounts, CallOutcome, Meter};
