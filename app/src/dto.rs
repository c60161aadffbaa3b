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

/// The Bots page: the tenant's bots and what its plan and the platform allow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotsDto {
    pub bots: Vec<BotDto>,
    /// The plan's bot limit.
    pub max_bots: u32,
    /// Whether the platform has a public https address (so a bot can run by webhook).
    pub webhooks_possible: bool,
}

/// A tenant in the operator's console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantDto {
    pub id: String,
    pub name: String,
    pub plan: domain::Plan,
    pub bots: u64,
    /// RFC 3339, UTC.
    pub created_at: String,
}
