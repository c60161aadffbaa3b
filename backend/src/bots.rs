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
        .one(db)
        .await?
        .map(|b| WebhookTarget {
            bot_id: b.id,
            tenant_id: b.tenant_id,
        }))
}
