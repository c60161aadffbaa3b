//! The Tombola server: configuration, start-up and HTTP routing. `main.rs` only parses
//! the command line; tests build an [`startup::Application`] on a random port.

pub mod config;
pub mod errors;
pub mod exports;
pub mod http_guard;
pub mod metrics;
pub mod serve;
pub mod startup;
pub mod webhook;
