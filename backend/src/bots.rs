//! Tenants' bots. For now: what the webhook route needs to accept a delivery.

use crate::ServiceError;
use crate::entities::bots;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

/// The bot a webhook delivery is for, as the route needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookTarget {
    pub bot_id: i32,
    pub tenant_id: i32,
}

/// Finds the enabled bot behind `/tg/<webhook id>`.
pub async fn webhook_target(
    db: &impl ConnectionTrait,
    webhook_id: &str,
) -> Result<Option<WebhookTarget>, ServiceError> {
    // Ids we hand out are short; anything else cannot match, so skip the query.
    if webhook_id.is_empty() || webhook_id.len() > 64 {
        return Ok(None);
    }
    Ok(bots::Entity::find()
        .filter(bots::Column::WebhookId.eq(webhook_id))
        .filter(bots::Column::Enabled.eq(true))
        .filter(bots::Column::Status.ne(STATUS_REVOKED))
        .one(db)
        .await?
        .map(|b| WebhookTarget {
            bot_id: b.id,
            tenant_id: b.tenant_id,
        }))
}

// ----- connecting bots -----

use crate::crypto::TokenCipher;
use crate::error::on_unique;
use crate::telegram::{TelegramApi, classify};
use crate::tenancy::TenantScope;
use chrono::Utc;
use domain::{BotToken, ValidationError};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, DatabaseConnection, QueryOrder, Set, TransactionTrait};
use teloxide::prelude::Requester;

/// How a bot receives its updates.
pub const MODE_WEBHOOK: &str = "webhook";
pub const MODE_POLLING: &str = "polling";
/// Status values shown on the Bots page.
pub const STATUS_LIVE: &str = "live";
pub const STATUS_STOPPED: &str = "stopped";
pub const STATUS_REVOKED: &str = "revoked";
pub const STATUS_ERROR: &str = "error";
/// status_reason codes besides `TelegramError::code()`.
pub const REASON_STARTING: &str = "starting";

pub use crate::handlers::allowed_updates;

/// A bot as its tenant sees it. No token, no webhook secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotSummary {
    /// The row id, for the server's own bookkeeping (pollers); never sent to a browser.
    pub id: i32,
    pub public_id: String,
    pub username: String,
    pub enabled: bool,
    pub mode: String,
    pub status: String,
    pub status_reason: Option<String>,
    /// The address Telegram delivers to, when the bot runs by webhook.
    pub webhook_url: Option<String>,
}

fn summary(b: bots::Model, public_url: &str) -> BotSummary {
    let webhook_url = (b.mode == MODE_WEBHOOK).then(|| format!("{public_url}/tg/{}", b.webhook_id));
    BotSummary {
        id: b.id,
        public_id: b.public_id,
        username: b.username,
        enabled: b.enabled,
        mode: b.mode,
        status: b.status,
        status_reason: b.status_reason,
        webhook_url,
    }
}

/// The tenant's bots, oldest first.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    public_url: &str,
) -> Result<Vec<BotSummary>, ServiceError> {
    Ok(bots::Entity::find()
        .filter(bots::Column::TenantId.eq(scope.tenant_id))
        .order_by_asc(bots::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|b| summary(b, public_url))
        .collect())
}

fn parse_token(raw: &str) -> Result<BotToken, ServiceError> {
    BotToken::parse(raw).map_err(|_| ServiceError::Validation {
        field: "token",
        error: ValidationError::InvalidBotToken,
    })
}

/// Refuses a token whose fingerprint another bot row (other than `except`) already holds.
async fn ensure_token_free(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    fingerprint: &str,
    except: Option<i32>,
) -> Result<(), ServiceError> {
    match bots::Entity::find()
        .filter(bots::Column::TokenFingerprint.eq(fingerprint))
        .one(db)
        .await?
    {
        Some(other) if Some(other.id) != except => Err(ServiceError::Conflict(
            if other.tenant_id == scope.tenant_id {
                "bot"
            } else {
                "bot_elsewhere"
            },
        )),
        _ => Ok(()),
    }
}

/// Refuses a new bot when the tenant already has as many as its plan allows.
async fn ensure_bot_slot(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    limits: domain::PlanLimits,
) -> Result<(), ServiceError> {
    use sea_orm::PaginatorTrait;
    let have = bots::Entity::find()
        .filter(bots::Column::TenantId.eq(scope.tenant_id))
        .count(db)
        .await?;
    if have >= u64::from(limits.bots) {
        return Err(ServiceError::PlanLimit {
            what: "bots",
            limit: limits.bots,
        });
    }
    Ok(())
}

