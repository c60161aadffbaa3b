//! The tenant's Usage page: Bot API calls, webhook health, queues and entries per bot.

use crate::dto::UsageDto;
use crate::error::AppError;
use leptos::prelude::*;

/// `bot`: a bot's id (empty: the first); `range`: "hour", "day" or "month".
#[server(endpoint = "usage/get")]
pub async fn get_usage(
    #[server(default)] bot: String,
    #[server(default)] range: String,
) -> Result<UsageDto, AppError> {
    use backend::ops::usage::Range;
    let call = crate::server::Call::start()?;
    let p = call.principal().await?;
    let range_code = if range.is_empty() {
        "day"
    } else {
        range.as_str()
    };
    let r = Range::from_code(range_code).ok_or(AppError::BadRequest)?;
    let bots = backend::bots::list(call.deps(), &p.scope).await?;
    let choices: Vec<(String, String)> = bots
        .iter()
        .map(|b| (b.public_id.to_string(), format!("@{}", b.username)))
        .collect();
    let chosen = if bot.is_empty() {
        choices.first().map(|c| c.0.clone())
    } else {
        Some(bot)
    };
    let Some(bot) = chosen else {
        // No bot yet: the page says how to get one.
        return Ok(UsageDto {
            bots: choices,
            range: range_code.to_owned(),
            ..UsageDto::default()
        });
    };
    let bot_id = crate::server::public_id(&bot)?;
    let u =
        backend::ops::usage::bot_usage(call.db(), &p.scope, &bot_id, r, chrono::Utc::now()).await?;
    let label = match r {
        Range::Hour => "%H:%M",
        Range::Day => "%d %H:00",
        Range::Month => "%m-%d",
    };
    Ok(UsageDto {
        bots: choices,
        bot: Some(bot),
        range: range_code.to_owned(),
        mode: Some(u.bot.mode),
        labels: u
            .calls
            .starts
            .iter()
            .map(|t| t.format(label).to_string())
            .collect(),
        counts: u.calls.counts,
        by_method: u.calls.by_method,
        webhook_pending: u.bot.webhook_pending,
        webhook_last_error: u.bot.webhook_last_error,
        webhook_checked_at: u
            .bot
            .webhook_checked_at
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        inbox_pending: u.inbox_pending,
        inbox_lag_secs: u.inbox_lag_secs,
        outbox_pending: u.outbox_pending,
        outbox_oldest_secs: u.outbox_oldest_secs,
        entries_per_day: u.entries_per_day,
        polls_last_minute: u.polls_last_minute,
    })
}
