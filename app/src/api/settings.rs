//! A tenant's settings.

use crate::dto::SettingsDto;
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
fn to_dto(s: backend::accounts::TenantSettings) -> SettingsDto {
    SettingsDto {
        company: s.company,
        time_zone: s.time_zone,
        bot_locale: s.bot_locale,
        time_zones: backend::accounts::time_zone_names()
            .map(str::to_owned)
            .collect(),
    }
}

#[server(endpoint = "settings/get")]
pub async fn get_settings() -> Result<SettingsDto, AppError> {
    let call = crate::server::Call::start()?;
    let p = call.principal().await?;
    Ok(to_dto(
        backend::accounts::settings(call.db(), &p.scope).await?,
    ))
}

#[server(endpoint = "settings/save")]
pub async fn save_settings(
    company: String,
    time_zone: String,
    bot_locale: String,
) -> Result<SettingsDto, AppError> {
    let call = crate::server::Call::start()?;
    let scope = call.principal().await?.writer()?;
    let saved =
        backend::accounts::update_settings(call.db(), &scope, &company, &time_zone, &bot_locale)
            .await?;
    Ok(to_dto(saved))
}
