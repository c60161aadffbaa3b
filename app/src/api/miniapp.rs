//! The Mini App's server functions. No session: each call carries the `initData`
//! Telegram gave the page, and the service believes only what its signature covers (see
//! `backend::giveaways::miniapp`).

use crate::dto::{MiniBotDto, MiniGiveawayDto, MiniJoinDto};
use crate::error::AppError;
use leptos::prelude::*;

/// A giveaway's page for the user who opened it.
#[server(endpoint = "m/giveaway")]
pub async fn mini_giveaway(id: String, init_data: String) -> Result<MiniGiveawayDto, AppError> {
    use crate::dto::MiniConditionDto;
    let call = crate::server::Call::start()?;
    let deps = call.deps();
    let p = backend::giveaways::miniapp::giveaway_page(deps, &id, &init_data).await?;
    let o = p.offer;
    Ok(MiniGiveawayDto {
        id: o.public_id.to_string(),
        secs_left: (o.ends_at - deps.clock.now()).num_seconds(),
        conditions: p
            .conditions
            .into_iter()
            .map(|(chat, met)| MiniConditionDto { chat, met })
            .collect(),
        captcha: p.captcha.map(|c| (c.a, c.b, c.choices)),
        title: o.title,
        description: o.description,
        prizes: o.prizes,
        entries: o.entries,
        status: o.status,
        commitment: o.commitment,
        entry: p.entry,
        winners: p.winners,
        bot_username: p.bot_username,
        locale: p.locale,
    })
}

/// Joins the giveaway as the user who opened the page (`answer`: to its captcha).
#[server(endpoint = "m/join")]
pub async fn mini_join(
    id: String,
    init_data: String,
    answer: Option<u8>,
) -> Result<MiniJoinDto, AppError> {
    let call = crate::server::Call::start()?;
    let Some(joiner) = call.ctx.joiner.upgrade() else {
        // The server is shutting down: nothing was done.
        return Err(AppError::Busy {
            retry_after_secs: 5,
        });
    };
    let a =
        backend::giveaways::miniapp::join(call.deps(), &joiner, &id, &init_data, answer).await?;
    Ok(MiniJoinDto {
        joined: a.joined,
        text: a.text,
    })
}

/// A bot's page: its open giveaways and the user's entries.
#[server(endpoint = "m/bot")]
pub async fn mini_bot(bot: String, init_data: String) -> Result<MiniBotDto, AppError> {
    use crate::dto::{MiniEntryDto, MiniOfferDto};
    let call = crate::server::Call::start()?;
    let deps = call.deps();
    let now = deps.clock.now();
    let p = backend::giveaways::miniapp::bot_page(deps, &bot, &init_data).await?;
    Ok(MiniBotDto {
        shop: p.shop,
        open: p
            .open
            .into_iter()
            .map(|o| MiniOfferDto {
                id: o.public_id.to_string(),
                title: o.title,
                entries: o.entries,
                secs_left: (o.ends_at - now).num_seconds(),
            })
            .collect(),
        mine: p
            .mine
            .into_iter()
            .map(|e| MiniEntryDto {
                id: e.public_id.to_string(),
                title: e.title,
                number: e.number,
                status: e.status,
                prize: e.prize,
            })
            .collect(),
        locale: p.locale,
    })
}
