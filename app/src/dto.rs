//! Wire types between the server functions and the pages. No secrets, no row ids.

use domain::Locale;
use serde::{Deserialize, Serialize};

/// The logged-in account, as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub email: String,
    pub tenant_name: String,
    pub is_operator: bool,
}

/// A tenant's settings and the choices the form offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsDto {
    pub company: String,
    pub time_zone: String,
    pub bot_locale: Locale,
    pub time_zones: Vec<String>,
}

/// The operator's view of the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorOverview {
    pub signup_enabled: bool,
    pub tenants: u64,
}

/// A bot on the Bots page. Never the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotDto {
    pub id: String,
    pub username: String,
    pub enabled: bool,
    /// "webhook" or "polling"
    pub mode: String,
    /// "live", "stopped", "revoked" or "error"
    pub status: String,
    pub status_reason: Option<String>,
    pub webhook_url: Option<String>,
}
