//! Tombola's pure rules. Nothing here does I/O, so the same code runs on the server and,
//! compiled to wasm, in the browser (the verify page, form validation).
//!
//! Imports nothing of ours. The `sea-orm` feature (switched on by `backend` only, never in
//! the wasm bundle) lets the states, kinds and ids here be database columns as they are.

mod coded;

pub mod account;
pub mod beacon;
pub mod bot;
pub mod bot_text;
pub mod bot_token;
pub mod draw;
pub mod giveaway;
pub mod ids;
pub mod locale;
pub mod plan;
pub mod refusal;

pub use account::{DisplayName, Email, Password, ValidationError};
pub use bot::{BotMode, BotStatus, StatusReason};
pub use bot_token::{BotToken, BotTokenError};
pub use ids::PublicId;
pub use locale::Locale;
pub use plan::{Plan, PlanLimits, PlanResource};
pub use refusal::{Conflict, Field};
