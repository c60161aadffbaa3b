//! SeaORM entities, one module per table, in the shape `sea-orm-cli generate entity` writes.
//! Queries live in the services, never here. Columns are typed: ids are `crate::ids`
//! newtypes, states and kinds are `domain` enums (or, where only the server sees them,
//! the `ActiveEnum`s beside their table).

pub mod accounts;
pub mod api_calls;
pub mod bots;
pub mod claims;
pub mod entries;
pub mod giveaways;
pub mod inbox;
pub mod login_failures;
pub mod nodes;
pub mod outbox;
pub mod platform_settings;
pub mod prize_codes;
pub mod referral_links;
pub mod sessions;
pub mod telegram_users;
pub mod tenants;
