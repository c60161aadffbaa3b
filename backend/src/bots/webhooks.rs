//! Telegram's webhooks for our bots: where a delivery goes (`/tg/<webhook id>`), setting
//! one with its derived secret, checking them all at start-up and every few minutes.

use crate::ServiceError;
use crate::botapi::{Meter, classify};
use crate::crypto::TokenCipher;
use crate::deps::Deps;
use crate::entities::bots;
use crate::error::TelegramError;
use crate::ids::BotId;
use crate::telegram::{allowed_updates, set_bot_status};
pub use crate::webhook_index::WebhookTarget;
use chrono::Utc;
use domain::{BotMode, BotStatus, StatusReason};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use teloxide::prelude::Requester;

/// The enabled bot behind `/tg/<webhook id>` and the secret its deliveries carry
/// (from [`crate::webhook_index`]).
pub async fn webhook_target(
    deps: &Deps,
    webhook_id: &str,
) -> Result<Option<WebhookTarget>, ServiceError> {
    deps.webhooks
        .lookup(&deps.db, &deps.cipher, webhook_id)
        .await
}

/// `<public_url>/tg/<webhook id>`, where Telegram delivers a webhook bot's updates.
pub(super) fn webhook_url(
    public_url: &str,
    webhook_id: &str,
) -> Result<reqwest::Url, ServiceError> {
    format!("{public_url}/tg/{webhook_id}")
        .parse()
        .map_err(|_| ServiceError::Internal("public URL does not form a webhook URL".into()))
}

/// setWebhook with the webhook's derived secret and the update kinds Tombola handles.
pub(super) async fn set_webhook(
    bot: &teloxide::Bot,
    meter: &Meter,
    cipher: &TokenCipher,
    url: reqwest::Url,
    webhook_id: &str,
) -> Result<(), TelegramError> {
    use teloxide::payloads::SetWebhookSetters;
    let answer = bot
        .set_webhook(url)
        .allowed_updates(allowed_updates())
        .secret_token(cipher.webhook_secret(webhook_id))
        .await;
    meter
        .count("setWebhook", answer)
        .map(|_| ())
        .map_err(|e| classify("setWebhook", &e))
}

/// Enabled bots that receive updates by webhook and still have a working token.
fn webhook_bots() -> sea_orm::Select<bots::Entity> {
    bots::Entity::find()
        .filter(bots::Column::Enabled.eq(true))
        .filter(bots::Column::Mode.eq(BotMode::Webhook))
        .filter(bots::Column::Status.ne(BotStatus::Revoked))
}

/// Bots checked per read: the checks hold a page of rows at a time, never all of them
/// (10,000 bots' rows at once were tens of MiB of the process's memory at start-up).
const PAGE: u64 = 256;

/// The next page of `bots` after `after` (by id).
async fn page_after(
    db: &impl ConnectionTrait,
    bots: sea_orm::Select<bots::Entity>,
    after: BotId,
) -> Result<Vec<bots::Model>, ServiceError> {
    use sea_orm::{QueryOrder, QuerySelect};
    Ok(bots
        .filter(bots::Column::Id.gt(after))
        .order_by_asc(bots::Column::Id)
        .limit(PAGE)
        .all(db)
        .await?)
}

/// At start-up: every enabled webhook bot's webhook is checked with getWebhookInfo and
/// set again when Telegram lost it or points elsewhere; a 401 marks the bot revoked.
/// Returns how many bots were checked.
pub async fn resume_webhooks(deps: &Deps) -> Result<usize, ServiceError> {
    let db = &deps.db;
    let (mut n, mut after) = (0, BotId(0));
    loop {
        let rows = page_after(db, webhook_bots(), after).await?;
        let Some(last) = rows.last() else {
            return Ok(n);
        };
        (n, after) = (n + rows.len(), last.id);
        for row in rows {
            resume_one(deps, row).await?;
        }
    }
}

/// Checks one bot's webhook at start-up (see [`resume_webhooks`]).
async fn resume_one(deps: &Deps, row: bots::Model) -> Result<(), ServiceError> {
    let db = &deps.db;
    let Ok(token) = deps.cipher.open(row.public_id.as_str(), &row.token_sealed) else {
        set_bot_status(
            deps,
            row.id,
            BotStatus::Error,
            Some(StatusReason::TokenUnreadable),
        )
        .await?;
        return Ok(());
    };
    let bot = deps.api.bot(&token);
    let expected = webhook_url(&deps.public_url, &row.webhook_id)?;
    let meter = deps.api.meter(row.tenant_id, row.id);
    let info = meter.count("getWebhookInfo", bot.get_webhook_info().await);
    if let Ok(info) = &info {
        record_webhook_health(db, row.id, info).await?;
    }
    let (status, reason) = match info {
        Ok(info) if info.url.as_ref() == Some(&expected) => (BotStatus::Live, None),
        Ok(_) => match set_webhook(&bot, &meter, &deps.cipher, expected, &row.webhook_id).await {
            Ok(()) => (BotStatus::Live, None),
            Err(e) => (BotStatus::Error, Some(e.reason())),
        },
        Err(e) => match classify("getWebhookInfo", &e) {
            TelegramError::TokenRejected => (BotStatus::Revoked, Some(StatusReason::TokenRejected)),
            other => (BotStatus::Error, Some(other.reason())),
        },
    };
    set_bot_status(deps, row.id, status, reason).await?;
    Ok(())
}

/// Every few minutes, for the webhook bots this process owns: getWebhookInfo, and what
/// it says about delivery (updates waiting at Telegram, its last delivery error) stored
/// for the Usage page. Returns how many bots were checked.
pub async fn check_webhooks(deps: &Deps) -> Result<usize, ServiceError> {
    let db = &deps.db;
    let (mut n, mut after) = (0, BotId(0));
    loop {
        let mine = webhook_bots().filter(bots::Column::Owner.eq(deps.leases.node_id()));
        let rows = page_after(db, mine, after).await?;
        let Some(last) = rows.last() else {
            return Ok(n);
        };
        (n, after) = (n + rows.len(), last.id);
        for row in rows {
            let Ok(token) = deps.cipher.open(row.public_id.as_str(), &row.token_sealed) else {
                continue;
            };
            let info = deps.api.meter(row.tenant_id, row.id).count(
                "getWebhookInfo",
                deps.api.bot(&token).get_webhook_info().await,
            );
            match info {
                Ok(info) => record_webhook_health(db, row.id, &info).await?,
                Err(e) => {
                    tracing::warn!(tenant = %row.tenant_id, bot = %row.id, error = %classify("getWebhookInfo", &e), "getWebhookInfo failed")
                }
            }
        }
    }
}

async fn record_webhook_health(
    db: &impl ConnectionTrait,
    bot_id: BotId,
    info: &teloxide::types::WebhookInfo,
) -> Result<(), ServiceError> {
    // Telegram's error text is about our endpoint (e.g. "Wrong response from the
    // webhook: 502 Bad Gateway"): kept short, shown to the bot's tenant only.
    let error = info
        .last_error_message
        .as_deref()
        .map(|m| m.chars().take(200).collect::<String>());
    bots::Entity::update_many()
        .col_expr(
            bots::Column::WebhookPending,
            Expr::value(i32::try_from(info.pending_update_count).unwrap_or(i32::MAX)),
        )
        .col_expr(bots::Column::WebhookLastError, Expr::value(error))
        .col_expr(bots::Column::WebhookCheckedAt, Expr::value(Utc::now()))
        .filter(bots::Column::Id.eq(bot_id))
        .exec(db)
        .await?;
    Ok(())
}
