//! Connecting a bot by the token a tenant pasted, and putting a new token on a bot after
//! /revoke in @BotFather.

use super::webhooks::{set_webhook, webhook_url};
use super::{BotSummary, find_owned, lifecycle, mode::webhooks_possible, summary};
use crate::ServiceError;
use crate::accounts::plans;
use crate::botapi::classify;
use crate::deps::Deps;
use crate::entities::bots;
use crate::error::on_unique;
use crate::ids::new_public_id;
use crate::tenancy::{TenantScope, WriterScope};
use chrono::Utc;
use domain::{
    BotMode, BotStatus, BotToken, Conflict, Field, PlanLimits, PlanResource, PublicId,
    StatusReason, ValidationError,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
    TransactionTrait,
};
use teloxide::prelude::Requester;

fn parse_token(raw: &str) -> Result<BotToken, ServiceError> {
    BotToken::parse(raw)
        .map_err(|_| ServiceError::invalid(Field::Token, ValidationError::InvalidBotToken))
}

/// Refuses a token whose fingerprint another bot row (other than `except`) already holds.
async fn ensure_token_free(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    fingerprint: &str,
    except: Option<crate::ids::BotId>,
) -> Result<(), ServiceError> {
    match bots::Entity::find()
        .filter(bots::Column::TokenFingerprint.eq(fingerprint))
        .one(db)
        .await?
    {
        Some(other) if Some(other.id) != except => Err(ServiceError::Conflict(
            if other.tenant_id == scope.tenant_id() {
                Conflict::Bot
            } else {
                Conflict::BotElsewhere
            },
        )),
        _ => Ok(()),
    }
}

/// Refuses a new bot when the tenant already has as many as its plan allows.
async fn ensure_bot_slot(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    limits: PlanLimits,
) -> Result<(), ServiceError> {
    let have = bots::Entity::find()
        .filter(bots::Column::TenantId.eq(scope.tenant_id()))
        .count(db)
        .await?;
    plans::ensure_below(limits, PlanResource::Bots, have)
}