/// A bot's token, unsealed; a token that does not open (another key?) is an internal
/// error naming the bot's row, never the token.
pub(crate) fn open_token(
    cipher: &TokenCipher,
    row: &bots::Model,
) -> Result<BotToken, ServiceError> {
    cipher
        .open(&row.public_id, &row.token_sealed)
        .map_err(|e| ServiceError::Internal(format!("bot {}: {e}", row.id)))
}

/// `<public_url>/tg/<webhook id>`, where Telegram delivers a webhook bot's updates.
fn webhook_url(public_url: &str, webhook_id: &str) -> Result<reqwest::Url, ServiceError> {
    format!("{public_url}/tg/{webhook_id}")
        .parse()
        .map_err(|_| ServiceError::Internal("public URL does not form a webhook URL".into()))
}

/// setWebhook with the webhook's derived secret and the update kinds Tombola handles.
async fn set_webhook(
    bot: &teloxide::Bot,
    meter: &crate::usage::Meter,
    cipher: &TokenCipher,
    url: reqwest::Url,
    webhook_id: &str,
) -> Result<(), crate::telegram::TelegramError> {
    use teloxide::payloads::SetWebhookSetters;
    let answer = bot
        .set_webhook(url)
        .allowed_updates(allowed_updates())
        .secret_token(cipher.webhook_secret(webhook_id))
        .await;
    meter
        .count("setWebhook", answer)
        .map(|_| ())
        .map_err(|e| classify(&e))
}

/// What connecting a bot needs from the running server.
#[derive(Clone, Copy)]
pub struct Connector<'a> {
    pub cipher: &'a TokenCipher,
    pub api: &'a TelegramApi,
    /// `https://…` → webhook at `<public_url>/tg/<id>`; anything else → long polling.
    pub public_url: &'a str,
}

