//! A tenant's own settings: its name, time zone and the language its bots speak.

use crate::ServiceError;
use crate::entities::tenants;
use crate::tenancy::{TenantScope, WriterScope};
use chrono::Utc;
use domain::{DisplayName, Field, Locale, ValidationError};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

/// A tenant's own settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantSettings {
    pub company: String,
    pub time_zone: String,
    pub bot_locale: Locale,
}

pub async fn settings(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
) -> Result<TenantSettings, ServiceError> {
    let tenant = tenants::Entity::find_by_id(scope.tenant_id())
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok(TenantSettings {
        bot_locale: tenant.bot_locale(),
        company: tenant.name,
        time_zone: tenant.time_zone,
    })
}

/// Validates and saves a tenant's settings.
pub async fn update_settings(
    db: &impl ConnectionTrait,
    scope: &WriterScope,
    company: &str,
    time_zone: &str,
    bot_locale: &str,
) -> Result<TenantSettings, ServiceError> {
    let company = DisplayName::parse(company).map_err(ServiceError::validation(Field::Company))?;
    let time_zone =
        parse_time_zone(time_zone).map_err(ServiceError::validation(Field::TimeZone))?;
    let bot_locale = Locale::from_tag(bot_locale).ok_or(ServiceError::invalid(
        Field::BotLocale,
        ValidationError::UnsupportedLanguage,
    ))?;
    let tenant = tenants::Entity::find_by_id(scope.tenant_id())
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut active: tenants::ActiveModel = tenant.into();
    active.name = Set(company.into_inner());
    active.time_zone = Set(time_zone.to_owned());
    active.bot_locale = Set(bot_locale.tag().to_owned());
    active.updated_at = Set(Utc::now());
    let tenant = active.update(db).await?;
    Ok(TenantSettings {
        company: tenant.name,
        time_zone: tenant.time_zone,
        bot_locale,
    })
}

fn parse_time_zone(raw: &str) -> Result<&'static str, ValidationError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(ValidationError::Required);
    }
    raw.parse::<chrono_tz::Tz>()
        .map(|tz| tz.name())
        .map_err(|_| ValidationError::UnknownTimeZone)
}

/// Every IANA time zone name, for the settings form.
pub fn time_zone_names() -> impl Iterator<Item = &'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
}
