//! Turning a bot's traffic off and on, and removing a bot.

use super::webhooks::{set_webhook, webhook_url};
use super::{BotSummary, find_owned, summary};
use crate::ServiceError;
use crate::botapi::classify;
use crate::crypto::open_token;
use crate::deps::Deps;
use crate::entities::{bots, inbox};
use crate::ids::BotId;
use crate::tenancy::WriterScope;
use chrono::Utc;
use domain::{BotMode, BotStatus, PublicId, StatusReason};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use teloxide::prelude::Requester;

/// Stops or restarts a bot's traffic; its data stays. Webhook bots get their webhook
/// deleted or set again; polling bots have their poller stopped or started.
pub async fn set_enabled(
    deps: &Deps,
    scope: &WriterScope,
    public_id: &PublicId,
    enabled: bool,
) -> Result<BotSummary, ServiceError> {
    let row = find_owned(&deps.db, scope, public_id).await?;
    let bot = deps.api.bot(&open_token(&deps.cipher, &row)?);
    let meter = deps.api.meter(row.tenant_id, row.id);
    let (status, reason) = match (enabled, row.mode) {
        (false, BotMode::Webhook) => {
            match meter.count("deleteWebhook", bot.delete_webhook().await) {
                Ok(_) => (BotStatus::Stopped, None),
                // Telegram keeps delivering, but the route refuses a disabled bot (404).
                Err(e) => (
                    BotStatus::Stopped,
                    Some(classify("deleteWebhook", &e).reason()),
                ),
            }
        }
        (false, BotMode::Polling) => {
            deps.polls.stop(row.id);
            (BotStatus::Stopped, None)
        }
        (true, BotMode::Webhook) => {
            let url = webhook_url(&deps.public_url, &row.webhook_id)?;
            match set_webhook(&bot, &meter, &deps.cipher, url, &row.webhook_id).await {
                Ok(()) => (BotStatus::Live, None),
                Err(e) => (BotStatus::Error, Some(e.reason())),
            }
        }
        (true, BotMode::Polling) => (BotStatus::Stopped, Some(StatusReason::Starting)),
    };
    let mut active: bots::ActiveModel = row.into();
    active.enabled = Set(enabled);
    active.status = Set(status);
    active.status_reason = Set(reason);
    active.updated_at = Set(Utc::now());
    let row = active.update(&deps.db).await?;
    deps.webhooks.forget(row.id);
    if enabled && row.mode == BotMode::Polling {
        deps.wake.pollers.notify_one();
    }
    tracing::info!(
        tenant = %scope.tenant_id(),
        bot = %row.id,
        enabled,
        "bot switched"
    );
    Ok(summary(row, &deps.public_url))
}

/// Disables a bot and forgets it: its token, its inbox. The same token can be connected
/// again afterwards.
pub async fn remove(
    deps: &Deps,
    scope: &WriterScope,
    public_id: &PublicId,
) -> Result<BotId, ServiceError> {
    let row = find_owned(&deps.db, scope, public_id).await?;
    if row.enabled {
        set_enabled(deps, scope, public_id, false).await?;
    }
    deps.polls.stop(row.id);
    deps.webhooks.forget(row.id);
    inbox::Entity::delete_many()
        .filter(inbox::Column::BotId.eq(row.id))
        .exec(&deps.db)
        .await?;
    bots::Entity::delete_by_id(row.id).exec(&deps.db).await?;
    tracing::info!(tenant = %scope.tenant_id(), bot = %row.id, "bot removed");
    Ok(row.id)
}
