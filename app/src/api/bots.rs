//! The tenant's bots.

use crate::dto::BotDto;
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
pub async fn list_bots() -> Result<Vec<BotDto>, AppError> {
    let call = crate::server::Call::start()?;
    let p = call.principal().await?;
    let bots = backend::bots::list(call.db(), &p.scope, &call.ctx.public_url).await?;
    Ok(bots.into_iter().map(to_dto).collect())
}

/// Connects a bot by its token. The token never comes back.
#[server(endpoint = "bots/connect")]
pub async fn connect_bot(token: String) -> Result<BotDto, AppError> {
    let call = crate::server::Call::start()?;
    let p = call.principal().await?;
    let connector = backend::bots::Connector {
        cipher: &call.ctx.cipher,
        api: &call.ctx.telegram,
        public_url: &call.ctx.public_url,
    };
    let bot = backend::bots::connect(call.db(), &p.scope, connector, &token).await?;
    if bot.mode == backend::bots::MODE_POLLING {
        call.ctx.pollers.start(bot.id);
    }
    call.redirect_plain_form("/bots");
    Ok(to_dto(bot))
}