/// Connects a tenant's bot: checks the token's shape, refuses a token already connected
/// (here or elsewhere), asks Telegram who the bot is, stores the token sealed, and sets
/// the webhook (or leaves the bot to the poller when there is no public https URL).
pub async fn connect(
    db: &DatabaseConnection,
    scope: &TenantScope,
    c: Connector<'_>,
    raw_token: &str,
) -> Result<BotSummary, ServiceError> {
    let token = parse_token(raw_token)?;
    let fingerprint = c.cipher.fingerprint(&token);
    ensure_token_free(db, scope, &fingerprint, None).await?;
    // Before asking Telegram: a tenant at its plan's limit learns it at once.
    ensure_bot_slot(db, scope, crate::plans::limits(db, scope).await?).await?;
    let bot = c.api.bot(&token);
    let me = bot
        .get_me()
        .await
        .map_err(|e| ServiceError::Telegram(classify(&e)))?;
    let username = me.username.clone().unwrap_or_default();
    let public_id = crate::ids::new_public_id();
    let webhook_id = format!(
        "{}{}",
        crate::ids::new_public_id(),
        crate::ids::new_public_id()
    );
    let by_webhook = webhooks_possible(c.public_url);
    let now = Utc::now();
    let txn = db.begin().await?;
    // Checked again under the tenant's lock: two connects at once cannot both pass.
    ensure_bot_slot(&txn, scope, crate::plans::lock_tenant(&txn, scope).await?).await?;
    let row = bots::ActiveModel {
        public_id: Set(public_id.clone()),
        tenant_id: Set(scope.tenant_id),
        telegram_id: Set(me.id.0 as i64),
        username: Set(username),
        token_sealed: Set(c.cipher.seal(&public_id, &token)),
        token_fingerprint: Set(fingerprint),
        webhook_id: Set(webhook_id.clone()),
        enabled: Set(true),
        mode: Set(if by_webhook {
            MODE_WEBHOOK
        } else {
            MODE_POLLING
        }
        .to_owned()),
        mode_chosen: Set(false),
        status: Set(STATUS_STOPPED.to_owned()),
        status_reason: Set(None),
        poll_offset: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(on_unique("bot_elsewhere"))?;
    txn.commit().await?;
    tracing::info!(
        tenant = scope.tenant_id,
        bot = row.id,
        webhook = by_webhook,
        "bot connected"
    );

    let (status, reason) = if by_webhook {
        let url = webhook_url(c.public_url, &webhook_id)?;
        let meter = c.api.meter(scope.tenant_id, row.id);
        match set_webhook(&bot, &meter, c.cipher, url, &webhook_id).await {
            Ok(()) => (STATUS_LIVE, None),
            Err(e) => {
                tracing::warn!(bot = row.id, error = %e, "setWebhook failed");
                (STATUS_ERROR, Some(e.code().to_owned()))
            }
        }
    } else {
        // The poller marks it live once getUpdates answers.
        (STATUS_STOPPED, Some(REASON_STARTING.to_owned()))
    };
    let mut active: bots::ActiveModel = row.into();
    active.status = Set(status.to_owned());
    active.status_reason = Set(reason);
    active.updated_at = Set(Utc::now());
    Ok(summary(active.update(db).await?, c.public_url))
}

/// Records a bot's state (live, error with a reason code, revoked).
pub async fn set_status(
    db: &impl ConnectionTrait,
    bot_id: i32,
    status: &str,
    reason: Option<&str>,
) -> Result<(), ServiceError> {
    use sea_orm::sea_query::Expr;
    bots::Entity::update_many()
        .col_expr(bots::Column::Status, Expr::value(status))
        .col_expr(
            bots::Column::StatusReason,
            Expr::value(reason.map(str::to_owned)),
        )
        .col_expr(bots::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(bots::Column::Id.eq(bot_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Enabled bots of `owner` (this process) that receive updates by polling.
pub async fn polling_bot_ids(
    db: &impl ConnectionTrait,
    owner: &str,
) -> Result<Vec<i32>, ServiceError> {
    Ok(bots::Entity::find()
        .filter(bots::Column::Owner.eq(owner))
        .filter(bots::Column::Enabled.eq(true))
        .filter(bots::Column::Mode.eq(MODE_POLLING))
        .filter(bots::Column::Status.ne(STATUS_REVOKED))
        .all(db)
        .await?
        .into_iter()
        .map(|b| b.id)
        .collect())
}

// ----- enabling, disabling, removing -----

/// The tenant's bot `public_id`; another tenant's is "not found".
pub(crate) async fn find_owned(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    public_id: &str,
) -> Result<bots::Model, ServiceError> {
    bots::Entity::find()
        .filter(bots::Column::PublicId.eq(public_id))
        .filter(bots::Column::TenantId.eq(scope.tenant_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// Stops or restarts a bot's traffic; its data stays. Webhook bots get their webhook
/// deleted or set again; polling bots are started again by the caller (`Pollers`).
pub async fn set_enabled(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    c: Connector<'_>,
    public_id: &str,
    enabled: bool,
) -> Result<BotSummary, ServiceError> {
    let row = find_owned(db, scope, public_id).await?;
    let bot = c.api.bot(&open_token(c.cipher, &row)?);
    let meter = c.api.meter(row.tenant_id, row.id);
    let (status, reason) = match (enabled, row.mode.as_str()) {
        (false, MODE_WEBHOOK) => match meter.count("deleteWebhook", bot.delete_webhook().await) {
            Ok(_) => (STATUS_STOPPED, None),
            // Telegram keeps delivering, but the route refuses a disabled bot (404).
            Err(e) => (STATUS_STOPPED, Some(classify(&e).code().to_owned())),
        },
        (false, _) => (STATUS_STOPPED, None),
        (true, MODE_WEBHOOK) => {
            let url = webhook_url(c.public_url, &row.webhook_id)?;
            match set_webhook(&bot, &meter, c.cipher, url, &row.webhook_id).await {
                Ok(()) => (STATUS_LIVE, None),
                Err(e) => (STATUS_ERROR, Some(e.code().to_owned())),
            }
        }
        (true, _) => (STATUS_STOPPED, Some(REASON_STARTING.to_owned())),
    };
    let mut active: bots::ActiveModel = row.into();
    active.enabled = Set(enabled);
    active.status = Set(status.to_owned());
    active.status_reason = Set(reason);
    active.updated_at = Set(Utc::now());
    let row = active.update(db).await?;
    tracing::info!(
        tenant = scope.tenant_id,
        bot = row.id,
        enabled,
        "bot switched"
    );
    Ok(summary(row, c.public_url))
}

/// Disables a bot and forgets it: its token, its inbox. The same token can be connected
/// again afterwards. Returns the row id (for the caller to stop its poller).
pub async fn remove(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    c: Connector<'_>,
    public_id: &str,
) -> Result<i32, ServiceError> {
    let row = find_owned(db, scope, public_id).await?;
    if row.enabled {
        set_enabled(db, scope, c, public_id, false).await?;
    }
    crate::entities::inbox::Entity::delete_many()
        .filter(crate::entities::inbox::Column::BotId.eq(row.id))
        .exec(db)
        .await?;
    bots::Entity::delete_by_id(row.id).exec(db).await?;
    tracing::info!(tenant = scope.tenant_id, bot = row.id, "bot removed");
    Ok(row.id)
}

/// Enabled bots that receive updates by webhook and still have a working token.
fn webhook_bots() -> sea_orm::Select<bots::Entity> {
    bots::Entity::find()
        .filter(bots::Column::Enabled.eq(true))
        .filter(bots::Column::Mode.eq(MODE_WEBHOOK))
        .filter(bots::Column::Status.ne(STATUS_REVOKED))
}

/// At start-up: every enabled webhook bot's webhook is checked with getWebhookInfo and
/// set again when Telegram lost it or points elsewhere; a 401 marks the bot revoked.
/// Returns how many bots were checked.
pub async fn resume_webhooks(
    db: &impl ConnectionTrait,
    cipher: &TokenCipher,
    api: &TelegramApi,
    public_url: &str,
) -> Result<usize, ServiceError> {
    let rows = webhook_bots().all(db).await?;
    let n = rows.len();
    for row in rows {
        let Ok(token) = cipher.open(&row.public_id, &row.token_sealed) else {
            set_status(db, row.id, STATUS_ERROR, Some("token_unreadable")).await?;
            continue;
        };
        let bot = api.bot(&token);
        let expected = webhook_url(public_url, &row.webhook_id)?;
        let meter = api.meter(row.tenant_id, row.id);
        let info = meter.count("getWebhookInfo", bot.get_webhook_info().await);
        if let Ok(info) = &info {
            record_webhook_health(db, row.id, info).await?;
        }
        let (status, reason) = match info {
            Ok(info) if info.url.as_ref() == Some(&expected) => (STATUS_LIVE, None),
            Ok(_) => match set_webhook(&bot, &meter, cipher, expected, &row.webhook_id).await {
                Ok(()) => (STATUS_LIVE, None),
                Err(e) => (STATUS_ERROR, Some(e.code())),
            },
            Err(e) => match classify(&e) {
                crate::telegram::TelegramError::TokenRejected => {
                    (STATUS_REVOKED, Some("token_rejected"))
                }
                other => (STATUS_ERROR, Some(other.code())),
            },
        };
        set_status(db, row.id, status, reason).await?;
    }
    Ok(n)
}

/// Every few minutes, for the webhook bots this process owns: getWebhookInfo, and what
/// it says about delivery (updates waiting at Telegram, its last delivery error) stored
/// for the Usage page. Returns how many bots were checked.
pub async fn check_webhooks(
    db: &impl ConnectionTrait,
    cipher: &TokenCipher,
    api: &TelegramApi,
    owner: &str,
) -> Result<usize, ServiceError> {
    let rows = webhook_bots()
        .filter(bots::Column::Owner.eq(owner))
        .all(db)
        .await?;
    let n = rows.len();
    for row in rows {
        let Ok(token) = cipher.open(&row.public_id, &row.token_sealed) else {
            continue;
        };
        let info = api
            .meter(row.tenant_id, row.id)
            .count("getWebhookInfo", api.bot(&token).get_webhook_info().await);
        match info {
            Ok(info) => record_webhook_health(db, row.id, &info).await?,
            Err(e) => {
                tracing::warn!(tenant = row.tenant_id, bot = row.id, error = %classify(&e), "getWebhookInfo failed")
            }
        }
    }
    Ok(n)
}

async fn record_webhook_health(
    db: &impl ConnectionTrait,
    bot_id: i32,
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

/// Puts a new token on an existing bot (after /revoke in @BotFather): it must be the same
/// Telegram bot. The bot keeps its id, webhook id and data; its traffic restarts.
pub async fn replace_token(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    c: Connector<'_>,
    public_id: &str,
    raw_token: &str,
) -> Result<BotSummary, ServiceError> {
    let row = find_owned(db, scope, public_id).await?;
    let token = parse_token(raw_token)?;
    if token.bot_id() != row.telegram_id as u64 {
        return Err(ServiceError::Validation {
            field: "token",
            error: ValidationError::DifferentBot,
        });
    }
    let fingerprint = c.cipher.fingerprint(&token);
    ensure_token_free(db, scope, &fingerprint, Some(row.id)).await?;
    c.api
        .meter(row.tenant_id, row.id)
        .count("getMe", c.api.bot(&token).get_me().await)
        .map_err(|e| ServiceError::Telegram(classify(&e)))?;
    let was_enabled = row.enabled;
    let mut active: bots::ActiveModel = row.into();
    active.token_sealed = Set(c.cipher.seal(public_id, &token));
    active.token_fingerprint = Set(fingerprint);
    active.status = Set(STATUS_STOPPED.to_owned());
    active.status_reason = Set(None);
    active.updated_at = Set(Utc::now());
    active
        .update(db)
        .await
        .map_err(on_unique("bot_elsewhere"))?;
    tracing::info!(tenant = scope.tenant_id, "bot token replaced");
    // Re-run the enable path: setWebhook with the new token, or a fresh poller.
    set_enabled(db, scope, c, public_id, was_enabled).await
}

// ----- webhook or polling -----

/// Whether webhooks can work: Telegram delivers only to https addresses.
pub fn webhooks_possible(public_url: &str) -> bool {
    public_url.starts_with("https://")
}

/// Moves a bot between webhook and polling at run time, as its tenant chose; the choice
/// sticks across restarts. The caller stops the bot's poller before (to webhook) or
/// starts it after (to polling).
pub async fn switch_mode(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    c: Connector<'_>,
    public_id: &str,
    mode: &str,
) -> Result<BotSummary, ServiceError> {
    let mode = match mode {
        MODE_WEBHOOK if !webhooks_possible(c.public_url) => {
            return Err(ServiceError::Validation {
                field: "mode",
                error: ValidationError::WebhookNeedsHttps,
            });
        }
        MODE_WEBHOOK => MODE_WEBHOOK,
        MODE_POLLING => MODE_POLLING,
        _ => {
            return Err(ServiceError::Validation {
                field: "mode",
                error: ValidationError::Required,
            });
        }
    };
    let row = find_owned(db, scope, public_id).await?;
    let (enabled, previous) = (row.enabled, row.mode.clone());
    let mut active: bots::ActiveModel = row.into();
    active.mode = Set(mode.to_owned());
    active.mode_chosen = Set(true);
    active.updated_at = Set(Utc::now());
    active.update(db).await?;
    tracing::info!(tenant = scope.tenant_id, from = %previous, to = mode, "bot mode switched");
    if !enabled {
        return find_owned(db, scope, public_id)
            .await
            .map(|b| summary(b, c.public_url));
    }
    if previous == MODE_WEBHOOK && mode == MODE_POLLING {
        // The poller would also clear it on its first 409; doing it here is quicker.
        let row = find_owned(db, scope, public_id).await?;
        if let Ok(token) = c.cipher.open(&row.public_id, &row.token_sealed) {
            let _ = c
                .api
                .meter(row.tenant_id, row.id)
                .count("deleteWebhook", c.api.bot(&token).delete_webhook().await);
        }
    }
    // The enable path does the rest: setWebhook, or "starting" for the poller.
    set_enabled(db, scope, c, public_id, true).await
}

/// At start-up, before pollers resume: without a public https URL every webhook bot
/// moves to polling (its webhook is cleared by the poller's first 409); with one, every
/// polling bot whose tenant did not choose polling moves to webhook (set by
/// [`resume_webhooks`]). Only rows change here, no Telegram call. Returns how many bots
/// moved (to webhook, to polling).
pub async fn reconcile_modes(
    db: &impl ConnectionTrait,
    public_url: &str,
) -> Result<(u64, u64), ServiceError> {
    use sea_orm::sea_query::Expr;
    let (from, to, only_unchosen) = if webhooks_possible(public_url) {
        (MODE_POLLING, MODE_WEBHOOK, true)
    } else {
        (MODE_WEBHOOK, MODE_POLLING, false)
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
        tracing::info!(bots = moved, from, to, "bots moved at start-up");
    }
    Ok(if to == MODE_WEBHOOK {
        (moved, 0)
    } else {
        (0, moved)
    })
}
