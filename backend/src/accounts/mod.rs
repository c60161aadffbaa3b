//! Tenants and the people who run them: accounts (sign-up, login, the session's
//! principal), password hashing, login throttling, the session store, tenant settings,
//! the operator's platform settings and console, and the limits of each tenant's plan.
//!
//! May import: the foundation (`entities`, `error`, `ids`, `tenancy`). Nothing here knows
//! about bots, giveaways or Telegram.

pub mod account;
pub mod password;
pub mod plans;
pub mod platform;
pub mod session_store;
pub mod settings;
pub mod throttle;

pub use account::{
    DEFAULT_TIME_ZONE, Principal, SignupInput, create_operator, log_in, resolve_session,
    set_account_locale, sign_up,
};
pub use settings::{TenantSettings, settings, time_zone_names, update_settings};
pub use throttle::LoginLimits;
