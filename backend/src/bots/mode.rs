//! Webhook or long polling: what the platform's public URL allows, what the tenant
//! chose, and moving a bot between the two at run time.

use super::{BotSummary, find_owned, lifecycle, reread};
use crate::ServiceError;
use crate::crypto::open_token;
use crate::deps::Deps;
use crate::entities::bots;
use crate::tenancy::WriterScope;
use chrono::Utc;
use domain::{BotMode, Field, PublicId, ValidationError};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use teloxide::prelude::Requester;

/// Whether webhooks can work: Telegram delivers only to https addresses.
pub fn webhooks_possible(public_url: &str) -> bool {
    public_url.starts_with("https://")
}

/// Moves a bot between webhook and polling at run time, as its tenant chose (`mode` is
/// "webhook" or "polling"); the choice sticks across restarts.
pub async fn switch_mode(
    deps: &Deps,
    scope: &WriterScope,
    public_id: &PublicId,
    mode: &str,
) -> Result<BotSummary, ServiceError> {
    let mode = match BotMode::from_code(mode) {
        Some(BotMode::Webhook) if !webhooks_possible(&deps.public_url) => {
            return Err(ServiceError::invalid(
                Field::Mode,
                ValidationError::WebhookNeedsHttps,
            ));
        }
        Some(mode) => mode,
        None => {
            return Err(ServiceError::invalid(
                Field::Mode,
                ValidationError::Required,
            ));
        }
    };
    let row = find_owned(&deps.db, scope, public_id).await?;
    if mode == BotMode::Webhook {
        // Before setWebhook: a long poll in flight would otherwise take the webhook away.
        deps.polls.stop(row.id);
    }
    let (enabled, previous) = (row.enabled, row.mode);
    let token = open_token(&deps.cipher, &row);
    let (tenant_id, bot_id) = (row.tenant_id, row.id);
    let mut active: bots::ActiveModel = row.into();
    active.mode = Set(mode);
    active.mode_chosen = Set(true);
    active.updated_at = Set(Utc::now());
    active.update(&deps.db).await?;
    deps.webhooks.forget(bot_id);
    tracing::info!(tenant = %scope.tenant_id(), from = %previous, to = %mode, "bot mode switched");
    if !enabled {
        return reread(deps, scope, public_id).await;
    }
    if previous == BotMode::Webhook
        && mode == BotMode::Polling
        && let Ok(token) = token
    {
        // The poller would also clear it on its first 409; doing it here is quicker.
        let _ = deps
            .api
            .meter(tenant_id, bot_id)
            .count("deleteWebhook", deps.api.bot(&token).delete_webhook().await);
    }
    // The enable path does the rest: setWebhook, or "starting" for the poller.
    lifecycle::set_enabled(deps, scope, public_id, true).await
}

/// At start-up, before pollers resume: without a public https URL every webhook bot
/// moves to polling (its webhook is cleared by the poller's first 409); with one, every
/// polling bot whose tenant did not choose polling moves to webhook (set by
/// [`super::resume_webhooks`]). Only rows change here, no Telegram call. Returns how many
/// bots moved (to webhook, to polling).
pub async fn reconcile_modes(
    db: &impl ConnectionTrait,
    public_url: &str,
) -> Result<(u64, u64), ServiceError> {
    let (from, to, only_unchosen) = if webhooks_possible(public_url) {
        (BotMode::Polling, BotMode::Webhook, true)
    } else {
        (BotMode::Webhook, BotMode::Polling, false)
    };
    let mut q = bots::Entity::update_many()
        .col_expr(bots::Column::Mode, Expr::value(to))
        .col_expr(bots::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(bots::Column::Mode.eq(from));
    if only_unchosen {
        q = q.filter(bots::Column::ModeChosen.eq(false));
    }
    let moved = q.exec(db).await?.rows_affected;
    if moved > 0 {
        tracing::info!(bots = moved, %from, %to, "bots moved at start-up");
    }
    Ok(if to == BotMode::Webhook {
        (moved, 0)
    } else {
        (0, moved)
    })
}
