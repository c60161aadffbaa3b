//! One module per route.

pub mod auth;
pub mod bots;
pub mod giveaways;
pub mod mini;
pub mod not_found;
pub mod operator;
pub mod overview;
pub mod prize_codes;
pub mod settings;
pub mod shell;
pub mod usage;
pub mod verify;
