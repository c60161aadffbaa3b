//! Server functions: each resolves the caller, calls one service, maps the result.

pub mod auth;
pub mod bots;
pub mod giveaways;
pub mod i18n;
pub mod miniapp;
pub mod operator;
pub mod settings;
pub mod usage;
