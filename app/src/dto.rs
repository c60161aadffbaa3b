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
