//! Schema migrations. The server applies every pending one at start-up, on SQLite and on
//! PostgreSQL alike; each migration is written once, in sea-query, for both.

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_accounts;
mod m20261126_000002_bots_inbox;
mod m20261126_000003_telegram_users;
mod m20261126_000004_plans_modes;
mod m20261126_000005_giveaways;
mod m20261126_000006_operate;
mod m20261202_000007_inbox_outcome;
mod m20261203_000008_draw_tickets;
mod m20261203_000009_referrals;
mod m20261203_000010_entry_rules;
mod m20261203_000011_rerolls;
mod m20261203_000012_claims;
mod m20261203_000013_prize_codes;
mod m20261203_000014_beacon;
mod m20261204_000015_inbox_waiting;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_accounts::Migration),
            Box::new(m20261126_000002_bots_inbox::Migration),
            Box::new(m20261126_000003_telegram_users::Migration),
            Box::new(m20261126_000004_plans_modes::Migration),
            Box::new(m20261126_000005_giveaways::Migration),
            Box::new(m20261126_000006_operate::Migration),
            Box::new(m20261202_000007_inbox_outcome::Migration),
            Box::new(m20261203_000008_draw_tickets::Migration),
            Box::new(m20261203_000009_referrals::Migration),
            Box::new(m20261203_000010_entry_rules::Migration),
            Box::new(m20261203_000011_rerolls::Migration),
            Box::new(m20261203_000012_claims::Migration),
            Box::new(m20261203_000013_prize_codes::Migration),
            Box::new(m20261203_000014_beacon::Migration),
            Box::new(m20261204_000015_inbox_waiting::Migration),
        ]
    }
}
