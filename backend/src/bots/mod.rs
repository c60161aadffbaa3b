//! Tenants' bots: connecting one by its token ([`connect`]), turning it off and on and
//! removing it ([`lifecycle`]), moving it between webhook and polling ([`mode`]), and
//! keeping Telegram's webhooks pointed at us ([`webhooks`]).
//!
//! May import: the foundation, `accounts` (plans), `telegram` (which updates the dialog
//! handles, recording a bot's status). Every function takes the tenant's scope (a
//! [`WriterScope`] to change anything); another tenant's bot is "not found".

pub mod connect;
pub mod lifecycle;
pub mod mode;
pub mod webhooks;

pub use connect::{connect, replace_token};
pub use lifecycle::{remove, set_enabled};
pub use mode::{reconcile_modes, switch_mode, webhooks_possible};
pub use webhooks::{WebhookTarget, check_webhooks, resume_webhooks, webhook_target};

use crate::ServiceError;
use crate::deps::Deps;
use crate::entities::bots;
use crate::ids::BotId;
use crate::tenancy::{TenantScope, WriterScope};
use domain::{BotMode, BotStatus, PublicId, StatusReason};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

/// A bot as its tenant sees it. No token, no webhook secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotSummary {
    /// The row id, for the server's own bookkeeping; never sent to a browser.
    pub id: BotId,
    pub public_id: PublicId,
    pub username: String,
    pub enabled: bool,
    pub mode: BotMode,
    pub status: BotStatus,
    pub status_reason: Option<StatusReason>,
    /// The address Telegram delivers to, when the bot runs by webhook.
    pub webhook_url: Option<String>,
}

fn summary(b: bots::Model, public_url: &str) -> BotSummary {
    let webhook_url =
        (b.mode == BotMode::Webhook).then(|| format!("{public_url}/tg/{}", b.webhook_id));
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
pub async fn list(deps: &Deps, scope: &TenantScope) -> Result<Vec<BotSummary>, ServiceError> {
    Ok(bots::Entity::find()
        .filter(bots::Column::TenantId.eq(scope.tenant_id()))
        .order_by_asc(bots::Column::Id)
        .all(&deps.db)
        .await?
        .into_iter()
        .map(|b| summary(b, &deps.public_url))
        .collect())
}

/// The tenant's bot `public_id`; another tenant's is "not found".
pub async fn find_owned(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    public_id: &PublicId,
) -> Result<bots::Model, ServiceError> {
    bots::Entity::find()
        .filter(bots::Column::PublicId.eq(public_id.as_str()))
        .filter(bots::Column::TenantId.eq(scope.tenant_id()))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// The row after a change, as the tenant sees it.
async fn reread(
    deps: &Deps,
    scope: &WriterScope,
    public_id: &PublicId,
) -> Result<BotSummary, ServiceError> {
    find_owned(&deps.db, scope, public_id)
        .await
        .map(|b| summary(b, &deps.public_url))
}
