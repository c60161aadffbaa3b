//! HTTP-level tests of the real router on a real port, each on a fresh database.
//! Every test runs on SQLite and, when `TOMBOLA_TEST_POSTGRES_URL` is set, on PostgreSQL.

mod helpers;

mod accounts;
mod beacon;
mod bots;
mod cluster;
mod entry_rules;
mod giveaways;
mod guards;
mod hostile;
mod init_data;
mod metrics;
mod miniapp;
mod pages;
mod prize_codes;
mod referrals;
mod rerolls;
mod webhook;
