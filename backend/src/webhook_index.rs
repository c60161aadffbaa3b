//! Which bot a webhook delivery is for, answered from memory: `/tg/<webhook id>` →
//! the bot, its tenant and the secret Telegram must send back. Telegram posts every
//! update of a bot to the same URL, so the lookup (an indexed query) and the secret's
//! derivation (an HMAC) are done once per bot, not once per update.
//!
//! An entry lives [`TTL`] at most: a change made by another process sharing the
//! database (a bot disabled there) is seen here within that time; a change made in this
//! process drops the entry at once ([`WebhookIndex::forget`]). Unknown ids are not
//! remembered, so ids sprayed by a stranger fill nothing.
//!
//! Foundation: imports `crypto`, `entities`, `error`, `ids`.

use crate::ServiceError;
use crate::crypto::TokenCipher;
use crate::entities::bots;
use crate::ids::{BotId, TenantId};
use domain::BotStatus;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a looked-up bot is trusted without asking the database again.
pub const TTL: Duration = Duration::from_secs(2);

/// The bot a webhook delivery is for, as the route needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    pub bot_id: BotId,
    pub tenant_id: TenantId,
    /// The `X-Telegram-Bot-Api-Secret-Token` a genuine delivery carries.
    pub secret: Arc<str>,
}

#[derive(Clone)]
struct Entry {
    target: WebhookTarget,
    at: Instant,
}

/// The index; cloning shares it.
#[derive(Clone, Default)]
pub struct WebhookIndex {
    entries: Arc<Mutex<HashMap<String, Entry>>>,
}

impl std::fmt::Debug for WebhookIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The keys are capabilities: never printed.
        write!(f, "WebhookIndex({} bots)", self.map().len())
    }
}

impl WebhookIndex {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The enabled, not revoked bot behind `webhook_id`, from memory when fresh.
    pub async fn lookup(
        &self,
        db: &impl ConnectionTrait,
        cipher: &TokenCipher,
        webhook_id: &str,
    ) -> Result<Option<WebhookTarget>, ServiceError> {
        // Ids we hand out are short; anything else cannot match, so skip the query.
        if webhook_id.is_empty() || webhook_id.len() > 64 {
            return Ok(None);
        }
        if let Some(e) = self.map().get(webhook_id)
            && e.at.elapsed() < TTL
        {
            return Ok(Some(e.target.clone()));
        }
        let row: Option<(BotId, TenantId)> = bots::Entity::find()
            .select_only()
            .column(bots::Column::Id)
            .column(bots::Column::TenantId)
            .filter(bots::Column::WebhookId.eq(webhook_id))
            .filter(bots::Column::Enabled.eq(true))
            .filter(bots::Column::Status.ne(BotStatus::Revoked))
            .into_tuple()
            .one(db)
            .await?;
        let mut map = self.map();
        let Some((bot_id, tenant_id)) = row else {
            map.remove(webhook_id);
            return Ok(None);
        };
        let target = WebhookTarget {
            bot_id,
            tenant_id,
            secret: cipher.webhook_secret(webhook_id).into(),
        };
        // Bounded by the number of bots; an entry that aged out is replaced here.
        map.insert(
            webhook_id.to_owned(),
            Entry {
                target: target.clone(),
                at: Instant::now(),
            },
        );
        Ok(Some(target))
    }

    /// Drops what is known of `bot` (it was disabled, removed, revoked or switched).
    pub fn forget(&self, bot: BotId) {
        self.map().retain(|_, e| e.target.bot_id != bot);
    }
}
