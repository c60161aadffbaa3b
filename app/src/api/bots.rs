//! The tenant's bots.

use crate::dto::{BotDto, BotsDto};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
fn to_dto(b: backend::bots::BotSummary) -> BotDto {
    BotDto {
        id: b.public_id,
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
    let bots = backend::bots::list(call.db(), &p.scope, &call.ctx.public_url).await?;
    Ok(BotsDto {
        bots: bots.into_iter().map(to_dto).collect(),
        max_bots: backend::plans::limits(call.db(), &p.scope).await?.bots,
        webhooks_possible: backend::bots::webhooks_possible(&call.ctx.public_url),
    })
}

/// Connects a bot by its token. The token never comes back.
#[server(endpoint = "bots/connect")]
pub async fn connect_bot(token: String) -> Result<BotDto, AppError> {
    let call = crate::server::Call::start()?;
    let p = call.principal().await?;
    p.writer()?; // a suspended tenant changes nothing
    let bot = backend::bots::connect(call.db(), &p.scope, connector(&call), &token).await?;
    if bot.mode == backend::bots::MODE_POLLING {
        call.ctx.pollers.start(bot.id);
    }
    call.redirect_plain_form("/bots");
    Ok(to_dto(bot))
}

#[cfg(feature = "ssr")]
fn connector(call: &crate::server::Call) -> backend::bots::Connector<'_> {
    backend::bots::Connector {
        cipher: &call.ctx.cipher,
        api: &call.ctx.telegram,
        public_url: &call.ctx.public_url,
    }
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
    let p = call.principal().await?;
    p.writer()?; // a suspended tenant changes nothing
    let bot =
        backend::bots::set_enabled(call.db(), &p.scope, connector(&call), &id, enabled).await?;
    if bot.mode == backend::bots::MODE_POLLING {
        if enabled {
            call.ctx.pollers.start(bot.id);
        } else {
            call.ctx.pollers.stop(bot.id);
        }
    }
    call.redirect_plain_form("/bots");
    Ok(to_dto(bot))
}

/// Disables a bot and forgets its token and inbox.
#[server(endpoint = "bots/remove")]
pub async fn remove_bot(id: String) -> Result<(), AppError> {
    let call = crate::server::Call::start()?;
    let p = call.principal().await?;
    p.writer()?; // a suspended tenant changes nothing
    let row_id = backend::bots::remove(call.db(), &p.scope, connector(&call), &id).await?;
    call.ctx.pollers.stop(row_id);
    call.redirect_plain_form("/bots");
    Ok(())
}

/// Puts a new token on an existing bot. The token never comes back.
#[server(endpoint = "bots/token")]
pub async fn replace_bot_token(id: String, token: String) -> Result<BotDto, AppError> {
    let call = crate::server::Call::start()?;
    let p = call.principal().await?;
    p.writer()?; // a suspended tenant changes nothing
    let bot =
        backend::bots::replace_token(call.db(), &p.scope, connector(&call), &id, &token).await?;
    if bot.mode == backend::bots::MODE_POLLING && bot.enabled {
        call.ctx.pollers.stop(bot.id);
        call.ctx.pollers.start(bot.id);
    }
    call.redirect_plain_form("/bots");
    Ok(to_dto(bot))
}

/// Moves a bot to "webhook" or "polling", without a restart; the choice sticks.
#[server(endpoint = "bots/mode")]
pub async fn set_bot_mode(id: String, mode: String) -> Result<BotDto, AppError> {
    let call = crate::server::Call::start()?;
    let p = call.principal().await?;
    p.writer()?; // a suspended tenant changes nothing
    let c = connector(&call);
    if mode == backend::bots::MODE_WEBHOOK && backend::bots::webhooks_possible(c.public_url) {
        // Before setWebhook: a long poll in flight would otherwise take the webhook away.
        if let Some(b) = backend::bots::list(call.db(), &p.scope, c.public_url)
            .await?
            .into_iter()
            .find(|b| b.public_id == id)
        {
            call.ctx.pollers.stop(b.id);
        }
    }
    let bot = backend::bots::switch_mode(call.db(), &p.scope, c, &id, &mode).await?;
    if bot.mode == backend::bots::MODE_POLLING && bot.enabled {
        call.ctx.pollers.start(bot.id);
    }
    call.redirect_plain_form("/bots");
    Ok(to_dto(bot))
}