/// Connects a tenant's bot: checks the token's shape, refuses a token already connected
/// (here or elsewhere), asks Telegram who the bot is, stores the token sealed, and sets
/// the webhook (or hands the bot to the poller when there is no public https URL).
pub async fn connect(
    deps: &Deps,
    scope: &WriterScope,
    raw_token: &str,
) -> Result<BotSummary, ServiceError> {
    let db = &deps.db;
    let token = parse_token(raw_token)?;
    let fingerprint = deps.cipher.fingerprint(&token);
    ensure_token_free(db, scope, &fingerprint, None).await?;
    // Before asking Telegram: a tenant at its plan's limit learns it at once.
    ensure_bot_slot(db, scope, plans::limits(db, scope).await?).await?;
    let bot = deps.api.bot(&token);
    let me = bot
        .get_me()
        .await
        .map_err(|e| ServiceError::Telegram(classify("getMe", &e)))?;
    let username = me.username.clone().unwrap_or_default();
    let public_id = new_public_id();
    let webhook_id = format!("{}{}", new_public_id(), new_public_id());
    let by_webhook = webhooks_possible(&deps.public_url);
    let now = Utc::now();
    let txn = db.begin().await?;
    // Checked again under the tenant's lock: two connects at once cannot both pass.
    ensure_bot_slot(&txn, scope, plans::lock_tenant(&txn, scope).await?).await?;
    let row = bots::ActiveModel {
        token_sealed: Set(deps.cipher.seal(public_id.as_str(), &token)),
        public_id: Set(public_id),
        tenant_id: Set(scope.tenant_id()),
        telegram_id: Set(me.id.0 as i64),
        username: Set(username),
        token_fingerprint: Set(fingerprint),
        webhook_id: Set(webhook_id.clone()),
        enabled: Set(true),
        mode: Set(if by_webhook {
            BotMode::Webhook
        } else {
            BotMode::Polling
        }),
        mode_chosen: Set(false),
        status: Set(BotStatus::Stopped),
        status_reason: Set(None),
        poll_offset: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(on_unique(Conflict::BotElsewhere))?;
    txn.commit().await?;
    tracing::info!(
        tenant = %scope.tenant_id(),
        bot = %row.id,
        webhook = by_webhook,
        "bot connected"
    );

    let (status, reason) = if by_webhook {
        let url = webhook_url(&deps.public_url, &webhook_id)?;
        let meter = deps.api.meter(scope.tenant_id(), row.id);
        match set_webhook(&bot, &meter, &deps.cipher, url, &webhook_id).await {
            Ok(()) => {
                set_menu_button(deps, scope, &bot, &meter, &row.public_id).await;
                (BotStatus::Live, None)
            }
            Err(e) => {
                tracing::warn!(bot = %row.id, error = %e, "setWebhook failed");
                (BotStatus::Error, Some(e.reason()))
            }
        }
    } else {
        // The poller marks it live once getUpdates answers.
        deps.wake.pollers.notify_one();
        (BotStatus::Stopped, Some(StatusReason::Starting))
    };
    let mut active: bots::ActiveModel = row.into();
    active.status = Set(status);
    active.status_reason = Set(reason);
    active.updated_at = Set(Utc::now());
    Ok(summary(active.update(db).await?, &deps.public_url))
}

/// Sets the bot's menu button (in every private chat) to open its Mini App page, when
/// the deployment can offer one (an https public URL). A failure is logged and leaves the
/// bot connected: the menu button is a convenience, the chat's buttons work without it.
async fn set_menu_button(
    deps: &Deps,
    scope: &WriterScope,
    bot: &teloxide::Bot,
    meter: &crate::botapi::Meter,
    bot_public_id: &PublicId,
) {
    use teloxide::payloads::SetChatMenuButtonSetters;
    use teloxide::types::{MenuButton, WebAppInfo};
    let Some(url) = deps.mini_app_url(&format!("/m/b/{bot_public_id}")) else {
        return;
    };
    let locale = match crate::entities::tenants::Entity::find_by_id(scope.tenant_id())
        .one(&deps.db)
        .await
    {
        Ok(Some(t)) => t.bot_locale(),
        _ => domain::Locale::default(),
    };
    let button = MenuButton::WebApp {
        text: domain::bot_text::BotText::MenuButtonApp
            .text(locale)
            .to_owned(),
        web_app: WebAppInfo { url },
    };
    let sent = bot.set_chat_menu_button().menu_button(button).await;
    if let Err(e) = meter.count("setChatMenuButton", sent) {
        tracing::warn!(error = %classify("setChatMenuButton", &e), "menu button not set");
    }
}

/// Puts a new token on an existing bot (after /revoke in @BotFather): it must be the same
/// Telegram bot. The bot keeps its id, webhook id and data; its traffic restarts.
pub async fn replace_token(
    deps: &Deps,
    scope: &WriterScope,
    public_id: &PublicId,
    raw_token: &str,
) -> Result<BotSummary, ServiceError> {
    let db = &deps.db;
    let row = find_owned(db, scope, public_id).await?;
    let token = parse_token(raw_token)?;
    if token.bot_id() != row.telegram_id as u64 {
        return Err(ServiceError::invalid(
            Field::Token,
            ValidationError::DifferentBot,
        ));
    }
    let fingerprint = deps.cipher.fingerprint(&token);
    ensure_token_free(db, scope, &fingerprint, Some(row.id)).await?;
    deps.api
        .meter(row.tenant_id, row.id)
        .count("getMe", deps.api.bot(&token).get_me().await)
        .map_err(|e| ServiceError::Telegram(classify("getMe", &e)))?;
    let was_enabled = row.enabled;
    // The old token's long poll, if any, ends now; the enable path starts a fresh one.
    deps.polls.stop(row.id);
    let mut active: bots::ActiveModel = row.into();
    active.token_sealed = Set(deps.cipher.seal(public_id.as_str(), &token));
    active.token_fingerprint = Set(fingerprint);
    active.status = Set(BotStatus::Stopped);
    active.status_reason = Set(None);
    active.updated_at = Set(Utc::now());
    active
        .update(db)
        .await
        .map_err(on_unique(Conflict::BotElsewhere))?;
    tracing::info!(tenant = %scope.tenant_id(), "bot token replaced");
    // Re-run the enable path: setWebhook with the new token, or a fresh poller.
    lifecycle::set_enabled(deps, scope, public_id, was_enabled).await
}
