//! Tombola's pure rules. Nothing here does I/O, so the same code runs on the server and,
//! compiled to wasm, in the browser (the verify page, form validation).

pub mod account;
pub mod bot_text;
pub mod bot_token;
pub mod draw;
pub mod giveaway;
pub mod locale;
pub mod plan;

pub use account::{DisplayName, Email, Password, ValidationError};
pub use bot_token::{BotToken, BotTokenError};
pub use locale::Locale;
pub use plan::{Plan, PlanLimits};
