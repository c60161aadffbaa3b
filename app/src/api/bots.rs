//! The tenant's bots.

use crate::dto::{BotDto, BotsDto};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
fn to_dto(b: backend::bots::BotSummary) -> BotDto {
    BotDto {
        id: b.public_id.to_string(),
        username: b.username,
        enabled: b.enabled,
        mode: b.mode,
        status: b.status,
        status_reason: b.status_reason,
        webhook_url: b.webhook_url,
    }
}

#[server(endpoint = "bots/list")]
pub async fn list_bots() -> Result<BotsDto, AppError> {
    let call = crate::server::Call::start()?;
    let p = call.principal().await?;
    let bots = backend::bots::list(call.deps(), &p.scope).await?;
    Ok(BotsDto {
        bots: bots.into_iter().map(to_dto).collect(),
        max_bots: backend::accounts::plans::limits(call.db(), &p.scope)
            .await?
            .bots,
        webhooks_possible: call.deps().webhooks_possible(),
    })
}

/// Connects a bot by its token. The token never comes back.
#[server(endpoint = "bots/connect")]
pub async fn connect_bot(token: String) -> Result<BotDto, AppError> {
    let call = crate::server::Call::start()?;
    let scope = call.principal().await?.writer()?;
    let bot = backend::bots::connect(call.deps(), &scope, &token).await?;
    call.redirect_plain_form("/bots");
    Ok(to_dto(bot))
}

/// Enables ("true") or disables ("false") a bot; its data stays.
#[server(endpoint = "bots/enabled")]
pub async fn set_bot_enabled(id: String, enabled: String) -> Result<BotDto, AppError> {
    let call = crate::server::Call::start()?;
    let enabled = match enabled.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(AppError::BadRequest),
    };
    let scope = call.principal().await?.writer()?;
    let id = crate::server::public_id(&id)?;
    let bot = backend::bots::set_enabled(call.deps(), &scope, &id, enabled).await?;
    call.redirect_plain_form("/bots");
    Ok(to_dto(bot))
}

/// Disables a bot and forgets its token and inbox.
#[server(endpoint = "bots/remove")]
pub async fn remove_bot(id: String) -> Result<(), AppError> {
    let call = crate::server::Call::start()?;
    let scope = call.principal().await?.writer()?;
    let id = crate::server::public_id(&id)?;
    backend::bots::remove(call.deps(), &scope, &id).await?;
    call.redirect_plain_form("/bots");
    Ok(())
}

/// Puts a new token on an existing bot. The token never comes back.
#[server(endpoint = "bots/token")]
pub async fn replace_bot_token(id: String, token: String) -> Result<BotDto, AppError> {
    let call = crate::server::Call::start()?;
    let scope = call.principal().await?.writer()?;
    let id = crate::server::public_id(&id)?;
    let bot = backend::bots::replace_token(call.deps(), &scope, &id, &token).await?;
    call.redirect_plain_form("/bots");
    Ok(to_dto(bot))
}

/// Moves a bot to "webhook" or "polling", without a restart; the choice sticks.
#[server(endpoint = "bots/mode")]
pub async fn set_bot_mode(id: String, mode: String) -> Result<BotDto, AppError> {
    let call = crate::server::Call::start()?;
    let scope = call.principal().await?.writer()?;
    let id = crate::server::public_id(&id)?;
    let bot = backend::bots::switch_mode(call.deps(), &scope, &id, &mode).await?;
    call.redirect_plain_form("/bots");
    Ok(to_dto(bot))
}
